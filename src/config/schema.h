#pragma once

// Questions about the schema itself, answered from the model's visit() lists.

#include "config/keypath.h"
#include "config/node.h"

#include <optional>

namespace corral::config {

// The value a key has when nothing sets it (false, 0, "", [], {} or a map of such),
// or nothing when the schema does not know the key. `ros config get` prints it for
// a known key that is unset, as RancherOS did.
std::optional<Node> schema_zero_value(const KeyPath& path);

} // namespace corral::config
