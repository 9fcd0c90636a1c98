#pragma once

// Internal to the layer unpacker: reading a layer stream (plain, gzip, zstd, bzip2
// or xz tar) member by member while hashing both the bytes read and the
// uncompressed tar, in constant memory.
//
// Two libarchive readers are chained: the outer one decompresses the input fd
// (filters only, "raw" format) and hashes what it reads from the fd; the inner one
// parses tar from the outer one's output and hashes what it pulls. Only tar is
// accepted (ustar, pax, GNU, with their sparse forms), so a zip or cpio archive is
// an error rather than a silently different layer.

#include "base/error.h"
#include "image/digest.h"
#include "image/unpack.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

struct archive;
struct archive_entry;

namespace corral::image::unpack_detail {

// Registers on `archive` the decompressions Docker accepts (gzip, zstd,
// bzip2, xz), each built into libarchive. Never libarchive's "all": that adds
// lrzip, lzop and grzip, which it runs as external programs, and a hostile
// layer or image archive must not get to start processes. ENOTSUP when one of
// the four is missing from the library.
ErrorOr<void> support_docker_compressions(struct archive* archive);

class LayerStream {
public:
    // Reads from `input_fd` (not owned). When `tee_fd` is not -1, the uncompressed
    // tar is also written there, every byte that the diffID covers. The stream sets
    // a thread-local locale while it exists (see unpack_stream.cpp): use and destroy
    // it on the thread that opened it.
    static ErrorOr<std::unique_ptr<LayerStream>> open(int input_fd, int tee_fd = -1);
    ~LayerStream();
    LayerStream(const LayerStream&) = delete;
    LayerStream& operator=(const LayerStream&) = delete;

    // The next member's header (owned by the stream, valid until the next call), or
    // nullptr at the end of the archive. Errors are the stream's: a corrupt header,
    // a truncated or undecodable input, a read error.
    ErrorOr<archive_entry*> next();

    // Hands the current member's data to `sink` block by block, with each block's
    // offset in the file (sparse members skip their holes). Stops at the first error
    // the sink returns.
    using Sink = std::function<ErrorOr<void>(int64_t offset, const void* data, size_t size)>;
    ErrorOr<void> read_data(const Sink& sink);
    // Skips the current member's data (it is still read and hashed).
    ErrorOr<void> skip_data();

    // After next() returned nullptr: reads what follows the end of the archive (the
    // rest of the uncompressed tar, then the rest of the input) so that both digests
    // cover everything, and returns them. `files` is left 0.
    ErrorOr<UnpackResult> finish();

private:
    LayerStream(int input_fd, int tee_fd);
    ErrorOr<void> start();
    Error tar_error(const char* what);

    // The bodies of the libarchive read callbacks: a byte count, 0 at the end,
    // ARCHIVE_FATAL on failure (recorded in m_source_error).
    long pull_input(const void** buffer);
    long pull_tar(const void** buffer);

    struct LocaleScope;

    int m_input_fd;
    int m_tee_fd;
    std::unique_ptr<LocaleScope> m_locale;
    struct archive* m_outer { nullptr };
    struct archive* m_tar { nullptr };
    std::unique_ptr<char[]> m_buffer;
    Sha256 m_blob_hash;
    Sha256 m_tar_hash;
    uint64_t m_blob_size { 0 };
    uint64_t m_tar_size { 0 };
    bool m_input_eof { false };
    bool m_outer_eof { false };
    bool m_empty { false }; // the input had no bytes at all
    bool m_at_end { false };
    uint64_t m_members { 0 };
    // The first failure below the tar reader (reading the fd, decompressing, the
    // tee). libarchive only sees "the callback failed"; this says why.
    std::optional<Error> m_source_error;
};

} // namespace corral::image::unpack_detail
