#include "cloudinit/report.h"

namespace corral::cloudinit {

void Report::add(LogLevel level, std::string message)
{
    if (m_sink)
        m_sink(level, message);
    m_entries.push_back(Entry { level, std::move(message) });
}

std::vector<std::string> Report::messages(LogLevel level) const
{
    std::vector<std::string> out;
    for (auto const& entry : m_entries) {
        if (entry.level == level)
            out.push_back(entry.message);
    }
    return out;
}

size_t Report::error_count() const
{
    size_t count = 0;
    for (auto const& entry : m_entries)
        count += entry.level == LogLevel::Error;
    return count;
}

} // namespace corral::cloudinit
