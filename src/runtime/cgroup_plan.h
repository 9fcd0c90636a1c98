#pragma once

// The pure half of the cgroup manager: which cgroup files get which values, in
// which order, for a container's Resources; how cgroup mounts and cgroup files
// read. No kernel access here, so all of it is unit-tested without root
// (tests/unit/runtime/cgroup_plan_test.cpp). The executing half is cgroup.h.
//
// The conversions are runc's (and so Docker's), so that a compose file gives the
// same limits under CorralOS as under Docker on the same kernel:
//   v1                                  v2
//   memory.limit_in_bytes               memory.max           ("max" for -1)
//   memory.memsw.limit_in_bytes         memory.swap.max      = memory_swap - memory ("max" for -1)
//   cpu.shares                          cpu.weight           = 1 + ((shares - 2) * 9999) / 262142
//   cpu.cfs_period_us, cpu.cfs_quota_us cpu.max              "quota period", "max period" without a quota
//   cpuset.cpus, cpuset.mems            cpuset.cpus, cpuset.mems
//   pids.max                            pids.max             ("max" for <= 0)
//   blkio.weight (blkio.bfq.weight)     io.weight            = 1 + (weight - 10) * 9999 / 990,
//                                       or io.bfq.weight     = weight when the kernel has BFQ
//   devices.deny, devices.allow         a BPF program (bpf_devices.h), not a file

#include "base/error.h"
#include "runtime/spec.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::runtime {

// How the host mounts cgroups.
enum class CgroupLayout {
    V1, // one cgroup (v1) mount per controller group under the root, no cgroup2
    Hybrid, // v1 controllers as above, plus an (often empty) cgroup2 at <root>/unified
    V2, // one cgroup2 mount at the root holding every controller
};

std::string_view cgroup_layout_name(CgroupLayout layout); // "v1", "hybrid", "v2"

// One write into a cgroup file. `controller` names the hierarchy on v1 ("memory",
// "cpu", "cpuset", "pids", "blkio", "devices") and the controller that must be
// enabled on v2 ("memory", "cpu", "cpuset", "pids", "io").
struct CgroupWrite {
    std::string controller;
    std::string file;
    std::string value;

    bool operator==(const CgroupWrite&) const = default;
};

// What the kernel offers, probed by the executor before planning. The defaults
// describe a common kernel: swap accounting on, no BFQ weight file.
struct CgroupFeatures {
    // v1 memory.memsw.limit_in_bytes / v2 memory.swap.max exist (off when the
    // kernel was booted with swapaccount=0 or built without it).
    bool swap_accounting { true };
    // Use the BFQ scheduler's weight file: on v1 when blkio.weight is absent and
    // blkio.bfq.weight is there (CFQ, which owned blkio.weight, left in Linux 5.0;
    // this host, 6.18, only has blkio.bfq.weight); on v2 whenever io.bfq.weight
    // exists, as runc does. BFQ weights take Docker's 10-1000 unconverted.
    bool bfq_weight { false };
    // v1 only: memory.limit_in_bytes now in force. When both memory and swap
    // are set, the kernel insists on memsw >= memory at every step, so an
    // update that raises both must write memsw first (runc's rule: memsw first
    // when it is -1 or above the current memory limit). Unknown (a new cgroup):
    // memory first.
    std::optional<int64_t> current_memory_limit;
};

// The writes that apply `resources`, in the order they must happen. Fields that
// are unset (or 0, which Docker uses for "unset" in memory, swap, cpu and blkio
// fields) produce no write. Hybrid plans like V1: its controllers are v1.
// Errors (EINVAL unless noted): a swap limit below the memory limit, a v2 swap
// limit without a memory limit, a device rule of unknown type or access, and
// (ENOTSUP) a swap limit when the kernel does not account swap.
ErrorOr<std::vector<CgroupWrite>> plan_writes(
    const Resources& resources, CgroupLayout layout, const CgroupFeatures& features = {});

// The controllers a plan writes to, each once, in first-use order.
std::vector<std::string> plan_controllers(const std::vector<CgroupWrite>& writes);

// Conversions, exposed for tests and for the API's inspect output.
// Shares outside the kernel's 2..262144 are clamped first (v1 clamps them too).
uint64_t cpu_shares_to_weight(uint64_t shares);
// Weights outside Docker's 10..1000 are clamped first.
uint64_t blkio_weight_to_io_weight(uint64_t weight);
// A rule as devices.allow/devices.deny read it: "c 1:3 rwm", "b *:* r", "a".
ErrorOr<std::string> device_rule_string(const DeviceRule& rule);

// A cgroup file system mounted directly under the cgroup root.
struct CgroupMount {
    std::string mount_point; // "/sys/fs/cgroup/memory"
    bool v2 { false }; // cgroup2
    // v1 controllers from the super options, e.g. {"cpu", "cpuacct"} or
    // {"name=systemd"}; empty for cgroup2.
    std::vector<std::string> controllers;
};

// The cgroup and cgroup2 mounts in /proc/self/mountinfo text whose mount point
// is `root` itself or directly below it. A mount point listed twice (mounted
// over) counts once, as its last mount. Octal escapes ("\040") are decoded.
std::vector<CgroupMount> parse_cgroup_mounts(std::string_view mountinfo, std::string_view root);

// Reading cgroup files.
// cgroup.procs: one PID a line. Errors on anything that is not a PID.
ErrorOr<std::vector<pid_t>> parse_pid_list(std::string_view text);
// "key value" lines (cpu.stat, memory.stat, cpuacct.stat, cgroup.events).
// Lines that do not have that form are skipped.
std::map<std::string, uint64_t> parse_flat_keyed(std::string_view text);
// A single number; "max" reads as nullopt (unlimited). EINVAL otherwise.
ErrorOr<std::optional<uint64_t>> parse_limit(std::string_view text);
// cpuacct.stat counts in USER_HZ ticks; this is the same in nanoseconds.
uint64_t ticks_to_ns(uint64_t ticks, long ticks_per_second);

} // namespace corral::runtime
