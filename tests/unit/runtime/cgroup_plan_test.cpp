// The pure half of the cgroup manager: the writes each layout gets for a
// container's resources (runc's conversions, exact strings, edge values), the
// mountinfo and cgroup file parsers, and the v2 device filter: the v1 rule
// emulation, the exact instruction stream, and what the program decides (run
// through a small interpreter of the instructions it uses).

#include "runtime/bpf_devices.h"
#include "runtime/cgroup_plan.h"

#include <gtest/gtest.h>

#include <ostream>

using namespace corral::runtime;

namespace corral::runtime {

// Readable failures: EXPECT_EQ on vectors of writes prints each one.
void PrintTo(const CgroupWrite& write, std::ostream* out)
{
    *out << write.controller << ":" << write.file << "=\"" << write.value << "\"";
}

} // namespace corral::runtime

namespace {

constexpr int64_t MIB = 1024 * 1024;

std::vector<CgroupWrite> plan(const Resources& resources, CgroupLayout layout, const CgroupFeatures& features = {})
{
    auto writes = plan_writes(resources, layout, features);
    EXPECT_FALSE(writes.is_error()) << writes.error().message();
    return writes.is_error() ? std::vector<CgroupWrite> {} : writes.release_value();
}

std::string plan_error(const Resources& resources, CgroupLayout layout, const CgroupFeatures& features = {})
{
    auto writes = plan_writes(resources, layout, features);
    EXPECT_TRUE(writes.is_error());
    return writes.is_error() ? writes.error().message() : std::string();
}

DeviceRule rule(bool allow, char type, int64_t major = -1, int64_t minor = -1, std::string access = "rwm")
{
    return DeviceRule { allow, type, major, minor, std::move(access) };
}

using W = CgroupWrite;

// ---- v1 ------------------------------------------------------------------

TEST(CgroupPlanV1, NothingSetWritesNothing)
{
    EXPECT_TRUE(plan({}, CgroupLayout::V1).empty());
    Resources zeros;
    zeros.memory = 0;
    zeros.memory_swap = 0;
    zeros.cpu_shares = 0;
    zeros.cpu_quota = 0;
    zeros.cpu_period = 0;
    zeros.blkio_weight = 0;
    EXPECT_TRUE(plan(zeros, CgroupLayout::V1).empty()) << "0 means unset, as in Docker";
}

TEST(CgroupPlanV1, FullPlanInOrder)
{
    Resources r;
    r.memory = 64 * MIB;
    r.memory_swap = 128 * MIB;
    r.cpu_shares = 512;
    r.cpu_quota = 50000;
    r.cpu_period = 100000;
    r.cpuset_cpus = "0-1";
    r.cpuset_mems = "0";
    r.pids_limit = 50;
    r.blkio_weight = 300;
    r.devices = { rule(false, 'a'), rule(true, 'c', 1, 3), rule(true, 'c', 136, -1, "rw") };
    std::vector<W> expected {
        { "memory", "memory.limit_in_bytes", "67108864" },
        { "memory", "memory.memsw.limit_in_bytes", "134217728" },
        { "cpu", "cpu.shares", "512" },
        { "cpu", "cpu.cfs_period_us", "100000" },
        { "cpu", "cpu.cfs_quota_us", "50000" },
        { "cpuset", "cpuset.cpus", "0-1" },
        { "cpuset", "cpuset.mems", "0" },
        { "pids", "pids.max", "50" },
        { "blkio", "blkio.weight", "300" },
        { "devices", "devices.deny", "a" },
        { "devices", "devices.allow", "c 1:3 rwm" },
        { "devices", "devices.allow", "c 136:* rw" },
    };
    EXPECT_EQ(plan(r, CgroupLayout::V1), expected);
    EXPECT_EQ(plan(r, CgroupLayout::Hybrid), expected) << "hybrid hosts have v1 controllers";
    EXPECT_EQ(plan_controllers(expected),
        (std::vector<std::string> { "memory", "cpu", "cpuset", "pids", "blkio", "devices" }));
}

TEST(CgroupPlanV1, MemoryAlone)
{
    Resources r;
    r.memory = 64 * MIB;
    EXPECT_EQ(plan(r, CgroupLayout::V1), (std::vector<W> { { "memory", "memory.limit_in_bytes", "67108864" } }));
}

TEST(CgroupPlanV1, UnlimitedMemoryMakesSwapUnlimitedFirst)
{
    Resources r;
    r.memory = -1;
    EXPECT_EQ(plan(r, CgroupLayout::V1),
        (std::vector<W> {
            { "memory", "memory.memsw.limit_in_bytes", "-1" },
            { "memory", "memory.limit_in_bytes", "-1" },
        }));
    CgroupFeatures no_swap;
    no_swap.swap_accounting = false;
    EXPECT_EQ(plan(r, CgroupLayout::V1, no_swap), (std::vector<W> { { "memory", "memory.limit_in_bytes", "-1" } }));
}

TEST(CgroupPlanV1, SwapOrderFollowsTheLimitInForce)
{
    Resources r;
    r.memory = 256 * MIB;
    r.memory_swap = 512 * MIB;
    std::vector<W> memory_first {
        { "memory", "memory.limit_in_bytes", "268435456" },
        { "memory", "memory.memsw.limit_in_bytes", "536870912" },
    };
    std::vector<W> swap_first { memory_first[1], memory_first[0] };
    // A new cgroup (limit unknown): memory first.
    EXPECT_EQ(plan(r, CgroupLayout::V1), memory_first);
    // Raising from 64 MiB: memsw must grow before memory can.
    CgroupFeatures raising;
    raising.current_memory_limit = 64 * MIB;
    EXPECT_EQ(plan(r, CgroupLayout::V1, raising), swap_first);
    // Lowering from unlimited (or any limit at or above the new swap): memory first.
    CgroupFeatures lowering;
    lowering.current_memory_limit = 512 * MIB;
    EXPECT_EQ(plan(r, CgroupLayout::V1, lowering), memory_first);
    // Unlimited swap always goes first.
    r.memory_swap = -1;
    EXPECT_EQ(plan(r, CgroupLayout::V1, lowering),
        (std::vector<W> {
            { "memory", "memory.memsw.limit_in_bytes", "-1" },
            { "memory", "memory.limit_in_bytes", "268435456" },
        }));
}

TEST(CgroupPlanV1, SwapErrors)
{
    Resources r;
    r.memory = 128 * MIB;
    r.memory_swap = 64 * MIB;
    EXPECT_EQ(plan_error(r, CgroupLayout::V1), "memory+swap limit 67108864 is below the memory limit 134217728");
    r.memory_swap = 256 * MIB;
    CgroupFeatures no_swap;
    no_swap.swap_accounting = false;
    auto error = plan_writes(r, CgroupLayout::V1, no_swap);
    ASSERT_TRUE(error.is_error());
    EXPECT_EQ(error.error().code(), ENOTSUP);
    EXPECT_NE(error.error().message().find("swapaccount=1"), std::string::npos) << error.error().message();
    r.memory_swap = -1;
    EXPECT_EQ(
        plan(r, CgroupLayout::V1, no_swap), (std::vector<W> { { "memory", "memory.limit_in_bytes", "134217728" } }))
        << "unlimited swap is dropped quietly where swap is not accounted";
    r.memory = -5;
    EXPECT_EQ(plan_error(r, CgroupLayout::V1), "invalid memory limit -5");
}

TEST(CgroupPlanV1, Cpu)
{
    Resources r;
    r.cpu_shares = 2;
    r.cpu_quota = -1;
    EXPECT_EQ(plan(r, CgroupLayout::V1),
        (std::vector<W> { { "cpu", "cpu.shares", "2" }, { "cpu", "cpu.cfs_quota_us", "-1" } }));
    Resources period_only;
    period_only.cpu_period = 250000;
    EXPECT_EQ(plan(period_only, CgroupLayout::V1), (std::vector<W> { { "cpu", "cpu.cfs_period_us", "250000" } }));
    Resources big;
    big.cpu_shares = 262144;
    big.cpu_quota = 1000;
    big.cpu_period = 1000;
    EXPECT_EQ(plan(big, CgroupLayout::V1),
        (std::vector<W> {
            { "cpu", "cpu.shares", "262144" },
            { "cpu", "cpu.cfs_period_us", "1000" },
            { "cpu", "cpu.cfs_quota_us", "1000" },
        }));
}

TEST(CgroupPlanV1, PidsMaxForZeroAndNegative)
{
    Resources r;
    r.pids_limit = 0;
    EXPECT_EQ(plan(r, CgroupLayout::V1), (std::vector<W> { { "pids", "pids.max", "max" } }));
    r.pids_limit = -1;
    EXPECT_EQ(plan(r, CgroupLayout::V1), (std::vector<W> { { "pids", "pids.max", "max" } }));
    r.pids_limit = 1;
    EXPECT_EQ(plan(r, CgroupLayout::V1), (std::vector<W> { { "pids", "pids.max", "1" } }));
}

TEST(CgroupPlanV1, BlkioWeightFile)
{
    Resources r;
    r.blkio_weight = 10;
    EXPECT_EQ(plan(r, CgroupLayout::V1), (std::vector<W> { { "blkio", "blkio.weight", "10" } }));
    CgroupFeatures bfq;
    bfq.bfq_weight = true;
    r.blkio_weight = 1000;
    EXPECT_EQ(plan(r, CgroupLayout::V1, bfq), (std::vector<W> { { "blkio", "blkio.bfq.weight", "1000" } }));
}

TEST(CgroupPlanV1, DeviceRuleStrings)
{
    EXPECT_EQ(device_rule_string(rule(false, 'a')).value(), "a");
    EXPECT_EQ(device_rule_string(rule(true, 'a', 1, 3, "r")).value(), "a") << "the kernel ignores the rest after a";
    EXPECT_EQ(device_rule_string(rule(true, 'c', 1, 3)).value(), "c 1:3 rwm");
    EXPECT_EQ(device_rule_string(rule(true, 'c', -1, -1, "m")).value(), "c *:* m");
    EXPECT_EQ(device_rule_string(rule(true, 'b', 8, -1, "rw")).value(), "b 8:* rw");
    EXPECT_EQ(device_rule_string(rule(true, 'c', 5, 1, "")).value(), "c 5:1 rwm") << "empty access means all";
    auto bad_type = device_rule_string(rule(true, 'x', 1, 3));
    ASSERT_TRUE(bad_type.is_error());
    EXPECT_EQ(bad_type.error().message(), "device rule: invalid type 'x' (expected a, c or b)");
    auto bad_access = device_rule_string(rule(true, 'c', 1, 3, "rx"));
    ASSERT_TRUE(bad_access.is_error());
    EXPECT_EQ(bad_access.error().code(), EINVAL);
    EXPECT_EQ(bad_access.error().message(), "device rule: invalid access \"rx\" (expected letters of rwm)");
}

TEST(CgroupPlanV1, DenyRulesGoToDevicesDeny)
{
    Resources r;
    r.devices = { rule(true, 'a'), rule(false, 'b', 8, 0, "w") };
    EXPECT_EQ(plan(r, CgroupLayout::V1),
        (std::vector<W> { { "devices", "devices.allow", "a" }, { "devices", "devices.deny", "b 8:0 w" } }));
    r.devices.push_back(rule(true, 'q'));
    EXPECT_EQ(plan_error(r, CgroupLayout::V1), "device rule: invalid type 'q' (expected a, c or b)");
}

// ---- v2 ------------------------------------------------------------------

TEST(CgroupPlanV2, FullPlanInOrder)
{
    Resources r;
    r.memory = 64 * MIB;
    r.memory_swap = 128 * MIB;
    r.cpu_shares = 512;
    r.cpu_quota = 50000;
    r.cpu_period = 100000;
    r.cpuset_cpus = "0";
    r.cpuset_mems = "0";
    r.pids_limit = 50;
    r.blkio_weight = 300;
    r.devices = { rule(false, 'a'), rule(true, 'c', 1, 3) };
    std::vector<W> expected {
        { "memory", "memory.max", "67108864" },
        { "memory", "memory.swap.max", "67108864" },
        { "cpu", "cpu.weight", "20" },
        { "cpu", "cpu.max", "50000 100000" },
        { "cpuset", "cpuset.cpus", "0" },
        { "cpuset", "cpuset.mems", "0" },
        { "pids", "pids.max", "50" },
        { "io", "io.weight", "2930" },
    };
    EXPECT_EQ(plan(r, CgroupLayout::V2), expected) << "devices are a BPF program, not a file";
    EXPECT_EQ(plan_controllers(expected), (std::vector<std::string> { "memory", "cpu", "cpuset", "pids", "io" }));
}

TEST(CgroupPlanV2, MemoryAndSwap)
{
    Resources r;
    r.memory = -1;
    EXPECT_EQ(plan(r, CgroupLayout::V2),
        (std::vector<W> { { "memory", "memory.max", "max" }, { "memory", "memory.swap.max", "max" } }));
    r.memory = 100;
    r.memory_swap = 100;
    EXPECT_EQ(plan(r, CgroupLayout::V2),
        (std::vector<W> { { "memory", "memory.max", "100" }, { "memory", "memory.swap.max", "0" } }))
        << "swap equal to memory: no swap";
    r.memory_swap = -1;
    EXPECT_EQ(plan(r, CgroupLayout::V2),
        (std::vector<W> { { "memory", "memory.max", "100" }, { "memory", "memory.swap.max", "max" } }));
    r.memory_swap.reset();
    EXPECT_EQ(plan(r, CgroupLayout::V2), (std::vector<W> { { "memory", "memory.max", "100" } }));
}

TEST(CgroupPlanV2, SwapErrors)
{
    Resources r;
    r.memory_swap = 128 * MIB;
    EXPECT_EQ(plan_error(r, CgroupLayout::V2), "a memory+swap limit needs a memory limit");
    r.memory = -1;
    EXPECT_EQ(plan_error(r, CgroupLayout::V2), "a memory+swap limit needs a memory limit");
    r.memory = 256 * MIB;
    EXPECT_EQ(plan_error(r, CgroupLayout::V2), "memory+swap limit 134217728 is below the memory limit 268435456");

    CgroupFeatures no_swap;
    no_swap.swap_accounting = false;
    r.memory_swap = 512 * MIB;
    auto error = plan_writes(r, CgroupLayout::V2, no_swap);
    ASSERT_TRUE(error.is_error());
    EXPECT_EQ(error.error().code(), ENOTSUP);
    r.memory_swap = 256 * MIB;
    EXPECT_EQ(plan(r, CgroupLayout::V2, no_swap), (std::vector<W> { { "memory", "memory.max", "268435456" } }));
    r.memory_swap = -1;
    EXPECT_EQ(plan(r, CgroupLayout::V2, no_swap), (std::vector<W> { { "memory", "memory.max", "268435456" } }));
}

TEST(CgroupPlanV2, CpuWeightConversion)
{
    EXPECT_EQ(cpu_shares_to_weight(2), 1u);
    EXPECT_EQ(cpu_shares_to_weight(3), 1u);
    EXPECT_EQ(cpu_shares_to_weight(512), 20u);
    EXPECT_EQ(cpu_shares_to_weight(1024), 39u);
    EXPECT_EQ(cpu_shares_to_weight(262144), 10000u);
    EXPECT_EQ(cpu_shares_to_weight(1), 1u) << "clamped to 2 first, never underflows";
    EXPECT_EQ(cpu_shares_to_weight(1000000), 10000u) << "clamped to 262144";
    Resources r;
    r.cpu_shares = 1024;
    EXPECT_EQ(plan(r, CgroupLayout::V2), (std::vector<W> { { "cpu", "cpu.weight", "39" } }));
}

TEST(CgroupPlanV2, CpuMax)
{
    Resources r;
    r.cpu_quota = 50000;
    r.cpu_period = 100000;
    EXPECT_EQ(plan(r, CgroupLayout::V2), (std::vector<W> { { "cpu", "cpu.max", "50000 100000" } }));
    r.cpu_quota.reset();
    EXPECT_EQ(plan(r, CgroupLayout::V2), (std::vector<W> { { "cpu", "cpu.max", "max 100000" } }));
    r.cpu_quota = -1;
    EXPECT_EQ(plan(r, CgroupLayout::V2), (std::vector<W> { { "cpu", "cpu.max", "max 100000" } }));
    r.cpu_period.reset();
    EXPECT_EQ(plan(r, CgroupLayout::V2), (std::vector<W> { { "cpu", "cpu.max", "max" } }))
        << "without a period the kernel keeps the one in force";
    r.cpu_quota = 25000;
    EXPECT_EQ(plan(r, CgroupLayout::V2), (std::vector<W> { { "cpu", "cpu.max", "25000" } }));
}

TEST(CgroupPlanV2, IoWeightConversion)
{
    EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
    EXPECT_EQ(blkio_weight_to_io_weight(300), 2930u);
    EXPECT_EQ(blkio_weight_to_io_weight(500), 4950u);
    EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);
    EXPECT_EQ(blkio_weight_to_io_weight(5), 1u) << "clamped to 10 first, never underflows";
    EXPECT_EQ(blkio_weight_to_io_weight(5000), 10000u);
    Resources r;
    r.blkio_weight = 300;
    CgroupFeatures bfq;
    bfq.bfq_weight = true;
    EXPECT_EQ(plan(r, CgroupLayout::V2, bfq), (std::vector<W> { { "io", "io.bfq.weight", "300" } }))
        << "BFQ takes Docker's weight as is";
}

