// ros config get <key>: prints a value of the merged configuration. Scalars print
// as their text, maps and lists as YAML; a key the schema knows but nothing sets
// prints its zero value.

#include "cli/config_common.h"
#include "cli/config_verbs.h"
#include "config/keypath.h"
#include "config/schema.h"
#include "config/yaml.h"

#include <cstdio>

namespace corral::cli {

namespace {

void print_value(const config::Node& node)
{
    std::string text = node.is_scalar() ? config::scalar_text(node) + "\n" : config::emit_yaml(node);
    fwrite(text.data(), 1, text.size(), stdout);
}

} // namespace

int config_get(const config::Paths& paths, const std::string& key)
{
    auto path = config::parse_key_path(key);
    if (path.is_error())
        return fail("config get", path.error());
    config::LoadedConfig loaded = config::load_config(paths);
    report_load_problems(loaded);

    if (const config::Node* node = config::find_path(loaded.merged, path.value())) {
        print_value(*node);
        return 0;
    }
    if (auto zero = config::schema_zero_value(path.value())) {
        print_value(*zero);
        return 0;
    }
    return fail("config get", Error::from_string(key + ": no such key (not set, and not a key of the schema)", ENOENT));
}

} // namespace corral::cli
