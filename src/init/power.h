#pragma once

// Power requests (reference §9.6). halt, poweroff, reboot and shutdown ask
// PID 1 by signal, the way busybox and sysvinit do, so that they work from
// any container that shares the host's PID namespace (the console does):
//   SIGTERM, SIGINT (ctrl-alt-del)  reboot
//   SIGUSR1                         halt
//   SIGUSR2, SIGPWR                 power off
// PID 1 then stops the services in order within rancher.shutdown_timeout.
// With -f the caller syncs and reboots the kernel itself, at once.

#include <optional>
#include <string>
#include <vector>

namespace corral::init {

enum class PowerAction {
    Reboot,
    PowerOff,
    Halt,
};

const char* power_action_name(PowerAction action); // "reboot", "power off", "halt"
int power_signal(PowerAction action);
std::optional<PowerAction> power_action_for_signal(int signal);
// The reboot(2) command for the action.
int reboot_command(PowerAction action);

struct PowerRequest {
    PowerAction action { PowerAction::PowerOff };
    bool force { false }; // -f: no orderly shutdown
    int delay_seconds { 0 }; // shutdown +N (minutes, in seconds)
    std::string message; // shutdown's wall message, printed
};

// Parses a power command line: argv[0] names the action (halt, poweroff,
// reboot, shutdown); shutdown takes -r, -h, -P, -H, -f, -c is refused, and a
// time: now, +N (minutes) or hh:mm is refused with a message; anything else is
// an error message in `error`.
std::optional<PowerRequest> parse_power_command(const std::vector<std::string>& argv, std::string& error);

// The applet: halt, poweroff, reboot, shutdown.
int power_main(int argc, char** argv);

} // namespace corral::init
