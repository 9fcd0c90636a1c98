#pragma once

// A service's environment, resolved the RancherOS way (reference §9.4).
//
// rancher.environment is the machine's variable table: compose `${VAR}`
// interpolation reads it, and so do the bare names in a service's
// `environment:` list, which is how the console and docker services receive
// the proxy settings without the service files naming any value:
//     environment: [HTTP_PROXY, HTTPS_PROXY, NO_PROXY]
// A variable may be set for one service only by prefixing it with the service
// name: `console/FOO` is seen as FOO by the console and by nobody else, and is
// preferred there over a plain FOO.
//
// Differences from RancherOS, on purpose:
//   - a wildcard (`HTTP*`) expands in name order, not Go's random map order, so
//     that the container's environment, and so its definition hash, is stable;
//   - a wildcard never picks up another service's `other/NAME` variables
//     (RancherOS stripped the prefix and passed them on);
//   - a name given twice keeps its first position and its last value, the
//     meaning compose gives it; RancherOS passed both and the program saw the
//     first.

#include "base/error.h"
#include "compose/interpolate.h"
#include "config/model.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::compose {

// Variable name → value, as rancher.environment holds it.
using Environment = std::map<std::string, std::string>;

// rancher.environment plus what RancherOS adds to it: the proxy settings of
// rancher.network (http_proxy and HTTP_PROXY, https_proxy and HTTPS_PROXY,
// no_proxy and NO_PROXY, each pair only when set) and KERNEL_VERSION when
// `kernel_version` is not empty (the caller reads it from /proc/version).
// These replace values of the same names in rancher.environment.
Environment rancher_environment(const config::RancherConfig& rancher, std::string_view kernel_version);

// One variable as `service` sees it: "<service>/<name>" if set, else "<name>".
std::optional<std::string> lookup_variable(
    const Environment& environment, std::string_view service, std::string_view name);

// A Lookup for interpolate() that reads lookup_variable(). It refers to
// `environment`, which must outlive it.
Lookup variable_lookup(const Environment& environment, std::string service);

// What one bare `environment:` entry of `service` brings in, as "NAME=value"
// strings:
//   - "NAME": the variable as lookup_variable() finds it; nothing when unset
//     (RancherOS drops it rather than passing an empty value);
//   - "PREFIX*": every variable whose name starts with PREFIX, in name order.
//     The service's own "<service>/PREFIX…" variables are used when there is
//     at least one (with the prefix removed), else the unprefixed ones.
std::vector<std::string> expand_bare_entry(
    const Environment& environment, std::string_view service, std::string_view entry);

// A service's final environment, "NAME=value" strings in order: the entries of
// its env files (already read and parsed, in file order), then those of
// `environment:`. "NAME=value" entries are kept as written (the value may be
// empty); bare entries are expanded by expand_bare_entry(). A name that comes
// back more than once keeps its first position and takes its last value.
std::vector<std::string> resolve_environment(const config::KeyValueList& service_environment, std::string_view service,
    const Environment& environment, const config::KeyValueList& env_files = {});

// Parses the text of an env file (`env_file:`), as docker --env-file reads
// one: lines are "NAME=value" (the value verbatim, quotes included) or a bare
// "NAME"; leading whitespace is ignored, and so are empty lines and lines
// starting with "#". A name that is empty or holds whitespace is an error
// (EINVAL) naming the file and line: `app.env:3: invalid variable name "A B"`.
ErrorOr<config::KeyValueList> parse_env_file(std::string_view text, std::string_view file_name);

} // namespace corral::compose