TEST(CgroupPlanV2, PidsAndCpuset)
{
    Resources r;
    r.pids_limit = -1;
    r.cpuset_mems = "0-1";
    EXPECT_EQ(plan(r, CgroupLayout::V2),
        (std::vector<W> { { "cpuset", "cpuset.mems", "0-1" }, { "pids", "pids.max", "max" } }));
}

TEST(CgroupPlanV2, BadDeviceRuleFailsThePlan)
{
    Resources r;
    r.devices = { rule(true, 'c', 1, 3, "rwz") };
    EXPECT_EQ(plan_error(r, CgroupLayout::V2), "device rule: invalid access \"rwz\" (expected letters of rwm)");
}

// ---- parsers ---------------------------------------------------------------

// Lines from this development host, with an escaped mount point and mounts
// that are not cgroups or not directly under the root added.
constexpr std::string_view MOUNTINFO = R"(22 1 253:0 / / rw,relatime - ext4 /dev/vda rw
25 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw
30 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime shared:5 - cgroup cgroup rw,cpu
32 30 0:28 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
33 30 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
34 30 0:30 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
35 30 0:31 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
36 30 0:32 / /sys/fs/cgroup/cpu\040two rw,relatime - cgroup cgroup rw,cpuset,release_agent=/x,clone_children
37 33 0:33 / /sys/fs/cgroup/memory/deeper rw,relatime - cgroup cgroup rw,pids
38 22 0:34 / /elsewhere/memory rw,relatime - cgroup cgroup rw,blkio
39 30 0:35 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory,hugetlb
)";

