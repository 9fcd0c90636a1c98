#pragma once

// The daemon command line of a rancher.docker / rancher.system_docker block
// (reference §3.5). RancherOS emitted the generated flags in Go map order,
// so the same configuration gave a different command line from one boot to
// the next. Here: `args` as written (leading arguments), then the generated
// flags in the order of their keys' names, then `extra_args` as written,
// then `tls_args` when `tls` is true.
//
// Strings emit `--flag=value` when not empty; optional booleans `--flag` or
// `--flag=false` when set; lists one flag per item; log_opts one --log-opt
// per key, in key order. `graph` gives --data-root, the name dockerd has
// taken since --graph was deprecated.

#include "config/model.h"

#include <string>
#include <vector>

namespace corral::config {

std::vector<std::string> docker_daemon_args(const DockerConfig& docker);

} // namespace corral::config
