#pragma once

// The value parsers behind build_container_spec(), shared by its two source
// files. Each returns the problem alone ("expected …, got …"); the caller puts
// the service and key in front.

#include "base/error.h"
#include "compose/container_spec.h"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace corral::compose::detail {

// "<service>.<key>: <problem>", the key path written as the config
// diagnostics write it. `key` is one of ours ("healthcheck.test",
// "volumes[2]"): its dots separate segments.
Error field_error(std::string_view service, std::string_view key, std::string problem);

// Docker's rule for volume and container names: [a-zA-Z0-9][a-zA-Z0-9_.-]+.
bool is_valid_name(std::string_view name);

// The container name of a service of the project, or `name` itself when it
// names no service (a plain container).
std::string container_of(std::string_view name, const SpecContext& context);

struct VolumeEntry {
    bool anonymous { false }; // a lone container path: Config.Volumes
    std::string container_path;
    std::string bind; // "source:target[:mode]" for HostConfig.Binds
};
ErrorOr<VolumeEntry> parse_volume(std::string_view entry, const SpecContext& context);

// "name[:ro|rw]", "service:name[:mode]", "container:name[:mode]" → "container[:mode]".
ErrorOr<std::string> parse_volumes_from(std::string_view entry, const SpecContext& context);

// net/network_mode, pid and ipc values, with service names mapped.
ErrorOr<std::string> namespace_mode(std::string_view mode, const SpecContext& context);

// "host[:container][:perms]" → {PathOnHost, PathInContainer, CgroupPermissions}.
ErrorOr<nlohmann::json> parse_device(std::string_view entry);

// "" / "no" / "always" / "unless-stopped" / "on-failure[:N]" → {Name, MaximumRetryCount}.
ErrorOr<nlohmann::json> parse_restart_policy(std::string_view value);

// A `ports:` entry ([ip:][host:]container[/proto], ranges allowed) when
// `publish`, or an `expose:` entry (container[/proto]) when not, added to
// ExposedPorts and, when published, PortBindings.
ErrorOr<void> add_port(std::string_view entry, bool publish, nlohmann::json& exposed, nlohmann::json& bindings);

} // namespace corral::compose::detail
