// The container-create body the flags of run and create make, as
// docker/cli's cli/command/container/opts.go builds it (20.10: the field
// order, the nulls, the empty objects, what is left out when empty).

#include "cli/system_docker_cli.h"
#include "cli/system_docker_format.h"

#include "base/file.h"
#include "base/strings.h"

#include <algorithm>
#include <cstdlib>

namespace corral::cli {

namespace {

// A list as Go marshals a []string: null when nil, [] when empty but set.
Json string_list(const std::vector<std::string>& values, bool empty_is_array = false)
{
    if (values.empty())
        return empty_is_array ? Json::array() : Json();
    Json out = Json::array();
    for (auto const& value : values)
        out.push_back(value);
    return out;
}

// opts.ReadKVEnvStrings / ReadKVStrings: the files' lines, then the flags.
ErrorOr<std::vector<std::string>> read_kv_strings(
    const std::vector<std::string>& files, const std::vector<std::string>& values, bool env)
{
    std::vector<std::string> out;
    for (auto const& file : files) {
        auto text = read_file(file);
        if (text.is_error())
            return text.release_error();
        size_t line_number = 0;
        for (auto line : [&] {
                 std::vector<std::string> lines;
                 size_t start = 0;
                 while (start <= text->size()) {
                     size_t end = text->find('\n', start);
                     lines.push_back(text->substr(start, end == std::string::npos ? std::string::npos : end - start));
                     if (end == std::string::npos)
                         break;
                     start = end + 1;
                 }
                 return lines;
             }()) {
            ++line_number;
            size_t first = line.find_first_not_of(" \t");
            if (first == std::string::npos || line[first] == '#')
                continue;
            line = line.substr(first);
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            auto equals = line.find('=');
            std::string key = line.substr(0, equals);
            if (key.find_first_of(" \t") != std::string::npos)
                return Error::from_string("variable '" + key + "' contains whitespaces");
            if (key.empty())
                return Error::from_string("no variable name on line '" + line + "'");
            if (equals == std::string::npos && env) {
                if (const char* set = std::getenv(key.c_str()))
                    line = key + "=" + set;
                else
                    continue;
            }
            out.push_back(line);
        }
    }
    for (auto const& value : values)
        out.push_back(env ? TRY(validate_env(value)) : value);
    return out;
}

Json kv_map(const std::vector<std::string>& values)
{
    Json out = Json::object();
    for (auto const& value : values) {
        auto equals = value.find('=');
        if (equals == std::string::npos)
            out[value] = "";
        else
            out[value.substr(0, equals)] = value.substr(equals + 1);
    }
    return out;
}

bool valid_device_mode(std::string_view mode)
{
    if (mode.empty() || mode.size() > 3)
        return false;
    bool seen[3] = { false, false, false };
    for (char c : mode) {
        int index = c == 'r' ? 0 : c == 'w' ? 1 : c == 'm' ? 2 : -1;
        if (index < 0 || seen[index])
            return false;
        seen[index] = true;
    }
    return true;
}

ErrorOr<Json> parse_device(const std::string& device)
{
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        size_t colon = device.find(':', start);
        parts.push_back(device.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos)
            break;
        start = colon + 1;
    }
    std::string source, target, permissions = "rwm";
    switch (parts.size()) {
    case 3:
        permissions = parts[2];
        [[fallthrough]];
    case 2:
        if (valid_device_mode(parts[1]))
            permissions = parts[1];
        else
            target = parts[1];
        [[fallthrough]];
    case 1:
        source = parts[0];
        break;
    default:
        return Error::from_string("invalid device specification: " + device);
    }
    if (!valid_device_mode(permissions))
        return Error::from_string("bad mode specified: " + permissions);
    if (source.empty() || source[0] != '/')
        return Error::from_string("bad format for path: " + source);
    if (!target.empty() && target[0] != '/')
        return Error::from_string(target + " is not an absolute path");
    if (target.empty())
        target = source;
    return Json { { "PathOnHost", source }, { "PathInContainer", target }, { "CgroupPermissions", permissions } };
}

// loader.ParseVolume's answer to "is there a source?" on Linux: a spec of one
// part is an anonymous volume; a bind needs "source:target".
bool volume_has_source(const std::string& spec)
{
    return spec.find(':') != std::string::npos;
}

struct PortSpec {
    std::string ip, host_port, container_port, proto;
};

ErrorOr<std::pair<uint32_t, uint32_t>> parse_port_range(const std::string& text)
{
    auto number = [&](const std::string& s) -> ErrorOr<uint32_t> {
        if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos
            || std::stoul(s) > 65535)
            return Error::from_string("invalid containerPort: " + text);
        return static_cast<uint32_t>(std::stoul(s));
    };
    auto dash = text.find('-');
    if (dash == std::string::npos) {
        uint32_t port = TRY(number(text));
        return std::pair { port, port };
    }
    uint32_t first = TRY(number(text.substr(0, dash)));
    uint32_t last = TRY(number(text.substr(dash + 1)));
    if (last < first)
        return Error::from_string("invalid range specified for the containerPort: " + text);
    return std::pair { first, last };
}

