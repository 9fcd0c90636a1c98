#include "runtime/spec_builder_internal.h"

#include <array>

namespace corral::runtime::detail {

namespace {

// Adds a namespace for `mode`: "host" leaves it out (the host's is kept),
// "container:<x>" joins the path the engine resolved, anything else is new.
ErrorOr<void> add_namespace(
    Spec& spec, NamespaceType type, const std::string& mode, const std::string& join_path, std::string_view field)
{
    if (mode == "host")
        return {};
    if (is_container_mode(mode)) {
        if (join_path.empty())
            return Error::from_string(std::string(field) + " " + mode + ": no namespace to join was given");
        spec.namespaces.push_back({ type, join_path });
        return {};
    }
    spec.namespaces.push_back({ type, {} });
    return {};
}

// runc's list of System V IPC sysctls, which belong to the IPC namespace.
constexpr std::array<std::string_view, 8> IPC_SYSCTLS {
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
};

bool is_ipc_sysctl(std::string_view name)
{
    for (auto s : IPC_SYSCTLS) {
        if (s == name)
            return true;
    }
    return name.starts_with("fs.mqueue.");
}

Error sysctl_error(const std::string& name, std::string_view why)
{
    return Error::from_string("sysctl \"" + name + "\" " + std::string(why));
}

} // namespace

ErrorOr<void> build_namespaces(const BuildInput& input, Spec& spec)
{
    auto const& host = input.host;
    // Docker's order: mount, network, uts, pid, ipc, cgroup.
    spec.namespaces.push_back({ NamespaceType::Mount, {} });
    TRY(add_namespace(spec, NamespaceType::Network, host.network_mode, input.network_namespace_path, "NetworkMode"));
    if (host.uts_mode == "host") {
        // The host's UTS namespace: its hostname is not the container's to set.
        spec.hostname.clear();
        spec.domainname.clear();
    } else {
        spec.namespaces.push_back({ NamespaceType::Uts, {} });
    }
    TRY(add_namespace(spec, NamespaceType::Pid, host.pid_mode, input.pid_namespace_path, "PidMode"));
    TRY(add_namespace(spec, NamespaceType::Ipc, host.ipc_mode, input.ipc_namespace_path, "IpcMode"));

    // Docker's default: a cgroup namespace of its own on cgroup v2 (even when
    // privileged), the host's on v1.
    bool private_cgroupns
        = host.cgroupns_mode == "private" || (host.cgroupns_mode.empty() && input.cgroup_version == CgroupVersion::V2);
    if (private_cgroupns)
        spec.namespaces.push_back({ NamespaceType::Cgroup, {} });
    return {};
}

ErrorOr<void> build_sysctls(const BuildInput& input, Spec& spec)
{
    if (has_private_network(input.host)) {
        // Docker's defaults for a network namespace of the container's own:
        // ping without CAP_NET_RAW, and any port without CAP_NET_BIND_SERVICE.
        spec.sysctls["net.ipv4.ping_group_range"] = "0 2147483647";
        spec.sysctls["net.ipv4.ip_unprivileged_port_start"] = "0";
    }
    // Only namespaced sysctls, and only when the namespace is not the host's;
    // the rules and messages are runc's, which is where Docker refuses them.
    for (auto const& [name, value] : input.host.sysctls) {
        if (is_ipc_sysctl(name)) {
            if (!has_namespace(spec, NamespaceType::Ipc))
                return sysctl_error(name, "is not allowed in the hosts ipc namespace");
        } else if (name.starts_with("net.")) {
            if (!has_namespace(spec, NamespaceType::Network))
                return sysctl_error(name, "is not allowed in the hosts network namespace");
        } else if (name == "kernel.domainname" && has_namespace(spec, NamespaceType::Uts)) {
            // Namespaced, and no other field sets it.
        } else if (name == "kernel.hostname" && has_namespace(spec, NamespaceType::Uts)) {
            return sysctl_error(name, "is not allowed as it conflicts with the OCI \"hostname\" field");
        } else {
            return sysctl_error(name, "is not in a separate kernel namespace");
        }
        spec.sysctls[name] = value;
    }
    return {};
}

} // namespace corral::runtime::detail
