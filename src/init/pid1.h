#pragma once

// What PID 1 does once the boot chain has run (or failed): it supervises
// system-dockerd (restarted with a back-off whenever it dies), starts the
// services once (`ros sysinit`), reaps every orphan, offers a recovery shell
// on the console when asked or when the boot failed, and on a power request
// (a signal, see power.h) shuts down in order: services stopped by `ros
// stop-services` within rancher.shutdown_timeout, then every remaining
// process, file systems synced and unmounted, then reboot(2). It never returns.
// Single-threaded: one signalfd and one poll loop.

#include "init/boot_chain.h"

#include <string>

namespace corral::init {

struct Pid1Options {
    std::string version;
    bool boot_ok { true };
    std::string boot_error; // shown above the recovery shell
    BootResult boot;
};

[[noreturn]] void run_pid1(const Pid1Options& options);

} // namespace corral::init
