// ros service up | create | start | stop | restart | rm | kill | logs | ps |
// pull | down: the containers of the machine's services, on the engine each
// service belongs to (io.rancher.os.scope).

#include "api/stream_frame.h"
#include "base/log.h"
#include "cli/config_common.h"
#include "cli/service_common.h"
#include "compose/container_spec.h"
#include "compose/labels.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace corral::cli {

using nlohmann::json;

ServiceDaemons ServiceDaemons::open(const config::Paths& paths)
{
    ServiceDaemons out;
    if (auto client = api::Client::create("unix://" + paths.under_root("/var/run/system-docker.sock")))
        out.system.emplace(client.release_value());
    if (auto client = api::Client::create("unix://" + paths.under_root("/var/run/docker.sock")))
        out.user.emplace(client.release_value());
    return out;
}

compose::Daemons ServiceDaemons::daemons()
{
    return { system ? &*system : nullptr, user ? &*user : nullptr };
}

ErrorOr<void> stage_image(ServiceDaemons& daemons, const compose::Service& service)
{
    auto d = daemons.daemons();
    auto* client = TRY(compose::daemon_for(service, d));
    bool pulled = false;
    TRY(compose::ensure_image(*client, service.config.image, pulled));
    if (pulled)
        std::printf("Pulled %s for %s\n", service.config.image.c_str(), service.name.c_str());
    return {};
}

MachineServices load_machine_services(const config::Paths& paths, bool update)
{
    MachineServices out;
    out.config = config::load_config(paths);
    auto sources = compose::ServiceSources::from_config(paths, out.config.typed.rancher);
    compose::ProjectOptions options;
    options.update = update ? compose::Update::Yes : compose::Update::No;
    out.project = compose::load_project(out.config, sources, options);
    for (auto const& warning : out.project.warnings)
        log::warn(warning);
    for (auto const& error : out.project.errors)
        log::error(error);
    return out;
}

ErrorOr<std::vector<const compose::Service*>> select_services(
    const compose::LoadedProject& project, const std::vector<std::string>& names)
{
    std::vector<const compose::Service*> out;
    for (auto const& name : names) {
        auto found = std::find_if(
            project.services.begin(), project.services.end(), [&](auto const& s) { return s.name == name; });
        if (found == project.services.end())
            return Error::from_string("no such service: " + name, ENOENT);
        out.push_back(&*found);
    }
    return out;
}

namespace {

constexpr const char* NEED_NAMES = "Must specify one or more services";

// The verbs that act on each named service's container in turn.
struct PerService {
    const char* verb;
    // Acts on one container; an error is reported and the others go on.
    std::function<ErrorOr<void>(api::Client&, const std::string& container, const compose::Service&)> act;
};

int for_each_service(const config::Paths& paths, const ServiceOptions& options, const PerService& per)
{
    std::string verb = std::string("service ") + per.verb;
    if (options.names.empty())
        return fail(verb, Error::from_string(NEED_NAMES, EINVAL));
    auto machine = load_machine_services(paths, options.update);
    auto selected = select_services(machine.project, options.names);
    if (selected.is_error())
        return fail(verb, selected.error());
    auto daemons = ServiceDaemons::open(paths);
    auto d = daemons.daemons();
    int status = 0;
    for (auto const* service : *selected) {
        auto client = compose::daemon_for(*service, d);
        auto done = client.is_error()
            ? ErrorOr<void>(client.release_error())
            : per.act(**client, compose::container_name(service->name, service->config), *service);
        if (done.is_error()) {
            log::error(verb + " " + service->name + ": " + done.error().message());
            status = 1;
        }
    }
    return status;
}

int bring_up(const config::Paths& paths, const ServiceOptions& options, bool start)
{
    const char* verb = start ? "service up" : "service create";
    if (options.names.empty())
        return fail(verb, Error::from_string(NEED_NAMES, EINVAL));
    auto machine = load_machine_services(paths, options.update);
    if (auto selected = select_services(machine.project, options.names); selected.is_error())
        return fail(verb, selected.error());
    auto daemons = ServiceDaemons::open(paths);
    compose::UpOptions up;
    up.environment = machine.project.environment;
    up.only = { options.names.begin(), options.names.end() };
    up.force_recreate = options.force_recreate;
    up.force_console_rebuild = machine.config.typed.rancher.force_console_rebuild;
    up.start = start;
    up.progress = [](const compose::ServiceReport& report) {
        std::string line = std::string(compose::outcome_name(report.outcome)) + " " + report.name;
        if (report.recreated)
            line += " (recreated)";
        if (!report.message.empty())
            line += ": " + report.message;
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
    };
    // A reloadconfig service (network) may make more services loadable.
    up.reload = [&]() -> ErrorOr<std::vector<compose::Service>> {
        auto again = load_machine_services(paths, false);
        return again.project.services;
    };
    auto services = machine.project.services;
    if (options.no_recreate) {
        // --no-recreate: an existing container is kept whatever changed.
        for (auto& service : services) {
            bool found = false;
            for (auto& label : service.config.labels.entries)
                if (label.first == compose::REBUILD_LABEL) {
                    label.second = "false";
                    found = true;
                }
            if (!found)
                service.config.labels.entries.push_back({ std::string(compose::REBUILD_LABEL), std::string("false") });
        }
    }
    auto report = compose::up(std::move(services), daemons.daemons(), up);
    for (auto const& error : report.errors)
        log::error(error);
    return report.ok() ? 0 : 1;
}

} // namespace

