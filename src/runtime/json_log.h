#pragma once

// Docker's json-file log format: the files a container's supervisor writes its
// stdout and stderr to, and the reader that serves `docker logs` from them.
//
// Each line of a log file is one JSON object, byte for byte as dockerd writes it:
//   {"log":"hello\n","stream":"stdout","time":"2024-01-02T03:04:05.123456789Z"}
// The current file is `path`; rotated files are `path.1` (newest) … `path.<max_file-1>`.

#include "base/error.h"
#include "base/fd.h"

#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::runtime {

struct LogOptions {
    int64_t max_size = -1; // bytes per file; -1 is unlimited
    int max_file = 1; // files kept, the current one included
};

// Parses the json-file `--log-opt`s: `max-size` ("100", "512k", "10m", "1g", as
// Docker's units.RAMInBytes: binary multiples, case-insensitive, an optional "b"
// or "ib" suffix) and `max-file` (an integer ≥ 1). max-file > 1 without max-size is
// refused. Any other key is refused by name. Errors are EINVAL.
ErrorOr<LogOptions> parse_log_options(const std::map<std::string, std::string>& opts);

// Formats one log line exactly as dockerd's json-file driver does, newline included.
// `time` is rendered in UTC as Go's RFC3339Nano (trailing zeros of the fraction
// dropped). Exposed for tests and for callers that batch.
std::string format_json_log_line(std::string_view stream, std::string_view log, const struct timespec& time);

// Appends log lines to one container's log file, rotating it by size. Move-only;
// owns the open file. Not thread-safe: one writer per file.
class JsonLogWriter {
public:
    // Opens (creating, mode 0640) `path` for appending. Its current size counts
    // towards max_size.
    static ErrorOr<JsonLogWriter> open(const std::string& path, LogOptions options);

    JsonLogWriter(JsonLogWriter&&) noexcept = default;
    JsonLogWriter& operator=(JsonLogWriter&&) noexcept = default;
    JsonLogWriter(const JsonLogWriter&) = delete;
    JsonLogWriter& operator=(const JsonLogWriter&) = delete;

    // Writes one entry with a single write(2). `stream` is "stdout" or "stderr";
    // `line` is the bytes read from the container, with its newline or (for a
    // partial line) without. If the file is not empty and the entry would take it
    // past max_size, the files are rotated first (or, with max_file 1, the file is
    // truncated). A single entry larger than max_size still goes into a file alone.
    ErrorOr<void> write(std::string_view stream, std::string_view line, struct timespec time);

    const std::string& path() const { return m_path; }
    int64_t current_size() const { return m_size; }

private:
    JsonLogWriter(std::string path, LogOptions options, Fd fd, int64_t size)
        : m_path(std::move(path))
        , m_options(options)
        , m_fd(std::move(fd))
        , m_size(size)
    {
    }

    ErrorOr<void> rotate();

    std::string m_path;
    LogOptions m_options;
    Fd m_fd;
    int64_t m_size { 0 };
};

struct LogEntry {
    std::string stream;
    std::string log;
    struct timespec time { };
};

// One line of a json-file log (without its newline) as an entry; nothing for
// a line that is not a valid one (the readers skip those).
std::optional<LogEntry> parse_json_log_line(std::string_view line);

struct ReadOptions {
    // Named show_* because `stdout` and `stderr` are macros in <cstdio>.
    bool show_stdout = true;
    bool show_stderr = true;
    std::optional<struct timespec> since {}; // entries at or after this time
    std::optional<struct timespec> until {}; // entries at or before this time
    int64_t tail = -1; // the last N matching entries; -1 is all
};

// Reads `path.<max_file-1>` … `path.1`, `path` (oldest first; missing files are
// skipped), keeping the entries that pass the stream and time filters, then the
// last `tail` of them. A final line without newline (being written) is ignored; a
// line that is not a valid entry is skipped. With tail ≥ 0 at most `tail` entries
// are held at any time; without it the result holds every matching entry.
// Errors: a file that exists but cannot be read.
ErrorOr<std::vector<LogEntry>> read_json_logs(const std::string& path, int max_file, const ReadOptions& options);

} // namespace corral::runtime
