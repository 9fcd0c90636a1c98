#pragma once

// gzip as cloud-init user data and write_files contents use it.

#include "base/error.h"

#include <string>
#include <string_view>

namespace corral::cloudinit {

// Whether `data` starts with the gzip magic (1f 8b).
bool is_gzip(std::string_view data);

// Decompresses a gzip stream (concatenated members included). Fails with EINVAL
// naming what is wrong for corrupt or truncated data, and with EFBIG when the
// output would pass `max_size` bytes (a small bomb must not exhaust memory).
ErrorOr<std::string> gunzip(std::string_view data, size_t max_size = 64 * 1024 * 1024);

} // namespace corral::cloudinit
