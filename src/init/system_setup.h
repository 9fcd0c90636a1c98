#pragma once

// What init sets up on the new root before the engine starts (reference §1.2
// steps 15–23 and dfs's secondPrepare).

#include "base/error.h"
#include "base/process.h"
#include "config/model.h"

#include <chrono>
#include <optional>

namespace corral::init {

// The directories the services mount (the *-volumes containers bind them),
// /etc/hosts, resolv.conf, passwd and group when missing, and "/" made
// rshared so that :shared binds (media, the system engine's data) propagate.
ErrorOr<void> prepare_root();

// rancher.sysctl (each key's failure is logged, the rest still apply),
// net.ipv4.ip_forward, the hostname (hostname, else defaults.hostname) with
// /etc/hostname and its /etc/hosts line, and RLIMIT_NOFILE.
void apply_system_settings(const config::CloudConfig& cfg);

// The engine's socket directories, data root and exec root.
ErrorOr<void> prepare_engine_paths(const config::DockerConfig& engine);

// Runs `cloud-init-save` (the configdrive datasource; reference §5) as a child
// and waits for it at most 30 s: a dead or slow datasource never holds the boot.
void run_cloud_init_save();

// Waits for `child` at most `timeout`; kills and reaps it past that. nullopt
// on timeout.
std::optional<ExitStatus> wait_bounded(Child& child, std::chrono::milliseconds timeout);

} // namespace corral::init
