#pragma once

// Finding block devices the way RancherOS's configuration names them
// ("LABEL=RANCHER_STATE", "UUID=…", "/dev/vda"), with libblkid probing the
// devices themselves: PID 1 runs before udev, so there is no /dev/disk/by-label.

#include "base/error.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace corral::init {

// The device node for `spec`, or nullopt when no device matches now. A plain
// path is returned when it exists.
std::optional<std::string> resolve_device(std::string_view spec);

// resolve_device() again every 250 ms until it finds the device or `timeout`
// has passed (RancherOS's state.wait: 30 s for the device to appear).
std::optional<std::string> wait_for_device(std::string_view spec, std::chrono::milliseconds timeout);

// The file system type libblkid finds on `device` ("ext4", "iso9660"), or an error.
ErrorOr<std::string> filesystem_type(const std::string& device);

// Whether the first `bytes` of `device` are all zero: the autoformat rule
// (§3.7) that keeps a disk with anything on it from being formatted.
ErrorOr<bool> starts_with_zeros(const std::string& device, size_t bytes = 1024 * 1024);

} // namespace corral::init
