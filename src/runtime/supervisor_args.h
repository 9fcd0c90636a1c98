#pragma once

// The command line of corral-supervisor and of its second stage,
// corral-supervisor-monitor (supervisor.h): shared so that the stage that
// writes it and the stage that reads it agree.

#include "base/error.h"
#include "runtime/json_log.h"

#include <string>
#include <sys/types.h>
#include <vector>

namespace corral::runtime::detail {

struct SupervisorArguments {
    std::string run_dir;
    int listen_fd { -1 };
    int result_fd { -1 };
    pid_t exec_pid { -1 };
    std::string log_path;
    LogOptions log_options;
    std::vector<std::string> cgroup_dirs;
    bool stdin_once { false };
    // The second stage: what the first one set up. -1 for absent descriptors.
    pid_t pid { -1 };
    int pidfd { -1 };
    int terminal_fd { -1 }, stdin_fd { -1 }, stdout_fd { -1 }, stderr_fd { -1 };
};

// Either stage's flags; `monitor` says which stage is checking for its
// required ones.
ErrorOr<SupervisorArguments> parse_supervisor_arguments(int argc, char** argv, bool monitor);
// Nothing but its process's end ends a supervisor: not a terminal hanging
// up, not a signal meant for a process group, not a client gone. Both stages
// ignore those signals.
void ignore_supervisor_signals();

// The second stage's command line (after argv[0]).
std::vector<std::string> monitor_arguments(const SupervisorArguments& args);

} // namespace corral::runtime::detail