// nat.ParsePortSpec: "[ip:[hostPort]:]containerPort[/proto]", ranges allowed.
ErrorOr<void> add_published_port(const std::string& spec, Json& exposed, Json& bindings)
{
    std::string raw = spec, proto = "tcp";
    if (auto slash = raw.rfind('/'); slash != std::string::npos) {
        proto = raw.substr(slash + 1);
        raw = raw.substr(0, slash);
        if (proto != "tcp" && proto != "udp" && proto != "sctp")
            return Error::from_string("invalid proto: " + proto);
    }
    std::string ip, host, container;
    // IPv6 addresses come in brackets: [::1]:80:80.
    if (!raw.empty() && raw[0] == '[') {
        auto close = raw.find(']');
        if (close == std::string::npos)
            return Error::from_string("invalid ip address: " + raw);
        ip = raw.substr(1, close - 1);
        raw = raw.substr(close + 1);
        if (!raw.empty() && raw[0] == ':')
            raw.erase(0, 1);
    }
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        size_t colon = raw.find(':', start);
        parts.push_back(raw.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos)
            break;
        start = colon + 1;
    }
    if (!ip.empty())
        parts.insert(parts.begin(), ip);
    switch (parts.size()) {
    case 1:
        container = parts[0];
        break;
    case 2:
        host = parts[0];
        container = parts[1];
        break;
    case 3:
        ip = parts[0];
        host = parts[1];
        container = parts[2];
        break;
    default:
        return Error::from_string("invalid port format: " + spec);
    }
    if (container.empty())
        return Error::from_string("no port specified: " + spec + "<empty>");
    auto [first, last] = TRY(parse_port_range(container));
    uint32_t host_first = 0, host_last = 0;
    if (!host.empty()) {
        auto range = parse_port_range(host);
        if (range.is_error())
            return Error::from_string("invalid hostPort: " + host);
        host_first = range->first;
        host_last = range->second;
        if (host.find('-') != std::string::npos && last - first != host_last - host_first)
            return Error::from_string(
                "invalid ranges specified for container and host Ports: " + container + " and " + host);
    }
    for (uint32_t port = first; port <= last; ++port) {
        std::string key = std::to_string(port) + "/" + proto;
        std::string host_port = host;
        if (!host.empty() && host.find('-') != std::string::npos)
            host_port = std::to_string(host_first + (port - first));
        if (!exposed.contains(key))
            exposed[key] = Json::object();
        if (!bindings.contains(key))
            bindings[key] = Json::array();
        bindings[key].push_back(Json { { "HostIp", ip }, { "HostPort", host_port } });
    }
    return {};
}

