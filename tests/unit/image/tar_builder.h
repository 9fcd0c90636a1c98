#pragma once

// Test helper: layer tars built in memory with libarchive's writer, compressed
// copies of them, and raw ustar members for the hostile names and links that the
// writer would not produce. Header-only so that the unit and the privileged tests
// can share it.

#include <archive.h>
#include <archive_entry.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <locale.h>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace corral::test {

struct Member {
    std::string path;
    mode_t type { AE_IFREG };
    std::string data; // for a sparse member: the whole logical content, holes as zeros
    mode_t mode { 0644 };
    std::string symlink; // symlink target
    std::string hardlink; // hard link target
    int64_t uid { 0 };
    int64_t gid { 0 };
    time_t mtime { 1'600'000'000 };
    unsigned major { 0 };
    unsigned minor { 0 };
    std::vector<std::pair<std::string, std::string>> xattrs;
    std::vector<std::pair<int64_t, int64_t>> sparse; // data regions (offset, length)
};

inline Member file(std::string path, std::string data, mode_t mode = 0644)
{
    Member m;
    m.path = std::move(path);
    m.data = std::move(data);
    m.mode = mode;
    return m;
}

inline Member directory(std::string path, mode_t mode = 0755)
{
    Member m;
    m.path = std::move(path);
    m.type = AE_IFDIR;
    m.mode = mode;
    return m;
}

inline Member symbolic_link(std::string path, std::string target)
{
    Member m;
    m.path = std::move(path);
    m.type = AE_IFLNK;
    m.mode = 0777;
    m.symlink = std::move(target);
    return m;
}

inline Member hardlink(std::string path, std::string target)
{
    Member m;
    m.path = std::move(path);
    m.hardlink = std::move(target);
    return m;
}

inline Member fifo(std::string path)
{
    Member m;
    m.path = std::move(path);
    m.type = AE_IFIFO;
    return m;
}

inline Member char_device(std::string path, unsigned major, unsigned minor)
{
    Member m;
    m.path = std::move(path);
    m.type = AE_IFCHR;
    m.mode = 0666;
    m.major = major;
    m.minor = minor;
    return m;
}

enum class Format { Pax, Gnu, Ustar };
enum class Compression { Gzip, Zstd, Bzip2, Xz };

namespace detail {

inline la_ssize_t append(struct archive*, void* out, const void* data, size_t size)
{
    static_cast<std::string*>(out)->append(static_cast<const char*>(data), size);
    return static_cast<la_ssize_t>(size);
}

inline void check(struct archive* a, int r, const char* what)
{
    if (r < ARCHIVE_WARN)
        throw std::runtime_error(std::string(what) + ": " + (archive_error_string(a) ? archive_error_string(a) : "?"));
}

// libarchive's pax writer needs a UTF-8 locale to write non-ASCII names.
struct Utf8Locale {
    locale_t utf8 { ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0)) };
    locale_t previous { ::uselocale(utf8) };
    ~Utf8Locale()
    {
        ::uselocale(previous);
        ::freelocale(utf8);
    }
};

} // namespace detail

// The uncompressed tar, padded to libarchive's 10240-byte records as tar(1) does.
inline std::string build_tar(const std::vector<Member>& members, Format format = Format::Pax)
{
    detail::Utf8Locale locale;
    std::string out;
    struct archive* a = archive_write_new();
    switch (format) {
    case Format::Pax:
        detail::check(a, archive_write_set_format_pax(a), "pax");
        break;
    case Format::Gnu:
        detail::check(a, archive_write_set_format_gnutar(a), "gnutar");
        break;
    case Format::Ustar:
        detail::check(a, archive_write_set_format_ustar(a), "ustar");
        break;
    }
    detail::check(a, archive_write_open(a, &out, nullptr, detail::append, nullptr), "open");
    for (auto const& m : members) {
        struct archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, m.path.c_str());
        archive_entry_set_mode(e, (m.hardlink.empty() ? m.type : AE_IFREG) | m.mode);
        archive_entry_set_uid(e, m.uid);
        archive_entry_set_gid(e, m.gid);
        archive_entry_set_mtime(e, m.mtime, 0);
        if (!m.symlink.empty())
            archive_entry_set_symlink(e, m.symlink.c_str());
        if (!m.hardlink.empty())
            archive_entry_set_hardlink(e, m.hardlink.c_str());
        if (m.type == AE_IFCHR || m.type == AE_IFBLK) {
            archive_entry_set_rdevmajor(e, m.major);
            archive_entry_set_rdevminor(e, m.minor);
        }
        for (auto const& [name, value] : m.xattrs)
            archive_entry_xattr_add_entry(e, name.c_str(), value.data(), value.size());
        bool has_data = m.type == AE_IFREG && m.hardlink.empty();
        archive_entry_set_size(e, has_data ? static_cast<int64_t>(m.data.size()) : 0);
        // After the size: libarchive drops regions that end past it.
        for (auto const& [offset, length] : m.sparse)
            archive_entry_sparse_add_entry(e, offset, length);
        detail::check(a, archive_write_header(a, e), "header");
        if (has_data && !m.data.empty()) {
            la_ssize_t n = archive_write_data(a, m.data.data(), m.data.size());
            if (n < 0)
                detail::check(a, static_cast<int>(n), "data");
        }
        archive_entry_free(e);
    }
    detail::check(a, archive_write_close(a), "close");
    archive_write_free(a);
    return out;
}

