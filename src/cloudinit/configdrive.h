#pragma once

// The `configdrive` datasource (reference §5): an OpenStack config drive, a block
// device labelled config-2 (ISO 9660 or FAT) holding openstack/latest/user_data
// and openstack/latest/meta_data.json.

#include "base/error.h"
#include "cloudinit/label.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::cloudinit {

inline constexpr const char* CONFIG_DRIVE_LABEL = "config-2";
inline constexpr const char* CONFIG_DRIVE_MOUNT_POINT = "/media/config-2";

// Where block devices are listed and where their nodes are. These are the
// machine's own, not under ROS_ROOT: devices are not configuration.
struct BlockScan {
    std::string sys_block { "/sys/class/block" };
    std::string dev_dir { "/dev" };
};

struct LabelledDevice {
    std::string path; // /dev/sr0
    FsLabel label;
};

// Looks once through every block device (in name order) with a non-zero size,
// skipping RAM disks, for a file system labelled `label` (label_matches()). A
// device that cannot be read (an empty drive) is passed over. nullopt when none
// has it; an error only when the device list itself cannot be read.
ErrorOr<std::optional<LabelledDevice>> find_device_by_label(std::string_view label, const BlockScan& scan = {});

struct ConfigDriveOptions {
    std::string mount_point; // absolute, already under the root prefix
    BlockScan scan;
    // How long a device that is not there yet is looked for. Config drives are
    // present from power-on, so this only covers a late driver probe; most boots
    // have none and must not wait long for it.
    std::chrono::milliseconds device_wait { 1000 };
    // The bound on the whole read: finding, mounting, reading and unmounting.
    std::chrono::milliseconds timeout { 10000 };
};

struct ConfigDriveData {
    std::string source; // the device read, or the mount point when it already held the drive
    std::string user_data; // empty when the drive has none
    std::optional<std::string> meta_data; // meta_data.json, when present
    std::vector<std::string> warnings; // such as a failed unmount
};

// Reads the config drive: from `mount_point` when an openstack/ directory is
// already there (a drive mounted by someone else, or a virtio-9p share);
// otherwise finds the device labelled config-2, mounts it read-only (its own
// file system type first, then iso9660, vfat and ext4), reads the two files and
// unmounts it. nullopt when there is no config drive.
//
// The work runs in a child process that is abandoned (SIGKILL) after
// options.timeout, so that a drive that hangs on read or mount cannot hold the
// boot: the call always returns within the timeout. ETIMEDOUT then. The calling
// process must be single-threaded (it forks without exec).
ErrorOr<std::optional<ConfigDriveData>> read_config_drive(const ConfigDriveOptions& options);

} // namespace corral::cloudinit
