// ros engine list | enable | switch: which user Docker engine the `docker`
// service runs (rancher.docker.engine), from the engines the repositories
// define (index.yml `engines:`).

#include "base/log.h"
#include "cli/config_common.h"
#include "cli/engine.h"
#include "cli/service_common.h"
#include "compose/service_catalog.h"
#include "config/keypath.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace corral::cli {

namespace {

const config::KeyPath ENGINE_KEY { "rancher", "docker", "engine" };

ErrorOr<void> set_engine(const config::Paths& paths, const std::string& engine)
{
    auto tree = TRY(read_user_config(paths));
    TRY(config::set_path(tree, ENGINE_KEY, config::Node::string(engine)));
    return write_user_config(paths, tree);
}

// The engine's `docker` service, checked, with its image on the system engine.
ErrorOr<compose::Service> stage_engine(const config::Paths& paths, const std::string& engine, bool update, bool pull)
{
    auto loaded = config::load_config(paths);
    auto sources = compose::ServiceSources::from_config(paths, loaded.typed.rancher);
    auto checked = TRY(compose::check_enable_argument(
        sources, engine, compose::Kind::Engine, update ? compose::Update::Yes : compose::Update::No));
    for (auto const& warning : checked.source.warnings)
        log::warn(warning);
    auto decoded = compose::decode_services(checked.file, compose::rancher_environment(loaded.typed.rancher, ""));
    auto found = decoded.services.find("docker");
    if (found == decoded.services.end())
        return Error::from_string("engine " + engine + " defines no docker service", EINVAL);
    compose::Service service { "docker", found->second, {}, "/" };
    if (pull) {
        auto daemons = ServiceDaemons::open(paths);
        TRY(stage_image(daemons, service));
    }
    return service;
}

bool docker_running(ServiceDaemons& daemons)
{
    if (!daemons.system)
        return false;
    auto inspected = daemons.system->request("GET", "/containers/docker/json");
    if (inspected.is_error())
        return false;
    auto c = nlohmann::json::parse(inspected->body, nullptr, false);
    return c.is_object() && c.contains("State") && c["State"].value("Running", false);
}

} // namespace

int engine_list(const config::Paths& paths, bool update)
{
    auto loaded = config::load_config(paths);
    auto sources = compose::ServiceSources::from_config(paths, loaded.typed.rancher);
    auto available = compose::list_available(
        sources, compose::Kind::Engine, loaded.typed.rancher, update ? compose::Update::Yes : compose::Update::No);
    for (auto const& warning : available.warnings)
        log::warn(warning);
    auto daemons = ServiceDaemons::open(paths);
    bool running = docker_running(daemons);
    for (auto const& entry : available.entries) {
        const char* state = !entry.enabled ? "disabled" : running ? "current " : "enabled ";
        std::printf("%s %s\n", state, entry.name.c_str());
    }
    return 0;
}

int engine_enable(const config::Paths& paths, const std::string& engine, bool update)
{
    auto staged = stage_engine(paths, engine, update, true);
    if (staged.is_error())
        return fail("engine enable", staged.error());
    if (auto set = set_engine(paths, engine); set.is_error())
        return fail("engine enable", set.error());
    return 0;
}

int engine_switch(const config::Paths& paths, const std::string& engine, const EngineSwitchOptions& options)
{
    auto staged = stage_engine(paths, engine, options.update, !options.no_pull);
    if (staged.is_error())
        return fail("engine switch", staged.error());
    auto before = config::load_config(paths).typed.rancher.docker.engine;
    if (auto set = set_engine(paths, engine); set.is_error())
        return fail("engine switch", set.error());
    // The running engine goes, and the new one comes up in its place.
    ServiceOptions up;
    up.names = { "docker" };
    up.force_recreate = true;
    int status = service_up(paths, up);
    if (status != 0) {
        log::error("engine switch: " + engine + " did not come up; rancher.docker.engine stays " + before);
        (void)set_engine(paths, before);
    }
    return status;
}

} // namespace corral::cli
