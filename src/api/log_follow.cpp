#include "api/log_follow.h"

#include "base/system.h"
#include "base/time.h"

#include <algorithm>
#include <cerrno>
#include <deque>
#include <fcntl.h>
#include <limits>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

namespace corral::api {

namespace {

// As in runtime/json_log.cpp: no entry our writer produces comes near this, so a
// longer line is corrupt and is skipped instead of being held in memory.
constexpr size_t MAX_LOG_LINE = 1024 * 1024;
constexpr size_t READ_CHUNK = 64 * 1024;
// A poll reads at most this much of the file being written, so that a container
// that logs faster than the client reads cannot make one poll unbounded; the rest
// waits for the next poll. Complete rotated files are read whole (each is at most
// max-size, plus one entry).
constexpr int64_t MAX_POLL_BYTES = 4 * 1024 * 1024;
constexpr int64_t UNLIMITED = std::numeric_limits<int64_t>::max();
// A rotation takes the writer a few renames; opening the file set again this many
// times only fails if the log rotates continuously.
constexpr int MAX_OPEN_ATTEMPTS = 16;
// With max_file 1, the last bytes read (the end of the last entry, its time
// included) are kept to notice that the file was truncated and rewritten.
constexpr int64_t FINGERPRINT_SIZE = 64;

bool before(const struct timespec& a, const struct timespec& b)
{
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}


std::string file_name(const std::string& path, int n)
{
    return n == 0 ? path : path + "." + std::to_string(n);
}

struct ReadResult {
    bool at_end { false }; // reached the end of the file (not stopped by the limit or the sink)
};

// Reads the complete lines of `fd` from `offset` and hands each to `on_line`,
// which returns false to stop. Advances `offset` past every line handed over (and
// past the bytes of an overlong line being skipped, tracked in `discarding`); a
// final line without newline is not consumed. Stops at the end of the file, once
// `limit` bytes have been read, or when `on_line` asks.
template<typename OnLine>
ErrorOr<ReadResult> read_lines(
    int fd, const std::string& name, int64_t& offset, bool& discarding, int64_t limit, OnLine&& on_line)
{
    std::string pending; // the line that starts at `offset`, so far
    std::string chunk(READ_CHUNK, '\0');
    int64_t position = offset;
    int64_t read_total = 0;
    while (read_total < limit) {
        ssize_t n = ::pread(fd, chunk.data(), chunk.size(), position);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_syscall("read '" + name + "'");
        }
        if (n == 0)
            return ReadResult { true };
        position += n;
        read_total += n;
        std::string_view data(chunk.data(), static_cast<size_t>(n));
        while (!data.empty()) {
            size_t newline = data.find('\n');
            if (newline == std::string_view::npos) {
                if (!discarding)
                    pending.append(data);
                if (discarding || pending.size() > MAX_LOG_LINE) {
                    pending.clear();
                    discarding = true;
                    offset = position;
                }
                break;
            }
            bool keep_going = true;
            if (!discarding) {
                pending.append(data.substr(0, newline));
                if (pending.size() <= MAX_LOG_LINE)
                    keep_going = on_line(std::string_view(pending));
            }
            pending.clear();
            discarding = false;
            data.remove_prefix(newline + 1);
            offset = position - static_cast<int64_t>(data.size());
            if (!keep_going)
                return ReadResult { false };
        }
    }
    return ReadResult { false };
}

} // namespace

class LogFollower::Sink {
public:
    Sink(const runtime::ReadOptions& options, int64_t tail)
        : m_options(options)
        , m_tail(tail)
    {
    }

    // Returns false once an entry later than `until` was seen: following ends
    // there, as in dockerd, which stops at the first such entry.
    bool add_line(std::string_view line)
    {
        if (m_tail == 0)
            return true;
        auto entry = runtime::parse_json_log_line(line);
        if (!entry)
            return true;
        if (m_options.until && before(*m_options.until, entry->time)) {
            m_stopped = true;
            return false;
        }
        if (m_options.since && before(entry->time, *m_options.since))
            return true;
        if (entry->stream == "stdout" ? !m_options.show_stdout
                                      : (entry->stream == "stderr" ? !m_options.show_stderr : true))
            return true;
        m_entries.push_back(std::move(*entry));
        if (m_tail > 0 && m_entries.size() > static_cast<size_t>(m_tail))
            m_entries.pop_front();
        return true;
    }

