#pragma once

// Service files: the compose files that define services outside
// rancher.services (reference §4.5), from `services_include`, `ros service
// enable`, a console or an engine. A file may define several services, in
// either of two forms:
//
//   compose v1 (what the RancherOS repositories hold):
//     ntp-extra:
//       image: busybox
//       labels: { io.rancher.os.scope: system }
//
//   compose v2 (or 3), recognised by a top-level scalar `version:`:
//     version: "2"
//     services:
//       ntp-extra: { image: busybox }
//
// Reading a file is split in two, because compose interpolates `${VAR}` in
// the raw text values before they are typed: parse_service_file() gives each
// service's raw definition, the orchestrator interpolates it
// (interpolate_service()), and decode_service() types and validates it.
// decode_services() does both for a whole file.

#include "base/error.h"
#include "compose/environment.h"
#include "config/diagnostic.h"
#include "config/model.h"
#include "config/node.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace corral::compose {

struct ServiceFile {
    // The name used in messages and in every Mark: the path or URL it came from.
    std::string source;
    // Each service's definition, the map under its name, as written (not yet
    // interpolated), with marks pointing into the file.
    std::map<std::string, config::Node> definitions;
    // Problems with the file's layout that leave out one part and keep the rest:
    // a service whose definition is not a map or whose name Docker would refuse
    // (errors; the service is left out), top-level keys of the v2 form other
    // than `version` and `services` (warnings; ignored).
    config::Diagnostics diagnostics;
};

// Parses the text of a service file. `source` names it in messages. Errors
// (EINVAL) are for a file that cannot be read as services at all:
//   malformed YAML          "<source>:3:7: <what yaml-cpp says>"
//   not a map               "<source>:1:1: expected a map of services, got a list"
//   an unknown v2 version   "<source>:1:10: unsupported compose file version \"4\" (expected 2 or 3)"
// An empty file is a file with no services.
ErrorOr<ServiceFile> parse_service_file(std::string_view text, const std::string& source);

// Whether Docker accepts `name` as a container name, which a service name
// becomes: [A-Za-z0-9][A-Za-z0-9_.-]*.
bool is_valid_service_name(std::string_view name);

// Types and validates one (already interpolated) service definition. Problems
// are appended to `diagnostics`, each with its file position and a key path
// that starts with the service name:
//   "web.yml:4:5: web.imagee: unknown key"                 (a Warning)
//   "web.yml:5:17: web.privileged: expected a boolean, got \"maybe\""  (an Error)
// A value with an Error is left at its default, as the config loader does.
config::ServiceConfig decode_service(
    const config::Node& definition, std::string_view name, config::Diagnostics& diagnostics);

struct DecodedServices {
    std::map<std::string, config::ServiceConfig> services;
    // decode_service()'s findings for every service (not the file's own
    // diagnostics, which stay in ServiceFile).
    config::Diagnostics diagnostics;
    // Services that could not be interpolated, left out of `services`; each
    // message names the place ("web.yml:3:12: web.image: unterminated ...").
    std::vector<Error> errors;
    // Variables used without a default and not set, which became "" (compose
    // warns about these too): "web: variable TAG is not set; using \"\"".
    std::vector<std::string> warnings;
};

// Interpolates each service of `file` with the variables `environment` gives it
// (lookup_variable(): "<service>/NAME" before "NAME") and decodes it.
DecodedServices decode_services(const ServiceFile& file, const Environment& environment);

} // namespace corral::compose
