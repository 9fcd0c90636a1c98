// Containers as dockerd 20.10 shows them: GET /containers/{id}/json and the
// entries of GET /containers/json (daemon/inspect.go, container/view.go,
// container/state.go). HostConfig, Config and the networks are rendered in
// json_views_config.cpp.

#include "api/json_views.h"

#include "base/strings.h"
#include "base/time.h"

namespace corral::api {

using nlohmann::json;

namespace {

bool never_started(const engine::ContainerState& state)
{
    auto started = parse_rfc3339(state.started_at);
    return !started || state.started_at == engine::ZERO_TIME;
}

std::string network_mode(const engine::Container& c)
{
    auto const& mode = c.parsed.host_config.network_mode;
    return mode.empty() ? "default" : mode;
}

json nullable_strings(const std::vector<std::string>& values)
{
    return values.empty() ? json(nullptr) : json(values);
}

// The process: dockerd's getEntrypointAndArgs on the merged Config.
std::pair<std::string, std::vector<std::string>> path_and_args(const runtime::ContainerConfig& config)
{
    std::vector<std::string> line = config.entrypoint.value_or(std::vector<std::string> {});
    if (line.size() == 1 && line.front().empty())
        line.clear();
    auto const& cmd = config.cmd.value_or(std::vector<std::string> {});
    line.insert(line.end(), cmd.begin(), cmd.end());
    if (line.empty())
        return {};
    std::string path = line.front();
    line.erase(line.begin());
    return { path, line };
}

json state_json(const engine::ContainerState& s)
{
    bool running = s.status == "running" || s.status == "paused" || s.status == "restarting";
    return {
        { "Status", s.status },
        { "Running", running },
        { "Paused", s.status == "paused" },
        { "Restarting", s.status == "restarting" },
        { "OOMKilled", s.oom_killed },
        { "Dead", s.status == "dead" },
        // dockerd clears the pid when the process exits, also while restarting.
        { "Pid", s.status == "running" || s.status == "paused" ? s.pid : 0 },
        { "ExitCode", s.exit_code },
        { "Error", s.error },
        { "StartedAt", s.started_at },
        { "FinishedAt", s.finished_at },
    };
}

json mount_point_json(std::string_view type, const std::string& name, const std::string& source,
    const std::string& destination, const std::string& mode, bool rw, const std::string& propagation)
{
    json m = { { "Source", source }, { "Destination", destination }, { "Mode", mode }, { "RW", rw },
        { "Propagation", propagation } };
    if (!type.empty())
        m["Type"] = type;
    if (!name.empty())
        m["Name"] = name;
    if (type == "volume")
        m["Driver"] = "local";
    return m;
}

// types.MountPoint for each mount, inspect's and ps's alike. Tmpfs mounts of
// HostConfig.Mounts are mount points in dockerd too; HostConfig.Tmpfs ones
// are not.
json mounts_json(const engine::Container& c)
{
    json out = json::array();
    for (auto const& m : c.mounts)
        out.push_back(mount_point_json(m.type, m.name, m.source, m.destination, m.mode, m.rw, m.propagation));
    for (auto const& spec : c.parsed.host_config.mounts) {
        if (spec.type == runtime::MountType::Tmpfs)
            out.push_back(mount_point_json("tmpfs", "", "", spec.target, "", !spec.read_only, ""));
    }
    return out;
}

std::string dirname_join(const std::string& dir, std::string_view name)
{
    if (dir.empty() || dir.back() == '/')
        return dir + std::string(name);
    return dir + "/" + std::string(name);
}

} // namespace

std::string human_duration(int64_t seconds)
{
    if (seconds < 1)
        return "Less than a second";
    if (seconds == 1)
        return "1 second";
    if (seconds < 60)
        return std::to_string(seconds) + " seconds";
    int64_t minutes = seconds / 60;
    if (minutes == 1)
        return "About a minute";
    if (minutes < 60)
        return std::to_string(minutes) + " minutes";
    // Go's int(d.Hours() + 0.5): whole seconds round the same way, because the
    // half hour is a whole number of seconds.
    int64_t hours = (seconds + 1800) / 3600;
    if (hours == 1)
        return "About an hour";
    if (hours < 48)
        return std::to_string(hours) + " hours";
    if (hours < 24 * 7 * 2)
        return std::to_string(hours / 24) + " days";
    if (hours < 24 * 30 * 2)
        return std::to_string(hours / 24 / 7) + " weeks";
    if (hours < 24 * 365 * 2)
        return std::to_string(hours / 24 / 30) + " months";
    return std::to_string(seconds / 3600 / 24 / 365) + " years";
}

namespace {

// Go's int(now.Sub(t).Seconds()): truncated toward zero. An unreadable time
// counts as the zero time, so the duration is huge, as dockerd's would be.
int64_t seconds_since(const std::string& time, std::time_t now)
{
    auto parsed = parse_rfc3339(time);
    if (!parsed)
        parsed = parse_rfc3339(engine::ZERO_TIME);
    int64_t elapsed = static_cast<int64_t>(now) - parsed->tv_sec;
    if (parsed->tv_nsec > 0 && elapsed > 0)
        --elapsed;
    return elapsed;
}

} // namespace

std::string container_status_text(const engine::ContainerState& state, std::time_t now)
{
    auto const& status = state.status;
    if (status == "paused")
        return "Up " + human_duration(seconds_since(state.started_at, now)) + " (Paused)";
    if (status == "restarting")
        return "Restarting (" + std::to_string(state.exit_code) + ") "
            + human_duration(seconds_since(state.finished_at, now)) + " ago";
    if (status == "running")
        return "Up " + human_duration(seconds_since(state.started_at, now));
    if (status == "removing")
        return "Removal In Progress";
    if (status == "dead")
        return "Dead";
    if (never_started(state))
        return "Created";
    if (state.finished_at == engine::ZERO_TIME)
        return "";
    return "Exited (" + std::to_string(state.exit_code) + ") " + human_duration(seconds_since(state.finished_at, now))
        + " ago";
}

json container_inspect_json(const engine::Container& c, const std::string& container_dir,
    const std::string& default_log_driver, const InspectExtras& extras)
{
    auto [path, args] = path_and_args(c.config);
    bool started = !never_started(c.state);
    std::string etc_dir = extras.etc_dir.empty() ? container_dir : extras.etc_dir;

    json graph_data = {
        { "MergedDir", dirname_join(container_dir, "rootfs") },
        { "UpperDir", dirname_join(container_dir, "upper") },
        { "WorkDir", dirname_join(container_dir, "work") },
    };
    if (!extras.lower_dirs.empty())
        graph_data["LowerDir"] = join(extras.lower_dirs, ":");

    json network_settings = {
        { "Bridge", "" },
        { "SandboxID", "" },
        { "HairpinMode", false },
        { "LinkLocalIPv6Address", "" },
        { "LinkLocalIPv6PrefixLen", 0 },
        { "Ports", json::object() },
        { "SandboxKey", "" },
        { "SecondaryIPAddresses", nullptr },
        { "SecondaryIPv6Addresses", nullptr },
        { "EndpointID", "" },
        { "Gateway", "" },
        { "GlobalIPv6Address", "" },
        { "GlobalIPv6PrefixLen", 0 },
        { "IPAddress", "" },
        { "IPPrefixLen", 0 },
        { "IPv6Gateway", "" },
        { "MacAddress", "" },
        { "Networks", container_networks_json(c, false) },
    };

    return {
        { "Id", c.id },
        { "Created", c.created },
        { "Path", path },
        { "Args", args },
        { "State", state_json(c.state) },
        { "Image", c.image_id },
        { "ResolvConfPath", started ? dirname_join(etc_dir, "resolv.conf") : "" },
        { "HostnamePath", started ? dirname_join(etc_dir, "hostname") : "" },
        { "HostsPath", started ? dirname_join(etc_dir, "hosts") : "" },
        { "LogPath", started ? c.log_path : "" },
        { "Name", "/" + c.name },
        { "RestartCount", c.restart_count },
        { "Driver", "overlay2" },
        { "Platform", "linux" },
        { "MountLabel", "" },
        { "ProcessLabel", "" },
        { "AppArmorProfile", "" },
        { "ExecIDs", nullable_strings(extras.exec_ids) },
        { "HostConfig", container_host_config_json(c, default_log_driver, extras) },
        { "GraphDriver", { { "Name", "overlay2" }, { "Data", graph_data } } },
        { "Mounts", mounts_json(c) },
        { "Config", container_config_json(c, extras) },
        { "NetworkSettings", network_settings },
    };
}

json container_summary_json(const engine::Container& c, std::time_t now, const ImageResolver& resolve_image)
{
    auto [path, args] = path_and_args(c.config);
    // container/view.go: arguments with a space are quoted, the path is not.
    std::string command = path;
    for (auto const& arg : args)
        command += " " + (arg.find(' ') != std::string::npos ? "'" + arg + "'" : arg);

    // refreshImage: keep the name the container was created from only while
    // it still names the container's image.
    std::string image = c.image;
    if (resolve_image && image != c.image_id) {
        auto id = resolve_image(image);
        if (!id || *id != c.image_id)
            image = c.image_id;
    }

    auto created = parse_rfc3339(c.created);
    return {
        { "Id", c.id },
        { "Names", json::array({ "/" + c.name }) },
        { "Image", image },
        { "ImageID", c.image_id },
        { "Command", command },
        { "Created", created ? static_cast<int64_t>(created->tv_sec) : 0 },
        { "Ports", json::array() },
        { "Labels", c.config.labels },
        { "State", c.state.status },
        { "Status", container_status_text(c.state, now) },
        { "HostConfig", { { "NetworkMode", network_mode(c) } } },
        { "NetworkSettings", { { "Networks", container_networks_json(c, true) } } },
        { "Mounts", mounts_json(c) },
    };
}

} // namespace corral::api
