#pragma once

// `ros entrypoint CMD...` (reference §4.4): the ENTRYPOINT of os-base and the
// images built on it. It prepares the container, then execs CMD (/bin/sh when
// none is given):
//   1. /host/dev, when present, is bind-mounted recursively over /dev
//   2. /etc/ssl/certs/ca-certificates.crt.rancher is copied to ca-certificates.crt
//   3. write_files whose container is this container's name, taken from
//      CORRAL_CONTAINER_NAME (skipped when that is unset)
//   4. the applet symlinks to /usr/bin/ros (ENTRYPOINT_LINKS) are made where
//      missing and their directory exists
// Every step that fails is logged and the next one runs; only a failed exec is
// an error. Paths are under ROS_ROOT.

#include "config/paths.h"

#include <string>
#include <vector>

namespace corral::cli {

inline constexpr const char* ENTRYPOINT_LINKS[] = {
    "/usr/bin/autologin",
    "/usr/bin/recovery",
    "/usr/bin/cloud-init-execute",
    "/usr/bin/cloud-init-save",
    "/usr/bin/dockerlaunch",
    "/usr/bin/respawn",
    "/usr/sbin/netconf",
    "/usr/sbin/wait-for-docker",
    "/usr/sbin/poweroff",
    "/usr/sbin/reboot",
    "/usr/sbin/halt",
    "/usr/sbin/shutdown",
    "/sbin/poweroff",
    "/sbin/reboot",
    "/sbin/halt",
    "/sbin/shutdown",
};

// Steps 1 to 4. Returns the number of steps that failed.
int prepare_entrypoint(const config::Paths& paths);

// Prepares, then execs `command`; returns only when the exec fails (127).
int entrypoint(const config::Paths& paths, const std::vector<std::string>& command);

} // namespace corral::cli
