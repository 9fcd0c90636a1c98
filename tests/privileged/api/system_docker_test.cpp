// `system-docker` against the real system-dockerd, side by side with the stock
// docker CLI (Debian's docker.io, /usr/bin/docker): both run the same command
// on the same temporary socket and must print the same bytes and exit with the
// same code. Output that depends on the moment it is printed ("2 seconds ago")
// is left out of the comparisons. Skips when not root or without the docker
// CLI.
//
// The client is the multicall binary started as `system-docker`;
// CORRAL_SYSTEM_DOCKER=/path/to/client overrides it (to try a client built
// elsewhere).

#include "base/file.h"
#include "base/process.h"
#include "base/strings.h"
#include "pty_session.h"
#include "test_daemon.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>
#include <unistd.h>

using namespace corral;
using namespace corral::test;

namespace {

constexpr const char* DOCKER = TestDaemon::DOCKER;
constexpr const char* IMAGE = "corral-test/busybox";

std::string trimmed(const std::string& text)
{
    return std::string(trim(text));
}

using Result = CliResult;

class SystemDocker : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        if (::geteuid() != 0 || ::access(DOCKER, X_OK) != 0)
            return;
        s_daemon = TestDaemon::start({ ROS_BINARY, "corral-sd-test", {} }).release();
        if (!s_daemon)
            return;
        if (const char* client = std::getenv("CORRAL_SYSTEM_DOCKER"); client && *client)
            s_client = client;
        else
            s_client = s_daemon->applet("system-docker");
    }

    static void TearDownTestSuite()
    {
        delete s_daemon;
        s_daemon = nullptr;
    }

    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (the daemon runs containers)";
        if (::access(DOCKER, X_OK) != 0)
            GTEST_SKIP() << "no docker CLI at " << DOCKER;
        ASSERT_NE(s_daemon, nullptr);
    }

    static Result run_client(const std::string& program, std::vector<std::string> args, const std::string& input)
    {
        return s_daemon->run_client(program, args, input);
    }

    static Result docker(std::vector<std::string> args, const std::string& input = {})
    {
        return run_client(DOCKER, std::move(args), input);
    }

    static Result ours(std::vector<std::string> args, const std::string& input = {})
    {
        return run_client(s_client, std::move(args), input);
    }

    // Runs the command with both clients; docker's words "docker" become ours.
    static void expect_same(const std::vector<std::string>& args, const std::string& input = {})
    {
        Result theirs = docker(args, input);
        Result mine = ours(args, input);
        // Where docker names itself: "docker ps" accepts…, See 'docker ps
        // --help'., Usage:  docker ps, and docker: at the start of a line.
        auto rename = [](std::string text) {
            for (std::string_view from : { "\"docker ", "'docker ", "  docker ", "\ndocker: " }) {
                std::string to(from);
                to.insert(from.find('d'), "system-");
                for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
                    text.replace(at, from.size(), to);
            }
            if (text.starts_with("docker: "))
                text.insert(0, "system-");
            return text;
        };
        theirs.out = rename(theirs.out);
        theirs.err = rename(theirs.err);
        std::string command = join(args, " ");
        EXPECT_EQ(mine.out, theirs.out) << "system-docker " << command;
        EXPECT_EQ(mine.err, theirs.err) << "system-docker " << command;
        EXPECT_EQ(mine.code, theirs.code) << "system-docker " << command;
    }

    static std::string start_container(const std::string& name, const std::string& script)
    {
        auto run = docker({ "run", "-d", "--name", name, "--net", "none", IMAGE, "sh", "-c", script });
        EXPECT_EQ(run.code, 0) << run.err;
        return std::string(trim(run.out));
    }

    static inline TestDaemon* s_daemon = nullptr;
    static inline std::string s_client;
};

TEST_F(SystemDocker, VersionFormat)
{
    expect_same({ "version", "--format", "{{.Server.APIVersion}} {{.Server.Os}} {{.Server.Version}}" });
    expect_same(
        { "version", "--format", "{{range .Server.Components}}{{.Name}} {{index .Details \"MinAPIVersion\"}}{{end}}" });
    auto mine = ours({ "version" });
    EXPECT_EQ(mine.code, 0) << mine.err;
    // The server half of the default output is docker's, line for line.
    auto theirs = docker({ "version" });
    auto server = [](const std::string& text) { return text.substr(text.find("\nServer:")); };
    EXPECT_EQ(server(mine.out), server(theirs.out));
    expect_same({ "info", "--format", "{{.Driver}} {{.LoggingDriver}} {{.OSType}} {{.NCPU}}" });
}

