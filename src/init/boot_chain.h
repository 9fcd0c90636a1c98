#pragma once

// The ordered boot steps of PID 1 (reference §1.2, adapted): each is logged as
// "[i/N] name" on the console; a failed step that the system cannot do without
// ends the chain with its error, and init then offers the recovery console.

#include "base/error.h"
#include "config/paths.h"

#include <string>
#include <vector>

namespace corral::init {

struct BootResult {
    bool recovery { false }; // rancher.recovery: stop before the services
    bool debug { false }; // rancher.debug
    int64_t shutdown_timeout { 60 };
    std::vector<std::string> system_dockerd_args; // the engine's arguments, program name first
    std::string system_docker_log; // where the engine's output goes ("" = the console)
};

struct BootOptions {
    std::string version; // this release, "v0.1.0"
    std::vector<std::string> elided; // init's arguments after "--" (EXTRA_CMDLINE)
};

// Runs the chain. On error the system is as far as the chain got; the caller
// starts the recovery console with the error shown.
ErrorOr<BootResult> run_boot_chain(const BootOptions& options);

} // namespace corral::init
