// The executor for real, as root: containers from a busybox image on
// overlayfs, asserted from inside (PID, hostname, mounts, capabilities,
// seccomp, masked paths, users, sysctls, namespaces shared and joined, exec,
// the init) and from outside (exit statuses, signals, errors that name their
// step). After every test, this process's mount table must be exactly what it
// was and no child may be left. Skips, saying why, when not root.

#include "executor_test_support.h"

#include "base/file.h"
#include "base/linux_syscalls.h"
#include "base/scope_guard.h"
#include "base/system.h"
#include "runtime/capabilities.h"
#include "runtime/user_lookup.h"

#include <gtest/gtest.h>

#include <chrono>
#include <climits>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <sstream>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace corral;
using namespace corral::test;
using runtime::NamespaceType;
using runtime::Spec;

namespace {

bool exited_with(const Outcome& o, int code)
{
    return WIFEXITED(o.status) && WEXITSTATUS(o.status) == code;
}

std::string describe(const Outcome& o)
{
    return "status " + std::to_string(o.status) + ", out:\n" + o.out + "err:\n" + o.err;
}

std::string host_readlink(const std::string& path)
{
    char target[PATH_MAX];
    ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
    return n < 0 ? "<" + path + ": " + std::strerror(errno) + ">" : std::string(target, static_cast<size_t>(n));
}

bool exists(const std::string& path)
{
    struct stat st { };
    return ::lstat(path.c_str(), &st) == 0;
}

// The fstype of each mount point in a mountinfo text.
std::map<std::string, std::pair<std::string, std::string>> mounts_by_point(const std::string& mountinfo)
{
    std::map<std::string, std::pair<std::string, std::string>> out; // point → (type, mount options)
    std::istringstream lines(mountinfo);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string id, parent, device, root, point, options, field;
        fields >> id >> parent >> device >> root >> point >> options;
        while (fields >> field && field != "-") { }
        std::string type;
        fields >> type;
        out[point] = { type, options };
    }
    return out;
}

class ExecutorTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root: namespaces, overlayfs, mounts, mknod, setns";
        ASSERT_FALSE(image_lower_dirs().empty());
        m_mounts_before = mount_table();
    }

    void TearDown() override
    {
        if (::geteuid() != 0)
            return;
        for (pid_t pid : m_running) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        // Nothing of any container may show in this namespace, and no
        // process may be left: everything was reaped.
        EXPECT_EQ(mount_table(), m_mounts_before);
        EXPECT_TRUE(mounts_under(m_dirs.base()).empty());
        errno = 0;
        EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
        EXPECT_EQ(errno, ECHILD) << "a child process was left behind";
    }

    Spec spec(std::vector<std::string> args) const { return default_spec(m_dirs, std::move(args)); }

    Outcome run_ok(const Spec& s, const runtime::StartHooks& hooks = {})
    {
        auto result = run_container(s, hooks);
        EXPECT_FALSE(result.is_error()) << result.error().message();
        return result.is_error() ? Outcome {} : result.release_value();
    }

    // Starts a container that runs until the test kills it.
    runtime::Started start_running(const Spec& s, const runtime::StdioFds& stdio = {})
    {
        auto started = runtime::start_container(s, stdio);
        EXPECT_FALSE(started.is_error()) << started.error().message();
        if (started.is_error())
            return {};
        m_running.push_back(started->pid);
        return started.release_value();
    }

    // Reaps a container the test stopped itself.
    int reap(pid_t pid)
    {
        int status = -1;
        ::waitpid(pid, &status, 0);
        std::erase(m_running, pid);
        return status;
    }

    ContainerDirs m_dirs;
    std::string m_mounts_before;
    std::vector<pid_t> m_running;
};

TEST_F(ExecutorTest, RunsAsPidOneWithItsHostname)
{
    auto o = run_ok(spec({ "sh", "-c", "echo $$; hostname" }));
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    EXPECT_EQ(o.out, "1\ncorral-test\n");
}

