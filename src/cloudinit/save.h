#pragma once

// cloud-init-save (reference §5): probe the configured datasources, and save the
// first one's user data and metadata under /var/lib/rancher/conf for the config
// loader to merge at the next load:
//   cloud-config.d/boot.yml   the #cloud-config (or #compose) user data, 0600
//   cloud-config-script       a #! user-data script, 0500, run by console-init
//   metadata                  hostname and SSH public keys (cloudinit/metadata.h)
// Only `configdrive` is implemented; other datasources are reported as not
// supported yet and skipped. The kernel command line's cc.* keys need no
// datasource: the loader reads them itself.

#include "base/error.h"
#include "cloudinit/configdrive.h"
#include "cloudinit/metadata.h"
#include "cloudinit/report.h"
#include "config/paths.h"

#include <string>
#include <string_view>
#include <vector>

namespace corral::cloudinit {

struct DatasourceSpec {
    std::string name; // "configdrive"
    std::string argument; // "/media/config-2"; empty when not given
};

// "configdrive:/media/config-2" → {configdrive, /media/config-2}.
DatasourceSpec parse_datasource(std::string_view spec);

// The files under the root prefix.
std::string boot_config_path(const config::Paths& paths); // cloud-config.d/boot.yml
std::string cloud_config_script_path(const config::Paths& paths); // conf/cloud-config-script

// Saves what a datasource delivered. The user data replaces what an earlier boot
// saved: a cloud-config writes boot.yml and removes an old script, a script the
// reverse, empty user data removes both. User data that is dropped (invalid,
// unrecognized) leaves the earlier files alone, so that a typo does not take
// away a working configuration. The metadata file is always replaced. Errors
// come back only when a file cannot be written; problems with the data go to
// `report`, naming `source`.
ErrorOr<void> save_datasource_data(const config::Paths& paths, std::string_view user_data, const Metadata& metadata,
    const std::string& source, Report& report);

struct SaveOptions {
    BlockScan scan;
    // init runs cloud-init-save after it has waited for the boot medium, when
    // the disk and CD drivers have probed their devices: a config drive is
    // either there or not coming. Every boot without one pays this wait.
    std::chrono::milliseconds device_wait { 250 };
    std::chrono::milliseconds timeout { 10000 };
};

// Tries the datasources in order and saves the first that has data. Returns
// whether one did. Every problem (a missing drive, a broken one, bad user data,
// an unsupported datasource) is reported and never stops the others; only
// failing to write the results is an error.
ErrorOr<bool> cloud_init_save(const config::Paths& paths, const std::vector<std::string>& datasources, Report& report,
    const SaveOptions& options = {});

} // namespace corral::cloudinit