// `bytes` compressed as one stream, nothing after it.
inline std::string compress(const std::string& bytes, Compression compression)
{
    std::string out;
    struct archive* a = archive_write_new();
    detail::check(a, archive_write_set_format_raw(a), "raw");
    switch (compression) {
    case Compression::Gzip:
        detail::check(a, archive_write_add_filter_gzip(a), "gzip");
        break;
    case Compression::Zstd:
        detail::check(a, archive_write_add_filter_zstd(a), "zstd");
        break;
    case Compression::Bzip2:
        detail::check(a, archive_write_add_filter_bzip2(a), "bzip2");
        break;
    case Compression::Xz:
        detail::check(a, archive_write_add_filter_xz(a), "xz");
        break;
    }
    detail::check(a, archive_write_set_bytes_in_last_block(a, 1), "block");
    detail::check(a, archive_write_open(a, &out, nullptr, detail::append, nullptr), "open");
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, "data");
    archive_entry_set_mode(e, AE_IFREG | 0644);
    archive_entry_set_size(e, static_cast<int64_t>(bytes.size()));
    detail::check(a, archive_write_header(a, e), "header");
    if (!bytes.empty() && archive_write_data(a, bytes.data(), bytes.size()) < 0)
        detail::check(a, ARCHIVE_FATAL, "data");
    archive_entry_free(e);
    detail::check(a, archive_write_close(a), "close");
    archive_write_free(a);
    return out;
}

// An archive in another format (for the "only tar" tests): "zip" or "cpio".
inline std::string build_other_format(const std::string& format)
{
    std::string out;
    struct archive* a = archive_write_new();
    if (format == "zip")
        detail::check(a, archive_write_set_format_zip(a), "zip");
    else
        detail::check(a, archive_write_set_format_cpio_newc(a), "cpio");
    detail::check(a, archive_write_open(a, &out, nullptr, detail::append, nullptr), "open");
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, "hello");
    archive_entry_set_mode(e, AE_IFREG | 0644);
    archive_entry_set_size(e, 5);
    detail::check(a, archive_write_header(a, e), "header");
    (void)archive_write_data(a, "hello", 5);
    archive_entry_free(e);
    detail::check(a, archive_write_close(a), "close");
    archive_write_free(a);
    return out;
}

// One ustar member written by hand: any name, any link, any type flag ('0' file,
// '1' hard link, '2' symlink, '5' directory), `data` padded to 512 bytes.
inline std::string raw_member(const std::string& name, char type, const std::string& data = {},
    const std::string& link = {}, unsigned mode = 0644)
{
    if (name.size() > 100 || link.size() > 100)
        throw std::runtime_error("raw_member: name or link longer than 100 bytes");
    char header[512] = {};
    std::memcpy(header, name.data(), name.size());
    std::snprintf(header + 100, 8, "%07o", mode);
    std::snprintf(header + 108, 8, "%07o", 0u);
    std::snprintf(header + 116, 8, "%07o", 0u);
    std::snprintf(header + 124, 12, "%011llo", static_cast<unsigned long long>(data.size()));
    std::snprintf(header + 136, 12, "%011o", 1600000000u);
    std::memset(header + 148, ' ', 8);
    header[156] = type;
    std::memcpy(header + 157, link.data(), link.size());
    std::memcpy(header + 257, "ustar", 6);
    std::memcpy(header + 263, "00", 2);
    unsigned sum = 0;
    for (unsigned char c : header)
        sum += c;
    std::snprintf(header + 148, 8, "%06o", sum);
    header[155] = ' ';
    std::string out(header, sizeof header);
    out += data;
    out.append((512 - data.size() % 512) % 512, '\0');
    return out;
}

// The two zero blocks that end a tar archive.
inline std::string end_of_archive()
{
    return std::string(1024, '\0');
}

} // namespace corral::test
