#pragma once

// JSON as the docker CLI writes it: Go's encoding/json byte for byte (string
// escapes, number forms, HTML escaping where Go's Marshal applies it) and
// json.Indent for the raw documents `docker inspect` prints. Objects keep the
// order of their keys as received (ordered_json), as the docker CLI does when
// it indents the daemon's raw bytes.

#include "base/error.h"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace corral::cli {

using Json = nlohmann::ordered_json;

enum class EscapeHtml {
    No, // json.Encoder with SetEscapeHTML(false): the `json` template function
    Yes, // json.Marshal: <, > and & as \u003c, \u003e, \u0026
};

// Compact JSON of `value` as Go's encoder writes it.
std::string go_json(const Json& value, EscapeHtml escape = EscapeHtml::No);
// A string as a Go JSON string literal, quotes included.
std::string go_json_string(std::string_view text, EscapeHtml escape = EscapeHtml::No);
// A float as Go's encoder writes it (shortest form; exponent below 1e-6 and
// from 1e21 on).
std::string go_json_float(double value);
// A float as Go's %v prints it (strconv 'g' with the shortest precision).
std::string go_format_float(double value);

// Go's json.Indent(dst, src, prefix "", indent): re-indents JSON text without
// re-encoding any token (numbers and string escapes stay as the daemon wrote
// them). Leading whitespace is dropped, trailing whitespace kept. EINVAL for
// text that is not JSON.
ErrorOr<std::string> json_indent(std::string_view text, std::string_view indent);

// Parses JSON, keeping key order; EINVAL with the parser's words on failure.
ErrorOr<Json> parse_json(std::string_view text);

} // namespace corral::cli
