// Starting a container: its root file system directories, /etc files,
// volumes, devices, the plan (spec_builder.h), its cgroup, and the
// supervisor that runs it.

#include "engine/engine.h"

#include "base/file.h"
#include "base/linux_syscalls.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/scope_guard.h"
#include "base/system.h"
#include "base/time.h"
#include "engine/etc_files.h"
#include "engine/image_files.h"
#include "runtime/cgroup.h"
#include "runtime/spec_builder.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace corral::engine {

namespace {


runtime::HostDevice host_device(const std::string& path_in_container, const struct stat& st)
{
    runtime::HostDevice device;
    device.path_in_container = path_in_container;
    device.type = S_ISCHR(st.st_mode) ? 'c' : 'b';
    device.major = major(st.st_rdev);
    device.minor = minor(st.st_rdev);
    device.mode = st.st_mode & 07777;
    device.uid = st.st_uid;
    device.gid = st.st_gid;
    return device;
}

// Docker's HostDevices: every character and block device under /dev, for a
// privileged container.
void collect_devices(const std::string& dir, std::vector<runtime::HostDevice>& out, int depth = 0)
{
    if (depth > 4)
        return;
    DIR* d = ::opendir(dir.c_str());
    if (!d)
        return;
    while (auto* entry = ::readdir(d)) {
        std::string name = entry->d_name;
        if (name == "." || name == ".." || (depth == 0 && (name == "pts" || name == "shm" || name == "mqueue"
                                                || name == ".lxc" || name == "ptmx" || name == "console")))
            continue;
        std::string path = dir + "/" + name;
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            collect_devices(path, out, depth + 1);
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
            out.push_back(host_device(path, st));
        }
    }
    ::closedir(d);
}

ErrorOr<std::vector<runtime::HostDevice>> mapped_devices(const std::vector<runtime::DeviceMapping>& mappings)
{
    std::vector<runtime::HostDevice> out;
    for (auto const& mapping : mappings) {
        struct stat st {};
        if (::stat(mapping.path_on_host.c_str(), &st) != 0)
            return Error::from_syscall("error gathering device information while adding custom device \""
                + mapping.path_on_host + "\"");
        if (S_ISDIR(st.st_mode)) {
            std::vector<runtime::HostDevice> found;
            collect_devices(mapping.path_on_host, found, 1);
            for (auto& device : found) {
                std::string inside = mapping.path_in_container.empty() ? mapping.path_on_host : mapping.path_in_container;
                device.path_in_container = inside + device.path_in_container.substr(mapping.path_on_host.size());
                device.cgroup_permissions = mapping.cgroup_permissions;
                out.push_back(device);
            }
            continue;
        }
        if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
            return Error::from_string("not a device node: \"" + mapping.path_on_host + "\"", EINVAL);
        auto device = host_device(
            mapping.path_in_container.empty() ? mapping.path_on_host : mapping.path_in_container, st);
        device.cgroup_permissions = mapping.cgroup_permissions.empty() ? "rwm" : mapping.cgroup_permissions;
        out.push_back(device);
    }
    return out;
}

std::string host_hostname()
{
    char name[256] {};
    ::gethostname(name, sizeof name - 1);
    return name;
}

// "container:<x>" → x
std::string container_target(const std::string& mode)
{
    return mode.starts_with("container:") ? mode.substr(10) : std::string();
}

} // namespace

// A file of the image (or of the container's own changes, which win), read
// without following links out of the layer: the topmost layer that has it.
std::string image_file(const std::vector<std::string>& dirs, const std::string& relative)
{
    for (auto const& dir : dirs) {
        open_how how {};
        how.flags = O_RDONLY | O_CLOEXEC;
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        auto opened = sys::open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (opened.is_error())
            continue;
        Fd root = opened.release_value();
        int fd = sys::raw_openat2(root.get(), relative.c_str(), how);
        if (fd < 0) {
            struct stat st {};
            // A whiteout (0/0 character device) hides the lower layers' file.
            if (::fstatat(root.get(), relative.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode)
                && st.st_rdev == 0)
                return {};
            continue;
        }
        Fd file(fd);
        auto text = sys::read_all(file.get(), 4 * 1024 * 1024);
        return text.is_error() ? std::string() : text.release_value();
    }
    return {};
}

