#include "runtime/container_init.h"

#include "runtime/child_report.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace corral::runtime {

namespace {

constexpr const char* REPORT_FD_ENV = "CORRAL_INIT_REPORT_FD";

// Signals the kernel raises for the faulting thread itself, and the terminal
// stop signals: these keep their default handling, as in tini.
bool is_synchronous(int sig)
{
    switch (sig) {
    case SIGFPE:
    case SIGILL:
    case SIGSEGV:
    case SIGBUS:
    case SIGABRT:
    case SIGTRAP:
    case SIGSYS:
    case SIGTTIN:
    case SIGTTOU:
    case SIGKILL:
    case SIGSTOP:
        return true;
    default:
        return false;
    }
}

int report_fd_from_environment()
{
    const char* value = ::getenv(REPORT_FD_ENV);
    if (!value)
        return -1;
    char* end = nullptr;
    long fd = std::strtol(value, &end, 10);
    ::unsetenv(REPORT_FD_ENV);
    if (!end || *end || fd < 3 || fd > 1 << 20)
        return -1;
    // Not inherited by the command: a successful exec closes it.
    if (::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC) < 0)
        return -1;
    return static_cast<int>(fd);
}

[[noreturn]] void run_command(char** command, const sigset_t& original_mask, int report_fd)
{
    // A process group of its own, in the terminal's foreground when there
    // is one, so that ^C reaches it once (from the terminal), not twice
    // (once more forwarded by us).
    (void)::setpgid(0, 0); // fails only if we already lead a group
    if (::isatty(STDIN_FILENO))
        (void)::tcsetpgrp(STDIN_FILENO, ::getpgrp()); // SIGTTOU is still blocked here
    ::sigprocmask(SIG_SETMASK, &original_mask, nullptr);
    ::execvp(command[0], command);
    int error = errno;
    if (report_fd >= 0) {
        char text[1024];
        std::snprintf(text, sizeof text, "exec \"%s\"", command[0]);
        detail::write_report(report_fd, detail::failure_report(error, true, text));
    } else {
        std::fprintf(stderr, "corral-init: exec \"%s\": %s\n", command[0], std::strerror(error));
    }
    ::_exit(error == ENOENT ? 127 : 126);
}

int status_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

} // namespace

int container_init_main(int argc, char** argv)
{
    int first = 1;
    if (first < argc && std::strcmp(argv[first], "--") == 0)
        ++first;
    if (first >= argc) {
        std::fprintf(stderr, "usage: corral-init [--] COMMAND [ARG...]\n");
        return 2;
    }
    int report_fd = report_fd_from_environment();

    // Every asynchronous signal is blocked and taken with sigwaitinfo(). A
    // blocked signal is queued even for a namespace's PID 1, which the
    // kernel otherwise spares signals it has no handler for.
    sigset_t waited;
    sigemptyset(&waited);
    for (int sig = 1; sig < NSIG; ++sig) {
        if (!is_synchronous(sig))
            sigaddset(&waited, sig);
    }
    sigaddset(&waited, SIGTTOU); // only while the command takes the terminal
    sigset_t original;
    ::sigprocmask(SIG_BLOCK, &waited, &original);
    sigdelset(&waited, SIGTTOU);

    pid_t child = ::fork();
    if (child < 0) {
        std::fprintf(stderr, "corral-init: fork: %s\n", std::strerror(errno));
        return 1;
    }
    if (child == 0)
        run_command(argv + first, original, report_fd);
    if (report_fd >= 0)
        ::close(report_fd);
    sigset_t ttou;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    ::sigprocmask(SIG_UNBLOCK, &ttou, nullptr);

    for (;;) {
        siginfo_t info;
        int sig = ::sigwaitinfo(&waited, &info);
        if (sig < 0)
            continue; // EINTR: a stop signal and continue
        if (sig != SIGCHLD) {
            (void)::kill(child, sig); // it may have exited; the reap below learns that
            continue;
        }
        // SIGCHLD coalesces: reap everything that has ended.
        for (;;) {
            int status = 0;
            pid_t pid = ::waitpid(-1, &status, WNOHANG);
            if (pid <= 0)
                break;
            if (pid == child) {
                // The other processes die with the namespace when we exit.
                return status_code(status);
            }
        }
    }
}

} // namespace corral::runtime
