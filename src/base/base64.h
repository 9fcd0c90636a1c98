#pragma once

#include "base/error.h"

#include <string>
#include <string_view>

namespace corral {

// Standard base64 (RFC 4648 §4) with padding. Decoding skips spaces, tabs, CR and LF, so
// that wrapped text from YAML reads, and fails (EINVAL) on anything else invalid.
std::string base64_encode(std::string_view data);
ErrorOr<std::string> base64_decode(std::string_view text);

} // namespace corral
