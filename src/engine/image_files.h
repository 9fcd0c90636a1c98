#pragma once

// Reading a file of a container's image on the host, safely: the engine's
// side of user lookups (docker run -u, docker exec -u).

#include <string>
#include <vector>

namespace corral::engine {

// The file at `relative` ("etc/passwd") in the topmost of `dirs` (the
// container's upper directory, then the image's layers) that has it, read
// without following links out of that directory; a whiteout hides the layers
// below. Empty when no layer has it or it cannot be read.
std::string image_file(const std::vector<std::string>& dirs, const std::string& relative);

} // namespace corral::engine
