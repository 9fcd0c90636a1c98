#pragma once

// Between the supervisor's start (supervisor_main.cpp) and its loop
// (supervisor_monitor.cpp).

#include "base/fd.h"
#include "runtime/json_log.h"

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace corral::runtime::detail {

struct MonitorSetup {
    std::string run_dir;
    pid_t pid { -1 };
    Fd pidfd;
    Fd listener;
    // With a terminal, `terminal` is the pty master (input and output);
    // otherwise the pipes. Absent ones are invalid Fds.
    Fd terminal;
    Fd stdin_pipe;
    Fd stdout_pipe;
    Fd stderr_pipe;
    std::optional<JsonLogWriter> log;
    std::vector<std::string> cgroup_dirs; // for the OOM count
    bool stdin_once { false };
};

// Serves clients, logs the output, reaps the process and records its exit.
// Returns the supervisor's exit status.
int run_monitor(MonitorSetup setup);

} // namespace corral::runtime::detail
