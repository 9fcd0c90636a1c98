#include "api/detach_keys.h"

namespace corral::api {

ErrorOr<std::string> parse_detach_keys(std::string_view spec)
{
    if (spec.empty())
        return std::string("\x10\x11");
    std::string keys;
    while (true) {
        auto comma = spec.find(',');
        std::string_view item = spec.substr(0, comma);
        if (item.size() == 1) {
            keys += item[0];
        } else if (item.size() == 6 && item.starts_with("ctrl-")) {
            char c = item[5];
            if (c >= 'a' && c <= 'z')
                keys += static_cast<char>(c - 'a' + 1);
            else if (c >= '@' && c <= '_' && !(c >= 'A' && c <= 'Z'))
                keys += static_cast<char>(c - '@');
            else
                return Error::from_string("invalid detach keys: unknown character: '" + std::string(item) + "'", EINVAL);
        } else {
            return Error::from_string("invalid detach keys: unknown character: '" + std::string(item) + "'", EINVAL);
        }
        if (comma == std::string_view::npos)
            break;
        spec.remove_prefix(comma + 1);
    }
    return keys;
}

std::string DetachScanner::feed(std::string_view input, bool& detached)
{
    detached = false;
    std::string out;
    if (m_keys.empty())
        return std::string(input);
    for (char c : input) {
        if (c == m_keys[m_matched]) {
            if (++m_matched == m_keys.size()) {
                m_matched = 0;
                detached = true;
                return out;
            }
            continue;
        }
        // Not the sequence after all: what was held back is data. The byte
        // itself may start the sequence anew.
        out.append(m_keys, 0, m_matched);
        m_matched = 0;
        if (c == m_keys[0])
            m_matched = 1;
        else
            out += c;
    }
    return out;
}

std::string DetachScanner::flush()
{
    std::string held = m_keys.substr(0, m_matched);
    m_matched = 0;
    return held;
}

} // namespace corral::api
