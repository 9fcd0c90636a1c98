// The container's root file system, built in the child inside its own mount
// namespace: propagation, the overlay root, the spec's mounts, /dev, the
// console and the init, pivot_root; then read-only and masked paths and the
// read-only root. Every mount target inside the root is opened with
// open_in_root() and mounted on through /proc/self/fd/N, as runc does, so a
// symlink in the image cannot redirect a mount onto the host.

#include "runtime/executor_internal.h"
#include "base/linux_syscalls.h"

#include "base/system.h"

#include <climits>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

namespace corral::runtime::detail {

namespace {

// From <linux/mount.h>, which cannot be included next to <sys/mount.h> with
// glibc 2.36.
struct MountAttr {
    uint64_t attr_set;
    uint64_t attr_clr;
    uint64_t propagation;
    uint64_t userns_fd;
};
constexpr uint64_t MOUNT_ATTR_RDONLY_BIT = 0x00000001;
constexpr unsigned AT_RECURSIVE_FLAG = 0x8000;

ErrorOr<void> do_mount(const char* source, const std::string& target, const char* type, unsigned long flags,
    const char* data, const std::string& what)
{
    if (::mount(source, target.c_str(), type, flags, data) < 0)
        return Error::from_syscall(what);
    return {};
}

// The mount now on top of `path` (open_in_root again): after a mount, the
// descriptor from before still names the directory underneath, and a remount
// through it would change the wrong mount.
ErrorOr<Fd> reopen(int root_fd, const std::string& path)
{
    return open_in_root(root_fd, path, Create::No);
}

// The per-mount flags a bind remount must keep: a mount that is nosuid,
// nodev or noexec (or has an atime setting) may refuse to lose it (EPERM when
// the flag is locked, as in a user namespace), so they are added, as runc
// does.
unsigned long kept_flags(const std::string& target)
{
    struct statvfs st { };
    if (::statvfs(target.c_str(), &st) < 0)
        return 0;
    unsigned long out = 0;
    if (st.f_flag & ST_NOSUID)
        out |= MS_NOSUID;
    if (st.f_flag & ST_NODEV)
        out |= MS_NODEV;
    if (st.f_flag & ST_NOEXEC)
        out |= MS_NOEXEC;
    if (st.f_flag & ST_NOATIME)
        out |= MS_NOATIME;
    if (st.f_flag & ST_NODIRATIME)
        out |= MS_NODIRATIME;
    if (st.f_flag & ST_RELATIME)
        out |= MS_RELATIME;
    return out;
}

ErrorOr<void> remount_bind(const std::string& target, unsigned long flags, const std::string& what)
{
    unsigned long base = MS_BIND | MS_REMOUNT;
    if (::mount(nullptr, target.c_str(), nullptr, base | flags, nullptr) == 0)
        return {};
    if (errno == EPERM && ::mount(nullptr, target.c_str(), nullptr, base | flags | kept_flags(target), nullptr) == 0)
        return {};
    return Error::from_syscall("remount " + what);
}

ErrorOr<void> mount_one(int root_fd, const PreparedMount& prepared)
{
    auto const& m = *prepared.mount;
    auto const& parsed = prepared.parsed;
    std::string what = "mount " + (parsed.bind ? m.source : m.type) + " on " + m.destination;
    Create kind = parsed.bind && !prepared.source_is_directory ? Create::File : Create::Directory;
    Fd target = TRY_CONTEXT(open_in_root(root_fd, m.destination, kind), what);
    unsigned long flags = parsed.flags & ~MS_REMOUNT;

    if (parsed.bind) {
        TRY(do_mount(m.source.c_str(), fd_path(target.get()), nullptr, MS_BIND | (parsed.recursive ? MS_REC : 0),
            nullptr, what));
        if (flags) {
            Fd top = TRY_CONTEXT(reopen(root_fd, m.destination), what);
            TRY(remount_bind(fd_path(top.get()), flags, what));
            if (parsed.recursive && (flags & MS_RDONLY)) {
                // A remount changes only the top mount; the mounts below a
                // recursive bind (the host's cgroup v1 controllers under
                // /sys/fs/cgroup, say) would stay writable. mount_setattr
                // (Linux 5.12) makes the whole tree read-only.
                MountAttr attr { MOUNT_ATTR_RDONLY_BIT, 0, 0, 0 };
                if (sys::raw_mount_setattr(top.get(), "", AT_EMPTY_PATH | AT_RECURSIVE_FLAG, &attr, sizeof attr)
                    < 0)
                    return Error::from_syscall("make " + m.destination + " read-only recursively");
            }
        }
    } else {
        TRY(do_mount(m.source.empty() ? m.type.c_str() : m.source.c_str(), fd_path(target.get()), m.type.c_str(), flags,
            parsed.data.empty() ? nullptr : parsed.data.c_str(), what));
    }
    if (parsed.propagation) {
        Fd top = TRY_CONTEXT(reopen(root_fd, m.destination), what);
        TRY(do_mount(
            nullptr, fd_path(top.get()), nullptr, parsed.propagation, nullptr, "set propagation of " + m.destination));
    }
    return {};
}

bool dev_is_ours(const std::vector<PreparedMount>& mounts)
{
    for (auto const& m : mounts) {
        if (m.mount->destination == "/dev")
            return !m.parsed.bind; // the spec's tmpfs; a volume on /dev is the user's
    }
    return false;
}

// Binds a host file by path. Not through a descriptor opened before the
// unshare: its mount belongs to the host's namespace, and binding from
// another namespace's mount is refused (EINVAL).
ErrorOr<void> bind_file(int root_fd, const std::string& source, const char* destination, unsigned long flags)
{
    std::string what = "bind " + source + " on " + destination;
    Fd target = TRY_CONTEXT(open_in_root(root_fd, destination, Create::File), what);
    TRY(do_mount(source.c_str(), fd_path(target.get()), nullptr, MS_BIND, nullptr, what));
    if (flags) {
        Fd top = TRY_CONTEXT(reopen(root_fd, destination), what);
        TRY(remount_bind(fd_path(top.get()), flags, what));
    }
    return {};
}

// pivot_root(".", ".") stacks the old root on the new one; it is then made a
// slave (so that unmounting it cannot propagate to the host when the root
// was made shared) and detached, as runc does.
ErrorOr<void> pivot_into(int root_fd)
{
    Fd old_root = TRY(sys::open("/", O_DIRECTORY | O_RDONLY));
    if (::fchdir(root_fd) < 0)
        return Error::from_syscall("chdir into the root");
    if (sys::raw_pivot_root(".", ".") < 0)
        return Error::from_syscall("pivot_root");
    if (::fchdir(old_root.get()) < 0)
        return Error::from_syscall("chdir into the old root");
    TRY(do_mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr, "make the old root a slave"));
    if (::umount2(".", MNT_DETACH) < 0)
        return Error::from_syscall("unmount the old root");
    if (::chdir("/") < 0)
        return Error::from_syscall("chdir /");
    return {};
}

} // namespace

