#pragma once

// Starting programs. A Child kills and reaps its process when it goes out of scope
// unless it was waited for or detached, so no error path leaves a stray process.
// Failures between fork and exec (chdir, dup2, exec itself) come back to the caller
// as an Error naming the step, e.g. `exec "/bin/nope": No such file or directory`.

#include "base/error.h"
#include "base/fd.h"

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace corral {

enum class Stdio {
    Inherit,
    Null, // /dev/null
    Pipe, // a pipe the parent reads or writes through Child::stdin_pipe() etc.
};

struct SpawnOptions {
    std::vector<std::string> argv; // argv[0] is looked up in PATH when it has no '/'
    std::optional<std::vector<std::string>> env; // "K=V" entries; nullopt inherits ours
    std::string cwd; // empty: ours
    Stdio in { Stdio::Inherit };
    Stdio out { Stdio::Inherit };
    Stdio err { Stdio::Inherit };
    bool new_session { false }; // setsid() in the child
};

struct ExitStatus {
    int raw { 0 }; // as from waitpid()

    bool exited() const;
    bool signaled() const;
    // The exit code, or 128 + signal number for a signalled process (the shell's rule).
    int code() const;
    std::string describe() const; // "exit status 3", "killed by signal 9"
};

class Child {
public:
    static ErrorOr<Child> spawn(const SpawnOptions& options);

    Child(Child&& other) noexcept;
    Child& operator=(Child&& other) noexcept;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child();

    pid_t pid() const { return m_pid; }
    Fd& stdin_pipe() { return m_stdin; }
    Fd& stdout_pipe() { return m_stdout; }
    Fd& stderr_pipe() { return m_stderr; }

    // Blocks until the process ends and reaps it.
    ErrorOr<ExitStatus> wait();
    // Leaves the process running when this object is destroyed.
    void detach() { m_pid = -1; }

private:
    Child() = default;
    void kill_and_reap();

    pid_t m_pid { -1 };
    Fd m_stdin;
    Fd m_stdout;
    Fd m_stderr;
};

struct RunResult {
    ExitStatus status;
    std::string out;
    std::string err;
};

// Runs a program to completion, feeding it `input` and capturing stdout and stderr
// (each bounded by `max_output` bytes; past that the program is killed and the
// call fails with EFBIG). options.in/out/err are overridden with pipes.
ErrorOr<RunResult> run(SpawnOptions options, std::string_view input = {}, size_t max_output = 64 * 1024 * 1024);

} // namespace corral
