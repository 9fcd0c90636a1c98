#pragma once

// The inputs of a Docker Engine API v1.41 container create, as typed structs:
// the container's Config, its HostConfig, and the container defaults of an
// image's config. Parsed from JSON with Docker's decoding rules (null is the
// zero value, unknown fields are ignored, a wrong type is an error naming the
// field: `HostConfig.Memory: expected an integer`), then validated with
// Docker's create-time checks and messages.

#include "base/error.h"

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::runtime {

// An image config's "config" object: what a container inherits.
struct ImageDefaults {
    std::vector<std::string> env; // "K=V"
    std::optional<std::vector<std::string>> cmd; // nullopt: not set
    std::optional<std::vector<std::string>> entrypoint;
    std::string working_dir;
    std::string user;
    std::string stop_signal;
    std::vector<std::string> volumes; // the keys of "Volumes", sorted
    std::map<std::string, std::string> labels;
};

struct ContainerConfig {
    std::string hostname;
    std::string domainname;
    std::string user;
    std::vector<std::string> env;
    // Null and [] differ: null inherits the image's; [] (and [""] for the
    // entrypoint, which is what `docker run --entrypoint ""` sends) resets it.
    std::optional<std::vector<std::string>> cmd;
    std::optional<std::vector<std::string>> entrypoint;
    std::string image;
    std::string working_dir;
    std::map<std::string, std::string> labels;
    std::string stop_signal;
    std::optional<int> stop_timeout; // seconds
    bool tty { false };
    bool open_stdin { false };
    bool stdin_once { false };
    bool attach_stdin { false };
    bool attach_stdout { false };
    bool attach_stderr { false };
    bool network_disabled { false };
    std::vector<std::string> volumes; // keys of "Volumes", sorted
    std::vector<std::string> exposed_ports; // keys of "ExposedPorts" ("80/tcp"), sorted
};

enum class MountType {
    Bind,
    Volume,
    Tmpfs,
};

// One entry of HostConfig.Mounts.
struct MountSpec {
    MountType type { MountType::Volume };
    std::string source; // host path (bind), volume name (volume; empty: anonymous)
    std::string target;
    bool read_only { false };
    std::string propagation; // BindOptions.Propagation
    bool no_copy { false }; // VolumeOptions.NoCopy
    int64_t tmpfs_size_bytes { 0 }; // TmpfsOptions.SizeBytes; 0: unset
    uint32_t tmpfs_mode { 0 }; // TmpfsOptions.Mode; 0: unset
    bool has_bind_options { false };
    bool has_volume_options { false };
    bool has_tmpfs_options { false };
};

struct DeviceMapping {
    std::string path_on_host;
    std::string path_in_container;
    std::string cgroup_permissions; // "rwm" when the request leaves it empty
};

struct Ulimit {
    std::string name; // "nofile"
    int64_t soft { 0 };
    int64_t hard { 0 };
};

struct RestartPolicy {
    std::string name; // "", "no", "always", "unless-stopped", "on-failure"
    int maximum_retry_count { 0 };
};

struct LogConfig {
    std::string type;
    std::map<std::string, std::string> config;
};

struct HostConfig {
    std::vector<std::string> binds; // "src:dst[:mode]", see parse_bind()
    std::vector<MountSpec> mounts;
    std::map<std::string, std::string> tmpfs; // destination → "rw,noexec,size=64m"
    std::vector<std::string> volumes_from; // "name[:ro|rw]", see parse_volumes_from()
    std::string network_mode; // "", "default", "bridge", "host", "none", "container:<x>", a network name
    std::string pid_mode; // "", "host", "container:<x>"
    std::string ipc_mode; // "", "private", "shareable", "none", "host", "container:<x>"
    std::string uts_mode; // "", "host"
    std::string cgroupns_mode; // "", "private", "host"
    bool privileged { false };
    bool readonly_rootfs { false };
    std::vector<std::string> cap_add;
    std::vector<std::string> cap_drop;
    std::vector<DeviceMapping> devices;
    std::vector<Ulimit> ulimits;
    std::map<std::string, std::string> sysctls;
    std::vector<std::string> security_opt;
    int oom_score_adj { 0 };
    int64_t memory { 0 };
    int64_t memory_swap { 0 };
    int64_t nano_cpus { 0 };
    int64_t cpu_shares { 0 };
    int64_t cpu_quota { 0 };
    int64_t cpu_period { 0 };
    std::string cpuset_cpus;
    std::string cpuset_mems;
    std::optional<int64_t> pids_limit;
    uint16_t blkio_weight { 0 };
    std::optional<bool> init;
    int64_t shm_size { 0 }; // 0: Docker's default, 64 MiB
    RestartPolicy restart_policy;
    LogConfig log_config;
    std::vector<std::string> dns;
    std::vector<std::string> dns_search;
    std::vector<std::string> dns_options;
    std::vector<std::string> extra_hosts; // "host:ip"
    std::vector<std::string> group_add;
    bool auto_remove { false };
    std::string cgroup_parent;
};

struct CreateRequest {
    ContainerConfig config;
    HostConfig host_config;
};

// The body of POST /containers/create: the Config fields at the top level and
// "HostConfig" within. Errors name the field ("Cmd: …", "HostConfig.Memory: …").
ErrorOr<CreateRequest> parse_create_request(const nlohmann::json& body);
ErrorOr<ContainerConfig> parse_container_config(const nlohmann::json& object);
// Errors are prefixed "HostConfig.".
ErrorOr<HostConfig> parse_host_config(const nlohmann::json& object);
// An image config's "config" object; errors are prefixed "config.".
ErrorOr<ImageDefaults> parse_image_defaults(const nlohmann::json& object);

// Docker's create-time checks on each structure alone, with Docker's messages:
// the working directory is absolute, the stop signal is known, no env entry
// has an empty name, the hostname fits in 64 bytes; the restart policy is
// known and consistent with AutoRemove, mounts and tmpfs destinations are
// well formed, namespace modes are known. Checks that need both structures or
// the image are in build_spec().
ErrorOr<void> validate_container_config(const ContainerConfig& config);
ErrorOr<void> validate_host_config(const HostConfig& host);

// One HostConfig.Binds entry, "source:destination[:mode]" or "destination".
struct BindSpec {
    // An absolute host path for a bind; a volume name, or empty for an
    // anonymous volume, otherwise.
    std::string source;
    std::string destination; // cleaned
    bool is_volume { false };
    bool read_only { false };
    // "rprivate" by default for binds, as Docker; empty for volumes.
    std::string propagation;
    bool no_copy { false }; // "nocopy": do not copy the image's content into a new volume
};
// Errors as Docker's: `invalid volume specification: 'x'`, `invalid mode: x`.
ErrorOr<BindSpec> parse_bind(std::string_view raw);

// One HostConfig.VolumesFrom entry, "container[:ro|rw]".
struct VolumesFromSpec {
    std::string container;
    // ":ro" makes every volume read-only; otherwise each keeps its own mode.
    bool read_only { false };
};
ErrorOr<VolumesFromSpec> parse_volumes_from(std::string_view raw);

} // namespace corral::runtime
