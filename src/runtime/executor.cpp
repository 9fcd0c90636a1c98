// start_container and exec_in_container: the plan made in the caller, the
// fork, the sync channel and the report pipe, and the child's sequence of steps up to
// exec. See executor.h for the shape of a start.

#include "runtime/executor.h"

#include "runtime/child_report.h"
#include "runtime/executor_internal.h"

#include "base/file.h"
#include "base/linux_syscalls.h"
#include "base/system.h"

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace corral::runtime {

namespace {

using namespace detail;

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

enum class Mode {
    Start,
    Exec,
};

// Everything the child needs, made in the caller so that bad input fails
// before anything exists.
struct ChildPlan {
    Mode mode { Mode::Start };
    const Spec* spec { nullptr };
    const Process* process { nullptr };
    std::vector<NamespaceJoin> joins;
    int unshare_flags { 0 }; // new namespaces the container process makes itself (all but PID)
    bool new_pid { false };
    bool join_pid { false };
    std::vector<PreparedMount> mounts;
    OverlayData overlay;
    std::string rootfs_parent_mount;
    CapabilitySets caps;
    int last_cap { 0 };
    std::vector<sock_filter> seccomp;
    std::string init_binary; // empty: no init
    Fd null_fd;
    int stdio[3] { -1, -1, -1 };
    int report_fd { -1 };
    int sync_fd { -1 };

    // A PID namespace is entered by a process's children only: the first
    // child joins or creates it for the second (setns, clone3).
    bool double_fork() const { return new_pid || join_pid; }
};

// Kills and reaps a child unless released: no error path leaves a process.
class ChildGuard {
public:
    explicit ChildGuard(pid_t pid = -1)
        : m_pid(pid)
    {
    }
    ~ChildGuard() { kill_and_reap(); }
    ChildGuard(const ChildGuard&) = delete;
    ChildGuard& operator=(const ChildGuard&) = delete;

    void reset(pid_t pid)
    {
        kill_and_reap();
        m_pid = pid;
    }
    void release() { m_pid = -1; }
    // Waits for a child that is about to exit by itself.
    void reap()
    {
        if (m_pid <= 0)
            return;
        int status;
        while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) { }
        m_pid = -1;
    }
    void kill_and_reap()
    {
        if (m_pid <= 0)
            return;
        (void)::kill(m_pid, SIGKILL); // it may be gone already; waitpid reaps it either way
        reap();
    }

private:
    pid_t m_pid;
};

// ---- In the child ----

// The report of an error: its message without the strerror() suffix, which
// the parent adds back from the errno.
[[noreturn]] void report_and_exit(int fd, const Error& error)
{
    std::string text = error.message();
    std::string suffix = std::string(": ") + std::strerror(error.code());
    bool is_errno = text.ends_with(suffix);
    if (is_errno)
        text.resize(text.size() - suffix.size());
    write_report(fd, failure_report(error.code(), is_errno, text.c_str()));
    ::_exit(127);
}

// A descriptor the child holds, moved above 2 so that setting up 0-2 cannot
// overwrite it (the caller may run with 0-2 closed).
ErrorOr<int> above_stdio(int fd)
{
    if (fd < 0 || fd > STDERR_FILENO)
        return fd;
    int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    if (moved < 0)
        return Error::from_syscall("fcntl F_DUPFD_CLOEXEC");
    return moved;
}

ErrorOr<void> setup_stdio(ChildPlan& plan)
{
    plan.report_fd = TRY(above_stdio(plan.report_fd));
    plan.sync_fd = TRY(above_stdio(plan.sync_fd));
    for (auto& join : plan.joins)
        join.fd.reset(TRY(above_stdio(join.fd.release())));
    int sources[3];
    for (int i = 0; i < 3; ++i)
        sources[i] = TRY(above_stdio(plan.stdio[i] >= 0 ? plan.stdio[i] : plan.null_fd.get()));
    // dup2 clears close-on-exec on 0-2, which is what the container gets.
    for (int target = 0; target < 3; ++target) {
        if (::dup2(sources[target], target) < 0)
            return Error::from_syscall("dup2 stdio");
    }
    // Whatever else the caller left open without O_CLOEXEC must not reach
    // the container (Linux 5.11).
    (void)sys::raw_close_range(3U, ~0U, CLOSE_RANGE_CLOEXEC); // old kernels: every fd of ours is CLOEXEC anyway
    return {};
}

void reset_signals()
{
    struct sigaction default_action { };
    default_action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP)
            (void)::sigaction(sig, &default_action, nullptr); // fails only for numbers the C library keeps
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

// From <linux/sched.h>, which clashes with <sched.h>.
struct CloneArgs {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

// The first child of a double fork: enters the PID namespace for its child
// (the container process), which CLONE_PARENT makes the caller's child, so
// that the caller can wait for it. Returns in the container process only.
ErrorOr<void> fork_into_pid_namespace(ChildPlan& plan)
{
    if (plan.join_pid)
        TRY(join_namespaces(plan.joins, NamespaceType::Pid));
    CloneArgs args {};
    args.flags = CLONE_PARENT | (plan.new_pid ? CLONE_NEWPID : 0);
    args.exit_signal = 0; // with CLONE_PARENT the caller gets the signal this process would
    long pid = sys::raw_clone3(&args, sizeof args);
    if (pid < 0)
        return Error::from_syscall(plan.new_pid ? "clone a new pid namespace" : "clone into the pid namespace");
    if (pid > 0) {
        ChildReport report;
        report.kind = ReportKind::Pid;
        report.value = static_cast<int32_t>(pid);
        write_report(plan.report_fd, report);
        ::_exit(0);
    }
    return {};
}

ErrorOr<void> set_hostname(const Spec& spec)
{
    if (spec.hostname.empty() && spec.domainname.empty())
        return {};
    if (!has_new_namespace(spec, NamespaceType::Uts))
        return Error::from_string("cannot set the hostname without a UTS namespace of the container's own");
    if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) < 0)
        return Error::from_syscall("sethostname \"" + spec.hostname + "\"");
    if (!spec.domainname.empty() && ::setdomainname(spec.domainname.data(), spec.domainname.size()) < 0)
        return Error::from_syscall("setdomainname \"" + spec.domainname + "\"");
    return {};
}

