#pragma once

// A move-only owner of one file descriptor. It closes the descriptor when it goes
// out of scope unless release() handed ownership elsewhere.

#include "base/error.h"

namespace corral {

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd)
        : m_fd(fd)
    {
    }
    ~Fd() { reset(); }

    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& other) noexcept
        : m_fd(other.release())
    {
    }
    Fd& operator=(Fd&& other) noexcept
    {
        if (this != &other)
            reset(other.release());
        return *this;
    }

    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }
    explicit operator bool() const { return valid(); }

    // Gives up ownership without closing.
    int release()
    {
        int fd = m_fd;
        m_fd = -1;
        return fd;
    }
    // Closes the current descriptor (if any) and takes `fd`.
    void reset(int fd = -1);

    // A new descriptor for the same file, close-on-exec (never dup(), which would
    // leak it across exec).
    ErrorOr<Fd> duplicate() const;

private:
    int m_fd { -1 };
};

} // namespace corral
