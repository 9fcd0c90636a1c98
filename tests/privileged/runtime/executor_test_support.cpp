#include "executor_test_support.h"

#include "base/file.h"
#include "base/system.h"
#include "image/unpack.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace corral::test {

namespace {

// Applets the tests use beyond those busybox_layer() links.
constexpr const char* EXTRA_APPLETS[] = { "touch", "unshare", "grep", "wc", "readlink", "head", "tr", "kill", "stat",
    "mkdir", "tty", "test", "[", "sysctl", "swapoff", "umount" };

struct ImageLayers {
    TempDir dir;
    std::vector<std::string> lowers;
};

ImageLayers* make_layers()
{
    auto* layers = new ImageLayers;
    std::string busybox = layers->dir.path() + "/busybox";
    std::string tools = layers->dir.path() + "/tools";
    EXPECT_EQ(::mkdir(busybox.c_str(), 0755), 0);
    EXPECT_EQ(::mkdir(tools.c_str(), 0755), 0);

    std::string tar = busybox_layer();
    auto [read_end, write_end] = sys::pipe().release_value();
    // The layer is small enough to buffer: write it from a child process so
    // that the pipe never blocks the unpacker.
    pid_t writer = ::fork();
    if (writer == 0) {
        read_end.reset();
        (void)sys::write_all(write_end.get(), tar);
        ::_exit(0);
    }
    write_end.reset();
    auto unpacked = image::unpack_layer(read_end.get(), busybox);
    EXPECT_FALSE(unpacked.is_error()) << unpacked.error().message();
    int status;
    ::waitpid(writer, &status, 0);

    EXPECT_EQ(::mkdir((tools + "/bin").c_str(), 0755), 0);
    for (auto applet : EXTRA_APPLETS)
        EXPECT_EQ(::symlink("busybox", (tools + "/bin/" + applet).c_str()), 0) << applet;
    layers->lowers = { tools, busybox };
    return layers;
}

} // namespace

const std::vector<std::string>& image_lower_dirs()
{
    // Removed at exit with the TempDir (a function-static object).
    static std::unique_ptr<ImageLayers> layers(make_layers());
    return layers->lowers;
}

ContainerDirs::ContainerDirs()
{
    for (auto const& dir : { upper(), work(), rootfs() })
        EXPECT_EQ(::mkdir(dir.c_str(), 0755), 0) << dir;
}

ContainerDirs::~ContainerDirs()
{
    // The executor mounts only inside the container's namespace; this is
    // for a broken executor, so that the directory can still be removed.
    while (::umount2(rootfs().c_str(), MNT_DETACH) == 0) { }
}

std::vector<std::string> docker_default_capabilities()
{
    return { "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE" };
}

