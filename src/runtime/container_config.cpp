#include "runtime/container_config.h"

#include "runtime/json_fields.h"

#include <limits>
#include <nlohmann/json.hpp>

namespace corral::runtime {

using nlohmann::json;

namespace {

constexpr int64_t INT_MIN_64 = std::numeric_limits<int>::min();
constexpr int64_t INT_MAX_64 = std::numeric_limits<int>::max();

// Iterates an array of objects, handing each to `parse` with its own path
// ("HostConfig.Devices[1]").
template<typename T, typename Parse>
ErrorOr<std::vector<T>> object_array(const JsonFields& fields, std::string_view key, Parse parse)
{
    std::vector<T> out;
    const json* value = fields.find(key);
    if (!value)
        return out;
    if (!value->is_array())
        return fields.type_error(key, "an array");
    size_t index = 0;
    for (auto const& item : *value) {
        auto item_fields = TRY(JsonFields::open(item, fields.path_of(key) + "[" + std::to_string(index++) + "]"));
        out.push_back(TRY(parse(item_fields)));
    }
    return out;
}

ErrorOr<MountSpec> parse_mount(const JsonFields& m)
{
    MountSpec out;
    std::string type = TRY(m.string("Type"));
    if (type == "bind")
        out.type = MountType::Bind;
    else if (type == "volume")
        out.type = MountType::Volume;
    else if (type == "tmpfs")
        out.type = MountType::Tmpfs;
    else
        return Error::from_string(
            m.path_of("Type") + ": unsupported mount type \"" + type + "\" (expected bind, volume or tmpfs)");
    out.source = TRY(m.string("Source"));
    out.target = TRY(m.string("Target"));
    out.read_only = TRY(m.boolean("ReadOnly"));
    if (m.find("BindOptions")) {
        out.has_bind_options = true;
        auto bind = TRY(m.object("BindOptions"));
        out.propagation = TRY(bind.string("Propagation"));
    }
    if (m.find("VolumeOptions")) {
        out.has_volume_options = true;
        auto volume = TRY(m.object("VolumeOptions"));
        out.no_copy = TRY(volume.boolean("NoCopy"));
    }
    if (m.find("TmpfsOptions")) {
        out.has_tmpfs_options = true;
        auto tmpfs = TRY(m.object("TmpfsOptions"));
        out.tmpfs_size_bytes = TRY(tmpfs.integer("SizeBytes"));
        out.tmpfs_mode = static_cast<uint32_t>(TRY(tmpfs.integer("Mode", 0, std::numeric_limits<uint32_t>::max())));
    }
    return out;
}

ErrorOr<DeviceMapping> parse_device(const JsonFields& d)
{
    DeviceMapping out;
    out.path_on_host = TRY(d.string("PathOnHost"));
    out.path_in_container = TRY(d.string("PathInContainer"));
    out.cgroup_permissions = TRY(d.string("CgroupPermissions"));
    if (out.cgroup_permissions.empty())
        out.cgroup_permissions = "rwm";
    return out;
}

ErrorOr<Ulimit> parse_ulimit(const JsonFields& u)
{
    Ulimit out;
    out.name = TRY(u.string("Name"));
    out.soft = TRY(u.integer("Soft"));
    out.hard = TRY(u.integer("Hard"));
    return out;
}

} // namespace

ErrorOr<ContainerConfig> parse_container_config(const json& object)
{
    auto f = TRY(JsonFields::open(object, ""));
    ContainerConfig c;
    c.hostname = TRY(f.string("Hostname"));
    c.domainname = TRY(f.string("Domainname"));
    c.user = TRY(f.string("User"));
    c.env = TRY(f.strings("Env"));
    c.cmd = TRY(f.string_slice("Cmd"));
    c.entrypoint = TRY(f.string_slice("Entrypoint"));
    c.image = TRY(f.string("Image"));
    c.working_dir = TRY(f.string("WorkingDir"));
    c.labels = TRY(f.string_map("Labels"));
    c.stop_signal = TRY(f.string("StopSignal"));
    if (auto timeout = TRY(f.optional_integer("StopTimeout", INT_MIN_64, INT_MAX_64)))
        c.stop_timeout = static_cast<int>(*timeout);
    c.tty = TRY(f.boolean("Tty"));
    c.open_stdin = TRY(f.boolean("OpenStdin"));
    c.stdin_once = TRY(f.boolean("StdinOnce"));
    c.attach_stdin = TRY(f.boolean("AttachStdin"));
    c.attach_stdout = TRY(f.boolean("AttachStdout"));
    c.attach_stderr = TRY(f.boolean("AttachStderr"));
    c.network_disabled = TRY(f.boolean("NetworkDisabled"));
    c.volumes = TRY(f.set_keys("Volumes"));
    c.exposed_ports = TRY(f.set_keys("ExposedPorts"));
    return c;
}

ErrorOr<HostConfig> parse_host_config(const json& object)
{
    auto f = TRY(JsonFields::open(object, "HostConfig"));
    HostConfig h;
    h.binds = TRY(f.strings("Binds"));
    h.mounts = TRY(object_array<MountSpec>(f, "Mounts", parse_mount));
    h.tmpfs = TRY(f.string_map("Tmpfs"));
    h.volumes_from = TRY(f.strings("VolumesFrom"));
    h.network_mode = TRY(f.string("NetworkMode"));
    h.pid_mode = TRY(f.string("PidMode"));
    h.ipc_mode = TRY(f.string("IpcMode"));
    h.uts_mode = TRY(f.string("UTSMode"));
    h.cgroupns_mode = TRY(f.string("CgroupnsMode"));
    h.privileged = TRY(f.boolean("Privileged"));
    h.readonly_rootfs = TRY(f.boolean("ReadonlyRootfs"));
    h.cap_add = TRY(f.string_slice("CapAdd")).value_or(std::vector<std::string> {});
    h.cap_drop = TRY(f.string_slice("CapDrop")).value_or(std::vector<std::string> {});
    h.devices = TRY(object_array<DeviceMapping>(f, "Devices", parse_device));
    h.ulimits = TRY(object_array<Ulimit>(f, "Ulimits", parse_ulimit));
    h.sysctls = TRY(f.string_map("Sysctls"));
    h.security_opt = TRY(f.strings("SecurityOpt"));
    h.oom_score_adj = static_cast<int>(TRY(f.integer("OomScoreAdj", INT_MIN_64, INT_MAX_64)));
    h.memory = TRY(f.integer("Memory"));
    h.memory_swap = TRY(f.integer("MemorySwap"));
    h.nano_cpus = TRY(f.integer("NanoCpus"));
    h.cpu_shares = TRY(f.integer("CpuShares"));
    h.cpu_quota = TRY(f.integer("CpuQuota"));
    h.cpu_period = TRY(f.integer("CpuPeriod"));
    h.cpuset_cpus = TRY(f.string("CpusetCpus"));
    h.cpuset_mems = TRY(f.string("CpusetMems"));
    h.pids_limit = TRY(f.optional_integer("PidsLimit"));
    h.blkio_weight = static_cast<uint16_t>(TRY(f.integer("BlkioWeight", 0, std::numeric_limits<uint16_t>::max())));
    h.init = TRY(f.optional_boolean("Init"));
    h.shm_size = TRY(f.integer("ShmSize"));
    auto restart = TRY(f.object("RestartPolicy"));
    h.restart_policy.name = TRY(restart.string("Name"));
    h.restart_policy.maximum_retry_count
        = static_cast<int>(TRY(restart.integer("MaximumRetryCount", INT_MIN_64, INT_MAX_64)));
    auto log = TRY(f.object("LogConfig"));
    h.log_config.type = TRY(log.string("Type"));
    h.log_config.config = TRY(log.string_map("Config"));
    h.dns = TRY(f.strings("Dns"));
    h.dns_search = TRY(f.strings("DnsSearch"));
    h.dns_options = TRY(f.strings("DnsOptions"));
    h.extra_hosts = TRY(f.strings("ExtraHosts"));
    h.group_add = TRY(f.strings("GroupAdd"));
    h.auto_remove = TRY(f.boolean("AutoRemove"));
    h.cgroup_parent = TRY(f.string("CgroupParent"));
    return h;
}

ErrorOr<CreateRequest> parse_create_request(const json& body)
{
    if (!body.is_object())
        return Error::from_string("body: expected an object");
    CreateRequest request;
    request.config = TRY(parse_container_config(body));
    auto top = TRY(JsonFields::open(body, ""));
    const json* host = top.find("HostConfig");
    request.host_config = TRY(parse_host_config(host ? *host : json()));
    return request;
}

ErrorOr<ImageDefaults> parse_image_defaults(const json& object)
{
    auto f = TRY(JsonFields::open(object, "config"));
    ImageDefaults d;
    d.env = TRY(f.strings("Env"));
    d.cmd = TRY(f.string_slice("Cmd"));
    d.entrypoint = TRY(f.string_slice("Entrypoint"));
    d.working_dir = TRY(f.string("WorkingDir"));
    d.user = TRY(f.string("User"));
    d.stop_signal = TRY(f.string("StopSignal"));
    d.volumes = TRY(f.set_keys("Volumes"));
    d.labels = TRY(f.string_map("Labels"));
    return d;
}

} // namespace corral::runtime
