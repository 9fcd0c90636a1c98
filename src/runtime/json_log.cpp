#include "runtime/json_log.h"

#include "base/json_string.h"
#include "base/system.h"
#include "base/time.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace corral::runtime {

namespace {

// A line longer than this cannot have come from our writer (dockerd and our
// supervisor split container output at 16 KiB, at most 6 bytes each once
// escaped), so it is treated as corrupt instead of being held in memory.
constexpr size_t MAX_LOG_LINE = 1024 * 1024;
constexpr size_t READ_CHUNK = 64 * 1024;

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Docker's units.RAMInBytes: `^(\d+(\.\d+)?) ?([kmgtp])?i?b?$` case-insensitive,
// binary multiples, the product truncated to an integer.
ErrorOr<int64_t> parse_ram_in_bytes(const std::string& text)
{
    auto invalid = [&] { return Error::from_string("invalid size: '" + text + "'"); };
    size_t i = 0;
    while (i < text.size() && is_digit(text[i]))
        ++i;
    if (i == 0)
        return invalid();
    if (i < text.size() && text[i] == '.') {
        size_t start = ++i;
        while (i < text.size() && is_digit(text[i]))
            ++i;
        if (i == start)
            return invalid();
    }
    std::string number = text.substr(0, i);
    if (i < text.size() && text[i] == ' ')
        ++i;
    double multiplier = 1;
    if (i < text.size()) {
        switch (lower(text[i])) {
        case 'k':
            multiplier = 1024.0;
            ++i;
            break;
        case 'm':
            multiplier = 1024.0 * 1024;
            ++i;
            break;
        case 'g':
            multiplier = 1024.0 * 1024 * 1024;
            ++i;
            break;
        case 't':
            multiplier = 1024.0 * 1024 * 1024 * 1024;
            ++i;
            break;
        case 'p':
            multiplier = 1024.0 * 1024 * 1024 * 1024 * 1024;
            ++i;
            break;
        default:
            break;
        }
    }
    if (i < text.size() && lower(text[i]) == 'i')
        ++i;
    if (i < text.size() && lower(text[i]) == 'b')
        ++i;
    if (i != text.size())
        return invalid();
    double value = std::strtod(number.c_str(), nullptr) * multiplier;
    if (value >= 9.2e18)
        return invalid();
    return static_cast<int64_t>(value);
}

ErrorOr<int> parse_max_file(const std::string& text)
{
    auto invalid = [&] { return Error::from_string("invalid max-file '" + text + "': not an integer"); };
    size_t i = (!text.empty() && (text[0] == '+' || text[0] == '-')) ? 1 : 0;
    if (i == text.size() || text.size() - i > 9)
        return invalid();
    for (size_t j = i; j < text.size(); ++j) {
        if (!is_digit(text[j]))
            return invalid();
    }
    return std::atoi(text.c_str());
}

bool before(const struct timespec& a, const struct timespec& b)
{
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}


std::string rotated_name(const std::string& path, int n)
{
    return path + "." + std::to_string(n);
}

class EntryCollector {
public:
    explicit EntryCollector(const ReadOptions& options)
        : m_options(options)
    {
    }

    void add_line(std::string_view line)
    {
        if (m_options.tail == 0)
            return;
        auto entry = parse_json_log_line(line);
        if (!entry)
            return;
        if (entry->stream == "stdout" ? !m_options.show_stdout
                                      : (entry->stream == "stderr" ? !m_options.show_stderr : true))
            return;
        if (m_options.since && before(entry->time, *m_options.since))
            return;
        if (m_options.until && before(*m_options.until, entry->time))
            return;
        m_entries.push_back(std::move(*entry));
        if (m_options.tail > 0 && m_entries.size() > static_cast<size_t>(m_options.tail))
            m_entries.pop_front();
    }

    std::vector<LogEntry> take()
    {
        return std::vector<LogEntry>(
            std::make_move_iterator(m_entries.begin()), std::make_move_iterator(m_entries.end()));
    }

private:
    const ReadOptions& m_options;
    std::deque<LogEntry> m_entries;
};

// Feeds every complete line of `path` to `collector`, reading in chunks so that
// an unlimited log file is never held whole. A missing file is not an error.
ErrorOr<void> read_one_file(const std::string& path, EntryCollector& collector)
{
    auto fd_or_error = sys::open(path, O_RDONLY | O_CLOEXEC);
    if (fd_or_error.is_error()) {
        if (fd_or_error.error().code() == ENOENT)
            return {};
        return fd_or_error.release_error();
    }
    Fd fd = fd_or_error.release_value();
    std::string pending;
    bool discarding = false; // inside a line longer than MAX_LOG_LINE
    std::string chunk(READ_CHUNK, '\0');
    for (;;) {
        ssize_t n = ::read(fd.get(), chunk.data(), chunk.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_syscall("read '" + path + "'");
        }
        if (n == 0)
            break;
        std::string_view data(chunk.data(), static_cast<size_t>(n));
        while (!data.empty()) {
            size_t newline = data.find('\n');
            if (newline == std::string_view::npos) {
                if (!discarding)
                    pending.append(data);
                if (pending.size() > MAX_LOG_LINE) {
                    pending.clear();
                    discarding = true;
                }
                break;
            }
            if (!discarding) {
                pending.append(data.substr(0, newline));
                if (pending.size() <= MAX_LOG_LINE)
                    collector.add_line(pending);
            }
            pending.clear();
            discarding = false;
            data.remove_prefix(newline + 1);
        }
    }
    // Whatever is left has no newline yet: a write in progress, ignored.
    return {};
}

} // namespace

