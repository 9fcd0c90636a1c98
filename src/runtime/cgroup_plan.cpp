#include "runtime/cgroup_plan.h"
#include "runtime/mount_options.h"

#include "base/file.h"
#include "base/strings.h"

#include <algorithm>
#include <charconv>

namespace corral::runtime {

std::string_view cgroup_layout_name(CgroupLayout layout)
{
    switch (layout) {
    case CgroupLayout::V1:
        return "v1";
    case CgroupLayout::Hybrid:
        return "hybrid";
    case CgroupLayout::V2:
        return "v2";
    }
    return "unknown";
}

uint64_t cpu_shares_to_weight(uint64_t shares)
{
    shares = std::clamp<uint64_t>(shares, 2, 262144);
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight)
{
    weight = std::clamp<uint64_t>(weight, 10, 1000);
    return 1 + (weight - 10) * 9999 / 990;
}

namespace {

std::string device_number(int64_t number)
{
    return number < 0 ? "*" : std::to_string(number);
}

ErrorOr<void> check_access(const DeviceRule& rule)
{
    for (char c : rule.access) {
        if (c != 'r' && c != 'w' && c != 'm')
            return Error::from_string("device rule: invalid access \"" + rule.access + "\" (expected letters of rwm)");
    }
    return {};
}

} // namespace

ErrorOr<std::string> device_rule_string(const DeviceRule& rule)
{
    // The kernel reads any line that starts with 'a' as "all devices", ignoring
    // the rest, so "a" is all there is to say.
    if (rule.type == 'a')
        return std::string("a");
    if (rule.type != 'c' && rule.type != 'b')
        return Error::from_string(std::string("device rule: invalid type '") + rule.type + "' (expected a, c or b)");
    TRY(check_access(rule));
    // An empty access means all of them, as in the OCI spec.
    std::string access = rule.access.empty() ? "rwm" : rule.access;
    return std::string(1, rule.type) + ' ' + device_number(rule.major) + ':' + device_number(rule.minor) + ' ' + access;
}

namespace {

// Docker and runc read 0 in these fields as "not set".
template<typename T>
std::optional<T> set_value(const std::optional<T>& value)
{
    if (value && *value != 0)
        return value;
    return std::nullopt;
}

ErrorOr<void> plan_memory_v1(const Resources& r, const CgroupFeatures& features, std::vector<CgroupWrite>& out)
{
    auto memory = set_value(r.memory);
    auto swap = set_value(r.memory_swap);
    if (memory && *memory < -1)
        return Error::from_string("invalid memory limit " + std::to_string(*memory));
    if (swap && *swap < -1)
        return Error::from_string("invalid memory+swap limit " + std::to_string(*swap));
    // runc: unlimited memory with swap unset means unlimited swap as well.
    if (memory == -1 && !swap && features.swap_accounting)
        swap = -1;
    if (swap && !features.swap_accounting) {
        // Unlimited is what the kernel does anyway; anything else cannot be had.
        if (*swap != -1)
            return Error::from_string("a memory+swap limit needs swap accounting, and memory.memsw.limit_in_bytes "
                                      "is missing (boot the kernel with swapaccount=1)",
                ENOTSUP);
        swap.reset();
    }
    if (memory && swap && *memory > 0 && *swap > 0 && *swap < *memory)
        return Error::from_string(
            "memory+swap limit " + std::to_string(*swap) + " is below the memory limit " + std::to_string(*memory));

    CgroupWrite memory_write { "memory", "memory.limit_in_bytes", memory ? std::to_string(*memory) : "" };
    CgroupWrite swap_write { "memory", "memory.memsw.limit_in_bytes", swap ? std::to_string(*swap) : "" };
    if (memory && swap) {
        bool swap_first = *swap == -1 || (features.current_memory_limit && *features.current_memory_limit < *swap);
        if (swap_first) {
            out.push_back(swap_write);
            out.push_back(memory_write);
        } else {
            out.push_back(memory_write);
            out.push_back(swap_write);
        }
    } else if (memory) {
        out.push_back(memory_write);
    } else if (swap) {
        out.push_back(swap_write);
    }
    return {};
}

ErrorOr<void> plan_memory_v2(const Resources& r, const CgroupFeatures& features, std::vector<CgroupWrite>& out)
{
    auto memory = set_value(r.memory);
    auto swap = set_value(r.memory_swap);
    if (memory && *memory < -1)
        return Error::from_string("invalid memory limit " + std::to_string(*memory));
    if (swap && *swap < -1)
        return Error::from_string("invalid memory+swap limit " + std::to_string(*swap));
    if (memory)
        out.push_back({ "memory", "memory.max", *memory == -1 ? "max" : std::to_string(*memory) });

    // v2 limits swap alone; Docker's field is memory + swap (runc's
    // ConvertMemorySwapToCgroupV2Value).
    std::optional<int64_t> swap_only; // -1: max
    if (memory == -1 && !swap) {
        swap_only = -1;
    } else if (swap == -1) {
        swap_only = -1;
    } else if (swap) {
        if (!memory || *memory == -1)
            return Error::from_string("a memory+swap limit needs a memory limit");
        if (*swap < *memory)
            return Error::from_string(
                "memory+swap limit " + std::to_string(*swap) + " is below the memory limit " + std::to_string(*memory));
        swap_only = *swap - *memory;
    }
    if (!swap_only)
        return {};
    if (!features.swap_accounting) {
        // Unlimited swap, or none at all when swap equals memory, are harmless to
        // drop when the kernel cannot limit swap (runc does the same).
        if (*swap_only == -1 || (memory && swap && *swap == *memory))
            return {};
        return Error::from_string("a memory+swap limit needs swap accounting, and memory.swap.max is missing", ENOTSUP);
    }
    out.push_back({ "memory", "memory.swap.max", *swap_only == -1 ? "max" : std::to_string(*swap_only) });
    return {};
}

std::string pids_value(int64_t limit)
{
    return limit > 0 ? std::to_string(limit) : "max";
}

ErrorOr<std::vector<CgroupWrite>> plan_v1(const Resources& r, const CgroupFeatures& features)
{
    std::vector<CgroupWrite> out;
    TRY(plan_memory_v1(r, features, out));
    if (auto shares = set_value(r.cpu_shares))
        out.push_back({ "cpu", "cpu.shares", std::to_string(*shares) });
    // The period first: the quota is checked against it. (The executor retries a
    // period the kernel refuses after the quota, runc's workaround for a parent
    // whose quota the old quota/new period ratio would exceed.)
    if (auto period = set_value(r.cpu_period))
        out.push_back({ "cpu", "cpu.cfs_period_us", std::to_string(*period) });
    if (auto quota = set_value(r.cpu_quota))
        out.push_back({ "cpu", "cpu.cfs_quota_us", *quota < 0 ? "-1" : std::to_string(*quota) });
    if (!r.cpuset_cpus.empty())
        out.push_back({ "cpuset", "cpuset.cpus", r.cpuset_cpus });
    if (!r.cpuset_mems.empty())
        out.push_back({ "cpuset", "cpuset.mems", r.cpuset_mems });
    if (r.pids_limit)
        out.push_back({ "pids", "pids.max", pids_value(*r.pids_limit) });
    if (auto weight = set_value(r.blkio_weight))
        out.push_back({ "blkio", features.bfq_weight ? "blkio.bfq.weight" : "blkio.weight", std::to_string(*weight) });
    // Rules go in their order; the kernel applies each to the state the ones
    // before left ("deny a" first resets to an allow-list).
    for (const auto& rule : r.devices) {
        std::string line = TRY(device_rule_string(rule));
        out.push_back({ "devices", rule.allow ? "devices.allow" : "devices.deny", std::move(line) });
    }
    return out;
}

ErrorOr<std::vector<CgroupWrite>> plan_v2(const Resources& r, const CgroupFeatures& features)
{
    std::vector<CgroupWrite> out;
    TRY(plan_memory_v2(r, features, out));
    if (auto shares = set_value(r.cpu_shares))
        out.push_back({ "cpu", "cpu.weight", std::to_string(cpu_shares_to_weight(*shares)) });
    auto quota = set_value(r.cpu_quota);
    auto period = set_value(r.cpu_period);
    if (quota || period) {
        // Without a period the kernel keeps the one in force (100ms by default).
        std::string value = quota && *quota > 0 ? std::to_string(*quota) : "max";
        if (period)
            value += " " + std::to_string(*period);
        out.push_back({ "cpu", "cpu.max", value });
    }
    if (!r.cpuset_cpus.empty())
        out.push_back({ "cpuset", "cpuset.cpus", r.cpuset_cpus });
    if (!r.cpuset_mems.empty())
        out.push_back({ "cpuset", "cpuset.mems", r.cpuset_mems });
    if (r.pids_limit)
        out.push_back({ "pids", "pids.max", pids_value(*r.pids_limit) });
    if (auto weight = set_value(r.blkio_weight)) {
        if (features.bfq_weight)
            out.push_back({ "io", "io.bfq.weight", std::to_string(*weight) });
        else
            out.push_back({ "io", "io.weight", std::to_string(blkio_weight_to_io_weight(*weight)) });
    }
    // Device rules are a BPF program on v2 (bpf_devices.h); they are checked
    // here all the same, so that a bad rule fails the plan on every layout.
    for (const auto& rule : r.devices)
        TRY(device_rule_string(rule));
    return out;
}

} // namespace

ErrorOr<std::vector<CgroupWrite>> plan_writes(
    const Resources& resources, CgroupLayout layout, const CgroupFeatures& features)
{
    if (layout == CgroupLayout::V2)
        return plan_v2(resources, features);
    return plan_v1(resources, features);
}

std::vector<std::string> plan_controllers(const std::vector<CgroupWrite>& writes)
{
    std::vector<std::string> out;
    for (const auto& write : writes) {
        if (std::find(out.begin(), out.end(), write.controller) == out.end())
            out.push_back(write.controller);
    }
    return out;
}

namespace {

std::vector<std::string_view> fields_of(std::string_view line)
{
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ')
            ++i;
        size_t start = i;
        while (i < line.size() && line[i] != ' ')
            ++i;
        if (i > start)
            out.push_back(line.substr(start, i - start));
    }
    return out;
}

bool is_v1_controller(std::string_view option)
{
    static constexpr std::string_view known[] = { "cpuset", "cpu", "cpuacct", "blkio", "memory", "devices", "freezer",
        "net_cls", "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc" };
    if (option.starts_with("name="))
        return true;
    return std::find(std::begin(known), std::end(known), option) != std::end(known);
}

std::string_view without_trailing_slashes(std::string_view path)
{
    while (path.size() > 1 && path.back() == '/')
        path.remove_suffix(1);
    return path;
}

} // namespace

