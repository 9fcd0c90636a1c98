#pragma once

// Internal to the layer unpacker: the file system helpers its two halves share.

#include "base/error.h"

#include <cstdint>
#include <string>

namespace corral::image::unpack_detail {

// openat2(dirfd, path, flags | O_CLOEXEC) with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV: no symlink (the last component included),
// no mount point and no ".." can lead the lookup anywhere. Returns -1 with errno set.
int open_beneath(int dirfd, const std::string& path, uint64_t flags);

// The error for a failed open_beneath() of `path`: ELOOP and EXDEV say what was in
// the way, in words.
Error resolve_error(int code, const std::string& path);

} // namespace corral::image::unpack_detail
