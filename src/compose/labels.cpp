#include "compose/labels.h"

#include "base/strings.h"
#include "config/keypath.h"
#include "config/node.h"

namespace corral::compose {

namespace {

Error label_error(std::string_view service_name, std::string_view label, std::string problem)
{
    config::KeyPath path { std::string(service_name), "labels", std::string(label) };
    return Error::from_string(config::format_key_path(path) + ": " + std::move(problem));
}

ErrorOr<bool> bool_label(
    const config::KeyValueList& labels, std::string_view service_name, std::string_view name, bool fallback)
{
    auto value = label_value(labels, name);
    if (!value || value->empty())
        return fallback;
    if (auto parsed = config::parse_yaml_bool(*value))
        return *parsed;
    return label_error(service_name, name, "expected true or false, got " + go_quote(*value));
}

std::string existing_label(const std::map<std::string, std::string>& labels, std::string_view name)
{
    auto it = labels.find(std::string(name));
    return it == labels.end() ? std::string() : it->second;
}

} // namespace

std::optional<std::string> label_value(const config::KeyValueList& labels, std::string_view name)
{
    for (auto it = labels.entries.rbegin(); it != labels.entries.rend(); ++it) {
        if (it->first == name)
            return it->second.value_or(std::string());
    }
    return std::nullopt;
}

Scope scope_of(const config::KeyValueList& labels)
{
    return label_value(labels, SCOPE_LABEL) == SYSTEM_SCOPE ? Scope::System : Scope::User;
}

std::vector<std::string> service_list_label(const config::KeyValueList& labels, std::string_view name)
{
    std::vector<std::string> out;
    auto value = label_value(labels, name);
    if (!value)
        return out;
    for (auto const& part : split(*value, ',')) {
        std::string item(trim(part));
        if (item.empty())
            continue;
        if (item == "cloud-init")
            item = "cloud-init-execute";
        out.push_back(std::move(item));
    }
    return out;
}

ErrorOr<ServiceLabels> parse_labels(const config::KeyValueList& labels, std::string_view service_name)
{
    ServiceLabels out;
    auto scope = label_value(labels, SCOPE_LABEL).value_or(std::string());
    if (scope == SYSTEM_SCOPE)
        out.scope = Scope::System;
    else if (scope.empty() || scope == "user")
        out.scope = Scope::User;
    else
        return label_error(service_name, SCOPE_LABEL, "expected system or user, got " + go_quote(scope));

    out.after = service_list_label(labels, AFTER_LABEL);
    out.before = service_list_label(labels, BEFORE_LABEL);
    out.detach = TRY(bool_label(labels, service_name, DETACH_LABEL, true));
    out.create_only = TRY(bool_label(labels, service_name, CREATE_ONLY_LABEL, false));
    out.reload_config = TRY(bool_label(labels, service_name, RELOAD_CONFIG_LABEL, false));

    auto rebuild = label_value(labels, REBUILD_LABEL).value_or(std::string());
    if (rebuild == "always")
        out.rebuild = Rebuild::Always;
    else if (rebuild == "false")
        out.rebuild = Rebuild::Never;
    else if (rebuild.empty() || rebuild == "true")
        out.rebuild = Rebuild::OnChange;
    else
        return label_error(service_name, REBUILD_LABEL, "expected always, true or false, got " + go_quote(rebuild));

    out.console = label_value(labels, CONSOLE_LABEL).value_or(std::string());
    return out;
}

RecreateDecision decide_recreate(std::string_view service_name, const ServiceLabels& wanted,
    const std::map<std::string, std::string>& existing_labels, bool out_of_sync, bool force_console_rebuild)
{
    if (wanted.rebuild == Rebuild::Always)
        return RecreateDecision::Recreate;
    bool console = service_name == "console";
    if (console && force_console_rebuild)
        return RecreateDecision::Recreate;
    if (!out_of_sync)
        return RecreateDecision::Keep;
    if (console)
        return wanted.console != existing_label(existing_labels, CONSOLE_LABEL) ? RecreateDecision::Recreate
                                                                                : RecreateDecision::Keep;
    // RancherOS compares the label's text: a container created with "false"
    // whose definition still says "false" is left alone.
    if (wanted.rebuild == Rebuild::Never && existing_label(existing_labels, REBUILD_LABEL) == "false")
        return RecreateDecision::KeepOutOfSync;
    return RecreateDecision::Recreate;
}

} // namespace corral::compose
