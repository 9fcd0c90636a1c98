#include "base/process.h"

#include "base/system.h"

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace corral {

bool ExitStatus::exited() const { return WIFEXITED(raw); }
bool ExitStatus::signaled() const { return WIFSIGNALED(raw); }

int ExitStatus::code() const
{
    if (WIFEXITED(raw))
        return WEXITSTATUS(raw);
    if (WIFSIGNALED(raw))
        return 128 + WTERMSIG(raw);
    return -1;
}

std::string ExitStatus::describe() const
{
    if (WIFEXITED(raw))
        return "exit status " + std::to_string(WEXITSTATUS(raw));
    if (WIFSIGNALED(raw))
        return "killed by signal " + std::to_string(WTERMSIG(raw));
    return "unknown wait status " + std::to_string(raw);
}

namespace {

// What the child reports through the error pipe when it cannot reach exec: the
// step that failed and its errno. Fixed size so one write() carries it whole.
struct ChildFailure {
    int error;
    char step[64];
};

[[noreturn]] void child_fail(int pipe_fd, const char* step)
{
    ChildFailure failure {};
    failure.error = errno;
    strncpy(failure.step, step, sizeof failure.step - 1);
    // Only async-signal-safe calls from here: we are a forked copy of a process that
    // may have had other threads.
    (void)::write(pipe_fd, &failure, sizeof failure);
    ::_exit(127);
}

class SigpipeBlock {
public:
    SigpipeBlock()
    {
        sigset_t pipe_set;
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        m_was_pending = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &pipe_set, &m_old_mask);
    }
    ~SigpipeBlock()
    {
        sigset_t pending;
        sigpending(&pending);
        if (!m_was_pending && sigismember(&pending, SIGPIPE) == 1) {
            sigset_t pipe_set;
            sigemptyset(&pipe_set);
            sigaddset(&pipe_set, SIGPIPE);
            struct timespec zero { };
            (void)sigtimedwait(&pipe_set, nullptr, &zero); // consume the one we caused
        }
        pthread_sigmask(SIG_SETMASK, &m_old_mask, nullptr);
    }
    SigpipeBlock(const SigpipeBlock&) = delete;
    SigpipeBlock& operator=(const SigpipeBlock&) = delete;

private:
    sigset_t m_old_mask;
    bool m_was_pending { false };
};

} // namespace

ErrorOr<Child> Child::spawn(const SpawnOptions& options)
{
    if (options.argv.empty())
        return Error::from_string("spawn: empty argument list");

    // Everything the child needs is built before fork(): allocating after fork in a
    // threaded program can deadlock on a lock held by a thread that no longer exists.
    std::vector<char*> argv;
    for (auto const& arg : options.argv)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    if (options.env) {
        for (auto const& entry : *options.env)
            envp.push_back(const_cast<char*>(entry.c_str()));
        envp.push_back(nullptr);
    }

    std::optional<std::pair<Fd, Fd>> in_pipe, out_pipe, err_pipe;
    if (options.in == Stdio::Pipe)
        in_pipe = TRY(sys::pipe());
    if (options.out == Stdio::Pipe)
        out_pipe = TRY(sys::pipe());
    if (options.err == Stdio::Pipe)
        err_pipe = TRY(sys::pipe());
    Fd null_fd;
    if (options.in == Stdio::Null || options.out == Stdio::Null || options.err == Stdio::Null)
        null_fd = TRY(sys::open("/dev/null", O_RDWR));
    auto [report_read, report_write] = TRY(sys::pipe());

    pid_t pid = ::fork();
    if (pid < 0)
        return Error::from_syscall("fork");
    if (pid == 0) {
        // When this process runs with descriptors 0-2 closed (init without a console,
        // a daemon that closed them), the pipes, /dev/null and the report pipe above
        // were given those numbers. Then dup2(fd, fd) is a no-op that leaves
        // close-on-exec set, and one dup2() can overwrite the source of the next or
        // the report pipe. So every descriptor the child still needs is first moved
        // above 2; the copies are close-on-exec like the originals.
        auto above_stdio
            = [](int fd) { return fd > STDERR_FILENO ? fd : ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1); };
        int report = above_stdio(report_write.get());
        if (report < 0)
            child_fail(report_write.get(), "fcntl F_DUPFD_CLOEXEC");
        auto source_for = [&](Stdio mode, std::optional<std::pair<Fd, Fd>>& pipe, bool child_reads) {
            if (mode == Stdio::Null)
                return null_fd.get();
            if (mode == Stdio::Pipe)
                return child_reads ? pipe->first.get() : pipe->second.get();
            return -1;
        };
        int sources[3] = {
            source_for(options.in, in_pipe, true),
            source_for(options.out, out_pipe, false),
            source_for(options.err, err_pipe, false),
        };
        for (int& source : sources) {
            if (source >= 0 && (source = above_stdio(source)) < 0)
                child_fail(report, "fcntl F_DUPFD_CLOEXEC");
        }
        // dup2 clears close-on-exec on the target, which is what we want here.
        for (int target = STDIN_FILENO; target <= STDERR_FILENO; ++target) {
            if (sources[target] >= 0 && ::dup2(sources[target], target) < 0)
                child_fail(report, "dup2");
        }
        // Ignored signals and the mask survive exec; the new program gets defaults
        // (handlers are reset by exec itself). sigaction is async-signal-safe.
        struct sigaction default_action {};
        default_action.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; ++sig) {
            if (sig != SIGKILL && sig != SIGSTOP)
                (void)::sigaction(sig, &default_action, nullptr); // fails only for invalid numbers
        }
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        if (options.new_session && ::setsid() < 0)
            child_fail(report, "setsid");
        if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) < 0)
            child_fail(report, "chdir");
        if (options.env)
            ::execvpe(argv[0], argv.data(), envp.data());
        else
            ::execvp(argv[0], argv.data());
        child_fail(report, "exec");
    }

    Child child;
    child.m_pid = pid;
    if (in_pipe)
        child.m_stdin = std::move(in_pipe->second);
    if (out_pipe)
        child.m_stdout = std::move(out_pipe->first);
    if (err_pipe)
        child.m_stderr = std::move(err_pipe->first);
    report_write.reset();

    // The report pipe closes at exec (close-on-exec) with nothing written, or
    // carries a ChildFailure.
    ChildFailure failure {};
    ssize_t n;
    do {
        n = ::read(report_read.get(), &failure, sizeof failure);
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof failure)) {
        (void)child.wait(); // reap the child, which has already _exit()ed
        std::string step = failure.step;
        std::string what = step;
        if (step == "exec")
            what = "exec \"" + options.argv[0] + "\"";
        else if (step == "chdir")
            what = "chdir '" + options.cwd + "'";
        return Error::from_errno(failure.error, what);
    }
    return child;
}

