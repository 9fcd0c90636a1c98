// `ros user-docker` for real: Debian's dockerd started from a cloud-config
// under a temporary ROS_ROOT, on its own socket, data root, exec root and
// cgroup parent, and checked through the stock docker CLI: its data root,
// its socket's group and mode, a container run, the environment of
// rancher.docker.environment, that ros exec'd it (same PID), and TLS over
// TCP with certificates from the config. --print is checked word for word.

#include "base/file.h"
#include "base/process.h"
#include "base/strings.h"
#include "test_image.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <dirent.h>
#include <grp.h>
#include <memory>
#include <netinet/in.h>
#include <sstream>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace corral;
using namespace corral::test;

namespace {

constexpr const char* DOCKERD = "/usr/sbin/dockerd";
constexpr const char* DOCKER = "/usr/bin/docker";
constexpr const char* OPENSSL = "/usr/bin/openssl";

struct Ran {
    int code { -1 };
    std::string out, err;
};

Ran run_program(std::vector<std::string> argv, std::vector<std::string> env)
{
    SpawnOptions options;
    options.argv = std::move(argv);
    options.env = std::move(env);
    auto result = run(options);
    if (result.is_error())
        return { -1, "", result.error().message() };
    return { result->status.code(), result->out, result->err };
}

// A port that nobody held on 127.0.0.1 a moment ago.
int unused_port()
{
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), size), 0);
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size), 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

// Each line of `text` indented by `spaces`, for YAML block scalars.
std::string indented(const std::string& text, int spaces)
{
    std::string out;
    for (auto const& line : split(text, '\n')) {
        if (!line.empty())
            out += std::string(spaces, ' ') + line + "\n";
    }
    return out;
}

bool process_gone(pid_t pid)
{
    auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    return stat.is_error() || stat->find(") Z ") != std::string::npos;
}

