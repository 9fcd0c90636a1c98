#include "runtime/spec_builder_internal.h"

#include <algorithm>

namespace corral::runtime::detail {

namespace {

// The nodes every container gets (the OCI runtime spec's default devices,
// less /dev/console and /dev/ptmx, which the executor sets up: the console is
// the container's tty, and /dev/ptmx is a symlink to pts/ptmx).
const Device STANDARD_DEVICES[] = {
    { "/dev/null", 'c', 1, 3, 0666, 0, 0 },
    { "/dev/zero", 'c', 1, 5, 0666, 0, 0 },
    { "/dev/full", 'c', 1, 7, 0666, 0, 0 },
    { "/dev/random", 'c', 1, 8, 0666, 0, 0 },
    { "/dev/urandom", 'c', 1, 9, 0666, 0, 0 },
    { "/dev/tty", 'c', 5, 0, 0666, 0, 0 },
};

DeviceRule allow(char type, int64_t major, int64_t minor, std::string access)
{
    return DeviceRule { true, type, major, minor, std::move(access) };
}

// Docker's list plus runc's additions: everything may be created with mknod
// (m), the standard nodes, the tty and console, /dev/ptmx and the pty slaves
// (136:*), and /dev/net/tun (10:200).
std::vector<DeviceRule> default_rules()
{
    return {
        DeviceRule { false, 'a', -1, -1, "rwm" },
        allow('c', -1, -1, "m"),
        allow('b', -1, -1, "m"),
        allow('c', 1, 3, "rwm"),
        allow('c', 1, 5, "rwm"),
        allow('c', 1, 7, "rwm"),
        allow('c', 1, 8, "rwm"),
        allow('c', 1, 9, "rwm"),
        allow('c', 5, 0, "rwm"),
        allow('c', 5, 1, "rwm"),
        allow('c', 5, 2, "rwm"),
        allow('c', 136, -1, "rwm"),
        allow('c', 10, 200, "rwm"),
    };
}

// Each of r, w, m at most once, and at least one.
bool valid_permissions(std::string_view access)
{
    if (access.empty() || access.size() > 3)
        return false;
    for (size_t i = 0; i < access.size(); ++i) {
        char c = access[i];
        if ((c != 'r' && c != 'w' && c != 'm') || access.find(c, i + 1) != std::string_view::npos)
            return false;
    }
    return true;
}

} // namespace

ErrorOr<void> build_devices(const BuildInput& input, Spec& spec)
{
    spec.devices.assign(std::begin(STANDARD_DEVICES), std::end(STANDARD_DEVICES));
    spec.resources.devices
        = input.host.privileged ? std::vector<DeviceRule> { allow('a', -1, -1, "rwm") } : default_rules();

    for (auto const& d : input.devices) {
        if (d.type != 'c' && d.type != 'b')
            return Error::from_string("device " + d.path_in_container + ": not a character or block device");
        if (!d.path_in_container.starts_with('/'))
            return Error::from_string("device " + d.path_in_container + ": the path in the container must be absolute");
        std::string access = d.cgroup_permissions.empty() ? "rwm" : d.cgroup_permissions;
        if (!valid_permissions(access))
            return Error::from_string("invalid device cgroup permissions \"" + access + "\" for " + d.path_in_container
                + " (expected a combination of r, w and m)");

        Device node { d.path_in_container, d.type, d.major, d.minor, static_cast<mode_t>(d.mode & 07777), d.uid,
            d.gid };
        auto same = std::find_if(spec.devices.begin(), spec.devices.end(),
            [&](const Device& existing) { return existing.path == node.path; });
        if (same != spec.devices.end())
            *same = node;
        else
            spec.devices.push_back(node);
        if (!input.host.privileged)
            spec.resources.devices.push_back(allow(d.type, d.major, d.minor, access));
    }
    return {};
}

} // namespace corral::runtime::detail