TEST(CgroupMounts, ParsesMountinfo)
{
    auto mounts = parse_cgroup_mounts(MOUNTINFO, "/sys/fs/cgroup/");
    ASSERT_EQ(mounts.size(), 6u);
    EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup/cpu");
    EXPECT_EQ(mounts[0].controllers, (std::vector<std::string> { "cpu" }));
    EXPECT_FALSE(mounts[0].v2);
    EXPECT_EQ(mounts[1].mount_point, "/sys/fs/cgroup/cpuacct");
    EXPECT_EQ(mounts[2].mount_point, "/sys/fs/cgroup/systemd");
    EXPECT_EQ(mounts[2].controllers, (std::vector<std::string> { "name=systemd" }));
    EXPECT_EQ(mounts[3].mount_point, "/sys/fs/cgroup/unified");
    EXPECT_TRUE(mounts[3].v2);
    EXPECT_TRUE(mounts[3].controllers.empty());
    EXPECT_EQ(mounts[4].mount_point, "/sys/fs/cgroup/cpu two");
    EXPECT_EQ(mounts[4].controllers, (std::vector<std::string> { "cpuset" }));
    EXPECT_EQ(mounts[5].mount_point, "/sys/fs/cgroup/memory") << "the later mount over the same point wins";
    EXPECT_EQ(mounts[5].controllers, (std::vector<std::string> { "memory", "hugetlb" }));
}

