#pragma once

// The parts of the volume store that touch the kernel: mounting a volume's
// options on its _data directory and copying an image directory into it.

#include "base/error.h"

#include <string>
#include <string_view>

namespace corral::engine {

// A local volume's `o` option as mount(2) wants it, by the rules of moby/sys/mount:
// known words ("ro", "nosuid", "bind", "rbind", …) become flags, propagation words
// ("rprivate", "shared", …) a second call, and the rest ("size=100m,uid=1000")
// the data string, in their order.
struct MountOptions {
    unsigned long flags { 0 };
    unsigned long propagation { 0 };
    std::string data;
};
MountOptions parse_mount_options(std::string_view options);

// Mounts `device` of `type` on `target` with the `o` option's flags and data.
ErrorOr<void> mount_volume(
    const std::string& device, const std::string& type, std::string_view options, const std::string& target);

// Unmounts everything stacked on `target` (not following a symlink there). A
// target that is not a mount point is not an error.
ErrorOr<void> unmount_all(const std::string& target);

// Whether anything is mounted on `path` or below it, by /proc/self/mountinfo.
// `path` must be canonical (no symlinks, no "..") to compare with the kernel's.
ErrorOr<bool> has_mounts_at_or_below(const std::string& path);

// Copies what is inside the directory `source_dir` into the empty directory
// `dest_dir`, both open O_DIRECTORY: regular files, directories, symlinks (as
// symlinks, never followed), fifos and device nodes, with modes, owners,
// timestamps and extended attributes (where the destination takes them); hard
// links stay hard links. Sockets are skipped, as by Docker's tar copy. `shown`
// names the source in errors.
ErrorOr<void> copy_directory_contents(int source_dir, int dest_dir, const std::string& shown);

// Gives `dest_dir` the owner, mode and extended attributes of `source_dir`
// (Docker does this for a volume's _data after its copy-up).
ErrorOr<void> copy_directory_metadata(int source_dir, int dest_dir, const std::string& shown);

} // namespace corral::engine
