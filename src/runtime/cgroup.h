#pragma once

// A container's cgroup: made, limited, joined, frozen, measured, emptied and
// removed, on any of the three layouts a host may have (CgroupLayout):
//   V1      one directory per mounted controller hierarchy the runtime uses:
//           memory, cpu, cpuacct, cpuset, pids, blkio, devices, freezer, and
//           name=systemd when mounted (co-mounted ones such as cpu,cpuacct share
//           a directory);
//   Hybrid  the same, plus the directory in the cgroup2 hierarchy at
//           <root>/unified, which holds no controllers but records membership
//           (as systemd and runc do on such hosts);
//   V2      one directory in the unified hierarchy; the controllers the runtime
//           uses are enabled in every ancestor's cgroup.subtree_control.
// Which file gets which value is decided by the pure plan (cgroup_plan.h); device
// rules on v2 are a BPF program (bpf_devices.h).
//
// Errors name the file and the value:
//   write '/sys/fs/cgroup/memory/system-docker/x/memory.limit_in_bytes' ("abc"): Invalid argument
//
// A Cgroup owns descriptors of its directories, not the cgroup: destroying the
// object leaves the cgroup as it is (a container outlives the engine that made
// it; open() finds it again). destroy() removes it.

#include "base/error.h"
#include "base/fd.h"
#include "runtime/cgroup_plan.h"
#include "runtime/spec.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace corral::runtime {

// statfs(2) on `root`: cgroup2 → V2; otherwise a cgroup2 mount at <root>/unified
// → Hybrid; otherwise V1. Errors: statfs on `root` (ENOENT when absent).
ErrorOr<CgroupLayout> detect_cgroup_layout(const std::string& root = "/sys/fs/cgroup");

// Counters for the stats API. A value the host cannot give (a controller that is
// not mounted or not enabled, memory.peak before Linux 5.19) reads as 0 or nullopt.
struct CgroupStats {
    uint64_t memory_usage { 0 }; // bytes: v1 memory.usage_in_bytes, v2 memory.current
    std::optional<uint64_t> memory_limit; // bytes; nullopt when unlimited
    std::optional<uint64_t> memory_max_usage; // v1 memory.max_usage_in_bytes, v2 memory.peak
    std::map<std::string, uint64_t> memory_stat; // memory.stat as is (for usage minus cache)
    uint64_t cpu_usage_ns { 0 }; // v1 cpuacct.usage, v2 cpu.stat usage_usec
    uint64_t cpu_user_ns { 0 }; // v1 cpuacct.stat user (USER_HZ ticks), v2 user_usec
    uint64_t cpu_system_ns { 0 }; // v1 cpuacct.stat system, v2 system_usec
    uint64_t pids_current { 0 };
    std::optional<uint64_t> pids_limit; // nullopt when unlimited
};

// Moves `pid` into the cgroup directory `dir` (one hierarchy). On cgroup v2 a
// cgroup whose controllers are handed to its children takes no processes
// (EBUSY); the process then joins its leaf "init", made when missing, as a
// process in a container that runs its own engine must.
ErrorOr<void> join_cgroup(const std::string& dir, pid_t pid);

class Cgroup {
public:
    // Makes the cgroup at `path` ("system-docker/<id>": relative, no "..")
    // under `root`, in every hierarchy the layout uses, then applies `resources`.
    // v1: a new cpuset directory is given its parent's cpuset.cpus and .mems when
    // empty (as runc does), since a task cannot join a cpuset without them.
    // v2: every controller the runtime uses that the root offers is enabled down
    // the path; one that `resources` need and the host lacks is an error naming
    // it (ENOTSUP), one they do not need is skipped.
    // An existing cgroup is reused. On failure the directories this call made at
    // the leaf are removed again.
    static ErrorOr<Cgroup> create(
        const std::string& path, const Resources& resources, const std::string& root = "/sys/fs/cgroup");
    // An existing cgroup (live restore). ENOENT when it exists in no hierarchy;
    // hierarchies where it is missing are left out.
    static ErrorOr<Cgroup> open(const std::string& path, const std::string& root = "/sys/fs/cgroup");

    Cgroup(Cgroup&&) noexcept = default;
    Cgroup& operator=(Cgroup&&) noexcept = default;
    Cgroup(const Cgroup&) = delete;
    Cgroup& operator=(const Cgroup&) = delete;
    ~Cgroup() = default;

    CgroupLayout layout() const { return m_layout; }
    const std::string& path() const { return m_path; }
    // The absolute directory in each hierarchy, e.g. "/sys/fs/cgroup/memory/<path>".
    std::vector<std::string> directories() const;
    // The directory that holds `controller` ("memory", "freezer", …; on V2 any
    // name gives the one directory). Empty when no hierarchy has it.
    std::string directory_of(std::string_view controller) const;

