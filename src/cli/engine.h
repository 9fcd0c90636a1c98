#pragma once

// `ros engine` (reference §2.1): the user Docker engine the `docker` service
// runs. list shows each engine the repositories offer as current (configured
// and running), enabled (configured, for the next boot) or disabled; enable
// fetches an engine's image and configures it for the next boot; switch
// also replaces the running engine now, and restores the previous setting if
// the new one does not come up.

#include "config/paths.h"

#include <string>

namespace corral::cli {

struct EngineSwitchOptions {
    bool update { false }; // -u: fetch the engine's definition again
    bool no_pull { false }; // --no-pull: the image is there already
};

int engine_list(const config::Paths& paths, bool update);
int engine_enable(const config::Paths& paths, const std::string& engine, bool update);
int engine_switch(const config::Paths& paths, const std::string& engine, const EngineSwitchOptions& options);

} // namespace corral::cli
