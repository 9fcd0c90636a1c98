// The supervisor for real: containers started through corral-supervisor,
// their output seen by an attach client that connected first and found in
// the json-file log, stdin and a pty driven through the socket, exit records
// for codes and signals, start errors that name their step, the process tree
// (the supervisor is not our child) and its memory. Skips when not root.

#include "executor_test_support.h"

#include "base/file.h"
#include "base/strings.h"
#include "base/system.h"
#include "runtime/supervisor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace corral;
using namespace corral::test;
using namespace corral::runtime;

namespace {

struct Received {
    std::string out, err;
    std::optional<ExitRecord> exit;
};

// Reads packets until the supervisor closes the connection (or 30 s pass
// without one, so that a hang fails the test instead of stalling it).
Received drain(SupervisorConnection& connection)
{
    struct timeval limit { 30, 0 };
    ::setsockopt(connection.fd(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    Received received;
    while (true) {
        auto packet = connection.receive();
        if (packet.is_error() || !packet->has_value())
            break;
        auto const& p = **packet;
        if (p.type == supervisor_message::STDOUT)
            received.out += p.data;
        else if (p.type == supervisor_message::STDERR)
            received.err += p.data;
        else if (p.type == supervisor_message::EXIT)
            received.exit = exit_record_from_json(p.data).release_value();
    }
    return received;
}

class SupervisorTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (namespaces, mounts, cgroups)";
        // Supervisors are reparented to the nearest subreaper; be it, so
        // that they are reaped here rather than left to a PID 1 that may not.
        ::prctl(PR_SET_CHILD_SUBREAPER, 1);
        run_dir = path_join(dirs.base(), "run");
        ASSERT_TRUE(sys::mkdir(run_dir, 0700));
    }
    void TearDown() override
    {
        while (::waitpid(-1, nullptr, WNOHANG) > 0) { }
    }

    SupervisorOptions options(std::vector<std::string> args)
    {
        SupervisorOptions o;
        o.run_dir = run_dir;
        o.spec = default_spec(dirs, std::move(args));
        o.log_path = path_join(dirs.base(), "container-json.log");
        return o;
    }

    ErrorOr<LaunchedSupervisor> launch(const SupervisorOptions& o, std::optional<SupervisorConnection>* attach,
        std::string_view streams = "oe")
    {
        Fd listener = TRY(bind_supervisor_socket(run_dir));
        if (attach)
            attach->emplace(TRY(SupervisorConnection::connect(run_dir, streams)));
        return launch_supervisor(o, std::move(listener));
    }

    // Waits for exit.json (the supervisor writes it before it exits).
    std::optional<ExitRecord> wait_exit(int seconds = 20)
    {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
        while (std::chrono::steady_clock::now() < deadline) {
            auto record = read_exit_record(run_dir);
            if (record.is_error() || record->has_value())
                return record.is_error() ? std::nullopt : *record;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return std::nullopt;
    }

    ContainerDirs dirs;
    std::string run_dir;
};

TEST_F(SupervisorTest, AttachedClientSeesAllOutputAndTheExit)
{
    std::optional<SupervisorConnection> attach;
    auto launched = launch(options({ "sh", "-c", "echo one; echo two >&2; echo three; exit 7" }), &attach);
    ASSERT_TRUE(launched) << launched.error().message();
    EXPECT_GT(launched->process_pid, 0);
    EXPECT_GT(launched->supervisor_pid, 0);
    EXPECT_NE(launched->supervisor_pid, ::getpid());

    Received received = drain(*attach);
    EXPECT_EQ(received.out, "one\nthree\n");
    EXPECT_EQ(received.err, "two\n");
    ASSERT_TRUE(received.exit.has_value());
    EXPECT_EQ(received.exit->exit_code, 7);
    EXPECT_EQ(received.exit->signal, 0);
    EXPECT_FALSE(received.exit->finished_at.empty());

    auto record = wait_exit();
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->exit_code, 7);

    auto entries = read_json_logs(path_join(dirs.base(), "container-json.log"), 1, {});
    ASSERT_TRUE(entries) << entries.error().message();
    std::string out, err;
    for (auto const& entry : *entries)
        (entry.stream == "stdout" ? out : err) += entry.log;
    EXPECT_EQ(out, "one\nthree\n");
    EXPECT_EQ(err, "two\n");
}

TEST_F(SupervisorTest, IsNotTheCallersChildAndLeadsItsOwnSession)
{
    std::optional<SupervisorConnection> control;
    auto launched = launch(options({ "sleep", "30" }), &control, "");
    ASSERT_TRUE(launched) << launched.error().message();
    auto status = read_file("/proc/" + std::to_string(launched->supervisor_pid) + "/stat");
    ASSERT_TRUE(status);
    // pid (comm) state ppid pgrp session
    auto fields = split(status->substr(status->rfind(')') + 2), ' ');
    EXPECT_NE(std::stoi(fields[3]), ::getsid(0)); // a session of its own, without a terminal
    EXPECT_EQ(std::stoi(fields[4]), 0);
    // The container process is the supervisor's child.
    auto container = read_file("/proc/" + std::to_string(launched->process_pid) + "/stat");
    ASSERT_TRUE(container);
    auto container_fields = split(container->substr(container->rfind(')') + 2), ' ');
    EXPECT_EQ(std::stoi(container_fields[1]), launched->supervisor_pid);

    ASSERT_EQ(::kill(launched->process_pid, SIGKILL), 0);
    Received received = drain(*control);
    ASSERT_TRUE(received.exit.has_value());
    EXPECT_EQ(received.exit->exit_code, 137);
    EXPECT_EQ(received.exit->signal, SIGKILL);
}

TEST_F(SupervisorTest, SupervisorStaysSmall)
{
    std::optional<SupervisorConnection> control;
    auto launched = launch(options({ "sh", "-c", "while true; do echo tick; sleep 0.05; done" }), &control, "o");
    ASSERT_TRUE(launched) << launched.error().message();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto status = read_file("/proc/" + std::to_string(launched->supervisor_pid) + "/status");
    ASSERT_TRUE(status);
    auto at = status->find("VmRSS:");
    ASSERT_NE(at, std::string::npos);
    long rss_kib = std::strtol(status->c_str() + at + 6, nullptr, 10);
    std::printf("supervisor VmRSS: %ld KiB\n", rss_kib);
    if (std::getenv("SHOW_SMAPS"))
        std::printf("%s\n", read_file("/proc/" + std::to_string(launched->supervisor_pid) + "/smaps")->c_str());
#if !defined(__SANITIZE_ADDRESS__)
    EXPECT_LT(rss_kib, 1024) << "the issue's target: under 1 MiB per supervisor";
#endif
    ASSERT_EQ(::kill(launched->process_pid, SIGKILL), 0);
    Received received = drain(*control);
    EXPECT_TRUE(received.out.starts_with("tick\n"));
}

TEST_F(SupervisorTest, StdinReachesTheProcessAndClosesOnRequest)
{
    auto o = options({ "sh", "-c", "cat; echo done" });
    o.spec.process.open_stdin = true;
    std::optional<SupervisorConnection> attach;
    auto launched = launch(o, &attach, "ioe");
    ASSERT_TRUE(launched) << launched.error().message();
    ASSERT_TRUE(attach->send_stdin("hello\n"));
    ASSERT_TRUE(attach->send_stdin(std::string(100000, 'x')));
    ASSERT_TRUE(attach->close_stdin());
    Received received = drain(*attach);
    std::string expected = "hello\n" + std::string(100000, 'x') + "done\n";
    EXPECT_EQ(received.out.size(), expected.size());
    EXPECT_TRUE(received.out == expected) << "differs at " << std::mismatch(received.out.begin(), received.out.end(), expected.begin(), expected.end()).first - received.out.begin();
    ASSERT_TRUE(received.exit.has_value());
    EXPECT_EQ(received.exit->exit_code, 0);
}

TEST_F(SupervisorTest, StdinOnceClosesWhenTheFirstClientLeaves)
{
    auto o = options({ "sh", "-c", "cat; echo eof" });
    o.spec.process.open_stdin = true;
    o.stdin_once = true;
    std::optional<SupervisorConnection> watcher;
    auto launched = launch(o, &watcher, "o");
    ASSERT_TRUE(launched) << launched.error().message();
    {
        auto writer = SupervisorConnection::connect(run_dir, "i");
        ASSERT_TRUE(writer);
        ASSERT_TRUE(writer->send_stdin("abc\n"));
    } // disconnects
    Received received = drain(*watcher);
    EXPECT_EQ(received.out, "abc\neof\n");
}

TEST_F(SupervisorTest, TerminalGetsItsSizeAndCarriesInput)
{
    auto o = options({ "sh", "-c", "read line; stty size; echo got:$line; tty" });
    o.spec.process.terminal = true;
    o.spec.process.open_stdin = true;
    std::optional<SupervisorConnection> attach;
    ASSERT_TRUE(bind_supervisor_socket(run_dir)); // a stale socket is replaced
    auto launched = launch(o, &attach, "io");
    ASSERT_TRUE(launched) << launched.error().message();
    ASSERT_TRUE(attach->resize(40, 100));
    ASSERT_TRUE(attach->send_stdin("typed\n"));
    Received received = drain(*attach);
    // The terminal echoes the input and turns \n into \r\n.
    EXPECT_NE(received.out.find("40 100\r\n"), std::string::npos) << received.out;
    EXPECT_NE(received.out.find("got:typed\r\n"), std::string::npos) << received.out;
    EXPECT_NE(received.out.find("/dev/console\r\n"), std::string::npos) << received.out;
    EXPECT_EQ(received.err, "");
}

TEST_F(SupervisorTest, StartErrorsNameTheStep)
{
    auto launched = launch(options({ "/bin/nope" }), nullptr);
    ASSERT_FALSE(launched);
    EXPECT_EQ(launched.error().message(), "exec \"/bin/nope\": No such file or directory");
    EXPECT_EQ(launched.error().code(), ENOENT);
    // Nothing was started, so nothing is recorded.
    auto record = read_exit_record(run_dir);
    ASSERT_TRUE(record);
    EXPECT_FALSE(record->has_value());

    auto o = options({ "true" });
    o.binary = "/nonexistent/corral-supervisor";
    auto missing = launch(o, nullptr);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message(), "exec \"/nonexistent/corral-supervisor\": No such file or directory");
}

TEST_F(SupervisorTest, OutputOutlivesTheClientThatStartedIt)
{
    // No client at all: the log still gets everything and the exit is recorded.
    auto launched = launch(options({ "sh", "-c", "for i in 1 2 3; do echo line$i; done" }), nullptr);
    ASSERT_TRUE(launched) << launched.error().message();
    auto record = wait_exit();
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(record->exit_code, 0);
    auto entries = read_json_logs(path_join(dirs.base(), "container-json.log"), 1, {});
    ASSERT_TRUE(entries);
    ASSERT_EQ(entries->size(), 3u);
    EXPECT_EQ((*entries)[2].log, "line3\n");
    // A connection after the end is refused: nobody listens any more.
    ASSERT_EQ(::waitpid(launched->supervisor_pid, nullptr, 0), launched->supervisor_pid); // ours as subreaper
    auto late = SupervisorConnection::connect(run_dir, "");
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code(), ECONNREFUSED);
}

} // namespace
