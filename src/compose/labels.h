#pragma once

// The labels through which a RancherOS service tells the orchestrator how to
// treat it (reference §4.3). They are plain container labels, so they also
// land on the container, where `ros service` and a later boot read them back;
// this file gives them names and types in one place.
//
// Values are checked here rather than taken the RancherOS way ("anything but
// the exact string false means detach"): a typo such as `detach: flase` or
// `scope: System` silently changed what a service did there. Here it is an
// error that names the service and the label.

#include "base/error.h"
#include "config/values.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::compose {

// RancherOS's labels.
inline constexpr std::string_view SCOPE_LABEL = "io.rancher.os.scope";
inline constexpr std::string_view AFTER_LABEL = "io.rancher.os.after";
inline constexpr std::string_view BEFORE_LABEL = "io.rancher.os.before";
inline constexpr std::string_view DETACH_LABEL = "io.rancher.os.detach";
inline constexpr std::string_view CREATE_ONLY_LABEL = "io.rancher.os.createonly";
inline constexpr std::string_view RELOAD_CONFIG_LABEL = "io.rancher.os.reloadconfig";
inline constexpr std::string_view CONSOLE_LABEL = "io.rancher.os.console";
inline constexpr std::string_view REBUILD_LABEL = "io.docker.compose.rebuild";

// The bookkeeping labels compose puts on every container it creates.
inline constexpr std::string_view PROJECT_LABEL = "io.docker.compose.project";
inline constexpr std::string_view SERVICE_LABEL = "io.docker.compose.service";
inline constexpr std::string_view CONFIG_HASH_LABEL = "io.docker.compose.config-hash";

// The value of SCOPE_LABEL that sends a service to the system engine.
inline constexpr std::string_view SYSTEM_SCOPE = "system";

enum class Scope {
    System, // the system engine (/var/run/system-docker.sock)
    User, // the user Docker; the service depends on the `docker` service
};

// io.docker.compose.rebuild
enum class Rebuild {
    OnChange, // unset, "" or "true": recreate when the definition or image changed
    Always, // "always": recreate on every up
    Never, // "false": never recreate on a change, only warn
};

struct ServiceLabels {
    Scope scope { Scope::User };
    std::vector<std::string> after; // services this one starts after
    std::vector<std::string> before; // services that start after this one
    // false: a one-shot step; `up` waits for it to exit and fails its
    // dependants on a non-zero status.
    bool detach { true };
    bool create_only { false }; // create the container, never start it
    // After it starts, re-read the configuration and add the services that
    // have become available (those needing the network, after `network`).
    bool reload_config { false };
    Rebuild rebuild { Rebuild::OnChange };
    std::string console; // io.rancher.os.console, "" when unset
};

// A label's value: the last one given (Docker keeps the last of duplicates),
// "" for a label written without a value, nullopt when absent.
std::optional<std::string> label_value(const config::KeyValueList& labels, std::string_view name);

// Scope without validation: System exactly when the label is "system".
Scope scope_of(const config::KeyValueList& labels);

// A comma-separated service list label (after, before): items trimmed, empty
// items skipped, and `cloud-init` read as `cloud-init-execute` (RancherOS's
// alias from the time the two were one service).
std::vector<std::string> service_list_label(const config::KeyValueList& labels, std::string_view name);

// Reads and checks every label above. Booleans accept true/false and YAML's
// yes/no/on/off; "" means the default. Errors (EINVAL) name the service and the
// label: `console.labels."io.rancher.os.detach": expected true or false, got "flase"`.
// Accepted: scope "system", "user" or ""; rebuild "always", "false", "true" or "".
ErrorOr<ServiceLabels> parse_labels(const config::KeyValueList& labels, std::string_view service_name);

enum class RecreateDecision {
    Keep, // the container is in sync, or may not be recreated
    Recreate,
    KeepOutOfSync, // out of sync but `rebuild: false`: keep it, and warn
};

// Whether `up` recreates an existing container, as RancherOS decides it
// (shouldRebuild, §4.3):
//   - rebuild "always": always;
//   - the `console` service with rancher.force_console_rebuild: always;
//   - otherwise only when out of sync (its definition hash or its image
//     changed): the `console` service only if its io.rancher.os.console label
//     changed; another service unless the label is "false" on both the wanted
//     definition and the existing container.
// `existing_labels` are the labels of the container as it is.
RecreateDecision decide_recreate(std::string_view service_name, const ServiceLabels& wanted,
    const std::map<std::string, std::string>& existing_labels, bool out_of_sync, bool force_console_rebuild);

} // namespace corral::compose