TEST(CgroupMounts, PureV2Root)
{
    auto mounts
        = parse_cgroup_mounts("40 22 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n", "/sys/fs/cgroup");
    ASSERT_EQ(mounts.size(), 1u);
    EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup");
    EXPECT_TRUE(mounts[0].v2);
    EXPECT_TRUE(parse_cgroup_mounts("garbage\n\n1 2 3\n", "/sys/fs/cgroup").empty());
}

TEST(CgroupFiles, PidList)
{
    EXPECT_EQ(parse_pid_list("1\n23\n456\n").value(), (std::vector<pid_t> { 1, 23, 456 }));
    EXPECT_TRUE(parse_pid_list("").value().empty());
    auto bad = parse_pid_list("12\nabc\n");
    ASSERT_TRUE(bad.is_error());
    EXPECT_EQ(bad.error().message(), "invalid PID \"abc\" in cgroup.procs");
    EXPECT_TRUE(parse_pid_list("0\n").is_error());
}

TEST(CgroupFiles, FlatKeyed)
{
    auto stat = parse_flat_keyed("usage_usec 1234\nuser_usec 1000\nsystem_usec 234\nnr_periods 0\nbad line here\n");
    EXPECT_EQ(stat.size(), 4u);
    EXPECT_EQ(stat["usage_usec"], 1234u);
    EXPECT_EQ(stat["system_usec"], 234u);
    EXPECT_EQ(parse_flat_keyed("populated 1\nfrozen 0\n")["frozen"], 0u);
}

