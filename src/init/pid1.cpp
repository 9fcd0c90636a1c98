#include "init/pid1.h"

#include "base/file.h"
#include "base/log.h"
#include "init/power.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace corral::init {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int HANDLED_SIGNALS[] = { SIGCHLD, SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGPWR, SIGHUP };

sigset_t handled_set()
{
    sigset_t set;
    sigemptyset(&set);
    for (int s : HANDLED_SIGNALS)
        sigaddset(&set, s);
    return set;
}

// In a forked child: a new session with the console as its controlling
// terminal and stdio, signals unblocked.
void take_console()
{
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::setsid();
    int tty = ::open("/dev/console", O_RDWR | O_NOCTTY);
    if (tty >= 0) {
        (void)::ioctl(tty, TIOCSCTTY, 1);
        ::dup2(tty, 0);
        ::dup2(tty, 1);
        ::dup2(tty, 2);
        if (tty > 2)
            ::close(tty);
    }
}

// fork + exec with the child's output on `output` (a file appended to, or the
// console when empty). A child that cannot exec exits 127, which the reaper
// reports.
pid_t spawn(const std::vector<std::string>& argv, const std::string& output, bool console_session)
{
    pid_t pid = ::fork();
    if (pid != 0)
        return pid; // the parent, or -1
    if (console_session) {
        take_console();
    } else {
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::setsid();
        int null = ::open("/dev/null", O_RDONLY);
        if (null >= 0)
            ::dup2(null, 0);
        if (!output.empty()) {
            int out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0640);
            if (out >= 0) {
                ::dup2(out, 1);
                ::dup2(out, 2);
            }
        }
    }
    std::vector<char*> args;
    for (auto const& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::string program = argv[0].find('/') == std::string::npos ? "/usr/bin/" + argv[0] : argv[0];
    ::execv(program.c_str(), args.data());
    ::_exit(127);
}

std::string describe_status(int status)
{
    if (WIFEXITED(status))
        return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return std::string("killed by signal ") + ::strsignal(WTERMSIG(status));
    return "status " + std::to_string(status);
}

void say(const std::string& line)
{
    // The console is init's stdout; a line there is what the operator sees.
    std::string text = line + "\n";
    (void)!::write(1, text.data(), text.size());
}

class Pid1 {
public:
    explicit Pid1(const Pid1Options& options)
        : m_options(options)
    {
    }

    [[noreturn]] void run();

private:
    void start_engine();
    void start_sysinit();
    void start_recovery();
    void reap();
    void on_signal(int signal);
    void begin_shutdown(PowerAction action);
    [[noreturn]] void finish_shutdown();
    int poll_timeout_ms() const;
    void wait_for_exit(std::chrono::milliseconds limit, const std::function<bool()>& done);

    Pid1Options m_options;
    pid_t m_engine { -1 };
    pid_t m_sysinit { -1 };
    pid_t m_recovery { -1 };
    pid_t m_stopper { -1 };
    bool m_sysinit_done { false };
    std::chrono::milliseconds m_engine_backoff { 1000 };
    Clock::time_point m_engine_started {};
    std::optional<Clock::time_point> m_engine_restart_at;
    std::optional<PowerAction> m_shutdown;
    Clock::time_point m_shutdown_deadline {};
};

void Pid1::start_engine()
{
    auto const& boot = m_options.boot;
    m_engine = spawn(boot.system_dockerd_args, boot.system_docker_log, false);
    m_engine_started = Clock::now();
    m_engine_restart_at.reset();
    if (m_engine < 0)
        log::error(std::string("starting system-dockerd: fork: ") + std::strerror(errno));
}

void Pid1::start_sysinit()
{
    m_sysinit = spawn({ "/usr/bin/ros", "sysinit" }, {}, false);
    if (m_sysinit < 0)
        log::error(std::string("starting the services: fork: ") + std::strerror(errno));
}

void Pid1::start_recovery()
{
    say("");
    if (!m_options.boot_ok)
        say("CorralOS " + m_options.version + " did not boot: " + m_options.boot_error);
    say("Recovery console: a root shell with no services. Fix the problem (the configuration is in "
        "/var/lib/rancher/conf), then reboot.");
    m_recovery = ::fork();
    if (m_recovery == 0) {
        ::setenv("PS1", "[Recovery console \\u@\\h:\\w]# ", 1);
        ::setenv("HOME", "/root", 1);
        ::setenv("ENV", "", 1);
        take_console();
        ::execl("/bin/sh", "-sh", static_cast<char*>(nullptr));
        ::_exit(127);
    }
}

void Pid1::reap()
{
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            return;
        if (pid == m_engine) {
            m_engine = -1;
            if (m_shutdown)
                continue;
            // A crash loop backs off; an engine that ran a while restarts at once.
            if (Clock::now() - m_engine_started > std::chrono::seconds(60))
                m_engine_backoff = std::chrono::milliseconds(1000);
            log::error("system-dockerd ended (" + describe_status(status) + "); restarting it in "
                + std::to_string(m_engine_backoff.count()) + " ms");
            m_engine_restart_at = Clock::now() + m_engine_backoff;
            m_engine_backoff = std::min(m_engine_backoff * 2, std::chrono::milliseconds(30000));
        } else if (pid == m_sysinit) {
            m_sysinit = -1;
            m_sysinit_done = true;
            if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                log::error("starting the services: " + describe_status(status) + " (see /var/log/boot/sysinit.log)");
        } else if (pid == m_recovery) {
            m_recovery = -1;
            if (!m_shutdown)
                start_recovery();
        } else if (pid == m_stopper) {
            m_stopper = -1;
        }
    }
}

