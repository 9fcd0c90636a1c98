// cgroup v1 (and the v1 half of the hybrid layout): one directory per mounted
// hierarchy, limits written to each controller's own files, the freezer
// controller for pause, cpuacct for CPU time.

#include "runtime/cgroup.h"

#include "base/file.h"
#include "base/strings.h"
#include "base/system.h"

#include <algorithm>
#include <chrono>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

namespace corral::runtime {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// The hierarchies a container joins: those with a controller the runtime sets
// or reads, and systemd's named hierarchy so that systemd tools see the
// container where it is.
constexpr std::string_view USED_CONTROLLERS[]
    = { "memory", "cpu", "cpuacct", "cpuset", "pids", "blkio", "devices", "freezer", "name=systemd" };

bool used(const CgroupMount& mount)
{
    return std::any_of(mount.controllers.begin(), mount.controllers.end(), [](const std::string& controller) {
        return std::find(std::begin(USED_CONTROLLERS), std::end(USED_CONTROLLERS), controller)
            != std::end(USED_CONTROLLERS);
    });
}

} // namespace

ErrorOr<std::vector<Cgroup::Hierarchy>> Cgroup::v1_hierarchies(CgroupLayout layout, const std::string& root)
{
    auto mountinfo = TRY(read_file("/proc/self/mountinfo"));
    std::string unified = path_join(root, "unified");
    std::vector<Hierarchy> out;
    for (auto& mount : parse_cgroup_mounts(mountinfo, root)) {
        if (mount.v2 ? !(layout == CgroupLayout::Hybrid && mount.mount_point == unified) : !used(mount))
            continue;
        Hierarchy hierarchy;
        hierarchy.mount_point = mount.mount_point;
        hierarchy.controllers = std::move(mount.controllers);
        hierarchy.unified = mount.v2;
        out.push_back(std::move(hierarchy));
    }
    if (out.empty())
        return Error::from_errno(ENOENT, "no cgroup hierarchies mounted under '" + root + "'");
    return out;
}

ErrorOr<void> Cgroup::v1_init_cpuset(const Hierarchy& cpuset, const std::string& path)
{
    // A v1 cpuset starts with no CPUs and no memory nodes, and no task can join
    // it until both are set; give each directory on the way down its parent's,
    // as runc does, unless it has its own.
    std::string parent = cpuset.mount_point;
    for (const auto& part : split(path, '/')) {
        std::string dir = parent + "/" + part;
        for (const char* file : { "cpuset.cpus", "cpuset.mems" }) {
            auto mine = TRY(read_file(dir + "/" + file));
            if (!trim(mine).empty())
                continue;
            auto theirs = TRY(read_file(parent + "/" + file));
            std::string value(trim(theirs));
            // Ancestors have no Hierarchy of their own; borrow one for its writer.
            auto fd = TRY(sys::open(dir, O_RDONLY | O_DIRECTORY));
            Hierarchy at;
            at.dir = dir;
            at.fd = std::move(fd);
            TRY(at.write(file, value));
        }
        parent = dir;
    }
    return {};
}

ErrorOr<CgroupFeatures> Cgroup::v1_features(const Resources& resources) const
{
    CgroupFeatures features;
    if (const Hierarchy* memory = find("memory")) {
        features.swap_accounting = memory->exists("memory.memsw.limit_in_bytes");
        if (resources.memory.value_or(0) != 0 && resources.memory_swap.value_or(0) != 0) {
            auto current = TRY(memory->read("memory.limit_in_bytes"));
            auto limit = TRY_CONTEXT(parse_limit(current), "'" + memory->file_path("memory.limit_in_bytes") + "'");
            // The "unlimited" value is near 2^63 and stays below any int64_t; cap
            // it all the same.
            if (limit)
                features.current_memory_limit = static_cast<int64_t>(std::min<uint64_t>(*limit, INT64_MAX));
        }
    }
    if (const Hierarchy* blkio = find("blkio"))
        features.bfq_weight = !blkio->exists("blkio.weight") && blkio->exists("blkio.bfq.weight");
    return features;
}