class UserDocker : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (dockerd runs containers)";
        if (::access(DOCKERD, X_OK) != 0)
            GTEST_SKIP() << "no dockerd at " << DOCKERD;
        if (::access(DOCKER, X_OK) != 0)
            GTEST_SKIP() << "no docker CLI at " << DOCKER;
        // containerd and its shims outlive dockerd's children: they come back
        // here rather than to the host's PID 1, which may not reap.
        ::prctl(PR_SET_CHILD_SUBREAPER, 1);
        m_cgroup = "corral-user-docker-test-" + std::to_string(::getpid());
        ASSERT_FALSE(mkdir_p(root() + "/var/lib/rancher/conf", 0700).is_error());
    }

    void TearDown() override
    {
        stop_engine();
        unmount_leftovers();
        remove_cgroup_everywhere(m_cgroup);
    }

    const std::string& root() const { return m_dir.path(); }
    std::string socket() const { return root() + "/docker.sock"; }

    std::vector<std::string> ros_env(const std::vector<std::string>& more = {}) const
    {
        std::vector<std::string> env { "ROS_ROOT=" + root(), "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME=" + root() + "/home" };
        env.insert(env.end(), more.begin(), more.end());
        return env;
    }

    // rancher.docker for a dockerd that keeps to root(); `more` is added to
    // the block (indented by four spaces).
    void write_config(const std::string& more = {}, const std::string& group = "docker")
    {
        std::string r = root();
        std::vector<std::string> lines {
            "rancher:",
            "  docker:",
            "    host: [\"unix://" + r + "/docker.sock\"]",
            "    graph: " + r + "/data",
            "    exec_root: " + r + "/exec",
            "    pid_file: " + r + "/docker.pid",
            "    group: " + group,
            "    config_file: " + r + "/daemon.json",
            "    log_opts: {max-size: 1m, max-file: \"2\"}",
            "    extra_args: [--bridge=none, --iptables=false, --ip-forward=false, --ip-masq=false,",
            "                 \"--cgroup-parent=/" + m_cgroup + "\"]",
            "    environment: [FOO=bar]",
        };
        std::string yaml = join(lines, "\n") + "\n" + more;
        ASSERT_FALSE(write_file_atomic(root() + "/var/lib/rancher/conf/cloud-config.yml", yaml, 0600).is_error());
        // Without it dockerd 20.10 makes /etc/docker/key.json on the host.
        ASSERT_FALSE(write_file_atomic(r + "/daemon.json", "{\"deprecated-key-path\": \"" + r + "/key.json\"}\n", 0600)
                         .is_error());
    }

    // `ros user-docker` with its output in root()/dockerd.log. The shell
    // execs ros, which execs dockerd: the child's PID ends up dockerd's.
    void start_engine()
    {
        SpawnOptions options;
        options.argv = { "/bin/sh", "-c", "exec \"$0\" user-docker >\"$1\" 2>&1", ROS_BINARY, root() + "/dockerd.log" };
        options.env = ros_env();
        options.in = Stdio::Null;
        auto child = Child::spawn(options);
        ASSERT_FALSE(child.is_error()) << child.error().message();
        m_engine = std::make_unique<Child>(child.release_value());
        // Bounded: dockerd answers within a few seconds or it failed.
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < deadline) {
            ASSERT_FALSE(process_gone(m_engine->pid())) << "dockerd ended early:\n" << log();
            if (::access(socket().c_str(), F_OK) == 0 && docker({ "version" }).code == 0)
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        FAIL() << "dockerd did not answer on " << socket() << " within 30 s:\n" << log();
    }

    std::string log() const
    {
        auto text = read_file(root() + "/dockerd.log");
        return text.is_error() ? text.error().message() : *text;
    }

    std::vector<std::string> client_env() const
    {
        return { "HOME=" + root() + "/home", "DOCKER_CONFIG=" + root() + "/cli", "PATH=/usr/bin:/bin" };
    }

    Ran docker(const std::vector<std::string>& args) const
    {
        std::vector<std::string> argv { DOCKER, "-H", "unix://" + socket() };
        argv.insert(argv.end(), args.begin(), args.end());
        return run_program(argv, client_env());
    }

    // SIGTERM (bounded, then SIGKILL) and the exit code, -1 when killed.
    int stop_engine()
    {
        if (!m_engine)
            return -1;
        pid_t pid = m_engine->pid();
        ::kill(pid, SIGTERM);
        bool exited = false;
        for (int i = 0; i < 300 && !exited; ++i) {
            exited = process_gone(pid);
            if (!exited)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        EXPECT_TRUE(exited) << "dockerd did not exit within 30 s of SIGTERM";
        if (!exited)
            ::kill(pid, SIGKILL);
        auto status = m_engine->wait();
        m_engine.reset();
        kill_strays();
        return status.is_error() || !exited ? -1 : status->code();
    }

    // What a killed dockerd leaves running (its containerd, shims): our own
    // descendants, reparented to this process (a subreaper), whose command
    // line names root().
    void kill_strays()
    {
        DIR* proc = ::opendir("/proc");
        if (!proc)
            return;
        std::vector<pid_t> strays;
        while (auto* entry = ::readdir(proc)) {
            pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
            if (pid <= 0 || pid == ::getpid())
                continue;
            auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
            if (stat.is_error() || stat->rfind(')') == std::string::npos)
                continue;
            auto fields = split(stat->substr(stat->rfind(')') + 2), ' ');
            if (fields.size() < 2 || std::atoi(fields[1].c_str()) != ::getpid())
                continue;
            auto cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
            if (!cmdline.is_error() && cmdline->find(root() + "/") != std::string::npos)
                strays.push_back(pid);
        }
        ::closedir(proc);
        for (pid_t pid : strays) {
            ADD_FAILURE() << "process " << pid << " outlived dockerd; killing it";
            ::kill(pid, SIGKILL);
        }
        for (int i = 0; i < 50 && !strays.empty(); ++i) {
            std::erase_if(strays, process_gone);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        while (::waitpid(-1, nullptr, WNOHANG) > 0) { }
    }

    // Mounts dockerd left under root() (it removes its own on a clean exit,
    // so any is a failure), deepest first.
    void unmount_leftovers()
    {
        auto mountinfo = read_file("/proc/self/mountinfo");
        if (mountinfo.is_error())
            return;
        std::vector<std::string> points;
        for (auto const& line : split(*mountinfo, '\n')) {
            std::istringstream fields(line);
            std::string id, parent, device, source, point;
            fields >> id >> parent >> device >> source >> point;
            if (point.starts_with(root() + "/"))
                points.push_back(point);
        }
        std::sort(points.begin(), points.end(), [](auto const& a, auto const& b) { return a.size() > b.size(); });
        for (auto const& point : points) {
            ADD_FAILURE() << "left mounted: " << point;
            ::umount2(point.c_str(), MNT_DETACH);
        }
    }

    // The busybox test image, through `docker load`.
    void load_test_image()
    {
        std::string archive = root() + "/image.tar";
        ASSERT_FALSE(write_file_atomic(archive, busybox_test_archive(), 0600).is_error());
        auto loaded = docker({ "load", "-i", archive });
        ASSERT_EQ(loaded.code, 0) << loaded.err;
        EXPECT_EQ(loaded.out, "Loaded image: corral-test/busybox:latest\n");
    }

    TempDir m_dir;
    std::string m_cgroup;
    std::unique_ptr<Child> m_engine;
};

TEST_F(UserDocker, RunsDockerdFromTheConfig)
{
    ASSERT_NO_FATAL_FAILURE(write_config());
    ASSERT_NO_FATAL_FAILURE(start_engine());
    pid_t pid = m_engine->pid();

    auto info = docker({ "info", "--format", "{{.DockerRootDir}}" });
    ASSERT_EQ(info.code, 0) << info.err;
    EXPECT_EQ(info.out, root() + "/data\n");

    struct stat st { };
    ASSERT_EQ(::stat(socket().c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0660u);
    struct group* docker_group = ::getgrnam("docker");
    ASSERT_NE(docker_group, nullptr) << "this host has no group docker";
    EXPECT_EQ(st.st_gid, docker_group->gr_gid);

    load_test_image();
    auto hello = docker({ "run", "--rm", "--network", "none", "corral-test/busybox", "echo", "hi" });
    EXPECT_EQ(hello.code, 0) << hello.err;
    EXPECT_EQ(hello.out, "hi\n");

    // ros exec'd dockerd: the PID we started is dockerd's, with the
    // environment of rancher.docker.environment and the config's arguments.
    char exe[PATH_MAX] = {};
    ASSERT_GT(::readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), exe, sizeof exe - 1), 0);
    EXPECT_STREQ(exe, DOCKERD);
    auto environment = read_file("/proc/" + std::to_string(pid) + "/environ");
    ASSERT_FALSE(environment.is_error());
    auto variables = split(*environment, '\0');
    EXPECT_NE(std::find(variables.begin(), variables.end(), "FOO=bar"), variables.end()) << *environment;
    EXPECT_NE(std::find(variables.begin(), variables.end(), "ROS_ROOT=" + root()), variables.end());
    auto cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
    ASSERT_FALSE(cmdline.is_error());
    auto words = split(*cmdline, '\0');
    ASSERT_FALSE(words.empty());
    EXPECT_EQ(words[0], DOCKERD);
    EXPECT_NE(std::find(words.begin(), words.end(), "--pidfile=" + root() + "/docker.pid"), words.end()) << *cmdline;
    auto pid_file = read_file(root() + "/docker.pid");
    ASSERT_FALSE(pid_file.is_error());
    EXPECT_EQ(trim(*pid_file), std::to_string(pid));

    EXPECT_EQ(stop_engine(), 0) << log();
    // A clean exit removes the socket.
    EXPECT_NE(::access(socket().c_str(), F_OK), 0);
}

