#pragma once

// The JSON form of a container plan (spec.h): the file the engine keeps under
// its data root and hands to the per-container supervisor.
//
// The form is one compact JSON object (no whitespace) whose keys are the
// struct members' names, in the order the structs declare them; a map
// (sysctls) is written in its own sorted order. Every field is written, except
// that an empty std::optional is left out. Enums are lowercase strings:
// namespace types "mount", "pid", "uts", "ipc", "network", "cgroup", "user";
// seccomp "default" or "unconfined". Device and device-rule types are
// one-character strings ("c"). So the same Spec always gives the same text.
//
// Reading is for untrusted text. Every field is optional: absent or null
// leaves the struct's default (a namespace's "type" is the exception, since
// NamespaceType has none). Unknown keys are ignored, so that a plan written by
// a newer engine still reads; a key that differs from a known one only in case
// is taken for it, as JsonFields does. Integers must fit their C++ type
// (uid_t, int, uint64_t, …); whether a value makes sense (an rlimit resource,
// an OOM score) is for the builder and the executor to judge, not this layer.
// Enums and device types, though, must be one of their known values: an
// unknown namespace type is refused rather than dropped, which would weaken
// the isolation the plan asked for.

#include "base/error.h"
#include "runtime/spec.h"

#include <cstddef>
#include <string>
#include <string_view>

namespace corral::runtime {

// The largest JSON form spec_from_json reads and spec_to_json writes.
constexpr size_t MAX_SPEC_JSON_SIZE = 1024 * 1024;

// The JSON form of `spec`. Whatever this returns, spec_from_json reads back to
// an equal Spec. Errors (EINVAL) name the field when a string is not valid
// UTF-8, which JSON cannot carry, or when an enum or device type holds no known
// value; EFBIG when the text would exceed MAX_SPEC_JSON_SIZE.
ErrorOr<std::string> spec_to_json(const Spec& spec);

// Reads a Spec from untrusted JSON text. Errors: EFBIG for text over
// MAX_SPEC_JSON_SIZE; EINVAL for text that is not JSON ("spec: not valid JSON:
// …"), for a top level that is not an object, and for a field of the wrong type
// or out of range, named by its path ("process.user.uid: expected an unsigned
// integer", "mounts[2].options: expected an array of strings").
ErrorOr<Spec> spec_from_json(std::string_view text);

} // namespace corral::runtime