ErrorOr<void> Cgroup::v1_apply(const std::vector<CgroupWrite>& writes)
{
    for (size_t i = 0; i < writes.size(); ++i) {
        const CgroupWrite& write = writes[i];
        const Hierarchy* hierarchy = find(write.controller);
        if (!hierarchy)
            return Error::from_string(
                "cgroup controller '" + write.controller + "' is not mounted under '" + m_root + "'", ENOTSUP);
        auto result = hierarchy->write(write.file, write.value);
        if (!result.is_error())
            continue;
        // The kernel refuses a period when the quota now in force over the new
        // period would exceed the parent's limit; the quota about to be written
        // may fix that, so write it first and the period again (runc does this).
        bool quota_next = i + 1 < writes.size() && writes[i + 1].file == "cpu.cfs_quota_us";
        if (write.file == "cpu.cfs_period_us" && result.error().code() == EINVAL && quota_next) {
            TRY(hierarchy->write(writes[i + 1].file, writes[i + 1].value));
            TRY(hierarchy->write(write.file, write.value));
            ++i;
            continue;
        }
        return result.release_error();
    }
    return {};
}

ErrorOr<void> Cgroup::v1_set_freezer(std::string_view state)
{
    const Hierarchy* freezer = find("freezer");
    if (!freezer)
        return Error::from_string("no freezer cgroup hierarchy under '" + m_root + "'", ENOTSUP);
    auto deadline = Clock::now() + 10s;
    auto pause = 1ms;
    for (;;) {
        // Writing FROZEN again nudges a cgroup stuck in FREEZING (a task that was
        // in the middle of a vfork, say); runc does the same.
        TRY(freezer->write("freezer.state", state));
        std::string now(trim(TRY(freezer->read("freezer.state"))));
        if (now == state)
            return {};
        if (Clock::now() > deadline) {
            if (state == "FROZEN")
                (void)freezer->write(
                    "freezer.state", "THAWED"); // do not leave it half frozen; the timeout is the error
            return Error::from_errno(ETIMEDOUT,
                "set '" + freezer->file_path("freezer.state") + "' to " + std::string(state) + " (it reads "
                    + std::string(now) + ")");
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, 50ms);
    }
}

bool Cgroup::v1_frozen() const
{
    const Hierarchy* freezer = find("freezer");
    if (!freezer)
        return false;
    auto state = freezer->read("freezer.state");
    return !state.is_error() && trim(state.value()) == "FROZEN";
}

namespace {

ErrorOr<uint64_t> read_number(const std::string& file, const std::string& text)
{
    auto limit = TRY_CONTEXT(parse_limit(text), "'" + file + "'");
    return limit.value_or(UINT64_MAX);
}

// v1 memory.limit_in_bytes and memory.memsw.limit_in_bytes read as
// PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB pages) when unlimited.
constexpr uint64_t V1_UNLIMITED_FROM = uint64_t(1) << 62;

} // namespace

ErrorOr<CgroupStats> Cgroup::v1_stats() const
{
    CgroupStats stats;
    if (const Hierarchy* memory = find("memory")) {
        auto number = [&](const char* file) -> ErrorOr<uint64_t> {
            return read_number(memory->file_path(file), TRY(memory->read(file)));
        };
        stats.memory_usage = TRY(number("memory.usage_in_bytes"));
        uint64_t limit = TRY(number("memory.limit_in_bytes"));
        if (limit < V1_UNLIMITED_FROM)
            stats.memory_limit = limit;
        stats.memory_max_usage = TRY(number("memory.max_usage_in_bytes"));
        stats.memory_stat = parse_flat_keyed(TRY(memory->read("memory.stat")));
    }
    if (const Hierarchy* cpuacct = find("cpuacct")) {
        auto usage = TRY(cpuacct->read("cpuacct.usage"));
        stats.cpu_usage_ns = TRY(read_number(cpuacct->file_path("cpuacct.usage"), usage));
        auto times = parse_flat_keyed(TRY(cpuacct->read("cpuacct.stat")));
        long hz = ::sysconf(_SC_CLK_TCK);
        stats.cpu_user_ns = ticks_to_ns(times["user"], hz);
        stats.cpu_system_ns = ticks_to_ns(times["system"], hz);
    }
    if (const Hierarchy* pids = find("pids")) {
        stats.pids_current = TRY(read_number(pids->file_path("pids.current"), TRY(pids->read("pids.current"))));
        auto max = TRY(pids->read("pids.max"));
        stats.pids_limit = TRY_CONTEXT(parse_limit(max), "'" + pids->file_path("pids.max") + "'");
    }
    return stats;
}

} // namespace corral::runtime
