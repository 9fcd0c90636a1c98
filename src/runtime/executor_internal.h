#pragma once

// The executor's parts, shared between its files and with its tests. The
// functions marked "child" run in the forked container process, after the
// caller's fork and before exec; they return errors like any other code, and
// the child's entry point (executor.cpp) reports them through the pipe.

#include "base/error.h"
#include "base/fd.h"
#include "runtime/seccomp_profile.h"
#include "runtime/mount_options.h"
#include "runtime/spec.h"

#include <cstdint>
#include <linux/filter.h>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::runtime::detail {

// ---- Mount options (rootfs.cpp; pure) ----

struct PreparedMount {
    const Mount* mount { nullptr };
    MountFlags parsed;
    bool source_is_directory { true }; // binds: the kind of mount point to create
};

ErrorOr<std::vector<PreparedMount>> prepare_mounts(const std::vector<Mount>& mounts);

// The overlayfs mount data for the root, and the directory to chdir into
// before mounting when the lower dirs only fit into one page as paths relative
// to it (empty when absolute paths fit). Error E2BIG when neither fits.
struct OverlayData {
    std::string data;
    std::string relative_to;
};
ErrorOr<OverlayData> overlay_data(const Spec& spec);

// The mount point of the mount that holds `path`, from /proc/self/mountinfo.
ErrorOr<std::string> containing_mount_point(const std::string& path);

// ---- Paths inside the root (path_in_root.cpp; child) ----

enum class Create {
    No,
    Directory, // missing components, the last one included, become directories
    File, // missing parents become directories, the last one an empty file
};

// Resolves `path` under `root_fd` the way the kernel would if `root_fd` were
// the root directory: symlinks (absolute ones too) and ".." never leave it.
// Creates what is missing as asked, then opens the result O_PATH with
// openat2(RESOLVE_IN_ROOT), so that a symlink planted in an image cannot move
// a mount, a device or a write outside the container. ENOENT when a part is
// missing and `create` is No.
ErrorOr<Fd> open_in_root(int root_fd, std::string_view path, Create create);

// "/proc/self/fd/N": how mount(2) is pointed at a file opened by open_in_root.
std::string fd_path(int fd);

// ---- The root file system (rootfs.cpp; child) ----

struct RootfsInput {
    const Spec* spec { nullptr };
    const std::vector<PreparedMount>* mounts { nullptr };
    OverlayData overlay;
    std::string rootfs_parent_mount; // made private so the root's mounts reach no other namespace
    int console_fd { -1 }; // the pty slave to bind on /dev/console, or -1
    std::string init_binary; // host path, bound read-only on INIT_PATH_IN_CONTAINER; empty for none
};

inline constexpr const char* INIT_PATH_IN_CONTAINER = "/sbin/docker-init";

// Makes the mount namespace's root a slave (or spec.rootfs_propagation),
// mounts the overlay root, the mounts, devices, /dev links, the console and
// the init, then pivot_root()s into it. Afterwards "/" is the container's root.
ErrorOr<void> setup_rootfs(const RootfsInput& input);

// Child, before pivot_root: the spec's device nodes in the root's /dev (a
// bind of the host's node where mknod is refused), and /dev/ptmx,
// /dev/fd and /dev/std{in,out,err} as links, as runc makes them.
ErrorOr<void> create_devices(int root_fd, const Spec& spec);
ErrorOr<void> create_dev_links(int root_fd);

// After pivot_root and the sysctls: read-only and masked paths, then the
// read-only root.
ErrorOr<void> finish_rootfs(const Spec& spec);

// Writes each sysctl under /proc/sys.
ErrorOr<void> apply_sysctls(const std::map<std::string, std::string>& sysctls);

// ---- Credentials (credentials.cpp) ----

struct CapabilitySets {
    uint64_t bounding { 0 };
    uint64_t effective { 0 };
    uint64_t permitted { 0 };
    uint64_t inheritable { 0 };
    uint64_t ambient { 0 };
};

// The sets as bit masks, leaving out capabilities above `last_cap` (what the
// running kernel has, /proc/sys/kernel/cap_last_cap) and those outside this
// process's own bounding set, which it could not give. An unknown name is an
// error: `unknown capability "CAP_NOPE"`.
ErrorOr<CapabilitySets> capability_sets(const Capabilities& capabilities, int last_cap);
ErrorOr<int> kernel_last_capability();

// Child: setrlimit for each.
ErrorOr<void> apply_rlimits(const std::vector<Rlimit>& rlimits);
// Child: /proc/self/oom_score_adj.
ErrorOr<void> apply_oom_score_adj(int value);
// Child: drops what is not in the bounding set (needs CAP_SETPCAP, so first).
ErrorOr<void> drop_bounding_set(const CapabilitySets& sets, int last_cap);
// Child: groups, gid, uid, keeping the permitted set across the uid change.
ErrorOr<void> switch_user(const User& user);
// Child: effective, permitted and inheritable (libcap), then ambient.
ErrorOr<void> apply_capabilities(const CapabilitySets& sets, int last_cap);
ErrorOr<void> set_no_new_privileges();

// ---- Seccomp (seccomp_filter.cpp) ----

// Compiles the rules with libseccomp into a BPF program (in the caller, so
// that the child only loads it). Syscall names neither libseccomp nor the
// kernel know are skipped, as runc does; the native architecture and those
// listed are covered.
ErrorOr<std::vector<sock_filter>> compile_seccomp(const SeccompRules& rules);
// The program for a spec: empty when it runs unconfined.
ErrorOr<std::vector<sock_filter>> seccomp_program_for(const Spec& spec);
// Child: installs the program (seccomp(2), SECCOMP_SET_MODE_FILTER).
ErrorOr<void> load_seccomp(const std::vector<sock_filter>& program);

// ---- Namespaces (namespaces.cpp) ----

int clone_flag(NamespaceType type);
const char* namespace_proc_name(NamespaceType type); // "net", "mnt", …

struct NamespaceJoin {
    NamespaceType type;
    std::string path;
    Fd fd;
};

// Opens the namespaces to join, in the order they must be joined (user
// first, mount last): those spec.namespaces gives by path, or for exec, every
// type it lists, from /proc/<pid>/ns/.
ErrorOr<std::vector<NamespaceJoin>> open_namespace_joins(const Spec& spec);
ErrorOr<std::vector<NamespaceJoin>> open_container_namespaces(pid_t container_pid, const Spec& spec);
// Child: setns() for each join of `type` (or of every type but PID when
// `type` is empty).
ErrorOr<void> join_namespaces(std::vector<NamespaceJoin>& joins, std::optional<NamespaceType> only = {});
bool has_new_namespace(const Spec& spec, NamespaceType type);

// ---- The init (executor.cpp) ----

// The path of the statically linked corral-init to run as PID 1 (see executor.h).
ErrorOr<std::string> find_init_binary();
inline constexpr const char* INIT_REPORT_FD_ENV = "CORRAL_INIT_REPORT_FD";

} // namespace corral::runtime::detail
