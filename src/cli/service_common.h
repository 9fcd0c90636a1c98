#pragma once

// What the `ros service` verbs share: the two engines, the machine's
// services, and picking the ones named on the command line.

#include "api/client.h"
#include "cli/service.h"
#include "compose/project.h"

#include <optional>
#include <string>
#include <vector>

namespace corral::cli {

struct ServiceDaemons {
    std::optional<api::Client> system; // $ROS_ROOT/var/run/system-docker.sock
    std::optional<api::Client> user; // $ROS_ROOT/var/run/docker.sock

    static ServiceDaemons open(const config::Paths& paths);
    compose::Daemons daemons();
};

// The service's image on its engine, pulled when missing (RancherOS's staging).
ErrorOr<void> stage_image(ServiceDaemons& daemons, const compose::Service& service);

struct MachineServices {
    config::LoadedConfig config;
    compose::LoadedProject project;
};

// Loads the configuration and the services, printing what was left out and
// the warnings to stderr.
MachineServices load_machine_services(const config::Paths& paths, bool update);

// The services named, in the order given; an error for a name that is not a
// service of the machine ("no such service: x").
ErrorOr<std::vector<const compose::Service*>> select_services(
    const compose::LoadedProject& project, const std::vector<std::string>& names);

} // namespace corral::cli
