#include "cli/respawn.h"

#include "base/file.h"
#include "base/log.h"
#include "base/process.h"
#include "base/strings.h"
#include "base/system.h"

#include <csignal>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

namespace corral::cli {

namespace {

using Clock = RestartLimiter::Clock;

struct Line {
    std::vector<std::string> argv;
    std::string text; // for messages
    RestartLimiter limiter;
    pid_t pid { -1 };
    bool given_up { false };
};

// Starts a line; a program that cannot be started counts as one that exited at
// once, so a missing binary is given up like any other line that dies at once.
void start(Line& line)
{
    while (!line.given_up) {
        SpawnOptions options;
        options.argv = line.argv;
        options.new_session = true;
        auto child = Child::spawn(options);
        if (!child.is_error()) {
            line.pid = child->pid();
            child->detach(); // reaped by the waitpid(-1) loop
            return;
        }
        log::error(line.text + ": " + child.error().message());
        if (!line.limiter.may_restart(Clock::now())) {
            line.given_up = true;
            log::error(line.text + ": restarted too fast, not executing");
        }
    }
}

void signal_group(pid_t pid, int sig)
{
    // The child leads its own session and process group; what it started in its
    // group goes with it. The pid alone covers a child that left its group.
    (void)::kill(-pid, sig); // ESRCH when the group is gone already: fine
    (void)::kill(pid, sig);
}

} // namespace

std::vector<std::vector<std::string>> parse_respawn_conf(std::string_view text)
{
    std::vector<std::vector<std::string>> out;
    for (auto const& raw : split(text, '\n')) {
        std::string_view line = trim(raw);
        if (line.empty() || line[0] == '#')
            continue;
        std::vector<std::string> words;
        std::string word;
        for (char c : line) {
            if (c == ' ' || c == '\t') {
                if (!word.empty())
                    words.push_back(std::move(word));
                word.clear();
            } else {
                word += c;
            }
        }
        if (!word.empty())
            words.push_back(std::move(word));
        out.push_back(std::move(words));
    }
    return out;
}

bool RestartLimiter::may_restart(Clock::time_point now)
{
    ++m_count;
    if (m_count <= MAX_RESTARTS)
        return true;
    if (now - m_window_start <= WINDOW)
        return false;
    m_count = 0;
    m_window_start = now;
    return true;
}

int respawn(const std::vector<std::vector<std::string>>& commands, const RespawnOptions& options)
{
    if (commands.empty())
        return 0;
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGCHLD);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigset_t old_mask;
    sigprocmask(SIG_BLOCK, &signals, &old_mask);

    std::vector<Line> lines;
    for (auto const& argv : commands)
        lines.push_back(Line { argv, join(argv, " "), RestartLimiter(Clock::now()) });
    for (auto& line : lines)
        start(line);

    bool stopping = false;
    bool killed = false;
    Clock::time_point kill_at;
    int exit_code = 0;
    for (;;) {
        int status = 0;
        pid_t pid;
        while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
            for (auto& line : lines) {
                if (line.pid != pid)
                    continue;
                line.pid = -1;
                ExitStatus exit { status };
                if (stopping) {
                    log::info(line.text + ": " + exit.describe() + ", not restarting, exiting");
                    break;
                }
                log::warn(line.text + ": " + exit.describe());
                if (line.limiter.may_restart(Clock::now())) {
                    start(line);
                } else {
                    line.given_up = true;
                    log::error(line.text + ": restarted too fast, not executing");
                }
                break;
            }
        }

        bool any_running = false;
        bool any_alive = false;
        for (auto const& line : lines) {
            any_running |= line.pid > 0;
            any_alive |= line.pid > 0 || !line.given_up;
        }
        if (stopping && !any_running)
            break;
        if (!stopping && !any_alive) {
            log::error("every line was given up; exiting");
            exit_code = 1;
            break;
        }

        struct timespec timeout = {};
        timeout.tv_sec = 3600;
        if (stopping && !killed) {
            auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(kill_at - Clock::now());
            if (left.count() < 0)
                left = std::chrono::nanoseconds(0);
            timeout.tv_sec = static_cast<time_t>(left.count() / 1'000'000'000);
            timeout.tv_nsec = static_cast<long>(left.count() % 1'000'000'000);
        }
        siginfo_t info {};
        int sig = ::sigtimedwait(&signals, &info, &timeout);
        if ((sig == SIGTERM || sig == SIGINT) && !stopping) {
            log::info(std::string("got ") + strsignal(sig) + "; stopping every line");
            stopping = true;
            kill_at = Clock::now() + options.stop_grace;
            for (auto const& line : lines) {
                if (line.pid > 0)
                    signal_group(line.pid, SIGTERM);
            }
        } else if (sig < 0 && errno == EAGAIN && stopping && !killed && Clock::now() >= kill_at) {
            log::warn("lines still running after the grace period; killing them");
            killed = true;
            for (auto const& line : lines) {
                if (line.pid > 0)
                    signal_group(line.pid, SIGKILL);
            }
        }
    }
    sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    return exit_code;
}

int respawn_main(int argc, char** argv)
{
    log::set_program("respawn");
    std::string file;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if ((arg == "-f" || arg == "--file") && i + 1 < argc) {
            file = argv[++i];
        } else if (arg.starts_with("--file=")) {
            file = std::string(arg.substr(7));
        } else if (arg.starts_with("-f=")) {
            file = std::string(arg.substr(3));
        } else if (arg == "-h" || arg == "--help") {
            printf("Usage: respawn [-f FILE]\n\nRuns every line of FILE (standard input without -f) and "
                   "starts it again when it exits.\n");
            return 0;
        } else {
            log::error("unexpected argument \"" + std::string(arg) + "\" (usage: respawn [-f FILE])");
            return 2;
        }
    }
    auto text = file.empty() ? sys::read_all(STDIN_FILENO, 1024 * 1024) : read_file(file, 1024 * 1024);
    if (text.is_error()) {
        log::error(text.error().message());
        return 1;
    }
    return respawn(parse_respawn_conf(*text));
}

} // namespace corral::cli
