#include "base/base64.h"

#include <array>

namespace corral {

namespace {

constexpr char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int, 256> make_reverse()
{
    std::array<int, 256> table {};
    for (auto& v : table)
        v = -1;
    for (int i = 0; i < 64; ++i)
        table[static_cast<unsigned char>(ALPHABET[i])] = i;
    return table;
}

constexpr auto REVERSE = make_reverse();

} // namespace

std::string base64_encode(std::string_view data)
{
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        uint32_t n = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8)
            | static_cast<unsigned char>(data[i + 2]);
        out += ALPHABET[(n >> 18) & 63];
        out += ALPHABET[(n >> 12) & 63];
        out += ALPHABET[(n >> 6) & 63];
        out += ALPHABET[n & 63];
    }
    if (size_t rest = data.size() - i) {
        uint32_t n = static_cast<unsigned char>(data[i]) << 16;
        if (rest == 2)
            n |= static_cast<unsigned char>(data[i + 1]) << 8;
        out += ALPHABET[(n >> 18) & 63];
        out += ALPHABET[(n >> 12) & 63];
        out += rest == 2 ? ALPHABET[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

ErrorOr<std::string> base64_decode(std::string_view text)
{
    std::string out;
    uint32_t accumulator = 0;
    int bits = 0;
    size_t padding = 0;
    size_t symbols = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            ++padding;
            ++symbols;
            continue;
        }
        int value = REVERSE[c];
        if (value < 0 || padding)
            return Error::from_string("invalid base64 at offset " + std::to_string(i));
        ++symbols;
        accumulator = (accumulator << 6) | static_cast<uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((accumulator >> bits) & 0xff);
        }
    }
    if (symbols % 4 != 0 || padding > 2)
        return Error::from_string("invalid base64: length is not a multiple of 4");
    return out;
}

} // namespace corral