    // Moves the process into the cgroup in every hierarchy.
    ErrorOr<void> add_process(pid_t pid);
    // Applies `resources` to the live cgroup: the same plan as create(), with the
    // v1 memory/swap write order chosen from the limit in force, and the v2
    // device program replaced when `resources` has device rules.
    ErrorOr<void> update(const Resources& resources);

    // Stops every task (v1 freezer.state FROZEN, v2 cgroup.freeze 1) and returns
    // once the kernel reports them all frozen. ETIMEDOUT (after thawing again)
    // when that does not happen within 10 seconds; ENOTSUP without a freezer.
    ErrorOr<void> freeze();
    // The reverse, waiting until the kernel reports the cgroup thawed.
    ErrorOr<void> thaw();
    // Whether the cgroup is frozen now; false when the state cannot be read
    // (no freezer, or the cgroup is gone).
    bool frozen() const;

    // The processes in the cgroup (v2: the leaf's cgroup.procs; v1: the freezer
    // hierarchy's, or the first hierarchy's without a freezer). None once
    // destroyed, so that kill_all() of a destroyed cgroup does nothing.
    ErrorOr<std::vector<pid_t>> processes() const;
    // Sends `signal` to every process in the cgroup. SIGKILL returns once the
    // cgroup is empty (ETIMEDOUT after 10 seconds). v2 with cgroup.kill (Linux
    // 5.14) kills atomically; otherwise, and on v1, the cgroup is frozen while
    // the processes are signalled so that none can fork away from the signal,
    // then thawed (a paused cgroup stays paused unless the signal is SIGKILL,
    // which frozen tasks only act on once thawed).
    ErrorOr<void> kill_all(int signal);

    ErrorOr<CgroupStats> stats() const;

    // Removes the cgroup's directory in every hierarchy (not the parents). A
    // directory already gone is fine. Tasks still exiting make rmdir fail with
    // EBUSY for a moment; that is retried for up to 2 seconds, after which the
    // error says how many processes remain. The object is empty afterwards.
    ErrorOr<void> destroy();

private:
    struct Hierarchy {
        std::string mount_point;
        std::vector<std::string> controllers; // v1 only, e.g. {"cpu", "cpuacct"}
        bool unified { false }; // cgroup2 (the V2 root or Hybrid's <root>/unified)
        std::string dir; // mount_point + "/" + path
        Fd fd; // the directory, O_RDONLY | O_DIRECTORY

        bool has(std::string_view controller) const;
        std::string file_path(std::string_view name) const;
        bool exists(std::string_view name) const;
        ErrorOr<std::string> read(std::string_view name) const;
        ErrorOr<void> write(std::string_view name, std::string_view value) const;
    };

    Cgroup(CgroupLayout layout, std::string root, std::string path, std::vector<Hierarchy> hierarchies)
        : m_layout(layout)
        , m_root(std::move(root))
        , m_path(std::move(path))
        , m_hierarchies(std::move(hierarchies))
    {
    }

    const Hierarchy* find(std::string_view controller) const;
    ErrorOr<void> apply(const Resources& resources);
    ErrorOr<void> wait_until_empty(int signal);

    // cgroup_v1.cpp
    static ErrorOr<std::vector<Hierarchy>> v1_hierarchies(CgroupLayout layout, const std::string& root);
    static ErrorOr<void> v1_init_cpuset(const Hierarchy& cpuset, const std::string& path);
    ErrorOr<CgroupFeatures> v1_features(const Resources& resources) const;
    ErrorOr<void> v1_apply(const std::vector<CgroupWrite>& writes);
    ErrorOr<void> v1_set_freezer(std::string_view state);
    bool v1_frozen() const;
    ErrorOr<CgroupStats> v1_stats() const;

    // cgroup_v2.cpp
    static ErrorOr<void> v2_enable_controllers(
        const std::string& root, const std::string& path, const std::vector<std::string>& required);
    CgroupFeatures v2_features() const;
    ErrorOr<void> v2_apply(const std::vector<CgroupWrite>& writes, const Resources& resources);
    ErrorOr<void> v2_set_frozen(bool frozen);
    bool v2_frozen() const;
    ErrorOr<CgroupStats> v2_stats() const;

    CgroupLayout m_layout { CgroupLayout::V2 };
    std::string m_root;
    std::string m_path;
    std::vector<Hierarchy> m_hierarchies;
};

} // namespace corral::runtime