TEST_F(ExecutorTest, MountsTheOverlayRootAndTheDefaultFileSystems)
{
    auto o = run_ok(spec({ "sh", "-c",
        "cat /proc/self/mountinfo; echo ===; "
        "readlink /dev/ptmx; readlink /dev/fd; readlink /dev/stdout; "
        "test -c /dev/null && test -c /dev/urandom && echo nodes" }));
    ASSERT_TRUE(exited_with(o, 0)) << describe(o);
    auto separator = o.out.find("===\n");
    ASSERT_NE(separator, std::string::npos);
    auto mounts = mounts_by_point(o.out.substr(0, separator));
    EXPECT_EQ(mounts["/"].first, "overlay");
    EXPECT_EQ(mounts["/proc"].first, "proc");
    EXPECT_EQ(mounts["/dev"].first, "tmpfs");
    EXPECT_EQ(mounts["/dev/pts"].first, "devpts");
    EXPECT_EQ(mounts["/dev/shm"].first, "tmpfs");
    EXPECT_EQ(mounts["/dev/mqueue"].first, "mqueue");
    EXPECT_EQ(mounts["/sys"].first, "sysfs");
    EXPECT_TRUE(mounts["/sys"].second.starts_with("ro,")) << mounts["/sys"].second;
    EXPECT_TRUE(mounts["/sys/fs/cgroup"].second.starts_with("ro,")) << mounts["/sys/fs/cgroup"].second;
    // The recursive bind of the host's cgroup v1 hierarchy is read-only all
    // the way down, not only at the top.
    EXPECT_TRUE(mounts["/sys/fs/cgroup/memory"].second.starts_with("ro,")) << mounts["/sys/fs/cgroup/memory"].second;
    EXPECT_EQ(o.out.substr(separator + 4), "pts/ptmx\n/proc/self/fd\n/proc/self/fd/1\nnodes\n");
}

TEST_F(ExecutorTest, HasDockersDefaultCapabilitiesAndSeccomp)
{
    auto o = run_ok(spec({ "cat", "/proc/self/status" }));
    ASSERT_TRUE(exited_with(o, 0)) << describe(o);
    EXPECT_EQ(status_line(o.out, "CapEff"), "CapEff:\t00000000a80425fb");
    EXPECT_EQ(status_line(o.out, "CapPrm"), "CapPrm:\t00000000a80425fb");
    EXPECT_EQ(status_line(o.out, "CapBnd"), "CapBnd:\t00000000a80425fb");
    EXPECT_EQ(status_line(o.out, "CapInh"), "CapInh:\t0000000000000000");
    EXPECT_EQ(status_line(o.out, "CapAmb"), "CapAmb:\t0000000000000000");
    EXPECT_EQ(status_line(o.out, "Seccomp"), "Seccomp:\t2");
    EXPECT_EQ(status_line(o.out, "NoNewPrivs"), "NoNewPrivs:\t0");
}

TEST_F(ExecutorTest, NoNewPrivilegesLoadsTheFilterToo)
{
    auto s = spec({ "cat", "/proc/self/status" });
    s.process.no_new_privileges = true;
    auto o = run_ok(s);
    ASSERT_TRUE(exited_with(o, 0)) << describe(o);
    EXPECT_EQ(status_line(o.out, "NoNewPrivs"), "NoNewPrivs:\t1");
    EXPECT_EQ(status_line(o.out, "Seccomp"), "Seccomp:\t2");
    EXPECT_EQ(status_line(o.out, "CapEff"), "CapEff:\t00000000a80425fb");
}

