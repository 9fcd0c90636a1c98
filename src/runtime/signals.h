#pragma once

// Signal names as Docker reads them (StopSignal, the kill endpoint): a number,
// or a name with or without "SIG" in any case ("TERM", "sigusr1", "RTMIN+3").

#include "base/error.h"

#include <string>
#include <string_view>

namespace corral::runtime {

// The signal number. Errors: `invalid signal: NOPE` for an unknown name, 0,
// or a number outside 1..64.
ErrorOr<int> parse_signal(std::string_view text);

// The canonical name, "SIGTERM" or "SIGRTMIN+3"; empty for a number with no
// name (32 and 33, which the C library keeps for itself).
std::string signal_name(int number);

// parse_signal, then signal_name: "term", "15" and "SIGTERM" all give "SIGTERM".
ErrorOr<std::string> normalize_signal(std::string_view text);

} // namespace corral::runtime
