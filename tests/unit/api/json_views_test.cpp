// The API's JSON views against what dockerd 20.10 returns: field names, nulls
// and defaults of inspect, ps, images, history and volumes; ps's Status text;
// the container list filters.

#include "api/json_views.h"

#include "runtime/spec_builder.h"

#include <algorithm>
#include <gtest/gtest.h>

using namespace corral;
using namespace corral::api;
using nlohmann::json;

namespace {

const std::string ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string IMAGE_ID = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const std::string DIR = "/var/lib/system-docker/containers/" + ID;

// 2024-01-02T03:04:05Z
constexpr std::time_t T0 = 1704164645;

runtime::ImageDefaults busybox_defaults()
{
    runtime::ImageDefaults image;
    image.env = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" };
    image.cmd = std::vector<std::string> { "sh" };
    return image;
}

// A container as the engine derives it from a create body (Engine::derive).
engine::Container make_container(json request, const runtime::ImageDefaults& image = busybox_defaults())
{
    engine::Container c;
    c.id = ID;
    c.name = "web";
    c.created = "2024-01-02T03:04:05.123456789Z";
    c.image = request.value("Image", "busybox");
    c.image_id = IMAGE_ID;
    c.request = std::move(request);
    c.log_path = DIR + "/" + ID + "-json.log";
    auto parsed = runtime::parse_create_request(c.request);
    EXPECT_FALSE(parsed.is_error()) << parsed.error().message();
    c.parsed = parsed.release_value();
    c.image_defaults = image;
    c.config = runtime::merge_image_defaults(c.parsed.config, c.image_defaults);
    return c;
}

// What `docker run -d --name web busybox sleep 100` sends (docker CLI 20.10), trimmed.
json cli_request()
{
    return json::parse(R"({
        "Hostname": "", "Domainname": "", "User": "", "AttachStdin": false, "AttachStdout": false,
        "AttachStderr": false, "Tty": false, "OpenStdin": false, "StdinOnce": false, "Env": [],
        "Cmd": ["sleep", "100"], "Image": "busybox", "Volumes": {}, "WorkingDir": "", "Entrypoint": null,
        "OnBuild": null, "Labels": {},
        "HostConfig": {
            "Binds": null, "ContainerIDFile": "", "LogConfig": {"Type": "", "Config": {}},
            "NetworkMode": "default", "PortBindings": {}, "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
            "AutoRemove": false, "VolumeDriver": "", "VolumesFrom": null, "CapAdd": null, "CapDrop": null,
            "CgroupnsMode": "", "Dns": [], "DnsOptions": [], "DnsSearch": [], "ExtraHosts": null, "GroupAdd": null,
            "IpcMode": "", "Cgroup": "", "Links": null, "OomScoreAdj": 0, "PidMode": "", "Privileged": false,
            "PublishAllPorts": false, "ReadonlyRootfs": false, "SecurityOpt": null, "UTSMode": "", "UsernsMode": "",
            "ShmSize": 0, "ConsoleSize": [0, 0], "Isolation": "", "CpuShares": 0, "Memory": 0, "NanoCpus": 0,
            "CgroupParent": "", "BlkioWeight": 0, "BlkioWeightDevice": [], "Devices": [], "PidsLimit": null,
            "MaskedPaths": null, "ReadonlyPaths": null
        },
        "NetworkingConfig": {"EndpointsConfig": {}}
    })");
}

void start(engine::Container& c, std::string status = "running")
{
    c.state.status = std::move(status);
    c.state.pid = 4242;
    c.state.started_at = "2024-01-02T03:04:06.5Z";
}

} // namespace

TEST(HumanDuration, FollowsGoUnits)
{
    std::vector<std::pair<int64_t, std::string>> table = {
        { -5, "Less than a second" },
        { 0, "Less than a second" },
        { 1, "1 second" },
        { 2, "2 seconds" },
        { 59, "59 seconds" },
        { 60, "About a minute" },
        { 119, "About a minute" },
        { 120, "2 minutes" },
        { 3599, "59 minutes" },
        { 3600, "About an hour" },
        { 5399, "About an hour" }, // 1.4997 hours round to 1
        { 5400, "2 hours" }, // 1.5 rounds up
        { 47 * 3600 + 1799, "47 hours" },
        { 47 * 3600 + 1800, "2 days" }, // 48 hours after rounding
        { 13 * 86400, "13 days" },
        { 14 * 86400, "2 weeks" },
        { 59 * 86400, "8 weeks" },
        { 60 * 86400, "2 months" },
        { 729 * 86400, "24 months" },
        { 730 * 86400, "2 years" },
        { 3650 * 86400, "10 years" },
    };
    for (auto const& [seconds, text] : table)
        EXPECT_EQ(human_duration(seconds), text) << seconds;
}