void Pid1::on_signal(int signal)
{
    if (signal == SIGCHLD) {
        reap();
        return;
    }
    if (signal == SIGHUP)
        return; // nothing to reload: the configuration is read where it is used
    auto action = power_action_for_signal(signal);
    if (!action)
        return;
    if (m_shutdown) {
        // A second request while shutting down: go on at once.
        log::warn("second power request: not waiting for the services any longer");
        finish_shutdown();
    }
    begin_shutdown(*action);
}

void Pid1::begin_shutdown(PowerAction action)
{
    m_shutdown = action;
    int64_t timeout = std::max<int64_t>(m_options.boot.shutdown_timeout, 5);
    say(std::string("CorralOS: ") + power_action_name(action) + ": stopping the services (at most "
        + std::to_string(timeout) + " s)");
    if (m_sysinit > 0)
        ::kill(m_sysinit, SIGTERM);
    if (m_engine > 0) {
        m_stopper = spawn({ "/usr/bin/ros", "stop-services", "--timeout", std::to_string(timeout) }, {}, true);
        m_shutdown_deadline = Clock::now() + std::chrono::seconds(timeout);
    } else {
        m_shutdown_deadline = Clock::now();
    }
}

void Pid1::wait_for_exit(std::chrono::milliseconds limit, const std::function<bool()>& done)
{
    auto deadline = Clock::now() + limit;
    while (!done() && Clock::now() < deadline) {
        reap();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    reap();
}

void Pid1::finish_shutdown()
{
    PowerAction action = m_shutdown.value_or(PowerAction::PowerOff);
    if (m_stopper > 0)
        ::kill(m_stopper, SIGKILL);
    if (m_engine > 0) {
        ::kill(m_engine, SIGTERM);
        wait_for_exit(std::chrono::seconds(5), [&] { return m_engine < 0; });
    }
    // Everything else: containers' supervisors and processes, shells.
    ::kill(-1, SIGTERM);
    wait_for_exit(std::chrono::seconds(3), [] {
        return ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
    });
    ::kill(-1, SIGKILL);
    wait_for_exit(std::chrono::seconds(1), [] { return false; });
    // init's own log file is open for writing on the root: closed, or the
    // root cannot become read-only and the next boot replays its journal.
    log::close_sinks();
    ::sync();
    // Unmount in reverse order of mounting; what stays busy is detached.
    std::vector<std::string> targets;
    if (auto mountinfo = read_file("/proc/self/mountinfo"); !mountinfo.is_error()) {
        size_t start = 0;
        auto const& text = mountinfo.value();
        while (start < text.size()) {
            size_t end = text.find('\n', start);
            std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
            // "id parent major:minor root mountpoint …"
            size_t field = 0, pos = 0;
            for (; field < 4 && pos != std::string::npos; ++field)
                pos = line.find(' ', pos + (field ? 1 : 0));
            if (pos != std::string::npos) {
                size_t stop = line.find(' ', pos + 1);
                targets.push_back(line.substr(pos + 1, stop - pos - 1));
            }
            if (end == std::string::npos)
                break;
            start = end + 1;
        }
    }
    for (auto it = targets.rbegin(); it != targets.rend(); ++it) {
        if (*it == "/" || *it == "/proc" || *it == "/sys" || *it == "/dev")
            continue;
        (void)::umount2(it->c_str(), MNT_DETACH); // best effort: the root is made read-only below
    }
    ::sync();
    if (::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY, nullptr) < 0)
        say(std::string("init: remounting / read-only: ") + std::strerror(errno));
    ::sync();
    say(std::string("CorralOS: ") + power_action_name(action));
    ::reboot(reboot_command(action));
    // Halt returns to us on some machines: stay, as PID 1 must.
    for (;;)
        ::pause();
}

int Pid1::poll_timeout_ms() const
{
    auto now = Clock::now();
    std::optional<Clock::time_point> next;
    if (m_engine_restart_at)
        next = m_engine_restart_at;
    if (m_shutdown)
        next = next ? std::min(*next, m_shutdown_deadline) : m_shutdown_deadline;
    if (!next)
        return -1;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*next - now).count();
    return static_cast<int>(std::clamp<int64_t>(ms, 0, 60000));
}

void Pid1::run()
{
    sigset_t set = handled_set();
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
    int sfd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    // ctrl-alt-del becomes SIGINT to init instead of an immediate reboot.
    (void)::reboot(RB_DISABLE_CAD);

    bool want_recovery = !m_options.boot_ok || m_options.boot.recovery;
    if (want_recovery) {
        start_recovery();
    } else {
        start_engine();
        start_sysinit();
    }
    for (;;) {
        struct pollfd p { sfd, POLLIN, 0 };
        int ready = ::poll(&p, 1, poll_timeout_ms());
        if (ready > 0) {
            struct signalfd_siginfo info {};
            while (::read(sfd, &info, sizeof info) == static_cast<ssize_t>(sizeof info))
                on_signal(static_cast<int>(info.ssi_signo));
        }
        reap();
        auto now = Clock::now();
        if (m_shutdown) {
            if (m_stopper < 0 || now >= m_shutdown_deadline) {
                if (m_stopper > 0)
                    log::warn("the services did not stop within rancher.shutdown_timeout; going on");
                finish_shutdown();
            }
            continue;
        }
        if (m_engine < 0 && m_engine_restart_at && now >= *m_engine_restart_at && !want_recovery)
            start_engine();
    }
}

} // namespace

void run_pid1(const Pid1Options& options)
{
    Pid1 pid1(options);
    pid1.run();
}

} // namespace corral::init
