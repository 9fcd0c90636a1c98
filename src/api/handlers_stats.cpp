// GET /containers/{id}/stats: the cgroup's counters in Docker's StatsJSON,
// once or every second.

#include "api/handlers.h"

#include "base/file.h"
#include "base/time.h"
#include "engine/engine.h"

#include <chrono>
#include <thread>
#include <unistd.h>

namespace corral::api {

namespace {

// /proc/stat's first line in nanoseconds, as Docker's system_cpu_usage.
uint64_t system_cpu_ns()
{
    auto text = read_file("/proc/stat", 1024 * 1024);
    if (text.is_error() || !text->starts_with("cpu "))
        return 0;
    uint64_t ticks = 0;
    const char* p = text->c_str() + 4;
    char* end = nullptr;
    for (int i = 0; i < 8; ++i) {
        ticks += std::strtoull(p, &end, 10);
        if (end == p)
            break;
        p = end;
    }
    long hz = ::sysconf(_SC_CLK_TCK);
    return ticks * (1000000000ULL / static_cast<uint64_t>(hz > 0 ? hz : 100));
}

nlohmann::json cpu_json(const runtime::CgroupStats& s, uint64_t system_ns)
{
    return { { "cpu_usage",
                 { { "total_usage", s.cpu_usage_ns }, { "usage_in_kernelmode", s.cpu_system_ns },
                     { "usage_in_usermode", s.cpu_user_ns } } },
        { "system_cpu_usage", system_ns }, { "online_cpus", ::sysconf(_SC_NPROCESSORS_ONLN) },
        { "throttling_data", { { "periods", 0 }, { "throttled_periods", 0 }, { "throttled_time", 0 } } } };
}

nlohmann::json stats_json(const engine::Container& c, const runtime::CgroupStats& now, uint64_t now_system,
    const std::optional<runtime::CgroupStats>& before, uint64_t before_system, const std::string& read,
    const std::string& preread)
{
    nlohmann::json memory { { "usage", now.memory_usage }, { "stats", now.memory_stat } };
    // Docker reports the host's memory as the limit of an unlimited container.
    uint64_t limit = now.memory_limit.value_or(0);
    if (limit == 0) {
        long pages = ::sysconf(_SC_PHYS_PAGES), size = ::sysconf(_SC_PAGESIZE);
        limit = static_cast<uint64_t>(pages) * static_cast<uint64_t>(size);
    }
    memory["limit"] = limit;
    if (now.memory_max_usage)
        memory["max_usage"] = *now.memory_max_usage;
    nlohmann::json pids { { "current", now.pids_current } };
    if (now.pids_limit)
        pids["limit"] = *now.pids_limit;
    nlohmann::json precpu = before ? cpu_json(*before, before_system)
                                   : nlohmann::json { { "cpu_usage", { { "total_usage", 0 } } }, { "throttling_data", nlohmann::json::object() } };
    return {
        { "read", read },
        { "preread", preread },
        { "pids_stats", pids },
        { "blkio_stats",
            { { "io_service_bytes_recursive", nullptr }, { "io_serviced_recursive", nullptr },
                { "io_queue_recursive", nullptr }, { "io_service_time_recursive", nullptr },
                { "io_wait_time_recursive", nullptr }, { "io_merged_recursive", nullptr },
                { "io_time_recursive", nullptr }, { "sectors_recursive", nullptr } } },
        { "num_procs", 0 },
        { "storage_stats", nlohmann::json::object() },
        { "cpu_stats", cpu_json(now, now_system) },
        { "precpu_stats", precpu },
        { "memory_stats", memory },
        { "name", "/" + c.name },
        { "id", c.id },
    };
}

std::optional<Response> stats(Context& ctx, Request& request, const Params& params, Connection& connection)
{
    auto c = ctx.engine.inspect(params.at("id"));
    if (c.is_error())
        return engine_error(c.error());
    bool stream = !request.param("stream") || request.flag("stream");
    bool one_shot = request.flag("one-shot");
    std::optional<runtime::CgroupStats> before;
    uint64_t before_system = 0;
    std::string preread = "0001-01-01T00:00:00Z";
    if (!stream && !one_shot) {
        // As dockerd: a single answer still carries the previous second's
        // sample, so that a CPU percentage can be computed from it.
        auto first = ctx.engine.stats(c->id);
        if (first.is_error())
            return engine_error(first.error());
        before = *first;
        before_system = system_cpu_ns();
        preread = now_rfc3339_nano();
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    if (connection.begin_stream(200, "application/json").is_error())
        return std::nullopt;
    while (true) {
        auto sample = ctx.engine.stats(c->id);
        if (sample.is_error())
            break;
        uint64_t system = system_cpu_ns();
        std::string read = now_rfc3339_nano();
        auto body = stats_json(*c, *sample, system, before, before_system, read, preread);
        if (connection.write_chunk(body.dump() + "\n").is_error())
            return std::nullopt;
        if (!stream)
            break;
        before = *sample;
        before_system = system;
        preread = read;
        for (int i = 0; i < 10; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            if (connection.client_gone())
                return std::nullopt;
        }
        auto state = ctx.engine.inspect(c->id);
        if (state.is_error())
            break;
    }
    (void)connection.end_stream();
    return std::nullopt;
}

} // namespace

void add_stats_routes(Router& router)
{
    router.add({ "GET", "/containers/{id}/stats", stats });
}

} // namespace corral::api
