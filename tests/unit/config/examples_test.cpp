// Every RancherOS-style cloud-config in the corpus, and the default os-config.yml
// as the build renders it, load with no error and no unknown key.

#include "config/keypath.h"
#include "config/loader.h"
#include "config/yaml.h"

#include <algorithm>
#include <cstdlib>
#include <dirent.h>
#include <gtest/gtest.h>

using namespace corral::config;

namespace {

std::vector<std::string> example_files()
{
    std::string dir = std::string(CORRAL_SOURCE_DIR) + "/tests/unit/config/examples";
    std::vector<std::string> files;
    if (DIR* handle = opendir(dir.c_str())) {
        while (dirent* entry = readdir(handle)) {
            std::string name = entry->d_name;
            if (name.size() > 4 && name.substr(name.size() - 4) == ".yml")
                files.push_back(dir + "/" + name);
        }
        closedir(handle);
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::string describe(const Diagnostics& diagnostics)
{
    std::string out;
    for (auto const& d : diagnostics)
        out += d.describe() + "\n";
    return out;
}

} // namespace

TEST(Examples, EveryExampleLoadsAndValidates)
{
    auto files = example_files();
    ASSERT_GE(files.size(), 30u) << "corpus not found under " CORRAL_SOURCE_DIR;
    for (auto const& file : files) {
        auto layer = load_file_layer(file, file);
        ASSERT_FALSE(layer.is_error()) << layer.error().message();
        EXPECT_TRUE(layer->diagnostics.empty()) << describe(layer->diagnostics);
        EXPECT_TRUE(layer->tree.is_map()) << file;
        EXPECT_FALSE(layer->tree.entries().empty()) << file;
    }
}

TEST(Examples, DefaultOsConfigValidatesAndHoldsTheDefaults)
{
    std::string file = std::string(CORRAL_BINARY_DIR) + "/share/ros/os-config.yml";
    auto layer = load_file_layer(file, file);
    ASSERT_FALSE(layer.is_error()) << layer.error().message();
    EXPECT_TRUE(layer->diagnostics.empty()) << describe(layer->diagnostics);
    Diagnostics ignored;
    CloudConfig config = decode_cloud_config(layer->tree, ignored);
    auto const& r = config.rancher;
    EXPECT_EQ(r.shutdown_timeout, 60);
    EXPECT_EQ(r.http_load_retries, 6);
    EXPECT_EQ(r.environment.at("REGISTRY_DOMAIN"), "docker.io");
    EXPECT_EQ(r.defaults.hostname, "rancher");
    EXPECT_EQ(r.defaults.network.dhcp_timeout, 10);
    EXPECT_EQ(r.defaults.network.dns.nameservers, (std::vector<std::string> { "8.8.8.8", "8.8.4.4" }));
    EXPECT_EQ(r.defaults.system_docker_logs, "/var/log/system-docker.log");
    EXPECT_TRUE(r.ssh.daemon);
    EXPECT_TRUE(r.hypervisor_service);
    EXPECT_EQ(r.console, "default");
    EXPECT_EQ(r.cloud_init.datasources, std::vector<std::string> { "configdrive:/media/config-2" });
    EXPECT_EQ(r.state.oem_dev, "LABEL=RANCHER_OEM");
    EXPECT_EQ(r.state.boot_dev, "LABEL=RANCHER_BOOT");
    EXPECT_TRUE(r.state.rngd);
    EXPECT_EQ(r.system_docker.host, std::vector<std::string> { "unix:///var/run/system-docker.sock" });
    EXPECT_EQ(r.system_docker.graph, "/var/lib/system-docker");
    EXPECT_EQ(r.docker.host, std::vector<std::string> { "unix:///var/run/docker.sock" });
    EXPECT_EQ(r.docker.group, "docker");
    EXPECT_EQ(r.docker.log_opts.at("max-size"), "25m");
    EXPECT_FALSE(r.docker.tls_args.empty());

    // The services of reference §4.2 that CorralOS runs, with their ordering labels.
    for (auto name : { "command-volumes", "system-volumes", "container-data-volumes", "user-volumes", "media-volumes",
             "all-volumes", "cloud-init-execute", "console", "network", "ntp", "preload-user-images", "syslog",
             "udev-cold", "udev", "docker" })
        EXPECT_TRUE(r.services.contains(name)) << name;
    EXPECT_TRUE(r.bootstrap.contains("bootstrap"));
    EXPECT_TRUE(r.cloud_init_services.contains("cloud-init"));
    auto label = [&](const char* service, const char* key) -> std::string {
        auto const* value = r.services.at(service).labels.find(key);
        return value && *value ? **value : "<none>";
    };
    EXPECT_EQ(label("udev", "io.rancher.os.after"), "udev-cold");
    EXPECT_EQ(label("network", "io.rancher.os.after"), "udev");
    EXPECT_EQ(label("network", "io.rancher.os.reloadconfig"), "true");
    EXPECT_EQ(label("ntp", "io.rancher.os.after"), "network");
    EXPECT_EQ(label("console", "io.rancher.os.after"), "cloud-init-execute");
    EXPECT_EQ(label("docker", "io.rancher.os.after"), "console");
    EXPECT_EQ(label("all-volumes", "io.docker.compose.rebuild"), "always");
    EXPECT_EQ(label("udev-cold", "io.rancher.os.detach"), "false");
    EXPECT_EQ(r.services.at("console").restart, "always");
    for (auto const& [name, service] : r.services) {
        EXPECT_EQ(label(name.c_str(), "io.rancher.os.scope"), "system") << name;
        EXPECT_EQ(service.image.rfind("corralos/os-", 0), 0u) << name << ": " << service.image;
    }
}
