#include "cloudinit/apply_console.h"

#include "cloudinit/accounts.h"
#include "cloudinit/authorized_keys.h"
#include "cloudinit/runcmd.h"
#include "cloudinit/write_files.h"

namespace corral::cloudinit {

void apply_console(const config::Paths& paths, const config::CloudConfig& config, Report& report)
{
    auto accounts = Accounts::load(paths);
    if (accounts.is_error()) {
        // Keys and owners need the passwd file; the runcmd entries do not.
        report.error("reading the users and groups: " + accounts.error().message());
    } else {
        apply_authorized_keys(paths, *accounts, config.ssh_authorized_keys, report);
        apply_write_files(paths, *accounts, config.write_files, "console", report);
    }
    if (!config.mounts.empty())
        report.warn("mounts: not supported yet, skipped");
    run_commands(config.runcmd, "runcmd", report);
}

} // namespace corral::cloudinit
