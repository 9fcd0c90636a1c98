#pragma once

// Reading and writing YAML. yaml-cpp does the parsing; its exceptions stop here and
// become Errors that name the file, line and column.

#include "base/error.h"
#include "config/node.h"

#include <string>
#include <string_view>

namespace corral::config {

// Bounds on what one document may expand to. Aliases can make a small file expand
// exponentially ("billion laughs"), so expansion is counted, not the input size.
inline constexpr size_t MAX_YAML_NODES = 1'000'000;
inline constexpr size_t MAX_YAML_DEPTH = 200;

// Parses one YAML document. An empty document is a null node. Errors read
// "cloud-config.yml:3:5: <what>"; `file_name` is used in them and in every Mark.
ErrorOr<Node> parse_yaml(std::string_view text, const std::string& file_name);

// Writes a node as block-style YAML (two-space indentation, lists at their key's
// indentation, as go-yaml writes them). Strings that would read back as another
// type, or that YAML cannot hold plain, are quoted; multi-line strings use `|`.
// The output ends with a newline; a null document is "{}\n".
std::string emit_yaml(const Node& node);

// A scalar as `ros config get` prints it: the text itself, unquoted.
std::string scalar_text(const Node& node);

} // namespace corral::config
