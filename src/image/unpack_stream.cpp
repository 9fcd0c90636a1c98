#include "image/unpack_stream.h"

#include "base/system.h"

#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <clocale>
#include <locale.h>
#include <unistd.h>

namespace corral::image::unpack_detail {

namespace {

constexpr size_t INPUT_BUFFER_SIZE = 128 * 1024;

std::string archive_message(struct archive* archive)
{
    const char* text = archive_error_string(archive);
    return text ? text : "unknown libarchive error";
}

} // namespace

ErrorOr<void> support_docker_compressions(struct archive* archive)
{
    struct Filter {
        const char* name;
        int (*enable)(struct archive*);
    };
    static constexpr Filter FILTERS[] = {
        { "gzip", archive_read_support_filter_gzip },
        { "zstd", archive_read_support_filter_zstd },
        { "bzip2", archive_read_support_filter_bzip2 },
        { "xz", archive_read_support_filter_xz },
    };
    // ARCHIVE_WARN would mean "through an external program": refused too.
    for (auto const& filter : FILTERS) {
        if (filter.enable(archive) != ARCHIVE_OK)
            return Error::from_string(std::string("libarchive lacks built-in ") + filter.name + " support", ENOTSUP);
    }
    return {};
}

// libarchive converts pax member names (UTF-8 by the standard) to the current
// locale's character set, and in the "C" locale that fails for every non-ASCII
// name. A thread-local C.UTF-8 locale while the stream exists makes the conversion
// an identity, whatever locale the program runs in; ustar and GNU names are raw
// bytes either way. uselocale() is per thread, so other threads are unaffected.
struct LayerStream::LocaleScope {
    locale_t utf8 { ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0)) };
    locale_t previous { utf8 ? ::uselocale(utf8) : static_cast<locale_t>(0) };
    ~LocaleScope()
    {
        if (utf8) {
            ::uselocale(previous);
            ::freelocale(utf8);
        }
    }
};

LayerStream::LayerStream(int input_fd, int tee_fd)
    : m_input_fd(input_fd)
    , m_tee_fd(tee_fd)
    , m_locale(std::make_unique<LocaleScope>())
    , m_buffer(std::make_unique<char[]>(INPUT_BUFFER_SIZE))
{
}

LayerStream::~LayerStream()
{
    // The tar reader pulls from the outer one, so it goes first.
    if (m_tar)
        archive_read_free(m_tar);
    if (m_outer)
        archive_read_free(m_outer);
}

ErrorOr<std::unique_ptr<LayerStream>> LayerStream::open(int input_fd, int tee_fd)
{
    std::unique_ptr<LayerStream> stream(new LayerStream(input_fd, tee_fd));
    TRY(stream->start());
    return stream;
}

ErrorOr<void> LayerStream::start()
{
    m_outer = archive_read_new();
    m_tar = archive_read_new();
    if (!m_outer || !m_tar)
        return Error::from_errno(ENOMEM, "archive_read_new");

    TRY(support_docker_compressions(m_outer));
    if (archive_read_support_format_raw(m_outer) != ARCHIVE_OK)
        return Error::from_string("libarchive: " + archive_message(m_outer), ENOTSUP);

    auto input_callback = [](struct archive*, void* self, const void** buffer) -> la_ssize_t {
        return static_cast<LayerStream*>(self)->pull_input(buffer);
    };
    // archive_read_open() already picks the filters and the format, so it reads.
    struct archive_entry* raw_entry = nullptr;
    if (archive_read_open(m_outer, this, nullptr, input_callback, nullptr) != ARCHIVE_OK
        || archive_read_next_header(m_outer, &raw_entry) != ARCHIVE_OK) {
        if (m_source_error)
            return *m_source_error;
        // The raw format takes any input of at least one byte; an empty input is
        // an empty layer (as Go's archive/tar, which Docker uses, reads it).
        if (m_input_eof && m_blob_size == 0) {
            m_empty = true;
            return {};
        }
        return Error::from_string("decompressing the layer: " + archive_message(m_outer));
    }

    // ustar, pax, GNU (sparse included) and v7 tar; nothing else. "empty" makes a
    // compressed empty stream an empty layer too.
    if (archive_read_support_format_tar(m_tar) != ARCHIVE_OK || archive_read_support_format_empty(m_tar) != ARCHIVE_OK)
        return Error::from_string("libarchive: " + archive_message(m_tar), ENOTSUP);
    auto tar_callback = [](struct archive*, void* self, const void** buffer) -> la_ssize_t {
        return static_cast<LayerStream*>(self)->pull_tar(buffer);
    };
    if (archive_read_open(m_tar, this, nullptr, tar_callback, nullptr) != ARCHIVE_OK)
        return tar_error("reading the layer");
    return {};
}

