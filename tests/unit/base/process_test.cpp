#include "base/process.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using corral::Child;
using corral::ErrorOr;
using corral::ExitStatus;
using corral::RunResult;
using corral::SpawnOptions;
using corral::Stdio;

namespace {

SpawnOptions command(std::vector<std::string> argv)
{
    SpawnOptions options;
    options.argv = std::move(argv);
    return options;
}

bool process_exists(pid_t pid)
{
    return ::kill(pid, 0) == 0;
}

// Fails the test unless `pid` is gone: killed and reaped, not a zombie.
void expect_gone(pid_t pid)
{
    errno = 0;
    EXPECT_EQ(::kill(pid, 0), -1) << "process " << pid << " still exists";
    EXPECT_EQ(errno, ESRCH);
}

// Fields 1 (pid) and 6 (session) of a /proc/<pid>/stat line.
std::pair<long, long> pid_and_session(const std::string& stat)
{
    long pid = std::strtol(stat.c_str(), nullptr, 10);
    auto paren = stat.rfind(')');
    if (paren == std::string::npos)
        return { pid, -1 };
    std::istringstream rest(stat.substr(paren + 1));
    std::string state;
    long ppid = 0, pgrp = 0, session = -1;
    rest >> state >> ppid >> pgrp >> session;
    return { pid, session };
}

// The number of descriptors open in this process.
int open_fd_count()
{
    int count = 0;
    DIR* dir = ::opendir("/proc/self/fd");
    EXPECT_NE(dir, nullptr) << strerror(errno);
    if (!dir)
        return -1;
    while (auto* entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.')
            ++count;
    }
    ::closedir(dir);
    return count;
}

class ProcessTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/corral-process-test-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr) << "mkdtemp: " << strerror(errno);
        m_dir = pattern;
        // A watchdog: a deadlock in run() (say, writing all of stdin before reading
        // stdout) or a child that is never killed fails the test instead of hanging
        // it. SIGALRM's default action ends the process.
        ::signal(SIGALRM, SIG_DFL);
        ::alarm(60);
    }

    void TearDown() override
    {
        ::alarm(0);
        if (!m_dir.empty()) {
            std::error_code ignored;
            std::filesystem::remove_all(m_dir, ignored);
        }
    }

    std::string m_dir;
};

} // namespace

TEST(ExitStatus, Exited)
{
    ExitStatus status { 3 << 8 };
    EXPECT_TRUE(status.exited());
    EXPECT_FALSE(status.signaled());
    EXPECT_EQ(status.code(), 3);
    EXPECT_EQ(status.describe(), "exit status 3");

    ExitStatus zero { 0 };
    EXPECT_TRUE(zero.exited());
    EXPECT_EQ(zero.code(), 0);
    EXPECT_EQ(zero.describe(), "exit status 0");
}

TEST(ExitStatus, Signaled)
{
    ExitStatus status { SIGKILL };
    EXPECT_FALSE(status.exited());
    EXPECT_TRUE(status.signaled());
    EXPECT_EQ(status.code(), 128 + 9);
    EXPECT_EQ(status.describe(), "killed by signal 9");
}

