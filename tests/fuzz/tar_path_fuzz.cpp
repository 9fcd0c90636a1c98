// Tar member paths: whatever the archive says, the canonical path the unpacker
// works with is relative, has no "." or ".." component and no empty component.

#include "image/unpack_path.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace corral::image::unpack_detail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view raw(reinterpret_cast<const char*>(data), size);
    auto path = normalise_member_path(raw);
    (void)quoted_name(raw);
    (void)whiteout_kind(raw);
    if (path.is_error())
        return 0;
    std::string_view p = path.value();
    if (!p.empty() && (p.front() == '/' || p.back() == '/'))
        abort();
    size_t start = 0;
    while (start <= p.size() && !p.empty()) {
        size_t slash = p.find('/', start);
        std::string_view part = p.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (part.empty() || part == "." || part == "..")
            abort();
        if (slash == std::string_view::npos)
            break;
        start = slash + 1;
    }
    auto split = split_member_path(p);
    if (split.name.empty() && !p.empty())
        abort();
    return 0;
}
