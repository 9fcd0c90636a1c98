#include "init/system_setup.h"

#include "base/file.h"
#include "base/linux_syscalls.h"
#include "base/log.h"
#include "base/system.h"
#include "cloudinit/pre_console.h"

#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace corral::init {

namespace {

void write_if_missing(const std::string& path, std::string_view content, mode_t mode)
{
    if (::access(path.c_str(), F_OK) == 0)
        return;
    if (auto written = write_file_atomic(path, content, mode, KeepMode::No); written.is_error())
        log::warn(written.error().message());
}

ErrorOr<void> write_proc(const std::string& path, const std::string& value)
{
    Fd fd = TRY(sys::open(path, O_WRONLY));
    return sys::write_all(fd.get(), value);
}

// /etc/hosts before the hostname line is added (cloudinit::apply_hostname).
constexpr const char* BASE_HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                                   "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
                                   "ff02::2\tip6-allrouters\n";

} // namespace

ErrorOr<void> prepare_root()
{
    for (auto const* dir : { "/var/lib/rancher/conf/cloud-config.d", "/var/lib/rancher/cache", "/var/lib/rancher/preload/docker",
             "/var/lib/rancher/preload/system-docker", "/var/lib/rancher/engine", "/var/lib/system-docker",
             "/var/lib/user-docker", "/var/lib/m-user-docker", "/var/lib/kubelet", "/var/lib/boot2docker",
             "/var/lib/waagent", "/var/log/boot", "/etc/docker", "/etc/logrotate.d", "/etc/selinux", "/etc/ssl/certs",
             "/lib/firmware", "/home", "/opt", "/mnt", "/media", "/root/.ssh" })
        TRY(mkdir_p(dir, 0755));
    (void)::chmod("/var/lib/rancher/conf", 0700);
    (void)::chmod("/var/lib/rancher/conf/cloud-config.d", 0700);
    (void)::chmod("/root/.ssh", 0700);
    if (::access("/var/run", F_OK) != 0)
        (void)::symlink("../run", "/var/run");
    write_if_missing("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644);
    write_if_missing("/etc/group", "root:x:0:\ndocker:x:1101:\n", 0644);
    write_if_missing("/etc/resolv.conf", "", 0644);
    write_if_missing("/etc/ssl/certs/ca-certificates.crt", "", 0644);
    write_if_missing("/etc/docker/system-docker.json", "{}\n", 0644);
    // Shared propagation, so that the :shared binds of media-volumes and of
    // the docker service reach the host and back.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_SHARED, nullptr) < 0)
        return Error::from_syscall("mount --make-rshared /");
    return {};
}

void apply_system_settings(const config::CloudConfig& cfg)
{
    // The same code as cloud-init-execute -pre-console, which applies them
    // again later (reference §3.6); here they are in place before any service.
    config::Paths paths;
    cloudinit::Report report([](LogLevel level, const std::string& message) { log::write(level, message); });
    cloudinit::apply_sysctl(paths, cfg.rancher.sysctl, report);
    (void)write_proc("/proc/sys/net/ipv4/ip_forward", "1"); // the engines route for their containers
    std::string hostname = cfg.hostname.empty() ? cfg.rancher.defaults.hostname : cfg.hostname;
    if (hostname.empty())
        hostname = "rancher";
    write_if_missing("/etc/hosts", BASE_HOSTS, 0644);
    if (auto applied = cloudinit::apply_hostname(paths, hostname, cloudinit::SetKernelHostname::Yes); applied.is_error())
        log::warn("hostname: " + applied.error().message());
    struct rlimit files { 1000000, 1000000 };
    (void)::setrlimit(RLIMIT_NOFILE, &files); // inherited by the engine and its containers
}

ErrorOr<void> prepare_engine_paths(const config::DockerConfig& engine)
{
    for (auto const& host : engine.host) {
        if (host.starts_with("unix://"))
            TRY(mkdir_p(path_dirname(host.substr(7)), 0755));
    }
    if (!engine.graph.empty())
        TRY(mkdir_p(engine.graph, 0711));
    if (!engine.exec_root.empty())
        TRY(mkdir_p(engine.exec_root, 0700));
    if (!engine.pid_file.empty())
        TRY(mkdir_p(path_dirname(engine.pid_file), 0755));
    return {};
}

std::optional<ExitStatus> wait_bounded(Child& child, std::chrono::milliseconds timeout)
{
    int pidfd = sys::raw_pidfd_open(child.pid(), 0);
    if (pidfd >= 0) {
        struct pollfd p { pidfd, POLLIN, 0 };
        int ready;
        do
            ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
        while (ready < 0 && errno == EINTR);
        ::close(pidfd);
        if (ready == 0) {
            ::kill(child.pid(), SIGKILL);
            (void)child.wait();
            return std::nullopt;
        }
    }
    auto status = child.wait();
    if (status.is_error())
        return std::nullopt;
    return status.value();
}

void run_cloud_init_save()
{
    SpawnOptions options;
    options.argv = { "/usr/bin/cloud-init-save" };
    auto child = Child::spawn(options);
    if (child.is_error()) {
        log::warn("cloud-init-save: " + child.error().message());
        return;
    }
    auto status = wait_bounded(child.value(), std::chrono::seconds(30));
    if (!status)
        log::warn("cloud-init-save: still running after 30 s, stopped; booting without it");
    else if (status->code() != 0)
        log::warn("cloud-init-save: " + status->describe());
}

} // namespace corral::init
