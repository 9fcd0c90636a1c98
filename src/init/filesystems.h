#pragma once

// The mounts PID 1 makes (reference §1.2 step 2, with cgroup v2 instead of
// one mount per v1 hierarchy) and the root switch (step 12).

#include "base/error.h"
#include "base/fd.h"

#include <string>
#include <string_view>

namespace corral::init {

// mount(2) with the call and its arguments in the error.
ErrorOr<void> mount_fs(const std::string& source, const std::string& target, const std::string& type,
    unsigned long flags, const std::string& data = {});

// /dev (devtmpfs), /dev/pts, /dev/shm, /dev/mqueue, /proc, /sys, /run, and the
// unified cgroup v2 hierarchy on /sys/fs/cgroup; each only when it is not
// mounted yet, so the same call works before and after the root switch.
ErrorOr<void> mount_early_filesystems();

// Whether `path` is the mount point of a file system (its device differs from
// its parent's, or it is "/").
bool is_mount_point(const std::string& path);

// A loop device attached to a file. The device is detached automatically
// (LO_FLAGS_AUTOCLEAR) once nothing holds it: keep `fd` open until the file
// system on it is mounted, or the device is gone before the mount opens it.
struct LoopDevice {
    std::string path; // /dev/loopN
    Fd fd;
};

// Attaches `file` read-only to a free loop device.
ErrorOr<LoopDevice> attach_loop(const std::string& file);

// Moves the whole running system onto `new_root` (already mounted there):
// /dev, /proc, /sys and /run are moved under it, every file of the initramfs
// is deleted (not crossing into other mounts) to give its memory back, and
// `new_root` becomes "/" through MS_MOVE and chroot. Used with the state disk,
// and with a tmpfs when there is none.
ErrorOr<void> switch_root(const std::string& new_root);

} // namespace corral::init
