#pragma once

// Writing a tar stream (`docker save`): directories and regular files with
// fixed metadata, in POSIX ustar form, which every tar reader takes. Names
// up to 255 bytes (split between ustar's prefix and name fields at a slash);
// sizes beyond ustar's 8 GiB in the base-256 form of GNU tar, which
// libarchive, Go's archive/tar and GNU tar read.
//
// The image store writes its own archives rather than through libarchive,
// whose writer brings in every format it knows (and with one of them the
// XML library) for the one used here.

#include "base/error.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace corral::image {

class TarWriter {
public:
    // Writes to `fd` (not owned), which may be a pipe or a socket.
    explicit TarWriter(int fd)
        : m_fd(fd)
    {
    }

    ErrorOr<void> directory(const std::string& name); // mode 0755, "name/"
    ErrorOr<void> file(const std::string& name, std::string_view data); // mode 0644
    // `size` bytes read from `source` (from its start) as the member `name`.
    ErrorOr<void> file_from(const std::string& name, int source, int64_t size);
    // The end-of-archive blocks.
    ErrorOr<void> finish();

private:
    ErrorOr<void> header(const std::string& name, char type, int mode, int64_t size);
    ErrorOr<void> write(std::string_view data, const std::string& what);
    ErrorOr<void> pad(int64_t size, const std::string& what);

    int m_fd;
};

} // namespace corral::image