TEST_F(UserDocker, TlsFromTheConfigOverTcp)
{
    if (::access(OPENSSL, X_OK) != 0)
        GTEST_SKIP() << "no " << OPENSSL << " to make certificates with";
    std::string certs = root() + "/certs";
    ASSERT_FALSE(mkdir_p(certs, 0700).is_error());
    std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    shell("set -e; cd " + certs + "; openssl req -x509 " + key
        + " -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=user-docker-ca 2>/dev/null" + "; openssl req " + key
        + " -keyout server-key.pem -out server.csr -subj /CN=127.0.0.1 2>/dev/null"
        + "; printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > server.ext"
        + "; openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2"
          " -extfile server.ext -out server-cert.pem 2>/dev/null"
        + "; openssl req " + key + " -keyout client-key.pem -out client.csr -subj /CN=client 2>/dev/null"
        + "; printf 'extendedKeyUsage=clientAuth\\n' > client.ext"
        + "; openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2"
          " -extfile client.ext -out client-cert.pem 2>/dev/null");
    auto pem = [&](const std::string& name) {
        auto text = read_file(certs + "/" + name);
        EXPECT_FALSE(text.is_error()) << name;
        return text.is_error() ? std::string() : *text;
    };
    std::string ca = pem("ca.pem"), server_cert = pem("server-cert.pem"), server_key = pem("server-key.pem");
    std::string address = "tcp://127.0.0.1:" + std::to_string(unused_port());
    std::string tls = root() + "/etc/docker/tls";
    std::vector<std::string> tls_args { "--tlsverify", "--tlscacert=" + tls + "/ca.pem",
        "--tlscert=" + tls + "/server-cert.pem", "--tlskey=" + tls + "/server-key.pem", "-H=" + address };
    std::string more = "    tls: true\n    tls_args: [\"" + join(tls_args, "\", \"") + "\"]\n";
    more += "    ca_cert: |\n" + indented(ca, 6);
    more += "    server_cert: |\n" + indented(server_cert, 6);
    more += "    server_key: |\n" + indented(server_key, 6);
    ASSERT_NO_FATAL_FAILURE(write_config(more));
    ASSERT_NO_FATAL_FAILURE(start_engine());

    auto mode_of = [](const std::string& path) {
        struct stat st { };
        EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
        return st.st_mode;
    };
    EXPECT_TRUE(S_ISDIR(mode_of(tls)));
    EXPECT_EQ(mode_of(tls) & 07777, 0700u);
    EXPECT_EQ(mode_of(tls + "/ca.pem"), S_IFREG | 0644u);
    EXPECT_EQ(mode_of(tls + "/server-cert.pem"), S_IFREG | 0644u);
    EXPECT_EQ(mode_of(tls + "/server-key.pem"), S_IFREG | 0600u);
    EXPECT_EQ(pem("../etc/docker/tls/ca.pem"), ca);
    EXPECT_EQ(pem("../etc/docker/tls/server-cert.pem"), server_cert);
    EXPECT_EQ(pem("../etc/docker/tls/server-key.pem"), server_key);

    auto over_tcp = [&](std::vector<std::string> tls_flags) {
        std::vector<std::string> argv { DOCKER, "-H", address };
        argv.insert(argv.end(), tls_flags.begin(), tls_flags.end());
        for (auto const& word : { "version", "--format", "{{.Server.Os}}" })
            argv.push_back(word);
        return run_program(argv, client_env());
    };
    auto version = over_tcp({ "--tlsverify", "--tlscacert=" + certs + "/ca.pem",
        "--tlscert=" + certs + "/client-cert.pem", "--tlskey=" + certs + "/client-key.pem" });
    EXPECT_EQ(version.code, 0) << version.err;
    EXPECT_EQ(version.out, "linux\n");
    // --tlsverify on the daemon: a client without a certificate is refused.
    auto anonymous = over_tcp({ "--tlsverify", "--tlscacert=" + certs + "/ca.pem" });
    EXPECT_NE(anonymous.code, 0) << anonymous.out;
    // The local socket keeps working beside the TCP listener.
    EXPECT_EQ(docker({ "version", "--format", "{{.Server.Os}}" }).out, "linux\n");

    EXPECT_EQ(stop_engine(), 0) << log();
}