TEST_F(ProcessTest, RunCapturesOutputErrorAndStatus)
{
    auto result = corral::run(command({ "sh", "-c", "echo out; echo err >&2; exit 3" }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->out, "out\n");
    EXPECT_EQ(result->err, "err\n");
    EXPECT_TRUE(result->status.exited());
    EXPECT_FALSE(result->status.signaled());
    EXPECT_EQ(result->status.code(), 3);
    EXPECT_EQ(result->status.describe(), "exit status 3");
}

TEST_F(ProcessTest, RunReportsSignalledProcess)
{
    auto result = corral::run(command({ "sh", "-c", "kill -9 $$" }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_FALSE(result->status.exited());
    EXPECT_TRUE(result->status.signaled());
    EXPECT_EQ(result->status.code(), 128 + 9);
    EXPECT_EQ(result->status.describe(), "killed by signal 9");
}

TEST_F(ProcessTest, SpawnMissingProgramIsENOENT)
{
    auto child = Child::spawn(command({ "/bin/nope" }));
    ASSERT_TRUE(child.is_error());
    EXPECT_EQ(child.error().code(), ENOENT);
    EXPECT_EQ(child.error().message(), "exec \"/bin/nope\": No such file or directory");

    // run() reports the same error.
    auto run = corral::run(command({ "/bin/nope", "arg" }));
    ASSERT_TRUE(run.is_error());
    EXPECT_EQ(run.error().code(), ENOENT);
    EXPECT_EQ(run.error().message(), "exec \"/bin/nope\": No such file or directory");
}

TEST_F(ProcessTest, SpawnMissingProgramInPathIsENOENT)
{
    auto child = Child::spawn(command({ "corral-no-such-program" }));
    ASSERT_TRUE(child.is_error());
    EXPECT_EQ(child.error().code(), ENOENT);
    EXPECT_EQ(child.error().message(), "exec \"corral-no-such-program\": No such file or directory");
}

TEST_F(ProcessTest, SpawnNonExecutableIsEACCES)
{
    std::string script = m_dir + "/script";
    FILE* f = ::fopen(script.c_str(), "we");
    ASSERT_NE(f, nullptr);
    ::fputs("#!/bin/sh\nexit 0\n", f);
    ::fclose(f);
    ASSERT_EQ(::chmod(script.c_str(), 0644), 0);

    auto child = Child::spawn(command({ script }));
    ASSERT_TRUE(child.is_error());
    EXPECT_EQ(child.error().code(), EACCES);
    EXPECT_EQ(child.error().message(), "exec \"" + script + "\": Permission denied");
}

TEST_F(ProcessTest, SpawnWithEmptyArgvIsEINVAL)
{
    auto child = Child::spawn(SpawnOptions {});
    ASSERT_TRUE(child.is_error());
    EXPECT_EQ(child.error().code(), EINVAL);
    EXPECT_EQ(child.error().message(), "spawn: empty argument list");
}

TEST_F(ProcessTest, BadCwdNamesChdir)
{
    SpawnOptions options = command({ "true" });
    options.cwd = m_dir + "/missing";
    auto child = Child::spawn(options);
    ASSERT_TRUE(child.is_error());
    EXPECT_EQ(child.error().code(), ENOENT);
    EXPECT_EQ(child.error().message(), "chdir '" + m_dir + "/missing': No such file or directory");
}

TEST_F(ProcessTest, CwdIsApplied)
{
    char resolved[PATH_MAX];
    ASSERT_NE(::realpath(m_dir.c_str(), resolved), nullptr);
    SpawnOptions options = command({ "pwd", "-P" });
    options.cwd = m_dir;
    auto result = corral::run(options);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->out, std::string(resolved) + "\n");
    EXPECT_EQ(result->status.code(), 0);
}

TEST_F(ProcessTest, RunRoundTripsLargeInput)
{
    // Far larger than a pipe buffer on both sides, so that run() must interleave
    // writing stdin and reading stdout.
    std::string input(4 * 1024 * 1024, '\0');
    for (size_t i = 0; i < input.size(); ++i)
        input[i] = static_cast<char>((i * 131) ^ (i >> 12));
    auto result = corral::run(command({ "cat" }), input);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->status.code(), 0);
    EXPECT_TRUE(result->err.empty());
    ASSERT_EQ(result->out.size(), input.size());
    EXPECT_TRUE(result->out == input) << "output differs from input";
}

TEST_F(ProcessTest, RunSurvivesChildThatDoesNotReadInput)
{
    // With the default disposition a SIGPIPE would kill this test process.
    struct sigaction old_action { };
    struct sigaction default_action { };
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    ASSERT_EQ(::sigaction(SIGPIPE, &default_action, &old_action), 0);

    std::string input(4 * 1024 * 1024, 'x');
    auto result = corral::run(command({ "true" }), input);

    sigset_t pending;
    sigemptyset(&pending);
    ASSERT_EQ(::sigpending(&pending), 0);
    bool sigpipe_pending = sigismember(&pending, SIGPIPE) == 1;
    sigset_t mask;
    ASSERT_EQ(::pthread_sigmask(SIG_SETMASK, nullptr, &mask), 0);
    bool sigpipe_blocked = sigismember(&mask, SIGPIPE) == 1;
    ASSERT_EQ(::sigaction(SIGPIPE, &old_action, nullptr), 0);

    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_TRUE(result->status.exited());
    EXPECT_EQ(result->status.code(), 0);
    EXPECT_EQ(result->out, "");
    // run() cleans up after itself: no SIGPIPE left pending, the mask restored.
    EXPECT_FALSE(sigpipe_pending);
    EXPECT_FALSE(sigpipe_blocked);
}

TEST_F(ProcessTest, RunMaxOutputExceededIsEFBIG)
{
    // `yes` never stops on its own, so run() must also kill it.
    auto result = corral::run(command({ "yes" }), {}, 1024);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), EFBIG);
    EXPECT_EQ(result.error().message(), "output of \"yes\" exceeds 1024 bytes: File too large");
}

