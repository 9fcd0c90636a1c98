#pragma once

// Timestamps as Docker writes them: RFC 3339 in UTC with nanoseconds (Go's
// time.RFC3339Nano: "2024-01-02T03:04:05.1234Z", trailing zeros and an empty
// fraction dropped).

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace corral {

std::string format_rfc3339_nano(const struct timespec& time);
// The current time in that form.
std::string now_rfc3339_nano();

// Parses RFC 3339 with an optional fraction of up to nine digits and a Z or
// ±hh:mm offset (what Go's time.Time.UnmarshalJSON accepts of what dockerd
// writes); nothing for anything else.
std::optional<struct timespec> parse_rfc3339(std::string_view text);

} // namespace corral
