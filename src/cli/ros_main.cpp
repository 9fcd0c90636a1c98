// The `ros` command tree (reference §2.1): one table of verbs; each verb's work is
// in its own file.

#include "cli/ros.h"

#include "base/log.h"
#include "cli/boot_services.h"
#include "cli/config_verbs.h"
#include "cli/console_init.h"
#include "cli/engine.h"
#include "cli/entrypoint.h"
#include "cli/service.h"
#include "cli/user_docker.h"
#include "config/paths.h"

#include <CLI/CLI.hpp>
#include <tuple>

#ifndef CORRAL_VERSION
#    define CORRAL_VERSION "dev"
#endif

namespace corral::cli {

namespace {

constexpr const char* KEY_HELP = "Keys are dotted paths such as rancher.network.dns.nameservers. A key "
                                 "segment that itself contains dots is quoted or escaped: "
                                 "rancher.sysctl.\"net.ipv4.ip_forward\" or rancher.sysctl.net\\.ipv4\\.ip_forward "
                                 "(quote for the shell too: 'rancher.sysctl.\"net.ipv4.ip_forward\"').";

void add_config_commands(CLI::App& ros, int& exit_code)
{
    auto paths = std::make_shared<config::Paths>(config::Paths::from_environment());
    CLI::App* config = ros.add_subcommand("config", "configure settings");
    config->alias("c");
    config->require_subcommand(1);
    config->footer(std::string(KEY_HELP) + "\nFiles are read under $ROS_ROOT (default /).");

    auto key = std::make_shared<std::string>();
    auto value = std::make_shared<std::string>();
    auto input = std::make_shared<std::string>();

    CLI::App* get = config->add_subcommand("get", "get the value of a key from the merged configuration");
    get->add_option("key", *key, "the key")->required();
    get->footer(KEY_HELP);
    get->callback([=, &exit_code] { exit_code = config_get(*paths, *key); });

    CLI::App* set = config->add_subcommand("set", "set a value in cloud-config.yml");
    set->add_option("key", *key, "the key")->required();
    set->add_option("value", *value, "the value, typed as on the kernel command line: true, 42, 1.5, [a,b], \"text\"")
        ->required();
    set->footer(KEY_HELP);
    set->callback([=, &exit_code] { exit_code = config_set(*paths, *key, *value); });

    CLI::App* merge = config->add_subcommand("merge", "merge YAML into cloud-config.yml");
    merge->add_option("-i,--input", *input, "the YAML file to merge (default: standard input)");
    merge->callback([=, &exit_code] { exit_code = config_merge(*paths, *input); });

    auto export_options = std::make_shared<ExportOptions>();
    CLI::App* exp = config->add_subcommand("export", "export the configuration");
    exp->add_option("-o,--output", export_options->output, "write to this file (default: standard output)");
    exp->add_flag("-p,--private", export_options->private_keys, "include ssh host keys, TLS keys and registry credentials");
    exp->add_flag("-f,--full", export_options->full, "include the defaults (os-config.yml, oem-config.yml)");
    exp->callback([=, &exit_code] { exit_code = config_export(*paths, *export_options); });

    CLI::App* validate = config->add_subcommand("validate", "validate a cloud-config file");
    validate->add_option("-i,--input", *input, "the file to validate (default: standard input)");
    validate->callback([=, &exit_code] { exit_code = config_validate(*input); });

    CLI::App* images = config->add_subcommand("images", "list the images of the system services");
    images->add_option("-i,--input", *input, "read the services from this file instead of the merged configuration");
    images->callback([=, &exit_code] { exit_code = config_images(*paths, *input); });

    CLI::App* generate = config->add_subcommand("generate", "render a template from standard input against the environment");
    generate->callback([&exit_code] { exit_code = config_generate(); });
}

void add_service_verbs(CLI::App& ros, int& exit_code)
{
    auto paths = std::make_shared<config::Paths>(config::Paths::from_environment());
    CLI::App* service = ros.add_subcommand("service", "manage services (rancher.services, services_include)");
    service->alias("s");
    service->require_subcommand(1);
    service->footer("Services of io.rancher.os.scope system go to $ROS_ROOT/var/run/system-docker.sock, the "
                    "others to $ROS_ROOT/var/run/docker.sock.");
    using Verb = int (*)(const config::Paths&, const ServiceOptions&);
    auto add = [&](const char* name, const char* help, Verb verb) {
        auto options = std::make_shared<ServiceOptions>();
        CLI::App* cmd = service->add_subcommand(name, help);
        cmd->add_option("services", options->names, "the services");
        cmd->callback([=, &exit_code] { exit_code = verb(*paths, *options); });
        return std::pair { cmd, options };
    };
    {
        auto [cmd, o] = add("enable", "turn on a service (a repository name, a file under /var/lib/rancher/conf or a "
                                      "URL) in services_include",
            service_enable);
        cmd->add_flag("-u,--update", o->update, "fetch the definition again rather than use the cached copy");
    }
    add("disable", "turn off a service in services_include", service_disable);
    add("delete", "remove a service from services_include", service_delete);
    {
        auto [cmd, o] = add("list", "list the services available and which are enabled", service_list);
        cmd->add_flag("-a,--all", o->all, "also list the built-in services (rancher.services)");
        cmd->add_flag("-u,--update", o->update, "fetch the repositories' indexes again");
    }
    for (auto [name, help, verb] : { std::tuple<const char*, const char*, Verb> { "up", "create and start services, with what they depend on", service_up },
             std::tuple<const char*, const char*, Verb> { "create", "create services' containers without starting them", service_create } }) {
        auto [cmd, o] = add(name, help, verb);
        cmd->add_flag("--force-recreate", o->force_recreate, "recreate the containers even if nothing changed");
        cmd->add_flag("--no-recreate", o->no_recreate, "keep existing containers even if their definitions changed");
        cmd->add_flag("-u,--update", o->update, "fetch included definitions again");
    }
    add("start", "start services' containers", service_start);
    for (auto [name, help, verb] : { std::tuple<const char*, const char*, Verb> { "stop", "stop services' containers", service_stop },
             std::tuple<const char*, const char*, Verb> { "restart", "restart services' containers", service_restart } }) {
        auto [cmd, o] = add(name, help, verb);
        cmd->add_option("-t,--timeout", o->timeout, "seconds to wait for a container to stop before killing it")
            ->capture_default_str();
    }
    {
        auto [cmd, o] = add("rm", "remove services' containers", service_rm);
        cmd->add_flag("-f,--force", o->force, "remove running containers too");
        cmd->add_flag("-v", o->volumes, "remove their anonymous volumes too");
    }
    {
        auto [cmd, o] = add("kill", "send a signal to services' containers", service_kill);
        cmd->add_option("-s,--signal", o->signal, "the signal")->capture_default_str();
    }
    {
        auto [cmd, o] = add("logs", "show services' logs", service_logs);
        cmd->add_flag("-f,--follow", o->follow, "keep following the logs");
        cmd->add_option("--lines", o->lines, "lines of each log to show from its end")->capture_default_str();
    }
    {
        auto [cmd, o] = add("ps", "list services' containers", service_ps);
        cmd->add_flag("-q", o->quiet, "only the container IDs");
    }
    {
        auto [cmd, o] = add("pull", "pull services' images", service_pull);
        cmd->add_flag("--ignore-pull-failures", o->ignore_pull_failures, "pull what can be pulled and succeed");
    }
    {
        auto [cmd, o] = add("down", "stop and remove services' containers", service_down);
        cmd->add_option("-t,--timeout", o->timeout, "seconds to wait for a container to stop before killing it")
            ->capture_default_str();
        cmd->add_flag("-v", o->volumes, "remove their anonymous volumes too");
    }
}

void add_engine_verbs(CLI::App& ros, int& exit_code)
{
    auto paths = std::make_shared<config::Paths>(config::Paths::from_environment());
    CLI::App* engine = ros.add_subcommand("engine", "manage which Docker engine is used");
    engine->require_subcommand(1);
    auto name = std::make_shared<std::string>();
    auto options = std::make_shared<EngineSwitchOptions>();

    CLI::App* list = engine->add_subcommand("list", "list the engines available");
    list->add_flag("-u,--update", options->update, "fetch the repositories' indexes again");
    list->callback([=, &exit_code] { exit_code = engine_list(*paths, options->update); });

    CLI::App* enable = engine->add_subcommand("enable", "use an engine from the next boot on");
    enable->add_option("engine", *name, "the engine")->required();
    enable->add_flag("-u,--update", options->update, "fetch its definition again");
    enable->callback([=, &exit_code] { exit_code = engine_enable(*paths, *name, options->update); });

    CLI::App* sw = engine->add_subcommand("switch", "replace the running engine now");
    sw->add_option("engine", *name, "the engine")->required();
    sw->add_flag("-u,--update", options->update, "fetch its definition again");
    sw->add_flag("--no-pull", options->no_pull, "do not pull its image");
    auto force = std::make_shared<bool>(false); // outlives this function, as CLI11 writes to it at parse time
    sw->add_flag("-f,--force", *force, "accepted for RancherOS compatibility: switching never asks");
    sw->callback([=, &exit_code] { exit_code = engine_switch(*paths, *name, *options); });
}

// Commands the system services run (reference §2.2): hidden from help.
void add_service_commands(CLI::App& ros, int& exit_code)
{
    auto paths = std::make_shared<config::Paths>(config::Paths::from_environment());
    auto options = std::make_shared<UserDockerOptions>();
    CLI::App* user_docker_cmd = ros.add_subcommand("user-docker", "run the user Docker engine (the docker service)");
    user_docker_cmd->group(""); // hidden
    user_docker_cmd->add_flag("--print", options->print_only, "print the dockerd command line instead of running it");
    user_docker_cmd->callback([=, &exit_code] { exit_code = user_docker(*paths, *options); });

    CLI::App* console_init_cmd = ros.add_subcommand("console-init", "prepare the console, then run its gettys and sshd");
    console_init_cmd->group(""); // hidden
    console_init_cmd->callback([=, &exit_code] { exit_code = console_init(*paths); });

    // Everything after `entrypoint` is the command, passed through unparsed.
    CLI::App* entrypoint_cmd = ros.add_subcommand("entrypoint", "prepare a system container, then exec its command");
    entrypoint_cmd->group(""); // hidden
    entrypoint_cmd->prefix_command();
    entrypoint_cmd->set_help_flag();
    entrypoint_cmd->callback([=, &exit_code] { exit_code = entrypoint(*paths, entrypoint_cmd->remaining()); });

    CLI::App* sysinit_cmd = ros.add_subcommand("sysinit", "bring up the services at boot (run by init)");
    sysinit_cmd->group("");
    sysinit_cmd->callback([=, &exit_code] { exit_code = sysinit(*paths); });

    auto timeout = std::make_shared<int>(60);
    CLI::App* stop_cmd = ros.add_subcommand("stop-services", "stop the services at shutdown (run by init)");
    stop_cmd->group("");
    stop_cmd->add_option("--timeout", *timeout, "seconds for the whole shutdown")->capture_default_str();
    stop_cmd->callback([=, &exit_code] { exit_code = stop_services(*paths, *timeout); });

    CLI::App* udev_cmd = ros.add_subcommand("udev-settle", "coldplug devices once (the udev-cold service)");
    udev_cmd->group("");
    udev_cmd->callback([&exit_code] { exit_code = udev_settle(); });

    CLI::App* preload_cmd = ros.add_subcommand("preload-images", "load the user engine's preloaded images");
    preload_cmd->group("");
    preload_cmd->callback([=, &exit_code] { exit_code = preload_images(*paths); });
}

} // namespace

int ros_main(int argc, char** argv)
{
    log::set_program("ros");
    CLI::App ros { "Control and configure CorralOS" };
    ros.name("ros");
    ros.require_subcommand(1);
    ros.set_version_flag("-v,--version", std::string("ros version ") + CORRAL_VERSION);
    int exit_code = 0;
    add_config_commands(ros, exit_code);
    add_service_verbs(ros, exit_code);
    add_engine_verbs(ros, exit_code);
    add_service_commands(ros, exit_code);
    try {
        ros.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return ros.exit(e);
    }
    return exit_code;
}

} // namespace corral::cli