std::vector<CgroupMount> parse_cgroup_mounts(std::string_view mountinfo, std::string_view root)
{
    root = without_trailing_slashes(root);
    std::vector<CgroupMount> out;
    size_t start = 0;
    while (start < mountinfo.size()) {
        size_t end = mountinfo.find('\n', start);
        if (end == std::string_view::npos)
            end = mountinfo.size();
        std::string_view line = mountinfo.substr(start, end - start);
        start = end + 1;

        // id parent major:minor root mount-point options [optional…] - fstype source super-options
        auto fields = fields_of(line);
        auto dash = std::find(fields.begin(), fields.end(), std::string_view("-"));
        if (fields.size() < 5 || dash == fields.end() || fields.end() - dash < 4)
            continue;
        std::string_view fstype = dash[1];
        if (fstype != "cgroup" && fstype != "cgroup2")
            continue;
        std::string mount_point = unescape_mountinfo(fields[4]);
        std::string_view point = without_trailing_slashes(mount_point);
        if (point != root && path_dirname(point) != root)
            continue;
        CgroupMount mount { mount_point, fstype == "cgroup2", {} };
        if (!mount.v2) {
            for (const auto& option : split(dash[3], ',')) {
                if (is_v1_controller(option))
                    mount.controllers.push_back(option);
            }
        }
        auto same = std::find_if(
            out.begin(), out.end(), [&](const CgroupMount& m) { return m.mount_point == mount.mount_point; });
        if (same != out.end())
            out.erase(same);
        out.push_back(std::move(mount));
    }
    return out;
}

