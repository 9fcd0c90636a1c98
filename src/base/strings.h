#pragma once

// Small string helpers shared by the parsers.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral {

std::vector<std::string> split(std::string_view text, char separator);
std::string_view trim(std::string_view text);
// ASCII lowercase (HTTP header names, hostnames).
std::string to_lower(std::string_view text);
std::string join(const std::vector<std::string>& parts, std::string_view separator);

// `text` in double quotes as Go's strconv.Quote writes ASCII: '"' and '\'
// escaped, \a \b \f \n \r \t \v, other control bytes as \xNN; bytes of
// 0x80 and up kept. For quoting user text in error messages, where an empty
// value, a trailing space or a newline must be visible.
std::string go_quote(std::string_view text);

// `text` in single quotes for a POSIX shell, a quote inside it written '\''.
std::string shell_single_quote(std::string_view text);

// %XX escapes decoded (and '+' as a space when `plus_is_space`, as in a
// query); nullopt for a malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

} // namespace corral