TEST_F(UserDocker, PrintShowsTheCommandLineAndStartsNothing)
{
    write_config("    tls: true\n"
                 "    tls_args: [--tlsverify, \"-H=0.0.0.0:2376\"]\n"
                 "    ca_cert: CA\n"
                 "    server_cert: CERT\n"
                 "    server_key: KEY\n"
                 "    args: [\"--label=two words\"]\n");
    auto printed = run_program({ ROS_BINARY, "user-docker", "--print" }, ros_env());
    ASSERT_EQ(printed.code, 0) << printed.err;
    std::string r = root();
    EXPECT_EQ(printed.out,
        std::string(DOCKERD) + " '--label=two words' --config-file=" + r + "/daemon.json --exec-root=" + r
            + "/exec --data-root=" + r + "/data --group=docker --host=unix://" + r
            + "/docker.sock --log-opt=max-file=2 --log-opt=max-size=1m --pidfile=" + r
            + "/docker.pid --bridge=none --iptables=false --ip-forward=false --ip-masq=false --cgroup-parent=/"
            + m_cgroup + " --tlsverify -H=0.0.0.0:2376\n");
    EXPECT_EQ(printed.err, "");
    // Printing writes nothing and starts nothing.
    EXPECT_NE(::access((r + "/etc/docker").c_str(), F_OK), 0);
    EXPECT_NE(::access(socket().c_str(), F_OK), 0);
}

