// system-dockerd driven by the stock docker CLI (Debian's docker.io): the
// daemon on a temporary socket and data root, a test image loaded with
// `docker load`, then run, ps, logs, exec, inspect, stop, kill, wait, rm,
// images, tag, rmi, save, volumes and events, asserting outputs and exit
// codes. Skips when not root or without /usr/bin/docker.

#include "base/file.h"
#include "base/process.h"
#include "base/strings.h"
#include "base/system.h"
#include "pty_session.h"
#include "test_daemon.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <thread>
#include <unistd.h>

using namespace corral;
using namespace corral::test;

namespace {

constexpr const char* DOCKER = TestDaemon::DOCKER;
using Result = CliResult;

class DockerCli : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        if (::geteuid() != 0 || ::access(DOCKER, X_OK) != 0)
            return;
        s_daemon = TestDaemon::start({ ROS_BINARY, "corral-cli-test", {} }).release();
    }

    static void TearDownTestSuite()
    {
        if (!s_daemon)
            return;
        auto ids = docker({ "ps", "-aq" });
        for (auto const& id : split(ids.out, '\n')) {
            if (!id.empty())
                docker({ "rm", "-f", "-v", id });
        }
        EXPECT_EQ(s_daemon->stop(), 0);
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

    static Result docker(std::vector<std::string> args, const std::string& input = {})
    {
        return s_daemon->docker(args, input);
    }

    static std::string trimmed(const std::string& text) { return std::string(trim(text)); }

    static inline TestDaemon* s_daemon = nullptr;
};

TEST_F(DockerCli, VersionAndInfo)
{
    auto version = docker({ "version", "--format", "{{.Server.APIVersion}} {{.Server.Os}}" });
    EXPECT_EQ(version.code, 0) << version.err;
    EXPECT_EQ(version.out, "1.41 linux\n");
    auto info = docker({ "info", "--format", "{{.Driver}} {{.LoggingDriver}} {{.OSType}}" });
    EXPECT_EQ(info.code, 0) << info.err;
    EXPECT_EQ(info.out, "overlay2 json-file linux\n");
}

TEST_F(DockerCli, RunRemovesAndGivesTheExitCode)
{
    auto run = docker({ "run", "--rm", "--net", "none", "corral-test/busybox", "sh", "-c", "echo out; echo err >&2; exit 3" });
    EXPECT_EQ(run.code, 3) << run.err;
    EXPECT_EQ(run.out, "out\n");
    EXPECT_EQ(run.err, "err\n");
    auto none = docker({ "ps", "-aq", "--filter", "ancestor=corral-test/busybox", "--filter", "status=exited" });
    EXPECT_EQ(none.out, "");

    auto missing = docker({ "run", "--rm", "corral-test/busybox", "/bin/nope" });
    EXPECT_EQ(missing.code, 127);
    EXPECT_NE(missing.err.find("exec \"/bin/nope\": no such file or directory"), std::string::npos) << missing.err;
}

