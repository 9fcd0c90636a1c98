#pragma once

// Where configuration lives, under the root prefix $ROS_ROOT (default "/") so that
// the tools run and test on a development machine (DESIGN.md).

#include <string>

namespace corral::config {

struct Paths {
    std::string root { "/" };

    static Paths from_environment(); // reads ROS_ROOT

    std::string under_root(const std::string& absolute) const;
    std::string os_config() const { return under_root("/usr/share/ros/os-config.yml"); }
    std::string oem_config() const { return under_root("/usr/share/ros/oem/oem-config.yml"); }
    std::string conf_dir() const { return under_root("/var/lib/rancher/conf"); }
    std::string cloud_config_dir() const { return under_root("/var/lib/rancher/conf/cloud-config.d"); }
    std::string cloud_config() const { return under_root("/var/lib/rancher/conf/cloud-config.yml"); }
    std::string metadata() const { return under_root("/var/lib/rancher/conf/metadata"); }
    std::string cmdline() const { return under_root("/proc/cmdline"); }
};

} // namespace corral::config
