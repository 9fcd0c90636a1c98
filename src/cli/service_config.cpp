// ros service enable | disable | delete | list: rancher.services_include in
// cloud-config.yml, and what the repositories offer.

#include "base/log.h"
#include "cli/config_common.h"
#include "cli/service.h"
#include "cli/service_common.h"
#include "compose/service_catalog.h"
#include "config/keypath.h"

#include <algorithm>
#include <cstdio>

namespace corral::cli {

namespace {

config::KeyPath include_key(const std::string& name)
{
    return { "rancher", "services_include", name };
}

} // namespace

int service_enable(const config::Paths& paths, const ServiceOptions& options)
{
    if (options.names.empty())
        return fail("service enable", Error::from_string("Must specify one or more services", EINVAL));
    auto loaded = config::load_config(paths);
    auto sources = compose::ServiceSources::from_config(paths, loaded.typed.rancher);
    auto update = options.update ? compose::Update::Yes : compose::Update::No;
    auto tree = read_user_config(paths);
    if (tree.is_error())
        return fail("service enable", tree.error());
    std::vector<compose::Service> staged;
    for (auto const& name : options.names) {
        auto checked = compose::check_enable_argument(sources, name, compose::Kind::Service, update);
        if (checked.is_error())
            return fail("service enable", checked.error());
        for (auto const& warning : checked->source.warnings)
            log::warn(warning);
        if (auto set = config::set_path(*tree, include_key(name), config::Node::boolean(true)); set.is_error())
            return fail("service enable", set.error());
        auto decoded = compose::decode_services(checked->file, compose::rancher_environment(loaded.typed.rancher, ""));
        for (auto& [service_name, config] : decoded.services)
            staged.push_back({ service_name, std::move(config), {}, "/" });
    }
    if (auto written = write_user_config(paths, *tree); written.is_error())
        return fail("service enable", written.error());
    // As RancherOS: the images are fetched now, so that the service can start
    // at the next boot or `ros service up` without waiting for them. A daemon
    // that cannot be reached leaves that for later.
    auto daemons = ServiceDaemons::open(paths);
    for (auto const& service : staged) {
        auto pulled = stage_image(daemons, service);
        if (pulled.is_error())
            log::warn(service.name + ": enabled, but its image was not pulled: " + pulled.error().message());
    }
    return 0;
}

int service_disable(const config::Paths& paths, const ServiceOptions& options)
{
    if (options.names.empty())
        return fail("service disable", Error::from_string("Must specify one or more services", EINVAL));
    auto tree = read_user_config(paths);
    if (tree.is_error())
        return fail("service disable", tree.error());
    for (auto const& name : options.names) {
        // Only what is included can be disabled: the built-in services are
        // not switched off this way.
        if (!config::find_path(*tree, include_key(name))) {
            log::warn("service " + name + " is not in rancher.services_include; nothing to disable");
            continue;
        }
        if (auto set = config::set_path(*tree, include_key(name), config::Node::boolean(false)); set.is_error())
            return fail("service disable", set.error());
    }
    if (auto written = write_user_config(paths, *tree); written.is_error())
        return fail("service disable", written.error());
    return 0;
}

int service_delete(const config::Paths& paths, const ServiceOptions& options)
{
    if (options.names.empty())
        return fail("service delete", Error::from_string("Must specify one or more services", EINVAL));
    auto tree = read_user_config(paths);
    if (tree.is_error())
        return fail("service delete", tree.error());
    for (auto const& name : options.names) {
        if (!config::erase_path(*tree, include_key(name)))
            log::warn("service " + name + " is not in rancher.services_include; nothing to delete");
    }
    if (auto written = write_user_config(paths, *tree); written.is_error())
        return fail("service delete", written.error());
    return 0;
}

int service_list(const config::Paths& paths, const ServiceOptions& options)
{
    auto loaded = config::load_config(paths);
    auto sources = compose::ServiceSources::from_config(paths, loaded.typed.rancher);
    auto available = compose::list_available(
        sources, compose::Kind::Service, loaded.typed.rancher, options.update ? compose::Update::Yes : compose::Update::No);
    for (auto const& warning : available.warnings)
        log::warn(warning);
    if (options.all) {
        std::vector<std::string> builtin;
        for (auto const& [name, service] : loaded.typed.rancher.services)
            builtin.push_back(name);
        std::sort(builtin.begin(), builtin.end());
        for (auto const& name : builtin)
            std::printf("enabled  %s\n", name.c_str());
    }
    for (auto const& entry : available.entries)
        std::printf("%s %s\n", entry.enabled ? "enabled " : "disabled", entry.name.c_str());
    return 0;
}

} // namespace corral::cli
