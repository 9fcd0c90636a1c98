#include "base/log.h"

#include "base/fd.h"
#include "base/system.h"

#include <ctime>
#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

namespace corral {

ErrorOr<LogLevel> parse_log_level(std::string_view name)
{
    if (name == "debug")
        return LogLevel::Debug;
    if (name == "info")
        return LogLevel::Info;
    if (name == "warn" || name == "warning")
        return LogLevel::Warning;
    if (name == "error" || name == "fatal")
        return LogLevel::Error;
    return Error::from_string("unknown log level \"" + std::string(name) + "\" (expected debug, info, warn, error or fatal)");
}

namespace log {
namespace {

// Programs that log are single-threaded at the point they configure logging, and
// each sink write is one write(2), so lines from different threads never interleave.
struct State {
    std::string program { "corral" };
    LogLevel level { LogLevel::Info };
    bool to_stderr { true };
    Fd kmsg;
    Fd file;
};

State& state()
{
    static State s;
    return s;
}

const char* level_name(LogLevel level)
{
    switch (level) {
    case LogLevel::Debug:
        return "debug";
    case LogLevel::Info:
        return "info";
    case LogLevel::Warning:
        return "warning";
    case LogLevel::Error:
        return "error";
    }
    return "?";
}

int syslog_priority(LogLevel level)
{
    switch (level) {
    case LogLevel::Debug:
        return 7;
    case LogLevel::Info:
        return 6;
    case LogLevel::Warning:
        return 4;
    case LogLevel::Error:
        return 3;
    }
    return 6;
}

std::string timestamp()
{
    struct timeval tv { };
    ::gettimeofday(&tv, nullptr);
    struct tm tm { };
    ::gmtime_r(&tv.tv_sec, &tm);
    char buf[40];
    size_t n = ::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(tv.tv_usec / 1000));
    return buf;
}

} // namespace

void set_program(std::string_view name) { state().program = name; }
void set_level(LogLevel level) { state().level = level; }
LogLevel level() { return state().level; }
void set_stderr(bool enabled) { state().to_stderr = enabled; }

ErrorOr<void> open_kmsg(const std::string& path)
{
    state().kmsg = TRY(sys::open(path, O_WRONLY | O_NOCTTY));
    return {};
}

ErrorOr<void> open_file(const std::string& path)
{
    state().file = TRY(sys::open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY, 0640));
    return {};
}

void close_sinks()
{
    state().kmsg.reset();
    state().file.reset();
}

void write(LogLevel level, std::string_view message)
{
    State& s = state();
    if (level < s.level)
        return;
    // Failures to log are ignored on purpose: there is nowhere left to report them.
    if (s.to_stderr) {
        std::string line = s.program + ": ";
        if (level != LogLevel::Info) {
            line += level_name(level);
            line += ": ";
        }
        line.append(message);
        line += '\n';
        (void)sys::write_all(STDERR_FILENO, line);
    }
    if (s.kmsg) {
        // /dev/kmsg takes one record per write; "<N>" sets the priority.
        std::string line = "<" + std::to_string(syslog_priority(level)) + ">" + s.program + "[" + std::to_string(::getpid()) + "]: ";
        line.append(message.substr(0, 900));
        line += '\n';
        (void)::write(s.kmsg.get(), line.data(), line.size());
    }
    if (s.file) {
        std::string line = timestamp() + " " + level_name(level) + " " + s.program + ": ";
        line.append(message);
        line += '\n';
        (void)sys::write_all(s.file.get(), line);
    }
}

} // namespace log
} // namespace corral
