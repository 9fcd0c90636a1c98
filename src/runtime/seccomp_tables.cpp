// Docker's default seccomp profile, as tables. The facts come from moby's
// profiles/seccomp/default.json (the version vendored by moby in 2026); the
// shape is ours: an unconditional allowlist, syscalls gated on one
// capability, syscalls gated on the architecture, and a few rules on argument
// values written out in default_seccomp().

#include "runtime/seccomp_profile.h"

#include <algorithm>
#include <array>
#include <span>

namespace corral::runtime {

namespace {

// Allowed for every container, whatever its capabilities.
constexpr std::string_view ALWAYS_ALLOWED[] = { "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk",
    "cachestat", "capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
    "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3",
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
    "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat", "faccessat2",
    "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown",
    "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
    "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
    "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd",
    "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
    "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
    "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid",
    "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
    "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl",
    "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
    "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown",
    "lchown32", "lgetxattr", "link", "linkat", "listen", "listmount", "listxattr", "listxattrat", "llistxattr",
    "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier",
    "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall",
    "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
    "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd",
    "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open",
    "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free",
    "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
    "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead",
    "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages",
    "removexattr", "removexattrat", "rename", "renameat", "renameat2", "restart_syscall", "riscv_hwprobe", "rmdir",
    "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
    "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
    "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
    "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
    "sched_yield", "seccomp", "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
    "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32",
    "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
    "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list",
    "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr", "setxattrat",
    "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask",
    "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statmount", "statx",
    "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
    "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
    "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill",
    "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "uretprobe", "utime", "utimensat",
    "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev" };

// Docker allows these three from Linux 4.8 on, where ptrace can no longer be
// used to get around seccomp. CorralOS runs on newer kernels only, so the
// version check is not carried over: they are always allowed.
constexpr std::string_view FROM_LINUX_4_8[] = { "process_vm_readv", "process_vm_writev", "ptrace" };

struct CapabilityGate {
    std::string_view capability;
    std::span<const std::string_view> syscalls;
};

constexpr std::string_view DAC_READ_SEARCH_CALLS[] = { "open_by_handle_at" };
constexpr std::string_view SYS_ADMIN_CALLS[] = {
    "bpf",
    "clone",
    "clone3",
    "fanotify_init",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "lookup_dcookie",
    "lsm_get_self_attr",
    "lsm_list_modules",
    "lsm_set_self_attr",
    "mount",
    "mount_setattr",
    "move_mount",
    "open_tree",
    "perf_event_open",
    "quotactl",
    "quotactl_fd",
    "setdomainname",
    "sethostname",
    "setns",
    "syslog",
    "umount",
    "umount2",
    "unshare",
};
constexpr std::string_view SYS_BOOT_CALLS[] = { "reboot" };
constexpr std::string_view SYS_CHROOT_CALLS[] = { "chroot" };
constexpr std::string_view SYS_MODULE_CALLS[] = { "delete_module", "init_module", "finit_module" };
constexpr std::string_view SYS_PACCT_CALLS[] = { "acct" };
constexpr std::string_view SYS_PTRACE_CALLS[] = {
    "kcmp",
    "pidfd_getfd",
    "process_madvise",
    "process_vm_readv",
    "process_vm_writev",
    "ptrace",
};
constexpr std::string_view SYS_RAWIO_CALLS[] = { "iopl", "ioperm" };
constexpr std::string_view SYS_TIME_CALLS[] = { "settimeofday", "stime", "clock_settime", "clock_settime64" };
constexpr std::string_view SYS_TTY_CONFIG_CALLS[] = { "vhangup" };
constexpr std::string_view SYS_NICE_CALLS[] = { "get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node" };
constexpr std::string_view SYSLOG_CALLS[] = { "syslog" };
constexpr std::string_view BPF_CALLS[] = { "bpf" };
constexpr std::string_view PERFMON_CALLS[] = { "perf_event_open" };

// Docker's profile has no CAP_SYS_RESOURCE gate: the syscalls that need it
// (setrlimit, prlimit64) are in the allowlist and the kernel checks the cap.
constexpr CapabilityGate CAPABILITY_GATES[] = {
    { "CAP_DAC_READ_SEARCH", DAC_READ_SEARCH_CALLS },
    { "CAP_SYS_ADMIN", SYS_ADMIN_CALLS },
    { "CAP_SYS_BOOT", SYS_BOOT_CALLS },
    { "CAP_SYS_CHROOT", SYS_CHROOT_CALLS },
    { "CAP_SYS_MODULE", SYS_MODULE_CALLS },
    { "CAP_SYS_PACCT", SYS_PACCT_CALLS },
    { "CAP_SYS_PTRACE", SYS_PTRACE_CALLS },
    { "CAP_SYS_RAWIO", SYS_RAWIO_CALLS },
    { "CAP_SYS_TIME", SYS_TIME_CALLS },
    { "CAP_SYS_TTY_CONFIG", SYS_TTY_CONFIG_CALLS },
    { "CAP_SYS_NICE", SYS_NICE_CALLS },
    { "CAP_SYSLOG", SYSLOG_CALLS },
    { "CAP_BPF", BPF_CALLS },
    { "CAP_PERFMON", PERFMON_CALLS },
};

struct ArchitectureGate {
    std::span<const std::string_view> arches;
    std::span<const std::string_view> syscalls;
};

constexpr std::string_view PPC64LE[] = { "ppc64le" };
constexpr std::string_view PPC64LE_CALLS[] = { "sync_file_range2", "swapcontext" };
constexpr std::string_view ARM[] = { "arm", "arm64" };
constexpr std::string_view ARM_CALLS[] = {
    "arm_fadvise64_64",
    "arm_sync_file_range",
    "sync_file_range2",
    "breakpoint",
    "cacheflush",
    "set_tls",
};
constexpr std::string_view AMD64_X32[] = { "amd64", "x32" };
constexpr std::string_view AMD64_X32_CALLS[] = { "arch_prctl" };
constexpr std::string_view X86_ALL[] = { "amd64", "x32", "x86" };
constexpr std::string_view X86_ALL_CALLS[] = { "modify_ldt" };
constexpr std::string_view S390[] = { "s390", "s390x" };
constexpr std::string_view S390_CALLS[] = { "s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr" };
constexpr std::string_view RISCV64[] = { "riscv64" };
constexpr std::string_view RISCV64_CALLS[] = { "riscv_flush_icache" };

constexpr ArchitectureGate ARCHITECTURE_GATES[] = {
    { PPC64LE, PPC64LE_CALLS },
    { ARM, ARM_CALLS },
    { AMD64_X32, AMD64_X32_CALLS },
    { X86_ALL, X86_ALL_CALLS },
    { S390, S390_CALLS },
    { RISCV64, RISCV64_CALLS },
};

// Docker's archMap: the native architecture and the compatible ABIs the
// filter must also cover, in libseccomp's names.
struct ArchitectureMap {
    std::string_view arch;
    std::array<std::string_view, 3> libseccomp;
};

constexpr ArchitectureMap ARCHITECTURE_MAP[] = {
    { "amd64", { "x86_64", "x86", "x32" } },
    { "arm64", { "aarch64", "arm", {} } },
    { "s390x", { "s390x", "s390", {} } },
    { "riscv64", { "riscv64", {}, {} } },
    { "loong64", { "loongarch64", {}, {} } },
};

} // namespace

std::vector<std::string_view> default_seccomp_always_allowed()
{
    std::vector<std::string_view> out(std::begin(ALWAYS_ALLOWED), std::end(ALWAYS_ALLOWED));
    out.insert(out.end(), std::begin(FROM_LINUX_4_8), std::end(FROM_LINUX_4_8));
    return out;
}

std::span<const std::string_view> default_seccomp_capability_syscalls(std::string_view capability)
{
    for (auto const& gate : CAPABILITY_GATES) {
        if (gate.capability == capability)
            return gate.syscalls;
    }
    return {};
}

std::vector<std::string_view> default_seccomp_architecture_syscalls(std::string_view arch)
{
    std::vector<std::string_view> out;
    for (auto const& gate : ARCHITECTURE_GATES) {
        if (std::find(gate.arches.begin(), gate.arches.end(), arch) != gate.arches.end())
            out.insert(out.end(), gate.syscalls.begin(), gate.syscalls.end());
    }
    return out;
}

std::vector<std::string> default_seccomp_architectures(std::string_view arch)
{
    std::vector<std::string> out;
    for (auto const& entry : ARCHITECTURE_MAP) {
        if (entry.arch != arch)
            continue;
        for (auto name : entry.libseccomp) {
            if (!name.empty())
                out.emplace_back(name);
        }
    }
    return out;
}

} // namespace corral::runtime