ErrorOr<Json> parse_ulimit(const std::string& value)
{
    static constexpr std::string_view NAMES[] = { "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue",
        "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack" };
    auto equals = value.find('=');
    if (equals == std::string::npos)
        return Error::from_string("invalid ulimit argument: " + value);
    std::string name = value.substr(0, equals);
    if (std::find(std::begin(NAMES), std::end(NAMES), name) == std::end(NAMES))
        return Error::from_string("invalid ulimit type: " + name);
    std::string limits = value.substr(equals + 1);
    auto number = [](const std::string& s) -> ErrorOr<int64_t> {
        char* end = nullptr;
        long long n = std::strtoll(s.c_str(), &end, 10);
        if (s.empty() || end != s.c_str() + s.size())
            return Error::from_string("strconv.ParseInt: parsing " + go_quote(s) + ": invalid syntax");
        return static_cast<int64_t>(n);
    };
    auto colon = limits.find(':');
    int64_t soft = TRY(number(limits.substr(0, colon)));
    int64_t hard = soft;
    if (colon != std::string::npos) {
        if (limits.find(':', colon + 1) != std::string::npos)
            return Error::from_string(
                "too many limit value arguments - " + limits + ", can only have up to two, `soft[:hard]`");
        hard = TRY(number(limits.substr(colon + 1)));
    }
    if (hard != -1 && soft > hard)
        return Error::from_string("ulimit soft limit must be less than or equal to hard limit: " + std::to_string(soft)
            + " > " + std::to_string(hard));
    return Json { { "Name", name }, { "Hard", hard }, { "Soft", soft } };
}

} // namespace

