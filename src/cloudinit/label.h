#pragma once

// File system labels read straight from a device's first blocks, as blkid does
// for the three kinds a config drive comes as, so that finding LABEL=config-2
// needs neither libblkid nor udev:
//   ISO 9660   primary volume descriptor at 32768: type 1, "CD001", volume id at
//              +40 (32 bytes, space padded)
//   ext2/3/4   superblock at 1024: magic 0xEF53 at +56, label at +120 (16 bytes,
//              NUL padded)
//   FAT        boot sector signature 55 AA at 510; extended boot signature 0x29
//              and label at 38/43 (FAT12/16) or 66/71 (FAT32), 11 bytes, space
//              padded; "NO NAME" means none

#include "base/error.h"

#include <optional>
#include <string>
#include <string_view>

namespace corral::cloudinit {

struct FsLabel {
    std::string fstype; // "iso9660", "ext4", "vfat"
    std::string label; // empty when the file system has none
};

// How many bytes of a device label_from_header() needs.
inline constexpr size_t LABEL_HEADER_SIZE = 32768 + 2048;

// The file system and label in `header` (the first bytes of a device; shorter
// input only finds what fits), or nullopt when none of the three is there.
std::optional<FsLabel> label_from_header(std::string_view header);

// Reads a device's (or an image file's) header and returns its label. ENOMEDIUM
// and the like come back as errors naming the device.
ErrorOr<std::optional<FsLabel>> read_label(const std::string& device);

// Whether a label read from a device matches the one looked for: exactly, or
// ignoring case for FAT, whose tools upper-case labels.
bool label_matches(const FsLabel& found, std::string_view wanted);

} // namespace corral::cloudinit
