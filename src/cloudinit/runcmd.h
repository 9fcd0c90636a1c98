#pragma once

// runcmd (reference §3.3, §3.6): commands run in order at console start.

#include "cloudinit/report.h"
#include "config/values.h"

#include <string>
#include <vector>

namespace corral::cloudinit {

// The argv one entry runs: a string through `sh -c`, a list as it is. Empty for
// an empty entry.
std::vector<std::string> command_argv(const config::StringOrList& command);

// Runs each entry to completion, in order, with standard input from /dev/null
// and our standard output and error. A command may run as long as it likes; its
// exit status is reported, and a failure (or a program that cannot start) never
// stops the ones after it. `what` names the list in messages ("runcmd").
void run_commands(const std::vector<config::StringOrList>& commands, const std::string& what, Report& report);

} // namespace corral::cloudinit
