#pragma once

// What the console applies at every start (reference §3.6), called by
// `ros console-init` and `cloud-init-execute -console`: ssh_authorized_keys,
// write_files of the console, and runcmd, in that order. Every failure is
// reported and the next step still runs.

#include "cloudinit/report.h"
#include "config/model.h"
#include "config/paths.h"

namespace corral::cloudinit {

void apply_console(const config::Paths& paths, const config::CloudConfig& config, Report& report);

} // namespace corral::cloudinit