TEST_F(ProcessTest, RunMaxOutputAppliesToStderr)
{
    auto result = corral::run(command({ "sh", "-c", "head -c 5000 /dev/zero >&2" }), {}, 4096);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), EFBIG);
}

TEST_F(ProcessTest, RunOutputExactlyAtMaxIsAccepted)
{
    auto result = corral::run(command({ "printf", "abcd" }), {}, 4);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->out, "abcd");
}

TEST_F(ProcessTest, EnvReplacesTheEnvironment)
{
    ASSERT_EQ(::setenv("CORRAL_TEST_PARENT_ONLY", "1", 1), 0);
    SpawnOptions options = command({ "env" });
    options.env = std::vector<std::string> { "A=1" };
    auto result = corral::run(options);
    ::unsetenv("CORRAL_TEST_PARENT_ONLY");
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->out, "A=1\n");
    EXPECT_EQ(result->status.code(), 0);

    options.env = std::vector<std::string> {};
    auto empty = corral::run(options);
    ASSERT_FALSE(empty.is_error()) << empty.error().message();
    EXPECT_EQ(empty->out, "");
}

TEST_F(ProcessTest, EnvIsInheritedByDefault)
{
    ASSERT_EQ(::setenv("CORRAL_TEST_INHERITED", "yes", 1), 0);
    auto result = corral::run(command({ "sh", "-c", "printf %s \"$CORRAL_TEST_INHERITED\"" }));
    ::unsetenv("CORRAL_TEST_INHERITED");
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->out, "yes");
}

TEST_F(ProcessTest, NewSessionMakesTheChildASessionLeader)
{
    SpawnOptions options = command({ "cat", "/proc/self/stat" });
    options.new_session = true;
    auto leader = corral::run(options);
    ASSERT_FALSE(leader.is_error()) << leader.error().message();
    auto [pid, session] = pid_and_session(leader->out);
    EXPECT_GT(pid, 0);
    EXPECT_EQ(session, pid);

    options.new_session = false;
    auto member = corral::run(options);
    ASSERT_FALSE(member.is_error()) << member.error().message();
    auto [member_pid, member_session] = pid_and_session(member->out);
    EXPECT_EQ(member_session, ::getsid(0));
    EXPECT_NE(member_session, member_pid);
}