TEST_F(SystemDocker, PsFormatsAndFilters)
{
    std::string id = start_container("ps-one", "while true; do sleep 1; done");
    start_container("ps-two", "exit 0");
    for (int i = 0; i < 100 && !trimmed(docker({ "ps", "-q", "--filter", "name=ps-two" }).out).empty(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));

    expect_same({ "ps", "--format", "{{.ID}} {{.Names}} {{.Image}} {{.Command}} {{.State}}" });
    expect_same({ "ps", "-a", "--format", "table {{.ID}}\t{{.Image}}\t{{.Names}}\t{{.Ports}}" });
    expect_same({ "ps", "-a", "--no-trunc", "--format", "{{.ID}}\t{{.Command}}\t{{.Label \"none\"}}" });
    expect_same({ "ps", "-q" });
    expect_same({ "ps", "-aq" });
    expect_same({ "ps", "-aq", "--filter", "name=ps-two" });
    expect_same({ "ps", "-a", "--filter", "status=exited", "--format", "{{.Names}}" });
    expect_same({ "ps", "-n", "1", "--format", "{{.Names}}" });
    expect_same({ "ps", "-l", "-q" });
    expect_same({ "ps", "--format", "{{.Nope}}" });
    expect_same({ "ps", "--filter", "nope" });
    expect_same({ "ps", "--bogus" });
    expect_same({ "ps", "extra" });
    EXPECT_EQ(trimmed(ours({ "ps", "-q", "--no-trunc", "--filter", "name=ps-one" }).out), id);
}

TEST_F(SystemDocker, ImagesQuietAndFormats)
{
    expect_same({ "images", "-q" });
    expect_same({ "images" });
    expect_same({ "images", "--no-trunc", "--format", "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}" });
    expect_same({ "images", "--format", "{{json .}}" });
    expect_same({ "images", "--digests" });
    expect_same({ "images", IMAGE });
    expect_same({ "inspect", "-f", "{{.Os}} {{.Architecture}} {{json .RepoTags}}", IMAGE });
}

TEST_F(SystemDocker, Logs)
{
    std::string id = start_container("logs-one", "echo one; echo two >&2; echo three");
    docker({ "wait", id });
    expect_same({ "logs", "logs-one" });
    expect_same({ "logs", "--tail", "1", "logs-one" });
    expect_same({ "logs", "-t", "logs-one" });
    expect_same({ "logs", "-f", "logs-one" });
    // Fixed instants: a relative --until ("1s") would mean a different moment
    // for each of the two clients, which run one after the other.
    expect_same({ "logs", "--since", "2000-01-01T00:00:00Z", "--until", "2100-01-01T00:00:00Z", "logs-one" });
    expect_same({ "logs", "--since", "2000-01-01T00:00:00Z", "--until", "2000-01-02T00:00:00Z", "logs-one" });
    expect_same({ "logs", "nope" });
    auto mine = ours({ "logs", "logs-one" });
    EXPECT_EQ(mine.out, "one\nthree\n");
    EXPECT_EQ(mine.err, "two\n");
}

TEST_F(SystemDocker, InspectFormats)
{
    start_container("inspect-one", "while true; do sleep 1; done");
    expect_same({ "inspect", "inspect-one" });
    expect_same({ "inspect", "-f", "{{.State.Status}} {{.Name}} {{json .Config.Cmd}} {{.HostConfig.NetworkMode}}",
        "inspect-one" });
    expect_same({ "inspect", "--format", "{{range .Config.Env}}{{.}};{{end}}", "inspect-one" });
    expect_same({ "inspect", "-f", "{{.Id}}", "inspect-one", "nope" });
    expect_same({ "inspect", "-f", "{{.State.Nope}}", "inspect-one" });
    expect_same({ "inspect", "--type", "image", "inspect-one" });
    expect_same({ "inspect", "nope" });
    expect_same({ "inspect", IMAGE });
}

TEST_F(SystemDocker, RunExitCodesAndStreams)
{
    expect_same({ "run", "--rm", "--net", "none", IMAGE, "sh", "-c", "echo out; echo err >&2; exit 3" });
    expect_same({ "run", "--rm", "-i", "--net", "none", IMAGE, "sh", "-c", "wc -l; exit 9" }, "a\nb\n");
    expect_same({ "run", "--rm", "--net", "none", "-e", "A=1", "-w", "/tmp", "-u", "1000", IMAGE, "sh", "-c",
        "echo $A $(pwd) $(id -u)" });
    expect_same({ "run", "--rm", "--restart", "always", IMAGE, "true" });
    expect_same({ "run", "--rm", "-m", "abc", IMAGE });
    auto missing = ours({ "run", "--rm", "--net", "none", IMAGE, "/bin/nope" });
    EXPECT_EQ(missing.code, 127);
    EXPECT_NE(missing.err.find("system-docker: Error response from daemon:"), std::string::npos) << missing.err;

    auto detached = ours({ "run", "-d", "--name", "run-detached", "--net", "none", IMAGE, "sh", "-c", "exit 5" });
    ASSERT_EQ(detached.code, 0) << detached.err;
    EXPECT_EQ(trimmed(detached.out).size(), 64u);
    auto waited = ours({ "wait", "run-detached" });
    EXPECT_EQ(waited.out, "5\n");
    auto gone = ours({ "ps", "-aq", "--filter", "name=run-detached" });
    EXPECT_FALSE(trimmed(gone.out).empty());
    expect_same({ "run", "--name", "run-detached", IMAGE, "true" });
}

