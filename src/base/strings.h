#pragma once

// Small string helpers shared by the parsers.

#include <string>
#include <string_view>
#include <vector>

namespace corral {

std::vector<std::string> split(std::string_view text, char separator);
std::string_view trim(std::string_view text);
// ASCII lowercase (HTTP header names, hostnames).
std::string to_lower(std::string_view text);
std::string join(const std::vector<std::string>& parts, std::string_view separator);

} // namespace corral