ErrorOr<void> setup_rootfs(const RootfsInput& input)
{
    auto const& spec = *input.spec;

    // Nothing mounted from here on may reach the host: the tree becomes a
    // slave of the host's (or what the spec asks for, as runc), and the mount
    // holding the root private.
    unsigned long root_propagation = MS_SLAVE | MS_REC;
    if (!spec.rootfs_propagation.empty()) {
        root_propagation = propagation_flags(spec.rootfs_propagation);
        if (!root_propagation)
            return Error::from_string("rootfs propagation \"" + spec.rootfs_propagation
                + "\" is not one of "
                  "shared, rshared, slave, rslave, private, rprivate");
    }
    TRY(do_mount(nullptr, "/", nullptr, root_propagation, nullptr, "set propagation of /"));
    TRY(do_mount(nullptr, input.rootfs_parent_mount, nullptr, MS_PRIVATE, nullptr,
        "make " + input.rootfs_parent_mount + " private"));

    if (!input.overlay.relative_to.empty() && ::chdir(input.overlay.relative_to.c_str()) < 0)
        return Error::from_syscall("chdir '" + input.overlay.relative_to + "'");
    TRY(do_mount("overlay", spec.rootfs, "overlay", 0, input.overlay.data.c_str(), "mount overlay on " + spec.rootfs));
    Fd root = TRY(sys::open(spec.rootfs, O_PATH | O_DIRECTORY));

    for (auto const& prepared : *input.mounts)
        TRY(mount_one(root.get(), prepared));

    if (dev_is_ours(*input.mounts)) {
        TRY(create_devices(root.get(), spec));
        TRY(create_dev_links(root.get()));
    }
    if (input.console_fd >= 0) {
        char pty[PATH_MAX];
        ssize_t n = ::readlink(fd_path(input.console_fd).c_str(), pty, sizeof pty - 1);
        if (n < 0)
            return Error::from_syscall("find the terminal's path");
        TRY(bind_file(root.get(), std::string(pty, static_cast<size_t>(n)), "/dev/console", 0));
    }
    if (!input.init_binary.empty())
        TRY(bind_file(root.get(), input.init_binary, INIT_PATH_IN_CONTAINER, MS_RDONLY));

    return pivot_into(root.get());
}

