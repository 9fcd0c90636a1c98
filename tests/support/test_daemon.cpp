#include "test_daemon.h"

#include "base/file.h"
#include "base/strings.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace corral::test {

std::unique_ptr<TestDaemon> TestDaemon::start(Options options)
{
    // The daemon's supervisors are reparented to the nearest subreaper: this
    // process, not the host's PID 1 (which may not reap).
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    std::unique_ptr<TestDaemon> daemon(new TestDaemon());
    daemon->m_options = std::move(options);
    std::string root = daemon->root();
    daemon->m_socket = root + "/docker.sock";
    daemon->m_cgroup = daemon->m_options.cgroup_prefix + "-" + std::to_string(::getpid());
    SpawnOptions spawn;
    spawn.argv = { daemon->applet("system-dockerd"), "-H", "unix://" + daemon->m_socket, "--data-root", root + "/data",
        "--exec-root", root + "/exec", "--pidfile", root + "/pid", "--cgroup-parent", daemon->m_cgroup };
    spawn.argv.insert(spawn.argv.end(), daemon->m_options.extra_args.begin(), daemon->m_options.extra_args.end());
    spawn.out = Stdio::Null;
    spawn.err = Stdio::Inherit;
    auto child = Child::spawn(spawn);
    if (child.is_error()) {
        ADD_FAILURE() << "starting system-dockerd: " << child.error().message();
        return nullptr;
    }
    daemon->m_daemon = std::make_unique<Child>(child.release_value());
    for (int i = 0; i < 400 && ::access(daemon->m_socket.c_str(), F_OK) != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    if (::access(daemon->m_socket.c_str(), F_OK) != 0) {
        ADD_FAILURE() << "system-dockerd did not create " << daemon->m_socket << " within 10 s";
        return nullptr;
    }
    if (daemon->m_options.load_image) {
        std::string archive = root + "/image.tar";
        if (auto written = write_file_atomic(archive, busybox_test_archive(), 0600); written.is_error()) {
            ADD_FAILURE() << written.error().message();
            return nullptr;
        }
        auto loaded = daemon->docker({ "load", "-i", archive });
        EXPECT_EQ(loaded.code, 0) << loaded.err;
        EXPECT_EQ(loaded.out, "Loaded image: corral-test/busybox:latest\n");
    }
    return daemon;
}

TestDaemon::~TestDaemon()
{
    if (m_daemon) {
        auto ids = docker({ "ps", "-aq" });
        for (auto const& id : split(ids.out, '\n')) {
            if (!id.empty())
                docker({ "rm", "-f", "-v", id });
        }
        stop();
    }
    remove_cgroup_everywhere(m_cgroup);
}

int TestDaemon::stop()
{
    if (!m_daemon)
        return -1;
    ::kill(m_daemon->pid(), SIGTERM);
    // A daemon that hangs on its way out must not hang the suite.
    bool exited = false;
    for (int i = 0; i < 300 && !exited; ++i) {
        auto stat = read_file("/proc/" + std::to_string(m_daemon->pid()) + "/stat");
        exited = stat.is_error() || stat->find(") Z ") != std::string::npos;
        if (!exited)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(exited) << "system-dockerd did not exit within 30 s of SIGTERM";
    if (!exited)
        ::kill(m_daemon->pid(), SIGKILL);
    auto status = m_daemon->wait();
    m_daemon.reset();
    // Supervisors whose containers ended were reparented here.
    while (::waitpid(-1, nullptr, WNOHANG) > 0) { }
    if (status.is_error() || !exited)
        return -1;
    return status->code();
}

std::vector<std::string> TestDaemon::client_env() const
{
    return { "HOME=" + root(), "PATH=/usr/bin:/bin", "DOCKER_CONFIG=" + root() + "/cli", "TZ=UTC" };
}

CliResult TestDaemon::run_client(
    const std::string& program, const std::vector<std::string>& args, const std::string& input) const
{
    SpawnOptions options;
    options.argv = { program, "-H", "unix://" + m_socket };
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    options.env = client_env();
    auto result = run(options, input);
    if (result.is_error())
        return { -1, "", result.error().message() };
    return { result->status.code(), result->out, result->err };
}

std::string TestDaemon::applet(const std::string& name) const
{
    std::string path = root() + "/" + name;
    if (::access(path.c_str(), F_OK) != 0) {
        EXPECT_EQ(::symlink(m_options.ros_binary.c_str(), path.c_str()), 0) << path;
    }
    return path;
}

} // namespace corral::test
