#pragma once

// Logging for the tops of programs (library code returns errors instead of logging).
// Messages go to any of: stderr, the kernel log (/dev/kmsg, used by init before any
// file system is writable) and an append-only file (/var/log/boot/<program>.log).

#include "base/error.h"

#include <string>
#include <string_view>

namespace corral {

enum class LogLevel {
    Debug,
    Info,
    Warning,
    Error,
};

// Parses "debug", "info", "warn"/"warning", "error" (dockerd's --log-level names;
// "fatal" maps to Error).
ErrorOr<LogLevel> parse_log_level(std::string_view name);

namespace log {

// The program name that prefixes kmsg lines and file lines ("ros", "init", …).
void set_program(std::string_view name);
void set_level(LogLevel level);
LogLevel level();
// On by default.
void set_stderr(bool enabled);
ErrorOr<void> open_kmsg(const std::string& path = "/dev/kmsg");
ErrorOr<void> open_file(const std::string& path);
// Closes the kmsg and file sinks (used by tests and before exec).
void close_sinks();

void write(LogLevel level, std::string_view message);

inline void debug(std::string_view m) { write(LogLevel::Debug, m); }
inline void info(std::string_view m) { write(LogLevel::Info, m); }
inline void warn(std::string_view m) { write(LogLevel::Warning, m); }
inline void error(std::string_view m) { write(LogLevel::Error, m); }

} // namespace log
} // namespace corral
