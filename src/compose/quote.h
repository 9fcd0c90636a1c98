#pragma once

// Quoting user text inside error messages, so that an empty value, a trailing
// space or a newline is visible in the message and cannot be mistaken for the
// message's own words.

#include <cstdio>
#include <string>
#include <string_view>

namespace corral::compose {

// `text` in double quotes; '"' and '\' are escaped with '\', tab and newline as
// \t and \n, other control bytes as \xNN. Bytes of 0x80 and up are kept.
inline std::string in_quotes(std::string_view text)
{
    std::string out = "\"";
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (byte < 0x20 || byte == 0x7f) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", byte);
            out += hex;
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

} // namespace corral::compose
