#pragma once

// Wrappers for Linux system calls that glibc 2.36 lacks or hides. They return -1 and
// set errno like the libc functions; callers wrap them in ErrorOr.

#include <linux/bpf.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace corral::sys {

// openat2(2), Linux 5.6: RESOLVE_IN_ROOT keeps a path from an image or a request
// inside its directory, symlinks included.
inline int raw_openat2(int dirfd, const char* path, const struct open_how& how)
{
    return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

// pidfd_open(2), Linux 5.3: a descriptor that names one process and cannot be
// confused with a later process that reuses its PID.
inline int raw_pidfd_open(pid_t pid, unsigned int flags)
{
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags));
}

// pidfd_send_signal(2), Linux 5.1.
inline int raw_pidfd_send_signal(int pidfd, int sig)
{
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

// bpf(2): loading and attaching the cgroup v2 device filter.
inline long raw_bpf(int command, union bpf_attr& attr)
{
    return ::syscall(SYS_bpf, command, &attr, sizeof attr);
}

} // namespace corral::sys
