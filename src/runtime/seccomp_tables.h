#pragma once

// The tables behind default_seccomp(); internal to the runtime library.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace corral::runtime {

std::vector<std::string_view> default_seccomp_always_allowed();
// The syscalls Docker allows only when `capability` is in the bounding set.
std::span<const std::string_view> default_seccomp_capability_syscalls(std::string_view capability);
// The syscalls Docker allows only on `arch` (Docker's names: "amd64", "arm64", …).
std::vector<std::string_view> default_seccomp_architecture_syscalls(std::string_view arch);
// libseccomp names of the architectures a filter built on `arch` covers.
std::vector<std::string> default_seccomp_architectures(std::string_view arch);

} // namespace corral::runtime