TEST_F(DockerCli, DetachedLifecycle)
{
    auto run = docker({ "run", "-d", "--name", "web", "-e", "GREETING=hello", "-w", "/tmp", "corral-test/busybox", "sh",
        "-c", "echo $GREETING from $(pwd); trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done" });
    ASSERT_EQ(run.code, 0) << run.err;
    std::string id = trimmed(run.out);
    EXPECT_EQ(id.size(), 64u);

    auto ps = docker({ "ps", "--filter", "name=web", "--format", "{{.Names}} {{.Image}} {{.ID}}" });
    EXPECT_EQ(ps.out, "web corral-test/busybox " + id.substr(0, 12) + "\n");
    auto status = docker({ "ps", "--format", "{{.Status}}", "--filter", "id=" + id.substr(0, 12) });
    EXPECT_TRUE(status.out.starts_with("Up ")) << status.out;

    for (int i = 0; i < 100 && docker({ "logs", "web" }).out.empty(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto logs = docker({ "logs", "web" });
    EXPECT_EQ(logs.out, "hello from /tmp\n");

    auto exec = docker({ "exec", "web", "sh", "-c", "echo in $(pwd) as $(id -u); exit 4" });
    EXPECT_EQ(exec.code, 4) << exec.err;
    EXPECT_EQ(exec.out, "in /tmp as 0\n");
    auto exec_user = docker({ "exec", "-u", "alice", "-w", "/", "web", "id", "-u" });
    EXPECT_EQ(exec_user.out, "1000\n");

    auto inspect = docker({ "inspect", "-f", "{{.State.Status}} {{.Name}} {{.Config.Image}} {{.State.Running}}", "web" });
    EXPECT_EQ(inspect.out, "running /web corral-test/busybox true\n") << inspect.err;

    auto stop = docker({ "stop", "web" });
    EXPECT_EQ(stop.code, 0) << stop.err;
    EXPECT_EQ(stop.out, "web\n");
    auto exited = docker({ "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "web" });
    EXPECT_EQ(exited.out, "exited 0\n");
    EXPECT_EQ(docker({ "logs", "web" }).out, "hello from /tmp\nbye\n");
    auto ps_all = docker({ "ps", "-a", "--filter", "name=web", "--format", "{{.Status}}" });
    EXPECT_TRUE(ps_all.out.starts_with("Exited (0) ")) << ps_all.out;

    auto rm = docker({ "rm", "web" });
    EXPECT_EQ(rm.code, 0) << rm.err;
    EXPECT_EQ(rm.out, "web\n");
    auto gone = docker({ "inspect", "web" });
    EXPECT_EQ(gone.code, 1);
    EXPECT_NE(gone.err.find("No such object: web"), std::string::npos) << gone.err;
}

TEST_F(DockerCli, KillAndWait)
{
    auto run = docker({ "run", "-d", "corral-test/busybox", "sleep", "30" });
    ASSERT_EQ(run.code, 0) << run.err;
    std::string id = trimmed(run.out);
    auto kill = docker({ "kill", id });
    EXPECT_EQ(kill.code, 0) << kill.err;
    auto wait = docker({ "wait", id });
    EXPECT_EQ(wait.out, "137\n");
    auto again = docker({ "kill", id });
    EXPECT_EQ(again.code, 1);
    EXPECT_NE(again.err.find("is not running"), std::string::npos) << again.err;
    EXPECT_EQ(docker({ "rm", id }).code, 0);

    // rm -f of a running --rm container: the user's removal, not a race with
    // the AutoRemove its exit would start.
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(docker({ "run", "-d", "--rm", "--name", "auto-rm", "corral-test/busybox", "sleep", "30" }).code, 0);
        auto removed = docker({ "rm", "-f", "auto-rm" });
        EXPECT_EQ(removed.code, 0) << removed.err;
        EXPECT_EQ(removed.out, "auto-rm\n");
    }
}

TEST_F(DockerCli, VolumesAndVolumesFrom)
{
    EXPECT_EQ(docker({ "volume", "create", "cli-data" }).out, "cli-data\n");
    auto write = docker({ "run", "--rm", "-v", "cli-data:/data", "corral-test/busybox", "sh", "-c", "cat /data/seed; echo x > /data/f" });
    EXPECT_EQ(write.code, 0) << write.err;
    EXPECT_EQ(write.out, "from the image\n");
    auto read = docker({ "run", "--rm", "-v", "cli-data:/data:ro", "corral-test/busybox", "cat", "/data/f" });
    EXPECT_EQ(read.out, "x\n");
    auto ls = docker({ "volume", "ls", "-q", "--filter", "name=cli-data" });
    EXPECT_EQ(ls.out, "cli-data\n");
    auto inspect = docker({ "volume", "inspect", "-f", "{{.Driver}} {{.Name}}", "cli-data" });
    EXPECT_EQ(inspect.out, "local cli-data\n");

    auto holder = docker({ "create", "--name", "holder", "-v", "cli-data:/shared", "corral-test/busybox", "true" });
    ASSERT_EQ(holder.code, 0) << holder.err;
    auto from = docker({ "run", "--rm", "--volumes-from", "holder", "corral-test/busybox", "cat", "/shared/f" });
    EXPECT_EQ(from.out, "x\n") << from.err;
    auto busy = docker({ "volume", "rm", "cli-data" });
    EXPECT_EQ(busy.code, 1);
    EXPECT_NE(busy.err.find("volume is in use"), std::string::npos) << busy.err;
    EXPECT_EQ(docker({ "rm", "holder" }).code, 0);
    EXPECT_EQ(docker({ "volume", "rm", "cli-data" }).out, "cli-data\n");
}

TEST_F(DockerCli, HostNamespacesPrivilegeAndReadOnly)
{
    std::string me = std::to_string(::getpid());
    auto pid = docker({ "run", "--rm", "--pid", "host", "corral-test/busybox", "test", "-d", "/proc/" + me });
    EXPECT_EQ(pid.code, 0) << pid.err;
    auto ro = docker({ "run", "--rm", "--read-only", "corral-test/busybox", "touch", "/x" });
    EXPECT_EQ(ro.code, 1);
    EXPECT_NE(ro.err.find("Read-only file system"), std::string::npos) << ro.err;
    auto caps = docker({ "run", "--rm", "corral-test/busybox", "grep", "CapEff", "/proc/self/status" });
    EXPECT_EQ(caps.out, "CapEff:\t00000000a80425fb\n");
    auto privileged = docker({ "run", "--rm", "--privileged", "corral-test/busybox", "grep", "CapEff", "/proc/self/status" });
    EXPECT_NE(privileged.out, caps.out);
    auto host_net = docker({ "run", "--rm", "--net", "host", "corral-test/busybox", "hostname" });
    char hostname[256] {};
    ::gethostname(hostname, sizeof hostname - 1);
    EXPECT_EQ(host_net.out, std::string(hostname) + "\n");
    auto user = docker({ "run", "--rm", "-u", "alice", "corral-test/busybox", "id" });
    EXPECT_EQ(user.out, "uid=1000(alice) gid=1000(alice) groups=50(staff),1000(alice)\n") << user.err;
}

TEST_F(DockerCli, TopStatsPauseRename)
{
    auto run = docker({ "run", "-d", "--name", "busy", "corral-test/busybox", "sleep", "30" });
    ASSERT_EQ(run.code, 0) << run.err;
    auto top = docker({ "top", "busy" });
    EXPECT_EQ(top.code, 0) << top.err;
    EXPECT_TRUE(top.out.starts_with("UID")) << top.out;
    EXPECT_NE(top.out.find("sleep 30"), std::string::npos) << top.out;
    // Other ps arguments go to the host's ps, limited to the container's processes.
    auto custom = docker({ "top", "busy", "-o", "pid,args" });
    EXPECT_EQ(custom.code, 0) << custom.err;
    auto pid = trimmed(docker({ "inspect", "-f", "{{.State.Pid}}", "busy" }).out);
    EXPECT_EQ(custom.out.substr(0, custom.out.find('\n')), "PID                 COMMAND") << custom.out;
    auto row = custom.out.substr(custom.out.find('\n') + 1);
    EXPECT_TRUE(row.starts_with(pid + " ") && row.ends_with(" sleep 30\n")) << custom.out;
    EXPECT_EQ(std::count(custom.out.begin(), custom.out.end(), '\n'), 2) << custom.out;
    auto stats = docker({ "stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "busy" });
    EXPECT_EQ(stats.code, 0) << stats.err;
    EXPECT_EQ(stats.out, "busy 1\n");
    EXPECT_EQ(docker({ "pause", "busy" }).code, 0);
    EXPECT_EQ(docker({ "inspect", "-f", "{{.State.Status}}", "busy" }).out, "paused\n");
    EXPECT_EQ(docker({ "unpause", "busy" }).code, 0);
    EXPECT_EQ(docker({ "rename", "busy", "busier" }).code, 0);
    EXPECT_EQ(docker({ "inspect", "-f", "{{.Name}}", "busier" }).out, "/busier\n");
    auto rm = docker({ "rm", "busier" });
    EXPECT_EQ(rm.code, 1);
    EXPECT_NE(rm.err.find("You cannot remove a running container"), std::string::npos) << rm.err;
    EXPECT_EQ(docker({ "rm", "-f", "busier" }).code, 0);
}

TEST_F(DockerCli, RestartPolicy)
{
    auto run = docker({ "run", "-d", "--restart", "on-failure:2", "corral-test/busybox", "sh", "-c", "exit 1" });
    ASSERT_EQ(run.code, 0) << run.err;
    std::string id = trimmed(run.out);
    std::string state;
    for (int i = 0; i < 200; ++i) {
        state = docker({ "inspect", "-f", "{{.RestartCount}} {{.State.Status}}", id }).out;
        if (state == "2 exited\n")
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(state, "2 exited\n");
    EXPECT_EQ(docker({ "rm", id }).code, 0);
}

TEST_F(DockerCli, ImagesTagRmiSave)
{
    auto images = docker({ "images", "--format", "{{.Repository}}:{{.Tag}}" });
    EXPECT_NE(images.out.find("corral-test/busybox:latest\n"), std::string::npos) << images.out;
    EXPECT_EQ(docker({ "tag", "corral-test/busybox", "cli-tag:1" }).code, 0);
    auto tagged = docker({ "images", "-q", "cli-tag" });
    auto original = docker({ "images", "-q", "corral-test/busybox" });
    EXPECT_EQ(tagged.out, original.out);
    EXPECT_FALSE(tagged.out.empty());
    // A reference filter lists only the names that match; * stops at a slash.
    auto by_reference = docker({ "images", "--filter", "reference=cli-*", "--format", "{{.Repository}}:{{.Tag}}" });
    EXPECT_EQ(by_reference.out, "cli-tag:1\n") << by_reference.err;
    auto across_slash = docker({ "images", "--filter", "reference=*busybox", "--format", "{{.Repository}}" });
    EXPECT_EQ(across_slash.out, "") << across_slash.err;
    auto bad_filter = docker({ "images", "--filter", "colour=red" });
    EXPECT_EQ(bad_filter.code, 1);
    EXPECT_NE(bad_filter.err.find("invalid filter 'colour'"), std::string::npos) << bad_filter.err;
    auto rmi = docker({ "rmi", "cli-tag:1" });
    EXPECT_EQ(rmi.code, 0) << rmi.err;
    EXPECT_EQ(rmi.out, "Untagged: cli-tag:1\n");

    std::string saved = s_daemon->root() + "/saved.tar";
    auto save = docker({ "save", "-o", saved, "corral-test/busybox" });
    EXPECT_EQ(save.code, 0) << save.err;
    auto listing = shell("tar -tf " + saved);
    EXPECT_NE(listing.find("manifest.json"), std::string::npos) << listing;

    auto no_such = docker({ "rmi", "no/such:image" });
    EXPECT_EQ(no_such.code, 1);
    EXPECT_NE(no_such.err.find("No such image: no/such:image"), std::string::npos) << no_such.err;
}

TEST_F(DockerCli, Events)
{
    auto since = std::to_string(std::time(nullptr) - 1);
    auto run = docker({ "run", "--rm", "--name", "evented", "corral-test/busybox", "true" });
    ASSERT_EQ(run.code, 0) << run.err;
    auto until = std::to_string(std::time(nullptr) + 1);
    auto events = docker({ "events", "--since", since, "--until", until, "--filter", "container=evented", "--format",
        "{{.Type}} {{.Action}}" });
    EXPECT_EQ(events.code, 0) << events.err;
    EXPECT_EQ(events.out, "container create\ncontainer attach\ncontainer start\ncontainer die\ncontainer destroy\n");
}

} // namespace

// `docker run -it` and `docker exec -it` as at a terminal: the container's
// terminal has the client's size and follows its resizes, input typed
// reaches the shell, and the shell's exit code is docker's.
TEST_F(DockerCli, RunAndExecOnATerminal)
{
    std::vector<std::string> base { DOCKER, "-H", "unix://" + s_daemon->socket() };
    auto with = [&](std::vector<std::string> args) {
        args.insert(args.begin(), base.begin(), base.end());
        return args;
    };
    {
        PtySession run(with({ "run", "-it", "--name", "tty-run", "--net", "none", "corral-test/busybox", "sh" }),
            s_daemon->client_env(), 33, 101);
        ASSERT_TRUE(run.started());
        run.read_for(1500);
        run.type("stty size; echo typed-$((6*7))\r");
        EXPECT_TRUE(run.read_until("typed-42", 5000)) << run.output();
        EXPECT_NE(run.output().find("33 101"), std::string::npos) << run.output();
        run.resize(40, 120);
        run.read_for(500);
        run.type("stty size; exit 3\r");
        EXPECT_TRUE(run.read_until("40 120", 5000)) << run.output();
        EXPECT_EQ(run.wait(10000), 3) << run.output();
    }
    auto state = docker({ "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.Config.Tty}}", "tty-run" });
    EXPECT_EQ(state.out, "exited 3 true\n") << state.err;

    auto started = docker({ "run", "-d", "--name", "tty-exec", "--net", "none", "corral-test/busybox", "sleep", "60" });
    ASSERT_EQ(started.code, 0) << started.err;
    PtySession exec(with({ "exec", "-it", "-u", "alice", "tty-exec", "sh" }), s_daemon->client_env(), 25, 90);
    ASSERT_TRUE(exec.started());
    exec.read_for(1000);
    exec.type("id -u; stty size; exit 4\r");
    EXPECT_TRUE(exec.read_until("25 90", 5000)) << exec.output();
    EXPECT_NE(exec.output().find("1000"), std::string::npos) << exec.output();
    EXPECT_EQ(exec.wait(10000), 4) << exec.output();
    docker({ "rm", "-f", "tty-run", "tty-exec" });
}
