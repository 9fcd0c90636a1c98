#pragma once

// Linux capability names and numbers, and Docker's rules for the sets a
// container gets (the default set, CapAdd/CapDrop, "ALL", privileged).

#include "base/error.h"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace corral::runtime {

struct CapabilityInfo {
    std::string_view name; // "CAP_CHOWN"
    int number; // CAP_CHOWN = 0
};

// Every capability the kernel knows of, up to CAP_CHECKPOINT_RESTORE (Linux
// 5.9), in number order. An older kernel lacks the last few; the executor
// drops those above /proc/sys/kernel/cap_last_cap.
std::span<const CapabilityInfo> all_capabilities();

// The number of a capability named exactly as in the table ("CAP_SYS_ADMIN").
std::optional<int> capability_number(std::string_view name);

// Docker's default set for an unprivileged container, in Docker's order.
std::span<const std::string_view> default_capabilities();

// A CapAdd/CapDrop entry as Docker reads it: case-insensitive, with or without
// "CAP_"; "ALL" stays "ALL". An unknown name is an error:
//   unknown capability: "CAP_NOPE"
ErrorOr<std::string> normalize_capability(std::string_view name);

// Docker's TweakCapabilities: privileged gets every capability; otherwise the
// default set minus CapDrop plus CapAdd, where CapAdd "ALL" means every
// capability except those dropped and CapDrop "ALL" means only those added.
// Errors name the list: `invalid CapAdd: unknown capability: "CAP_NOPE"`.
ErrorOr<std::vector<std::string>> container_capabilities(
    const std::vector<std::string>& cap_add, const std::vector<std::string>& cap_drop, bool privileged);

} // namespace corral::runtime