TEST(CgroupFiles, Limits)
{
    EXPECT_EQ(parse_limit("max\n").value(), std::nullopt);
    EXPECT_EQ(parse_limit("67108864\n").value(), std::optional<uint64_t>(67108864));
    EXPECT_EQ(parse_limit("9223372036854771712").value(), std::optional<uint64_t>(9223372036854771712ULL));
    auto bad = parse_limit("-1");
    ASSERT_TRUE(bad.is_error());
    EXPECT_EQ(bad.error().message(), "invalid cgroup value \"-1\"");
}

TEST(CgroupFiles, TicksToNanoseconds)
{
    EXPECT_EQ(ticks_to_ns(0, 100), 0u);
    EXPECT_EQ(ticks_to_ns(3, 100), 30000000u);
    EXPECT_EQ(ticks_to_ns(7, 1000), 7000000u);
}

// ---- v2 device filter ------------------------------------------------------

TEST(DeviceEmulation, DenyAllStartsAnAllowList)
{
    auto set = emulate_device_rules({ rule(false, 'a'), rule(true, 'c', 1, 3), rule(true, 'c', 1, 5, "r") }).value();
    EXPECT_FALSE(set.default_allow);
    ASSERT_EQ(set.exceptions.size(), 2u);
    EXPECT_EQ(device_rule_string(set.exceptions[0]).value(), "c 1:3 rwm");
    EXPECT_EQ(device_rule_string(set.exceptions[1]).value(), "c 1:5 r");
    EXPECT_TRUE(set.exceptions[0].allow);
}

