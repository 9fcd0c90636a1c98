#include "runtime/paths.h"
#include "runtime/spec_builder_internal.h"

#include "base/strings.h"

#include <charconv>

namespace corral::runtime::detail {

namespace {

constexpr int64_t MIN_MEMORY = 6 * 1024 * 1024; // Docker's linuxMinMemory
constexpr uint64_t NANO_CPU_PERIOD = 100000; // µs, the kernel's default CFS period

// Docker's ParseUintList syntax: "0-3,5,7-8".
bool valid_cpu_list(std::string_view list)
{
    if (list.empty())
        return true;
    for (auto const& part : split(list, ',')) {
        auto dash = part.find('-');
        auto number = [](std::string_view text, unsigned& out) {
            auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
            return !text.empty() && ec == std::errc() && end == text.data() + text.size();
        };
        unsigned first = 0, last = 0;
        if (dash == std::string::npos) {
            if (!number(part, first))
                return false;
        } else if (!number(std::string_view(part).substr(0, dash), first)
            || !number(std::string_view(part).substr(dash + 1), last) || first > last) {
            return false;
        }
    }
    return true;
}

Error invalid(std::string message)
{
    return Error::from_string(std::move(message));
}

} // namespace

ErrorOr<void> build_resources(const BuildInput& input, Spec& spec)
{
    auto const& h = input.host;
    auto& r = spec.resources;

    std::string parent = h.cgroup_parent.empty() ? input.cgroup_parent : h.cgroup_parent;
    std::string path = clean_path("/" + parent + "/" + input.id);
    spec.cgroup_path = path.substr(1);

    // Memory, with Docker's checks and its default of swap = 2 × memory.
    if (h.memory != 0 && h.memory < MIN_MEMORY)
        return invalid("Minimum memory limit allowed is 6MB");
    int64_t swap = h.memory_swap;
    if (h.memory > 0 && swap == 0)
        swap = h.memory * 2;
    if (h.memory > 0 && swap > 0 && swap < h.memory)
        return invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
    if (h.memory == 0 && swap > 0)
        return invalid("You should always set the Memory limit when using Memoryswap limit, see usage");
    if (h.memory > 0)
        r.memory = h.memory;
    if (swap > 0 || (swap == -1 && h.memory > 0))
        r.memory_swap = swap;

    // CPU.
    if (h.nano_cpus > 0 && h.cpu_period > 0)
        return invalid("Conflicting options: Nano CPUs and CPU Period cannot both be set");
    if (h.nano_cpus > 0 && h.cpu_quota > 0)
        return invalid("Conflicting options: Nano CPUs and CPU Quota cannot both be set");
    if (h.nano_cpus < 0 || (input.host_cpu_count > 0 && h.nano_cpus > int64_t(input.host_cpu_count) * 1000000000)) {
        std::string count = input.host_cpu_count > 0 ? std::to_string(input.host_cpu_count) : "the number of CPUs";
        return invalid(
            "range of CPUs is from 0.01 to " + count + ".00, as there are only " + count + " CPUs available");
    }
    if (h.cpu_period != 0 && (h.cpu_period < 1000 || h.cpu_period > 1000000))
        return invalid("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
    if (h.cpu_quota > 0 && h.cpu_quota < 1000)
        return invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)");
    if (h.cpu_shares < 0)
        return invalid("invalid CPU shares (" + std::to_string(h.cpu_shares) + "): value must be a positive integer");
    if (h.cpu_shares > 0)
        r.cpu_shares = static_cast<uint64_t>(h.cpu_shares);
    if (h.nano_cpus > 0) {
        r.cpu_period = NANO_CPU_PERIOD;
        r.cpu_quota = h.nano_cpus * int64_t(NANO_CPU_PERIOD) / 1000000000;
    }
    if (h.cpu_period != 0)
        r.cpu_period = static_cast<uint64_t>(h.cpu_period);
    if (h.cpu_quota != 0)
        r.cpu_quota = h.cpu_quota;

    if (!valid_cpu_list(h.cpuset_cpus))
        return invalid("Invalid value " + h.cpuset_cpus + " for cpuset cpus: invalid format: " + h.cpuset_cpus);
    if (!valid_cpu_list(h.cpuset_mems))
        return invalid("Invalid value " + h.cpuset_mems + " for cpuset mems: invalid format: " + h.cpuset_mems);
    r.cpuset_cpus = h.cpuset_cpus;
    r.cpuset_mems = h.cpuset_mems;

    // PIDs: 0 and negative values mean unlimited, which runc spells -1.
    if (h.pids_limit)
        r.pids_limit = *h.pids_limit > 0 ? *h.pids_limit : -1;

    if (h.blkio_weight > 0 && (h.blkio_weight < 10 || h.blkio_weight > 1000))
        return invalid("Range of blkio weight is from 10 to 1000");
    if (h.blkio_weight > 0)
        r.blkio_weight = h.blkio_weight;
    return {};
}

} // namespace corral::runtime::detail
