// The value parsers of container_spec: volumes, volumes_from, namespace modes,
// devices, restart policies and ports, each as compose v1 and the docker CLI
// read them.

#include "compose/container_spec_internal.h"

#include "base/strings.h"
#include "config/keypath.h"

#include <array>

namespace corral::compose::detail {

using nlohmann::json;

namespace {

bool is_absolute(std::string_view path)
{
    return !path.empty() && path[0] == '/';
}

// Lexically cleans an absolute path: no empty, "." or ".." segments, never
// above the root (as Go's filepath.Clean and Python's normpath do).
std::string clean_absolute(std::string_view path)
{
    std::vector<std::string> segments;
    for (auto const& segment : split(path, '/')) {
        if (segment.empty() || segment == ".")
            continue;
        if (segment == "..") {
            if (!segments.empty())
                segments.pop_back();
            continue;
        }
        segments.push_back(segment);
    }
    return "/" + join(segments, "/");
}

ErrorOr<std::string> resolve_source(std::string_view source, const SpecContext& context)
{
    if (is_absolute(source))
        return std::string(source);
    if (source == "." || source == ".." || source.starts_with("./") || source.starts_with("../")) {
        if (!is_absolute(context.base_directory))
            return Error::from_string("the relative host path " + go_quote(source)
                + " needs the directory of the service's file, and there is none");
        return clean_absolute(context.base_directory + "/" + std::string(source));
    }
    if (source == "~" || source.starts_with("~/")) {
        if (!is_absolute(context.home_directory))
            return Error::from_string(
                "the host path " + go_quote(source) + " needs a home directory, and there is none");
        return clean_absolute(context.home_directory + std::string(source.substr(1)));
    }
    if (source.starts_with("~"))
        return Error::from_string("another user's home directory (" + go_quote(source) + ") is not supported");
    if (!is_valid_name(source))
        return Error::from_string(
            "invalid volume name " + go_quote(source) + " (expected an absolute path or [a-zA-Z0-9][a-zA-Z0-9_.-]+)");
    return std::string(source);
}

ErrorOr<void> check_volume_mode(std::string_view mode)
{
    static constexpr std::array<std::string_view, 2> ACCESS = { "rw", "ro" };
    static constexpr std::array<std::string_view, 6> PROPAGATION
        = { "shared", "rshared", "slave", "rslave", "private", "rprivate" };
    static constexpr std::array<std::string_view, 6> OTHER
        = { "z", "Z", "nocopy", "consistent", "cached", "delegated" };
    auto contains = [](auto const& set, std::string_view item) {
        for (auto known : set) {
            if (known == item)
                return true;
        }
        return false;
    };
    int access = 0;
    int propagation = 0;
    for (auto const& item : split(mode, ',')) {
        if (contains(ACCESS, item))
            ++access;
        else if (contains(PROPAGATION, item))
            ++propagation;
        else if (!contains(OTHER, item))
            return Error::from_string("unknown volume mode " + go_quote(item) + " in " + go_quote(mode));
    }
    if (access > 1 || propagation > 1)
        return Error::from_string("conflicting volume modes " + go_quote(mode));
    return {};
}

bool is_device_permissions(std::string_view perms)
{
    if (perms.empty() || perms.size() > 3)
        return false;
    for (size_t i = 0; i < perms.size(); ++i) {
        if (perms[i] != 'r' && perms[i] != 'w' && perms[i] != 'm')
            return false;
        if (perms.find(perms[i], i + 1) != std::string_view::npos)
            return false;
    }
    return true;
}

struct PortRange {
    int first { 0 };
    int last { 0 };
};

std::optional<PortRange> parse_port_range(std::string_view text)
{
    auto number = [](std::string_view digits) -> std::optional<int> {
        if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string_view::npos)
            return std::nullopt;
        int value = std::stoi(std::string(digits));
        if (value < 1 || value > 65535)
            return std::nullopt;
        return value;
    };
    size_t dash = text.find('-');
    auto first = number(text.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : number(text.substr(dash + 1));
    if (!first || !last || *last < *first)
        return std::nullopt;
    return PortRange { *first, *last };
}

} // namespace

bool is_valid_name(std::string_view name)
{
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
    if (name.size() < 2 || !alnum(name[0]))
        return false;
    for (char c : name) {
        if (!alnum(c) && c != '_' && c != '.' && c != '-')
            return false;
    }
    return true;
}

Error field_error(std::string_view service, std::string_view key, std::string problem)
{
    config::KeyPath path { std::string(service) };
    for (auto& segment : split(key, '.'))
        path.push_back(std::move(segment));
    return Error::from_string(config::format_key_path(path) + ": " + std::move(problem));
}

std::string container_of(std::string_view name, const SpecContext& context)
{
    auto it = context.container_names.find(std::string(name));
    return it == context.container_names.end() ? std::string(name) : it->second;
}

ErrorOr<VolumeEntry> parse_volume(std::string_view entry, const SpecContext& context)
{
    auto parts = split(entry, ':');
    if (parts.size() > 3)
        return Error::from_string("expected [SOURCE:]TARGET[:MODE], got " + go_quote(entry));
    std::string_view target = parts.size() == 1 ? parts[0] : parts[1];
    if (!is_absolute(target))
        return Error::from_string("the container path must be absolute, got " + go_quote(target));
    VolumeEntry out;
    out.container_path = std::string(target);
    if (parts.size() == 1) {
        out.anonymous = true;
        return out;
    }
    out.bind = TRY(resolve_source(parts[0], context)) + ":" + parts[1];
    if (parts.size() == 3) {
        TRY(check_volume_mode(parts[2]));
        out.bind += ":" + parts[2];
    }
    return out;
}

ErrorOr<std::string> parse_volumes_from(std::string_view entry, const SpecContext& context)
{
    enum class Names { Either, Service, Container } names = Names::Either;
    std::string_view rest = entry;
    if (rest.starts_with("service:")) {
        names = Names::Service;
        rest.remove_prefix(8);
    } else if (rest.starts_with("container:")) {
        names = Names::Container;
        rest.remove_prefix(10);
    }
    auto parts = split(rest, ':');
    if (parts.size() > 2 || parts[0].empty())
        return Error::from_string("expected NAME[:ro|:rw], got " + go_quote(entry));
    std::string mode = parts.size() == 2 ? parts[1] : std::string();
    if (parts.size() == 2 && mode != "ro" && mode != "rw")
        return Error::from_string("expected the mode ro or rw, got " + go_quote(mode) + " in " + go_quote(entry));
    std::string const& name = parts[0];
    if (names == Names::Service && !context.container_names.contains(name))
        return Error::from_string("no service " + go_quote(name) + " in the project");
    std::string target = names == Names::Container ? name : container_of(name, context);
    return mode.empty() ? target : target + ":" + mode;
}

ErrorOr<std::string> namespace_mode(std::string_view mode, const SpecContext& context)
{
    if (mode.starts_with("service:")) {
        std::string name(mode.substr(8));
        auto it = context.container_names.find(name);
        if (it == context.container_names.end())
            return Error::from_string("no service " + go_quote(name) + " in the project");
        return "container:" + it->second;
    }
    if (mode.starts_with("container:")) {
        std::string_view name = mode.substr(10);
        if (name.empty())
            return Error::from_string("expected container:NAME, got " + go_quote(mode));
        return "container:" + container_of(name, context);
    }
    return std::string(mode);
}

ErrorOr<json> parse_device(std::string_view entry)
{
    auto parts = split(entry, ':');
    std::string source = parts[0];
    std::string target;
    std::string permissions = "rwm";
    if (parts.size() == 3) {
        target = parts[1];
        permissions = parts[2];
        if (!is_device_permissions(permissions))
            return Error::from_string("expected permissions made of r, w and m, got " + go_quote(permissions));
    } else if (parts.size() == 2) {
        // "host:rw" gives permissions, "host:container" a path, as docker reads it.
        if (is_device_permissions(parts[1]))
            permissions = parts[1];
        else
            target = parts[1];
    } else if (parts.size() != 1) {
        return Error::from_string("expected HOST[:CONTAINER][:PERMISSIONS], got " + go_quote(entry));
    }
    if (target.empty())
        target = source;
    if (!is_absolute(source) || !is_absolute(target))
        return Error::from_string("device paths must be absolute, got " + go_quote(entry));
    return json { { "PathOnHost", source }, { "PathInContainer", target }, { "CgroupPermissions", permissions } };
}

ErrorOr<json> parse_restart_policy(std::string_view value)
{
    auto policy = [](std::string_view name, long long count) {
        return json { { "Name", name }, { "MaximumRetryCount", count } };
    };
    if (value.empty() || value == "no" || value == "false")
        return policy("no", 0);
    if (value == "always" || value == "unless-stopped" || value == "on-failure")
        return policy(value, 0);
    if (value.starts_with("on-failure:")) {
        std::string_view count = value.substr(11);
        if (!count.empty() && count.size() <= 9 && count.find_first_not_of("0123456789") == std::string_view::npos)
            return policy("on-failure", std::stoll(std::string(count)));
    }
    return Error::from_string("expected no, always, unless-stopped or on-failure[:N], got " + go_quote(value));
}

ErrorOr<void> add_port(std::string_view entry, bool publish, json& exposed, json& bindings)
{
    auto invalid = [&](std::string what) { return Error::from_string(std::move(what) + ", got " + go_quote(entry)); };
    std::string_view spec = entry;
    std::string protocol = "tcp";
    if (size_t slash = spec.rfind('/'); slash != std::string_view::npos) {
        protocol = std::string(spec.substr(slash + 1));
        spec = spec.substr(0, slash);
        if (protocol != "tcp" && protocol != "udp" && protocol != "sctp")
            return invalid("expected the protocol tcp, udp or sctp");
    }
    const char* shape = publish ? "expected [IP:][HOST:]CONTAINER[/PROTOCOL] with ports or ranges of 1-65535"
                                : "expected PORT[/PROTOCOL] with a port or range of 1-65535";

    std::string ip;
    std::string_view host;
    std::string_view container = spec;
    if (publish && spec.starts_with('[')) {
        // [IPv6]:host:container
        size_t close = spec.find(']');
        if (close == std::string_view::npos || spec.substr(close + 1, 1) != ":")
            return invalid(shape);
        ip = std::string(spec.substr(1, close - 1));
        auto rest = split(spec.substr(close + 2), ':');
        if (rest.size() != 2)
            return invalid(shape);
        host = spec.substr(close + 2, rest[0].size());
        container = spec.substr(close + 2 + rest[0].size() + 1);
    } else if (publish) {
        auto parts = split(spec, ':');
        if (parts.size() > 3)
            return invalid(shape);
        size_t offset = 0;
        if (parts.size() == 3) {
            ip = parts[0];
            offset = parts[0].size() + 1;
        }
        if (parts.size() >= 2) {
            host = spec.substr(offset, parts[parts.size() - 2].size());
            offset += host.size() + 1;
        }
        container = spec.substr(offset);
    } else if (spec.find(':') != std::string_view::npos) {
        return invalid(shape);
    }

    auto container_range = parse_port_range(container);
    if (!container_range)
        return invalid(shape);
    std::optional<PortRange> host_range;
    if (!host.empty()) {
        host_range = parse_port_range(host);
        if (!host_range)
            return invalid(shape);
    }
    int count = container_range->last - container_range->first;
    bool pairwise = host_range && host_range->last - host_range->first == count;
    if (host_range && !pairwise && count != 0)
        return invalid("the host and container port ranges differ in length");
    for (int i = 0; i <= count; ++i) {
        std::string key = std::to_string(container_range->first + i) + "/" + protocol;
        exposed[key] = json::object();
        if (!publish)
            continue;
        std::string host_port;
        if (pairwise)
            host_port = std::to_string(host_range->first + i);
        else if (host_range) // one container port, any host port of the range
            host_port = std::string(host);
        json& list = bindings[key];
        if (!list.is_array())
            list = json::array();
        list.push_back(json { { "HostIp", ip }, { "HostPort", host_port } });
    }
    return {};
}

} // namespace corral::compose::detail
