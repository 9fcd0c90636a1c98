#pragma once

// `ros user-docker`: the command of the `docker` system service. It runs the
// user's Docker engine (Debian's dockerd) with the arguments rancher.docker
// gives (config/docker_args.h), the TLS material of rancher.docker written
// out first when rancher.docker.tls is set, and the environment of
// rancher.docker.environment; /var/run/docker.sock belongs to group docker.

#include "config/paths.h"

namespace corral::cli {

struct UserDockerOptions {
    bool print_only { false }; // --print: show the command line instead of running it
};

// Execs dockerd; returns only on failure (with the exit code to use), or
// after printing with --print.
int user_docker(const config::Paths& paths, const UserDockerOptions& options);

} // namespace corral::cli
