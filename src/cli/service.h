#pragma once

// `ros service` (alias `s`, reference §2.1): which services are enabled
// (enable, disable, delete, list; service_config.cpp) and their containers
// (up, create, start, stop, restart, rm, kill, logs, ps, pull, down;
// service_containers.cpp). The system engine is reached at
// $ROS_ROOT/var/run/system-docker.sock, the user engine at
// $ROS_ROOT/var/run/docker.sock. Every verb but list and ps needs at least
// one service.

#include "config/paths.h"

#include <string>
#include <vector>

namespace corral::cli {

struct ServiceOptions {
    std::vector<std::string> names;
    bool update { false }; // -u: refresh cached remote files
    bool all { false }; // list -a: the built-in services too
    bool quiet { false }; // ps -q
    bool force { false }; // rm -f
    bool volumes { false }; // rm -v, down -v
    bool follow { false }; // logs -f
    int lines { 100 }; // logs --lines
    int timeout { 10 }; // stop/restart -t
    std::string signal { "SIGKILL" }; // kill -s
    bool force_recreate { false }; // up/create --force-recreate
    bool no_recreate { false }; // up/create --no-recreate
    bool ignore_pull_failures { false }; // pull --ignore-pull-failures
};

int service_enable(const config::Paths& paths, const ServiceOptions& options);
int service_disable(const config::Paths& paths, const ServiceOptions& options);
int service_delete(const config::Paths& paths, const ServiceOptions& options);
int service_list(const config::Paths& paths, const ServiceOptions& options);

int service_up(const config::Paths& paths, const ServiceOptions& options);
int service_create(const config::Paths& paths, const ServiceOptions& options);
int service_start(const config::Paths& paths, const ServiceOptions& options);
int service_stop(const config::Paths& paths, const ServiceOptions& options);
int service_restart(const config::Paths& paths, const ServiceOptions& options);
int service_rm(const config::Paths& paths, const ServiceOptions& options);
int service_kill(const config::Paths& paths, const ServiceOptions& options);
int service_logs(const config::Paths& paths, const ServiceOptions& options);
int service_ps(const config::Paths& paths, const ServiceOptions& options);
int service_pull(const config::Paths& paths, const ServiceOptions& options);
int service_down(const config::Paths& paths, const ServiceOptions& options);

} // namespace corral::cli
