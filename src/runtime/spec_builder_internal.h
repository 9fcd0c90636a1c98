#pragma once

// The steps of build_spec(), one per file; internal to the runtime library.
// Each fills its part of the Spec from the input and the steps before it.

#include "runtime/spec_builder.h"

#include <optional>
#include <string_view>
#include <vector>

namespace corral::runtime::detail {

// "container:<x>" modes; the part after the colon.
inline bool is_container_mode(std::string_view mode)
{
    return mode.starts_with("container:");
}

// Whether the container gets a network namespace of its own (Docker's
// NetworkMode.IsPrivate: anything but host and container:<x>).
inline bool has_private_network(const HostConfig& host)
{
    return host.network_mode != "host" && !is_container_mode(host.network_mode);
}

bool has_namespace(const Spec& spec, NamespaceType type);

// spec_namespaces.cpp: namespaces, hostname and domain name, sysctls.
ErrorOr<void> build_namespaces(const BuildInput& input, Spec& spec);
ErrorOr<void> build_sysctls(const BuildInput& input, Spec& spec);

// spec_mounts.cpp: mounts and the root propagation.
ErrorOr<void> build_mounts(const BuildInput& input, Spec& spec);

// spec_devices.cpp: device nodes and device cgroup rules.
ErrorOr<void> build_devices(const BuildInput& input, Spec& spec);

// HostConfig.SecurityOpt as Docker reads it.
struct SecurityOptions {
    bool no_new_privileges { false };
    std::optional<bool> writable_cgroups; // unset: as privileged
    SeccompMode seccomp { SeccompMode::Default };
};
// Errors as Docker's (`invalid --security-opt 2: "x"`); a seccomp profile
// other than the default or "unconfined" is refused.
ErrorOr<SecurityOptions> parse_security_options(const std::vector<std::string>& options);

// spec_security.cpp: capabilities, seccomp, no_new_privileges, masked and
// read-only paths, rlimits, oom_score_adj. Needs spec.process.user.
ErrorOr<void> build_security(const BuildInput& input, Spec& spec);

// spec_resources.cpp: cgroup path and resource limits.
ErrorOr<void> build_resources(const BuildInput& input, Spec& spec);

} // namespace corral::runtime::detail