ErrorOr<std::vector<runtime::VolumeMount>> Engine::prepare_volumes(
    Container& container, const std::vector<std::string>& lower_dirs)
{
    std::vector<runtime::VolumeMount> out;
    std::string view; // the image, mounted read-only on the host while volumes are filled
    auto unmount_view = ScopeGuard([&] {
        if (!view.empty()) {
            ::umount2(view.c_str(), MNT_DETACH);
            ::rmdir(view.c_str());
        }
    });
    for (auto& m : container.mounts) {
        runtime::VolumeMount volume;
        volume.destination = m.destination;
        volume.read_only = !m.rw;
        volume.propagation = m.propagation;
        if (m.type == "bind") {
            struct stat st {};
            // -v creates a missing host directory, as Docker does.
            if (::stat(m.source.c_str(), &st) != 0)
                TRY_CONTEXT(mkdir_p(m.source, 0755), "creating bind source " + m.source);
            volume.source = m.source;
        } else {
            volume.source = TRY(m_volumes->mount(m.name, container.id));
            m.source = TRY(m_volumes->get(m.name)).mountpoint;
            auto info = TRY(m_volumes->get(m.name));
            if (!m.no_copy && !info.copied) {
                if (view.empty()) {
                    view = path_join(container_dir(container.id), "image-view");
                    TRY(mkdir_p(view, 0700));
                    if (lower_dirs.size() == 1) {
                        if (::mount(lower_dirs[0].c_str(), view.c_str(), nullptr, MS_BIND, nullptr) < 0)
                            return Error::from_syscall("bind image layer on " + view);
                    } else {
                        std::string data = "lowerdir=" + join(lower_dirs, ":");
                        if (::mount("overlay", view.c_str(), "overlay", MS_RDONLY, data.c_str()) < 0)
                            return Error::from_syscall("mount image view on " + view);
                    }
                }
                TRY(m_volumes->copy_up(m.name, path_join(view, m.destination)));
            }
        }
        out.push_back(std::move(volume));
    }
    return out;
}

ErrorOr<void> Engine::start(
    const std::string& name_or_id, std::optional<runtime::SupervisorConnection>* attach, std::string_view streams)
{
    std::unique_lock lock(m_mutex);
    auto container = TRY(get_locked(name_or_id));
    if (container->state.status == "paused")
        return Error::from_string("cannot start a paused container, try unpause instead", EBUSY);
    if (container->state.running())
        return Error::from_string("container " + container->id + " is already running", EALREADY);
    container->manually_stopped = false;
    container->restart_pending = false;
    container->restart_manager.reset();
    auto started = start_locked(lock, container, attach, streams);
    if (started.is_error() && container->parsed.host_config.auto_remove && !container->removing) {
        // As dockerd: a --rm container that cannot start goes at once.
        (void)remove_locked(lock, container, true, true);
    }
    return started;
}

