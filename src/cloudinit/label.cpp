#include "cloudinit/label.h"

#include "base/fd.h"
#include "base/strings.h"
#include "base/system.h"

#include <fcntl.h>
#include <unistd.h>

namespace corral::cloudinit {

namespace {

uint8_t byte_at(std::string_view data, size_t offset)
{
    return static_cast<uint8_t>(data[offset]);
}

std::string padded_text(std::string_view data, size_t offset, size_t size)
{
    std::string_view field = data.substr(offset, size);
    size_t end = field.find('\0');
    if (end != std::string_view::npos)
        field = field.substr(0, end);
    while (!field.empty() && field.back() == ' ')
        field.remove_suffix(1);
    return std::string(field);
}

std::optional<FsLabel> iso9660(std::string_view header)
{
    constexpr size_t PVD = 32768;
    if (header.size() < PVD + 72 || byte_at(header, PVD) != 1 || header.substr(PVD + 1, 5) != "CD001")
        return std::nullopt;
    return FsLabel { "iso9660", padded_text(header, PVD + 40, 32) };
}

std::optional<FsLabel> ext(std::string_view header)
{
    constexpr size_t SUPER = 1024;
    if (header.size() < SUPER + 136 || byte_at(header, SUPER + 56) != 0x53 || byte_at(header, SUPER + 57) != 0xEF)
        return std::nullopt;
    return FsLabel { "ext4", padded_text(header, SUPER + 120, 16) };
}

std::optional<FsLabel> fat(std::string_view header)
{
    if (header.size() < 512 || byte_at(header, 510) != 0x55 || byte_at(header, 511) != 0xAA)
        return std::nullopt;
    // A FAT boot sector starts with a jump (EB xx 90 or E9 xx xx); an MBR does not
    // need to, which keeps a partition table from reading as a file system.
    if (byte_at(header, 0) != 0xEB && byte_at(header, 0) != 0xE9)
        return std::nullopt;
    std::optional<size_t> label_at;
    if (header.substr(82, 5) == "FAT32" && byte_at(header, 66) == 0x29)
        label_at = 71;
    else if (header.substr(54, 3) == "FAT" && byte_at(header, 38) == 0x29)
        label_at = 43;
    if (!label_at)
        return std::nullopt;
    std::string label = padded_text(header, *label_at, 11);
    if (label == "NO NAME")
        label.clear();
    return FsLabel { "vfat", label };
}

} // namespace

std::optional<FsLabel> label_from_header(std::string_view header)
{
    // ISO 9660 first: a hybrid ISO also carries an MBR (and could look like FAT).
    if (auto found = iso9660(header))
        return found;
    if (auto found = ext(header))
        return found;
    return fat(header);
}

ErrorOr<std::optional<FsLabel>> read_label(const std::string& device)
{
    // O_NONBLOCK: an empty CD-ROM drive answers at once instead of waiting for a disc.
    Fd fd = TRY(sys::open(device, O_RDONLY | O_NONBLOCK));
    std::string header(LABEL_HEADER_SIZE, '\0');
    size_t have = 0;
    while (have < header.size()) {
        ssize_t n = ::pread(fd.get(), header.data() + have, header.size() - have, static_cast<off_t>(have));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_syscall("read '" + device + "'");
        }
        if (n == 0)
            break;
        have += static_cast<size_t>(n);
    }
    header.resize(have);
    return label_from_header(header);
}

bool label_matches(const FsLabel& found, std::string_view wanted)
{
    if (found.label == wanted)
        return true;
    return found.fstype == "vfat" && to_lower(found.label) == to_lower(wanted);
}

} // namespace corral::cloudinit