TEST(ContainerStatusText, ReadsLikeDockerPs)
{
    engine::ContainerState s;
    EXPECT_EQ(container_status_text(s, T0), "Created");

    s.status = "running";
    s.started_at = "2024-01-02T03:04:00Z";
    EXPECT_EQ(container_status_text(s, T0), "Up 5 seconds");
    // 4.5 seconds: Go truncates.
    s.started_at = "2024-01-02T03:04:00.5Z";
    EXPECT_EQ(container_status_text(s, T0), "Up 4 seconds");

    s.status = "paused";
    s.started_at = "2024-01-02T03:02:05Z";
    EXPECT_EQ(container_status_text(s, T0), "Up 2 minutes (Paused)");

    s.status = "restarting";
    s.exit_code = 1;
    s.finished_at = "2024-01-02T03:04:03Z";
    EXPECT_EQ(container_status_text(s, T0), "Restarting (1) 2 seconds ago");

    s.status = "exited";
    s.exit_code = 3;
    s.finished_at = "2024-01-02T03:03:55Z";
    EXPECT_EQ(container_status_text(s, T0), "Exited (3) 10 seconds ago");
    s.finished_at = "2023-12-02T03:04:05Z";
    EXPECT_EQ(container_status_text(s, T0), "Exited (3) 4 weeks ago");

    s.status = "dead";
    EXPECT_EQ(container_status_text(s, T0), "Dead");
}

TEST(ContainerInspect, TopLevelAndState)
{
    auto c = make_container(cli_request());
    auto j = container_inspect_json(c, DIR, "json-file");
    EXPECT_EQ(j["Id"], ID);
    EXPECT_EQ(j["Created"], "2024-01-02T03:04:05.123456789Z");
    EXPECT_EQ(j["Path"], "sleep");
    EXPECT_EQ(j["Args"], json::array({ "100" }));
    EXPECT_EQ(j["Image"], IMAGE_ID);
    EXPECT_EQ(j["Name"], "/web");
    EXPECT_EQ(j["RestartCount"], 0);
    EXPECT_EQ(j["Driver"], "overlay2");
    EXPECT_EQ(j["Platform"], "linux");
    EXPECT_EQ(j["MountLabel"], "");
    EXPECT_EQ(j["ProcessLabel"], "");
    EXPECT_EQ(j["AppArmorProfile"], "");
    EXPECT_TRUE(j["ExecIDs"].is_null());
    EXPECT_FALSE(j.contains("SizeRw"));
    // Never started: dockerd has not set these yet.
    EXPECT_EQ(j["ResolvConfPath"], "");
    EXPECT_EQ(j["HostnamePath"], "");
    EXPECT_EQ(j["HostsPath"], "");
    EXPECT_EQ(j["LogPath"], "");
    EXPECT_EQ(j["State"], json::parse(R"({"Status": "created", "Running": false, "Paused": false, "Restarting": false,
            "OOMKilled": false, "Dead": false, "Pid": 0, "ExitCode": 0, "Error": "",
            "StartedAt": "0001-01-01T00:00:00Z", "FinishedAt": "0001-01-01T00:00:00Z"})"));

    start(c);
    InspectExtras extras;
    extras.exec_ids = { "e1" };
    extras.lower_dirs = { "/l/2", "/l/1" };
    j = container_inspect_json(c, DIR, "json-file", extras);
    EXPECT_EQ(j["ResolvConfPath"], DIR + "/resolv.conf");
    EXPECT_EQ(j["HostnamePath"], DIR + "/hostname");
    EXPECT_EQ(j["HostsPath"], DIR + "/hosts");
    EXPECT_EQ(j["LogPath"], DIR + "/" + ID + "-json.log");
    EXPECT_EQ(j["ExecIDs"], json::array({ "e1" }));
    EXPECT_EQ(j["State"]["Status"], "running");
    EXPECT_EQ(j["State"]["Running"], true);
    EXPECT_EQ(j["State"]["Pid"], 4242);
    EXPECT_EQ(j["State"]["StartedAt"], "2024-01-02T03:04:06.5Z");
    EXPECT_EQ(j["GraphDriver"],
        json::parse(R"({"Name": "overlay2", "Data": {"LowerDir": "/l/2:/l/1",
            "MergedDir": ")"
            + DIR + R"(/rootfs", "UpperDir": ")" + DIR + R"(/upper",
            "WorkDir": ")"
            + DIR + R"(/work"}})"));

    // Restarting counts as running in dockerd, with no process.
    start(c, "restarting");
    j = container_inspect_json(c, DIR, "json-file");
    EXPECT_EQ(j["State"]["Running"], true);
    EXPECT_EQ(j["State"]["Restarting"], true);
    EXPECT_EQ(j["State"]["Pid"], 0);
}

