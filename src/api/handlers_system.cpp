// /_ping, /version, /info, /events.

#include "api/events.h"
#include "api/handlers.h"

#include "base/file.h"
#include "base/time.h"
#include "engine/engine.h"
#include "runtime/cgroup.h"

#include <dirent.h>
#include <chrono>
#include <sys/utsname.h>
#include <unistd.h>

namespace corral::api {

namespace {

size_t open_fds()
{
    size_t count = 0;
    if (DIR* dir = ::opendir("/proc/self/fd")) {
        while (auto* entry = ::readdir(dir))
            count += entry->d_name[0] != '.';
        ::closedir(dir);
        count -= count > 0; // the directory's own descriptor
    }
    return count;
}

size_t thread_count()
{
    auto status = read_file("/proc/self/status");
    if (status.is_error())
        return 0;
    auto at = status->find("\nThreads:");
    return at == std::string::npos ? 0 : std::strtoul(status->c_str() + at + 9, nullptr, 10);
}

std::string kernel_release()
{
    struct utsname names {};
    ::uname(&names);
    return names.release;
}

std::string machine()
{
    struct utsname names {};
    ::uname(&names);
    return names.machine;
}

std::string go_arch()
{
    std::string m = machine();
    if (m == "x86_64")
        return "amd64";
    if (m == "aarch64")
        return "arm64";
    return m;
}

std::optional<Response> ping(Context&, Request&, const Params&, Connection&)
{
    Response response;
    response.content_type = "text/plain; charset=utf-8";
    response.body = "OK";
    response.headers = { { "Cache-Control", "no-cache, no-store, must-revalidate" }, { "Pragma", "no-cache" } };
    return response;
}

std::optional<Response> version(Context& ctx, Request&, const Params&, Connection&)
{
    nlohmann::json details { { "ApiVersion", "1.41" }, { "Arch", go_arch() }, { "BuildTime", "" },
        { "Experimental", "false" }, { "GitCommit", "corralos" }, { "GoVersion", "n/a" },
        { "KernelVersion", kernel_release() }, { "MinAPIVersion", "1.24" }, { "Os", "linux" } };
    nlohmann::json body {
        { "Platform", { { "Name", "CorralOS system-docker " + ctx.info.product_version } } },
        { "Components", { { { "Name", "Engine" }, { "Version", ctx.info.version }, { "Details", details } } } },
        { "Version", ctx.info.version },
        { "ApiVersion", "1.41" },
        { "MinAPIVersion", "1.24" },
        { "GitCommit", "corralos" },
        { "GoVersion", "n/a" },
        { "Os", "linux" },
        { "Arch", go_arch() },
        { "KernelVersion", kernel_release() },
        { "BuildTime", "" },
    };
    return json_response(200, body.dump());
}

uint64_t memory_total()
{
    auto text = read_file("/proc/meminfo");
    if (text.is_error())
        return 0;
    auto at = text->find("MemTotal:");
    return at == std::string::npos ? 0 : std::strtoull(text->c_str() + at + 9, nullptr, 10) * 1024;
}

std::string operating_system()
{
    auto text = read_file("/etc/os-release");
    if (text.is_error())
        return "Linux";
    auto at = text->find("PRETTY_NAME=");
    if (at == std::string::npos)
        return "Linux";
    auto line = text->substr(at + 12, text->find('\n', at) - at - 12);
    if (line.size() >= 2 && line.front() == '"')
        line = line.substr(1, line.size() - 2);
    return line;
}

std::optional<Response> info(Context& ctx, Request&, const Params&, Connection&)
{
    int running = 0, paused = 0, stopped = 0;
    auto containers = ctx.engine.list();
    for (auto const& c : containers) {
        if (c.state.status == "paused")
            ++paused;
        else if (c.state.running())
            ++running;
        else
            ++stopped;
    }
    auto layout = runtime::detect_cgroup_layout(ctx.engine.options().cgroup_root);
    bool v2 = !layout.is_error() && *layout == runtime::CgroupLayout::V2;
    char hostname[256] {};
    ::gethostname(hostname, sizeof hostname - 1);
    nlohmann::json mirrors = nlohmann::json::array();
    for (auto const& m : ctx.info.registry_mirrors)
        mirrors.push_back(m);
    nlohmann::json insecure = nlohmann::json::array({ "127.0.0.0/8" });
    for (auto const& r : ctx.info.insecure_registries)
        insecure.push_back(r);
    nlohmann::json body {
        { "ID", ctx.info.id },
        { "Containers", containers.size() },
        { "ContainersRunning", running },
        { "ContainersPaused", paused },
        { "ContainersStopped", stopped },
        { "Images", ctx.engine.images().list().size() },
        { "Driver", "overlay2" },
        { "DriverStatus",
            nlohmann::json::array({ nlohmann::json::array({ "Backing Filesystem", "extfs" }),
                nlohmann::json::array({ "Supports d_type", "true" }),
                nlohmann::json::array({ "Native Overlay Diff", "true" }) }) },
        { "Plugins", { { "Volume", { "local" } }, { "Network", { "host", "null" } }, { "Authorization", nullptr },
                         { "Log", { "json-file", "none" } } } },
        { "MemoryLimit", true },
        { "SwapLimit", true },
        { "KernelMemory", false },
        { "KernelMemoryTCP", false },
        { "CpuCfsPeriod", true },
        { "CpuCfsQuota", true },
        { "CPUShares", true },
        { "CPUSet", true },
        { "PidsLimit", true },
        { "IPv4Forwarding", true },
        { "BridgeNfIptables", false },
        { "BridgeNfIp6tables", false },
        { "Debug", ctx.info.debug },
        { "NFd", open_fds() },
        { "OomKillDisable", !v2 },
        { "NGoroutines", thread_count() }, // the daemon's threads stand for Go's goroutines
        { "SystemTime", now_rfc3339_nano() },
        { "LoggingDriver", ctx.info.logging_driver },
        { "CgroupDriver", "cgroupfs" },
        { "CgroupVersion", v2 ? "2" : "1" },
        { "NEventsListener", ctx.events.listeners() },
        { "KernelVersion", kernel_release() },
        { "OperatingSystem", operating_system() },
        { "OSVersion", "" },
        { "OSType", "linux" },
        { "Architecture", machine() },
        { "IndexServerAddress", "https://index.docker.io/v1/" },
        { "RegistryConfig",
            { { "AllowNondistributableArtifactsCIDRs", nlohmann::json::array() },
                { "AllowNondistributableArtifactsHostnames", nlohmann::json::array() },
                { "InsecureRegistryCIDRs", insecure }, { "IndexConfigs", nlohmann::json::object() }, { "Mirrors", mirrors } } },
        { "NCPU", ::sysconf(_SC_NPROCESSORS_ONLN) },
        { "MemTotal", memory_total() },
        { "GenericResources", nullptr },
        { "DockerRootDir", ctx.info.data_root },
        { "HttpProxy", "" },
        { "HttpsProxy", "" },
        { "NoProxy", "" },
        { "Name", ctx.info.name.empty() ? std::string(hostname) : ctx.info.name },
        { "Labels", nlohmann::json::array() },
        { "ExperimentalBuild", false },
        { "ServerVersion", ctx.info.version },
        { "Runtimes", { { "corral", { { "path", "corral-supervisor" } } } } },
        { "DefaultRuntime", "corral" },
        { "Swarm",
            { { "NodeID", "" }, { "NodeAddr", "" }, { "LocalNodeState", "inactive" }, { "ControlAvailable", false },
                { "Error", "" }, { "RemoteManagers", nullptr } } },
        { "LiveRestoreEnabled", ctx.info.live_restore },
        { "Isolation", "" },
        { "InitBinary", "docker-init" },
        { "ContainerdCommit", { { "ID", "" }, { "Expected", "" } } },
        { "RuncCommit", { { "ID", "" }, { "Expected", "" } } },
        { "InitCommit", { { "ID", "" }, { "Expected", "" } } },
        { "SecurityOptions", v2 ? nlohmann::json { "name=seccomp,profile=default", "name=cgroupns" }
                                : nlohmann::json { "name=seccomp,profile=default" } },
        { "Warnings", nullptr },
    };
    return json_response(200, body.dump());
}

std::optional<Response> events(Context& ctx, Request& request, const Params&, Connection& connection)
{
    struct timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    auto query = TRY_RESPONSE(parse_event_query(request.param("since").value_or(""), request.param("until").value_or(""),
        request.param("filters").value_or(""), now));
    auto subscription = ctx.events.subscribe(std::move(query.filter), query.since, query.until);
    if (connection.begin_stream(200, "application/json").is_error())
        return std::nullopt;
    while (true) {
        auto event = subscription.next(std::chrono::steady_clock::now() + std::chrono::milliseconds(500));
        if (event.is_error())
            break;
        if (!event->has_value()) {
            if (subscription.finished() || connection.client_gone())
                break;
            continue;
        }
        if (connection.write_chunk(event_json(**event) + "\n").is_error())
            return std::nullopt;
    }
    (void)connection.end_stream();
    return std::nullopt;
}

} // namespace

void add_system_routes(Router& router)
{
    router.add({ "GET", "/_ping", ping });
    router.add({ "GET", "/version", version });
    router.add({ "GET", "/info", info });
    router.add({ "GET", "/events", events });
}

} // namespace corral::api
