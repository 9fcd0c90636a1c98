#include "engine/volumes_internal.h"
#include "runtime/mount_options.h"

#include "base/file.h"
#include "base/strings.h"

#include <algorithm>
#include <sys/mount.h>

namespace corral::engine {

MountOptions parse_mount_options(std::string_view options)
{
    // runc's words, as moby/sys/mount's (the same table).
    auto parsed = runtime::parse_mount_options(split(options, ','));
    MountOptions out;
    out.flags = parsed.flags | (parsed.bind ? MS_BIND : 0) | (parsed.recursive ? MS_REC : 0);
    out.propagation = parsed.propagation;
    out.data = std::move(parsed.data);
    return out;
}

ErrorOr<void> mount_volume(
    const std::string& device, const std::string& type, std::string_view options, const std::string& target)
{
    MountOptions parsed = parse_mount_options(options);
    // The error names the device and type but never the data, which may hold a
    // cifs password.
    std::string what = "mount '" + device + "' on '" + target + "' (type " + (type.empty() ? "none" : type) + ")";
    if (::mount(device.c_str(), target.c_str(), type.c_str(), parsed.flags, parsed.data.c_str()) < 0)
        return Error::from_syscall(what);
    if (parsed.propagation && ::mount("", target.c_str(), "", parsed.propagation, nullptr) < 0) {
        auto error = Error::from_syscall("mount --make-* '" + target + "'");
        (void)::umount2(target.c_str(), MNT_DETACH); // undoing our own mount; the first error is the one to report
        return error;
    }
    // The kernel ignores per-mount flags on a new bind mount (since 2.6.26); they
    // take a remount. moby/sys/mount remounts only for "ro"; any flag needs it.
    unsigned long per_mount = parsed.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if ((parsed.flags & MS_BIND) && per_mount) {
        if (::mount("", target.c_str(), "", MS_REMOUNT | MS_BIND | per_mount, nullptr) < 0) {
            auto error = Error::from_syscall("remount '" + target + "'");
            (void)::umount2(target.c_str(), MNT_DETACH); // as above
            return error;
        }
    }
    return {};
}

ErrorOr<void> unmount_all(const std::string& target)
{
    // Mounts can be stacked on one directory; each umount uncovers the next.
    // The bound keeps a kernel that keeps answering success from looping us.
    for (int i = 0; i < 64; ++i) {
        if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) == 0)
            continue;
        if (errno == EINVAL || errno == ENOENT)
            return {};
        return Error::from_syscall("umount '" + target + "'");
    }
    return Error::from_errno(EBUSY, "umount '" + target + "' (still mounted after 64 unmounts)");
}

ErrorOr<bool> has_mounts_at_or_below(const std::string& path)
{
    std::string table = TRY(read_file("/proc/self/mountinfo"));
    for (auto const& line : split(table, '\n')) {
        // "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw": the
        // fifth field is the mount point.
        auto fields = split(line, ' ');
        if (fields.size() < 5)
            continue;
        std::string mount_point = runtime::unescape_mountinfo(fields[4]);
        if (mount_point == path || mount_point.starts_with(path + "/"))
            return true;
    }
    return false;
}

} // namespace corral::engine
