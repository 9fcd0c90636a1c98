#include "config/paths.h"

#include "base/file.h"

#include <cstdlib>

namespace corral::config {

Paths Paths::from_environment()
{
    Paths paths;
    if (const char* root = std::getenv("ROS_ROOT"); root && *root)
        paths.root = root;
    return paths;
}

std::string Paths::under_root(const std::string& absolute) const
{
    if (root == "/")
        return absolute;
    return path_join(root, absolute);
}

} // namespace corral::config
