// ros config set <key> <value>: writes one value into cloud-config.yml, typed like
// a kernel command line value (true → bool, 42 → int, [a,b] → list). Only that file
// changes; the merged view may still show another value when a higher layer (the
// kernel command line, metadata) sets the key, and we say so.

#include "base/log.h"
#include "cli/config_common.h"
#include "cli/config_verbs.h"
#include "config/cmdline.h"
#include "config/keypath.h"
#include "config/loader.h"
#include "config/yaml.h"

namespace corral::cli {

namespace {

bool path_starts_with(const config::KeyPath& path, const config::KeyPath& prefix)
{
    if (path.size() < prefix.size())
        return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
        // Diagnostic paths carry list positions in the segment: "write_files[2]".
        if (path[i] != prefix[i] && path[i].substr(0, path[i].find('[')) != prefix[i])
            return false;
    }
    return true;
}

// After a successful write: if a layer above cloud-config.yml sets the key (or
// replaces a map on its way), the value just written is not what takes effect.
void warn_if_overridden(const config::Paths& paths, const config::KeyPath& path, const config::Node& written)
{
    config::LoadedConfig loaded = config::load_config(paths);
    const config::Node* effective = config::find_path(loaded.merged, path);
    if (effective && *effective == written)
        return;
    std::string key = config::format_key_path(path);
    for (auto it = loaded.layers.rbegin(); it != loaded.layers.rend(); ++it) {
        if (it->kind == config::LayerKind::CloudConfig)
            break;
        for (size_t length = path.size(); length > 0; --length) {
            config::KeyPath prefix(path.begin(), path.begin() + static_cast<long>(length));
            const config::Node* node = config::find_path(it->tree, prefix);
            if (!node || (length < path.size() && node->is_map()))
                continue;
            std::string now = effective ? (effective->is_scalar() ? effective->describe() : "\n" + config::emit_yaml(*effective)) : "unset";
            log::warn(key + " is also set by " + config::layer_kind_name(it->kind) + " ("
                + node->mark().describe() + "), which overrides the value just written; it is now " + now);
            return;
        }
    }
}

} // namespace

int config_set(const config::Paths& paths, const std::string& key, const std::string& value)
{
    auto path = config::parse_key_path(key);
    if (path.is_error())
        return fail("config set", path.error());

    auto tree = read_user_config(paths);
    if (tree.is_error())
        return fail("config set", tree.error());

    config::Node typed = config::type_value(value, config::Mark { std::make_shared<const std::string>("<value>"), 1, 1 });
    if (auto set = config::set_path(tree.value(), path.value(), typed); set.is_error())
        return fail("config set", set.error());

    // Check the file as it would be written; refuse only problems with this key, so
    // that an unrelated bad value already in the file does not block every set.
    config::Node check = tree.value();
    bool refused = false;
    for (auto const& d : config::validate_and_prune(check)) {
        bool ours = path_starts_with(d.path, path.value()) || path_starts_with(path.value(), d.path);
        if (!ours)
            continue;
        if (d.severity == config::Diagnostic::Severity::Error) {
            log::error("config set: " + config::format_key_path(d.path) + ": " + d.message);
            refused = true;
        } else {
            log::warn(config::format_key_path(d.path) + ": unknown key (written anyway; `ros config validate` will report it)");
        }
    }
    if (refused)
        return 1;

    if (auto written = write_user_config(paths, tree.value()); written.is_error())
        return fail("config set", written.error());
    warn_if_overridden(paths, path.value(), typed);
    return 0;
}

} // namespace corral::cli
