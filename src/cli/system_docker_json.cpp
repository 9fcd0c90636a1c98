#include "cli/system_docker_json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace corral::cli {

namespace {

// The shortest decimal digits that read back as `value` (which is finite and
// not zero), and the decimal point position: value = 0.DIGITS × 10^point.
void shortest_digits(double value, std::string& digits, int& point)
{
    char buffer[64];
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(buffer, sizeof buffer, "%.*e", precision - 1, value);
        if (std::strtod(buffer, nullptr) == value || precision == 17)
            break;
    }
    // buffer: "-d.ddde±xx"
    std::string_view text = buffer;
    if (text.front() == '-')
        text.remove_prefix(1);
    size_t e = text.find('e');
    digits.clear();
    for (char c : text.substr(0, e)) {
        if (c != '.')
            digits += c;
    }
    while (digits.size() > 1 && digits.back() == '0')
        digits.pop_back();
    point = std::atoi(std::string(text.substr(e + 1)).c_str()) + 1;
}

// strconv.FormatFloat(value, format, -1, 64) for 'e' and 'f'.
std::string format_shortest(double value, char format)
{
    if (value == 0)
        return std::signbit(value) ? "-0" : "0";
    std::string digits;
    int point = 0;
    shortest_digits(value, digits, point);
    std::string out = value < 0 ? "-" : "";
    if (format == 'e') {
        out += digits[0];
        if (digits.size() > 1) {
            out += '.';
            out += digits.substr(1);
        }
        int exponent = point - 1;
        out += 'e';
        out += exponent < 0 ? '-' : '+';
        int magnitude = std::abs(exponent);
        if (magnitude < 10)
            out += '0';
        out += std::to_string(magnitude);
        return out;
    }
    if (point <= 0) {
        out += "0.";
        out.append(static_cast<size_t>(-point), '0');
        out += digits;
    } else if (static_cast<size_t>(point) >= digits.size()) {
        out += digits;
        out.append(static_cast<size_t>(point) - digits.size(), '0');
    } else {
        out += digits.substr(0, static_cast<size_t>(point));
        out += '.';
        out += digits.substr(static_cast<size_t>(point));
    }
    return out;
}

void append_go_json(std::string& out, const Json& value, EscapeHtml escape)
{
    switch (value.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded:
        out += "null";
        return;
    case Json::value_t::boolean:
        out += value.get<bool>() ? "true" : "false";
        return;
    case Json::value_t::number_integer:
        out += std::to_string(value.get<int64_t>());
        return;
    case Json::value_t::number_unsigned:
        out += std::to_string(value.get<uint64_t>());
        return;
    case Json::value_t::number_float:
        out += go_json_float(value.get<double>());
        return;
    case Json::value_t::string:
        out += go_json_string(value.get_ref<const std::string&>(), escape);
        return;
    case Json::value_t::binary:
        out += "null";
        return;
    case Json::value_t::array: {
        out += '[';
        bool first = true;
        for (auto const& element : value) {
            if (!first)
                out += ',';
            first = false;
            append_go_json(out, element, escape);
        }
        out += ']';
        return;
    }
    case Json::value_t::object: {
        out += '{';
        bool first = true;
        for (auto const& [key, element] : value.items()) {
            if (!first)
                out += ',';
            first = false;
            out += go_json_string(key, escape);
            out += ':';
            append_go_json(out, element, escape);
        }
        out += '}';
        return;
    }
    }
}

// The length of the UTF-8 sequence at `text[i]` if it is valid, else 0.
size_t utf8_sequence(std::string_view text, size_t i, uint32_t& code_point)
{
    auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    size_t length;
    uint32_t minimum;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
        code_point = lead & 0x1f;
        minimum = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        code_point = lead & 0x0f;
        minimum = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        code_point = lead & 0x07;
        minimum = 0x10000;
    } else {
        return 0;
    }
    if (i + length > text.size())
        return 0;
    for (size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xc0) != 0x80)
            return 0;
        code_point = (code_point << 6) | (byte(i + k) & 0x3f);
    }
    if (code_point < minimum || code_point > 0x10ffff || (code_point >= 0xd800 && code_point <= 0xdfff))
        return 0;
    return length;
}

} // namespace

