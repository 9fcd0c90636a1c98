// corral-supervisor: starts one container (or one exec), reports the start
// to the engine, then supervises it (supervisor_monitor.cpp).

#include "runtime/supervisor.h"
#include "runtime/supervisor_args.h"
#include "runtime/supervisor_internal.h"

#include "base/file.h"
#include "base/system.h"
#include "runtime/cgroup.h"
#include "runtime/executor.h"
#include "runtime/spec_json.h"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace corral::runtime {

namespace {

struct Stdio {
    Fd terminal; // pty master
    Fd stdin_pipe, stdout_pipe, stderr_pipe; // our ends
    Fd child_in, child_out, child_err; // the process's ends
};

ErrorOr<Stdio> make_stdio(const Process& process)
{
    Stdio stdio;
    if (process.terminal) {
        int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
            return Error::from_syscall("open /dev/ptmx");
        stdio.terminal = Fd(master);
        if (::grantpt(master) < 0 || ::unlockpt(master) < 0)
            return Error::from_syscall("unlockpt");
        char name[128];
        if (::ptsname_r(master, name, sizeof name) != 0)
            return Error::from_syscall("ptsname");
        stdio.child_in = TRY(sys::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
        return stdio;
    }
    auto [out_read, out_write] = TRY(sys::pipe());
    auto [err_read, err_write] = TRY(sys::pipe());
    stdio.stdout_pipe = std::move(out_read);
    stdio.child_out = std::move(out_write);
    stdio.stderr_pipe = std::move(err_read);
    stdio.child_err = std::move(err_write);
    if (process.open_stdin) {
        auto [in_read, in_write] = TRY(sys::pipe());
        stdio.child_in = std::move(in_read);
        stdio.stdin_pipe = std::move(in_write);
    }
    return stdio;
}

ErrorOr<void> join_cgroups(const std::vector<std::string>& dirs, pid_t pid)
{
    for (auto const& dir : dirs)
        TRY(join_cgroup(dir, pid));
    return {};
}

ErrorOr<detail::MonitorSetup> start(const detail::SupervisorArguments& args)
{
    std::string spec_path = path_join(args.run_dir, SUPERVISOR_SPEC_NAME);
    std::string text = TRY(read_file(spec_path, MAX_SPEC_JSON_SIZE));
    Spec spec = TRY_CONTEXT(spec_from_json(text), spec_path);

    detail::MonitorSetup setup;
    setup.run_dir = args.run_dir;
    setup.listener = Fd(args.listen_fd);
    setup.cgroup_dirs = args.cgroup_dirs;
    setup.stdin_once = args.stdin_once;
    if (!args.log_path.empty())
        setup.log = TRY(JsonLogWriter::open(args.log_path, args.log_options));

    Stdio stdio = TRY(make_stdio(spec.process));
    StdioFds fds;
    if (spec.process.terminal) {
        fds = { stdio.child_in.get(), stdio.child_in.get(), stdio.child_in.get() };
    } else {
        fds = { stdio.child_in.get(), stdio.child_out.get(), stdio.child_err.get() };
    }
    StartHooks hooks;
    hooks.before_setup = [&](pid_t pid) { return join_cgroups(args.cgroup_dirs, pid); };
    Started started = args.exec_pid > 0 ? TRY(exec_in_container(args.exec_pid, spec, spec.process, fds, hooks))
                                        : TRY(start_container(spec, fds, hooks));
    setup.pid = started.pid;
    setup.pidfd = std::move(started.pidfd);
    setup.terminal = std::move(stdio.terminal);
    setup.stdin_pipe = std::move(stdio.stdin_pipe);
    setup.stdout_pipe = std::move(stdio.stdout_pipe);
    setup.stderr_pipe = std::move(stdio.stderr_pipe);
    return setup;
}

void report(int fd, const std::string& text)
{
    (void)sys::write_all(fd, text);
    ::close(fd);
}

// Execs the second stage, corral-supervisor-monitor beside this program
// (supervisor_monitor_main.cpp); returns only if that fails, and then this
// process supervises the container itself.
void exec_monitor(detail::SupervisorArguments args, detail::MonitorSetup& setup)
{
    char self[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        return;
    std::string program = path_join(path_dirname(std::string(self, static_cast<size_t>(n))), "corral-supervisor-monitor");
    for (Fd* fd : { &setup.listener, &setup.pidfd, &setup.terminal, &setup.stdin_pipe, &setup.stdout_pipe, &setup.stderr_pipe }) {
        if (fd->valid())
            ::fcntl(fd->get(), F_SETFD, 0);
    }
    args.pid = setup.pid;
    args.listen_fd = setup.listener.get();
    args.pidfd = setup.pidfd.get();
    args.terminal_fd = setup.terminal.get();
    args.stdin_fd = setup.stdin_pipe.get();
    args.stdout_fd = setup.stdout_pipe.get();
    args.stderr_fd = setup.stderr_pipe.get();
    std::vector<std::string> strings = detail::monitor_arguments(args);
    // ps shows the long-lived process as what it is.
    strings.insert(strings.begin(), "corral-supervisor");
    std::vector<char*> argv;
    for (auto& arg : strings)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    setup.log.reset(); // the second stage reopens it
    char* envp[] = { nullptr };
    ::execve(program.c_str(), argv.data(), envp);
    std::fprintf(stderr, "corral-supervisor: exec %s: %s; supervising without it\n", program.c_str(), std::strerror(errno));
    for (Fd* fd : { &setup.listener, &setup.pidfd, &setup.terminal, &setup.stdin_pipe, &setup.stdout_pipe, &setup.stderr_pipe }) {
        if (fd->valid())
            ::fcntl(fd->get(), F_SETFD, FD_CLOEXEC);
    }
}

} // namespace

int supervisor_main(int argc, char** argv)
{
    detail::ignore_supervisor_signals();
    auto args = detail::parse_supervisor_arguments(argc, argv, false);
    if (args.is_error()) {
        std::fprintf(stderr, "corral-supervisor: %s\n", args.error().message().c_str());
        return 2;
    }
    auto setup = start(*args);
    if (setup.is_error()) {
        auto const& error = setup.error();
        report(args->result_fd, "err " + std::to_string(error.code()) + " " + error.message());
        return 1;
    }
    report(args->result_fd, "ok " + std::to_string(setup->pid) + " " + std::to_string(::getpid()));
    exec_monitor(*args, *setup);
    if (!args->log_path.empty()) {
        if (auto log = JsonLogWriter::open(args->log_path, args->log_options))
            setup->log = log.release_value();
    }
    return detail::run_monitor(setup.release_value());
}

} // namespace corral::runtime
