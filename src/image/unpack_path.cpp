#include "image/unpack_path.h"

#include <algorithm>
#include <climits>

namespace corral::image::unpack_detail {

ErrorOr<std::string> normalise_member_path(std::string_view raw)
{
    if (raw.empty())
        return Error::from_string("empty path");
    if (raw.front() == '/')
        return Error::from_string("absolute path (a layer holds relative paths only)");
    // Checked on the raw text as well, so that the loop below never builds a huge
    // string from a hostile header (libarchive caps pax headers at 1 MiB).
    if (raw.size() >= PATH_MAX)
        return Error::from_string("path longer than " + std::to_string(PATH_MAX - 1) + " bytes", ENAMETOOLONG);

    std::string out;
    out.reserve(raw.size());
    size_t position = 0;
    while (position <= raw.size()) {
        size_t slash = raw.find('/', position);
        if (slash == std::string_view::npos)
            slash = raw.size();
        std::string_view component = raw.substr(position, slash - position);
        position = slash + 1;
        if (component.empty() || component == ".")
            continue;
        if (component == "..")
            return Error::from_string("path escapes the layer (\"..\" component)");
        if (component.size() > NAME_MAX)
            return Error::from_string(
                "path component longer than " + std::to_string(NAME_MAX) + " bytes", ENAMETOOLONG);
        if (!out.empty())
            out += '/';
        out += component;
    }
    return out;
}

SplitPath split_member_path(std::string_view path)
{
    size_t slash = path.rfind('/');
    if (slash == std::string_view::npos)
        return { {}, path };
    return { path.substr(0, slash), path.substr(slash + 1) };
}

std::string quoted_name(std::string_view raw)
{
    return "\"" + escaped_name(raw) + "\"";
}

std::string escaped_name(std::string_view raw)
{
    static constexpr size_t SHOWN = 256;
    static constexpr char HEX[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < raw.size() && i < SHOWN; ++i) {
        auto byte = static_cast<unsigned char>(raw[i]);
        if (byte == '"' || byte == '\\') {
            out += '\\';
            out += static_cast<char>(byte);
        } else if (byte < 0x20 || byte == 0x7f) {
            out += "\\x";
            out += HEX[byte >> 4];
            out += HEX[byte & 15];
        } else {
            // Bytes from 0x80 up pass through: UTF-8 names stay readable.
            out += static_cast<char>(byte);
        }
    }
    if (raw.size() > SHOWN)
        out += "...";
    return out;
}

WhiteoutKind whiteout_kind(std::string_view name)
{
    if (!name.starts_with(WHITEOUT_PREFIX))
        return WhiteoutKind::None;
    if (name == OPAQUE_NAME)
        return WhiteoutKind::Opaque;
    if (name.starts_with(".wh..wh."))
        return WhiteoutKind::Metadata;
    return WhiteoutKind::Whiteout;
}

bool is_aufs_metadata(std::string_view path)
{
    size_t position = 0;
    while (position <= path.size()) {
        size_t slash = std::min(path.find('/', position), path.size());
        if (whiteout_kind(path.substr(position, slash - position)) == WhiteoutKind::Metadata)
            return true;
        position = slash + 1;
    }
    return false;
}

} // namespace corral::image::unpack_detail
