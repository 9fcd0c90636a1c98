#pragma once

// Building a container's Spec from an image's defaults and a Docker
// container configuration, with Docker's semantics. Pure: every fact about the
// host or other containers (paths, namespace files, device numbers, the
// cgroup version) comes in through BuildInput, which the engine fills.

#include "base/error.h"
#include "runtime/container_config.h"
#include "runtime/spec.h"

#include <span>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace corral::runtime {

enum class CgroupVersion {
    V1, // cgroup v1 or hybrid (v1 controllers, an empty v2 hierarchy), like this development host
    V2, // the unified hierarchy only, like CorralOS itself
};

// A volume the engine has resolved to a host path: a bind from Binds or
// Mounts, a named or anonymous volume, or one inherited through VolumesFrom.
struct VolumeMount {
    std::string source; // host path
    std::string destination; // absolute, inside the container
    bool read_only { false };
    // "rprivate" (Docker's default for binds), "private", "rshared", "shared",
    // "rslave", "slave"; empty for no propagation option (named volumes, as
    // Docker). parse_bind() gives the value Docker would use.
    std::string propagation;
};

// A device node the engine has stat()ed on the host: one per
// HostConfig.Devices entry (a directory expands to its nodes, as Docker).
// For a privileged container the engine passes every host device here,
// as Docker does.
struct HostDevice {
    std::string path_in_container;
    char type { 'c' }; // 'c' or 'b'
    int64_t major { 0 };
    int64_t minor { 0 };
    mode_t mode { 0666 }; // permission bits of the host node
    uid_t uid { 0 };
    gid_t gid { 0 };
    std::string cgroup_permissions { "rwm" };
};

struct BuildInput {
    std::string id; // 64 hex digits
    std::string name; // not part of the plan; kept so the engine hands over one structure
    ImageDefaults image;
    ContainerConfig config;
    HostConfig host;
    // The image's /etc/passwd and /etc/group; empty when the image has none.
    std::string passwd;
    std::string group;

    // Root file system, prepared by the engine.
    std::vector<std::string> lower_dirs; // topmost first
    std::string upper_dir;
    std::string work_dir;
    std::string rootfs;
    // The container's /etc files on the host; an empty path is not mounted.
    std::string resolv_conf_path;
    std::string hostname_path;
    std::string hosts_path;

    std::vector<VolumeMount> volumes;
    std::vector<HostDevice> devices;

    // For the container:<x> modes, the namespace to join ("/proc/<pid>/ns/net").
    std::string network_namespace_path;
    std::string pid_namespace_path;
    std::string ipc_namespace_path;
    // For IpcMode container:<x>, that container's /dev/shm on the host, bound
    // into this one as Docker does; empty gives this container its own tmpfs
    // (System V IPC is still shared through the namespace).
    std::string shared_shm_path;
    // The hostname (and domain name) a container inherits when it shares a
    // network namespace: the host's for NetworkMode host (used only when
    // Config.Hostname is empty), the other container's for container:<x>.
    std::string inherited_hostname;
    std::string inherited_domainname;

    // The cgroup parent when HostConfig.CgroupParent is empty.
    std::string cgroup_parent { "system-docker" };
    CgroupVersion cgroup_version { CgroupVersion::V2 };
    // Online CPUs, for the NanoCpus range check; 0 skips the check.
    int host_cpu_count { 0 };
};

// The Spec for a container, or the first reason Docker would refuse it, in
// Docker's words ("no command specified", "Minimum memory limit allowed is
// 6MB", `unable to find user nope: no matching entries in passwd file`, …).
//
// Semantics, all as Docker's:
//  - Config over image: Entrypoint/Cmd (a container Entrypoint drops the
//    image's Cmd; [""] resets the image's Entrypoint), Env by key, User,
//    WorkingDir, StopSignal; see merge_image_defaults().
//  - Env: PATH (default when absent), HOSTNAME, TERM=xterm with a tty, then
//    the merged env; HOME from passwd (or "/") when still absent, as runc.
//  - Namespaces in Docker's order (mnt, net, uts, pid, ipc, cgroup): a new one
//    unless the mode is "host" (not listed) or "container:<x>" (joined).
//  - Mounts: Docker's defaults, then volumes, the /etc files, /dev/shm sharing
//    and tmpfs mounts ordered by destination depth (parents first).
//  - Devices: the standard nodes plus BuildInput::devices; /dev/ptmx, /dev/fd,
//    /dev/std{in,out,err} and /dev/console are the executor's (symlinks and
//    the tty), as in runc. When a volume covers /dev the executor creates no
//    nodes.
//  - Privileged: every capability and device, no seccomp, masked or
//    read-only paths, writable /sys and cgroup file system.
ErrorOr<Spec> build_spec(const BuildInput& input);

// Docker's merge of an image's defaults into a container's Config (what
// `docker inspect` shows as Config): User, Env (the container's entries,
// then the image's whose names it does not set), Labels, Entrypoint/Cmd,
// WorkingDir, Volumes, StopSignal.
ContainerConfig merge_image_defaults(ContainerConfig config, const ImageDefaults& image);

// Docker's MergeTmpfsOptions: later options win over earlier ones of the same
// kind (ro/rw, exec/noexec, one propagation, size=…), in a stable order.
// Error: `invalid tmpfs option "x"`.
ErrorOr<std::vector<std::string>> merge_tmpfs_options(const std::vector<std::string>& options);

// The paths an unprivileged container gets masked and read-only (moby's
// defaults with their later additions); the API shows them in HostConfig.
std::span<const std::string_view> default_masked_paths();
std::span<const std::string_view> default_readonly_paths();

} // namespace corral::runtime