TEST(DeviceEmulation, NoWildcardKeepsTheParentsDefault)
{
    auto set = emulate_device_rules({ rule(false, 'c', 1, 3, "w") }).value();
    EXPECT_TRUE(set.default_allow);
    ASSERT_EQ(set.exceptions.size(), 1u);
    EXPECT_FALSE(set.exceptions[0].allow);
}

TEST(DeviceEmulation, ResetMergeAndRemove)
{
    auto set = emulate_device_rules(
        {
            rule(true, 'c', 4, 1), // forgotten by the reset below
            rule(false, 'a'), rule(true, 'c', 1, 3, "r"), rule(true, 'c', 1, 3, "w"), // merges into "rw"
            rule(true, 'c', 1, 5), rule(false, 'c', 1, 5, "m"), // takes m away: "rw"
            rule(true, 'b', 8, 0, "r"), rule(false, 'b', 8, 0, "r"), // takes all away: gone
            rule(false, 'c', -1, -1, "rwm"), // matches no exception exactly: no effect
        })
                   .value();
    EXPECT_FALSE(set.default_allow);
    ASSERT_EQ(set.exceptions.size(), 2u);
    EXPECT_EQ(device_rule_string(set.exceptions[0]).value(), "c 1:3 rw");
    EXPECT_EQ(device_rule_string(set.exceptions[1]).value(), "c 1:5 rw");
    auto privileged = emulate_device_rules({ rule(false, 'a'), rule(true, 'c', 1, 3), rule(true, 'a') }).value();
    EXPECT_TRUE(privileged.default_allow);
    EXPECT_TRUE(privileged.exceptions.empty());
}

std::string show(const bpf_insn& insn)
{
    char text[64];
    snprintf(text, sizeof text, "%02x d%u s%u %+d %d", insn.code, insn.dst_reg, insn.src_reg, insn.off, insn.imm);
    return text;
}

std::vector<std::string> show(const std::vector<bpf_insn>& program)
{
    std::vector<std::string> out;
    for (const auto& insn : program)
        out.push_back(show(insn));
    return out;
}

