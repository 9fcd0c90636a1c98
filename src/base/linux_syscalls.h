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

// clone3(2), Linux 5.3: `args` is a struct clone_args of `size` bytes.
inline long raw_clone3(void* args, size_t size)
{
    return ::syscall(SYS_clone3, args, size);
}

// mount_setattr(2), Linux 5.12: `attr` is a struct mount_attr of `size` bytes.
inline int raw_mount_setattr(int dirfd, const char* path, unsigned int flags, void* attr, size_t size)
{
    return static_cast<int>(::syscall(SYS_mount_setattr, dirfd, path, flags, attr, size));
}

// pivot_root(2) has no glibc wrapper.
inline int raw_pivot_root(const char* new_root, const char* put_old)
{
    return static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old));
}

// close_range(2), Linux 5.9 (glibc 2.34 has it, but not for every flag).
inline int raw_close_range(unsigned int first, unsigned int last, unsigned int flags)
{
    return static_cast<int>(::syscall(SYS_close_range, first, last, flags));
}

// seccomp(2): SECCOMP_SET_MODE_FILTER with a prepared program.
inline int raw_seccomp(unsigned int operation, unsigned int flags, void* args)
{
    return static_cast<int>(::syscall(SYS_seccomp, operation, flags, args));
}

// bpf(2): loading and attaching the cgroup v2 device filter.
inline long raw_bpf(int command, union bpf_attr& attr)
{
    return ::syscall(SYS_bpf, command, &attr, sizeof attr);
}

} // namespace corral::sys
