#pragma once

// The kernel command line as configuration (RancherOS §3.2).
//
// `rancher.a.b=v` sets rancher.a.b; `cc.k=v` sets the top-level key k; a key alone
// is `true`. The value is everything after the first '=' (so
// rancher.state.dev=LABEL=RANCHER_STATE works) and is typed like a YAML scalar:
// true/false → bool, 12 → int, 1.5 → float, [a,b] → list, "quoted" → string,
// anything else (URLs with ':' included) → string. Words are split on blanks
// except inside quotes or brackets.

#include "config/node.h"

#include <string>
#include <string_view>
#include <vector>

namespace corral::config {

// Splits a command line into words. Quotes (ASCII and the Unicode quotation marks)
// and [ ] group; the quotes stay in the word. \" and \' become plain quotes first.
std::vector<std::string> split_cmdline(std::string_view cmdline);

// Types one value with the rules above.
Node type_value(std::string_view value, const Mark& mark = {});

struct CmdlineResult {
    Node tree; // a map (possibly empty)
    std::vector<std::string> warnings; // words that were dropped, and why
};

// Parses the rancher.* and cc.* words of `cmdline`. `source` names it in marks and
// warnings ("/proc/cmdline"). `rancher.autologin` may repeat and collects a list.
CmdlineResult parse_cmdline(std::string_view cmdline, const std::string& source);

} // namespace corral::config
