// corral-supervisor-monitor: the supervisor's second stage. The first
// stage (supervisor_main.cpp) starts the container and execs this program
// with the descriptors it made; the container stays our child across the
// exec. What goes is every page the start touched (the executor, libseccomp,
// the spec's JSON): this program holds only the loop, so a supervisor keeps
// under a megabyte for as long as its container runs.

#include "runtime/supervisor.h"
#include "runtime/supervisor_args.h"
#include "runtime/supervisor_internal.h"

#include <csignal>
#include <cstdio>
#include <fcntl.h>

namespace corral::runtime {

namespace {

// Adopts an inherited descriptor, close-on-exec again from here on.
Fd adopt(int fd)
{
    if (fd < 0)
        return {};
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    return Fd(fd);
}

} // namespace

int supervisor_monitor_main(int argc, char** argv)
{
    detail::ignore_supervisor_signals();
    auto parsed = detail::parse_supervisor_arguments(argc, argv, true);
    if (parsed.is_error()) {
        std::fprintf(stderr, "corral-supervisor-monitor: %s\n", parsed.error().message().c_str());
        return 2;
    }
    auto const& args = *parsed;
    detail::MonitorSetup setup;
    setup.run_dir = args.run_dir;
    setup.pid = args.pid;
    setup.pidfd = adopt(args.pidfd);
    setup.listener = adopt(args.listen_fd);
    setup.terminal = adopt(args.terminal_fd);
    setup.stdin_pipe = adopt(args.stdin_fd);
    setup.stdout_pipe = adopt(args.stdout_fd);
    setup.stderr_pipe = adopt(args.stderr_fd);
    setup.cgroup_dirs = args.cgroup_dirs;
    setup.stdin_once = args.stdin_once;
    if (!args.log_path.empty()) {
        auto log = JsonLogWriter::open(args.log_path, args.log_options);
        if (log.is_error())
            std::fprintf(stderr, "corral-supervisor-monitor: log: %s\n", log.error().message().c_str());
        else
            setup.log = log.release_value();
    }
    return detail::run_monitor(std::move(setup));
}

} // namespace corral::runtime
