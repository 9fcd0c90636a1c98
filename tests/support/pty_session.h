#pragma once

// A program run on a pseudo-terminal, as a user at a terminal runs it
// (`docker run -it`, `system-docker exec -it`): its output is collected,
// input typed, the window resized. Every wait is bounded; a program still
// running when the session ends is killed and reaped.

#include <string>
#include <sys/types.h>
#include <vector>

namespace corral::test {

class PtySession {
public:
    // Starts argv[0] (a path) with `env` on a new pty of rows x cols.
    PtySession(const std::vector<std::string>& argv, const std::vector<std::string>& env, int rows, int cols);
    ~PtySession();
    PtySession(const PtySession&) = delete;
    PtySession& operator=(const PtySession&) = delete;

    bool started() const { return m_pid > 0; }
    // Reads until the output holds `text` (true) or `timeout_ms` passes or
    // the program closes the terminal (false).
    bool read_until(const std::string& text, int timeout_ms);
    // Reads whatever comes for `milliseconds`.
    void read_for(int milliseconds);
    void type(const std::string& text);
    // Changes the window size and tells the program, as a terminal does.
    void resize(int rows, int cols);
    // The exit code (128 + signal when signalled), reading output meanwhile;
    // -1 when it did not end within `timeout_ms` (it is then killed).
    int wait(int timeout_ms);

    const std::string& output() const { return m_output; }

private:
    bool read_some(int timeout_ms);

    pid_t m_pid { -1 };
    int m_master { -1 };
    std::string m_output;
};

} // namespace corral::test
