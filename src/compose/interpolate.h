#pragma once

// Compose's variable interpolation. RancherOS service definitions are written
// once for every machine and filled in per machine: `image:
// ${REGISTRY_DOMAIN}/rancher/os-base:${VERSION}` takes its values from
// rancher.environment (reference §9.4, §4.1). Interpolation runs on the raw
// definition, before it is decoded, exactly as compose does, so that any
// string value of a service (image, command, volumes, labels, environment…)
// can use it.
//
// The syntax is compose v1's:
//   $$                  a literal "$"
//   $NAME  ${NAME}      the value of NAME, or "" when it is not set
//   ${NAME:-word}       word when NAME is unset or empty
//   ${NAME-word}        word when NAME is unset
//   ${NAME:?message}    an error when NAME is unset or empty
//   ${NAME?message}     an error when NAME is unset
// NAME is an ASCII letter or "_" followed by letters, digits and "_". `word`
// and `message` run to the first "}" and are taken literally (no nesting, as in
// compose v1). Any other "$" is an error rather than left alone: a stray "$"
// in a shell command (`sh -c 'echo $1'`) is a mistake compose also refuses,
// and the fix is to write "$$".

#include "base/error.h"
#include "config/node.h"

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace corral::compose {

// Gives a variable's value, or nullopt when it is not set (which is not the
// same as set to "", for the "-" and "?" forms).
using Lookup = std::function<std::optional<std::string>(std::string_view name)>;

// Interpolates one string. The names of variables that were used without a
// default and were not set (and so became "") are added to `unset` when it is
// given, for the caller to warn about, as compose does.
//
// Errors (EINVAL) quote the text and give the byte offset of the "$" at fault:
//   unterminated "${" in "abc ${FOO" at offset 4
//   empty variable name in "${}" at offset 0
//   invalid variable name "A B" in "${A B}" at offset 0
//   "$" must be followed by a name, "{" or "$" (write "$$" for a literal "$") in "5$" at offset 1
// and for the "?" forms:
//   required variable NAME is not set: message (in "${NAME:?message}")
ErrorOr<std::string> interpolate(std::string_view text, const Lookup& lookup, std::set<std::string>* unset = nullptr);

// Interpolates, in place, every string scalar of a service definition (the map
// under the service's name). Map keys are not interpolated, nor are scalars
// YAML typed as anything but a string (numbers, booleans, null), as in compose.
// A changed scalar keeps its Mark and stays a string.
//
// On error the tree may be partly interpolated; the error reads
//   <file>:<line>:<column>: <service>.<key path>: <interpolate()'s message>
// e.g. `os-config.yml:12:9: console.volumes[1]: unterminated "${" in "${X" at offset 0`.
ErrorOr<void> interpolate_service(
    config::Node& service, std::string_view service_name, const Lookup& lookup, std::set<std::string>* unset = nullptr);

} // namespace corral::compose