TEST(ContainerInspect, HostConfigKeepsTheRequestAndFillsDockerDefaults)
{
    auto c = make_container(cli_request());
    auto host = container_inspect_json(c, DIR, "json-file")["HostConfig"];
    // As sent: null stays null, [] stays [].
    EXPECT_TRUE(host["Binds"].is_null());
    EXPECT_TRUE(host["CapAdd"].is_null());
    EXPECT_EQ(host["Dns"], json::array());
    EXPECT_EQ(host["Devices"], json::array());
    EXPECT_EQ(host["PortBindings"], json::object());
    EXPECT_EQ(host["RestartPolicy"], json::parse(R"({"Name": "no", "MaximumRetryCount": 0})"));
    EXPECT_TRUE(host["PidsLimit"].is_null());
    EXPECT_TRUE(host["Ulimits"].is_null());
    EXPECT_TRUE(host["Links"].is_null());
    EXPECT_EQ(host["ConsoleSize"], json::array({ 0, 0 }));
    EXPECT_EQ(host["Privileged"], false);
    // dockerd's defaults at create.
    EXPECT_EQ(host["NetworkMode"], "default");
    EXPECT_EQ(host["LogConfig"], json::parse(R"({"Type": "json-file", "Config": {}})"));
    EXPECT_EQ(host["ShmSize"], 67108864);
    EXPECT_EQ(host["IpcMode"], "private");
    EXPECT_EQ(host["CgroupnsMode"], "private");
    EXPECT_EQ(host["OomKillDisable"], false);
    EXPECT_EQ(host["Runtime"], "runc");
    EXPECT_TRUE(host["SecurityOpt"].is_null());
    ASSERT_TRUE(host["MaskedPaths"].is_array());
    EXPECT_EQ(host["MaskedPaths"][0], "/proc/acpi");
    EXPECT_EQ(host["ReadonlyPaths"],
        json::array({ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" }));
    // omitempty fields the request did not set.
    EXPECT_FALSE(host.contains("Init"));
    EXPECT_FALSE(host.contains("Tmpfs"));
    EXPECT_FALSE(host.contains("Sysctls"));
    EXPECT_FALSE(host.contains("Mounts"));
    // Every field dockerd writes is there.
    for (auto const* key :
        { "ContainerIDFile", "AutoRemove", "VolumeDriver", "VolumesFrom", "DnsOptions", "DnsSearch", "ExtraHosts",
            "GroupAdd", "Cgroup", "OomScoreAdj", "PidMode", "PublishAllPorts", "ReadonlyRootfs", "UTSMode",
            "UsernsMode", "Isolation", "CpuShares", "Memory", "NanoCpus", "CgroupParent", "BlkioWeight",
            "BlkioWeightDevice", "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps",
            "BlkioDeviceWriteIOps", "CpuPeriod", "CpuQuota", "CpuRealtimePeriod", "CpuRealtimeRuntime", "CpusetCpus",
            "CpusetMems", "DeviceCgroupRules", "DeviceRequests", "KernelMemory", "KernelMemoryTCP", "MemoryReservation",
            "MemorySwap", "MemorySwappiness", "CpuCount", "CpuPercent", "IOMaximumIOps", "IOMaximumBandwidth" })
        EXPECT_TRUE(host.contains(key)) << key;
}

TEST(ContainerInspect, HostConfigFromABareApiClient)
{
    // A client that sends no HostConfig at all (docker-py, curl).
    InspectExtras extras;
    extras.default_log_options = { { "max-size", "10m" } };
    extras.cgroup_v2 = false;
    auto c = make_container(json { { "Image", "busybox" } });
    auto host = container_inspect_json(c, DIR, "json-file", extras)["HostConfig"];
    EXPECT_EQ(host["NetworkMode"], "default");
    EXPECT_EQ(host["RestartPolicy"], json::parse(R"({"Name": "", "MaximumRetryCount": 0})"));
    EXPECT_EQ(host["LogConfig"], json::parse(R"({"Type": "json-file", "Config": {"max-size": "10m"}})"));
    EXPECT_EQ(host["CgroupnsMode"], "host");
    EXPECT_TRUE(host["Dns"].is_null());
    EXPECT_TRUE(host["Devices"].is_null());
    EXPECT_EQ(host["ConsoleSize"], json::array({ 0, 0 }));
}

TEST(ContainerInspect, HostConfigOfAPrivilegedHostContainer)
{
    auto request = cli_request();
    auto& sent = request["HostConfig"];
    sent["NetworkMode"] = "host";
    sent["PidMode"] = "host";
    sent["Privileged"] = true;
    sent["Memory"] = 64 * 1024 * 1024;
    sent["CapAdd"] = "NET_ADMIN"; // a StrSlice may be one string
    sent["LogConfig"] = { { "Type", "none" }, { "Config", nullptr } };
    sent["Init"] = false;
    sent["Tmpfs"] = { { "/run", "rw,size=64m" } };
    sent["Ulimits"] = json::parse(R"([{"Name": "nofile", "Soft": 1024, "Hard": 2048}])");
    InspectExtras extras;
    extras.default_log_options = { { "max-size", "10m" } };
    extras.host_hostname = "rancher";
    auto c = make_container(request);
    auto j = container_inspect_json(c, DIR, "json-file", extras);
    auto const& host = j["HostConfig"];
    EXPECT_EQ(host["NetworkMode"], "host");
    EXPECT_EQ(host["SecurityOpt"], json::array({ "label=disable" }));
    EXPECT_TRUE(host["MaskedPaths"].is_null());
    EXPECT_TRUE(host["ReadonlyPaths"].is_null());
    EXPECT_EQ(host["MemorySwap"], 2 * 64 * 1024 * 1024);
    EXPECT_EQ(host["CapAdd"], json::array({ "NET_ADMIN" }));
    // Another driver than the daemon's gets none of the daemon's options.
    EXPECT_EQ(host["LogConfig"], json::parse(R"({"Type": "none", "Config": {}})"));
    EXPECT_EQ(host["Init"], false);
    EXPECT_EQ(host["Tmpfs"], json::parse(R"({"/run": "rw,size=64m"})"));
    EXPECT_EQ(host["Ulimits"], json::parse(R"([{"Name": "nofile", "Soft": 1024, "Hard": 2048}])"));
    EXPECT_EQ(j["Config"]["Hostname"], "rancher");
    EXPECT_EQ(j["NetworkSettings"]["Networks"].size(), 1u);
    EXPECT_TRUE(j["NetworkSettings"]["Networks"].contains("host"));

    // A label option of the client's own keeps dockerd from adding one.
    request["HostConfig"]["SecurityOpt"] = json::array({ "label=type:svirt_t" });
    auto labelled = make_container(request);
    EXPECT_EQ(container_inspect_json(labelled, DIR, "json-file")["HostConfig"]["SecurityOpt"],
        json::array({ "label=type:svirt_t" }));
}

TEST(ContainerInspect, ConfigIsTheMergedConfig)
{
    auto request = cli_request();
    request["Labels"] = { { "app", "web" } };
    request["StopTimeout"] = 30;
    request["Healthcheck"] = { { "Test", { "CMD", "true" } } };
    request["Volumes"] = { { "/data", json::object() } };
    runtime::ImageDefaults image = busybox_defaults();
    image.labels = { { "maintainer", "me" } };
    image.working_dir = "/srv";
    auto c = make_container(request, image);
    auto config = container_inspect_json(c, DIR, "json-file")["Config"];
    EXPECT_EQ(config["Hostname"], ID.substr(0, 12));
    EXPECT_EQ(config["Domainname"], "");
    EXPECT_EQ(config["Image"], "busybox");
    EXPECT_EQ(config["Env"], json::array({ "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" }));
    EXPECT_EQ(config["Cmd"], json::array({ "sleep", "100" }));
    EXPECT_TRUE(config["Entrypoint"].is_null());
    EXPECT_TRUE(config["OnBuild"].is_null());
    EXPECT_EQ(config["Labels"], json::parse(R"({"app": "web", "maintainer": "me"})"));
    EXPECT_EQ(config["WorkingDir"], "/srv");
    EXPECT_EQ(config["Volumes"], json::parse(R"({"/data": {}})"));
    EXPECT_EQ(config["StopTimeout"], 30);
    EXPECT_FALSE(config.contains("StopSignal"));
    EXPECT_FALSE(config.contains("ExposedPorts"));
    EXPECT_FALSE(config.contains("Healthcheck"));
    for (auto const* key : { "User", "AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce" })
        EXPECT_TRUE(config.contains(key)) << key;

    // Without labels anywhere, dockerd's merge still makes Labels a map.
    auto bare = make_container(json { { "Image", "busybox" } });
    auto bare_config = container_inspect_json(bare, DIR, "json-file")["Config"];
    EXPECT_EQ(bare_config["Labels"], json::object());
    EXPECT_TRUE(bare_config["Volumes"].is_null());
    EXPECT_EQ(bare_config["Cmd"], json::array({ "sh" }));
}

TEST(ContainerInspect, ResetEntrypoint)
{
    runtime::ImageDefaults image = busybox_defaults();
    image.entrypoint = std::vector<std::string> { "/entry" };
    auto request = cli_request();
    request["Entrypoint"] = json::array({ "" });
    request["Cmd"] = json::array({ "ls", "-l" });
    auto c = make_container(request, image);
    auto j = container_inspect_json(c, DIR, "json-file");
    EXPECT_TRUE(j["Config"]["Entrypoint"].is_null());
    EXPECT_EQ(j["Path"], "ls");
    EXPECT_EQ(j["Args"], json::array({ "-l" }));

    request.erase("Entrypoint");
    auto inherited = make_container(request, image);
    j = container_inspect_json(inherited, DIR, "json-file");
    EXPECT_EQ(j["Path"], "/entry");
    EXPECT_EQ(j["Args"], json::array({ "ls", "-l" }));
}

TEST(ContainerInspect, MountsAndNetworks)
{
    auto request = cli_request();
    request["HostConfig"]["Mounts"] = json::parse(R"([{"Type": "tmpfs", "Target": "/scratch"}])");
    request["NetworkingConfig"] = json::parse(R"({"EndpointsConfig": {"none": {"Aliases": ["a"]}}})");
    request["HostConfig"]["NetworkMode"] = "none";
    auto c = make_container(request);
    c.mounts.push_back(
        { "volume", "data", "/var/lib/system-docker/volumes/data/_data", "/data", "z", true, "", false, false });
    c.mounts.push_back({ "bind", "", "/etc/ssl", "/etc/ssl", "ro", false, "rprivate", false, false });
    auto j = container_inspect_json(c, DIR, "json-file");
    EXPECT_EQ(j["Mounts"], json::parse(R"([
            {"Type": "volume", "Name": "data", "Source": "/var/lib/system-docker/volumes/data/_data",
             "Destination": "/data", "Driver": "local", "Mode": "z", "RW": true, "Propagation": ""},
            {"Type": "bind", "Source": "/etc/ssl", "Destination": "/etc/ssl", "Mode": "ro", "RW": false,
             "Propagation": "rprivate"},
            {"Type": "tmpfs", "Source": "", "Destination": "/scratch", "Mode": "", "RW": true, "Propagation": ""}
        ])"));
    auto const& settings = j["NetworkSettings"];
    EXPECT_EQ(settings["Ports"], json::object());
    EXPECT_EQ(settings["Bridge"], "");
    EXPECT_TRUE(settings["SecondaryIPAddresses"].is_null());
    EXPECT_EQ(settings["Networks"],
        json::parse(R"({"none": {"IPAMConfig": null, "Links": null, "Aliases": ["a"], "NetworkID": "",
            "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0, "IPv6Gateway": "",
            "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0, "MacAddress": "", "DriverOpts": null}})"));
    // The summary form drops the endpoint's configuration.
    EXPECT_TRUE(container_networks_json(c, true)["none"]["Aliases"].is_null());

    auto bridge = make_container(cli_request());
    EXPECT_EQ(container_networks_json(bridge).size(), 1u);
    EXPECT_TRUE(container_networks_json(bridge).contains("bridge"));
    auto shared = cli_request();
    shared["HostConfig"]["NetworkMode"] = "container:" + ID;
    EXPECT_EQ(container_networks_json(make_container(shared)), json::object());
}

TEST(ContainerSummary, Fields)
{
    auto request = cli_request();
    request["Cmd"] = json::array({ "sh", "-c", "echo hi; sleep 1" });
    request["Labels"] = { { "app", "web" } };
    auto c = make_container(request);
    start(c);
    auto j = container_summary_json(c, T0 + 65);
    EXPECT_EQ(j["Id"], ID);
    EXPECT_EQ(j["Names"], json::array({ "/web" }));
    EXPECT_EQ(j["Image"], "busybox");
    EXPECT_EQ(j["ImageID"], IMAGE_ID);
    EXPECT_EQ(j["Command"], "sh -c 'echo hi; sleep 1'");
    EXPECT_EQ(j["Created"], T0);
    EXPECT_EQ(j["Ports"], json::array());
    EXPECT_EQ(j["Labels"], json::parse(R"({"app": "web"})"));
    EXPECT_EQ(j["State"], "running");
    EXPECT_EQ(j["Status"], "Up About a minute");
    EXPECT_EQ(j["HostConfig"], json::parse(R"({"NetworkMode": "default"})"));
    EXPECT_TRUE(j["NetworkSettings"]["Networks"].contains("bridge"));
    EXPECT_EQ(j["Mounts"], json::array());
    EXPECT_FALSE(j.contains("SizeRw"));
    EXPECT_FALSE(j.contains("SizeRootFs"));

    // The name now names another image: ps shows the container's image ID.
    auto retagged
        = container_summary_json(c, T0, [](const std::string&) { return std::optional<std::string>("sha256:2222"); });
    EXPECT_EQ(retagged["Image"], IMAGE_ID);
    auto same = container_summary_json(c, T0, [](const std::string&) { return std::optional<std::string>(IMAGE_ID); });
    EXPECT_EQ(same["Image"], "busybox");
}

TEST(ContainerFilters, ParseErrorsAreDockers)
{
    auto error = [](std::string_view text) {
        auto result = parse_container_filters(text);
        EXPECT_TRUE(result.is_error()) << text;
        if (!result.is_error())
            return std::string();
        EXPECT_EQ(result.error().code(), EINVAL);
        return result.error().message();
    };
    EXPECT_EQ(error(R"({"color": ["red"]})"), "Invalid filter 'color'");
    EXPECT_EQ(error(R"({"status": ["bad"]})"), "Invalid filter 'status=bad'");
    EXPECT_EQ(error(R"({"exited": ["x"]})"), "strconv.Atoi: parsing \"x\": invalid syntax");
    EXPECT_EQ(error(R"({"exited": ["99999999999999999999"]})"),
        "strconv.Atoi: parsing \"99999999999999999999\": value out of range");
    EXPECT_EQ(error(R"({"health": ["sick"]})"), "Unrecognised filter value for health: sick");
    EXPECT_EQ(error(R"({"is-task": ["maybe"]})"), "Invalid filter 'is-task=[maybe]'");
    EXPECT_EQ(error(R"({"publish": ["80:80"]})"), "filter for 'publish' should not contain ':': 80:80");
    EXPECT_EQ(error(R"({"expose": ["http"]})"),
        "error while looking up for expose http: strconv.ParseUint: parsing \"http\": invalid syntax");
    EXPECT_EQ(error(R"({"expose": ["90-80"]})"),
        "error while looking up for expose 90-80: Invalid range specified for the Port: 90-80");
    EXPECT_EQ(
        error(R"({"expose": ["/udp"]})"), "error while looking up for expose /udp: Empty string specified for ports.");
    EXPECT_EQ(error(R"(["status"])"), "json: cannot unmarshal array into Go value of type map[string]map[string]bool");
    EXPECT_EQ(error(R"({"status": "running"})"), "json: cannot unmarshal string into Go value of type map[string]bool");
    EXPECT_FALSE(error("{status").empty());
}

TEST(ContainerFilters, ParsesBothFormats)
{
    auto legacy = parse_container_filters(R"({"status": ["running", "exited"], "exited": ["0", "+3"]})");
    ASSERT_FALSE(legacy.is_error()) << legacy.error().message();
    EXPECT_EQ(legacy->statuses, (std::vector<std::string> { "exited", "running" }));
    auto codes = legacy->exit_codes;
    std::sort(codes.begin(), codes.end());
    EXPECT_EQ(codes, (std::vector<int64_t> { 0, 3 }));
    EXPECT_TRUE(legacy->implies_all);

    auto sets = parse_container_filters(
        R"({"label": {"app": true, "tier=db": true}, "publish": {"8000-8080/udp": true}, "isolation": {"x": true}})");
    ASSERT_FALSE(sets.is_error()) << sets.error().message();
    EXPECT_EQ(sets->labels, (std::vector<std::string> { "app", "tier=db" }));
    ASSERT_EQ(sets->publish.size(), 1u);
    EXPECT_EQ(sets->publish[0].proto, "udp");
    EXPECT_EQ(sets->publish[0].first, 8000);
    EXPECT_EQ(sets->publish[0].last, 8080);
    EXPECT_FALSE(sets->implies_all);

    auto empty = parse_container_filters("");
    ASSERT_FALSE(empty.is_error());
    EXPECT_TRUE(empty->statuses.empty());
}

namespace {

ContainerFilters filters_of(std::string_view text)
{
    auto parsed = parse_container_filters(text);
    EXPECT_FALSE(parsed.is_error()) << parsed.error().message();
    return parsed.is_error() ? ContainerFilters {} : parsed.release_value();
}

const ImageResolver NO_IMAGES = [](const std::string&) { return std::optional<std::string>(); };

} // namespace

TEST(ContainerFilters, Matching)
{
    auto request = cli_request();
    request["Labels"] = { { "app", "web" }, { "tier", "front" } };
    auto c = make_container(request);
    c.mounts.push_back({ "volume", "data", "/v/data/_data", "/data", "", true, "", false, false });
    start(c);

    auto match = [&](std::string_view text) { return matches(filters_of(text), c, NO_IMAGES); };
    EXPECT_TRUE(match("{}"));
    EXPECT_TRUE(match(R"({"status": ["running"]})"));
    EXPECT_FALSE(match(R"({"status": ["exited"]})"));
    EXPECT_TRUE(match(R"({"status": ["exited", "running"]})"));
    // Names are regular expressions, against "/web" and "web".
    EXPECT_TRUE(match(R"({"name": ["web"]})"));
    EXPECT_TRUE(match(R"({"name": ["^web$"]})"));
    EXPECT_TRUE(match(R"({"name": ["^/w"]})"));
    EXPECT_TRUE(match(R"({"name": ["e"]})"));
    EXPECT_FALSE(match(R"({"name": ["^eb"]})"));
    EXPECT_TRUE(match(R"({"name": ["(", "web"]})")); // a bad expression is skipped
    // IDs are prefixes.
    EXPECT_TRUE(match(R"({"id": ["0123"]})"));
    EXPECT_FALSE(match(R"({"id": ["1234"]})"));
    // Every label must hold.
    EXPECT_TRUE(match(R"({"label": ["app", "tier=front"]})"));
    EXPECT_FALSE(match(R"({"label": ["app", "tier=back"]})"));
    EXPECT_FALSE(match(R"({"label": ["owner"]})"));
    // A running container has no exit code to match.
    EXPECT_FALSE(match(R"({"exited": ["0"]})"));
    EXPECT_TRUE(match(R"({"volume": ["data"]})"));
    EXPECT_TRUE(match(R"({"volume": ["/data"]})"));
    EXPECT_FALSE(match(R"({"volume": ["/other"]})"));
    EXPECT_TRUE(match(R"({"network": ["bridge"]})"));
    EXPECT_FALSE(match(R"({"network": ["host"]})"));
    EXPECT_TRUE(match(R"({"health": ["none"]})"));
    EXPECT_FALSE(match(R"({"health": ["healthy"]})"));
    EXPECT_TRUE(match(R"({"is-task": ["false"]})"));
    EXPECT_FALSE(match(R"({"is-task": ["true"]})"));
    EXPECT_FALSE(match(R"({"publish": ["80"]})"));
    EXPECT_FALSE(match(R"({"expose": ["80/tcp"]})"));
    EXPECT_TRUE(match(R"({"isolation": ["default"]})"));

    c.state.status = "exited";
    c.state.exit_code = 3;
    c.state.finished_at = "2024-01-02T03:05:00Z";
    EXPECT_TRUE(match(R"({"exited": ["3"]})"));
    EXPECT_FALSE(match(R"({"exited": ["0"]})"));
    // Never started: no exit code either.
    c.state.started_at = engine::ZERO_TIME;
    c.state.exit_code = 0;
    EXPECT_FALSE(match(R"({"exited": ["0"]})"));
}

TEST(ContainerFilters, Ancestor)
{
    auto c = make_container(cli_request());
    auto filters = filters_of(R"({"ancestor": ["busybox", "nothere"]})");
    ImageResolver resolver = [](const std::string& name) -> std::optional<std::string> {
        if (name == "busybox")
            return IMAGE_ID;
        if (name == "alpine")
            return "sha256:3333";
        return std::nullopt;
    };
    EXPECT_TRUE(matches(filters, c, resolver));
    EXPECT_FALSE(matches(filters_of(R"({"ancestor": ["alpine"]})"), c, resolver));
    // None resolves: nothing matches.
    EXPECT_FALSE(matches(filters_of(R"({"ancestor": ["nothere"]})"), c, resolver));
}

TEST(ContainerFilters, BeforeAndSince)
{
    auto c = make_container(cli_request()); // created 2024-01-02T03:04:05.123456789Z
    auto created_of = [](const std::string& name) -> std::optional<std::string> {
        if (name == "old")
            return "2024-01-02T03:04:05.1Z";
        if (name == "new")
            return "2024-01-02T03:04:05.2Z";
        return std::nullopt;
    };

    auto filters = filters_of(R"({"before": ["new"], "since": ["old"]})");
    // Not looked up yet: nothing passes.
    EXPECT_FALSE(matches(filters, c, NO_IMAGES));
    ASSERT_FALSE(resolve_container_bounds(filters, created_of).is_error());
    EXPECT_TRUE(matches(filters, c, NO_IMAGES));

    auto later = filters_of(R"({"since": ["new"]})");
    ASSERT_FALSE(resolve_container_bounds(later, created_of).is_error());
    EXPECT_FALSE(matches(later, c, NO_IMAGES));

    auto missing = filters_of(R"({"before": ["gone"]})");
    auto result = resolve_container_bounds(missing, created_of);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), ENOENT);
    EXPECT_EQ(result.error().message(), "No such container: gone");
}

namespace {

image::Digest digest(char fill)
{
    return image::Digest { "sha256", std::string(64, fill) };
}

image::ImageRecord busybox_record()
{
    image::ImageRecord record;
    record.id = digest('a');
    record.manifest_digest = digest('m');
    record.diff_ids = { digest('1'), digest('2') };
    record.references
        = { "docker.io/library/busybox:latest", "docker.io/library/busybox:1.36", "localhost:5000/tools/busybox:dev" };
    record.size = 4261550;
    return record;
}

json busybox_config()
{
    return json::parse(R"({
        "architecture": "amd64",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"], "Labels": {"org.example": "yes"}},
        "container": "abc",
        "container_config": {"Cmd": ["/bin/sh", "-c", "#(nop) CMD [\"sh\"]"], "Image": "sha256:feed"},
        "created": "2023-07-18T23:19:33.655005962Z",
        "docker_version": "20.10.23",
        "history": [
            {"created": "2023-07-18T23:19:33.538571854Z", "created_by": "ADD file:7e9 in / ", "comment": "first"},
            {"created": "2023-07-18T23:19:33.655005962Z", "created_by": "CMD [\"sh\"]", "empty_layer": true},
            {"created": "2023-07-19T00:00:00Z", "created_by": "RUN touch /x", "comment": "last"}
        ],
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": []}
    })");
}

} // namespace

TEST(ImageViews, Names)
{
    auto names = image_names(busybox_record());
    EXPECT_EQ(names.tags,
        (std::vector<std::string> { "busybox:1.36", "busybox:latest", "localhost:5000/tools/busybox:dev" }));
    EXPECT_EQ(names.digests,
        (std::vector<std::string> {
            "busybox@" + digest('m').str(), "localhost:5000/tools/busybox@" + digest('m').str() }));
}

TEST(ImageViews, Summary)
{
    auto j = image_summary_json(busybox_record(), busybox_config());
    EXPECT_EQ(j["Id"], digest('a').str());
    EXPECT_EQ(j["ParentId"], "");
    EXPECT_EQ(j["RepoTags"][1], "busybox:latest");
    EXPECT_EQ(j["RepoDigests"][0], "busybox@" + digest('m').str());
    EXPECT_EQ(j["Created"], 1689722373);
    EXPECT_EQ(j["Size"], 4261550);
    EXPECT_EQ(j["VirtualSize"], 4261550);
    EXPECT_EQ(j["SharedSize"], -1);
    EXPECT_EQ(j["Containers"], -1);
    EXPECT_EQ(j["Labels"], json::parse(R"({"org.example": "yes"})"));

    image::ImageRecord dangling;
    dangling.id = digest('b');
    auto none = image_summary_json(dangling, json::object());
    EXPECT_EQ(none["RepoTags"], json::array({ "<none>:<none>" }));
    EXPECT_EQ(none["RepoDigests"], json::array({ "<none>@<none>" }));
    EXPECT_TRUE(none["Labels"].is_null());
    // No "created": Go's zero time.
    EXPECT_EQ(none["Created"], -62135596800);

    // Pulled by digest only: tags null, digests listed.
    image::ImageRecord by_digest;
    by_digest.id = digest('c');
    by_digest.references = { "docker.io/library/alpine@" + digest('d').str() };
    auto pinned = image_summary_json(by_digest, json::object());
    EXPECT_TRUE(pinned["RepoTags"].is_null());
    EXPECT_EQ(pinned["RepoDigests"], json::array({ "alpine@" + digest('d').str() }));
}

TEST(ImageViews, Inspect)
{
    auto j = image_inspect_json(busybox_record(), busybox_config());
    EXPECT_EQ(j["Id"], digest('a').str());
    EXPECT_EQ(j["RepoTags"].size(), 3u);
    EXPECT_EQ(j["RepoDigests"].size(), 2u);
    EXPECT_EQ(j["Parent"], "");
    EXPECT_EQ(j["Comment"], "last"); // from the newest history entry
    EXPECT_EQ(j["Created"], "2023-07-18T23:19:33.655005962Z");
    EXPECT_EQ(j["Container"], "abc");
    EXPECT_EQ(j["DockerVersion"], "20.10.23");
    EXPECT_EQ(j["Author"], "");
    EXPECT_EQ(j["Architecture"], "amd64");
    EXPECT_EQ(j["Os"], "linux");
    EXPECT_FALSE(j.contains("Variant"));
    EXPECT_FALSE(j.contains("OsVersion"));
    EXPECT_EQ(j["Size"], 4261550);
    EXPECT_EQ(j["VirtualSize"], 4261550);
    EXPECT_EQ(j["GraphDriver"], json::parse(R"({"Name": "overlay2", "Data": null})"));
    EXPECT_EQ(j["RootFS"], (json { { "Type", "layers" }, { "Layers", { digest('1').str(), digest('2').str() } } }));
    EXPECT_EQ(j["Metadata"], json::parse(R"({"LastTagTime": "0001-01-01T00:00:00Z"})"));
    EXPECT_EQ(j["Config"],
        json::parse(R"({"Hostname": "", "Domainname": "", "User": "", "AttachStdin": false, "AttachStdout": false,
            "AttachStderr": false, "Tty": false, "OpenStdin": false, "StdinOnce": false, "Env": ["PATH=/bin"],
            "Cmd": ["sh"], "Image": "", "Volumes": null, "WorkingDir": "", "Entrypoint": null, "OnBuild": null,
            "Labels": {"org.example": "yes"}})"));
    EXPECT_EQ(j["ContainerConfig"]["Image"], "sha256:feed");
    EXPECT_TRUE(j["ContainerConfig"]["Labels"].is_null());

    // A bare config: Config null, ContainerConfig all zero, Created the zero time.
    image::ImageRecord bare;
    bare.id = digest('b');
    auto empty = image_inspect_json(bare, json::object());
    EXPECT_TRUE(empty["Config"].is_null());
    EXPECT_EQ(empty["ContainerConfig"]["Hostname"], "");
    EXPECT_TRUE(empty["ContainerConfig"]["Cmd"].is_null());
    EXPECT_EQ(empty["Created"], "0001-01-01T00:00:00Z");
    EXPECT_EQ(empty["RepoTags"], json::array());
    EXPECT_EQ(empty["RepoDigests"], json::array());
    EXPECT_FALSE(empty["RootFS"].contains("Layers"));
}

TEST(ImageViews, ContainerConfigDecodesAsGo)
{
    auto config = docker_container_config(json::parse(R"({
        "cmd": "sh", "ExposedPorts": {"80/tcp": {}}, "StopSignal": "SIGQUIT", "StopTimeout": 0,
        "Healthcheck": {"Test": ["CMD", "true"], "Interval": 5000000000, "Retries": 0}, "Volumes": {}
    })"));
    EXPECT_EQ(config["Cmd"], json::array({ "sh" })); // any case; a StrSlice may be one string
    EXPECT_EQ(config["ExposedPorts"], json::parse(R"({"80/tcp": {}})"));
    EXPECT_EQ(config["StopSignal"], "SIGQUIT");
    EXPECT_EQ(config["StopTimeout"], 0); // a set pointer is kept
    EXPECT_EQ(config["Healthcheck"], json::parse(R"({"Test": ["CMD", "true"], "Interval": 5000000000})"));
    EXPECT_EQ(config["Volumes"], json::object());
    EXPECT_FALSE(config.contains("Shell"));
    EXPECT_FALSE(config.contains("MacAddress"));
}

TEST(ImageViews, History)
{
    auto j = image_history_json(busybox_record(), busybox_config(), { 4261550, 0 });
    ASSERT_EQ(j.size(), 3u);
    EXPECT_EQ(
        j[0], json::parse(R"({"Id": ")" + digest('a').str() + R"(", "Created": 1689724800, "CreatedBy": "RUN touch /x",
            "Tags": ["busybox:1.36", "busybox:latest", "localhost:5000/tools/busybox:dev"], "Size": 0,
            "Comment": "last"})"));
    EXPECT_EQ(j[1]["Id"], "<missing>");
    EXPECT_EQ(j[1]["Size"], 0); // empty_layer
    EXPECT_TRUE(j[1]["Tags"].is_null());
    EXPECT_EQ(j[2]["Id"], "<missing>");
    EXPECT_EQ(j[2]["Size"], 4261550);
    EXPECT_EQ(j[2]["CreatedBy"], "ADD file:7e9 in / ");
    EXPECT_EQ(j[2]["Created"], 1689722373);

    image::ImageRecord untagged;
    untagged.id = digest('b');
    auto none = image_history_json(untagged, busybox_config());
    EXPECT_TRUE(none[0]["Tags"].is_null());
    EXPECT_EQ(none[2]["Size"], 0); // no size given
    EXPECT_EQ(image_history_json(untagged, json::object()), json::array());
}

TEST(VolumeView, NamedAndAnonymous)
{
    engine::Volume v;
    v.name = "data";
    v.mountpoint = "/var/lib/system-docker/volumes/data/_data";
    v.created_at = "2024-01-02T03:04:05.987654321Z";
    EXPECT_EQ(volume_json(v),
        json::parse(R"({"Name": "data", "Driver": "local", "Mountpoint": "/var/lib/system-docker/volumes/data/_data",
            "CreatedAt": "2024-01-02T03:04:05Z", "Labels": {}, "Scope": "local", "Options": {}})"));

    v.labels = { { "k", "v" } };
    v.options = { { "type", "tmpfs" } };
    auto labelled = volume_json(v);
    EXPECT_EQ(labelled["Labels"], json::parse(R"({"k": "v"})"));
    EXPECT_EQ(labelled["Options"], json::parse(R"({"type": "tmpfs"})"));

    engine::Volume anonymous;
    anonymous.name = std::string(64, 'f');
    anonymous.anonymous = true;
    anonymous.created_at = "2024-01-02T03:04:05Z";
    auto j = volume_json(anonymous);
    EXPECT_TRUE(j["Labels"].is_null());
    EXPECT_TRUE(j["Options"].is_null());
    EXPECT_FALSE(j.contains("Status"));
    EXPECT_FALSE(j.contains("UsageData"));
}
