#include "config/docker_args.h"

namespace corral::config {

std::vector<std::string> docker_daemon_args(const DockerConfig& docker)
{
    std::vector<std::string> args = docker.args;
    auto text = [&](const char* flag, const std::string& value) {
        if (!value.empty())
            args.push_back(std::string(flag) + "=" + value);
    };
    auto flag = [&](const char* name, const std::optional<bool>& value) {
        if (value)
            args.push_back(*value ? std::string(name) : std::string(name) + "=false");
    };
    auto list = [&](const char* name, const std::vector<std::string>& values) {
        for (auto const& value : values)
            args.push_back(std::string(name) + "=" + value);
    };
    // In the order of the configuration keys' names.
    text("--bip", docker.bip);
    text("--bridge", docker.bridge);
    text("--config-file", docker.config_file);
    text("--containerd", docker.containerd);
    flag("--debug", docker.debug);
    text("--exec-root", docker.exec_root);
    text("--data-root", docker.graph); // --graph is deprecated in dockerd 20.10 and gone after
    text("--group", docker.group);
    list("--host", docker.host);
    list("--insecure-registry", docker.insecure_registry);
    flag("--live-restore", docker.live_restore);
    text("--log-driver", docker.log_driver);
    for (auto const& [key, value] : docker.log_opts)
        args.push_back("--log-opt=" + key + "=" + value);
    text("--pidfile", docker.pid_file);
    text("--registry-mirror", docker.registry_mirror);
    flag("--restart", docker.restart);
    flag("--selinux-enabled", docker.selinux_enabled);
    text("--storage-driver", docker.storage_driver);
    flag("--userland-proxy", docker.userland_proxy);
    args.insert(args.end(), docker.extra_args.begin(), docker.extra_args.end());
    if (docker.tls)
        args.insert(args.end(), docker.tls_args.begin(), docker.tls_args.end());
    return args;
}

} // namespace corral::config
