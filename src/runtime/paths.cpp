#include "runtime/paths.h"

#include <algorithm>
#include <vector>

namespace corral::runtime {

std::string clean_path(std::string_view path)
{
    if (path.empty())
        return ".";
    bool rooted = path.front() == '/';
    std::vector<std::string_view> parts;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos)
            end = path.size();
        std::string_view part = path.substr(start, end - start);
        if (part.empty() || part == ".") {
            // skip
        } else if (part == "..") {
            if (!parts.empty() && parts.back() != "..")
                parts.pop_back();
            else if (!rooted)
                parts.push_back(part);
        } else {
            parts.push_back(part);
        }
        start = end + 1;
    }
    std::string out = rooted ? "/" : "";
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i)
            out += '/';
        out += parts[i];
    }
    return out.empty() ? "." : out;
}

size_t path_depth(std::string_view path)
{
    std::string clean = clean_path(path);
    return static_cast<size_t>(std::count(clean.begin(), clean.end(), '/'));
}

} // namespace corral::runtime
