#include "image/tar_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace corral::image {

namespace {

constexpr size_t BLOCK = 512;

// `value` in octal, zero-padded to fill `width - 1` digits and a NUL.
bool put_octal(char* field, size_t width, uint64_t value)
{
    std::string digits(width - 1, '0');
    for (size_t i = width - 1; i-- > 0; value >>= 3)
        digits[i] = static_cast<char>('0' + (value & 7));
    if (value != 0)
        return false; // does not fit
    std::memcpy(field, digits.data(), width - 1);
    field[width - 1] = '\0';
    return true;
}

// GNU's base-256 form: the high bit of the first byte set, then the value
// big-endian in the rest of the field.
void put_base256(char* field, size_t width, uint64_t value)
{
    std::memset(field, 0, width);
    for (size_t i = width; i-- > 1; value >>= 8)
        field[i] = static_cast<char>(value & 0xff);
    field[0] = static_cast<char>(0x80);
}

} // namespace

ErrorOr<void> TarWriter::write(std::string_view data, const std::string& what)
{
    while (!data.empty()) {
        ssize_t n = ::write(m_fd, data.data(), data.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error::from_string(
                "writing image archive: " + what + ": " + std::strerror(errno), errno == EPIPE ? EPIPE : EIO);
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

ErrorOr<void> TarWriter::pad(int64_t size, const std::string& what)
{
    static const char zeros[BLOCK] {};
    size_t rest = static_cast<size_t>(size % static_cast<int64_t>(BLOCK));
    if (rest == 0)
        return {};
    return write(std::string_view(zeros, BLOCK - rest), what);
}

ErrorOr<void> TarWriter::header(const std::string& name, char type, int mode, int64_t size)
{
    char block[BLOCK] {};
    // The name goes whole into `name` (100 bytes) or is split at a slash
    // into `prefix` (155) and `name`.
    if (name.size() <= 100) {
        std::memcpy(block, name.data(), name.size());
    } else {
        size_t split = name.rfind('/', 155);
        if (name.size() > 255 || split == std::string::npos || split == 0 || name.size() - split - 1 > 100
            || name.size() - split - 1 == 0)
            return Error::from_string("writing image archive: the member name is too long for ustar: " + name, ENAMETOOLONG);
        std::memcpy(block + 345, name.data(), split);
        std::memcpy(block, name.data() + split + 1, name.size() - split - 1);
    }
    put_octal(block + 100, 8, static_cast<uint64_t>(mode));
    put_octal(block + 108, 8, 0); // uid
    put_octal(block + 116, 8, 0); // gid
    if (!put_octal(block + 124, 12, static_cast<uint64_t>(size)))
        put_base256(block + 124, 12, static_cast<uint64_t>(size));
    put_octal(block + 136, 12, 0); // mtime: the epoch, so that the same image saves the same bytes
    block[156] = type;
    std::memcpy(block + 257, "ustar", 6);
    std::memcpy(block + 263, "00", 2);
    // The checksum is taken with its own field as spaces.
    std::memset(block + 148, ' ', 8);
    unsigned sum = 0;
    for (unsigned char c : std::string_view(block, BLOCK))
        sum += c;
    put_octal(block + 148, 7, sum);
    block[155] = ' ';
    return write(std::string_view(block, BLOCK), name);
}

ErrorOr<void> TarWriter::directory(const std::string& name)
{
    std::string with_slash = name.ends_with('/') ? name : name + "/";
    return header(with_slash, '5', 0755, 0);
}

ErrorOr<void> TarWriter::file(const std::string& name, std::string_view data)
{
    TRY(header(name, '0', 0644, static_cast<int64_t>(data.size())));
    TRY(write(data, name));
    return pad(static_cast<int64_t>(data.size()), name);
}

ErrorOr<void> TarWriter::file_from(const std::string& name, int source, int64_t size)
{
    TRY(header(name, '0', 0644, size));
    char buffer[1 << 16];
    int64_t offset = 0;
    while (offset < size) {
        ssize_t n = ::pread(source, buffer, static_cast<size_t>(std::min<int64_t>(sizeof buffer, size - offset)), offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error::from_syscall("read for '" + name + "'");
        if (n == 0)
            return Error::from_string("'" + name + "' is shorter than recorded", EIO);
        TRY(write(std::string_view(buffer, static_cast<size_t>(n)), name));
        offset += n;
    }
    return pad(size, name);
}

ErrorOr<void> TarWriter::finish()
{
    static const char zeros[2 * BLOCK] {};
    return write(std::string_view(zeros, sizeof zeros), "finishing the archive");
}

} // namespace corral::image
