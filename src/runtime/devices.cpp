// Device nodes and the standard links in the container's /dev (a tmpfs of its
// own), created through descriptors from open_in_root().

#include "runtime/executor_internal.h"

#include "base/file.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace corral::runtime::detail {

namespace {

ErrorOr<mode_t> node_type(const Device& device)
{
    switch (device.type) {
    case 'c':
    case 'u':
        return S_IFCHR;
    case 'b':
        return S_IFBLK;
    case 'p':
        return S_IFIFO;
    default:
        return Error::from_string("device " + device.path + ": unknown type '" + std::string(1, device.type) + "'");
    }
}

// Without CAP_MKNOD (a user namespace) the host's node is bound instead, as
// runc does; its owner and mode are then the host's.
ErrorOr<void> bind_host_node(int root_fd, const Device& device, const std::string& what)
{
    Fd target = TRY_CONTEXT(open_in_root(root_fd, device.path, Create::File), what);
    if (::mount(device.path.c_str(), fd_path(target.get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
        return Error::from_syscall(what + " (bind from the host)");
    return {};
}

} // namespace

ErrorOr<void> create_devices(int root_fd, const Spec& spec)
{
    for (auto const& device : spec.devices) {
        std::string what = "create device " + device.path;
        if (device.path.empty() || device.path.front() != '/' || device.path.ends_with('/'))
            return Error::from_string(what + ": not an absolute file path");
        mode_t type = TRY(node_type(device));
        std::string name = path_basename(device.path);
        Fd dir = TRY_CONTEXT(open_in_root(root_fd, path_dirname(device.path), Create::Directory), what);
        dev_t number = makedev(static_cast<unsigned>(device.major), static_cast<unsigned>(device.minor));
        int made = ::mknodat(dir.get(), name.c_str(), type | (device.mode & 07777), number);
        if (made < 0 && errno == EEXIST) {
            // Listed twice, or a node that came with /dev: the spec's wins.
            if (::unlinkat(dir.get(), name.c_str(), 0) < 0)
                return Error::from_syscall(what + ": unlink the existing file");
            made = ::mknodat(dir.get(), name.c_str(), type | (device.mode & 07777), number);
        }
        if (made < 0 && errno == EPERM) {
            TRY(bind_host_node(root_fd, device, what));
            continue;
        }
        if (made < 0)
            return Error::from_syscall(what);
        // mknod applies the umask; the mode is set again, then the owner.
        if (::fchmodat(dir.get(), name.c_str(), device.mode & 07777, 0) < 0)
            return Error::from_syscall("chmod " + device.path);
        if (::fchownat(dir.get(), name.c_str(), device.uid, device.gid, AT_SYMLINK_NOFOLLOW) < 0)
            return Error::from_syscall("chown " + device.path);
    }
    return {};
}

ErrorOr<void> create_dev_links(int root_fd)
{
    Fd dev = TRY_CONTEXT(open_in_root(root_fd, "/dev", Create::Directory), "create /dev links");
    struct Link {
        const char* target;
        const char* name;
    };
    static constexpr Link LINKS[] = {
        { "pts/ptmx", "ptmx" },
        { "/proc/self/fd", "fd" },
        { "/proc/self/fd/0", "stdin" },
        { "/proc/self/fd/1", "stdout" },
        { "/proc/self/fd/2", "stderr" },
    };
    for (auto const& link : LINKS) {
        // /dev/ptmx may have come as a device node; the newinstance devpts
        // mounted on /dev/pts needs the link instead.
        if (::unlinkat(dev.get(), link.name, 0) < 0 && errno != ENOENT)
            return Error::from_syscall(std::string("unlink /dev/") + link.name);
        if (::symlinkat(link.target, dev.get(), link.name) < 0)
            return Error::from_syscall(std::string("symlink /dev/") + link.name + " -> " + link.target);
    }
    return {};
}

} // namespace corral::runtime::detail