std::optional<LogEntry> parse_json_log_line(std::string_view line)
{
    try {
        auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!json.is_object())
            return std::nullopt;
        LogEntry entry;
        // dockerd omits "log" when it is empty.
        if (auto it = json.find("log"); it != json.end()) {
            if (!it->is_string())
                return std::nullopt;
            entry.log = it->get<std::string>();
        }
        auto stream = json.find("stream");
        auto time = json.find("time");
        if (stream == json.end() || !stream->is_string() || time == json.end() || !time->is_string())
            return std::nullopt;
        entry.stream = stream->get<std::string>();
        auto parsed = parse_rfc3339(time->get_ref<const std::string&>());
        if (!parsed)
            return std::nullopt;
        entry.time = *parsed;
        return entry;
    } catch (const std::exception&) {
        // A corrupt line is skipped, never fatal (see read_json_logs).
        return std::nullopt;
    }
}

ErrorOr<LogOptions> parse_log_options(const std::map<std::string, std::string>& opts)
{
    LogOptions options;
    bool max_file_set = false;
    for (const auto& [key, value] : opts) {
        if (key == "max-size") {
            options.max_size = TRY(parse_ram_in_bytes(value));
            if (options.max_size <= 0)
                return Error::from_string("max-size must be a positive number");
        } else if (key == "max-file") {
            options.max_file = TRY(parse_max_file(value));
            if (options.max_file < 1)
                return Error::from_string("max-file cannot be less than 1");
            max_file_set = true;
        } else {
            return Error::from_string("unknown log opt '" + key + "' for json-file log driver");
        }
    }
    if (max_file_set && options.max_file > 1 && options.max_size == -1)
        return Error::from_string("max-file cannot be set without max-size");
    return options;
}

std::string format_json_log_line(std::string_view stream, std::string_view log, const struct timespec& time)
{
    std::string out;
    out.reserve(log.size() + 80);
    out += '{';
    bool first = true;
    if (!log.empty()) {
        out += "\"log\":";
        append_go_json_string(out, log, GoJsonTab::Unicode);
        first = false;
    }
    if (!stream.empty()) {
        if (!first)
            out += ',';
        out += "\"stream\":";
        append_go_json_string(out, stream, GoJsonTab::Unicode);
        first = false;
    }
    if (!first)
        out += ',';
    out += "\"time\":\"";
    out += format_rfc3339_nano(time);
    out += "\"}\n";
    return out;
}

ErrorOr<JsonLogWriter> JsonLogWriter::open(const std::string& path, LogOptions options)
{
    Fd fd = TRY(sys::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    struct stat st = TRY_CONTEXT(sys::fstat(fd.get()), "opening log '" + path + "'");
    return JsonLogWriter(path, options, std::move(fd), st.st_size);
}

ErrorOr<void> JsonLogWriter::write(std::string_view stream, std::string_view line, struct timespec time)
{
    std::string entry = format_json_log_line(stream, line, time);
    auto size = static_cast<int64_t>(entry.size());
    if (m_options.max_size > 0 && m_size > 0 && m_size + size > m_options.max_size)
        TRY(rotate());
    // O_APPEND makes this one write(2) land whole at the end; write_all only loops
    // on the short write a full disk can cause.
    TRY_CONTEXT(sys::write_all(m_fd.get(), entry), "writing log '" + m_path + "'");
    m_size += size;
    return {};
}

ErrorOr<void> JsonLogWriter::rotate()
{
    if (m_options.max_file <= 1) {
        if (::ftruncate(m_fd.get(), 0) < 0)
            return Error::from_syscall("ftruncate '" + m_path + "'");
        m_size = 0;
        return {};
    }
    // path.<max_file-2> → path.<max_file-1> replaces (drops) the oldest file.
    for (int n = m_options.max_file - 1; n >= 2; --n) {
        auto renamed = sys::rename(rotated_name(m_path, n - 1), rotated_name(m_path, n));
        if (renamed.is_error() && renamed.error().code() != ENOENT)
            return renamed.release_error();
    }
    TRY(sys::rename(m_path, rotated_name(m_path, 1)));
    m_fd = TRY(sys::open(m_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    m_size = 0;
    return {};
}

ErrorOr<std::vector<LogEntry>> read_json_logs(const std::string& path, int max_file, const ReadOptions& options)
{
    EntryCollector collector(options);
    for (int n = max_file - 1; n >= 1; --n)
        TRY(read_one_file(rotated_name(path, n), collector));
    TRY(read_one_file(path, collector));
    return collector.take();
}

} // namespace corral::runtime