long LayerStream::pull_input(const void** buffer)
{
    if (m_input_eof)
        return 0;
    for (;;) {
        ssize_t n = ::read(m_input_fd, m_buffer.get(), INPUT_BUFFER_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (!m_source_error)
                m_source_error = std::move(Error::from_syscall("read").context("reading the layer"));
            return ARCHIVE_FATAL;
        }
        if (n == 0)
            m_input_eof = true;
        m_blob_hash.update(m_buffer.get(), static_cast<size_t>(n));
        m_blob_size += static_cast<uint64_t>(n);
        *buffer = m_buffer.get();
        return n;
    }
}

long LayerStream::pull_tar(const void** buffer)
{
    while (!m_outer_eof) {
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        int r = archive_read_data_block(m_outer, &block, &size, &offset);
        if (r == ARCHIVE_EOF) {
            m_outer_eof = true;
            break;
        }
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            if (!m_source_error)
                m_source_error = Error::from_string("decompressing the layer: " + archive_message(m_outer));
            return ARCHIVE_FATAL;
        }
        if (size == 0)
            continue;
        m_tar_hash.update(block, size);
        m_tar_size += size;
        if (m_tee_fd >= 0) {
            auto written = sys::write_all(m_tee_fd, { static_cast<const char*>(block), size });
            if (written.is_error()) {
                if (!m_source_error)
                    m_source_error = std::move(written.release_error().context("writing the uncompressed layer"));
                return ARCHIVE_FATAL;
            }
        }
        *buffer = block;
        return static_cast<long>(size);
    }
    return 0;
}

Error LayerStream::tar_error(const char* what)
{
    if (m_source_error)
        return *m_source_error;
    std::string message = archive_message(m_tar);
    // No format took the input: it is not tar (libarchive says "Unrecognized
    // archive format").
    if (m_members == 0 && archive_format(m_tar) == 0)
        message = "not a tar archive (" + message + ")";
    return Error::from_string(std::string(what) + ": " + message);
}

ErrorOr<archive_entry*> LayerStream::next()
{
    if (m_empty || m_at_end) {
        m_at_end = true;
        return nullptr;
    }
    struct archive_entry* entry = nullptr;
    int r = archive_read_next_header(m_tar, &entry);
    if (r == ARCHIVE_EOF) {
        m_at_end = true;
        return nullptr;
    }
    // ARCHIVE_WARN: a header libarchive could read with a remark (a name it could
    // not convert, an unknown pax keyword); the member itself is usable.
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
        return tar_error("reading a member header");
    ++m_members;
    return entry;
}

ErrorOr<void> LayerStream::read_data(const Sink& sink)
{
    for (;;) {
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        int r = archive_read_data_block(m_tar, &block, &size, &offset);
        if (r == ARCHIVE_EOF)
            return {};
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return tar_error("reading its data");
        if (offset < 0)
            return Error::from_string("negative data offset");
        if (size > 0)
            TRY(sink(offset, block, size));
    }
}

ErrorOr<void> LayerStream::skip_data()
{
    if (archive_read_data_skip(m_tar) != ARCHIVE_OK)
        return tar_error("reading its data");
    return {};
}

ErrorOr<UnpackResult> LayerStream::finish()
{
    if (!m_at_end)
        return Error::from_string("LayerStream::finish before the end of the archive");
    const void* ignored = nullptr;
    // What follows the end-of-archive blocks is part of the tar blob that the diffID
    // names (at least the padding of the last record); then whatever follows the
    // compressed stream is part of the blob.
    if (!m_empty) {
        for (;;) {
            long n = pull_tar(&ignored);
            if (n < 0)
                return *m_source_error;
            if (n == 0)
                break;
        }
    }
    while (!m_input_eof) {
        if (pull_input(&ignored) < 0)
            return *m_source_error;
    }
    UnpackResult result;
    result.blob_digest = m_blob_hash.digest();
    result.diff_id = m_tar_hash.digest();
    result.blob_size = m_blob_size;
    result.tar_size = m_tar_size;
    return result;
}

} // namespace corral::image::unpack_detail
