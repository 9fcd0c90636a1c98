// cgroup v2: one directory in the unified hierarchy; controllers enabled from
// the root down; cgroup.freeze and cgroup.kill from the core; device rules as a
// BPF program.

#include "runtime/bpf_devices.h"
#include "runtime/cgroup.h"

#include "base/file.h"
#include "base/strings.h"
#include "base/system.h"

#include <algorithm>
#include <chrono>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>

namespace corral::runtime {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Enabled whenever the host offers them, so that stats and later updates work
// even when the container's first limits do not need them.
constexpr std::string_view USED_CONTROLLERS[] = { "cpuset", "cpu", "io", "memory", "pids" };

std::vector<std::string> words(std::string_view text)
{
    std::vector<std::string> out;
    for (const auto& word : split(trim(text), ' ')) {
        if (!word.empty())
            out.push_back(word);
    }
    return out;
}

bool contains(const std::vector<std::string>& list, std::string_view item)
{
    return std::find(list.begin(), list.end(), item) != list.end();
}

} // namespace

ErrorOr<void> Cgroup::v2_enable_controllers(
    const std::string& root, const std::string& path, const std::vector<std::string>& required)
{
    auto available = words(TRY(read_file(root + "/cgroup.controllers")));
    std::vector<std::string> missing;
    for (const auto& controller : required) {
        if (!contains(available, controller))
            missing.push_back(controller);
    }
    if (!missing.empty())
        return Error::from_string("cgroup controllers the container's limits need are not available in '" + root
                + "': " + join(missing, ", ") + " (cgroup.controllers has \"" + join(available, " ") + "\")",
            ENOTSUP);
    std::vector<std::string> wanted;
    for (auto controller : USED_CONTROLLERS) {
        if (contains(available, controller))
            wanted.emplace_back(controller);
    }

    // Each ancestor of the leaf delegates the controllers to its children: the
    // root first, then down the path. A controller an ancestor refuses (EBUSY
    // when it has processes of its own, EOPNOTSUPP in a threaded subtree) is an
    // error only if the limits need it; otherwise it is left off from there on.
    auto parts = split(path, '/');
    std::string dir = root;
    for (size_t i = 0; i < parts.size(); ++i) {
        Hierarchy at;
        at.dir = dir;
        at.fd = TRY(sys::open(dir, O_RDONLY | O_DIRECTORY));
        auto enabled = words(TRY(at.read("cgroup.subtree_control")));
        for (auto it = wanted.begin(); it != wanted.end();) {
            if (contains(enabled, *it)) {
                ++it;
                continue;
            }
            auto result = at.write("cgroup.subtree_control", "+" + *it);
            if (result.is_error()) {
                if (contains(required, *it))
                    return result.release_error();
                it = wanted.erase(it);
                continue;
            }
            ++it;
        }
        dir += "/" + parts[i];
        // The leaf itself is made by create(), which tracks it for cleanup.
        if (i + 1 < parts.size() && ::mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST)
            return Error::from_syscall("mkdir '" + dir + "'");
    }
    return {};
}

CgroupFeatures Cgroup::v2_features() const
{
    CgroupFeatures features;
    const Hierarchy& leaf = m_hierarchies.front();
    // memory.swap.max exists whenever the memory controller is enabled and the
    // kernel accounts swap.
    features.swap_accounting = !leaf.exists("memory.current") || leaf.exists("memory.swap.max");
    features.bfq_weight = leaf.exists("io.bfq.weight");
    return features;
}

ErrorOr<void> Cgroup::v2_apply(const std::vector<CgroupWrite>& writes, const Resources& resources)
{
    const Hierarchy& leaf = m_hierarchies.front();
    for (const auto& write : writes)
        TRY(leaf.write(write.file, write.value));
    if (!resources.devices.empty())
        TRY(apply_device_filter(leaf.fd.get(), leaf.dir, resources.devices));
    return {};
}

namespace {

ErrorOr<std::optional<uint64_t>> events_value(const std::string& text, const char* key)
{
    auto events = parse_flat_keyed(text);
    auto it = events.find(key);
    if (it == events.end())
        return std::optional<uint64_t> {};
    return std::optional<uint64_t>(it->second);
}

} // namespace

ErrorOr<void> Cgroup::v2_set_frozen(bool frozen)
{
    const Hierarchy& leaf = m_hierarchies.front();
    if (!leaf.exists("cgroup.freeze"))
        return Error::from_errno(ENOTSUP, "freeze '" + leaf.file_path("cgroup.freeze") + "' (Linux 5.2 or later)");
    TRY(leaf.write("cgroup.freeze", frozen ? "1" : "0"));
    // cgroup.events reports "frozen 1" once every task has stopped; the write
    // returns before that.
    auto deadline = Clock::now() + 10s;
    auto pause = 1ms;
    for (;;) {
        auto state = TRY(events_value(TRY(leaf.read("cgroup.events")), "frozen"));
        if (state && *state == (frozen ? 1u : 0u))
            return {};
        if (Clock::now() > deadline) {
            if (frozen)
                (void)leaf.write("cgroup.freeze", "0"); // do not leave it half frozen; the timeout is the error
            return Error::from_errno(ETIMEDOUT,
                std::string(frozen ? "freeze" : "thaw") + " '" + leaf.dir + "' (cgroup.events never said frozen "
                    + (frozen ? "1" : "0") + ")");
        }
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, 50ms);
    }
}

bool Cgroup::v2_frozen() const
{
    if (m_hierarchies.empty())
        return false;
    auto text = m_hierarchies.front().read("cgroup.events");
    if (text.is_error())
        return false;
    auto state = events_value(text.value(), "frozen");
    return !state.is_error() && state.value() == 1u;
}

ErrorOr<CgroupStats> Cgroup::v2_stats() const
{
    const Hierarchy& leaf = m_hierarchies.front();
    auto number = [&](const char* file) -> ErrorOr<std::optional<uint64_t>> {
        auto text = TRY(leaf.read(file));
        return TRY_CONTEXT(parse_limit(text), "'" + leaf.file_path(file) + "'");
    };
    CgroupStats stats;
    // The memory and pids files exist only where those controllers are enabled.
    if (leaf.exists("memory.current")) {
        stats.memory_usage = TRY(number("memory.current")).value_or(0);
        stats.memory_limit = TRY(number("memory.max"));
        if (leaf.exists("memory.peak")) // Linux 5.19
            stats.memory_max_usage = TRY(number("memory.peak"));
        stats.memory_stat = parse_flat_keyed(TRY(leaf.read("memory.stat")));
    }
    // cpu.stat is a core file: there even without the cpu controller.
    auto cpu = parse_flat_keyed(TRY(leaf.read("cpu.stat")));
    stats.cpu_usage_ns = cpu["usage_usec"] * 1000;
    stats.cpu_user_ns = cpu["user_usec"] * 1000;
    stats.cpu_system_ns = cpu["system_usec"] * 1000;
    if (leaf.exists("pids.current")) {
        stats.pids_current = TRY(number("pids.current")).value_or(0);
        stats.pids_limit = TRY(number("pids.max"));
    }
    return stats;
}

} // namespace corral::runtime