[[noreturn]] void exec_process(ChildPlan& plan);

// The container process, from the fork to exec. Returns only with an error.
ErrorOr<void> child_steps(ChildPlan& plan)
{
    reset_signals();
    TRY(setup_stdio(plan));
    if (plan.double_fork())
        TRY(fork_into_pid_namespace(plan));

    // Wait until the caller's before_setup has run; end of file means it
    // gave up, and there is nobody left to report to.
    char go = 0;
    ssize_t n;
    do {
        n = ::read(plan.sync_fd, &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1)
        ::_exit(1);
    ::close(plan.sync_fd);

    auto const& spec = *plan.spec;
    auto const& process = *plan.process;
    TRY(join_namespaces(plan.joins));
    // The cgroup namespace is made here, after before_setup put this process
    // into its cgroup, so that its root is the container's cgroup.
    if (plan.unshare_flags && ::unshare(plan.unshare_flags) < 0)
        return Error::from_syscall("unshare namespaces");
    if (::setsid() < 0)
        return Error::from_syscall("setsid");
    if (process.terminal && ::ioctl(STDIN_FILENO, TIOCSCTTY, 0) < 0)
        return Error::from_syscall("make the terminal the controlling terminal");
    if (process.oom_score_adj)
        TRY(apply_oom_score_adj(*process.oom_score_adj));

    if (plan.mode == Mode::Start) {
        ::umask(0); // device nodes and mount points get exactly their modes
        RootfsInput rootfs;
        rootfs.spec = &spec;
        rootfs.mounts = &plan.mounts;
        rootfs.overlay = plan.overlay;
        rootfs.rootfs_parent_mount = plan.rootfs_parent_mount;
        rootfs.console_fd = process.terminal ? STDIN_FILENO : -1;
        rootfs.init_binary = plan.init_binary;
        TRY(setup_rootfs(rootfs));
        TRY(set_hostname(spec));
        TRY(apply_sysctls(spec.sysctls));
        TRY(finish_rootfs(spec));
        ::umask(022);
    }

    // Credentials. Without no_new_privileges, loading a filter needs
    // CAP_SYS_ADMIN, so it is loaded before the capabilities go; everything
    // after it (setgroups, setres[ug]id, capset, prctl, chdir, execve) is in
    // Docker's allowlist. With no_new_privileges it is loaded last, just
    // before execve, as runc does.
    TRY(apply_rlimits(process.rlimits));
    TRY(drop_bounding_set(plan.caps, plan.last_cap));
    if (!process.no_new_privileges)
        TRY(load_seccomp(plan.seccomp));
    TRY(switch_user(process.user));
    TRY(apply_capabilities(plan.caps, plan.last_cap));
    // After the change of user, as runc: the user must be able to reach it.
    if (!process.cwd.empty() && ::chdir(process.cwd.c_str()) < 0)
        return Error::from_syscall("chdir \"" + process.cwd + "\"");
    if (process.no_new_privileges) {
        TRY(set_no_new_privileges());
        TRY(load_seccomp(plan.seccomp));
    }
    exec_process(plan);
}

[[noreturn]] void exec_process(ChildPlan& plan)
{
    auto const& process = *plan.process;
    std::vector<std::string> env = process.env;
    std::vector<std::string> args;
    const char* path = process.args[0].c_str();
    if (!plan.init_binary.empty()) {
        // corral-init reports a failed exec of the real process through the
        // same pipe, so the caller still learns `exec "x": …`.
        if (::fcntl(plan.report_fd, F_SETFD, 0) < 0)
            report_and_exit(plan.report_fd, Error::from_syscall("fcntl F_SETFD"));
        env.push_back(std::string(INIT_REPORT_FD_ENV) + "=" + std::to_string(plan.report_fd));
        args = { "corral-init", "--" };
        path = INIT_PATH_IN_CONTAINER;
    }
    args.insert(args.end(), process.args.begin(), process.args.end());
    std::vector<char*> argv;
    for (auto& arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& entry : env)
        envp.push_back(entry.data());
    envp.push_back(nullptr);
    // execvpe() searches the PATH of environ, not of envp: the container's
    // environment becomes ours first.
    environ = envp.data();
    ::execvpe(path, argv.data(), envp.data());
    report_and_exit(plan.report_fd, Error::from_syscall(std::string("exec \"") + path + "\""));
}

[[noreturn]] void child_main(ChildPlan& plan)
{
    ErrorOr<void> result;
    try {
        result = child_steps(plan);
    } catch (const std::exception& e) {
        result = Error::from_string(std::string("container setup: ") + e.what(), ENOMEM);
    } catch (...) {
        result = Error::from_string("container setup: unknown exception");
    }
    report_and_exit(
        plan.report_fd, result.is_error() ? result.error() : Error::from_string("container setup returned"));
}

// ---- In the caller ----

// One record, or nothing at end of file.
ErrorOr<std::optional<ChildReport>> read_report(int fd)
{
    ChildReport report;
    size_t got = 0;
    while (got < sizeof report) {
        ssize_t n = ::read(fd, reinterpret_cast<char*>(&report) + got, sizeof report - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error::from_syscall("read the container's report");
        if (n == 0)
            break;
        got += static_cast<size_t>(n);
    }
    if (got == 0)
        return std::optional<ChildReport> {};
    if (got != sizeof report || report.length >= sizeof report.text)
        return Error::from_string("container setup: a garbled report (" + std::to_string(got) + " bytes)");
    return std::optional<ChildReport> { report };
}

Error error_from_report(const ChildReport& report)
{
    std::string text(report.text, report.length);
    if (report.is_errno)
        return Error::from_errno(report.value, text);
    return Error::from_string(text, report.value);
}

ErrorOr<Started> run_plan(ChildPlan& plan, const StartHooks& hooks)
{
    auto [report_read, report_write] = TRY(sys::pipe());
    // The sync channel is a socket pair, so that the caller's write to a
    // child that died meanwhile fails with EPIPE (MSG_NOSIGNAL) instead of
    // raising SIGPIPE in the engine.
    int sync_pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync_pair) < 0)
        return Error::from_syscall("socketpair");
    Fd sync_read(sync_pair[0]), sync_write(sync_pair[1]);
    plan.report_fd = report_write.get();
    plan.sync_fd = sync_read.get();

    // glibc's fork(), not a raw clone: its atfork handlers leave malloc and
    // stdio usable in the child even when the caller has threads.
    pid_t first = ::fork();
    if (first < 0)
        return Error::from_syscall("fork");
    if (first == 0) {
        sync_write.reset(); // so that the caller giving up reads as end of file
        report_read.reset();
        child_main(plan);
    }
    report_write.reset();
    sync_read.reset();
    ChildGuard guard(first);

    pid_t container = first;
    if (plan.double_fork()) {
        auto report = TRY(read_report(report_read.get()));
        guard.reap(); // the first child exits right after its report
        if (!report)
            return Error::from_string("container setup: the first child exited without a report", ECHILD);
        if (report->kind == ReportKind::Failure)
            return error_from_report(*report);
        container = report->value;
        guard.reset(container);
    }

    int pidfd = sys::raw_pidfd_open(container, 0);
    if (pidfd < 0)
        return Error::from_syscall("pidfd_open " + std::to_string(container));
    Fd pidfd_owner(pidfd);
    if (hooks.before_setup)
        TRY(hooks.before_setup(container));
    ssize_t sent;
    do {
        sent = ::send(sync_write.get(), "g", 1, MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent != 1)
        return Error::from_syscall("start the container process");
    sync_write.reset();

    // End of file: every copy of the write end closed at exec.
    auto report = TRY(read_report(report_read.get()));
    if (report) {
        if (report->kind == ReportKind::Failure)
            return error_from_report(*report);
        return Error::from_string("container setup: an unexpected report", EPROTO);
    }
    guard.release();
    return Started { container, std::move(pidfd_owner) };
}

ErrorOr<void> prepare_common(ChildPlan& plan, const Process& process, const StdioFds& stdio)
{
    if (process.args.empty() || process.args[0].empty())
        return Error::from_string("no command to run");
    plan.process = &process;
    plan.last_cap = TRY(kernel_last_capability());
    plan.caps = TRY(capability_sets(process.capabilities, plan.last_cap));
    plan.stdio[0] = stdio.in;
    plan.stdio[1] = stdio.out;
    plan.stdio[2] = stdio.err;
    if (stdio.in < 0 || stdio.out < 0 || stdio.err < 0)
        plan.null_fd = TRY(sys::open("/dev/null", O_RDWR));
    return {};
}

} // namespace

