// Docker's create-time validation of Config and HostConfig, and the parsers
// for Binds and VolumesFrom entries. Messages are Docker's, so that clients
// and scripts that match on them keep working.

#include "runtime/capabilities.h"
#include "runtime/container_config.h"
#include "runtime/paths.h"
#include "runtime/signals.h"

#include "base/strings.h"

#include <arpa/inet.h>

namespace corral::runtime {

namespace {

constexpr size_t MAX_HOSTNAME_LENGTH = 64; // HOST_NAME_MAX

bool is_propagation(std::string_view mode)
{
    return mode == "private" || mode == "rprivate" || mode == "shared" || mode == "rshared" || mode == "slave"
        || mode == "rslave";
}

// Docker's linuxValidMountMode: comma-separated, at most one of each kind.
bool valid_mount_mode(std::string_view mode)
{
    if (mode.empty())
        return true;
    int rw = 0, label = 0, propagation = 0, copy = 0, consistency = 0;
    for (auto const& option : split(mode, ',')) {
        if (option == "rw" || option == "ro")
            ++rw;
        else if (option == "z" || option == "Z")
            ++label;
        else if (is_propagation(option))
            ++propagation;
        else if (option == "nocopy")
            ++copy;
        else if (option == "consistent" || option == "cached" || option == "delegated")
            ++consistency;
        else
            return false;
    }
    return rw <= 1 && label <= 1 && propagation <= 1 && copy <= 1 && consistency <= 1;
}

bool mode_has(std::string_view mode, std::string_view option)
{
    for (auto const& o : split(mode, ',')) {
        if (o == option)
            return true;
    }
    return false;
}

std::string mode_propagation(std::string_view mode)
{
    for (auto const& o : split(mode, ',')) {
        if (is_propagation(o))
            return o;
    }
    return {};
}

ErrorOr<void> validate_destination(std::string_view destination)
{
    if (clean_path(destination) == "/")
        return Error::from_string("invalid specification: destination can't be '/'");
    if (!destination.starts_with('/'))
        return Error::from_string("invalid mount path: '" + std::string(destination) + "' mount path must be absolute");
    return {};
}

std::string_view mount_type_name(MountType type)
{
    switch (type) {
    case MountType::Bind:
        return "bind";
    case MountType::Volume:
        return "volume";
    case MountType::Tmpfs:
        return "tmpfs";
    }
    return "";
}

ErrorOr<void> check_mount(const MountSpec& m)
{
    auto extra = [](std::string_view field) {
        return Error::from_string("field " + std::string(field) + " must not be specified");
    };
    if (m.type != MountType::Bind && m.has_bind_options)
        return extra("BindOptions");
    if (m.type != MountType::Volume && m.has_volume_options)
        return extra("VolumeOptions");
    if (m.type != MountType::Tmpfs && m.has_tmpfs_options)
        return extra("TmpfsOptions");
    if (m.target.empty())
        return Error::from_string("field Target must not be empty");
    TRY(validate_destination(m.target));
    switch (m.type) {
    case MountType::Bind:
        if (m.source.empty())
            return Error::from_string("field Source must not be empty");
        if (!m.propagation.empty() && !is_propagation(m.propagation))
            return Error::from_string("invalid propagation mode: " + m.propagation);
        if (!m.source.starts_with('/'))
            return Error::from_string("invalid mount path: '" + m.source + "' mount path must be absolute");
        break;
    case MountType::Volume:
        break;
    case MountType::Tmpfs:
        if (!m.source.empty())
            return extra("Source");
        break;
    }
    return {};
}

bool valid_ip(const std::string& text)
{
    unsigned char buffer[16];
    return inet_pton(AF_INET, text.c_str(), buffer) == 1 || inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

// "container:<name>" with a name; the bare prefix is not valid.
bool is_container_mode(std::string_view mode)
{
    return mode.starts_with("container:") && mode.size() > 10;
}

} // namespace

ErrorOr<void> validate_container_config(const ContainerConfig& config)
{
    if (!config.working_dir.empty() && !config.working_dir.starts_with('/'))
        return Error::from_string(
            "the working directory '" + config.working_dir + "' is invalid, it needs to be an absolute path");
    if (!config.stop_signal.empty())
        TRY(parse_signal(config.stop_signal));
    for (auto const& env : config.env) {
        if (env.empty() || env.front() == '=')
            return Error::from_string("invalid environment variable: " + env);
    }
    if (config.hostname.size() > MAX_HOSTNAME_LENGTH)
        return Error::from_string("hostname \"" + config.hostname + "\" is too long (maximum "
            + std::to_string(MAX_HOSTNAME_LENGTH) + " bytes)");
    return {};
}

ErrorOr<void> validate_host_config(const HostConfig& host)
{
    auto const& restart = host.restart_policy;
    if (host.auto_remove && !(restart.name.empty() || restart.name == "no"))
        return Error::from_string("can't create 'AutoRemove' container with restart policy");
    if (restart.name == "always" || restart.name == "unless-stopped" || restart.name == "no") {
        if (restart.maximum_retry_count != 0)
            return Error::from_string(
                std::string("invalid restart policy: maximum retry count can only be used with 'on-failure'")
                + (restart.maximum_retry_count < 0 ? " and cannot be negative" : ""));
    } else if (restart.name == "on-failure") {
        if (restart.maximum_retry_count < 0)
            return Error::from_string("invalid restart policy: maximum retry count cannot be negative");
    } else if (!restart.name.empty()) {
        return Error::from_string("invalid restart policy: unknown policy '" + restart.name
            + "'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
    }

    for (auto const& m : host.mounts) {
        auto checked = check_mount(m);
        if (checked.is_error())
            return Error::from_string("invalid mount config for type \"" + std::string(mount_type_name(m.type))
                + "\": " + checked.error().message());
    }
    for (auto const& [destination, options] : host.tmpfs)
        TRY(validate_destination(destination));
    for (auto const& entry : host.extra_hosts) {
        auto colon = entry.find(':');
        if (colon == std::string::npos || colon == 0)
            return Error::from_string("bad format for add-host: \"" + entry + "\"");
        std::string ip = entry.substr(colon + 1);
        if (ip != "host-gateway" && !valid_ip(ip))
            return Error::from_string("invalid IP address in add-host: \"" + ip + "\"");
    }

    TRY(container_capabilities(host.cap_add, host.cap_drop, false));

    auto const& ipc = host.ipc_mode;
    if (!(ipc.empty() || ipc == "none" || ipc == "private" || ipc == "shareable" || ipc == "host"
            || is_container_mode(ipc)))
        return Error::from_string("invalid IPC mode: " + ipc);
    if (!(host.pid_mode.empty() || host.pid_mode == "host" || is_container_mode(host.pid_mode)))
        return Error::from_string("invalid PID mode: " + host.pid_mode);
    if (!(host.uts_mode.empty() || host.uts_mode == "host"))
        return Error::from_string("invalid UTS mode: " + host.uts_mode);
    if (!(host.cgroupns_mode.empty() || host.cgroupns_mode == "host" || host.cgroupns_mode == "private"))
        return Error::from_string("invalid cgroup namespace mode: " + host.cgroupns_mode);
    if (host.network_mode == "container" || host.network_mode == "container:")
        return Error::from_string("invalid network mode: invalid container format container:<name|id>");
    if (host.shm_size < 0)
        return Error::from_string("SHM size can not be less than 0");
    if (host.oom_score_adj < -1000 || host.oom_score_adj > 1000)
        return Error::from_string(
            "Invalid value " + std::to_string(host.oom_score_adj) + ", range for oom score adj is [-1000, 1000]");
    return {};
}

ErrorOr<BindSpec> parse_bind(std::string_view raw)
{
    auto invalid_spec = [&] { return Error::from_string("invalid volume specification: '" + std::string(raw) + "'"); };
    // Docker splits on at most three colons: a fourth part makes the spec invalid.
    std::vector<std::string> parts = split(raw, ':');
    if (parts.empty() || parts[0].empty() || parts.size() > 3)
        return invalid_spec();

    BindSpec out;
    std::string mode;
    if (parts.size() == 1) {
        out.destination = parts[0];
    } else if (parts.size() == 2) {
        // "/foo:rw" is a destination with a mode, which a volume cannot have.
        if (valid_mount_mode(parts[1]))
            return invalid_spec();
        out.source = parts[0];
        out.destination = parts[1];
    } else {
        out.source = parts[0];
        out.destination = parts[1];
        mode = parts[2];
    }
    if (!valid_mount_mode(mode))
        return Error::from_string("invalid mode: " + mode);

    out.is_volume = !out.source.starts_with('/');
    out.read_only = mode_has(mode, "ro");
    out.no_copy = mode_has(mode, "nocopy");
    std::string propagation = mode_propagation(mode);

    auto config_error = [&](std::string_view type, std::string what) {
        return Error::from_string("invalid volume specification: '" + std::string(raw)
            + "': invalid mount config for type \"" + std::string(type) + "\": " + what);
    };
    std::string_view type = out.is_volume ? "volume" : "bind";
    if (out.is_volume && !propagation.empty())
        return config_error(type, "field BindOptions must not be specified");
    if (!out.is_volume && out.no_copy)
        return config_error(type, "field VolumeOptions must not be specified");
    if (out.destination.empty())
        return config_error(type, "field Target must not be empty");
    if (auto checked = validate_destination(out.destination); checked.is_error())
        return config_error(type, checked.error().message());

    out.destination = clean_path(out.destination);
    if (!out.is_volume) {
        out.source = clean_path(out.source);
        out.propagation = propagation.empty() ? "rprivate" : propagation;
    }
    return out;
}

ErrorOr<VolumesFromSpec> parse_volumes_from(std::string_view raw)
{
    if (raw.empty())
        return Error::from_string("volumes-from specification cannot be an empty string");
    VolumesFromSpec out;
    auto colon = raw.find(':');
    out.container = std::string(raw.substr(0, colon));
    std::string mode = colon == std::string_view::npos ? "" : std::string(raw.substr(colon + 1));
    if (mode.empty())
        return out;
    if (!valid_mount_mode(mode) || !mode_propagation(mode).empty() || mode_has(mode, "nocopy"))
        return Error::from_string("invalid mode: " + mode);
    out.read_only = mode_has(mode, "ro");
    return out;
}

} // namespace corral::runtime
