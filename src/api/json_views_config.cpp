// The request as dockerd's Go types hold it, rendered back: a container's
// HostConfig, Config and networks, and the container.Config of image configs
// (api/types/container/{config,host_config}.go, daemon/create.go,
// daemon/daemon_unix.go adaptContainerSettings, daemon/commit.go merge).

#include "api/json_views.h"

#include "base/strings.h"
#include "runtime/spec_builder.h"

#include <span>
#include <unistd.h>

namespace corral::api {

using nlohmann::json;

namespace {

constexpr int64_t DEFAULT_SHM_SIZE = 64 * 1024 * 1024; // dockerd's config.DefaultShmSize

// How a HostConfig field decodes in Go, and so how it renders back.
enum class Kind {
    String,
    Bool,
    Int,
    Strings, // []string or strslice.StrSlice: null when nil
    StringMap, // map[string]string: null when nil
    OptionalInt, // *int64: null when nil
    OptionalBool, // *bool
    Array, // a slice of structs the engine does not read: kept as sent
    Object, // a map of structs the engine does not read: kept as sent
    Set, // map[string]struct{}: {"key": {}}, null when nil
};

enum class OmitEmpty {
    No,
    Yes,
};

struct Field {
    const char* name;
    Kind kind;
    OmitEmpty omit_empty { OmitEmpty::No };
};

// api/types/container.HostConfig and its embedded Resources, less the fields
// with structure of their own (LogConfig, RestartPolicy, ConsoleSize, Devices,
// Ulimits), which host_config_json() renders itself, and Links, which dockerd
// rebuilds from its link graph (none here).
constexpr Field HOST_FIELDS[] = {
    { "Binds", Kind::Strings },
    { "ContainerIDFile", Kind::String },
    { "NetworkMode", Kind::String },
    { "PortBindings", Kind::Object },
    { "AutoRemove", Kind::Bool },
    { "VolumeDriver", Kind::String },
    { "VolumesFrom", Kind::Strings },
    { "CapAdd", Kind::Strings },
    { "CapDrop", Kind::Strings },
    { "CgroupnsMode", Kind::String },
    { "Dns", Kind::Strings },
    { "DnsOptions", Kind::Strings },
    { "DnsSearch", Kind::Strings },
    { "ExtraHosts", Kind::Strings },
    { "GroupAdd", Kind::Strings },
    { "IpcMode", Kind::String },
    { "Cgroup", Kind::String },
    { "OomScoreAdj", Kind::Int },
    { "PidMode", Kind::String },
    { "Privileged", Kind::Bool },
    { "PublishAllPorts", Kind::Bool },
    { "ReadonlyRootfs", Kind::Bool },
    { "SecurityOpt", Kind::Strings },
    { "StorageOpt", Kind::StringMap, OmitEmpty::Yes },
    { "Tmpfs", Kind::StringMap, OmitEmpty::Yes },
    { "UTSMode", Kind::String },
    { "UsernsMode", Kind::String },
    { "ShmSize", Kind::Int },
    { "Sysctls", Kind::StringMap, OmitEmpty::Yes },
    { "Runtime", Kind::String, OmitEmpty::Yes },
    { "Isolation", Kind::String },
    { "CpuShares", Kind::Int },
    { "Memory", Kind::Int },
    { "NanoCpus", Kind::Int },
    { "CgroupParent", Kind::String },
    { "BlkioWeight", Kind::Int },
    { "BlkioWeightDevice", Kind::Array },
    { "BlkioDeviceReadBps", Kind::Array },
    { "BlkioDeviceWriteBps", Kind::Array },
    { "BlkioDeviceReadIOps", Kind::Array },
    { "BlkioDeviceWriteIOps", Kind::Array },
    { "CpuPeriod", Kind::Int },
    { "CpuQuota", Kind::Int },
    { "CpuRealtimePeriod", Kind::Int },
    { "CpuRealtimeRuntime", Kind::Int },
    { "CpusetCpus", Kind::String },
    { "CpusetMems", Kind::String },
    { "DeviceCgroupRules", Kind::Strings },
    { "DeviceRequests", Kind::Array },
    { "KernelMemory", Kind::Int },
    { "KernelMemoryTCP", Kind::Int },
    { "MemoryReservation", Kind::Int },
    { "MemorySwap", Kind::Int },
    { "MemorySwappiness", Kind::OptionalInt },
    { "OomKillDisable", Kind::OptionalBool },
    { "PidsLimit", Kind::OptionalInt },
    { "CpuCount", Kind::Int },
    { "CpuPercent", Kind::Int },
    { "IOMaximumIOps", Kind::Int },
    { "IOMaximumBandwidth", Kind::Int },
    { "Mounts", Kind::Array, OmitEmpty::Yes },
    { "MaskedPaths", Kind::Strings },
    { "ReadonlyPaths", Kind::Strings },
    { "Init", Kind::OptionalBool, OmitEmpty::Yes },
};

// api/types/container.Config, less Healthcheck (a struct of its own).
constexpr Field CONFIG_FIELDS[] = {
    { "Hostname", Kind::String },
    { "Domainname", Kind::String },
    { "User", Kind::String },
    { "AttachStdin", Kind::Bool },
    { "AttachStdout", Kind::Bool },
    { "AttachStderr", Kind::Bool },
    { "ExposedPorts", Kind::Set, OmitEmpty::Yes },
    { "Tty", Kind::Bool },
    { "OpenStdin", Kind::Bool },
    { "StdinOnce", Kind::Bool },
    { "Env", Kind::Strings },
    { "Cmd", Kind::Strings },
    { "ArgsEscaped", Kind::Bool, OmitEmpty::Yes },
    { "Image", Kind::String },
    { "Volumes", Kind::Set },
    { "WorkingDir", Kind::String },
    { "Entrypoint", Kind::Strings },
    { "NetworkDisabled", Kind::Bool, OmitEmpty::Yes },
    { "MacAddress", Kind::String, OmitEmpty::Yes },
    { "OnBuild", Kind::Strings },
    { "Labels", Kind::StringMap },
    { "StopSignal", Kind::String, OmitEmpty::Yes },
    { "StopTimeout", Kind::OptionalInt, OmitEmpty::Yes },
    { "Shell", Kind::Strings, OmitEmpty::Yes },
};

json strings_json(const json& value)
{
    // A StrSlice may be one string; a plain []string may not, but the engine
    // accepted the request, so render what it holds.
    if (value.is_string())
        return json::array({ value });
    if (!value.is_array())
        return nullptr;
    json out = json::array();
    for (auto const& item : value) {
        if (item.is_string())
            out.push_back(item);
    }
    return out;
}

json string_map_json(const json& value)
{
    if (!value.is_object())
        return nullptr;
    json out = json::object();
    for (auto const& [key, item] : value.items()) {
        if (item.is_string())
            out[key] = item;
    }
    return out;
}

json render(const json* value, Kind kind)
{
    switch (kind) {
    case Kind::String:
        return value && value->is_string() ? *value : json("");
    case Kind::Bool:
        return value && value->is_boolean() ? *value : json(false);
    case Kind::Int:
        return value && value->is_number_integer() ? *value : json(0);
    case Kind::Strings:
        return value ? strings_json(*value) : json(nullptr);
    case Kind::StringMap:
        return value ? string_map_json(*value) : json(nullptr);
    case Kind::OptionalInt:
        return value && value->is_number_integer() ? *value : json(nullptr);
    case Kind::OptionalBool:
        return value && value->is_boolean() ? *value : json(nullptr);
    case Kind::Array:
        return value && value->is_array() ? *value : json(nullptr);
    case Kind::Object:
        return value && value->is_object() ? *value : json(nullptr);
    case Kind::Set: {
        if (!value || !value->is_object())
            return nullptr;
        json out = json::object();
        for (auto const& [key, item] : value->items())
            out[key] = json::object();
        return out;
    }
    }
    return nullptr;
}

// Go's omitempty: "", 0, false, a nil pointer, an empty slice or map.
bool empty_for_omit(const json& value, Kind kind)
{
    if (value.is_null())
        return true;
    if (kind == Kind::OptionalInt || kind == Kind::OptionalBool)
        return false; // a non-nil pointer is kept, even to 0 or false
    if (value.is_string())
        return value.get_ref<const std::string&>().empty();
    if (value.is_boolean())
        return !value.get<bool>();
    if (value.is_number())
        return value == 0;
    return value.empty();
}

std::string string_field(const json& object, std::string_view key)
{
    auto const* value = go_field(object, key);
    return value && value->is_string() ? value->get<std::string>() : std::string();
}

int64_t int_field(const json& object, std::string_view key)
{
    auto const* value = go_field(object, key);
    return value && value->is_number_integer() ? value->get<int64_t>() : 0;
}

std::string network_mode(const engine::Container& c)
{
    auto const& mode = c.parsed.host_config.network_mode;
    return mode.empty() ? "default" : mode;
}

std::string hostname_of_host(const InspectExtras& extras)
{
    if (!extras.host_hostname.empty())
        return extras.host_hostname;
    char name[256] {};
    if (::gethostname(name, sizeof name - 1) != 0)
        return {};
    return name;
}

json render_fields(const json& object, std::span<const Field> fields)
{
    json out = json::object();
    for (auto const& field : fields) {
        json value = render(go_field(object, field.name), field.kind);
        if (field.omit_empty == OmitEmpty::Yes && empty_for_omit(value, field.kind))
            continue;
        out[field.name] = std::move(value);
    }
    return out;
}

json log_config_json(const json& host, const std::string& default_driver, const InspectExtras& extras)
{
    json log = json::object();
    auto const* sent = go_field(host, "LogConfig");
    std::string type = sent ? string_field(*sent, "Type") : std::string();
    json config = sent ? render(go_field(*sent, "Config"), Kind::StringMap) : json(nullptr);
    // dockerd's mergeAndVerifyLogConfig.
    if (type.empty())
        type = default_driver;
    if (config.is_null())
        config = json::object();
    if (type == default_driver) {
        for (auto const& [key, value] : extras.default_log_options)
            config.emplace(key, value);
    }
    log["Type"] = type;
    log["Config"] = config;
    return log;
}

json devices_json(const json* sent)
{
    if (!sent || !sent->is_array())
        return nullptr;
    json out = json::array();
    for (auto const& device : *sent) {
        if (!device.is_object())
            continue;
        out.push_back({ { "PathOnHost", string_field(device, "PathOnHost") },
            { "PathInContainer", string_field(device, "PathInContainer") },
            { "CgroupPermissions", string_field(device, "CgroupPermissions") } });
    }
    return out;
}

json ulimits_json(const json* sent)
{
    if (!sent || !sent->is_array())
        return nullptr;
    json out = json::array();
    for (auto const& limit : *sent) {
        if (!limit.is_object())
            continue;
        out.push_back({ { "Name", string_field(limit, "Name") }, { "Hard", int_field(limit, "Hard") },
            { "Soft", int_field(limit, "Soft") } });
    }
    return out;
}

json console_size_json(const json* sent)
{
    if (sent && sent->is_array() && sent->size() == 2 && (*sent)[0].is_number_unsigned()
        && (*sent)[1].is_number_unsigned())
        return *sent;
    return json::array({ 0, 0 });
}

json nullable_strings(const std::vector<std::string>& values)
{
    return values.empty() ? json(nullptr) : json(values);
}

json set_json(const std::vector<std::string>& keys)
{
    json out = json::object();
    for (auto const& key : keys)
        out[key] = json::object();
    return out;
}

json optional_strings(const std::optional<std::vector<std::string>>& values)
{
    return values ? json(*values) : json(nullptr);
}

json endpoint_json(const json& sent, bool summary)
{
    json ipam = nullptr;
    if (auto const* config = go_field(sent, "IPAMConfig"); config && config->is_object()) {
        ipam = json::object();
        for (auto const* key : { "IPv4Address", "IPv6Address" }) {
            if (auto address = string_field(*config, key); !address.empty())
                ipam[key] = address;
        }
        if (!summary) {
            if (auto const* local = go_field(*config, "LinkLocalIPs"); local && local->is_array() && !local->empty())
                ipam["LinkLocalIPs"] = strings_json(*local);
        }
    }
    json endpoint = {
        { "IPAMConfig", ipam },
        { "Links", nullptr },
        { "Aliases", nullptr },
        { "NetworkID", "" },
        { "EndpointID", "" },
        { "Gateway", "" },
        { "IPAddress", "" },
        { "IPPrefixLen", 0 },
        { "IPv6Gateway", "" },
        { "GlobalIPv6Address", "" },
        { "GlobalIPv6PrefixLen", 0 },
        { "MacAddress", "" },
        { "DriverOpts", nullptr },
    };
    if (!summary) {
        endpoint["Links"] = render(go_field(sent, "Links"), Kind::Strings);
        endpoint["Aliases"] = render(go_field(sent, "Aliases"), Kind::Strings);
        endpoint["DriverOpts"] = render(go_field(sent, "DriverOpts"), Kind::StringMap);
    }
    return endpoint;
}

} // namespace

const json* go_field(const json& object, std::string_view key)
{
    if (!object.is_object())
        return nullptr;
    const json* found = nullptr;
    if (auto it = object.find(key); it != object.end()) {
        found = &*it;
    } else {
        std::string lower = to_lower(key);
        for (auto const& [name, value] : object.items()) {
            if (to_lower(name) == lower) {
                found = &value;
                break;
            }
        }
    }
    return found && !found->is_null() ? found : nullptr;
}

json docker_container_config(const json& object)
{
    json out = render_fields(object, CONFIG_FIELDS);
    // HealthConfig: every field omitempty, durations in nanoseconds.
    if (auto const* health = go_field(object, "Healthcheck"); health && health->is_object()) {
        json check = json::object();
        if (json test = render(go_field(*health, "Test"), Kind::Strings); !empty_for_omit(test, Kind::Strings))
            check["Test"] = test;
        for (auto const* key : { "Interval", "Timeout", "StartPeriod", "Retries" }) {
            if (int64_t value = int_field(*health, key); value != 0)
                check[key] = value;
        }
        out["Healthcheck"] = check;
    }
    return out;
}

// The request's HostConfig as dockerd keeps it: decoded into its Go struct,
// with the defaults dockerd fills in at create (adaptContainerSettings,
// mergeAndVerifyLogConfig, SetDefaultNetModeIfBlank, the default masked
// paths), rendered back.
json container_host_config_json(
    const engine::Container& c, const std::string& default_log_driver, const InspectExtras& extras)
{
    static const json NO_OBJECT = json::object();
    auto const* sent_ptr = go_field(c.request, "HostConfig");
    auto const& sent = sent_ptr && sent_ptr->is_object() ? *sent_ptr : NO_OBJECT;

    json host = render_fields(sent, HOST_FIELDS);
    host["Links"] = nullptr;
    host["LogConfig"] = log_config_json(sent, default_log_driver, extras);
    auto const* restart = go_field(sent, "RestartPolicy");
    host["RestartPolicy"] = { { "Name", restart ? string_field(*restart, "Name") : std::string() },
        { "MaximumRetryCount", restart ? int_field(*restart, "MaximumRetryCount") : 0 } };
    host["ConsoleSize"] = console_size_json(go_field(sent, "ConsoleSize"));
    host["Devices"] = devices_json(go_field(sent, "Devices"));
    host["Ulimits"] = ulimits_json(go_field(sent, "Ulimits"));

    if (host["NetworkMode"] == "")
        host["NetworkMode"] = "default";
    int64_t memory = host["Memory"].get<int64_t>();
    if (memory > 0 && host["MemorySwap"] == 0)
        host["MemorySwap"] = memory * 2;
    if (host["ShmSize"] == 0)
        host["ShmSize"] = DEFAULT_SHM_SIZE;
    if (host["IpcMode"] == "")
        host["IpcMode"] = "private";
    bool privileged = host["Privileged"].get<bool>();
    if (host["CgroupnsMode"] == "")
        host["CgroupnsMode"] = extras.cgroup_v2 ? "private" : "host";
    // generateSecurityOpt: SELinux labelling is disabled for containers that
    // share the host's IPC or PID namespace or are privileged, unless the
    // client chose a label.
    auto& security = host["SecurityOpt"];
    bool has_label = false;
    if (security.is_array()) {
        for (auto const& option : security)
            has_label = has_label || split(option.get<std::string>(), '=')[0] == "label";
    }
    if (!has_label && (host["IpcMode"] == "host" || host["PidMode"] == "host" || privileged)) {
        if (security.is_null())
            security = json::array();
        security.push_back("label=disable");
    }
    if (host["OomKillDisable"].is_null())
        host["OomKillDisable"] = false;
    if (!host.contains("Runtime"))
        host["Runtime"] = "runc";
    if (host["MaskedPaths"].is_null() && !privileged)
        host["MaskedPaths"] = std::vector<std::string>(runtime::default_masked_paths().begin(), runtime::default_masked_paths().end());
    if (host["ReadonlyPaths"].is_null() && !privileged)
        host["ReadonlyPaths"] = std::vector<std::string>(runtime::default_readonly_paths().begin(), runtime::default_readonly_paths().end());
    return host;
}

// Config: the request's Config decoded as dockerd decodes it, with the image's
// defaults merged in (daemon/commit.go merge()) and the hostname dockerd
// gives a container at create.
json container_config_json(const engine::Container& c, const InspectExtras& extras)
{
    auto const& config = c.config;
    json out = docker_container_config(c.request);
    std::string hostname = config.hostname;
    if (hostname.empty())
        hostname = network_mode(c) == "host" ? hostname_of_host(extras) : c.id.substr(0, 12);
    out["Hostname"] = hostname;
    out["Domainname"] = config.domainname;
    out["User"] = config.user;
    out["AttachStdin"] = config.attach_stdin;
    out["AttachStdout"] = config.attach_stdout;
    out["AttachStderr"] = config.attach_stderr;
    out["Tty"] = config.tty;
    out["OpenStdin"] = config.open_stdin;
    out["StdinOnce"] = config.stdin_once;
    out["Env"] = nullable_strings(config.env);
    out["Cmd"] = optional_strings(config.cmd);
    out["Image"] = c.image;
    out["Volumes"] = config.volumes.empty() ? json(nullptr) : set_json(config.volumes);
    out["WorkingDir"] = config.working_dir;
    // mergeAndVerifyConfig: [""] is how a client resets the image's entrypoint.
    auto entrypoint = config.entrypoint;
    if (entrypoint && entrypoint->size() == 1 && entrypoint->front().empty())
        entrypoint.reset();
    out["Entrypoint"] = optional_strings(entrypoint);
    out["Labels"] = config.labels; // merge() makes it a map even when empty
    out.erase("ExposedPorts");
    if (!config.exposed_ports.empty())
        out["ExposedPorts"] = set_json(config.exposed_ports);
    out.erase("NetworkDisabled");
    if (config.network_disabled)
        out["NetworkDisabled"] = true;
    out.erase("StopSignal");
    if (!config.stop_signal.empty())
        out["StopSignal"] = config.stop_signal;
    out.erase("StopTimeout");
    if (config.stop_timeout)
        out["StopTimeout"] = *config.stop_timeout;
    // The engine runs no health checks; showing one would promise a State.Health.
    out.erase("Healthcheck");
    return out;
}

json container_networks_json(const engine::Container& c, bool summary)
{
    json networks = json::object();
    std::string mode = network_mode(c);
    if (c.config.network_disabled || mode.starts_with("container:"))
        return networks;
    // updateContainerNetworkSettings: the client's endpoints, else one for the
    // mode's network; "default" is the daemon's default network, "bridge".
    auto const* networking = go_field(c.request, "NetworkingConfig");
    auto const* endpoints = networking ? go_field(*networking, "EndpointsConfig") : nullptr;
    if (endpoints && endpoints->is_object() && !endpoints->empty()) {
        for (auto const& [name, sent] : endpoints->items())
            networks[name] = endpoint_json(sent, summary);
    } else {
        networks[mode] = endpoint_json(json::object(), summary);
    }
    if (mode == "default" && networks.contains("default")) {
        networks["bridge"] = networks["default"];
        networks.erase("default");
    }
    return networks;
}

} // namespace corral::api
