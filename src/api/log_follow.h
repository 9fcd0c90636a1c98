#pragma once

// `docker logs --follow` over the json-file logs a container's supervisor writes
// (runtime/json_log.h): the entries already written, then those appended later,
// across rotations, each exactly once.
//
// The follower identifies files by device and inode, never by name, and keeps the
// file it follows open: when the writer renames `path` to `path.1` and creates a
// new `path`, the old file is read to its end through the open descriptor before
// the new one is read from its start. If several rotations happen between two
// polls, the files rotated in between are read in order; a file that rotation
// deleted before it could be read is lost (the writer dropped it), but no entry is
// ever returned twice.

#include "base/error.h"
#include "base/fd.h"
#include "runtime/json_log.h"

#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace corral::api {

class LogFollower {
public:
    // Prepares to follow `path` with up to `max_file` files (`path`, `path.1` …
    // `path.<max_file-1>`, any of which may be missing); nothing is read yet.
    // `options` are those of runtime::read_json_logs; `tail` limits initial() only,
    // the stream and time filters apply to every entry.
    // Errors: EINVAL for max_file < 1.
    static ErrorOr<LogFollower> open(std::string path, int max_file, runtime::ReadOptions options);

    LogFollower(LogFollower&&) noexcept = default;
    LogFollower& operator=(LogFollower&&) noexcept = default;
    LogFollower(const LogFollower&) = delete;
    LogFollower& operator=(const LogFollower&) = delete;

    // The entries in the files now, oldest first, filtered and tailed as
    // read_json_logs would return them; files rotated while they are read are
    // followed by identity, as in poll(). Remembers where the current file
    // ends (after its last complete line) for poll(). Holds every matching entry
    // in memory when there is no tail, as read_json_logs does.
    // Call it once, before any poll(); a second call fails with EINVAL.
    // Errors: a file that exists but cannot be opened or read, naming it; EAGAIN
    // if the files kept rotating while the next one was looked up.
    ErrorOr<std::vector<runtime::LogEntry>> initial();

    // The entries completed since the previous initial() or poll(): the rest of
    // the current file, then, if `path` is now another file, the files rotated
    // since and the new current file. A final line without its newline is left for
    // a later poll. Never blocks; call it periodically (the API does every
    // ~100 ms) until the container has stopped and a poll returns nothing.
    // An entry later than `until` ends the following: it and everything after it
    // are dropped, done() becomes true and later polls return nothing.
    // With max_file 1 the writer truncates the file instead of rotating it; a
    // truncation is noticed (the file got shorter, or the last bytes read are no
    // longer those before the remembered offset) and reading restarts at 0; what
    // was written between the last poll and the truncation is lost, as in dockerd.
    // Errors: EINVAL before initial(); as initial().
    ErrorOr<std::vector<runtime::LogEntry>> poll();

    // True once an entry past `until` has been seen: there is nothing more to send.
    bool done() const { return m_done; }

    // A file's identity; public for the implementation's helpers.
    struct FileId {
        dev_t dev { 0 };
        ino_t ino { 0 };
        bool operator==(const FileId&) const = default;
    };

private:
    struct OpenFile {
        std::string name; // as opened; it may have been renamed since
        Fd fd;
        FileId id;
        bool live { false }; // opened as `path`, still being written; others are complete
    };
    enum class Phase {
        Initial,
        Poll,
    };
    // Collects the entries read in one call, applying the filters.
    class Sink;

    LogFollower(std::string path, int max_file, runtime::ReadOptions options);

    static ErrorOr<std::optional<FileId>> stat_id(const std::string& name);
    ErrorOr<std::optional<OpenFile>> open_next(std::optional<FileId> after) const;
    ErrorOr<void> read_newer_files(Sink& sink, Phase phase);
    ErrorOr<std::vector<runtime::LogEntry>> finish(Sink& sink);
    ErrorOr<void> check_truncated();
    ErrorOr<void> remember_position();
    ErrorOr<std::string> read_before_offset(size_t count) const;

    std::string m_path;
    int m_max_file { 1 };
    runtime::ReadOptions m_options;
    bool m_started { false };
    bool m_done { false };

    std::optional<OpenFile> m_current; // the file being followed
    int64_t m_offset { 0 }; // in m_current, just after the last complete line read
    bool m_discarding { false }; // m_offset is inside an overlong line being skipped
    std::string m_fingerprint; // with max_file 1: the bytes just before m_offset
    std::optional<FileId> m_newest; // the newest file read so far (m_current or a rotated one)
    // The newest file while it is not m_current, kept open so that its inode
    // number cannot be reused by a file created later: identity is dev + inode.
    Fd m_newest_held;
};

} // namespace corral::api
