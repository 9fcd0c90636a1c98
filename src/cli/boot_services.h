#pragma once

// The services' side of booting and shutting down, run by PID 1 as children
// (PID 1 itself starts no threads and makes no blocking calls to a daemon):
//
// `ros sysinit` (reference §1.5): waits for system-dockerd, brings every
// service up in dependency order (the compose orchestrator, with the network
// reload), syncs, prints "CorralOS <version> started" on the console, then
// waits for the user engine to answer and prints "CorralOS: user Docker ready".
//
// `ros stop-services [--timeout N]` (reference §9.6): stops the user engine's
// containers, then the running system services in the reverse of their start
// order, wave by wave, all within N seconds (rancher.shutdown_timeout).
//
// `ros udev-settle` (the udev-cold service): udevd --daemon, udevadm trigger
// for add events, udevadm settle, then stops that udevd.
//
// `ros preload-images` (the preload-user-images service, §9.11): loads every
// archive in /var/lib/rancher/preload/docker that has no "<file>.done" stamp
// into the user engine.

#include "config/paths.h"

namespace corral::cli {

int sysinit(const config::Paths& paths);
int stop_services(const config::Paths& paths, int timeout_seconds);
int udev_settle();
int preload_images(const config::Paths& paths);

} // namespace corral::cli
