#pragma once

// The services of this machine, as `ros service` and the boot bring them up:
// the built-in rancher.services of the merged configuration, with `console`
// replaced by the console of rancher.console and `docker` by the engine of
// rancher.docker.engine when those are not the defaults, then every
// services_include entry that is true, loaded from its source (sources.h).
// Each is interpolated with the machine's variables (environment.h) before
// it is typed, as compose does.
//
// Nothing here stops on one bad service: a source that cannot be read, a
// service that cannot be interpolated, are reported and left out, and the
// rest load. A service defined twice keeps the later definition (an include
// may replace a built-in, as a console or an engine replaces `console` or
// `docker`), with a warning.

#include "compose/orchestrator.h"
#include "compose/sources.h"
#include "config/loader.h"

#include <string>
#include <vector>

namespace corral::compose {

struct LoadedProject {
    std::vector<Service> services; // built-ins first, then includes, in key order
    std::vector<std::string> warnings; // unknown keys, unset variables, replaced definitions
    std::vector<std::string> errors; // sources and services left out, and why
    Environment environment; // what interpolation used (for UpOptions)
};

struct ProjectOptions {
    Update update { Update::No };
    std::string kernel_version; // for KERNEL_VERSION; empty: this machine's (uname)
    bool include_services { true }; // false: the built-in services only
};

LoadedProject load_project(
    const config::LoadedConfig& config, const ServiceSources& sources, const ProjectOptions& options = {});

} // namespace corral::compose
