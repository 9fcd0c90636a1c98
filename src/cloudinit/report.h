#pragma once

// What an apply step did and what went wrong, for the program at the top to log
// (library code does not log). Steps that fail record an error and the next step
// runs: a bad cloud-config must never leave a machine nobody can log into.

#include "base/log.h"

#include <functional>
#include <string>
#include <vector>

namespace corral::cloudinit {

class Report {
public:
    struct Entry {
        LogLevel level;
        std::string message;
    };
    // Called for each entry as it is added, so that a long step (runcmd) shows
    // progress as it goes rather than at the end.
    using Sink = std::function<void(LogLevel, const std::string&)>;

    Report() = default;
    explicit Report(Sink sink)
        : m_sink(std::move(sink))
    {
    }

    void info(std::string message) { add(LogLevel::Info, std::move(message)); }
    void warn(std::string message) { add(LogLevel::Warning, std::move(message)); }
    void error(std::string message) { add(LogLevel::Error, std::move(message)); }
    void add(LogLevel level, std::string message);

    const std::vector<Entry>& entries() const { return m_entries; }
    std::vector<std::string> messages(LogLevel level) const;
    size_t error_count() const;

private:
    Sink m_sink;
    std::vector<Entry> m_entries;
};

} // namespace corral::cloudinit
