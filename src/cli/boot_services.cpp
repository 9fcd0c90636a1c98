#include "cli/boot_services.h"

#include "api/client.h"
#include "base/fd.h"
#include "base/file.h"
#include "base/log.h"
#include "base/process.h"
#include "base/strings.h"
#include "base/system.h"
#include "cli/service_common.h"
#include "compose/container_spec.h"
#include "compose/graph.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <thread>
#include <unistd.h>

#ifndef CORRAL_VERSION
#    define CORRAL_VERSION "dev"
#endif

namespace corral::cli {

namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

// Whether the daemon behind `client` answers /_ping before `deadline`.
bool wait_for_daemon(api::Client& client, Clock::time_point deadline)
{
    auto delay = std::chrono::milliseconds(20);
    for (;;) {
        if (!client.request("GET", "/_ping").is_error())
            return true;
        if (Clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(delay);
        delay = std::min(delay * 2, std::chrono::milliseconds(500));
    }
}

// Seconds since the kernel started, as the kernel's own log shows them.
std::string uptime()
{
    struct timespec now {};
    ::clock_gettime(CLOCK_BOOTTIME, &now);
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9);
    return text;
}

// A line for the operator: on the console (our stdout) and in the log file.
void announce(const std::string& line)
{
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    log::info(line);
}

int seconds_left(Clock::time_point deadline)
{
    auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now()).count();
    return static_cast<int>(std::max<int64_t>(left, 0));
}

// Stops the named containers in parallel, each given at most `seconds`.
void stop_all(const config::Paths& paths, const std::string& socket, const std::vector<std::string>& names, int seconds)
{
    std::vector<std::thread> threads;
    for (auto const& name : names) {
        threads.emplace_back([&paths, &socket, name, seconds] {
            auto client = api::Client::create("unix://" + paths.under_root(socket));
            if (client.is_error())
                return;
            auto stopped = client.value().request(
                "POST", "/containers/" + api::path_escape(name) + "/stop", { { "t", std::to_string(seconds) } });
            if (stopped.is_error() && client.value().last_status() != 304 && client.value().last_status() != 404)
                log::warn("stopping " + name + ": " + stopped.error().message());
        });
    }
    for (auto& t : threads)
        t.join();
}

std::vector<std::string> running_containers(api::Client& client)
{
    std::vector<std::string> names;
    auto listed = client.request("GET", "/containers/json");
    if (listed.is_error())
        return names;
    json list = json::parse(listed.value().body, nullptr, false);
    if (!list.is_array())
        return names;
    for (auto const& c : list) {
        if (c.contains("Names") && c["Names"].is_array() && !c["Names"].empty() && c["Names"][0].is_string()) {
            std::string name = c["Names"][0].get<std::string>();
            names.push_back(name.starts_with("/") ? name.substr(1) : name);
        }
    }
    return names;
}

// The user engine's programs come from the read-only image store, a squashfs
// whose blocks are decompressed as they are first read: ~150 MB of dockerd,
// containerd, its shim and runc, several seconds of CPU under emulation. Read
// once here, on the other CPU, while the system services start, they are in
// the page cache by the time the docker service execs them.
void warm_user_engine(const config::Paths& paths)
{
    static constexpr const char* PROGRAMS[] = { "usr/sbin/dockerd", "usr/bin/dockerd", "usr/bin/containerd",
        "usr/bin/containerd-shim-runc-v2", "usr/sbin/runc", "usr/bin/runc" };
    std::string layers = paths.under_root("/var/lib/system-docker/image/layers");
    std::vector<std::string> files;
    for (auto const& layer : list_dir(layers)) {
        for (auto const* program : PROGRAMS) {
            std::string path = layers + "/" + layer + "/diff/" + program;
            if (::access(path.c_str(), R_OK) == 0)
                files.push_back(path);
        }
    }
    std::vector<char> buffer(1 << 20);
    for (auto const& path : files) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        while (::read(fd, buffer.data(), buffer.size()) > 0) {
        }
        ::close(fd);
    }
}

} // namespace