std::string go_json_float(double value)
{
    if (!std::isfinite(value))
        return "null"; // Go refuses these; the daemon never sends them.
    double magnitude = std::fabs(value);
    char format = magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21) ? 'e' : 'f';
    std::string out = format_shortest(value, format);
    if (format == 'e') {
        // Go writes e-7, not e-07.
        size_t n = out.size();
        if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0')
            out.erase(n - 2, 1);
    }
    return out;
}

std::string go_format_float(double value)
{
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    if (value == 0)
        return std::signbit(value) ? "-0" : "0";
    std::string digits;
    int point = 0;
    shortest_digits(value, digits, point);
    int exponent = point - 1;
    // %v is %g with the shortest precision, for which strconv switches to the
    // exponent form from the seventh digit before the point: 1e+06.
    if (exponent < -4 || exponent >= 6)
        return format_shortest(value, 'e');
    return format_shortest(value, 'f');
}

std::string go_json_string(std::string_view text, EscapeHtml escape)
{
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            bool html = c == '<' || c == '>' || c == '&';
            if (c >= 0x20 && c != '"' && c != '\\' && !(html && escape == EscapeHtml::Yes)) {
                out += static_cast<char>(c);
            } else if (c == '"' || c == '\\') {
                out += '\\';
                out += static_cast<char>(c);
            } else if (c == '\n') {
                out += "\\n";
            } else if (c == '\r') {
                out += "\\r";
            } else if (c == '\t') {
                out += "\\t";
            } else {
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 15];
            }
            ++i;
            continue;
        }
        uint32_t code_point = 0;
        size_t length = utf8_sequence(text, i, code_point);
        if (length == 0) {
            out += "\\ufffd";
            ++i;
            continue;
        }
        if (code_point == 0x2028 || code_point == 0x2029) {
            out += code_point == 0x2028 ? "\\u2028" : "\\u2029";
        } else {
            out.append(text.substr(i, length));
        }
        i += length;
    }
    out += '"';
    return out;
}

std::string go_json(const Json& value, EscapeHtml escape)
{
    std::string out;
    append_go_json(out, value, escape);
    return out;
}

ErrorOr<std::string> json_indent(std::string_view text, std::string_view indent)
{
    // Validated first, so that the re-indenting below can trust the structure.
    if (!Json::accept(text.begin(), text.end()))
        return Error::from_string("invalid JSON: " + std::string(text.substr(0, 80)));
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    size_t end = text.size();
    while (end > 0 && is_space(text[end - 1]))
        --end;
    std::string out;
    int depth = 0;
    bool need_indent = false;
    auto newline = [&] {
        out += '\n';
        for (int i = 0; i < depth; ++i)
            out += indent;
    };
    for (size_t i = 0; i < end; ++i) {
        char c = text[i];
        if (is_space(c))
            continue;
        if (need_indent && c != ']' && c != '}') {
            need_indent = false;
            ++depth;
            newline();
        }
        if (c == '"') {
            size_t start = i++;
            while (i < end && text[i] != '"') {
                if (text[i] == '\\')
                    ++i;
                ++i;
            }
            out.append(text.substr(start, i - start + 1));
            continue;
        }
        switch (c) {
        case '{':
        case '[':
            out += c;
            need_indent = true;
            break;
        case ',':
            out += c;
            newline();
            break;
        case ':':
            out += ": ";
            break;
        case '}':
        case ']':
            if (need_indent) {
                need_indent = false; // an empty object or array stays "{}"
            } else {
                --depth;
                newline();
            }
            out += c;
            break;
        default:
            out += c;
            break;
        }
    }
    out.append(text.substr(end));
    return out;
}

ErrorOr<Json> parse_json(std::string_view text)
{
    try {
        return Json::parse(text.begin(), text.end());
    } catch (const Json::exception& e) {
        return Error::from_string(std::string("invalid JSON from the daemon: ") + e.what());
    }
}

} // namespace corral::cli
