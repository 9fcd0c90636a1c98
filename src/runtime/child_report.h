#pragma once

// The records a forked child writes to the process that started it, through a
// close-on-exec pipe: its PID (from the intermediate process of a double fork)
// or the failure that stopped it before exec. Each record is one write() of
// less than PIPE_BUF bytes, so records from several writers never interleave.
// Header-only and libc-only: corral-init, which is linked statically on its
// own, writes the same records.

#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <unistd.h>

namespace corral::runtime::detail {

enum class ReportKind : uint32_t {
    Pid = 1,
    Failure = 2,
};

struct ChildReport {
    ReportKind kind { ReportKind::Failure };
    int32_t value { 0 }; // the PID, or the errno of the failure
    uint32_t is_errno { 0 }; // the failure came from a system call
    uint32_t length { 0 }; // of text
    // The error message without the strerror() suffix (the parent adds it
    // back from `value`), e.g. `mount proc on /proc`.
    char text[2048] {};
};
static_assert(sizeof(ChildReport) <= PIPE_BUF);

// Writes one record; async-signal-safe. A failed write cannot be reported to
// anyone, and the parent then sees a child that exited without a report.
inline void write_report(int fd, const ChildReport& report)
{
    ssize_t n;
    do {
        n = ::write(fd, &report, sizeof report);
    } while (n < 0 && errno == EINTR);
}

// A failure record for `code`, with the message `text` (cut to fit).
inline ChildReport failure_report(int code, bool is_errno, const char* text)
{
    ChildReport report;
    report.kind = ReportKind::Failure;
    report.value = code;
    report.is_errno = is_errno ? 1 : 0;
    size_t length = std::strlen(text);
    if (length >= sizeof report.text)
        length = sizeof report.text - 1;
    std::memcpy(report.text, text, length);
    report.length = static_cast<uint32_t>(length);
    return report;
}

} // namespace corral::runtime::detail