TEST_F(ExecutorTest, SeccompDeniesWhatNoCapabilityGuards)
{
    // unshare(CLONE_NEWUSER) needs no capability at all; Docker's profile
    // refuses unshare without CAP_SYS_ADMIN. So the refusal is seccomp's.
    auto s = spec({ "sh", "-c",
        "unshare -U true && echo allowed || echo denied; "
        "mount -t tmpfs t /mnt && echo mounted || echo not-mounted" });
    auto o = run_ok(s);
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    EXPECT_EQ(o.out, "denied\nnot-mounted\n");
    EXPECT_NE(o.err.find("Operation not permitted"), std::string::npos) << o.err;

    ContainerDirs other;
    auto unconfined = default_spec(other, { "sh", "-c", "unshare -U true && echo allowed || echo denied" });
    unconfined.seccomp = runtime::SeccompMode::Unconfined;
    auto o2 = run_ok(unconfined);
    EXPECT_EQ(o2.out, "allowed\n") << describe(o2);
}

TEST_F(ExecutorTest, MasksAndProtectsKernelPaths)
{
    // This development kernel has no /proc/kcore; /proc/timer_list is
    // masked the same way (a bind of /dev/null) and is never empty on the host.
    auto timer_list = read_file("/proc/timer_list");
    ASSERT_FALSE(timer_list.is_error());
    ASSERT_NE(timer_list.value(), "");
    std::string kcore = exists("/proc/kcore") ? "/proc/kcore" : "/proc/timer_list";
    auto o = run_ok(spec({ "sh", "-c",
        "wc -c < " + kcore
            + "; wc -c < /proc/timer_list; "
              "echo 1 > /proc/sys/net/ipv4/ip_forward || echo refused; ls /sys/firmware | wc -l" }));
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    EXPECT_EQ(o.out, "0\n0\nrefused\n0\n");
    EXPECT_NE(o.err.find("Read-only file system"), std::string::npos) << o.err;
}