ErrorOr<Started> start_container(const Spec& spec, const StdioFds& stdio, const StartHooks& hooks)
{
    ChildPlan plan;
    plan.mode = Mode::Start;
    plan.spec = &spec;
    TRY(prepare_common(plan, spec.process, stdio));
    if (!has_new_namespace(spec, NamespaceType::Mount))
        return Error::from_string("a container needs a mount namespace of its own");
    for (auto const& ns : spec.namespaces) {
        if (ns.type == NamespaceType::User)
            return Error::from_string("user namespaces are not supported");
        if (!ns.path.empty())
            continue;
        if (ns.type == NamespaceType::Pid)
            plan.new_pid = true;
        else
            plan.unshare_flags |= clone_flag(ns.type);
    }
    plan.joins = TRY(open_namespace_joins(spec));
    for (auto const& join : plan.joins)
        plan.join_pid = plan.join_pid || join.type == NamespaceType::Pid;
    if (spec.rootfs.empty())
        return Error::from_string("no rootfs directory");
    plan.overlay = TRY(overlay_data(spec));
    plan.rootfs_parent_mount = TRY_CONTEXT(containing_mount_point(spec.rootfs), "rootfs");
    plan.mounts = TRY(prepare_mounts(spec.mounts));
    plan.seccomp = TRY(seccomp_program_for(spec));
    if (spec.init)
        plan.init_binary = TRY(find_init_binary());
    return run_plan(plan, hooks);
}

ErrorOr<Started> exec_in_container(
    pid_t container_pid, const Spec& spec, const Process& process, const StdioFds& stdio, const StartHooks& hooks)
{
    ChildPlan plan;
    plan.mode = Mode::Exec;
    plan.spec = &spec;
    TRY(prepare_common(plan, process, stdio));
    plan.joins = TRY(open_container_namespaces(container_pid, spec));
    for (auto const& join : plan.joins)
        plan.join_pid = plan.join_pid || join.type == NamespaceType::Pid;
    plan.seccomp = TRY(seccomp_program_for(spec));
    return run_plan(plan, hooks);
}

} // namespace corral::runtime
