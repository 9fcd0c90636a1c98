#pragma once

// The `ros config` verbs, one file each. Each returns the process exit code and
// prints its own output and errors.

#include "config/paths.h"

#include <string>

namespace corral::cli {

int config_get(const config::Paths& paths, const std::string& key);
int config_set(const config::Paths& paths, const std::string& key, const std::string& value);
int config_merge(const config::Paths& paths, const std::string& input);

struct ExportOptions {
    std::string output; // empty: stdout
    bool private_keys { false }; // -p: keep ssh host keys, TLS keys and registry passwords
    bool full { false }; // -f: include os-config.yml and oem-config.yml
};
int config_export(const config::Paths& paths, const ExportOptions& options);

int config_validate(const std::string& input);
int config_images(const config::Paths& paths, const std::string& input);
int config_generate();

} // namespace corral::cli