namespace {

std::optional<uint64_t> parse_u64(std::string_view text)
{
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}

} // namespace

ErrorOr<std::vector<pid_t>> parse_pid_list(std::string_view text)
{
    std::vector<pid_t> out;
    for (const auto& line : split(text, '\n')) {
        std::string_view item = trim(line);
        if (item.empty())
            continue;
        auto value = parse_u64(item);
        if (!value || *value == 0 || *value > static_cast<uint64_t>(INT32_MAX))
            return Error::from_string("invalid PID \"" + std::string(item) + "\" in cgroup.procs");
        out.push_back(static_cast<pid_t>(*value));
    }
    return out;
}

std::map<std::string, uint64_t> parse_flat_keyed(std::string_view text)
{
    std::map<std::string, uint64_t> out;
    for (const auto& line : split(text, '\n')) {
        auto fields = fields_of(line);
        if (fields.size() != 2)
            continue;
        if (auto value = parse_u64(fields[1]))
            out[std::string(fields[0])] = *value;
    }
    return out;
}

ErrorOr<std::optional<uint64_t>> parse_limit(std::string_view text)
{
    text = trim(text);
    if (text == "max")
        return std::optional<uint64_t> {};
    auto value = parse_u64(text);
    if (!value)
        return Error::from_string("invalid cgroup value \"" + std::string(text) + "\"");
    return std::optional<uint64_t>(*value);
}

uint64_t ticks_to_ns(uint64_t ticks, long ticks_per_second)
{
    if (ticks_per_second <= 0)
        ticks_per_second = 100;
    // USER_HZ is 100 on every architecture but alpha (1024), and 100 divides
    // 10^9, so this is exact where CorralOS runs.
    return ticks * (1000000000ULL / static_cast<uint64_t>(ticks_per_second));
}

} // namespace corral::runtime