int sysinit(const config::Paths& paths)
{
    log::set_program("sysinit");
    (void)mkdir_p(paths.under_root("/var/log/boot"), 0755);
    (void)log::open_file(paths.under_root("/var/log/boot/sysinit.log"));
    log::set_stderr(false);

    auto daemons = ServiceDaemons::open(paths);
    if (!daemons.system || !wait_for_daemon(*daemons.system, Clock::now() + std::chrono::seconds(60))) {
        announce("CorralOS: system-dockerd did not answer within 60 s; no services started (see "
                 "/var/log/system-docker.log)");
        return 1;
    }
    std::thread warm([&paths] { warm_user_engine(paths); });
    auto machine = load_machine_services(paths, false);
    compose::UpOptions up;
    up.environment = machine.project.environment;
    up.force_console_rebuild = machine.config.typed.rancher.force_console_rebuild;
    bool verbose = machine.config.typed.rancher.log || machine.config.typed.rancher.debug;
    up.progress = [verbose](const compose::ServiceReport& report) {
        std::string line = std::string(compose::outcome_name(report.outcome)) + " " + report.name;
        if (report.recreated)
            line += " (recreated)";
        if (!report.message.empty())
            line += ": " + report.message;
        bool bad = report.outcome == compose::Outcome::Failed || report.outcome == compose::Outcome::Skipped;
        if (bad || verbose)
            announce("service " + line + " (" + uptime() + ")");
        else
            log::info(line + " (" + uptime() + ")");
    };
    up.reload = [&]() -> ErrorOr<std::vector<compose::Service>> {
        return load_machine_services(paths, false).project.services;
    };
    auto report = compose::up(machine.project.services, daemons.daemons(), up);
    for (auto const& error : report.errors)
        announce("CorralOS: " + error);
    ::sync();
    announce(std::string("CorralOS ") + CORRAL_VERSION + " started (" + uptime() + " after the kernel)");

    warm.join();
    // The user engine comes up last; its readiness is what a user waits for.
    auto user = api::Client::create("unix://" + paths.under_root("/var/run/docker.sock"));
    if (!user.is_error() && wait_for_daemon(user.value(), Clock::now() + std::chrono::seconds(180)))
        announce("CorralOS: user Docker ready (" + uptime() + " after the kernel)");
    else
        announce("CorralOS: the user Docker engine did not answer within 180 s (ros service logs docker)");
    return report.ok() ? 0 : 1;
}

int stop_services(const config::Paths& paths, int timeout_seconds)
{
    log::set_program("stop-services");
    (void)log::open_file(paths.under_root("/var/log/boot/shutdown.log"));
    auto deadline = Clock::now() + std::chrono::seconds(std::max(timeout_seconds, 1));
    // Each wave gets a share of what is left, so that the last ones still
    // get a chance to stop cleanly.
    auto share = [&](int waves_left) { return std::clamp(seconds_left(deadline) / std::max(waves_left, 1), 1, 10); };

    // 1. The user's containers, while their engine is still there.
    auto user = api::Client::create("unix://" + paths.under_root("/var/run/docker.sock"));
    if (!user.is_error()) {
        auto names = running_containers(user.value());
        if (!names.empty()) {
            announce("stopping " + std::to_string(names.size()) + " user containers");
            stop_all(paths, "/var/run/docker.sock", names, share(2));
        }
    }

    // 2. The system services, the reverse of their start order.
    auto system = api::Client::create("unix://" + paths.under_root("/var/run/system-docker.sock"));
    if (system.is_error())
        return 1;
    std::vector<std::string> running = running_containers(system.value());
    auto machine = load_machine_services(paths, false);
    std::map<std::string, config::ServiceConfig> configs;
    std::map<std::string, std::string> container_of;
    for (auto const& service : machine.project.services) {
        configs[service.name] = service.config;
        container_of[service.name] = compose::container_name(service.name, service.config);
    }
    auto waves = compose::DependencyGraph::build(configs).waves();
    std::reverse(waves.begin(), waves.end());
    // System containers that are no service of the machine go first.
    std::vector<std::string> others;
    for (auto const& name : running) {
        bool is_service = false;
        for (auto const& [service, container] : container_of)
            is_service = is_service || container == name;
        if (!is_service)
            others.push_back(name);
    }
    if (!others.empty())
        waves.insert(waves.begin(), others);
    for (size_t i = 0; i < waves.size(); ++i) {
        std::vector<std::string> names;
        for (auto const& service : waves[i]) {
            std::string container = container_of.contains(service) ? container_of[service] : service;
            if (std::find(running.begin(), running.end(), container) != running.end())
                names.push_back(container);
        }
        if (names.empty())
            continue;
        log::info("stopping " + join(names, ", "));
        stop_all(paths, "/var/run/system-docker.sock", names, share(static_cast<int>(waves.size() - i)));
    }
    return 0;
}