ErrorOr<void> apply_sysctls(const std::map<std::string, std::string>& sysctls)
{
    for (auto const& [name, value] : sysctls) {
        std::string what = "sysctl " + name + "=" + value;
        if (name.empty() || name.find("..") != std::string::npos || name.find('/') != std::string::npos)
            return Error::from_string(what + ": invalid name");
        std::string path = "/proc/sys/" + name;
        for (size_t i = 10; i < path.size(); ++i) {
            if (path[i] == '.')
                path[i] = '/';
        }
        Fd fd = TRY_CONTEXT(sys::open(path, O_WRONLY | O_TRUNC), what);
        TRY_CONTEXT(sys::write_all(fd.get(), value), what);
    }
    return {};
}

ErrorOr<void> finish_rootfs(const Spec& spec)
{
    Fd root = TRY(sys::open("/", O_PATH | O_DIRECTORY));
    for (auto const& path : spec.readonly_paths) {
        auto target = open_in_root(root.get(), path, Create::No);
        if (target.is_error() && target.error().code() == ENOENT)
            continue;
        std::string what = "make " + path + " read-only";
        if (target.is_error())
            return std::move(target.release_error().context(what));
        TRY(do_mount(fd_path(target->get()).c_str(), fd_path(target->get()), nullptr, MS_BIND | MS_REC, nullptr, what));
        Fd top = TRY_CONTEXT(reopen(root.get(), path), what);
        TRY(remount_bind(fd_path(top.get()), MS_RDONLY | kept_flags(fd_path(top.get())), what));
    }
    for (auto const& path : spec.masked_paths) {
        auto target = open_in_root(root.get(), path, Create::No);
        if (target.is_error() && target.error().code() == ENOENT)
            continue;
        std::string what = "mask " + path;
        if (target.is_error())
            return std::move(target.release_error().context(what));
        auto st = TRY_CONTEXT(sys::fstat(target->get()), what);
        if (S_ISDIR(st.st_mode))
            TRY(do_mount("tmpfs", fd_path(target->get()), "tmpfs", MS_RDONLY, "mode=0755", what));
        else
            TRY(do_mount("/dev/null", fd_path(target->get()), nullptr, MS_BIND, nullptr, what));
    }
    if (spec.readonly_rootfs)
        TRY(remount_bind("/", MS_RDONLY | kept_flags("/"), "/ read-only"));
    return {};
}

} // namespace corral::runtime::detail