ErrorOr<Json> build_create_body(const ContainerOptions& o, bool detach)
{
    bool attach_stdin = std::find(o.attach.begin(), o.attach.end(), "stdin") != o.attach.end();
    bool attach_stdout = std::find(o.attach.begin(), o.attach.end(), "stdout") != o.attach.end();
    bool attach_stderr = std::find(o.attach.begin(), o.attach.end(), "stderr") != o.attach.end();
    if (o.interactive)
        attach_stdin = true;
    if (o.attach.empty()) {
        attach_stdout = true;
        attach_stderr = true;
    }
    if (o.memory_swappiness != -1 && (o.memory_swappiness < 0 || o.memory_swappiness > 100))
        return Error::from_string(
            "invalid value: " + std::to_string(o.memory_swappiness) + ". Valid memory swappiness range is 0-100");
    if (!o.mounts.empty())
        return Error::from_string("--mount is not supported by system-docker; use -v or --tmpfs");

    std::vector<std::string> binds;
    Json volumes = Json::object();
    for (auto const& volume : o.volumes) {
        if (volume_has_source(volume))
            binds.push_back(volume);
        else
            volumes[volume] = Json::object();
    }
    Json tmpfs = Json::object();
    for (auto const& t : o.tmpfs) {
        auto colon = t.find(':');
        tmpfs[t.substr(0, colon)] = colon == std::string::npos ? std::string() : t.substr(colon + 1);
    }

    Json exposed = Json::object();
    Json port_bindings = Json::object();
    for (auto const& spec : o.publish)
        TRY(add_published_port(spec, exposed, port_bindings));
    for (auto const& e : o.expose) {
        if (e.find(':') != std::string::npos)
            return Error::from_string("invalid port format for --expose: " + e);
        std::string proto = "tcp", port = e;
        if (auto slash = e.find('/'); slash != std::string::npos) {
            proto = e.substr(slash + 1);
            port = e.substr(0, slash);
        }
        auto range = parse_port_range(port);
        if (range.is_error())
            return Error::from_string(
                "invalid range format for --expose: " + e + ", error: " + range.error().message());
        for (uint32_t p = range->first; p <= range->second; ++p) {
            std::string key = std::to_string(p) + "/" + proto;
            if (!exposed.contains(key))
                exposed[key] = Json::object();
        }
    }

    Json devices = Json::array();
    for (auto const& device : o.devices)
        devices.push_back(TRY(parse_device(device)));

    auto env = TRY(read_kv_strings(o.env_file, o.env, true));
    auto labels = TRY(read_kv_strings(o.label_file, o.labels, false));

    if (!o.pid.empty() && o.pid != "host" && !(o.pid.starts_with("container:") && o.pid.size() > 10))
        return Error::from_string("--pid: invalid PID mode");
    if (!o.uts.empty() && o.uts != "host")
        return Error::from_string("--uts: invalid UTS mode");
    if (!o.userns.empty() && o.userns != "host")
        return Error::from_string("--userns: invalid USER mode");
    if (!o.cgroupns.empty() && o.cgroupns != "host" && o.cgroupns != "private")
        return Error::from_string("--cgroupns: invalid CGROUP mode");

    // opts.ParseRestartPolicy.
    Json restart { { "Name", "" }, { "MaximumRetryCount", 0 } };
    if (!o.restart.empty()) {
        auto first = o.restart.find(':');
        if (first != std::string::npos && o.restart.find(':', first + 1) != std::string::npos)
            return Error::from_string("invalid restart policy format");
        if (first != std::string::npos) {
            std::string count = o.restart.substr(first + 1);
            char* end = nullptr;
            long n = std::strtol(count.c_str(), &end, 10);
            if (count.empty() || end != count.c_str() + count.size())
                return Error::from_string("maximum retry count must be an integer");
            restart["MaximumRetryCount"] = n;
        }
        restart["Name"] = o.restart.substr(0, first);
    }
    std::string restart_name = restart["Name"].get<std::string>();
    if (o.rm && !(restart_name.empty() || restart_name == "no"))
        return Error::from_string("Conflicting options: --restart and --rm");

    Json log_config = kv_map(o.log_opts);
    if (o.log_driver == "none" && !o.log_opts.empty())
        return Error::from_string("invalid logging opts for driver none");

    std::vector<std::string> security_opts;
    bool unconfined_paths = false;
    for (auto const& opt : o.security_opts) {
        auto equals = opt.find('=');
        std::string key = opt.substr(0, equals), value;
        if (equals == std::string::npos && opt != "no-new-privileges") {
            auto colon = opt.find(':');
            if (colon == std::string::npos)
                return Error::from_string("Invalid --security-opt: " + go_quote(opt));
            key = opt.substr(0, colon);
            value = opt.substr(colon + 1);
        } else if (equals != std::string::npos) {
            value = opt.substr(equals + 1);
        }
        if (opt == "systempaths=unconfined") {
            unconfined_paths = true;
            continue;
        }
        if (key == "seccomp" && value != "unconfined") {
            auto profile = read_file(value);
            if (profile.is_error())
                return Error::from_string(
                    "opening seccomp profile (" + value + ") failed: " + profile.error().message());
            auto parsed = parse_json(*profile);
            if (parsed.is_error())
                return Error::from_string(
                    "compacting json for seccomp profile (" + value + ") failed: " + parsed.error().message());
            security_opts.push_back("seccomp=" + parsed->dump());
            continue;
        }
        security_opts.push_back(opt);
    }

    Json health;
    bool have_health
        = !o.health_cmd.empty() || o.health_interval || o.health_timeout || o.health_start_period || o.health_retries;
    if (o.no_healthcheck) {
        if (have_health)
            return Error::from_string("--no-healthcheck conflicts with --health-* options");
        health = Json { { "Test", Json::array({ "NONE" }) } };
    } else if (have_health) {
        if (o.health_interval < 0)
            return Error::from_string("--health-interval cannot be negative");
        if (o.health_timeout < 0)
            return Error::from_string("--health-timeout cannot be negative");
        if (o.health_retries < 0)
            return Error::from_string("--health-retries cannot be negative");
        if (o.health_start_period < 0)
            return Error::from_string("--health-start-period cannot be negative");
        health = Json::object();
        if (!o.health_cmd.empty())
            health["Test"] = Json::array({ "CMD-SHELL", o.health_cmd });
        if (o.health_interval)
            health["Interval"] = o.health_interval;
        if (o.health_timeout)
            health["Timeout"] = o.health_timeout;
        if (o.health_start_period)
            health["StartPeriod"] = o.health_start_period;
        if (o.health_retries)
            health["Retries"] = o.health_retries;
    }

    Json ulimits = Json::array();
    for (auto const& u : o.ulimits)
        ulimits.push_back(TRY(parse_ulimit(u)));

    Json sysctls = Json::object();
    for (auto const& s : o.sysctls) {
        auto equals = s.find('=');
        if (equals == std::string::npos)
            return Error::from_string(
                "invalid argument " + go_quote(s) + " for \"--sysctl\" flag: sysctl '" + s + "' is not whitelisted");
        sysctls[s.substr(0, equals)] = s.substr(equals + 1);
    }
    Json storage = Json::object();
    for (auto const& s : o.storage_opts) {
        auto equals = s.find('=');
        if (equals == std::string::npos)
            return Error::from_string("invalid storage option");
        storage[s.substr(0, equals)] = s.substr(equals + 1);
    }

    bool stdin_once = o.interactive && attach_stdin;
    if (detach) {
        if (!o.attach.empty())
            return Error::from_string("Conflicting options: -a and -d");
        attach_stdin = attach_stdout = attach_stderr = false;
        stdin_once = false;
    }

    Json body = Json::object();
    body["Hostname"] = o.hostname;
    body["Domainname"] = o.domainname;
    body["User"] = o.user;
    body["AttachStdin"] = attach_stdin;
    body["AttachStdout"] = attach_stdout;
    body["AttachStderr"] = attach_stderr;
    if (!exposed.empty())
        body["ExposedPorts"] = exposed;
    body["Tty"] = o.tty;
    body["OpenStdin"] = o.interactive;
    body["StdinOnce"] = stdin_once;
    body["Env"] = string_list(env);
    body["Cmd"] = string_list(o.command);
    if (!health.is_null())
        body["Healthcheck"] = health;
    body["Image"] = o.image;
    body["Volumes"] = volumes;
    body["WorkingDir"] = o.workdir;
    if (!o.entrypoint.empty())
        body["Entrypoint"] = Json::array({ o.entrypoint });
    else if (o.entrypoint_set)
        body["Entrypoint"] = Json::array({ "" });
    else
        body["Entrypoint"] = Json();
    if (!o.mac_address.empty())
        body["MacAddress"] = o.mac_address;
    body["OnBuild"] = Json();
    body["Labels"] = kv_map(labels);
    if (o.stop_signal_set && !o.stop_signal.empty())
        body["StopSignal"] = o.stop_signal;
    if (o.stop_timeout_set)
        body["StopTimeout"] = o.stop_timeout;

    Json host = Json::object();
    host["Binds"] = string_list(binds);
    host["ContainerIDFile"] = o.cidfile;
    host["LogConfig"] = Json { { "Type", o.log_driver }, { "Config", log_config } };
    host["NetworkMode"] = o.network.empty() ? std::string("default") : o.network;
    host["PortBindings"] = port_bindings;
    host["RestartPolicy"] = restart;
    host["AutoRemove"] = o.rm;
    host["VolumeDriver"] = o.volume_driver;
    host["VolumesFrom"] = string_list(o.volumes_from);
    host["CapAdd"] = string_list(o.cap_add);
    host["CapDrop"] = string_list(o.cap_drop);
    host["CgroupnsMode"] = o.cgroupns;
    host["Dns"] = string_list(o.dns, true);
    host["DnsOptions"] = string_list(o.dns_options, true);
    host["DnsSearch"] = string_list(o.dns_search, true);
    host["ExtraHosts"] = string_list(o.add_hosts);
    host["GroupAdd"] = string_list(o.group_add);
    host["IpcMode"] = o.ipc;
    host["Cgroup"] = "";
    host["Links"] = string_list(o.links);
    host["OomScoreAdj"] = o.oom_score_adj;
    host["PidMode"] = o.pid;
    host["Privileged"] = o.privileged;
    host["PublishAllPorts"] = o.publish_all;
    host["ReadonlyRootfs"] = o.read_only;
    host["SecurityOpt"] = string_list(security_opts);
    if (!storage.empty())
        host["StorageOpt"] = storage;
    if (!tmpfs.empty())
        host["Tmpfs"] = tmpfs;
    host["UTSMode"] = o.uts;
    host["UsernsMode"] = o.userns;
    host["ShmSize"] = o.shm_size;
    if (!sysctls.empty())
        host["Sysctls"] = sysctls;
    if (!o.runtime.empty())
        host["Runtime"] = o.runtime;
    host["ConsoleSize"] = Json::array({ 0, 0 });
    host["Isolation"] = o.isolation;
    host["CpuShares"] = o.cpu_shares;
    host["Memory"] = o.memory;
    host["NanoCpus"] = o.nano_cpus;
    host["CgroupParent"] = o.cgroup_parent;
    host["BlkioWeight"] = o.blkio_weight;
    host["BlkioWeightDevice"] = Json::array();
    host["BlkioDeviceReadBps"] = Json();
    host["BlkioDeviceWriteBps"] = Json();
    host["BlkioDeviceReadIOps"] = Json();
    host["BlkioDeviceWriteIOps"] = Json();
    host["CpuPeriod"] = o.cpu_period;
    host["CpuQuota"] = o.cpu_quota;
    host["CpuRealtimePeriod"] = o.cpu_rt_period;
    host["CpuRealtimeRuntime"] = o.cpu_rt_runtime;
    host["CpusetCpus"] = o.cpuset_cpus;
    host["CpusetMems"] = o.cpuset_mems;
    host["Devices"] = devices;
    host["DeviceCgroupRules"] = string_list(o.device_cgroup_rules);
    host["DeviceRequests"] = Json();
    host["KernelMemory"] = o.kernel_memory;
    host["KernelMemoryTCP"] = 0;
    host["MemoryReservation"] = o.memory_reservation;
    host["MemorySwap"] = o.memory_swap;
    host["MemorySwappiness"] = o.memory_swappiness;
    host["OomKillDisable"] = o.oom_kill_disable;
    host["PidsLimit"] = o.pids_limit;
    host["Ulimits"] = ulimits.empty() ? Json() : ulimits;
    host["CpuCount"] = 0;
    host["CpuPercent"] = 0;
    host["IOMaximumIOps"] = 0;
    host["IOMaximumBandwidth"] = 0;
    host["MaskedPaths"] = unconfined_paths ? Json::array() : Json();
    host["ReadonlyPaths"] = unconfined_paths ? Json::array() : Json();
    if (o.init_set)
        host["Init"] = o.init;
    body["HostConfig"] = host;

    // A single network without per-endpoint settings is named by NetworkMode
    // alone; aliases and addresses need an endpoint.
    Json endpoints = Json::object();
    bool user_defined = !o.network.empty() && o.network != "default" && o.network != "bridge" && o.network != "host"
        && o.network != "none" && !o.network.starts_with("container:");
    if (!o.ip.empty() || !o.ip6.empty() || (!o.links.empty() && user_defined)) {
        std::string target = o.network.empty() ? "default" : o.network;
        Json endpoint = Json::object();
        Json ipam;
        if (!o.ip.empty() || !o.ip6.empty())
            ipam = Json { { "IPv4Address", o.ip }, { "IPv6Address", o.ip6 } };
        endpoint["IPAMConfig"] = ipam;
        endpoint["Links"] = user_defined ? string_list(o.links) : Json();
        endpoint["Aliases"] = Json();
        endpoint["NetworkID"] = "";
        endpoint["EndpointID"] = "";
        endpoint["Gateway"] = "";
        endpoint["IPAddress"] = "";
        endpoint["IPPrefixLen"] = 0;
        endpoint["IPv6Gateway"] = "";
        endpoint["GlobalIPv6Address"] = "";
        endpoint["GlobalIPv6PrefixLen"] = 0;
        endpoint["MacAddress"] = "";
        endpoint["DriverOpts"] = Json();
        endpoints[target] = endpoint;
    }
    body["NetworkingConfig"] = Json { { "EndpointsConfig", endpoints } };
    return body;
}

ErrorOr<Json> build_exec_body(const ExecOptions& o)
{
    auto env = TRY(read_kv_strings(o.env_file, o.env, true));
    Json body = Json::object();
    body["User"] = o.user;
    body["Privileged"] = o.privileged;
    body["Tty"] = o.tty;
    body["AttachStdin"] = !o.detach && o.interactive;
    body["AttachStderr"] = !o.detach;
    body["AttachStdout"] = !o.detach;
    body["Detach"] = o.detach;
    body["DetachKeys"] = o.detach_keys;
    body["Env"] = string_list(env);
    body["WorkingDir"] = o.workdir;
    body["Cmd"] = string_list(o.command);
    return body;
}

} // namespace corral::cli