TEST_F(ProcessTest, SpawnWithPipes)
{
    SpawnOptions options = command({ "tr", "a-z", "A-Z" });
    options.in = Stdio::Pipe;
    options.out = Stdio::Pipe;
    options.err = Stdio::Null;
    auto spawned = Child::spawn(options);
    ASSERT_FALSE(spawned.is_error()) << spawned.error().message();
    Child child = spawned.release_value();
    EXPECT_GT(child.pid(), 0);
    EXPECT_FALSE(child.stderr_pipe().valid());
    ASSERT_EQ(::write(child.stdin_pipe().get(), "hello", 5), 5);
    child.stdin_pipe().reset();

    std::string out;
    char buffer[64];
    ssize_t n;
    while ((n = ::read(child.stdout_pipe().get(), buffer, sizeof buffer)) > 0)
        out.append(buffer, static_cast<size_t>(n));
    EXPECT_EQ(out, "HELLO");

    auto status = child.wait();
    ASSERT_FALSE(status.is_error()) << status.error().message();
    EXPECT_EQ(status->code(), 0);

    auto again = child.wait();
    ASSERT_TRUE(again.is_error());
    EXPECT_EQ(again.error().code(), ECHILD);
}

TEST_F(ProcessTest, DestructorKillsAndReaps)
{
    pid_t pid = -1;
    {
        auto spawned = Child::spawn(command({ "sleep", "100" }));
        ASSERT_FALSE(spawned.is_error()) << spawned.error().message();
        Child child = spawned.release_value();
        pid = child.pid();
        ASSERT_GT(pid, 0);
        EXPECT_TRUE(process_exists(pid));
    }
    expect_gone(pid);
}

TEST_F(ProcessTest, MoveTransfersOwnership)
{
    auto spawned = Child::spawn(command({ "sleep", "100" }));
    ASSERT_FALSE(spawned.is_error()) << spawned.error().message();
    Child first = spawned.release_value();
    pid_t pid = first.pid();
    {
        Child second(std::move(first));
        EXPECT_EQ(second.pid(), pid);
        EXPECT_EQ(first.pid(), -1); // NOLINT(bugprone-use-after-move)
    }
    expect_gone(pid);
}

TEST_F(ProcessTest, MoveAssignmentKillsThePreviousProcess)
{
    auto a = Child::spawn(command({ "sleep", "100" }));
    auto b = Child::spawn(command({ "sleep", "100" }));
    ASSERT_FALSE(a.is_error()) << a.error().message();
    ASSERT_FALSE(b.is_error()) << b.error().message();
    Child target = a.release_value();
    Child source = b.release_value();
    pid_t old_pid = target.pid();
    pid_t new_pid = source.pid();

    target = std::move(source);
    expect_gone(old_pid);
    EXPECT_EQ(target.pid(), new_pid);
    EXPECT_EQ(source.pid(), -1); // NOLINT(bugprone-use-after-move)
    EXPECT_TRUE(process_exists(new_pid));
}

