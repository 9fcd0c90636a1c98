#pragma once

// Lexical path handling for paths inside a container (never touches the file
// system).

#include <string>
#include <string_view>

namespace corral::runtime {

// Go's path.Clean: collapses "//", "." and "..", drops a trailing slash;
// "" becomes ".", and ".." cannot climb above "/".
std::string clean_path(std::string_view path);

// The number of '/' in the cleaned path: "/" is 1, "/a" 1, "/a/b" 2. Docker
// orders mounts by it so that a parent is mounted before its children.
size_t path_depth(std::string_view path);

} // namespace corral::runtime
