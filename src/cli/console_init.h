#pragma once

// `ros console-init` (reference §7): the command of the console container. It
// prepares the console, in this order, then execs `respawn -f /etc/respawn.conf`
// with TERM=linux:
//    1. kernel messages off the consoles (klogctl SYSLOG_ACTION_CONSOLE_OFF)
//    2. /home/rancher and /home/docker, owned by their users, if missing
//    3. /run/utmp and /run/lock
//    4. rancher.password from the kernel command line (or its elided part, never
//       from a config file) through chpasswd, unless rancher.disable has password
//    5. SSH host keys (cloudinit/console_setup.h), new ones persisted under
//       rancher.ssh.keys in cloud-config.yml; /run/sshd and /var/run/sshd
//    6. /etc/respawn.conf: gettys, sshd, then /etc/respawn.conf.d/* in name order
//    7. /etc/issue, /etc/profile.d/path.sh and proxy.sh, the os-release links
//    8. ssh_authorized_keys, write_files and runcmd (cloudinit/apply_console.h)
//    9. /var/lib/rancher/conf/cloud-config-script, then /opt/rancher/bin/start.sh
//   10. /run/console-done (the console's name), then /etc/rc.local
// Every step that fails is logged and the next one runs: a bad config must never
// leave a machine nobody can log into. Steps that change the running kernel or
// the real passwords (1, 4) run only when ROS_ROOT is "/"; every path is under it.

#include "base/error.h"
#include "cloudinit/report.h"
#include "config/loader.h"
#include "config/paths.h"

#include <map>
#include <string>

namespace corral::cli {

// Steps 1 to 10.
void prepare_console(const config::Paths& paths, const config::LoadedConfig& loaded, cloudinit::Report& report);

// The whole command: prepare_console(), then exec respawn. Returns only when the
// exec fails.
int console_init(const config::Paths& paths);

// Sets rancher.ssh.keys.<name> for each entry in cloud-config.yml (0600).
ErrorOr<void> persist_host_keys(const config::Paths& paths, const std::map<std::string, std::string>& keys);

} // namespace corral::cli
