#include "compose/container_spec.h"

#include "compose/container_spec_internal.h"
#include "compose/labels.h"
#include "base/strings.h"
#include "compose/shell_words.h"

#include <openssl/evp.h>
#include <tuple>

namespace corral::compose {

using detail::field_error;
using nlohmann::json;

namespace {

constexpr int64_t NANOSECONDS_PER_MILLISECOND = 1'000'000;

// Go's nil slice: absent rather than empty, as dockerd shows it.
json strings_or_null(const std::vector<std::string>& values)
{
    return values.empty() ? json(nullptr) : json(values);
}

std::string item_key(std::string_view key, size_t index)
{
    return std::string(key) + "[" + std::to_string(index) + "]";
}

ErrorOr<json> command_json(std::string_view service_name, std::string_view key, const config::StringOrList& value)
{
    if (value.is_list)
        return strings_or_null(value.list);
    auto words = split_shell_words(value.string);
    if (words.is_error())
        return field_error(service_name, key, words.error().message());
    return strings_or_null(words.value());
}

ErrorOr<json> healthcheck_json(std::string_view service_name, const config::HealthcheckConfig& health)
{
    if (health.disable)
        return json { { "Test", json::array({ "NONE" }) } };
    json out = json::object();
    auto const& test = health.test;
    if (test.is_list && !test.list.empty()) {
        auto const& kind = test.list.front();
        if (kind != "NONE" && kind != "CMD" && kind != "CMD-SHELL")
            return field_error(service_name, "healthcheck.test",
                "the first item must be NONE, CMD or CMD-SHELL, got " + go_quote(kind));
        out["Test"] = test.list;
    } else if (!test.is_list && !test.string.empty()) {
        out["Test"] = json::array({ "CMD-SHELL", test.string });
    }
    auto duration = [&](const char* name, const config::Duration& value) {
        if (value.milliseconds > 0)
            out[name] = value.milliseconds * NANOSECONDS_PER_MILLISECOND;
    };
    duration("Interval", health.interval);
    duration("Timeout", health.timeout);
    duration("StartPeriod", health.start_period);
    if (health.retries)
        out["Retries"] = *health.retries;
    if (out.empty())
        return json(nullptr);
    return out;
}

json labels_json(const config::ServiceConfig& service)
{
    json out = json::object();
    // Later entries replace earlier ones, as Docker keeps the last.
    for (auto const& [name, value] : service.labels.entries)
        out[name] = value.value_or(std::string());
    return out;
}

json log_config_json(const config::ServiceConfig& service)
{
    bool v2 = !service.logging.driver.empty() || !service.logging.options.empty();
    const std::string& driver = v2 ? service.logging.driver : service.log_driver;
    auto const& options = v2 ? service.logging.options : service.log_opt;
    return json { { "Type", driver }, { "Config", options } };
}

ErrorOr<std::string> network_mode(
    std::string_view service_name, const config::ServiceConfig& service, const SpecContext& context)
{
    if (!service.net.empty() && !service.network_mode.empty() && service.net != service.network_mode)
        return field_error(service_name, "network_mode",
            "conflicts with net: " + go_quote(service.network_mode) + " and " + go_quote(service.net));
    bool v2 = !service.network_mode.empty();
    const std::string& mode = v2 ? service.network_mode : service.net;
    if (mode.empty())
        return std::string("default");
    auto mapped = detail::namespace_mode(mode, context);
    if (mapped.is_error())
        return field_error(service_name, v2 ? "network_mode" : "net", mapped.error().message());
    return mapped.release_value();
}

ErrorOr<json> host_config_json(std::string_view name, const config::ServiceConfig& service, const SpecContext& context,
    json& anonymous_volumes, const json& port_bindings)
{
    json host = json::object();

    std::vector<std::string> binds;
    for (size_t i = 0; i < service.volumes.size(); ++i) {
        auto volume = detail::parse_volume(service.volumes[i], context);
        if (volume.is_error())
            return field_error(name, item_key("volumes", i), volume.error().message());
        if (volume->anonymous)
            anonymous_volumes[volume->container_path] = json::object();
        else
            binds.push_back(volume->bind);
    }
    host["Binds"] = strings_or_null(binds);
    host["VolumeDriver"] = service.volume_driver;

    std::vector<std::string> volumes_from;
    for (size_t i = 0; i < service.volumes_from.size(); ++i) {
        auto source = detail::parse_volumes_from(service.volumes_from[i], context);
        if (source.is_error())
            return field_error(name, item_key("volumes_from", i), source.error().message());
        volumes_from.push_back(source.release_value());
    }
    host["VolumesFrom"] = strings_or_null(volumes_from);

    host["NetworkMode"] = TRY(network_mode(name, service, context));
    for (auto [key, value, field] : { std::tuple { "pid", &service.pid, "PidMode" },
             std::tuple { "ipc", &service.ipc, "IpcMode" }, std::tuple { "uts", &service.uts, "UTSMode" } }) {
        auto mode = detail::namespace_mode(*value, context);
        if (mode.is_error())
            return field_error(name, key, mode.error().message());
        host[field] = mode.release_value();
    }
    host["PortBindings"] = port_bindings.empty() ? json(nullptr) : port_bindings;

    std::vector<std::string> links;
    for (auto const& link : service.links) {
        // "service[:alias]": the alias defaults to the service name.
        size_t colon = link.find(':');
        std::string target = link.substr(0, colon);
        std::string alias = colon == std::string::npos ? target : link.substr(colon + 1);
        links.push_back(detail::container_of(target, context) + ":" + alias);
    }
    for (auto const& link : service.external_links)
        links.push_back(link.find(':') == std::string::npos ? link + ":" + link : link);
    host["Links"] = strings_or_null(links);

    host["Privileged"] = service.privileged;
    host["ReadonlyRootfs"] = service.read_only;
    host["CapAdd"] = strings_or_null(service.cap_add);
    host["CapDrop"] = strings_or_null(service.cap_drop);
    host["SecurityOpt"] = strings_or_null(service.security_opt);

    json devices = json::array();
    for (size_t i = 0; i < service.devices.size(); ++i) {
        auto device = detail::parse_device(service.devices[i]);
        if (device.is_error())
            return field_error(name, item_key("devices", i), device.error().message());
        devices.push_back(device.release_value());
    }
    host["Devices"] = devices.empty() ? json(nullptr) : devices;

    json ulimits = json::array();
    for (auto const& [limit, value] : service.ulimits) {
        if (value.soft > value.hard)
            return field_error(name, "ulimits",
                go_quote(limit) + ": the soft limit " + std::to_string(value.soft) + " is above the hard limit "
                    + std::to_string(value.hard));
        ulimits.push_back(json { { "Name", limit }, { "Soft", value.soft }, { "Hard", value.hard } });
    }
    host["Ulimits"] = ulimits.empty() ? json(nullptr) : ulimits;

    json sysctls = json::object();
    for (auto const& [key, value] : service.sysctls.entries) {
        if (!value)
            return field_error(name, "sysctls", go_quote(key) + " has no value");
        sysctls[key] = *value;
    }
    if (!sysctls.empty())
        host["Sysctls"] = sysctls;

    json tmpfs = json::object();
    for (size_t i = 0; i < service.tmpfs.size(); ++i) {
        auto const& entry = service.tmpfs[i];
        size_t colon = entry.find(':');
        std::string path = entry.substr(0, colon);
        if (path.empty() || path[0] != '/')
            return field_error(name, item_key("tmpfs", i), "expected an absolute path, got " + go_quote(path));
        tmpfs[path] = colon == std::string::npos ? std::string() : entry.substr(colon + 1);
    }
    if (!tmpfs.empty())
        host["Tmpfs"] = tmpfs;

    host["LogConfig"] = log_config_json(service);
    auto restart = detail::parse_restart_policy(service.restart);
    if (restart.is_error())
        return field_error(name, "restart", restart.error().message());
    host["RestartPolicy"] = restart.release_value();

    if (service.oom_score_adj && (*service.oom_score_adj < -1000 || *service.oom_score_adj > 1000))
        return field_error(name, "oom_score_adj",
            "expected a number from -1000 to 1000, got " + std::to_string(*service.oom_score_adj));
    host["OomScoreAdj"] = service.oom_score_adj.value_or(0);
    host["OomKillDisable"] = service.oom_kill_disable;

    host["Dns"] = strings_or_null(service.dns);
    host["DnsSearch"] = strings_or_null(service.dns_search);
    std::vector<std::string> extra_hosts;
    for (auto const& [host_name, address] : service.extra_hosts.entries) {
        // The map form gives host: address; the list form "host:address",
        // which reads as a key without a value.
        if (address)
            extra_hosts.push_back(host_name + ":" + *address);
        else if (host_name.find(':') != std::string::npos)
            extra_hosts.push_back(host_name);
        else
            return field_error(name, "extra_hosts", "expected HOST:ADDRESS, got " + go_quote(host_name));
    }
    host["ExtraHosts"] = strings_or_null(extra_hosts);

    host["Memory"] = service.mem_limit.bytes;
    host["MemorySwap"] = service.memswap_limit.bytes;
    host["MemoryReservation"] = service.mem_reservation.bytes;
    host["ShmSize"] = service.shm_size.bytes;
    host["CpuShares"] = service.cpu_shares.value_or(0);
    host["CpuQuota"] = service.cpu_quota.value_or(0);
    host["CpusetCpus"] = service.cpuset;
    host["PidsLimit"] = service.pids_limit ? json(*service.pids_limit) : json(nullptr);
    host["CgroupParent"] = service.cgroup_parent;
    if (service.init)
        host["Init"] = true;
    return host;
}

} // namespace

std::string container_name(std::string_view service_name, const config::ServiceConfig& service)
{
    return service.container_name.empty() ? std::string(service_name) : service.container_name;
}

ErrorOr<std::string> definition_hash(const nlohmann::json& body, std::string_view container_name)
{
    std::string text;
    try {
        text = json { { "name", container_name }, { "body", body } }.dump();
    } catch (const json::exception&) {
        return Error::from_string("the definition holds text that is not UTF-8");
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1)
        return Error::from_string("SHA-256 failed", EIO);
    static constexpr char HEX[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        out += HEX[digest[i] >> 4];
        out += HEX[digest[i] & 0xf];
    }
    return out;
}

ErrorOr<ContainerSpec> build_container_spec(std::string_view service_name, const config::ServiceConfig& service,
    const SpecContext& context, const config::KeyValueList& env_files)
{
    ContainerSpec spec;
    spec.name = container_name(service_name, service);
    if (!detail::is_valid_name(spec.name)) {
        std::string problem
            = go_quote(spec.name) + " is not a valid container name (expected [a-zA-Z0-9][a-zA-Z0-9_.-]+)";
        if (service.container_name.empty())
            return Error::from_string(std::string(service_name) + ": " + problem);
        return field_error(service_name, "container_name", problem);
    }
    if (service.image.empty())
        return field_error(service_name, "image", "no image given");

    json exposed = json::object();
    json port_bindings = json::object();
    for (size_t i = 0; i < service.ports.size(); ++i) {
        auto added = detail::add_port(service.ports[i], true, exposed, port_bindings);
        if (added.is_error())
            return field_error(service_name, item_key("ports", i), added.error().message());
    }
    for (size_t i = 0; i < service.expose.size(); ++i) {
        json unused;
        auto added = detail::add_port(service.expose[i], false, exposed, unused);
        if (added.is_error())
            return field_error(service_name, item_key("expose", i), added.error().message());
    }

    json anonymous_volumes = json::object();
    json host = TRY(host_config_json(service_name, service, context, anonymous_volumes, port_bindings));

    json& body = spec.body;
    body = json::object();
    body["Image"] = service.image;
    body["Cmd"] = TRY(command_json(service_name, "command", service.command));
    body["Entrypoint"] = TRY(command_json(service_name, "entrypoint", service.entrypoint));
    body["Env"]
        = strings_or_null(resolve_environment(service.environment, service_name, context.environment, env_files));
    body["Hostname"] = service.hostname;
    body["Domainname"] = service.domainname;
    body["User"] = service.user;
    body["WorkingDir"] = service.working_dir;
    body["Tty"] = service.tty;
    body["OpenStdin"] = service.stdin_open;
    body["StdinOnce"] = false;
    body["AttachStdin"] = false;
    body["AttachStdout"] = false;
    body["AttachStderr"] = false;
    body["Volumes"] = anonymous_volumes.empty() ? json(nullptr) : anonymous_volumes;
    body["ExposedPorts"] = exposed.empty() ? json(nullptr) : exposed;
    if (!service.mac_address.empty())
        body["MacAddress"] = service.mac_address;
    if (!service.stop_signal.empty())
        body["StopSignal"] = service.stop_signal;
    if (service.stop_grace_period.milliseconds > 0)
        body["StopTimeout"] = (service.stop_grace_period.milliseconds + 999) / 1000;
    if (auto health = TRY(healthcheck_json(service_name, service.healthcheck)); !health.is_null())
        body["Healthcheck"] = std::move(health);
    body["HostConfig"] = std::move(host);

    json labels = labels_json(service);
    labels[std::string(PROJECT_LABEL)] = context.project;
    labels[std::string(SERVICE_LABEL)] = std::string(service_name);
    labels.erase(std::string(CONFIG_HASH_LABEL));
    body["Labels"] = labels;

    auto hash = definition_hash(body, spec.name);
    if (hash.is_error())
        return std::move(hash.release_error().context(std::string(service_name)));
    spec.config_hash = hash.release_value();
    body["Labels"][std::string(CONFIG_HASH_LABEL)] = spec.config_hash;
    return spec;
}

} // namespace corral::compose
