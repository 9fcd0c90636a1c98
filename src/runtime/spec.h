#pragma once

// What a container is made of, decided before anything runs: the plan the
// executor carries out (namespaces, mounts, cgroup, credentials, capabilities,
// seccomp, process). It follows the OCI runtime spec's shape, trimmed to what
// CorralOS uses. Building it is pure (spec_builder.h); executing it is not.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace corral::runtime {

enum class NamespaceType {
    Mount,
    Pid,
    Uts,
    Ipc,
    Network,
    Cgroup,
    User,
};

struct Namespace {
    NamespaceType type;
    // Empty: a new namespace. Otherwise join this one ("/proc/<pid>/ns/net"); the
    // host's namespaces are joined simply by not listing the type.
    std::string path;
};

struct Mount {
    std::string destination; // inside the container, absolute
    std::string type; // "bind", "proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup", "cgroup2", "overlay"
    std::string source;
    std::vector<std::string> options; // "ro", "nosuid", "rbind", "rslave", "mode=755", "size=65536k", …
};

struct Rlimit {
    int resource; // RLIMIT_NOFILE, …
    uint64_t soft;
    uint64_t hard;
};

struct User {
    uid_t uid { 0 };
    gid_t gid { 0 };
    std::vector<gid_t> additional_gids;
    std::string home; // from /etc/passwd, for HOME when the image sets none
};

// Capability sets by name ("CAP_CHOWN", …).
struct Capabilities {
    std::vector<std::string> bounding;
    std::vector<std::string> effective;
    std::vector<std::string> permitted;
    std::vector<std::string> inheritable;
    std::vector<std::string> ambient;
};

struct Process {
    std::vector<std::string> args; // args[0] is looked up in PATH inside the container
    std::vector<std::string> env; // "K=V"
    std::string cwd { "/" };
    User user;
    bool terminal { false };
    bool open_stdin { false };
    Capabilities capabilities;
    std::vector<Rlimit> rlimits;
    bool no_new_privileges { false };
    std::optional<int> oom_score_adj;
};

struct DeviceRule {
    bool allow { false };
    char type { 'a' }; // 'a', 'c', 'b'
    int64_t major { -1 }; // -1: any
    int64_t minor { -1 };
    std::string access { "rwm" };
};

struct Device {
    std::string path; // in the container
    char type { 'c' };
    int64_t major { 0 };
    int64_t minor { 0 };
    mode_t mode { 0666 };
    uid_t uid { 0 };
    gid_t gid { 0 };
};

struct Resources {
    std::optional<int64_t> memory; // bytes
    std::optional<int64_t> memory_swap; // memory + swap, bytes; -1 unlimited
    std::optional<uint64_t> cpu_shares; // 2-262144 (v1 shares; v2 weight converted)
    std::optional<int64_t> cpu_quota; // µs per period
    std::optional<uint64_t> cpu_period; // µs
    std::string cpuset_cpus;
    std::string cpuset_mems;
    std::optional<int64_t> pids_limit; // -1 or 0: unlimited
    std::optional<uint16_t> blkio_weight; // 10-1000
    std::vector<DeviceRule> devices;
};

enum class SeccompMode {
    Default, // Docker's default profile
    Unconfined,
};

struct Spec {
    std::string id; // the container ID (64 hex)
    std::string hostname;
    std::string domainname;
    Process process;
    // Root file system: overlayfs of `lower_dirs` (topmost first) with upper and
    // work dirs, mounted on `rootfs` (a directory the executor owns).
    std::vector<std::string> lower_dirs;
    std::string upper_dir;
    std::string work_dir;
    std::string rootfs;
    bool readonly_rootfs { false };
    // Propagation of the container's root mount: empty for the runtime's
    // default (rslave, as runc), "shared" when a volume asks for rshared/shared
    // and "rslave" when one asks for rslave/slave, as Docker decides it.
    std::string rootfs_propagation;
    std::vector<Namespace> namespaces;
    std::vector<Mount> mounts; // in order, after the root is in place
    std::vector<Device> devices; // nodes created in /dev
    std::vector<std::string> masked_paths;
    std::vector<std::string> readonly_paths;
    std::map<std::string, std::string> sysctls;
    std::string cgroup_path; // relative to the cgroup root, e.g. "system-docker/<id>"
    Resources resources;
    SeccompMode seccomp { SeccompMode::Default };
    bool privileged { false };
    bool init { false }; // run the minimal init as PID 1 (docker run --init)
    std::string stop_signal { "SIGTERM" };
    int stop_timeout { 10 };
};

} // namespace corral::runtime