TEST(DeviceFilter, EncodesInstructions)
{
    EXPECT_EQ(show(bpf::load_word(2, 1, 4)), "61 d2 s1 +4 0");
    EXPECT_EQ(show(bpf::and32_imm(2, 0xFFFF)), "54 d2 s0 +0 65535");
    EXPECT_EQ(show(bpf::rsh32_imm(3, 16)), "74 d3 s0 +0 16");
    EXPECT_EQ(show(bpf::mov32_reg(1, 3)), "bc d1 s3 +0 0");
    EXPECT_EQ(show(bpf::mov32_imm(0, 1)), "b4 d0 s0 +0 1");
    EXPECT_EQ(show(bpf::jne_imm(4, 136, 3)), "55 d4 s0 +3 136");
    EXPECT_EQ(show(bpf::jne_reg(1, 3, 4)), "5d d1 s3 +4 0");
    EXPECT_EQ(show(bpf::jeq_imm(1, 0, 4)), "15 d1 s0 +4 0");
    EXPECT_EQ(show(bpf::exit_insn()), "95 d0 s0 +0 0");
}

const std::vector<std::string> PROLOGUE {
    "61 d2 s1 +0 0", // r2 = access_type
    "54 d2 s0 +0 65535", // w2 &= 0xffff: the type
    "61 d3 s1 +0 0", // r3 = access_type
    "74 d3 s0 +0 16", // w3 >>= 16: the access
    "61 d4 s1 +4 0", // r4 = major
    "61 d5 s1 +8 0", // r5 = minor
};

