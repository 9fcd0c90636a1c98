#include "init/power.h"

#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/reboot.h>
#include <unistd.h>

namespace corral::init {

const char* power_action_name(PowerAction action)
{
    switch (action) {
    case PowerAction::Reboot:
        return "reboot";
    case PowerAction::PowerOff:
        return "power off";
    case PowerAction::Halt:
        return "halt";
    }
    return "power off";
}

int power_signal(PowerAction action)
{
    switch (action) {
    case PowerAction::Reboot:
        return SIGTERM;
    case PowerAction::Halt:
        return SIGUSR1;
    case PowerAction::PowerOff:
        return SIGUSR2;
    }
    return SIGUSR2;
}

std::optional<PowerAction> power_action_for_signal(int signal)
{
    switch (signal) {
    case SIGTERM:
    case SIGINT:
        return PowerAction::Reboot;
    case SIGUSR1:
        return PowerAction::Halt;
    case SIGUSR2:
    case SIGPWR:
        return PowerAction::PowerOff;
    default:
        return std::nullopt;
    }
}

int reboot_command(PowerAction action)
{
    switch (action) {
    case PowerAction::Reboot:
        return RB_AUTOBOOT;
    case PowerAction::Halt:
        return RB_HALT_SYSTEM;
    case PowerAction::PowerOff:
        return RB_POWER_OFF;
    }
    return RB_POWER_OFF;
}

std::optional<PowerRequest> parse_power_command(const std::vector<std::string>& argv, std::string& error)
{
    if (argv.empty()) {
        error = "no command";
        return std::nullopt;
    }
    std::string name = argv[0];
    if (auto slash = name.rfind('/'); slash != std::string::npos)
        name = name.substr(slash + 1);
    PowerRequest request;
    bool is_shutdown = name == "shutdown";
    if (name == "reboot")
        request.action = PowerAction::Reboot;
    else if (name == "halt")
        request.action = PowerAction::Halt;
    else if (name == "poweroff" || is_shutdown)
        request.action = PowerAction::PowerOff;
    else {
        error = "unknown power command " + name;
        return std::nullopt;
    }
    bool have_time = false;
    for (size_t i = 1; i < argv.size(); ++i) {
        std::string const& arg = argv[i];
        if (arg == "-f" || arg == "--force") {
            request.force = true;
        } else if (arg == "-h" && is_shutdown) {
            request.action = PowerAction::PowerOff;
        } else if ((arg == "-P" || arg == "--poweroff" || arg == "-p") && is_shutdown) {
            request.action = PowerAction::PowerOff;
        } else if ((arg == "-r" || arg == "--reboot") && is_shutdown) {
            request.action = PowerAction::Reboot;
        } else if ((arg == "-H" || arg == "--halt") && is_shutdown) {
            request.action = PowerAction::Halt;
        } else if (arg == "-c" && is_shutdown) {
            error = "shutdown -c: there is no pending shutdown to cancel (a shutdown starts at once or after +N minutes of sleep)";
            return std::nullopt;
        } else if (is_shutdown && !have_time && (arg == "now" || arg.starts_with("+"))) {
            have_time = true;
            if (arg != "now") {
                int minutes = -1;
                auto [end, ec] = std::from_chars(arg.data() + 1, arg.data() + arg.size(), minutes);
                if (ec != std::errc() || end != arg.data() + arg.size() || minutes < 0 || minutes > 24 * 60) {
                    error = "shutdown: bad time '" + arg + "' (now or +MINUTES)";
                    return std::nullopt;
                }
                request.delay_seconds = minutes * 60;
            }
        } else if (is_shutdown && !have_time && arg.find(':') != std::string::npos) {
            error = "shutdown: a clock time (" + arg + ") is not supported; use now or +MINUTES";
            return std::nullopt;
        } else if (is_shutdown && have_time && !arg.starts_with("-")) {
            request.message += (request.message.empty() ? "" : " ") + arg;
        } else if (arg == "-n" || arg == "-d" || arg == "-w" || arg == "--no-wall") {
            // sysvinit flags with no meaning here (no wtmp, no sync skipping)
        } else {
            error = name + ": unknown option " + arg;
            return std::nullopt;
        }
    }
    return request;
}

int power_main(int argc, char** argv)
{
    std::vector<std::string> args(argv, argv + argc);
    std::string error;
    auto request = parse_power_command(args, error);
    if (!request) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 2;
    }
    if (::geteuid() != 0) {
        std::fprintf(stderr, "%s: must be root (try sudo)\n", args[0].c_str());
        return 1;
    }
    if (!request->message.empty())
        std::printf("%s\n", request->message.c_str());
    if (request->delay_seconds > 0) {
        std::printf("%s in %d minutes\n", power_action_name(request->action), request->delay_seconds / 60);
        std::fflush(stdout);
        ::sleep(static_cast<unsigned>(request->delay_seconds));
    }
    if (request->force) {
        ::sync();
        if (::reboot(reboot_command(request->action)) < 0) {
            std::fprintf(stderr, "reboot(2): %s\n", std::strerror(errno));
            return 1;
        }
        return 0;
    }
    if (::kill(1, power_signal(request->action)) < 0) {
        std::fprintf(stderr, "asking init to %s: %s\n", power_action_name(request->action), std::strerror(errno));
        return 1;
    }
    return 0;
}

} // namespace corral::init
