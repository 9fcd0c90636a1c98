#include "cloudinit/user_data.h"

#include "base/strings.h"
#include "cloudinit/gzip.h"
#include "config/loader.h"
#include "config/yaml.h"

namespace corral::cloudinit {

namespace {

std::string_view first_line(std::string_view text)
{
    std::string_view line = text.substr(0, text.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
        line.remove_suffix(1);
    return line;
}

// Validates a tree as a cloud-config, sorting what the loader would say into
// errors (values it will drop) and warnings (unknown keys).
void validate(const config::Node& tree, UserData& out)
{
    config::Node copy = tree;
    for (auto const& d : config::validate_and_prune(copy)) {
        if (d.severity == config::Diagnostic::Severity::Error)
            out.errors.push_back(d.describe());
        else
            out.warnings.push_back(d.describe());
    }
}

UserData invalid(std::string message)
{
    UserData out;
    out.kind = UserDataKind::Invalid;
    out.errors.push_back(std::move(message));
    return out;
}

} // namespace

const char* user_data_kind_name(UserDataKind kind)
{
    switch (kind) {
    case UserDataKind::Empty:
        return "empty";
    case UserDataKind::CloudConfig:
        return "#cloud-config";
    case UserDataKind::Compose:
        return "#compose";
    case UserDataKind::Script:
        return "a script";
    case UserDataKind::Invalid:
        return "invalid";
    case UserDataKind::Unrecognized:
        return "unrecognized";
    }
    return "?";
}

UserData process_user_data(std::string_view raw, const std::string& source)
{
    std::string decompressed;
    if (is_gzip(raw)) {
        auto unpacked = gunzip(raw, 32 * 1024 * 1024);
        if (unpacked.is_error())
            return invalid(source + ": " + unpacked.error().message() + "; not saving it");
        decompressed = unpacked.release_value();
        raw = decompressed;
    }

    UserData out;
    if (trim(raw).empty())
        return out;

    std::string_view header = first_line(raw);
    if (raw.starts_with("#!")) {
        out.kind = UserDataKind::Script;
        out.script = std::string(raw);
        return out;
    }
    if (header == "#compose") {
        auto parsed = config::parse_yaml(raw, source);
        if (parsed.is_error())
            return invalid(parsed.error().message() + "; not saving this #compose user data");
        if (!parsed->is_map() && !parsed->is_null())
            return invalid(source + ": #compose user data holds " + parsed->describe() + ", not a map of services");
        config::Node services = parsed->is_null() ? config::Node::map() : parsed.release_value();
        config::Node rancher = config::Node::map();
        rancher.set("services", std::move(services));
        config::Node tree = config::Node::map();
        tree.set("rancher", std::move(rancher));
        validate(tree, out);
        out.kind = UserDataKind::Compose;
        out.cloud_config = config::emit_yaml(tree);
        return out;
    }
    if (header.starts_with("#cloud-config")) {
        auto parsed = config::parse_yaml(raw, source);
        if (parsed.is_error())
            return invalid(parsed.error().message() + "; not saving this #cloud-config");
        if (!parsed->is_map() && !parsed->is_null())
            return invalid(
                source + ": #cloud-config holds " + parsed->describe() + ", not a map of keys; not saving it");
        validate(*parsed, out);
        out.kind = UserDataKind::CloudConfig;
        out.cloud_config = std::string(raw);
        if (out.cloud_config.back() != '\n')
            out.cloud_config += '\n';
        return out;
    }
    out.kind = UserDataKind::Unrecognized;
    out.errors.push_back(source + ": unrecognized user data (it starts with " + go_quote(header.substr(0, 40))
        + "; expected #cloud-config, #! or #compose); not saving it");
    return out;
}

} // namespace corral::cloudinit
