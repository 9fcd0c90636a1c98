#pragma once

// Test input for the compose tests: service definitions written as YAML, and
// the default services of os/os-config.tpl.yml rendered as the build renders
// them (with fixed values, so that the tests do not depend on the build).

#include "config/decode.h"
#include "config/model.h"
#include "config/template.h"
#include "config/yaml.h"

#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>
#include <string>

namespace compose_test {

inline std::string describe(const corral::config::Diagnostics& diagnostics)
{
    std::string out;
    for (auto const& d : diagnostics)
        out += d.describe() + "\n";
    return out;
}

// Decodes one service written as YAML; fails the test on any diagnostic.
inline corral::config::ServiceConfig service_from_yaml(const std::string& yaml)
{
    auto tree = corral::config::parse_yaml(yaml, "service.yml");
    EXPECT_FALSE(tree.is_error()) << tree.error().message();
    corral::config::ServiceConfig service;
    corral::config::Diagnostics diagnostics;
    corral::config::DecodeContext context(diagnostics);
    if (!tree.is_error())
        corral::config::decode(tree.value(), service, context);
    EXPECT_TRUE(diagnostics.empty()) << describe(diagnostics);
    return service;
}

// Decodes a map of services written as YAML.
inline std::map<std::string, corral::config::ServiceConfig> services_from_yaml(const std::string& yaml)
{
    auto tree = corral::config::parse_yaml(yaml, "services.yml");
    EXPECT_FALSE(tree.is_error()) << tree.error().message();
    std::map<std::string, corral::config::ServiceConfig> services;
    corral::config::Diagnostics diagnostics;
    corral::config::DecodeContext context(diagnostics);
    if (!tree.is_error())
        corral::config::decode(tree.value(), services, context);
    EXPECT_TRUE(diagnostics.empty()) << describe(diagnostics);
    return services;
}

// os-config.tpl.yml rendered for amd64 with the build's defaults.
inline std::string default_os_config_text()
{
    std::string path = std::string(CORRAL_SOURCE_DIR) + "/os/os-config.tpl.yml";
    std::ifstream file(path);
    EXPECT_TRUE(file.good()) << "cannot read " << path;
    std::stringstream text;
    text << file.rdbuf();
    std::map<std::string, std::string> vars = {
        { "VERSION", "v0.1.0" },
        { "SUFFIX", "" },
        { "ARCH", "amd64" },
        { "OS_REPO", "corralos" },
        { "HOSTNAME_DEFAULT", "rancher" },
        { "USER_DOCKER_ENGINE", "docker-20.10.24" },
        { "OS_CONSOLE", "default" },
    };
    auto rendered = corral::config::render_template(text.str(), vars);
    EXPECT_FALSE(rendered.is_error()) << rendered.error().message();
    return rendered.is_error() ? std::string() : rendered.release_value();
}

inline corral::config::Node default_os_config_tree()
{
    auto tree = corral::config::parse_yaml(default_os_config_text(), "os-config.yml");
    EXPECT_FALSE(tree.is_error()) << tree.error().message();
    return tree.is_error() ? corral::config::Node() : tree.release_value();
}

inline corral::config::CloudConfig default_os_config()
{
    corral::config::Diagnostics diagnostics;
    auto config = corral::config::decode_cloud_config(default_os_config_tree(), diagnostics);
    EXPECT_TRUE(diagnostics.empty()) << describe(diagnostics);
    return config;
}

} // namespace compose_test