Child::Child(Child&& other) noexcept
    : m_pid(other.m_pid)
    , m_stdin(std::move(other.m_stdin))
    , m_stdout(std::move(other.m_stdout))
    , m_stderr(std::move(other.m_stderr))
{
    other.m_pid = -1;
}

Child& Child::operator=(Child&& other) noexcept
{
    if (this != &other) {
        kill_and_reap();
        m_pid = other.m_pid;
        other.m_pid = -1;
        m_stdin = std::move(other.m_stdin);
        m_stdout = std::move(other.m_stdout);
        m_stderr = std::move(other.m_stderr);
    }
    return *this;
}

Child::~Child() { kill_and_reap(); }

void Child::kill_and_reap()
{
    if (m_pid <= 0)
        return;
    (void)::kill(m_pid, SIGKILL); // it may have exited already; waitpid reaps it either way
    int status;
    while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) { }
    m_pid = -1;
}

ErrorOr<ExitStatus> Child::wait()
{
    if (m_pid <= 0)
        return Error::from_errno(ECHILD, "waitpid (no process)");
    int status = 0;
    for (;;) {
        if (::waitpid(m_pid, &status, 0) >= 0)
            break;
        if (errno != EINTR)
            return Error::from_syscall("waitpid " + std::to_string(m_pid));
    }
    m_pid = -1;
    return ExitStatus { status };
}

ErrorOr<RunResult> run(SpawnOptions options, std::string_view input, size_t max_output)
{
    options.in = Stdio::Pipe;
    options.out = Stdio::Pipe;
    options.err = Stdio::Pipe;
    Child child = TRY(Child::spawn(options));
    // A child that exits without reading its input would raise SIGPIPE in us. Block
    // it for this thread and consume any that arrived, so the write fails with EPIPE.
    SigpipeBlock sigpipe_block;

    // The child may block writing a full stdout pipe while we block feeding its
    // stdin, so all three pipes are served together.
    RunResult result;
    if (input.empty())
        child.stdin_pipe().reset();
    else
        (void)::fcntl(child.stdin_pipe().get(), F_SETFL, O_NONBLOCK);
    while (child.stdin_pipe() || child.stdout_pipe() || child.stderr_pipe()) {
        pollfd fds[3];
        int count = 0;
        auto add = [&](Fd& fd, short events) {
            if (fd)
                fds[count++] = pollfd { fd.get(), events, 0 };
        };
        add(child.stdin_pipe(), POLLOUT);
        add(child.stdout_pipe(), POLLIN);
        add(child.stderr_pipe(), POLLIN);
        if (::poll(fds, static_cast<nfds_t>(count), -1) < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_syscall("poll");
        }
        for (int i = 0; i < count; ++i) {
            if (!fds[i].revents)
                continue;
            int fd = fds[i].fd;
            if (child.stdin_pipe() && fd == child.stdin_pipe().get()) {
                ssize_t n = ::write(fd, input.data(), input.size());
                if (n > 0)
                    input.remove_prefix(static_cast<size_t>(n));
                if ((n < 0 && errno != EAGAIN && errno != EINTR) || input.empty())
                    child.stdin_pipe().reset(); // done, or the child closed its stdin
                continue;
            }
            bool is_out = child.stdout_pipe() && fd == child.stdout_pipe().get();
            std::string& sink = is_out ? result.out : result.err;
            char buffer[16384];
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                (is_out ? child.stdout_pipe() : child.stderr_pipe()).reset();
                continue;
            }
            if (sink.size() + static_cast<size_t>(n) > max_output)
                return Error::from_errno(EFBIG, "output of \"" + options.argv[0] + "\" exceeds " + std::to_string(max_output) + " bytes");
            sink.append(buffer, static_cast<size_t>(n));
        }
    }
    result.status = TRY(child.wait());
    return result;
}

} // namespace corral
