#include "compose/environment.h"

#include "base/strings.h"

#include <unordered_map>

namespace corral::compose {

namespace {

std::string scoped_name(std::string_view service, std::string_view name)
{
    std::string out(service);
    out += '/';
    out += name;
    return out;
}

void append_matches(std::vector<std::string>& out, const Environment& environment, std::string_view prefix,
    size_t strip, bool skip_scoped)
{
    // The map is ordered, so the names sharing a prefix are contiguous.
    for (auto it = environment.lower_bound(std::string(prefix)); it != environment.end(); ++it) {
        std::string_view name = it->first;
        if (!name.starts_with(prefix))
            break;
        if (skip_scoped && name.find('/') != std::string_view::npos)
            continue;
        out.push_back(std::string(name.substr(strip)) + "=" + it->second);
    }
}

} // namespace

Environment rancher_environment(const config::RancherConfig& rancher, std::string_view kernel_version)
{
    Environment out = rancher.environment;
    auto set_pair = [&](const char* lower, const char* upper, const std::string& value) {
        if (value.empty())
            return;
        out[lower] = value;
        out[upper] = value;
    };
    set_pair("http_proxy", "HTTP_PROXY", rancher.network.http_proxy);
    set_pair("https_proxy", "HTTPS_PROXY", rancher.network.https_proxy);
    set_pair("no_proxy", "NO_PROXY", rancher.network.no_proxy);
    if (!kernel_version.empty())
        out["KERNEL_VERSION"] = std::string(kernel_version);
    return out;
}

std::optional<std::string> lookup_variable(
    const Environment& environment, std::string_view service, std::string_view name)
{
    if (auto it = environment.find(scoped_name(service, name)); it != environment.end())
        return it->second;
    if (auto it = environment.find(std::string(name)); it != environment.end())
        return it->second;
    return std::nullopt;
}

Lookup variable_lookup(const Environment& environment, std::string service)
{
    return [&environment, service = std::move(service)](
               std::string_view name) { return lookup_variable(environment, service, name); };
}

std::vector<std::string> expand_bare_entry(
    const Environment& environment, std::string_view service, std::string_view entry)
{
    std::vector<std::string> out;
    if (entry.ends_with('*')) {
        std::string_view prefix = entry.substr(0, entry.size() - 1);
        std::string scoped = scoped_name(service, prefix);
        append_matches(out, environment, scoped, service.size() + 1, false);
        if (out.empty())
            append_matches(out, environment, prefix, 0, true);
        return out;
    }
    if (auto value = lookup_variable(environment, service, entry))
        out.push_back(std::string(entry) + "=" + *value);
    return out;
}

std::vector<std::string> resolve_environment(const config::KeyValueList& service_environment, std::string_view service,
    const Environment& environment, const config::KeyValueList& env_files)
{
    std::vector<std::string> out;
    std::unordered_map<std::string, size_t> position; // name → index in `out`
    auto add = [&](std::string entry) {
        std::string name = entry.substr(0, entry.find('='));
        if (auto it = position.find(name); it != position.end()) {
            out[it->second] = std::move(entry);
            return;
        }
        position.emplace(std::move(name), out.size());
        out.push_back(std::move(entry));
    };
    for (auto const* list : { &env_files, &service_environment }) {
        for (auto const& [name, value] : list->entries) {
            if (value) {
                add(name + "=" + *value);
                continue;
            }
            for (auto& entry : expand_bare_entry(environment, service, name))
                add(std::move(entry));
        }
    }
    return out;
}

ErrorOr<config::KeyValueList> parse_env_file(std::string_view text, std::string_view file_name)
{
    config::KeyValueList out;
    size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        size_t newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        size_t first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos || line[first] == '#')
            continue;
        line.remove_prefix(first);
        size_t equals = line.find('=');
        std::string_view name = line.substr(0, equals);
        if (name.empty() || name.find_first_of(" \t") != std::string_view::npos)
            return Error::from_string(std::string(file_name) + ":" + std::to_string(line_number)
                + ": invalid variable name " + go_quote(name));
        if (equals == std::string_view::npos)
            out.entries.emplace_back(std::string(name), std::nullopt);
        else
            out.entries.emplace_back(std::string(name), std::string(line.substr(equals + 1)));
    }
    return out;
}

} // namespace corral::compose