TEST_F(SystemDocker, ExecExitCodes)
{
    start_container("exec-one", "while true; do sleep 1; done");
    expect_same({ "exec", "exec-one", "sh", "-c", "echo hi; echo oops >&2; exit 4" });
    expect_same({ "exec", "-i", "exec-one", "sh", "-c", "cat; exit 2" }, "piped\ninput\n");
    expect_same({ "exec", "-e", "A=1", "-w", "/tmp", "-u", "1000", "exec-one", "sh", "-c", "echo $A $(pwd) $(id -u)" });
    expect_same({ "exec", "nope", "true" });
    expect_same({ "exec", "exec-one" });
    // dockerd hands the stream over, writes why the program did not start as
    // a stdout frame and records 126 or 127, which is the exit status.
    expect_same({ "exec", "exec-one", "/bin/nope" });
    auto missing = ours({ "exec", "exec-one", "/bin/nope" });
    EXPECT_EQ(missing.code, 127) << missing.err;
    EXPECT_NE(missing.out.find("no such file or directory"), std::string::npos) << missing.out;
    auto detached = ours({ "exec", "-d", "exec-one", "sh", "-c", "echo x > /tmp/detached" });
    EXPECT_EQ(detached.code, 0) << detached.err;
    EXPECT_EQ(detached.out, "");
}

TEST_F(SystemDocker, ExecWithATerminal)
{
    start_container("tty-one", "while true; do sleep 1; done");
    PtySession session({ s_client, "-H", "unix://" + s_daemon->socket(), "exec", "-it", "tty-one", "sh" },
        s_daemon->client_env(), 33, 101);
    ASSERT_TRUE(session.started());
    session.read_for(1500);
    session.type("stty size\r");
    EXPECT_TRUE(session.read_until("33 101", 3000)) << session.output();
    session.resize(40, 120);
    session.read_for(500);
    session.type("stty size; exit 3\r");
    EXPECT_TRUE(session.read_until("40 120", 3000)) << session.output();
    EXPECT_EQ(session.wait(5000), 3) << session.output();
}

TEST_F(SystemDocker, ErrorsLikeDocker)
{
    expect_same({ "stop", "nope" });
    expect_same({ "kill", "nope" });
    expect_same({ "rm", "nope" });
    expect_same({ "rm", "-f", "nope" });
    expect_same({ "rmi", "nope" });
    expect_same({ "wait", "nope" });
    expect_same({ "top", "nope" });
    expect_same({ "stop" });
    expect_same({ "tag", "a" });
    expect_same({ "start", "nope" });
}

TEST_F(SystemDocker, LifecycleAndEvents)
{
    std::string since = std::to_string(::time(nullptr) - 1);
    auto created = ours({ "create", "--name", "life", "--net", "none", IMAGE, "sh", "-c",
        "trap 'exit 0' TERM; while true; do sleep 0.1; done" });
    ASSERT_EQ(created.code, 0) << created.err;
    std::string id = trimmed(created.out);
    EXPECT_EQ(ours({ "start", "life" }).out, "life\n");
    EXPECT_EQ(ours({ "restart", "-t", "5", "life" }).out, "life\n");
    EXPECT_EQ(ours({ "stop", "-t", "5", "life" }).out, "life\n");
    EXPECT_EQ(ours({ "rm", "life" }).out, "life\n");
    std::string until = std::to_string(::time(nullptr) + 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    expect_same({ "events", "--since", since, "--until", until, "--filter", "container=" + id, "--format",
        "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}" });
    expect_same({ "events", "--since", since, "--until", until, "--filter", "container=" + id });
    auto events = ours(
        { "events", "--since", since, "--until", until, "--filter", "container=" + id, "--format", "{{.Action}}" });
    EXPECT_NE(events.out.find("create\n"), std::string::npos) << events.out;
    EXPECT_NE(events.out.find("destroy\n"), std::string::npos) << events.out;
}

TEST_F(SystemDocker, SaveLoadTag)
{
    std::string archive = s_daemon->root() + "/saved.tar";
    auto saved = ours({ "save", "-o", archive, IMAGE });
    ASSERT_EQ(saved.code, 0) << saved.err;
    auto loaded = ours({ "load", "-i", archive });
    EXPECT_EQ(loaded.code, 0) << loaded.err;
    EXPECT_EQ(loaded.out, "Loaded image: corral-test/busybox:latest\n");
    auto file = read_file(archive);
    ASSERT_FALSE(file.is_error());
    auto piped = ours({ "load" }, *file);
    EXPECT_EQ(piped.out, "Loaded image: corral-test/busybox:latest\n") << piped.err;
    expect_same({ "load", "-i", s_daemon->root() + "/nonexistent.tar" });
    EXPECT_EQ(ours({ "tag", IMAGE, "corral-test/copy:v1" }).code, 0);
    // Rows of one image with several tags come in Go's map order in docker's
    // output, so only the IDs are compared.
    expect_same({ "images", "-q", "corral-test/copy" });
    auto removed = ours({ "rmi", "corral-test/copy:v1" });
    EXPECT_EQ(removed.out, "Untagged: corral-test/copy:v1\n") << removed.err;
    expect_same({ "rmi", "corral-test/copy:v1" });
}

} // namespace
