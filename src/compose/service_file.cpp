#include "compose/service_file.h"

#include "base/strings.h"
#include "config/decode.h"
#include "config/yaml.h"

#include <cctype>
#include <set>

namespace corral::compose {

namespace {

bool is_supported_version(const std::string& version)
{
    for (std::string_view major : { "2", "3" }) {
        if (version == major || version.starts_with(std::string(major) + "."))
            return true;
    }
    return false;
}

// Takes the services of a map `name: {definition}` into `file`.
void take_services(const config::Node& services, ServiceFile& file)
{
    using config::Diagnostic;
    for (auto const& entry : services.entries()) {
        if (!is_valid_service_name(entry.key)) {
            // The name goes in the message: a key path would not quote it.
            file.diagnostics.push_back(Diagnostic { Diagnostic::Severity::Error, entry.key_mark, {},
                "invalid service name " + go_quote(entry.key)
                    + " (a container name takes letters, digits, \"_\", \".\" and \"-\", "
                      "and starts with a letter or digit)" });
            continue;
        }
        if (!entry.value.is_map()) {
            // A null value has no text of its own to point at; its key does.
            auto const& mark = entry.value.is_null() ? entry.key_mark : entry.value.mark();
            file.diagnostics.push_back(Diagnostic { Diagnostic::Severity::Error, mark, { entry.key },
                "expected a map of service keys, got " + entry.value.describe() });
            continue;
        }
        file.definitions[entry.key] = entry.value;
    }
}

} // namespace

bool is_valid_service_name(std::string_view name)
{
    if (name.empty() || !std::isalnum(static_cast<unsigned char>(name[0])))
        return false;
    for (char c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
            return false;
    }
    return true;
}

ErrorOr<ServiceFile> parse_service_file(std::string_view text, const std::string& source)
{
    config::Node root = TRY(config::parse_yaml(text, source));
    ServiceFile file;
    file.source = source;
    if (root.is_null())
        return file;
    if (!root.is_map())
        return Error::from_string(root.mark().describe() + ": expected a map of services, got " + root.describe());

    const config::Node* version = root.find("version");
    if (!version || !version->is_scalar() || version->is_null()) {
        // Compose v1: every top-level key is a service. (A v1 service named
        // "version" is a map, so it is not taken for the v2 marker.)
        take_services(root, file);
        return file;
    }

    if (!is_supported_version(version->text())) {
        return Error::from_string(version->mark().describe() + ": unsupported compose file version "
            + go_quote(version->text()) + " (expected 2 or 3)");
    }
    for (auto const& entry : root.entries()) {
        if (entry.key == "version" || entry.key == "services")
            continue;
        file.diagnostics.push_back(config::Diagnostic { config::Diagnostic::Severity::Warning, entry.key_mark,
            { entry.key }, "top-level " + entry.key + " is not supported in service files; ignored" });
    }
    const config::Node* services = root.find("services");
    if (!services || services->is_null())
        return file;
    if (!services->is_map()) {
        return Error::from_string(
            services->mark().describe() + ": services: expected a map of services, got " + services->describe());
    }
    take_services(*services, file);
    return file;
}

config::ServiceConfig decode_service(
    const config::Node& definition, std::string_view name, config::Diagnostics& diagnostics)
{
    config::ServiceConfig service;
    config::DecodeContext context(diagnostics);
    context.push(std::string(name));
    config::decode(definition, service, context);
    context.pop();
    return service;
}

DecodedServices decode_services(const ServiceFile& file, const Environment& environment)
{
    DecodedServices out;
    for (auto const& [name, definition] : file.definitions) {
        config::Node interpolated = definition;
        std::set<std::string> unset;
        auto result = interpolate_service(interpolated, name, variable_lookup(environment, name), &unset);
        if (result.is_error()) {
            out.errors.push_back(result.release_error());
            continue;
        }
        for (auto const& variable : unset)
            out.warnings.push_back(name + ": variable " + variable + " is not set; using \"\"");
        out.services[name] = decode_service(interpolated, name, out.diagnostics);
    }
    return out;
}

} // namespace corral::compose