    bool stopped() const { return m_stopped; }
    // False with tail 0: files need not be read for their entries.
    bool wants_entries() const { return m_tail != 0; }

    std::vector<runtime::LogEntry> take()
    {
        return std::vector<runtime::LogEntry>(
            std::make_move_iterator(m_entries.begin()), std::make_move_iterator(m_entries.end()));
    }

private:
    const runtime::ReadOptions& m_options;
    int64_t m_tail;
    bool m_stopped { false };
    std::deque<runtime::LogEntry> m_entries;
};

ErrorOr<std::optional<LogFollower::FileId>> LogFollower::stat_id(const std::string& name)
{
    auto st = sys::stat(name);
    if (st.is_error()) {
        if (st.error().code() != ENOENT)
            return st.release_error();
        return std::optional<LogFollower::FileId> {};
    }
    return std::optional<LogFollower::FileId> { LogFollower::FileId { st->st_dev, st->st_ino } };
}

LogFollower::LogFollower(std::string path, int max_file, runtime::ReadOptions options)
    : m_path(std::move(path))
    , m_max_file(max_file)
    , m_options(options)
{
}

ErrorOr<LogFollower> LogFollower::open(std::string path, int max_file, runtime::ReadOptions options)
{
    if (max_file < 1)
        return Error::from_string("max-file cannot be less than 1");
    return LogFollower(std::move(path), max_file, options);
}

// Names are path (n = 0), path.1 … path.<max_file-1>, newest to oldest at any
// instant; a rotation shifts every file one name up, the oldest off the end, and
// may be seen half done (a name missing in between). So the file after `after`
// is the nearest existing name below the one `after` has now; if `after` is none
// or gone (rotation deleted it, and every older file before it), it is the oldest
// file there is. The names between the one opened and `after`'s are stat-ed again
// afterwards: if any changed, a rotation raced with the look-up and it is done
// again. Only one file is opened at a time, so a large max-file costs stat calls,
// not descriptors.
ErrorOr<std::optional<LogFollower::OpenFile>> LogFollower::open_next(std::optional<FileId> after) const
{
    for (int attempt = 0; attempt < MAX_OPEN_ATTEMPTS; ++attempt) {
        std::vector<std::optional<FileId>> ids;
        int after_at = -1;
        for (int n = 0; n < m_max_file; ++n) {
            ids.push_back(TRY(stat_id(file_name(m_path, n))));
            if (after && ids.back() == after) {
                after_at = n;
                break;
            }
        }
        int above = after_at >= 0 ? after_at : m_max_file; // candidates are below this name
        int next = above - 1;
        while (next >= 0 && !ids[static_cast<size_t>(next)])
            --next;
        if (next < 0)
            return std::optional<OpenFile> {};
        std::string name = file_name(m_path, next);
        auto fd = sys::open(name, O_RDONLY | O_CLOEXEC);
        if (fd.is_error()) {
            if (fd.error().code() != ENOENT)
                return fd.release_error();
            continue;
        }
        auto st = TRY_CONTEXT(sys::fstat(fd->get()), "following log '" + name + "'");
        FileId id { st.st_dev, st.st_ino };
        bool unchanged = ids[static_cast<size_t>(next)] == id;
        for (int n = next; unchanged && n <= std::min(above, m_max_file - 1); ++n)
            unchanged = TRY(stat_id(file_name(m_path, n))) == ids[static_cast<size_t>(n)];
        if (unchanged)
            return std::optional<OpenFile> { OpenFile { std::move(name), fd.release_value(), id, next == 0 } };
    }
    return Error::from_string("log files of '" + m_path + "' kept rotating while being opened", EAGAIN);
}

