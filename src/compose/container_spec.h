#pragma once

// From a service definition to the request that creates its container: the
// body of Docker Engine API v1.41 `POST /containers/create` and the name to
// create it under. This is the whole of what compose decides about a
// container, kept free of any daemon so that it can be tested exactly and so
// that `up` can tell, by the definition hash it stamps on the container,
// whether an existing container still matches its definition.
//
// The input is a service after interpolation (interpolate.h) and decoding
// (config/model.h). The mapping is compose v1's as libcompose did it for
// RancherOS, with these choices:
//   - a string `command:` or `entrypoint:` is split into words as a shell
//     would (shell_words.h), never run through `sh -c`;
//   - `net:` and `network_mode:` are the same setting; both given with
//     different values is an error; unset is "default";
//   - names of other services in volumes_from, links, net/pid/ipc
//     `container:x` and `service:x` become those services' container names
//     (SpecContext::container_names); `container:x` naming no service is a
//     container name as is, `service:x` naming no service is an error;
//   - volumes: "/a:/b[:mode]" and "name:/b[:mode]" (a named volume) are binds,
//     "./a" and "../a" resolve against SpecContext::base_directory and "~/a"
//     against SpecContext::home_directory (both as compose does), and a lone
//     "/b" is an anonymous volume (Config.Volumes);
//   - `logging:` wins over the v1 `log_driver:`/`log_opt:`;
//   - `ports:` and `expose:` give ExposedPorts and PortBindings as
//     `docker run -p/--expose` would.
//
// Every error (EINVAL) names the service and the key, and quotes the value:
//   console.restart: expected no, always, unless-stopped or on-failure[:N], got "sometimes"
//   console.volumes[2]: the container path must be absolute, got "data"

#include "base/error.h"
#include "compose/environment.h"
#include "config/model.h"

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace corral::compose {

// What every service of one project shares.
struct SpecContext {
    std::string project; // io.docker.compose.project ("os" for RancherOS's system services)
    // rancher.environment with RancherOS's additions (rancher_environment()),
    // for the bare names in `environment:`.
    Environment environment;
    // The services of the project → their container names (container_name()).
    std::map<std::string, std::string> container_names;
    // The directory of the file the service came from, absolute; needed only
    // when a volume's host path is relative.
    std::string base_directory;
    // The home directory "~" stands for; needed only when a host path uses it.
    std::string home_directory;
};

struct ContainerSpec {
    std::string name; // the container name: the `name` query parameter of the create call
    nlohmann::json body; // the create body, with every label including the hash
    std::string config_hash; // 64 lowercase hex digits, also in body.Labels
};

// `container_name:` when set, else the service name: RancherOS names system
// containers after their services (§4.3).
std::string container_name(std::string_view service_name, const config::ServiceConfig& service);

// Builds the create request of one service. `env_files` holds the entries of
// the service's `env_file:` files, read and parsed by the caller
// (parse_env_file()); they come before `environment:`, which overrides them.
//
// Labels are the service's own labels (the last of a repeated label wins)
// plus io.docker.compose.project, io.docker.compose.service and
// io.docker.compose.config-hash, which override any of the same name.
ErrorOr<ContainerSpec> build_container_spec(std::string_view service_name, const config::ServiceConfig& service,
    const SpecContext& context, const config::KeyValueList& env_files = {});

// The definition hash: SHA-256, in hex, of the container name and the create
// body (which must not hold the hash label yet), written as canonical JSON
// (keys sorted, no spaces). Everything the container is made from is in the
// body, so a change to any of it changes the hash; YAML key order, comments,
// spelling of the same value (`"true"` and `true`), or which config layer
// a setting came from do not. Fails (EINVAL) only on text that is not UTF-8.
ErrorOr<std::string> definition_hash(const nlohmann::json& body, std::string_view container_name);

} // namespace corral::compose
