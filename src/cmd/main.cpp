// The CorralOS multicall binary. Like busybox, it picks the program by the name it
// was started as (argv[0]); every applet links to this one file. Any name without
// an applet of its own runs the `ros` CLI, as in RancherOS.

#include "api/daemon.h"
#include "cli/autologin.h"
#include "cli/cloud_init_verbs.h"
#include "cli/respawn.h"
#include "cli/ros.h"
#include "cli/system_docker.h"
#include "init/init_main.h"
#include "init/power.h"
#include "netconf/netconf.h"
#include "runtime/container_init.h"

#include <cstring>
#include <string_view>

namespace {

struct Applet {
    std::string_view name;
    int (*main)(int argc, char** argv);
};

// Applets are added here as their components arrive (init, system-dockerd,
// system-docker, respawn, netconf, cloud-init-save, cloud-init-execute, halt,
// poweroff, reboot, shutdown).
constexpr Applet APPLETS[] = {
    { "ros", corral::cli::ros_main },
    { "corral-init", corral::runtime::container_init_main },
    { "system-dockerd", corral::api::system_dockerd_main },
    { "system-docker", corral::cli::system_docker_main },
    { "respawn", corral::cli::respawn_main },
    { "autologin", corral::cli::autologin_main },
    { "recovery", corral::cli::autologin_main },
    { "cloud-init-save", corral::cli::cloud_init_save_main },
    { "cloud-init-execute", corral::cli::cloud_init_execute_main },
    { "init", corral::init::init_main },
    { "halt", corral::init::power_main },
    { "poweroff", corral::init::power_main },
    { "reboot", corral::init::power_main },
    { "shutdown", corral::init::power_main },
    { "netconf", corral::netconf::netconf_main },
};

} // namespace

int main(int argc, char** argv)
{
    std::string_view name = argc > 0 && argv[0] ? argv[0] : "ros";
    if (auto slash = name.rfind('/'); slash != std::string_view::npos)
        name.remove_prefix(slash + 1);
    for (auto const& applet : APPLETS) {
        if (applet.name == name)
            return applet.main(argc, argv);
    }
    return corral::cli::ros_main(argc, argv);
}