std::vector<std::string> with_prologue(std::vector<std::string> body)
{
    std::vector<std::string> out = PROLOGUE;
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

TEST(DeviceFilter, AllowListProgram)
{
    auto program = device_filter_program({ rule(false, 'a'), rule(true, 'c', 1, 3), rule(true, 'c', 1, 5, "r") });
    ASSERT_FALSE(program.is_error()) << program.error().message();
    EXPECT_EQ(show(program.value()),
        with_prologue({
            // c 1:3 rwm: no access check
            "55 d2 s0 +4 2", // if type != char goto next
            "55 d4 s0 +3 1", // if major != 1 goto next
            "55 d5 s0 +2 3", // if minor != 3 goto next
            "b4 d0 s0 +0 1", // allow
            "95 d0 s0 +0 0",
            // c 1:5 r
            "55 d2 s0 +7 2",
            "bc d1 s3 +0 0", // w1 = access
            "54 d1 s0 +0 2", // w1 &= read
            "5d d1 s3 +4 0", // if w1 != access (something beyond read asked) goto next
            "55 d4 s0 +3 1",
            "55 d5 s0 +2 5",
            "b4 d0 s0 +0 1",
            "95 d0 s0 +0 0",
            // default: deny
            "b4 d0 s0 +0 0",
            "95 d0 s0 +0 0",
        }));
}

TEST(DeviceFilter, DenyListProgramAndWildcards)
{
    auto program = device_filter_program({ rule(true, 'a'), rule(false, 'c', 1, 3, "w"), rule(false, 'b', -1, -1) });
    ASSERT_FALSE(program.is_error()) << program.error().message();
    EXPECT_EQ(show(program.value()),
        with_prologue({
            // deny c 1:3 w: matches when any asked access is listed
            "55 d2 s0 +7 2",
            "bc d1 s3 +0 0",
            "54 d1 s0 +0 4", // w1 &= write
            "15 d1 s0 +4 0", // if w1 == 0 goto next
            "55 d4 s0 +3 1",
            "55 d5 s0 +2 3",
            "b4 d0 s0 +0 0", // deny
            "95 d0 s0 +0 0",
            // deny b *:* rwm: the type alone
            "55 d2 s0 +2 1",
            "b4 d0 s0 +0 0",
            "95 d0 s0 +0 0",
            // default: allow
            "b4 d0 s0 +0 1",
            "95 d0 s0 +0 0",
        }));
}

TEST(DeviceFilter, EmptyAndErrors)
{
    EXPECT_EQ(show(device_filter_program({}).value()), with_prologue({ "b4 d0 s0 +0 1", "95 d0 s0 +0 0" }));
    auto big = device_filter_program({ rule(true, 'c', int64_t(1) << 31, 0) });
    ASSERT_TRUE(big.is_error());
    EXPECT_EQ(big.error().message(), "device rule: major 2147483648 is too large");
    EXPECT_TRUE(device_filter_program({ rule(true, 'z') }).is_error());
}

// Runs a device program the way the kernel would for one access: just the
// instructions device_filter_program emits.
int run_filter(const std::vector<bpf_insn>& program, int type, int access, uint32_t major, uint32_t minor)
{
    uint64_t r[11] = {};
    uint32_t context[3] = { static_cast<uint32_t>(type | (access << 16)), major, minor };
    for (size_t pc = 0; pc < program.size(); ++pc) {
        const bpf_insn& insn = program[pc];
        uint64_t& dst = r[insn.dst_reg];
        auto imm = static_cast<uint64_t>(static_cast<int64_t>(insn.imm));
        switch (insn.code) {
        case BPF_LDX | BPF_MEM | BPF_W:
            EXPECT_EQ(insn.src_reg, 1);
            dst = context[insn.off / 4];
            break;
        case BPF_ALU | BPF_AND | BPF_K:
            dst = static_cast<uint32_t>(dst) & static_cast<uint32_t>(insn.imm);
            break;
        case BPF_ALU | BPF_RSH | BPF_K:
            dst = static_cast<uint32_t>(dst) >> insn.imm;
            break;
        case BPF_ALU | BPF_MOV | BPF_X:
            dst = static_cast<uint32_t>(r[insn.src_reg]);
            break;
        case BPF_ALU | BPF_MOV | BPF_K:
            dst = static_cast<uint32_t>(insn.imm);
            break;
        case BPF_JMP | BPF_JNE | BPF_K:
            if (dst != imm)
                pc += insn.off;
            break;
        case BPF_JMP | BPF_JNE | BPF_X:
            if (dst != r[insn.src_reg])
                pc += insn.off;
            break;
        case BPF_JMP | BPF_JEQ | BPF_K:
            if (dst == imm)
                pc += insn.off;
            break;
        case BPF_JMP | BPF_EXIT:
            return static_cast<int>(r[0]);
        default:
            ADD_FAILURE() << "unexpected instruction " << show(insn);
            return -1;
        }
    }
    ADD_FAILURE() << "fell off the end of the program";
    return -1;
}

constexpr int CHR = BPF_DEVCG_DEV_CHAR;
constexpr int BLK = BPF_DEVCG_DEV_BLOCK;
constexpr int R = BPF_DEVCG_ACC_READ, WR = BPF_DEVCG_ACC_WRITE, MK = BPF_DEVCG_ACC_MKNOD;

TEST(DeviceFilter, DecidesLikeV1)
{
    // Docker's default list, shortened: deny all, then allow a few.
    auto docker = device_filter_program({
                                            rule(false, 'a'),
                                            rule(true, 'c', -1, -1, "m"),
                                            rule(true, 'b', -1, -1, "m"),
                                            rule(true, 'c', 1, 3),
                                            rule(true, 'c', 136, -1),
                                            rule(true, 'c', 1, 9, "r"),
                                            rule(true, 'c', 1, 9, "w"),
                                        })
                      .value();
    EXPECT_EQ(run_filter(docker, CHR, R | WR, 1, 3), 1) << "/dev/null";
    EXPECT_EQ(run_filter(docker, CHR, R, 1, 5), 0) << "/dev/zero is not listed";
    EXPECT_EQ(run_filter(docker, CHR, MK, 1, 5), 1) << "mknod of any char device";
    EXPECT_EQ(run_filter(docker, BLK, MK, 8, 0), 1);
    EXPECT_EQ(run_filter(docker, BLK, R, 8, 0), 0);
    EXPECT_EQ(run_filter(docker, CHR, R | WR, 136, 7), 1) << "any pty";
    EXPECT_EQ(run_filter(docker, BLK, R | WR, 136, 7), 0) << "the type matters";
    EXPECT_EQ(run_filter(docker, CHR, R | WR, 1, 9), 1) << "r and w rules merge for an O_RDWR open";
    EXPECT_EQ(run_filter(docker, CHR, R | MK, 1, 9), 0) << "m is not among them";

    auto deny_list = device_filter_program({ rule(true, 'a'), rule(false, 'c', 1, 3, "w") }).value();
    EXPECT_EQ(run_filter(deny_list, CHR, R, 1, 3), 1);
    EXPECT_EQ(run_filter(deny_list, CHR, R | WR, 1, 3), 0) << "refused when any of the access is denied";
    EXPECT_EQ(run_filter(deny_list, CHR, WR, 1, 5), 1);
    EXPECT_EQ(run_filter(deny_list, BLK, WR, 1, 3), 1);
}

} // namespace
