#pragma once

// system-dockerd: options (dockerd's flags and daemon.json), and running the
// daemon until SIGTERM or SIGINT. The containers keep running after it: the
// next daemon finds them again.

#include "base/error.h"
#include "base/log.h"

#include <map>
#include <string>
#include <vector>

namespace corral::api {

struct DaemonOptions {
    std::vector<std::string> hosts;
    std::string data_root { "/var/lib/system-docker" };
    std::string exec_root { "/var/run/system-docker" };
    std::string pidfile { "/var/run/system-docker.pid" };
    std::string config_file;
    std::string group;
    LogLevel log_level { LogLevel::Info };
    bool debug { false };
    std::string log_driver { "json-file" };
    std::map<std::string, std::string> log_options;
    std::vector<std::string> registry_mirrors;
    std::vector<std::string> insecure_registries;
    std::string live_restore { "true" };
    std::string cgroup_parent;
    // dockerd's TLS flags. Only mutual TLS is served: a tcp:// host needs
    // --tlsverify; the files default to $DOCKER_CERT_PATH or ~/.docker.
    bool tls { false };
    bool tls_verify { false };
    std::string tls_ca_cert, tls_cert, tls_key;
};

// Flags first, then the --config-file's keys for what no flag gave (dockerd
// refuses a key given both ways; here the flag wins). Errors name the flag
// or key; --help prints and gives an error with code 0.
ErrorOr<DaemonOptions> parse_daemon_options(int argc, char** argv);

int run_daemon(const DaemonOptions& options);
int system_dockerd_main(int argc, char** argv);

} // namespace corral::api