TEST_F(UserDocker, MissingTlsMaterialAndGroupAreReported)
{
    // A stand-in engine named by CORRAL_DOCKERD; --print does not run it.
    std::string engine = root() + "/engine/dockerd";
    ASSERT_FALSE(mkdir_p(root() + "/engine", 0755).is_error());
    ASSERT_FALSE(write_file_atomic(engine, "#!/bin/sh\nexit 0\n", 0755).is_error());
    write_config("    tls: true\n"
                 "    tls_args: [--tlsverify]\n"
                 "    server_cert: CERT\n",
        "corral-no-such-group");
    auto printed = run_program({ ROS_BINARY, "user-docker", "--print" }, ros_env({ "CORRAL_DOCKERD=" + engine }));
    ASSERT_EQ(printed.code, 0) << printed.err;
    EXPECT_TRUE(printed.out.starts_with(engine + " --config-file=")) << printed.out;
    EXPECT_NE(printed.out.find(" --group=corral-no-such-group "), std::string::npos) << printed.out;
    EXPECT_EQ(printed.out.find("--tlsverify"), std::string::npos) << printed.out;
    EXPECT_EQ(printed.err,
        "ros user-docker: error: rancher.docker.tls is true but rancher.docker.ca_cert, rancher.docker.server_key "
        "are empty (\"ros tls gen --server\" makes them); starting without tls_args\n"
        "ros user-docker: warning: rancher.docker.group: no group \"corral-no-such-group\" in /etc/group: dockerd "
        "will refuse to start\n");

    // An override that cannot run is an error, not a fall back to /usr/sbin/dockerd.
    auto broken = run_program(
        { ROS_BINARY, "user-docker", "--print" }, ros_env({ "CORRAL_DOCKERD=" + root() + "/engine/nothing" }));
    EXPECT_EQ(broken.code, 1);
    EXPECT_EQ(broken.out, "");
    EXPECT_NE(broken.err.find("ros user-docker: error: CORRAL_DOCKERD=" + root()
                  + "/engine/nothing is not an "
                    "executable file"),
        std::string::npos)
        << broken.err;
}

} // namespace
