#include "base/json_string.h"

namespace corral {

size_t utf8_sequence_length(std::string_view s, size_t i)
{
    auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char b = byte(i);
    size_t length;
    unsigned char low = 0x80, high = 0xBF; // the range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
        length = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        length = 3;
        if (b == 0xE0)
            low = 0xA0;
        else if (b == 0xED)
            high = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        length = 4;
        if (b == 0xF0)
            low = 0x90;
        else if (b == 0xF4)
            high = 0x8F;
    } else {
        return 0;
    }
    if (i + length > s.size() || byte(i + 1) < low || byte(i + 1) > high)
        return 0;
    for (size_t k = 2; k < length; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
            return 0;
    }
    return length;
}

void append_go_json_string(std::string& out, std::string_view s, GoJsonTab tab)
{
    static constexpr char HEX[] = "0123456789abcdef";
    out += '"';
    size_t i = 0;
    while (i < s.size()) {
        auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') {
                out += static_cast<char>(b);
            } else if (b == '\\' || b == '"') {
                out += '\\';
                out += static_cast<char>(b);
            } else if (b == '\n') {
                out += "\\n";
            } else if (b == '\r') {
                out += "\\r";
            } else if (b == '\t' && tab == GoJsonTab::Short) {
                out += "\\t";
            } else {
                out += "\\u00";
                out += HEX[b >> 4];
                out += HEX[b & 0xF];
            }
            ++i;
            continue;
        }
        size_t length = utf8_sequence_length(s, i);
        if (length == 0) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        // U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
        if (length == 3 && b == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80
            && (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
            out += "\\u202";
            out += HEX[static_cast<unsigned char>(s[i + 2]) & 0xF];
        } else {
            out.append(s.substr(i, length));
        }
        i += length;
    }
    out += '"';
}

} // namespace corral