ErrorOr<void> Engine::start_locked(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Container>& container,
    std::optional<runtime::SupervisorConnection>* attach, std::string_view streams)
{
    if (container->starting)
        return Error::from_string("container " + container->id + " is already being started", EBUSY);
    container->starting = true;
    auto not_starting = ScopeGuard([&] { container->starting = false; });
    auto& c = *container;
    auto const& host = c.parsed.host_config;

    auto record = TRY(m_images->resolve(c.image_id));
    auto lower_dirs = TRY(m_images->layer_dirs(record));
    std::string dir = container_dir(c.id);

    runtime::BuildInput input;
    input.id = c.id;
    input.name = c.name;
    input.image = c.image_defaults;
    input.config = c.parsed.config;
    input.host = host;
    input.lower_dirs = lower_dirs;
    input.upper_dir = path_join(dir, "upper");
    input.work_dir = path_join(dir, "work");
    input.rootfs = path_join(dir, "rootfs");
    // The upper directory is the container's "/": 0755 like an image's root,
    // or users other than root could not enter it.
    TRY(mkdir_p(input.upper_dir, 0755));
    TRY(mkdir_p(input.work_dir, 0700));
    TRY(mkdir_p(input.rootfs, 0755));
    (void)::chmod(input.upper_dir.c_str(), 0755); // made 0700 by an older engine
    std::vector<std::string> etc_dirs { input.upper_dir };
    etc_dirs.insert(etc_dirs.end(), lower_dirs.begin(), lower_dirs.end());
    input.passwd = image_file(etc_dirs, "etc/passwd");
    input.group = image_file(etc_dirs, "etc/group");
    input.cgroup_parent = m_options.cgroup_parent;
    auto layout = TRY(runtime::detect_cgroup_layout(m_options.cgroup_root));
    input.cgroup_version = layout == runtime::CgroupLayout::V2 ? runtime::CgroupVersion::V2 : runtime::CgroupVersion::V1;
    input.host_cpu_count = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));

    // Namespaces shared with other containers.
    auto joined = [&](const std::string& mode, const char* ns) -> ErrorOr<std::shared_ptr<Container>> {
        std::string target = container_target(mode);
        if (target.empty())
            return std::shared_ptr<Container> {};
        auto other = find_locked(target);
        if (!other || other->removing)
            return Error::from_string("No such container: " + target, ENOENT);
        if (!other->state.running())
            return Error::from_string("cannot join " + std::string(ns) + " of a non running container: " + target, EBUSY);
        return other;
    };
    auto net_peer = TRY(joined(host.network_mode, "network"));
    auto pid_peer = TRY(joined(host.pid_mode, "PID namespace"));
    auto ipc_peer = TRY(joined(host.ipc_mode, "IPC namespace"));
    if (net_peer) {
        input.network_namespace_path = "/proc/" + std::to_string(net_peer->state.pid) + "/ns/net";
        input.inherited_hostname = net_peer->config.hostname.empty() ? net_peer->id.substr(0, 12) : net_peer->config.hostname;
        input.inherited_domainname = net_peer->config.domainname;
    }
    if (pid_peer)
        input.pid_namespace_path = "/proc/" + std::to_string(pid_peer->state.pid) + "/ns/pid";
    if (ipc_peer)
        input.ipc_namespace_path = "/proc/" + std::to_string(ipc_peer->state.pid) + "/ns/ipc";
    if (host.network_mode == "host")
        input.inherited_hostname = host_hostname();

    // /etc files: a container sharing another's network uses that one's.
    if (net_peer) {
        std::string peer_dir = container_dir(net_peer->id);
        input.hostname_path = path_join(peer_dir, "hostname");
        input.hosts_path = path_join(peer_dir, "hosts");
        input.resolv_conf_path = path_join(peer_dir, "resolv.conf");
    } else {
        EtcInput etc;
        etc.network_mode = host.network_mode;
        etc.hostname = !c.parsed.config.hostname.empty() ? c.parsed.config.hostname
            : host.network_mode == "host"                 ? input.inherited_hostname
                                                          : c.id.substr(0, 12);
        etc.domainname = c.parsed.config.domainname;
        etc.extra_hosts = host.extra_hosts;
        etc.dns = host.dns;
        etc.dns_search = host.dns_search;
        etc.dns_options = host.dns_options;
        auto hosts_text = read_file(m_options.host_hosts);
        auto resolv_text = read_file(m_options.host_resolv_conf);
        std::string host_hosts = hosts_text.is_error() ? std::string() : hosts_text.release_value();
        std::string host_resolv = resolv_text.is_error() ? std::string() : resolv_text.release_value();
        input.hostname_path = path_join(dir, "hostname");
        input.hosts_path = path_join(dir, "hosts");
        input.resolv_conf_path = path_join(dir, "resolv.conf");
        TRY(write_file_atomic(input.hostname_path, hostname_file(etc), 0644));
        TRY(write_file_atomic(input.hosts_path, TRY(hosts_file(etc, host_hosts)), 0644));
        TRY(write_file_atomic(input.resolv_conf_path, TRY(resolv_conf_file(etc, host_resolv)), 0644));
    }

    if (host.privileged)
        collect_devices("/dev", input.devices);
    auto mapped = TRY(mapped_devices(host.devices));
    input.devices.insert(input.devices.end(), mapped.begin(), mapped.end());

    auto unmount_volumes = ScopeGuard([&] {
        for (auto const& m : c.mounts) {
            if (m.type == "volume")
                (void)m_volumes->unmount(m.name, c.id);
        }
    });
    input.volumes = TRY(prepare_volumes(c, lower_dirs));
    auto spec = TRY(runtime::build_spec(input));

    auto cgroup = TRY(runtime::Cgroup::create(spec.cgroup_path, spec.resources, m_options.cgroup_root));
    auto destroy_cgroup = ScopeGuard([&] {
        (void)cgroup.kill_all(SIGKILL);
        (void)cgroup.destroy();
    });

    std::string run = run_dir(c.id);
    (void)remove_tree(run);
    TRY(mkdir_p(run, 0700));
    Fd listener = TRY(runtime::bind_supervisor_socket(run));
    if (attach && !streams.empty())
        attach->emplace(TRY(runtime::SupervisorConnection::connect(run, streams)));
    // Attaches that waited for this start (docker run, docker start -a).
    auto pending = std::move(c.pending_attaches);
    c.pending_attaches.clear();
    auto fail_pending = ScopeGuard([&] {
        for (auto& p : pending) {
            p->error = Error::from_string("container " + c.id + " did not start", EIO);
            p->done = true;
        }
        m_changed.notify_all();
    });
    for (auto& p : pending)
        p->connection.emplace(TRY(runtime::SupervisorConnection::connect(run, p->streams)));
    auto control = TRY(runtime::SupervisorConnection::connect(run, ""));

    runtime::SupervisorOptions options;
    options.binary = m_options.supervisor_binary;
    options.run_dir = run;
    options.spec = std::move(spec);
    options.log_path = c.log_path;
    if (!c.log_path.empty()) {
        auto opts = host.log_config.config.empty() ? m_options.log_options : host.log_config.config;
        options.log_options = TRY(runtime::parse_log_options(opts));
    }
    options.cgroup_dirs = cgroup.directories();
    options.stdin_once = c.parsed.config.stdin_once;

    // The slow part runs unlocked; `starting` keeps others off this container.
    lock.unlock();
    auto launched = runtime::launch_supervisor(options, std::move(listener));
    lock.lock();
    if (launched.is_error()) {
        auto error = launched.release_error();
        c.state.error = error.message();
        c.state.exit_code = error.code() == ENOENT ? 127 : 126;
        (void)save_locked(c);
        return error;
    }
    destroy_cgroup.disarm();
    unmount_volumes.disarm();
    fail_pending.disarm();
    for (auto& p : pending)
        p->done = true;

    c.generation++;
    c.state.status = "running";
    c.state.pid = launched->process_pid;
    c.state.supervisor_pid = launched->supervisor_pid;
    c.state.error.clear();
    c.state.exit_code = 0;
    c.state.oom_killed = false;
    c.state.started_at = now_rfc3339_nano();
    c.state.finished_at = ZERO_TIME;
    int pidfd = sys::raw_pidfd_open(launched->process_pid, 0);
    c.pidfd = pidfd >= 0 ? Fd(pidfd) : Fd();
    c.control = Fd(::dup(control.fd()));
    (void)::fcntl(c.control.get(), F_SETFD, FD_CLOEXEC);
    if (auto saved = save_locked(c); saved.is_error())
        log::warn("saving container " + c.id + ": " + saved.error().message());
    watch(container);
    emit("start", c);
    m_changed.notify_all();
    return {};
}

} // namespace corral::engine