runtime::Spec default_spec(const ContainerDirs& dirs, std::vector<std::string> args)
{
    using namespace runtime;
    Spec spec;
    spec.id = std::string(64, 'a');
    spec.hostname = "corral-test";
    spec.process.args = std::move(args);
    spec.process.env
        = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=corral-test", "HOME=/root" };
    spec.process.cwd = "/";
    auto caps = docker_default_capabilities();
    spec.process.capabilities.bounding = caps;
    spec.process.capabilities.effective = caps;
    spec.process.capabilities.permitted = caps;
    spec.process.oom_score_adj = 0;
    spec.lower_dirs = image_lower_dirs();
    spec.upper_dir = dirs.upper();
    spec.work_dir = dirs.work();
    spec.rootfs = dirs.rootfs();
    spec.namespaces = { { NamespaceType::Mount, {} }, { NamespaceType::Network, {} }, { NamespaceType::Uts, {} },
        { NamespaceType::Pid, {} }, { NamespaceType::Ipc, {} } };
    // spec_builder's defaults for cgroup v1, which this host has.
    spec.mounts = {
        { "/proc", "proc", "proc", { "nosuid", "noexec", "nodev" } },
        { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k" } },
        { "/dev/pts", "devpts", "devpts",
            { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" } },
        { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro" } },
        { "/sys/fs/cgroup", "bind", "/sys/fs/cgroup", { "rbind", "ro", "nosuid", "noexec", "nodev" } },
        { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" } },
        { "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=67108864" } },
    };
    for (auto [name, minor] :
        { std::pair { "null", 3 }, { "zero", 5 }, { "full", 7 }, { "random", 8 }, { "urandom", 9 } })
        spec.devices.push_back({ std::string("/dev/") + name, 'c', 1, minor, 0666, 0, 0 });
    spec.devices.push_back({ "/dev/tty", 'c', 5, 0, 0666, 0, 0 });
    spec.masked_paths = { "/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
        "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list", "/proc/timer_stats",
        "/sys/devices/virtual/powercap", "/sys/firmware" };
    spec.readonly_paths = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" };
    spec.seccomp = SeccompMode::Default;
    return spec;
}

Outcome collect(pid_t pid, int out_fd, int err_fd, int timeout_seconds)
{
    Outcome outcome;
    Fd out(out_fd), err(err_fd);
    auto deadline = ::time(nullptr) + timeout_seconds;
    while (out || err) {
        pollfd fds[2];
        int count = 0;
        if (out)
            fds[count++] = { out.get(), POLLIN, 0 };
        if (err)
            fds[count++] = { err.get(), POLLIN, 0 };
        int ready = ::poll(fds, static_cast<nfds_t>(count), 1000);
        if (::time(nullptr) > deadline) {
            ADD_FAILURE() << "container " << pid << " still running after " << timeout_seconds << " s; killing it";
            ::kill(pid, SIGKILL);
            deadline = ::time(nullptr) + 3600;
        }
        if (ready <= 0)
            continue;
        for (int i = 0; i < count; ++i) {
            if (!fds[i].revents)
                continue;
            bool is_out = out && fds[i].fd == out.get();
            char buffer[4096];
            ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n <= 0)
                (is_out ? out : err).reset();
            else
                (is_out ? outcome.out : outcome.err).append(buffer, static_cast<size_t>(n));
        }
    }
    while (::waitpid(pid, &outcome.status, 0) < 0 && errno == EINTR) { }
    return outcome;
}

ErrorOr<Outcome> run_container(const runtime::Spec& spec, const runtime::StartHooks& hooks, int timeout_seconds)
{
    auto [out_read, out_write] = TRY(sys::pipe());
    auto [err_read, err_write] = TRY(sys::pipe());
    runtime::StdioFds stdio;
    stdio.out = out_write.get();
    stdio.err = err_write.get();
    auto started = TRY(runtime::start_container(spec, stdio, hooks));
    out_write.reset();
    err_write.reset();
    return collect(started.pid, out_read.release(), err_read.release(), timeout_seconds);
}

std::string mount_table()
{
    auto table = read_file("/proc/self/mountinfo");
    if (table.is_error())
        return "";
    // Other test processes (CTest runs several at once) mount in their own temp
    // directories under /tmp in this same mount namespace; those lines are not
    // ours to compare. Our own temp directory is checked with mounts_under().
    std::string out;
    std::istringstream lines(table.value());
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string id, parent, device, root, point;
        fields >> id >> parent >> device >> root >> point;
        if (point.starts_with("/tmp/corral-"))
            continue;
        out += line + "\n";
    }
    return out;
}

std::vector<std::string> mounts_under(const std::string& prefix)
{
    std::vector<std::string> out;
    auto table = read_file("/proc/self/mountinfo");
    std::istringstream lines(table.is_error() ? std::string() : table.value());
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string id, parent, device, root, point;
        fields >> id >> parent >> device >> root >> point;
        if (point == prefix || point.starts_with(prefix + "/"))
            out.push_back(point);
    }
    return out;
}

std::string status_line(const std::string& status, const std::string& key)
{
    std::istringstream lines(status);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.starts_with(key + ":"))
            return line;
    }
    return "";
}

} // namespace corral::test
