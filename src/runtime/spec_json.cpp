#include "runtime/spec_json.h"

#include "base/strings.h"

#include "runtime/json_fields.h"

#include <concepts>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

namespace corral::runtime {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr std::string_view DEVICE_TYPES = "cbup"; // what devices.cpp can create
constexpr std::string_view DEVICE_RULE_TYPES = "acb";

struct NamespaceName {
    NamespaceType type;
    std::string_view name;
};

constexpr NamespaceName NAMESPACE_NAMES[] = {
    { NamespaceType::Mount, "mount" },
    { NamespaceType::Pid, "pid" },
    { NamespaceType::Uts, "uts" },
    { NamespaceType::Ipc, "ipc" },
    { NamespaceType::Network, "network" },
    { NamespaceType::Cgroup, "cgroup" },
    { NamespaceType::User, "user" },
};

std::string index_path(std::string_view path, size_t index)
{
    return std::string(path) + "[" + std::to_string(index) + "]";
}

// "c", "b" or "u" for the error messages.
std::string alternatives(std::string_view chars)
{
    std::string out;
    for (size_t i = 0; i < chars.size(); ++i) {
        if (i > 0)
            out += i + 1 == chars.size() ? " or " : ", ";
        out += go_quote(chars.substr(i, 1));
    }
    return out;
}

// Writing.

ErrorOr<std::string> type_char_to_json(char type, std::string_view allowed, const std::string& path)
{
    if (type == '\0' || allowed.find(type) == std::string_view::npos)
        return Error::from_string(path + ": unknown type (expected " + alternatives(allowed) + ")");
    return std::string(1, type);
}

ErrorOr<std::string> namespace_type_to_json(NamespaceType type, const std::string& path)
{
    for (auto const& entry : NAMESPACE_NAMES) {
        if (entry.type == type)
            return std::string(entry.name);
    }
    return Error::from_string(path + ": unknown namespace type " + std::to_string(static_cast<int>(type)));
}

ErrorOr<std::string> seccomp_to_json(SeccompMode mode)
{
    switch (mode) {
    case SeccompMode::Default:
        return std::string("default");
    case SeccompMode::Unconfined:
        return std::string("unconfined");
    }
    return Error::from_string("seccomp: unknown mode " + std::to_string(static_cast<int>(mode)));
}

ordered_json capabilities_to_json(const Capabilities& caps)
{
    ordered_json out = ordered_json::object();
    out["bounding"] = caps.bounding;
    out["effective"] = caps.effective;
    out["permitted"] = caps.permitted;
    out["inheritable"] = caps.inheritable;
    out["ambient"] = caps.ambient;
    return out;
}

ordered_json process_to_json(const Process& process)
{
    ordered_json out = ordered_json::object();
    out["args"] = process.args;
    out["env"] = process.env;
    out["cwd"] = process.cwd;
    ordered_json user = ordered_json::object();
    user["uid"] = process.user.uid;
    user["gid"] = process.user.gid;
    user["additional_gids"] = process.user.additional_gids;
    user["home"] = process.user.home;
    out["user"] = std::move(user);
    out["terminal"] = process.terminal;
    out["open_stdin"] = process.open_stdin;
    out["capabilities"] = capabilities_to_json(process.capabilities);
    ordered_json rlimits = ordered_json::array();
    for (auto const& rlimit : process.rlimits) {
        ordered_json item = ordered_json::object();
        item["resource"] = rlimit.resource;
        item["soft"] = rlimit.soft;
        item["hard"] = rlimit.hard;
        rlimits.push_back(std::move(item));
    }
    out["rlimits"] = std::move(rlimits);
    out["no_new_privileges"] = process.no_new_privileges;
    if (process.oom_score_adj)
        out["oom_score_adj"] = *process.oom_score_adj;
    return out;
}

ErrorOr<ordered_json> resources_to_json(const Resources& resources)
{
    ordered_json out = ordered_json::object();
    if (resources.memory)
        out["memory"] = *resources.memory;
    if (resources.memory_swap)
        out["memory_swap"] = *resources.memory_swap;
    if (resources.cpu_shares)
        out["cpu_shares"] = *resources.cpu_shares;
    if (resources.cpu_quota)
        out["cpu_quota"] = *resources.cpu_quota;
    if (resources.cpu_period)
        out["cpu_period"] = *resources.cpu_period;
    out["cpuset_cpus"] = resources.cpuset_cpus;
    out["cpuset_mems"] = resources.cpuset_mems;
    if (resources.pids_limit)
        out["pids_limit"] = *resources.pids_limit;
    if (resources.blkio_weight)
        out["blkio_weight"] = *resources.blkio_weight;
    ordered_json devices = ordered_json::array();
    for (size_t i = 0; i < resources.devices.size(); ++i) {
        auto const& rule = resources.devices[i];
        ordered_json item = ordered_json::object();
        item["allow"] = rule.allow;
        item["type"]
            = TRY(type_char_to_json(rule.type, DEVICE_RULE_TYPES, index_path("resources.devices", i) + ".type"));
        item["major"] = rule.major;
        item["minor"] = rule.minor;
        item["access"] = rule.access;
        devices.push_back(std::move(item));
    }
    out["devices"] = std::move(devices);
    return out;
}

ErrorOr<ordered_json> spec_to_ordered_json(const Spec& spec)
{
    ordered_json out = ordered_json::object();
    out["id"] = spec.id;
    out["hostname"] = spec.hostname;
    out["domainname"] = spec.domainname;
    out["process"] = process_to_json(spec.process);
    out["lower_dirs"] = spec.lower_dirs;
    out["upper_dir"] = spec.upper_dir;
    out["work_dir"] = spec.work_dir;
    out["rootfs"] = spec.rootfs;
    out["readonly_rootfs"] = spec.readonly_rootfs;
    out["rootfs_propagation"] = spec.rootfs_propagation;
    ordered_json namespaces = ordered_json::array();
    for (size_t i = 0; i < spec.namespaces.size(); ++i) {
        ordered_json item = ordered_json::object();
        item["type"] = TRY(namespace_type_to_json(spec.namespaces[i].type, index_path("namespaces", i) + ".type"));
        item["path"] = spec.namespaces[i].path;
        namespaces.push_back(std::move(item));
    }
    out["namespaces"] = std::move(namespaces);
    ordered_json mounts = ordered_json::array();
    for (auto const& mount : spec.mounts) {
        ordered_json item = ordered_json::object();
        item["destination"] = mount.destination;
        item["type"] = mount.type;
        item["source"] = mount.source;
        item["options"] = mount.options;
        mounts.push_back(std::move(item));
    }
    out["mounts"] = std::move(mounts);
    ordered_json devices = ordered_json::array();
    for (size_t i = 0; i < spec.devices.size(); ++i) {
        auto const& device = spec.devices[i];
        ordered_json item = ordered_json::object();
        item["path"] = device.path;
        item["type"] = TRY(type_char_to_json(device.type, DEVICE_TYPES, index_path("devices", i) + ".type"));
        item["major"] = device.major;
        item["minor"] = device.minor;
        item["mode"] = device.mode;
        item["uid"] = device.uid;
        item["gid"] = device.gid;
        devices.push_back(std::move(item));
    }
    out["devices"] = std::move(devices);
    out["masked_paths"] = spec.masked_paths;
    out["readonly_paths"] = spec.readonly_paths;
    out["sysctls"] = spec.sysctls;
    out["cgroup_path"] = spec.cgroup_path;
    out["resources"] = TRY(resources_to_json(spec.resources));
    out["seccomp"] = TRY(seccomp_to_json(spec.seccomp));
    out["privileged"] = spec.privileged;
    out["init"] = spec.init;
    out["stop_signal"] = spec.stop_signal;
    out["stop_timeout"] = spec.stop_timeout;
    return out;
}

bool writable(const std::string& text)
{
    try {
        (void)ordered_json(text).dump();
        return true;
    } catch (json::exception const&) {
        return false;
    }
}

// The path of the first key or string that is not valid UTF-8, found only
// after dump() has refused the whole document, so that the error can name it.
std::string first_unwritable(const ordered_json& value, const std::string& path)
{
    if (value.is_string())
        return writable(value.get_ref<const std::string&>()) ? std::string() : path;
    if (value.is_array()) {
        for (size_t i = 0; i < value.size(); ++i) {
            if (auto found = first_unwritable(value[i], index_path(path, i)); !found.empty())
                return found;
        }
    }
    if (value.is_object()) {
        for (auto const& [key, item] : value.items()) {
            std::string item_path = path.empty() ? key : path + "." + key;
            if (!writable(key))
                return path.empty() ? std::string("spec") : path;
            if (auto found = first_unwritable(item, item_path); !found.empty())
                return found;
        }
    }
    return std::string();
}

// Reading.

// An unsigned integer field: JsonFields reads only int64_t, and rlimits are
// commonly RLIM_INFINITY, UINT64_MAX.
ErrorOr<std::optional<uint64_t>> optional_unsigned(const JsonFields& fields, std::string_view key, uint64_t max)
{
    const json* value = fields.find(key);
    if (!value)
        return std::optional<uint64_t>();
    // nlohmann reads every non-negative integer as unsigned.
    if (!value->is_number_unsigned())
        return fields.type_error(key, "an unsigned integer");
    auto number = value->get<uint64_t>();
    if (number > max)
        return fields.type_error(key, "an unsigned integer up to " + std::to_string(max));
    return std::optional<uint64_t>(number);
}

template<typename T>
concept Number = std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char>;

// The read() overloads set `target` when the field is present and not null,
// and leave the struct's default otherwise.

template<Number T>
ErrorOr<void> read(const JsonFields& fields, std::string_view key, std::optional<T>& target)
{
    if constexpr (std::is_signed_v<T>) {
        auto value = TRY(fields.optional_integer(key, std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
        if (value)
            target = static_cast<T>(*value);
    } else {
        auto value = TRY(optional_unsigned(fields, key, std::numeric_limits<T>::max()));
        if (value)
            target = static_cast<T>(*value);
    }
    return {};
}

template<Number T>
ErrorOr<void> read(const JsonFields& fields, std::string_view key, T& target)
{
    std::optional<T> value;
    TRY(read(fields, key, value));
    if (value)
        target = *value;
    return {};
}

ErrorOr<void> read(const JsonFields& fields, std::string_view key, bool& target)
{
    if (auto value = TRY(fields.optional_boolean(key)))
        target = *value;
    return {};
}

ErrorOr<void> read(const JsonFields& fields, std::string_view key, std::string& target)
{
    if (fields.find(key))
        target = TRY(fields.string(key));
    return {};
}

ErrorOr<void> read(const JsonFields& fields, std::string_view key, std::vector<std::string>& target)
{
    if (fields.find(key))
        target = TRY(fields.strings(key));
    return {};
}

ErrorOr<void> read(const JsonFields& fields, std::string_view key, std::map<std::string, std::string>& target)
{
    if (fields.find(key))
        target = TRY(fields.string_map(key));
    return {};
}

ErrorOr<void> read_unsigned_array(const JsonFields& fields, std::string_view key, std::vector<gid_t>& target)
{
    const json* value = fields.find(key);
    if (!value)
        return {};
    if (!value->is_array())
        return fields.type_error(key, "an array of unsigned integers");
    std::vector<gid_t> out;
    for (auto const& item : *value) {
        if (!item.is_number_unsigned() || item.get<uint64_t>() > std::numeric_limits<gid_t>::max())
            return fields.type_error(
                key, "an array of unsigned integers up to " + std::to_string(std::numeric_limits<gid_t>::max()));
        out.push_back(static_cast<gid_t>(item.get<uint64_t>()));
    }
    target = std::move(out);
    return {};
}

ErrorOr<void> read_type_char(const JsonFields& fields, std::string_view key, std::string_view allowed, char& target)
{
    if (!fields.find(key))
        return {};
    auto text = TRY(fields.string(key));
    if (text.size() != 1 || allowed.find(text[0]) == std::string_view::npos)
        return fields.type_error(key, alternatives(allowed));
    target = text[0];
    return {};
}

// Iterates an array of objects, handing each to `parse` with its own path
// ("mounts[1]"), as container_config.cpp does.
template<typename T, typename Parse>
ErrorOr<void> read_objects(const JsonFields& fields, std::string_view key, std::vector<T>& target, Parse parse)
{
    const json* value = fields.find(key);
    if (!value)
        return {};
    if (!value->is_array())
        return fields.type_error(key, "an array of objects");
    std::vector<T> out;
    out.reserve(value->size());
    for (size_t i = 0; i < value->size(); ++i) {
        auto item = TRY(JsonFields::open((*value)[i], index_path(fields.path_of(key), i)));
        out.push_back(TRY(parse(item)));
    }
    target = std::move(out);
    return {};
}

ErrorOr<Capabilities> parse_capabilities(const JsonFields& f)
{
    Capabilities caps;
    TRY(read(f, "bounding", caps.bounding));
    TRY(read(f, "effective", caps.effective));
    TRY(read(f, "permitted", caps.permitted));
    TRY(read(f, "inheritable", caps.inheritable));
    TRY(read(f, "ambient", caps.ambient));
    return caps;
}

ErrorOr<User> parse_user(const JsonFields& f)
{
    User user;
    TRY(read(f, "uid", user.uid));
    TRY(read(f, "gid", user.gid));
    TRY(read_unsigned_array(f, "additional_gids", user.additional_gids));
    TRY(read(f, "home", user.home));
    return user;
}

ErrorOr<Rlimit> parse_rlimit(const JsonFields& f)
{
    Rlimit rlimit {};
    TRY(read(f, "resource", rlimit.resource));
    TRY(read(f, "soft", rlimit.soft));
    TRY(read(f, "hard", rlimit.hard));
    return rlimit;
}

ErrorOr<Process> parse_process(const JsonFields& f)
{
    Process process;
    TRY(read(f, "args", process.args));
    TRY(read(f, "env", process.env));
    TRY(read(f, "cwd", process.cwd));
    process.user = TRY(parse_user(TRY(f.object("user"))));
    TRY(read(f, "terminal", process.terminal));
    TRY(read(f, "open_stdin", process.open_stdin));
    process.capabilities = TRY(parse_capabilities(TRY(f.object("capabilities"))));
    TRY(read_objects(f, "rlimits", process.rlimits, parse_rlimit));
    TRY(read(f, "no_new_privileges", process.no_new_privileges));
    TRY(read(f, "oom_score_adj", process.oom_score_adj));
    return process;
}

ErrorOr<Namespace> parse_namespace(const JsonFields& f)
{
    if (!f.find("type"))
        return Error::from_string(f.path_of("type") + ": missing");
    auto name = TRY(f.string("type"));
    Namespace ns {};
    bool known = false;
    for (auto const& entry : NAMESPACE_NAMES) {
        if (entry.name == name) {
            ns.type = entry.type;
            known = true;
        }
    }
    if (!known)
        return Error::from_string(f.path_of("type") + ": unknown namespace type " + go_quote(name));
    TRY(read(f, "path", ns.path));
    return ns;
}

ErrorOr<Mount> parse_mount(const JsonFields& f)
{
    Mount mount;
    TRY(read(f, "destination", mount.destination));
    TRY(read(f, "type", mount.type));
    TRY(read(f, "source", mount.source));
    TRY(read(f, "options", mount.options));
    return mount;
}

ErrorOr<Device> parse_device(const JsonFields& f)
{
    Device device;
    TRY(read(f, "path", device.path));
    TRY(read_type_char(f, "type", DEVICE_TYPES, device.type));
    TRY(read(f, "major", device.major));
    TRY(read(f, "minor", device.minor));
    TRY(read(f, "mode", device.mode));
    TRY(read(f, "uid", device.uid));
    TRY(read(f, "gid", device.gid));
    return device;
}

ErrorOr<DeviceRule> parse_device_rule(const JsonFields& f)
{
    DeviceRule rule;
    TRY(read(f, "allow", rule.allow));
    TRY(read_type_char(f, "type", DEVICE_RULE_TYPES, rule.type));
    TRY(read(f, "major", rule.major));
    TRY(read(f, "minor", rule.minor));
    TRY(read(f, "access", rule.access));
    return rule;
}

ErrorOr<Resources> parse_resources(const JsonFields& f)
{
    Resources resources;
    TRY(read(f, "memory", resources.memory));
    TRY(read(f, "memory_swap", resources.memory_swap));
    TRY(read(f, "cpu_shares", resources.cpu_shares));
    TRY(read(f, "cpu_quota", resources.cpu_quota));
    TRY(read(f, "cpu_period", resources.cpu_period));
    TRY(read(f, "cpuset_cpus", resources.cpuset_cpus));
    TRY(read(f, "cpuset_mems", resources.cpuset_mems));
    TRY(read(f, "pids_limit", resources.pids_limit));
    TRY(read(f, "blkio_weight", resources.blkio_weight));
    TRY(read_objects(f, "devices", resources.devices, parse_device_rule));
    return resources;
}

ErrorOr<SeccompMode> parse_seccomp(const JsonFields& f)
{
    if (!f.find("seccomp"))
        return SeccompMode::Default;
    auto name = TRY(f.string("seccomp"));
    if (name == "default")
        return SeccompMode::Default;
    if (name == "unconfined")
        return SeccompMode::Unconfined;
    return Error::from_string(
        f.path_of("seccomp") + ": unknown mode " + go_quote(name) + R"( (expected "default" or "unconfined"))");
}

ErrorOr<Spec> parse_spec(const JsonFields& f)
{
    Spec spec;
    TRY(read(f, "id", spec.id));
    TRY(read(f, "hostname", spec.hostname));
    TRY(read(f, "domainname", spec.domainname));
    spec.process = TRY(parse_process(TRY(f.object("process"))));
    TRY(read(f, "lower_dirs", spec.lower_dirs));
    TRY(read(f, "upper_dir", spec.upper_dir));
    TRY(read(f, "work_dir", spec.work_dir));
    TRY(read(f, "rootfs", spec.rootfs));
    TRY(read(f, "readonly_rootfs", spec.readonly_rootfs));
    TRY(read(f, "rootfs_propagation", spec.rootfs_propagation));
    TRY(read_objects(f, "namespaces", spec.namespaces, parse_namespace));
    TRY(read_objects(f, "mounts", spec.mounts, parse_mount));
    TRY(read_objects(f, "devices", spec.devices, parse_device));
    TRY(read(f, "masked_paths", spec.masked_paths));
    TRY(read(f, "readonly_paths", spec.readonly_paths));
    TRY(read(f, "sysctls", spec.sysctls));
    TRY(read(f, "cgroup_path", spec.cgroup_path));
    spec.resources = TRY(parse_resources(TRY(f.object("resources"))));
    spec.seccomp = TRY(parse_seccomp(f));
    TRY(read(f, "privileged", spec.privileged));
    TRY(read(f, "init", spec.init));
    TRY(read(f, "stop_signal", spec.stop_signal));
    TRY(read(f, "stop_timeout", spec.stop_timeout));
    return spec;
}

Error too_big(size_t size)
{
    return Error::from_string("spec: " + std::to_string(size) + " bytes of JSON, more than the limit of "
            + std::to_string(MAX_SPEC_JSON_SIZE),
        EFBIG);
}

} // namespace

ErrorOr<std::string> spec_to_json(const Spec& spec)
{
    auto document = TRY(spec_to_ordered_json(spec));
    std::string text;
    try {
        text = document.dump();
    } catch (json::exception const&) {
        // The only error dump() reports is a string that is not UTF-8.
        auto path = first_unwritable(document, "");
        return Error::from_string(
            (path.empty() ? std::string("spec") : path) + ": not valid UTF-8, which JSON cannot carry");
    }
    if (text.size() > MAX_SPEC_JSON_SIZE)
        return too_big(text.size());
    return text;
}

ErrorOr<Spec> spec_from_json(std::string_view text)
{
    if (text.size() > MAX_SPEC_JSON_SIZE)
        return too_big(text.size());
    // nlohmann's parser keeps its own stack rather than recursing, and since
    // 3.10 so does its destructor, so deep nesting within the size limit
    // cannot overflow ours.
    json document;
    try {
        document = json::parse(text);
    } catch (json::exception const& e) {
        // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
        std::string_view what = e.what();
        if (auto end = what.find("] "); what.starts_with("[json.exception.") && end != std::string_view::npos)
            what.remove_prefix(end + 2);
        return Error::from_string("spec: not valid JSON: " + std::string(what));
    }
    if (!document.is_object())
        return Error::from_string("spec: expected an object");
    return parse_spec(TRY(JsonFields::open(document, "")));
}

} // namespace corral::runtime
