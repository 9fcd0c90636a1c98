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
#include "test_image.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace corral;
using namespace corral::test;

namespace {

constexpr const char* DOCKER = "/usr/bin/docker";
constexpr const char* IMAGE = "corral-test/busybox";

std::string trimmed(const std::string& text)
{
    return std::string(trim(text));
}

struct Result {
    int code { -1 };
    std::string out, err;
};

class SystemDocker : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        if (::geteuid() != 0 || ::access(DOCKER, X_OK) != 0)
            return;
        ::prctl(PR_SET_CHILD_SUBREAPER, 1);
        s_dir = new TempDir();
        std::string root = s_dir->path();
        s_socket = root + "/docker.sock";
        s_cgroup = "corral-sd-test-" + std::to_string(::getpid());
        // The multicall binary picks the program by its name.
        std::string daemon = root + "/system-dockerd";
        EXPECT_EQ(::symlink(ROS_BINARY, daemon.c_str()), 0);
        if (const char* client = std::getenv("CORRAL_SYSTEM_DOCKER"); client && *client) {
            s_client = client;
        } else {
            s_client = root + "/system-docker";
            EXPECT_EQ(::symlink(ROS_BINARY, s_client.c_str()), 0);
        }
        SpawnOptions options;
        options.argv = { daemon, "-H", "unix://" + s_socket, "--data-root", root + "/data", "--exec-root",
            root + "/exec", "--pidfile", root + "/pid", "--cgroup-parent", s_cgroup };
        options.out = Stdio::Null;
        options.err = Stdio::Inherit;
        auto child = Child::spawn(options);
        ASSERT_FALSE(child.is_error()) << child.error().message();
        s_daemon = new Child(child.release_value());
        for (int i = 0; i < 200 && ::access(s_socket.c_str(), F_OK) != 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        std::string archive = root + "/image.tar";
        ASSERT_FALSE(write_file_atomic(archive, busybox_test_archive(), 0600).is_error());
        auto loaded = docker({ "load", "-i", archive });
        EXPECT_EQ(loaded.code, 0) << loaded.err;
        EXPECT_EQ(loaded.out, "Loaded image: corral-test/busybox:latest\n");
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
        ::kill(s_daemon->pid(), SIGTERM);
        // A daemon that hangs on its way out must not hang the suite: after 30
        // seconds it is killed, and that is a failure.
        bool exited = false;
        for (int i = 0; i < 300 && !exited; ++i) {
            auto stat = read_file("/proc/" + std::to_string(s_daemon->pid()) + "/stat");
            exited = stat.is_error() || stat->find(") Z ") != std::string::npos;
            if (!exited)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        EXPECT_TRUE(exited) << "system-dockerd did not exit within 30 s of SIGTERM";
        if (!exited)
            ::kill(s_daemon->pid(), SIGKILL);
        auto status = s_daemon->wait();
        EXPECT_FALSE(status.is_error());
        delete s_daemon;
        s_daemon = nullptr;
        while (::waitpid(-1, nullptr, WNOHANG) > 0) { }
        remove_cgroups();
        delete s_dir;
        s_dir = nullptr;
    }

    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (the daemon runs containers)";
        if (::access(DOCKER, X_OK) != 0)
            GTEST_SKIP() << "no docker CLI at " << DOCKER;
        ASSERT_NE(s_daemon, nullptr);
    }

    // Our cgroup parent in every hierarchy (this host mounts cpu and cpuacct
    // apart, others comount them), with whatever the containers left in it.
    static void remove_cgroups()
    {
        std::vector<std::string> roots { "/sys/fs/cgroup" };
        if (DIR* dir = ::opendir("/sys/fs/cgroup")) {
            while (auto* entry = ::readdir(dir)) {
                std::string name = entry->d_name;
                if (name != "." && name != ".." && entry->d_type == DT_DIR)
                    roots.push_back("/sys/fs/cgroup/" + name);
            }
            ::closedir(dir);
        }
        for (auto const& root : roots)
            remove_cgroup_tree(root + "/" + s_cgroup);
    }

