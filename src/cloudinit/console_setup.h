#pragma once

// The files `ros console-init` writes before it hands over to respawn (reference
// §7): /etc/respawn.conf (gettys and sshd), the SSH host keys, /etc/issue and the
// profile.d snippets. The deciding parts are pure so that they can be tested
// without a console.

#include "cloudinit/report.h"
#include "config/model.h"
#include "config/paths.h"

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace corral::cloudinit {

// ---- the kernel command line ---------------------------------------------------

struct SerialConsole {
    std::string tty; // ttyS0
    std::string baud; // from console=ttyS0,115200n8; empty when not given
};

struct ConsoleCmdline {
    std::vector<std::string> autologin; // rancher.autologin=<tty>, repeatable
    std::vector<SerialConsole> consoles; // every console=<tty>[,options]
    std::optional<std::string> password; // rancher.password
};

// Reads the words console-init cares about. Quoting as in config/cmdline.h.
ConsoleCmdline parse_console_cmdline(std::string_view cmdline);

// ---- /etc/respawn.conf ----------------------------------------------------------

struct RespawnConfOptions {
    std::string user { "rancher" }; // who autologin logs in
    std::string autologin_program { "/usr/bin/autologin" }; // /usr/bin/recovery for the recovery console
};

inline constexpr const char* GETTY = "/sbin/agetty";
inline constexpr const char* SSHD = "/usr/sbin/sshd";
// The serial consoles a getty is started on when console= names them.
inline constexpr const char* SERIAL_TTYS[] = { "ttyS0", "ttyS1", "ttyS2", "ttyS3", "ttyAMA0" };

// The generated part of /etc/respawn.conf, one command per line:
//   - a getty on each of tty1..tty6 that is in `ttys` (the terminals present):
//       /sbin/agetty [-n -l <autologin> -o <user>:ttyN] --noclear ttyN linux
//   - a getty on each serial console of SERIAL_TTYS that console= names and is in
//     `ttys`, at the console's baud rate (115200 when console= gives none):
//       /sbin/agetty [-n -l <autologin> -o <user>:ttyS0] -L 115200 ttyS0 vt100
//   - sshd when rancher.ssh.daemon is set, with rancher.ssh.port and
//     rancher.ssh.listen_address as options, so that a port set and later unset
//     leaves nothing behind in sshd_config:
//       /usr/sbin/sshd -D [-p <port>] [-o ListenAddress=<address>]
// Autologin is on for a tty named by rancher.autologin on `cmdline` unless
// rancher.disable lists autologin. respawn splits lines on spaces, so none of
// these words may hold one.
std::string respawn_conf(std::string_view cmdline, const config::CloudConfig& config,
    const std::vector<std::string>& ttys, const RespawnConfOptions& options = {});

// ---- SSH host keys --------------------------------------------------------------

// DSA is left out: OpenSSH no longer supports it.
inline constexpr const char* HOST_KEY_TYPES[] = { "rsa", "ecdsa", "ed25519" };

enum class HostKeyAction {
    Keep, // the key file is there
    WriteFromConfig, // rancher.ssh.keys has both <type> and <type>-pub
    Generate, // ssh-keygen, then persist into rancher.ssh.keys
};

HostKeyAction host_key_action(
    bool key_file_exists, const std::map<std::string, std::string>& saved_keys, std::string_view type);

// Makes sure <root>/etc/ssh/ssh_host_<type>_key (0600) and .pub (0644) exist for
// each type: kept when there, written from `saved_keys` when it has both halves,
// else generated with `ssh-keygen -q -N '' -t <type> -f …`. Returns the generated
// keys as rancher.ssh.keys entries (<type> and <type>-pub) for the caller to
// persist. Failures are reported per type.
std::map<std::string, std::string> ensure_host_keys(const config::Paths& paths,
    const std::map<std::string, std::string>& saved_keys, Report& report,
    std::span<const char* const> types = HOST_KEY_TYPES);

// ---- /etc/issue and profile.d ---------------------------------------------------

struct InterfaceAddress {
    std::string interface;
    std::string address;
};

// The IPv4 addresses of the interfaces that are up, loopback left out, in the
// order the kernel lists them.
std::vector<InterfaceAddress> interface_addresses();

// The banner agetty shows: "CorralOS <version> \n \l" (agetty puts the host name
// and tty in), then one "<interface>: <address>" line per address.
std::string issue_text(std::string_view version, const std::vector<InterfaceAddress>& addresses);

// /etc/profile.d/path.sh from rancher.environment PATH (or path), a comma list
// of directories appended to PATH; nullopt when neither is set.
std::optional<std::string> path_profile(const std::map<std::string, std::string>& environment);
// /etc/profile.d/proxy.sh from the proxy variables of rancher.environment;
// nullopt when none is set.
std::optional<std::string> proxy_profile(const std::map<std::string, std::string>& environment);

} // namespace corral::cloudinit
