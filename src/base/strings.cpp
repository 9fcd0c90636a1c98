#include "base/strings.h"

namespace corral {

std::vector<std::string> split(std::string_view text, char separator)
{
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        size_t at = text.find(separator, start);
        if (at == std::string_view::npos) {
            parts.emplace_back(text.substr(start));
            return parts;
        }
        parts.emplace_back(text.substr(start, at - start));
        start = at + 1;
    }
}

std::string_view trim(std::string_view text)
{
    constexpr std::string_view SPACE = " \t\r\n\v\f";
    size_t first = text.find_first_not_of(SPACE);
    if (first == std::string_view::npos)
        return {};
    size_t last = text.find_last_not_of(SPACE);
    return text.substr(first, last - first + 1);
}

std::string to_lower(std::string_view text)
{
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator)
{
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i)
            out += separator;
        out += parts[i];
    }
    return out;
}

} // namespace corral
