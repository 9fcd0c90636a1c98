// ros config export [-o FILE] [-p] [-f]: the user's configuration as one YAML
// document (cloud-config.d, cloud-config.yml, kernel command line, metadata; with
// -f also os-config.yml and oem-config.yml). Console passwords and autologin are
// never exported; host keys, TLS keys and registry credentials only with -p.

#include "base/file.h"
#include "cli/config_common.h"
#include "cli/config_verbs.h"
#include "config/keypath.h"
#include "config/loader.h"
#include "config/yaml.h"

#include <cstdio>

namespace corral::cli {

namespace {

void strip_private(config::Node& tree)
{
    config::erase_path(tree, { "rancher", "ssh", "keys" });
    for (auto const* daemon : { "docker", "system_docker", "bootstrap_docker" }) {
        for (auto const* field : { "ca_key", "ca_cert", "server_key", "server_cert" })
            config::erase_path(tree, { "rancher", daemon, field });
    }
    config::Node* rancher = tree.find("rancher");
    config::Node* auths = rancher && rancher->is_map() ? rancher->find("registry_auths") : nullptr;
    if (auths && auths->is_map()) {
        for (auto& entry : auths->entries()) {
            if (!entry.value.is_map())
                continue;
            for (auto const* secret : { "password", "auth", "identitytoken", "registrytoken" })
                entry.value.erase(secret);
        }
    }
}

} // namespace

int config_export(const config::Paths& paths, const ExportOptions& options)
{
    config::LoadOptions load_options;
    load_options.defaults = options.full;
    config::LoadedConfig loaded = config::load_config(paths, load_options);
    report_load_problems(loaded);

    config::Node tree = loaded.merged;
    config::erase_path(tree, { "rancher", "password" });
    config::erase_path(tree, { "rancher", "autologin" });
    config::erase_path(tree, { "EXTRA_CMDLINE" });
    config::erase_path(tree, { "rancher", "environment", "EXTRA_CMDLINE" });
    if (!options.private_keys)
        strip_private(tree);

    std::string text = config::emit_yaml(tree);
    if (options.output.empty()) {
        fwrite(text.data(), 1, text.size(), stdout);
        return 0;
    }
    if (auto written = write_file_atomic(options.output, text, 0600, KeepMode::No); written.is_error())
        return fail("config export", written.error());
    return 0;
}

} // namespace corral::cli
