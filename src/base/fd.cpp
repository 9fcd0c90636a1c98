#include "base/fd.h"

#include <fcntl.h>
#include <unistd.h>

namespace corral {

void Fd::reset(int fd)
{
    if (m_fd >= 0) {
        // close() errors are not actionable here: on Linux the descriptor is gone
        // whatever close() returns, and retrying could close someone else's fd.
        (void)::close(m_fd);
    }
    m_fd = fd;
}

ErrorOr<Fd> Fd::duplicate() const
{
    int fd = ::fcntl(m_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return Error::from_syscall("fcntl F_DUPFD_CLOEXEC");
    return Fd(fd);
}

} // namespace corral