int udev_settle()
{
    SpawnOptions daemon;
    daemon.argv = { "udevd", "--daemon" };
    if (auto started = run(daemon); started.is_error() || started.value().status.code() != 0) {
        std::fprintf(stderr, "udev-settle: udevd --daemon: %s\n",
            started.is_error() ? started.error().message().c_str() : started.value().err.c_str());
        return 1;
    }
    int status = 0;
    for (auto argv : { std::vector<std::string> { "udevadm", "trigger", "--action=add" },
             std::vector<std::string> { "udevadm", "settle", "--timeout=30" } }) {
        SpawnOptions step;
        step.argv = argv;
        auto done = run(step);
        if (done.is_error() || done.value().status.code() != 0) {
            std::fprintf(stderr, "udev-settle: %s: %s\n", join(argv, " ").c_str(),
                done.is_error() ? done.error().message().c_str() : done.value().status.describe().c_str());
            status = 1;
        }
    }
    // The daemon started above: the udev service runs the lasting one.
    SpawnOptions stop;
    stop.argv = { "udevadm", "control", "--exit" };
    (void)run(stop); // when it fails, the container's end stops that udevd anyway
    return status;
}

int preload_images(const config::Paths& paths)
{
    std::string dir = paths.under_root("/var/lib/rancher/preload/docker");
    auto user = api::Client::create("unix://" + paths.under_root("/var/run/docker.sock"));
    if (user.is_error()) {
        std::fprintf(stderr, "preload-images: %s\n", user.error().message().c_str());
        return 1;
    }
    std::vector<std::string> files;
    for (auto const& name : list_dir(dir)) {
        if (name.ends_with(".tar") || name.ends_with(".tgz") || name.ends_with(".gz") || name.ends_with(".tar.xz")
            || name.ends_with(".tar.zst"))
            files.push_back(name);
    }
    if (files.empty())
        return 0;
    if (!wait_for_daemon(user.value(), Clock::now() + std::chrono::seconds(120))) {
        std::fprintf(stderr, "preload-images: the user engine did not answer within 120 s\n");
        return 1;
    }
    int status = 0;
    for (auto const& name : files) {
        std::string path = dir + "/" + name;
        if (::access((path + ".done").c_str(), F_OK) == 0)
            continue;
        auto fd = sys::open(path, O_RDONLY);
        if (fd.is_error()) {
            std::fprintf(stderr, "preload-images: %s\n", fd.error().message().c_str());
            status = 1;
            continue;
        }
        std::string output;
        auto loaded = user.value().upload("POST", "/images/load", { { "quiet", "1" } }, fd.value().get(),
            "application/x-tar", [&](std::string_view chunk) -> ErrorOr<void> {
                output.append(chunk);
                return {};
            });
        // A load that fails reports it inside the stream as an "error" object.
        if (loaded.is_error() || output.find("\"error\"") != std::string::npos) {
            std::fprintf(stderr, "preload-images: loading %s: %s\n", name.c_str(),
                loaded.is_error() ? loaded.error().message().c_str() : output.c_str());
            status = 1;
            continue;
        }
        std::printf("loaded %s\n", name.c_str());
        if (auto stamp = write_file_atomic(path + ".done", "", 0644, KeepMode::No); stamp.is_error())
            std::fprintf(stderr, "preload-images: %s\n", stamp.error().message().c_str());
    }
    return status;
}

} // namespace corral::cli