ErrorOr<void> LogFollower::read_newer_files(Sink& sink, Phase phase)
{
    while (!sink.stopped()) {
        auto next = TRY(open_next(m_newest));
        if (!next)
            return {};
        m_newest = next->id;
        if (!next->live) {
            // A rotated file is complete: read it whole. A final line without
            // newline would be corrupt.
            if (sink.wants_entries()) {
                int64_t offset = 0;
                bool discarding = false;
                TRY(read_lines(next->fd.get(), next->name, offset, discarding, UNLIMITED,
                    [&](std::string_view line) { return sink.add_line(line); }));
            }
            m_newest_held = std::move(next->fd);
            continue;
        }
        m_newest_held.reset(); // m_current holds it now
        m_current = std::move(*next);
        m_offset = 0;
        m_discarding = false;
        int64_t limit = MAX_POLL_BYTES;
        if (phase == Phase::Initial) {
            // Up to the size it has now: what is appended while we read is for
            // poll(), so that a busy writer cannot keep initial() going.
            auto st = TRY_CONTEXT(sys::fstat(m_current->fd.get()), "following log '" + m_current->name + "'");
            limit = st.st_size;
        }
        TRY(read_lines(m_current->fd.get(), m_current->name, m_offset, m_discarding, limit,
            [&](std::string_view line) { return sink.add_line(line); }));
        return {};
    }
    return {};
}

ErrorOr<std::vector<runtime::LogEntry>> LogFollower::finish(Sink& sink)
{
    if (sink.stopped()) {
        m_done = true;
        m_current.reset();
    }
    TRY(remember_position());
    return sink.take();
}

ErrorOr<std::vector<runtime::LogEntry>> LogFollower::initial()
{
    if (m_started)
        return Error::from_string("LogFollower::initial() called twice");
    m_started = true;
    Sink sink(m_options, m_options.tail);
    TRY(read_newer_files(sink, Phase::Initial));
    return finish(sink);
}

ErrorOr<std::string> LogFollower::read_before_offset(size_t count) const
{
    std::string bytes(count, '\0');
    size_t done = 0;
    while (done < count) {
        ssize_t n = ::pread(m_current->fd.get(), bytes.data() + done, count - done,
            m_offset - static_cast<int64_t>(count) + static_cast<int64_t>(done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error::from_syscall("read '" + m_current->name + "'");
        if (n == 0)
            break;
        done += static_cast<size_t>(n);
    }
    bytes.resize(done);
    return bytes;
}

ErrorOr<void> LogFollower::remember_position()
{
    if (m_max_file != 1 || !m_current)
        return {};
    m_fingerprint = TRY(read_before_offset(static_cast<size_t>(std::min<int64_t>(m_offset, FINGERPRINT_SIZE))));
    return {};
}

ErrorOr<void> LogFollower::check_truncated()
{
    auto st = TRY_CONTEXT(sys::fstat(m_current->fd.get()), "following log '" + m_current->name + "'");
    // The file may also have been truncated and grown past m_offset again since
    // the last poll: then the bytes before m_offset are others than those read
    // (each entry has its own time, so the end of the last one differs).
    bool truncated = st.st_size < m_offset
        || (!m_fingerprint.empty() && TRY(read_before_offset(m_fingerprint.size())) != m_fingerprint);
    if (truncated) {
        m_offset = 0;
        m_discarding = false;
        m_fingerprint.clear();
    }
    return {};
}

ErrorOr<std::vector<runtime::LogEntry>> LogFollower::poll()
{
    if (!m_started)
        return Error::from_string("LogFollower::poll() called before initial()");
    if (m_done)
        return std::vector<runtime::LogEntry> {};
    Sink sink(m_options, -1);

    // Whether `path` is another file must be known before the current file is
    // read: the writer renames a file only after its last write to it, so a file
    // seen replaced here is complete and can be read to its end.
    bool replaced = false;
    auto path_id = TRY(stat_id(m_path));
    // No `path`: not created yet, or in the middle of a rotation.
    if (path_id)
        replaced = !m_current || *path_id != m_current->id;

    if (m_current) {
        if (m_max_file == 1)
            TRY(check_truncated());
        auto result = TRY(read_lines(m_current->fd.get(), m_current->name, m_offset, m_discarding,
            replaced ? UNLIMITED : MAX_POLL_BYTES, [&](std::string_view line) { return sink.add_line(line); }));
        if (sink.stopped() || !result.at_end)
            return finish(sink);
    }
    if (replaced) {
        // The followed file is complete and read; the files after it come next.
        if (m_current) {
            m_newest_held = std::move(m_current->fd);
            m_current.reset();
        }
        TRY(read_newer_files(sink, Phase::Poll));
    }
    return finish(sink);
}

} // namespace corral::api