TEST_F(ExecutorTest, RunsAsTheImagesUserWithAdditionalGroups)
{
    auto passwd = read_file(image_lower_dirs().back() + "/etc/passwd");
    auto group = read_file(image_lower_dirs().back() + "/etc/group");
    ASSERT_FALSE(passwd.is_error() || group.is_error());
    auto user = runtime::resolve_user("nobody", passwd.value(), group.value());
    ASSERT_FALSE(user.is_error()) << user.error().message();
    EXPECT_EQ(user->uid, 65534u);
    EXPECT_EQ(user->gid, 65534u);

    auto s = spec({ "sh", "-c", "id; grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status" });
    s.process.user = { user->uid, user->gid, { 1234, 5678 }, user->home };
    // spec_builder's rule: a user other than root gets no effective or
    // permitted capabilities; the bounding set stays.
    s.process.capabilities.effective.clear();
    s.process.capabilities.permitted.clear();
    auto o = run_ok(s);
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    EXPECT_NE(o.out.find("uid=65534(nobody) gid=65534(nogroup) groups=1234,5678"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("CapEff:\t0000000000000000"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("CapPrm:\t0000000000000000"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("CapBnd:\t00000000a80425fb"), std::string::npos) << o.out;
}

TEST_F(ExecutorTest, NewNamespacesOfEveryKindListed)
{
    auto s = spec({ "sh", "-c", "for ns in mnt pid uts ipc net cgroup; do readlink /proc/self/ns/$ns; done" });
    s.namespaces.push_back({ NamespaceType::Cgroup, {} });
    auto o = run_ok(s);
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    std::istringstream lines(o.out);
    for (auto ns : { "mnt", "pid", "uts", "ipc", "net", "cgroup" }) {
        std::string inside;
        std::getline(lines, inside);
        std::string host = host_readlink(std::string("/proc/self/ns/") + ns);
        EXPECT_TRUE(inside.starts_with(std::string(ns) + ":[")) << inside;
        EXPECT_NE(inside, host) << ns;
    }
}

TEST_F(ExecutorTest, RsharedVolumePropagatesToTheHostAndNothingElseDoes)
{
    TempDir volume;
    ASSERT_EQ(::mount("tmpfs", volume.path().c_str(), "tmpfs", 0, "size=1m"), 0);
    ScopeGuard unmount([&] { (void)::umount2(volume.path().c_str(), MNT_DETACH); });
    ASSERT_EQ(::mount(nullptr, volume.path().c_str(), nullptr, MS_SHARED, nullptr), 0);
    auto before = mount_table();

    auto s = spec({ "sh", "-c", "mkdir /vol/sub && mount -t tmpfs inner /vol/sub && echo made" });
    std::vector<std::string> all;
    for (auto const& cap : runtime::all_capabilities())
        all.emplace_back(cap.name);
    s.process.capabilities = { all, all, all, {}, {} };
    s.seccomp = runtime::SeccompMode::Unconfined;
    s.rootfs_propagation = "shared";
    s.mounts.push_back({ "/vol", "bind", volume.path(), { "rbind", "rshared" } });
    auto o = run_ok(s);
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    EXPECT_EQ(o.out, "made\n");
    // The container's mount under the volume reached the host; its root,
    // /proc, /dev and the rest did not.
    EXPECT_EQ(mounts_under(volume.path()), (std::vector<std::string> { volume.path(), volume.path() + "/sub" }));
    EXPECT_TRUE(mounts_under(m_dirs.base()).empty());
    (void)::umount2((volume.path() + "/sub").c_str(), MNT_DETACH);
    EXPECT_EQ(mount_table(), before);
    unmount.disarm();
    ASSERT_EQ(::umount2(volume.path().c_str(), MNT_DETACH), 0);
}

TEST_F(ExecutorTest, AppliesRlimitsAndOomScoreAdj)
{
    auto s = spec({ "sh", "-c", "ulimit -n; cat /proc/self/oom_score_adj" });
    s.process.rlimits = { { RLIMIT_NOFILE, 512, 1024 } };
    s.process.oom_score_adj = 500;
    auto o = run_ok(s);
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    EXPECT_EQ(o.out, "512\n500\n");
}

TEST_F(ExecutorTest, ReturnsTheExitCode)
{
    auto o = run_ok(spec({ "sh", "-c", "exit 7" }));
    EXPECT_TRUE(exited_with(o, 7)) << describe(o);
}

TEST_F(ExecutorTest, PidOneIgnoresSigtermWithoutAHandlerAndDiesOfSigkill)
{
    // As with Docker: the kernel spares a namespace's PID 1 the signals it
    // has no handler for, SIGKILL from outside excepted.
    auto started = start_running(spec({ "sleep", "100" }));
    ASSERT_GT(started.pid, 0);
    ASSERT_EQ(::kill(started.pid, SIGTERM), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(::waitpid(started.pid, nullptr, WNOHANG), 0) << "PID 1 died of SIGTERM";
    ASSERT_EQ(::kill(started.pid, SIGKILL), 0);
    int status = reap(started.pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

TEST_F(ExecutorTest, ReadOnlyRootfs)
{
    auto s = spec({ "sh", "-c", "touch /x || echo refused; echo y > /dev/shm/y && echo shm-writable" });
    s.readonly_rootfs = true;
    auto o = run_ok(s);
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    EXPECT_EQ(o.out, "refused\nshm-writable\n");
    EXPECT_NE(o.err.find("Read-only file system"), std::string::npos) << o.err;
    EXPECT_FALSE(exists(m_dirs.upper() + "/x"));
}

TEST_F(ExecutorTest, BindMountsReadOnlyAndTmpfs)
{
    TempDir host;
    ASSERT_FALSE(write_file_atomic(host.path() + "/hello", "from the host\n", 0644).is_error());
    ASSERT_FALSE(write_file_atomic(host.path() + "/greeting", "a file bind\n", 0644).is_error());
    auto s = spec({ "sh", "-c",
        "cat /data/hello; touch /data/new || echo refused; "
        "echo x > /scratch/f && cat /scratch/f; grep ' /scratch ' /proc/self/mountinfo; "
        "cat /etc/greeting" });
    s.mounts.push_back({ "/data", "bind", host.path(), { "rbind", "ro", "rprivate" } });
    s.mounts.push_back({ "/etc/greeting", "bind", host.path() + "/greeting", { "rbind", "ro", "rprivate" } });
    s.mounts.push_back({ "/scratch", "tmpfs", "tmpfs", { "nosuid", "nodev", "noexec", "size=1m", "mode=700" } });
    auto o = run_ok(s);
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    EXPECT_TRUE(o.out.starts_with("from the host\nrefused\nx\n")) << o.out;
    EXPECT_NE(o.out.find(" /scratch rw,nosuid,nodev,noexec"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("size=1024k,mode=700"), std::string::npos) << o.out;
    EXPECT_TRUE(o.out.ends_with("a file bind\n")) << o.out;
    EXPECT_FALSE(exists(host.path() + "/new"));
}

TEST_F(ExecutorTest, WritesSysctlsInItsOwnNetworkNamespace)
{
    auto host_value = read_file("/proc/sys/net/ipv4/ip_forward");
    ASSERT_FALSE(host_value.is_error());
    std::string wanted = host_value.value() == "1\n" ? "0" : "1";
    auto s = spec({ "cat", "/proc/sys/net/ipv4/ip_forward" });
    s.sysctls["net.ipv4.ip_forward"] = wanted;
    auto o = run_ok(s);
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    EXPECT_EQ(o.out, wanted + "\n");
    EXPECT_EQ(read_file("/proc/sys/net/ipv4/ip_forward").value(), host_value.value());
}

TEST_F(ExecutorTest, PidHostSeesTheHostsProcessesAndDiesOfSigterm)
{
    auto s = spec({ "sh", "-c", "echo $$; cat /proc/1/comm >/dev/null && echo host-pid-1" });
    std::erase_if(s.namespaces, [](auto const& ns) { return ns.type == NamespaceType::Pid; });
    auto o = run_ok(s);
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    auto newline = o.out.find('\n');
    ASSERT_NE(newline, std::string::npos) << o.out;
    EXPECT_GT(std::stoi(o.out.substr(0, newline)), 1);
    EXPECT_EQ(o.out.substr(newline + 1), "host-pid-1\n");

    // Not a namespace's PID 1: SIGTERM kills it.
    ContainerDirs other;
    auto sleeper = default_spec(other, { "sleep", "100" });
    sleeper.namespaces = s.namespaces;
    auto started = start_running(sleeper);
    ASSERT_GT(started.pid, 0);
    ASSERT_EQ(::kill(started.pid, SIGTERM), 0);
    int status = reap(started.pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
}

TEST_F(ExecutorTest, JoinsAnotherContainersNetworkNamespace)
{
    ContainerDirs first_dirs;
    auto first = start_running(default_spec(first_dirs, { "sleep", "100" }));
    ASSERT_GT(first.pid, 0);
    std::string ns_path = "/proc/" + std::to_string(first.pid) + "/ns/net";

    auto s = spec({ "readlink", "/proc/self/ns/net" });
    for (auto& ns : s.namespaces) {
        if (ns.type == NamespaceType::Network)
            ns.path = ns_path;
    }
    auto o = run_ok(s);
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    EXPECT_EQ(o.out, host_readlink(ns_path) + "\n");
    EXPECT_NE(host_readlink(ns_path), host_readlink("/proc/self/ns/net"));
}

TEST_F(ExecutorTest, JoinsAnotherContainersPidNamespace)
{
    ContainerDirs first_dirs;
    auto first = start_running(default_spec(first_dirs, { "sleep", "100" }));
    ASSERT_GT(first.pid, 0);
    std::string ns_path = "/proc/" + std::to_string(first.pid) + "/ns/pid";

    auto s = spec({ "sh", "-c", "cat /proc/1/cmdline; echo; echo $$; readlink /proc/self/ns/pid" });
    for (auto& ns : s.namespaces) {
        if (ns.type == NamespaceType::Pid)
            ns.path = ns_path;
    }
    auto o = run_ok(s);
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    std::istringstream lines(o.out);
    std::string cmdline, pid, pid_ns;
    std::getline(lines, cmdline);
    std::getline(lines, pid);
    std::getline(lines, pid_ns);
    EXPECT_EQ(cmdline,
        std::string("sleep\0"
                    "100\0",
            10));
    EXPECT_NE(pid, "1");
    EXPECT_EQ(pid_ns, host_readlink(ns_path));

    // The pidfd names the container's process.
    ASSERT_TRUE(first.pidfd.valid());
    EXPECT_EQ(sys::raw_pidfd_send_signal(first.pidfd.get(), SIGKILL), 0);
    int status = reap(first.pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

TEST_F(ExecutorTest, ExecJoinsTheRunningContainer)
{
    auto container_spec = spec({ "sleep", "100" });
    auto container = start_running(container_spec);
    ASSERT_GT(container.pid, 0);

    auto process = container_spec.process;
    process.args = { "sh", "-c",
        "hostname; echo $$; readlink /proc/self/ns/pid; cat /proc/1/cmdline; echo; "
        "grep -E '^(CapEff|Seccomp):' /proc/self/status" };
    auto [out_read, out_write] = sys::pipe().release_value();
    auto [err_read, err_write] = sys::pipe().release_value();
    runtime::StdioFds stdio { -1, out_write.get(), err_write.get() };
    auto exec = runtime::exec_in_container(container.pid, container_spec, process, stdio);
    ASSERT_FALSE(exec.is_error()) << exec.error().message();
    out_write.reset();
    err_write.reset();
    auto o = collect(exec->pid, out_read.release(), err_read.release());
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    std::istringstream lines(o.out);
    std::string hostname, pid, pid_ns, cmdline, cap_eff, seccomp;
    std::getline(lines, hostname);
    std::getline(lines, pid);
    std::getline(lines, pid_ns);
    std::getline(lines, cmdline);
    std::getline(lines, cap_eff);
    std::getline(lines, seccomp);
    EXPECT_EQ(hostname, "corral-test");
    EXPECT_NE(pid, "1");
    EXPECT_EQ(pid_ns, host_readlink("/proc/" + std::to_string(container.pid) + "/ns/pid"));
    EXPECT_EQ(cmdline,
        std::string("sleep\0"
                    "100\0",
            10));
    EXPECT_EQ(cap_eff, "CapEff:\t00000000a80425fb");
    EXPECT_EQ(seccomp, "Seccomp:\t2");

    // As another user, and an error that names the missing program.
    process.args = { "id", "-u" };
    process.user = { 65534, 65534, {}, "/" };
    process.capabilities.effective.clear();
    process.capabilities.permitted.clear();
    auto [out2_read, out2_write] = sys::pipe().release_value();
    auto exec2 = runtime::exec_in_container(container.pid, container_spec, process, { -1, out2_write.get(), -1 });
    ASSERT_FALSE(exec2.is_error()) << exec2.error().message();
    out2_write.reset();
    auto [null_read, null_write] = sys::pipe().release_value();
    null_write.reset();
    auto o2 = collect(exec2->pid, out2_read.release(), null_read.release());
    EXPECT_EQ(o2.out, "65534\n") << describe(o2);

    process.args = { "nope" };
    auto exec3 = runtime::exec_in_container(container.pid, container_spec, process, {});
    ASSERT_TRUE(exec3.is_error());
    EXPECT_EQ(exec3.error().message(), "exec \"nope\": No such file or directory");
}

std::string init_binary_beside_us()
{
    return path_join(path_dirname(host_readlink("/proc/self/exe")), "corral-init");
}

TEST_F(ExecutorTest, InitIsPidOneAndForwardsSigterm)
{
    if (!exists(init_binary_beside_us()))
        GTEST_SKIP() << "no statically linked " << init_binary_beside_us()
                     << " (build the corral-init target; this test binary is dynamically linked)";
    auto s = spec({ "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$" });
    s.init = true;
    auto o = run_ok(s);
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    EXPECT_TRUE(o.out.starts_with("corral-init -- sh -c ")) << o.out;
    EXPECT_TRUE(o.out.ends_with("\n2\n")) << o.out;

    ContainerDirs other;
    auto sleeper = default_spec(other, { "sleep", "100" });
    sleeper.init = true;
    auto started = start_running(sleeper);
    ASSERT_GT(started.pid, 0);
    ASSERT_EQ(::kill(started.pid, SIGTERM), 0);
    int status = reap(started.pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM) << status;

    ContainerDirs third;
    auto missing = default_spec(third, { "/bin/nope" });
    missing.init = true;
    auto result = run_container(missing);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(), "exec \"/bin/nope\": No such file or directory");
}

TEST_F(ExecutorTest, MissingBinaryIsAnErrorNamingIt)
{
    auto result = run_container(spec({ "/bin/nope" }));
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(), "exec \"/bin/nope\": No such file or directory");
    EXPECT_EQ(result.error().code(), ENOENT);
}

TEST_F(ExecutorTest, BadWorkingDirectoryIsAnError)
{
    auto s = spec({ "true" });
    s.process.cwd = "/nope";
    auto result = run_container(s);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(), "chdir \"/nope\": No such file or directory");
}

TEST_F(ExecutorTest, FailingMountIsAnErrorNamingIt)
{
    auto s = spec({ "true" });
    s.mounts.push_back({ "/bad", "tmpfs", "tmpfs", { "size=bogus" } });
    auto result = run_container(s);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(), "mount tmpfs on /bad: Invalid argument");
    EXPECT_EQ(result.error().code(), EINVAL);
}

TEST_F(ExecutorTest, BeforeSetupSeesThePidAndItsErrorAbortsTheStart)
{
    pid_t seen = -1;
    std::string nspid;
    runtime::StartHooks hooks;
    hooks.before_setup = [&](pid_t pid) -> ErrorOr<void> {
        seen = pid;
        auto status = read_file("/proc/" + std::to_string(pid) + "/status");
        if (!status.is_error())
            nspid = status_line(status.value(), "NSpid");
        return Error::from_string("no cgroup for you", EACCES);
    };
    auto result = run_container(spec({ "true" }), hooks);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(), "no cgroup for you");
    ASSERT_GT(seen, 0);
    // The process the hook gets is the container's: PID 1 in its namespace.
    EXPECT_EQ(nspid, "NSpid:\t" + std::to_string(seen) + "\t1");
    EXPECT_EQ(::kill(seen, 0), -1);
    EXPECT_EQ(errno, ESRCH);
}

TEST_F(ExecutorTest, SymlinksInTheImageCannotMoveMountsOutside)
{
    const std::string escape = "/host-escape-target";
    ASSERT_FALSE(exists(escape)) << escape << " exists on this host; the test needs it absent";
    TempDir layer;
    ASSERT_EQ(::symlink(escape.c_str(), (layer.path() + "/mnt").c_str()), 0);
    ASSERT_EQ(::symlink("../../../../../../..", (layer.path() + "/up").c_str()), 0);
    TempDir host;
    ASSERT_FALSE(write_file_atomic(host.path() + "/inside", "bound\n", 0644).is_error());

    auto s = spec({ "sh", "-c", "cat /mnt/x/inside /y/inside" });
    s.lower_dirs.insert(s.lower_dirs.begin(), layer.path());
    s.mounts.push_back({ "/mnt/x", "bind", host.path(), { "rbind", "rprivate" } });
    s.mounts.push_back({ "/up/y", "bind", host.path(), { "rbind", "rprivate" } });
    auto o = run_ok(s);
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    EXPECT_EQ(o.out, "bound\nbound\n");
    // The mount points were made inside the container's root (its upper
    // dir), following the links as if the root were "/".
    EXPECT_FALSE(exists(escape));
    EXPECT_TRUE(exists(m_dirs.upper() + escape + "/x"));
    EXPECT_TRUE(exists(m_dirs.upper() + "/y"));
}

TEST_F(ExecutorTest, LowerDirsLongerThanAPage)
{
    TempDir layers;
    std::string deep = layers.path() + "/" + std::string(200, 'l');
    ASSERT_EQ(::mkdir(deep.c_str(), 0755), 0);
    std::vector<std::string> lowers;
    for (int i = 0; i < 30; ++i) {
        std::string dir = deep + "/layer-" + std::to_string(i);
        ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
        ASSERT_FALSE(write_file_atomic(dir + "/from-" + std::to_string(i), std::to_string(i) + "\n", 0644).is_error());
        lowers.push_back(dir);
    }
    for (auto const& image : image_lower_dirs()) {
        std::string copy = deep + "/" + path_basename(image);
        shell("cp -a '" + image + "' '" + copy + "'");
        lowers.push_back(copy);
    }
    std::string upper = deep + "/upper", work = deep + "/work";
    ASSERT_EQ(::mkdir(upper.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(work.c_str(), 0755), 0);

    auto s = spec({ "cat", "/from-0", "/from-29" });
    s.lower_dirs = lowers;
    s.upper_dir = upper;
    s.work_dir = work;
    size_t total = 0;
    for (auto const& l : lowers)
        total += l.size() + 1;
    ASSERT_GT(total, 4096u);
    auto o = run_ok(s);
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    EXPECT_EQ(o.out, "0\n29\n");
}

TEST_F(ExecutorTest, PrivilegedHasEveryCapabilityNoSeccompAndWritableSys)
{
    auto s = spec({ "sh", "-c", "cat /proc/self/status; grep ' /sys ' /proc/self/mountinfo" });
    std::vector<std::string> all;
    for (auto const& cap : runtime::all_capabilities())
        all.emplace_back(cap.name);
    s.process.capabilities.bounding = all;
    s.process.capabilities.effective = all;
    s.process.capabilities.permitted = all;
    s.seccomp = runtime::SeccompMode::Unconfined;
    s.privileged = true;
    s.masked_paths.clear();
    s.readonly_paths.clear();
    for (auto& m : s.mounts) {
        if (m.destination == "/sys")
            std::erase(m.options, "ro");
    }
    auto o = run_ok(s);
    EXPECT_TRUE(exited_with(o, 0)) << describe(o);
    auto ours = read_file("/proc/self/status");
    ASSERT_FALSE(ours.is_error());
    // Every capability this process has (the development host withholds
    // some from root, and none can be given that we lack).
    EXPECT_EQ(status_line(o.out, "CapBnd"), status_line(ours.value(), "CapBnd"));
    EXPECT_EQ(status_line(o.out, "CapEff"), status_line(ours.value(), "CapEff"));
    EXPECT_EQ(status_line(o.out, "Seccomp"), "Seccomp:\t0");
    EXPECT_NE(o.out.find(" /sys rw,"), std::string::npos) << o.out;
}

TEST_F(ExecutorTest, TerminalBecomesTheControllingTerminalAndConsole)
{
    int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(master, 0);
    Fd master_fd(master);
    ASSERT_EQ(::grantpt(master), 0);
    ASSERT_EQ(::unlockpt(master), 0);
    auto slave = sys::open(::ptsname(master), O_RDWR | O_NOCTTY);
    ASSERT_FALSE(slave.is_error());

    auto s = spec(
        { "sh", "-c", "test -t 0 && echo is-a-tty; echo via-ctty > /dev/tty; test -c /dev/console && echo console" });
    s.process.terminal = true;
    auto started = start_running(s, { slave->get(), slave->get(), slave->get() });
    ASSERT_GT(started.pid, 0);
    slave->reset();
    std::string out;
    char buffer[1024];
    for (;;) {
        ssize_t n = ::read(master, buffer, sizeof buffer);
        if (n <= 0)
            break; // EIO once the last slave descriptor is closed
        out.append(buffer, static_cast<size_t>(n));
    }
    int status = reap(started.pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << out;
    EXPECT_EQ(out, "is-a-tty\r\nvia-ctty\r\nconsole\r\n");
}

} // namespace
