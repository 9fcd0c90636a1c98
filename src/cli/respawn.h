#pragma once

// `respawn [-f FILE]` (reference §7): keeps the console's programs running. Every
// line of the file (standard input without -f) that is neither blank nor a
// comment is a command, split on spaces; each runs in its own session, all at
// once, and is started again whenever it exits. A line restarted more than 10
// times within a second is given up ("restarted too fast"). SIGTERM (or SIGINT)
// sends SIGTERM to every child's process group, waits for them (SIGKILL after a
// grace period) and exits 0. Every child that ends is reaped, ours or not.
//
// One thread: signals are blocked and taken with sigtimedwait(), children reaped
// with waitpid(WNOHANG).

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace corral::cli {

// The applet's main: `respawn [-f FILE]`.
int respawn_main(int argc, char** argv);

// The commands of a respawn.conf: blank lines and lines whose first non-blank
// character is '#' are left out; words are split on spaces and tabs.
std::vector<std::vector<std::string>> parse_respawn_conf(std::string_view text);

// The "restarted too fast" rule, as RancherOS's respawn has it: exits are counted
// from the start of a window; at the eleventh, the line is given up when the
// window is not older than a second, else a new window starts.
class RestartLimiter {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr int MAX_RESTARTS = 10;
    static constexpr std::chrono::milliseconds WINDOW { 1000 };

    explicit RestartLimiter(Clock::time_point start)
        : m_window_start(start)
    {
    }

    // Records an exit at `now`; returns whether the line may start again.
    bool may_restart(Clock::time_point now);

private:
    Clock::time_point m_window_start;
    int m_count { 0 };
};

struct RespawnOptions {
    // How long children get after SIGTERM before they are killed.
    std::chrono::milliseconds stop_grace { 5000 };
};

// Runs the commands until SIGTERM/SIGINT or until every line has been given up.
// Returns the exit code: 0 after a signal, 1 when every line was given up (the
// console then stops and its restart policy starts it again), 0 for no lines.
int respawn(const std::vector<std::vector<std::string>>& commands, const RespawnOptions& options = {});

} // namespace corral::cli