TEST_F(ProcessTest, DetachLeavesTheProcessRunning)
{
    pid_t pid = -1;
    {
        auto spawned = Child::spawn(command({ "sleep", "100" }));
        ASSERT_FALSE(spawned.is_error()) << spawned.error().message();
        Child child = spawned.release_value();
        pid = child.pid();
        ASSERT_GT(pid, 0);
        child.detach();
        EXPECT_EQ(child.pid(), -1);
    }
    EXPECT_TRUE(process_exists(pid));

    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST_F(ProcessTest, NoDescriptorsLeak)
{
    int before = open_fd_count();
    ASSERT_GT(before, 0);

    auto ok = corral::run(command({ "sh", "-c", "cat >/dev/null; echo out; echo err >&2" }), "input");
    ASSERT_FALSE(ok.is_error()) << ok.error().message();
    EXPECT_EQ(open_fd_count(), before);

    SpawnOptions failing = command({ "/bin/nope" });
    failing.in = Stdio::Pipe;
    failing.out = Stdio::Pipe;
    failing.err = Stdio::Null;
    ASSERT_TRUE(Child::spawn(failing).is_error());
    EXPECT_EQ(open_fd_count(), before);

    ASSERT_TRUE(corral::run(command({ "yes" }), {}, 100).is_error());
    EXPECT_EQ(open_fd_count(), before);

    {
        SpawnOptions piped = failing;
        piped.argv = { "cat" };
        auto spawned = Child::spawn(piped);
        ASSERT_FALSE(spawned.is_error()) << spawned.error().message();
        EXPECT_EQ(open_fd_count(), before + 2); // our ends of the stdin and stdout pipes
    }
    EXPECT_EQ(open_fd_count(), before);
}

namespace {

// Runs `body` with descriptors 0, 1 and 2 of this process closed, as a program
// started without them (init with no /dev/console, a daemon that closed them) has.
template<typename Body>
void with_stdio_closed(Body body)
{
    int saved[3];
    for (int fd = 0; fd < 3; ++fd) {
        saved[fd] = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
        ASSERT_GE(saved[fd], 10) << strerror(errno);
    }
    for (int fd = 0; fd < 3; ++fd)
        ::close(fd);
    body();
    for (int fd = 0; fd < 3; ++fd) {
        ASSERT_EQ(::dup2(saved[fd], fd), fd);
        ::close(saved[fd]);
    }
}

} // namespace

TEST_F(ProcessTest, RunWorksWithStdioClosed)
{
    // Then the pipes' child ends get numbers 0, 1 and 2 themselves, and spawn must
    // neither leave them close-on-exec nor let one dup2() overwrite another's source.
    ErrorOr<RunResult> result = corral::Error::from_string("not run");
    with_stdio_closed([&] { result = corral::run(command({ "sh", "-c", "cat; echo err >&2" }), "hello"); });
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->out, "hello");
    EXPECT_EQ(result->err, "err\n");
    EXPECT_EQ(result->status.code(), 0);
}

TEST_F(ProcessTest, SpawnWithNullStdioWorksWithStdioClosed)
{
    std::string out_file = m_dir + "/out";
    SpawnOptions options = command(
        { "sh", "-c", "if read line; then echo \"read $line\"; else echo eof; fi >" + out_file + "; echo err >&2" });
    options.in = Stdio::Null;
    options.out = Stdio::Null;
    options.err = Stdio::Pipe;
    ErrorOr<ExitStatus> status = corral::Error::from_string("not run");
    std::string err;
    with_stdio_closed([&] {
        auto spawned = Child::spawn(options);
        if (spawned.is_error()) {
            status = spawned.release_error();
            return;
        }
        Child child = spawned.release_value();
        char buffer[64];
        ssize_t n;
        while ((n = ::read(child.stderr_pipe().get(), buffer, sizeof buffer)) > 0)
            err.append(buffer, static_cast<size_t>(n));
        status = child.wait();
    });
    ASSERT_FALSE(status.is_error()) << status.error().message();
    EXPECT_EQ(status->code(), 0);
    EXPECT_EQ(err, "err\n");
    auto out = ::fopen(out_file.c_str(), "re");
    ASSERT_NE(out, nullptr);
    char line[64] = {};
    ASSERT_NE(::fgets(line, sizeof line, out), nullptr);
    ::fclose(out);
    // stdin was /dev/null, not closed: `read` sees end of file.
    EXPECT_STREQ(line, "eof\n");
}

TEST_F(ProcessTest, SpawnReportsExecFailureWithStdioClosed)
{
    SpawnOptions options = command({ "/bin/nope" });
    options.in = Stdio::Null;
    options.out = Stdio::Null;
    options.err = Stdio::Null;
    ErrorOr<Child> child = corral::Error::from_string("not run");
    with_stdio_closed([&] { child = Child::spawn(options); });
    ASSERT_TRUE(child.is_error());
    EXPECT_EQ(child.error().code(), ENOENT);
    EXPECT_EQ(child.error().message(), "exec \"/bin/nope\": No such file or directory");
}