int service_up(const config::Paths& paths, const ServiceOptions& options)
{
    return bring_up(paths, options, true);
}

int service_create(const config::Paths& paths, const ServiceOptions& options)
{
    return bring_up(paths, options, false);
}

int service_start(const config::Paths& paths, const ServiceOptions& options)
{
    return for_each_service(paths, options, { "start", [](api::Client& client, const std::string& name, const compose::Service&) -> ErrorOr<void> {
        TRY(client.request("POST", "/containers/" + api::path_escape(name) + "/start"));
        return ErrorOr<void>();
    } });
}

int service_stop(const config::Paths& paths, const ServiceOptions& options)
{
    std::string timeout = std::to_string(options.timeout);
    return for_each_service(paths, options, { "stop", [&](api::Client& client, const std::string& name, const compose::Service&) -> ErrorOr<void> {
        TRY(client.request("POST", "/containers/" + api::path_escape(name) + "/stop", { { "t", timeout } }));
        return ErrorOr<void>();
    } });
}

int service_restart(const config::Paths& paths, const ServiceOptions& options)
{
    std::string timeout = std::to_string(options.timeout);
    return for_each_service(paths, options, { "restart", [&](api::Client& client, const std::string& name, const compose::Service&) -> ErrorOr<void> {
        TRY(client.request("POST", "/containers/" + api::path_escape(name) + "/restart", { { "t", timeout } }));
        return ErrorOr<void>();
    } });
}

int service_rm(const config::Paths& paths, const ServiceOptions& options)
{
    api::Query query { { "force", options.force ? "1" : "0" }, { "v", options.volumes ? "1" : "0" } };
    return for_each_service(paths, options, { "rm", [&](api::Client& client, const std::string& name, const compose::Service&) -> ErrorOr<void> {
        TRY(client.request("DELETE", "/containers/" + api::path_escape(name), query));
        return ErrorOr<void>();
    } });
}

int service_kill(const config::Paths& paths, const ServiceOptions& options)
{
    return for_each_service(paths, options, { "kill", [&](api::Client& client, const std::string& name, const compose::Service&) -> ErrorOr<void> {
        TRY(client.request("POST", "/containers/" + api::path_escape(name) + "/kill", { { "signal", options.signal } }));
        return ErrorOr<void>();
    } });
}

int service_down(const config::Paths& paths, const ServiceOptions& options)
{
    // Stops (within the timeout) and removes each service's container.
    std::string timeout = std::to_string(options.timeout);
    api::Query query { { "force", "1" }, { "v", options.volumes ? "1" : "0" } };
    return for_each_service(paths, options, { "down", [&](api::Client& client, const std::string& name, const compose::Service&) -> ErrorOr<void> {
        auto stopped = client.request("POST", "/containers/" + api::path_escape(name) + "/stop", { { "t", timeout } });
        if (stopped.is_error() && stopped.error().code() == ENOENT)
            return ErrorOr<void>(); // nothing to take down
        TRY(client.request("DELETE", "/containers/" + api::path_escape(name), query));
        std::printf("removed %s\n", name.c_str());
        return ErrorOr<void>();
    } });
}

int service_pull(const config::Paths& paths, const ServiceOptions& options)
{
    if (options.names.empty())
        return fail("service pull", Error::from_string(NEED_NAMES, EINVAL));
    auto machine = load_machine_services(paths, options.update);
    auto selected = select_services(machine.project, options.names);
    if (selected.is_error())
        return fail("service pull", selected.error());
    auto daemons = ServiceDaemons::open(paths);
    int status = 0;
    for (auto const* service : *selected) {
        auto d = daemons.daemons();
        auto client = compose::daemon_for(*service, d);
        if (client.is_error()) {
            log::error("service pull " + service->name + ": " + client.error().message());
            status = options.ignore_pull_failures ? status : 1;
            continue;
        }
        // An explicit pull fetches again even when the image is present.
        if (auto pulled = compose::pull_image(**client, service->config.image); pulled.is_error()) {
            log::error("service pull " + service->name + ": " + pulled.error().message());
            status = options.ignore_pull_failures ? status : 1;
            continue;
        }
        std::printf("pulled %s (%s)\n", service->name.c_str(), service->config.image.c_str());
    }
    return status;
}

} // namespace corral::cli
