#pragma once

// `system-docker`: the client of the system container engine, with the docker
// CLI's syntax, output and exit codes for the verbs RancherOS users type
// (ps, logs, exec -it, run, inspect, images, …). It talks to
// unix:///var/run/system-docker.sock unless -H or DOCKER_HOST says otherwise.

namespace corral::cli {

// The applet's entry point: returns the exit status.
int system_docker_main(int argc, char** argv);

} // namespace corral::cli