    static void remove_cgroup_tree(const std::string& path)
    {
        if (DIR* dir = ::opendir(path.c_str())) {
            std::vector<std::string> children;
            while (auto* entry = ::readdir(dir)) {
                std::string name = entry->d_name;
                if (name != "." && name != ".." && entry->d_type == DT_DIR)
                    children.push_back(path + "/" + name);
            }
            ::closedir(dir);
            for (auto const& child : children)
                remove_cgroup_tree(child);
        }
        ::rmdir(path.c_str()); // best effort: absent in hierarchies the daemon did not use
    }

    static Result run_client(const std::string& program, std::vector<std::string> args, const std::string& input)
    {
        SpawnOptions options;
        options.argv = { program, "-H", "unix://" + s_socket };
        options.argv.insert(options.argv.end(), args.begin(), args.end());
        options.env
            = { "HOME=" + s_dir->path(), "PATH=/usr/bin:/bin", "DOCKER_CONFIG=" + s_dir->path() + "/cli", "TZ=UTC" };
        auto result = run(options, input);
        if (result.is_error())
            return { -1, "", result.error().message() };
        return { result->status.code(), result->out, result->err };
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

    static inline TempDir* s_dir = nullptr;
    static inline Child* s_daemon = nullptr;
    static inline std::string s_socket;
    static inline std::string s_client;
    static inline std::string s_cgroup;
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
    expect_same({ "logs", "--since", "2000-01-01T00:00:00Z", "--until", "1s", "logs-one" });
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
    int master = -1;
    winsize size {};
    size.ws_row = 33;
    size.ws_col = 101;
    pid_t pid = ::forkpty(&master, nullptr, nullptr, &size);
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::string host = "unix://" + s_socket;
        ::execl(s_client.c_str(), "system-docker", "-H", host.c_str(), "exec", "-it", "tty-one", "sh", nullptr);
        ::_exit(127);
    }
    std::string output;
    auto read_for = [&](int milliseconds) {
        auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(milliseconds);
        while (std::chrono::steady_clock::now() < end) {
            pollfd p { master, POLLIN, 0 };
            if (::poll(&p, 1, 50) <= 0)
                continue;
            char buffer[4096];
            ssize_t n = ::read(master, buffer, sizeof buffer);
            if (n <= 0)
                return;
            output.append(buffer, static_cast<size_t>(n));
        }
    };
    read_for(1500);
    ASSERT_EQ(::write(master, "stty size\r", 10), 10);
    read_for(1000);
    size.ws_row = 40;
    size.ws_col = 120;
    ::ioctl(master, TIOCSWINSZ, &size);
    ::kill(pid, SIGWINCH);
    read_for(500);
    ASSERT_EQ(::write(master, "stty size; exit 3\r", 18), 18);
    read_for(1500);
    int status = 0;
    for (int i = 0; i < 100 && ::waitpid(pid, &status, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::close(master);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 3) << output;
    EXPECT_NE(output.find("33 101"), std::string::npos) << output;
    EXPECT_NE(output.find("40 120"), std::string::npos) << output;
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
    std::string archive = s_dir->path() + "/saved.tar";
    auto saved = ours({ "save", "-o", archive, IMAGE });
    ASSERT_EQ(saved.code, 0) << saved.err;
    auto loaded = ours({ "load", "-i", archive });
    EXPECT_EQ(loaded.code, 0) << loaded.err;
    EXPECT_EQ(loaded.out, "Loaded image: corral-test/busybox:latest\n");
    auto file = read_file(archive);
    ASSERT_FALSE(file.is_error());
    auto piped = ours({ "load" }, *file);
    EXPECT_EQ(piped.out, "Loaded image: corral-test/busybox:latest\n") << piped.err;
    expect_same({ "load", "-i", s_dir->path() + "/nonexistent.tar" });
    EXPECT_EQ(ours({ "tag", IMAGE, "corral-test/copy:v1" }).code, 0);
    // Rows of one image with several tags come in Go's map order in docker's
    // output, so only the IDs are compared.
    expect_same({ "images", "-q", "corral-test/copy" });
    auto removed = ours({ "rmi", "corral-test/copy:v1" });
    EXPECT_EQ(removed.out, "Untagged: corral-test/copy:v1\n") << removed.err;
    expect_same({ "rmi", "corral-test/copy:v1" });
}

} // namespace
