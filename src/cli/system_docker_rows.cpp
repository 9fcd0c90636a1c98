// The rows of `ps` and `images` as docker's formatter contexts present them
// (docker/cli cli/command/formatter/container.go and image.go).

#include "base/strings.h"
#include "cli/system_docker_cli.h"
#include "cli/system_docker_format.h"
#include "image/reference.h"

#include <algorithm>
#include <map>

namespace corral::cli {

namespace {

std::string string_field(const Json& object, const char* key)
{
    auto it = object.find(key);
    if (it == object.end() || !it->is_string())
        return {};
    return it->get<std::string>();
}

int64_t int_field(const Json& object, const char* key, int64_t fallback = 0)
{
    auto it = object.find(key);
    if (it == object.end() || !it->is_number())
        return fallback;
    return it->get<int64_t>();
}

// Whether a reference names a tag: a ':' after the last '/' (and before '@').
std::string tag_of(std::string_view text)
{
    std::string_view name = text.substr(0, text.find('@'));
    size_t slash = name.rfind('/');
    size_t colon = name.rfind(':');
    if (colon == std::string_view::npos || (slash != std::string_view::npos && colon < slash))
        return {};
    return std::string(name.substr(colon + 1));
}

} // namespace

std::string displayable_ports(const Json& ports)
{
    struct Port {
        std::string ip;
        int64_t private_port { 0 };
        int64_t public_port { 0 };
        std::string type;
    };
    std::vector<Port> list;
    if (ports.is_array()) {
        for (auto const& p : ports) {
            if (!p.is_object())
                continue;
            list.push_back({ string_field(p, "IP"), int_field(p, "PrivatePort"), int_field(p, "PublicPort"),
                string_field(p, "Type") });
        }
    }
    std::sort(list.begin(), list.end(), [](const Port& a, const Port& b) {
        if (a.private_port != b.private_port)
            return a.private_port < b.private_port;
        if (a.ip != b.ip)
            return a.ip < b.ip;
        if (a.public_port != b.public_port)
            return a.public_port < b.public_port;
        return a.type < b.type;
    });
    struct Group {
        int64_t first;
        int64_t last;
    };
    std::map<std::string, Group> groups;
    std::vector<std::string> group_keys, result, host_mappings;
    auto form_group = [](const std::string& key, int64_t first, int64_t last) {
        std::string type = key;
        std::string ip;
        if (auto slash = key.find('/'); slash != std::string::npos) {
            ip = key.substr(0, slash);
            type = key.substr(slash + 1);
        }
        std::string group = std::to_string(first);
        if (first != last)
            group += "-" + std::to_string(last);
        if (!ip.empty())
            group = ip + ":" + group + "->" + group;
        return group + "/" + type;
    };
    for (auto const& port : list) {
        std::string key = port.type;
        if (!port.ip.empty()) {
            if (port.public_port != port.private_port) {
                host_mappings.push_back(port.ip + ":" + std::to_string(port.public_port) + "->"
                    + std::to_string(port.private_port) + "/" + port.type);
                continue;
            }
            key = port.ip + "/" + port.type;
        }
        auto it = groups.find(key);
        if (it == groups.end()) {
            groups[key] = { port.private_port, port.private_port };
            group_keys.push_back(key);
            continue;
        }
        if (port.private_port == it->second.last + 1) {
            it->second.last = port.private_port;
            continue;
        }
        result.push_back(form_group(key, it->second.first, it->second.last));
        it->second = { port.private_port, port.private_port };
    }
    for (auto const& key : group_keys)
        result.push_back(form_group(key, groups[key].first, groups[key].last));
    result.insert(result.end(), host_mappings.begin(), host_mappings.end());
    std::string out;
    for (size_t i = 0; i < result.size(); ++i)
        out += (i ? ", " : "") + result[i];
    return out;
}

std::string container_image_column(const Json& container, bool truncate)
{
    std::string image = string_field(container, "Image");
    if (image.empty())
        return "<no image>";
    if (!truncate)
        return image;
    std::string image_id = string_field(container, "ImageID");
    if (truncate_id(image_id) == truncate_id(image))
        return truncate_id(image_id);
    auto reference = image::Reference::parse(image);
    if (reference.is_error())
        return image;
    std::string tag = tag_of(image);
    return tag.empty() ? reference->familiar_name() : reference->familiar_name() + ":" + tag;
}

TemplateData container_row(const Json& c, bool truncate, int64_t now_ns)
{
    TemplateData row;
    Json& v = row.value;
    v = Json::object();

    std::string command = string_field(c, "Command");
    v["Command"] = go_quote(truncate ? ellipsis(command, 20) : command);
    int64_t created = int_field(c, "Created");
    v["CreatedAt"] = go_time_string(created);
    std::string id = string_field(c, "Id");
    v["ID"] = truncate ? truncate_id(id) : id;
    v["Image"] = container_image_column(c, truncate);

    std::vector<std::string> labels;
    Json label_map = c.contains("Labels") && c["Labels"].is_object() ? c["Labels"] : Json::object();
    for (auto const& [key, value] : label_map.items())
        labels.push_back(key + "=" + (value.is_string() ? value.get<std::string>() : go_print(value)));
    std::sort(labels.begin(), labels.end());
    std::string joined;
    for (size_t i = 0; i < labels.size(); ++i)
        joined += (i ? "," : "") + labels[i];
    v["Labels"] = joined;

    int local_volumes = 0;
    std::string mounts;
    if (c.contains("Mounts") && c["Mounts"].is_array()) {
        bool first = true;
        for (auto const& m : c["Mounts"]) {
            if (!m.is_object())
                continue;
            if (string_field(m, "Driver") == "local")
                ++local_volumes;
            std::string name = string_field(m, "Name");
            if (name.empty())
                name = string_field(m, "Source");
            if (truncate)
                name = ellipsis(name, 15);
            mounts += (first ? "" : ",") + name;
            first = false;
        }
    }
    v["LocalVolumes"] = std::to_string(local_volumes);
    v["Mounts"] = mounts;

    std::vector<std::string> names;
    if (c.contains("Names") && c["Names"].is_array()) {
        for (auto const& n : c["Names"]) {
            if (n.is_string()) {
                std::string name = n.get<std::string>();
                names.push_back(name.empty() ? name : name.substr(1));
            }
        }
    }
    if (truncate) {
        for (auto const& name : names) {
            if (name.find('/') == std::string::npos) {
                names = { name };
                break;
            }
        }
    }
    std::string names_text;
    for (size_t i = 0; i < names.size(); ++i)
        names_text += (i ? "," : "") + names[i];
    v["Names"] = names_text;

    std::vector<std::string> networks;
    if (c.contains("NetworkSettings") && c["NetworkSettings"].is_object() && c["NetworkSettings"].contains("Networks")
        && c["NetworkSettings"]["Networks"].is_object()) {
        for (auto const& [key, value] : c["NetworkSettings"]["Networks"].items())
            networks.push_back(key);
    }
    std::sort(networks.begin(), networks.end());
    std::string networks_text;
    for (size_t i = 0; i < networks.size(); ++i)
        networks_text += (i ? "," : "") + networks[i];
    v["Networks"] = networks_text;

    v["Ports"] = displayable_ports(c.contains("Ports") ? c["Ports"] : Json());
    v["RunningFor"] = human_duration(now_ns - created * 1000000000) + " ago";
    int64_t size_rw = int_field(c, "SizeRw");
    int64_t size_root = int_field(c, "SizeRootFs");
    std::string size = human_size(static_cast<double>(size_rw), 3);
    if (size_root > 0)
        size += " (virtual " + human_size(static_cast<double>(size_root), 3) + ")";
    v["Size"] = size;
    v["State"] = string_field(c, "State");
    v["Status"] = string_field(c, "Status");

    row.methods["Label"] = [label_map](const std::vector<Json>& args) -> ErrorOr<Json> {
        if (args.size() != 1 || !args[0].is_string())
            return Error::from_string("wrong number of args for Label: want 1 got " + std::to_string(args.size()));
        auto it = label_map.find(args[0].get<std::string>());
        return it == label_map.end() ? Json("") : *it;
    };
    row.root_json_escape = EscapeHtml::Yes;
    row.root_type = "*formatter.ContainerContext";
    return row;
}

Json container_header()
{
    return Json { { "ID", "CONTAINER ID" }, { "Names", "NAMES" }, { "Image", "IMAGE" }, { "Command", "COMMAND" },
        { "CreatedAt", "CREATED AT" }, { "RunningFor", "CREATED" }, { "Ports", "PORTS" }, { "State", "STATE" },
        { "Status", "STATUS" }, { "Size", "SIZE" }, { "Labels", "LABELS" }, { "Mounts", "MOUNTS" },
        { "LocalVolumes", "LOCAL VOLUMES" }, { "Networks", "NETWORKS" } };
}

std::vector<TemplateData> image_rows(
    const Json& image, bool truncate, bool show_digests, bool need_digest, int64_t now_ns)
{
    auto strings = [&](const char* key) {
        std::vector<std::string> out;
        if (image.contains(key) && image[key].is_array()) {
            for (auto const& s : image[key]) {
                if (s.is_string())
                    out.push_back(s.get<std::string>());
            }
        }
        return out;
    };
    auto repo_tags = strings("RepoTags");
    auto repo_digests = strings("RepoDigests");
    std::string id = string_field(image, "Id");
    int64_t created = int_field(image, "Created");
    int64_t size = int_field(image, "Size");
    int64_t virtual_size = int_field(image, "VirtualSize", size);
    int64_t shared_size = int_field(image, "SharedSize", -1);
    int64_t containers = int_field(image, "Containers", -1);

    auto make = [&](const std::string& repo, const std::string& tag, const std::string& digest) {
        TemplateData row;
        Json& v = row.value;
        v = Json::object();
        v["Containers"] = containers == -1 ? std::string("N/A") : std::to_string(containers);
        v["CreatedAt"] = go_time_string(created);
        v["CreatedSince"] = human_duration(now_ns - created * 1000000000) + " ago";
        v["Digest"] = digest;
        v["ID"] = truncate ? truncate_id(id) : id;
        v["Repository"] = repo;
        v["SharedSize"] = shared_size == -1 ? std::string("N/A") : human_size(static_cast<double>(shared_size));
        v["Size"] = human_size(static_cast<double>(size), 3);
        v["Tag"] = tag;
        v["UniqueSize"] = virtual_size == -1 || shared_size == -1
            ? std::string("N/A")
            : human_size(static_cast<double>(virtual_size - shared_size));
        v["VirtualSize"] = human_size(static_cast<double>(virtual_size));
        row.root_json_escape = EscapeHtml::Yes;
        row.root_type = "*formatter.imageContext";
        return row;
    };

    std::vector<TemplateData> rows;
    bool dangling = (repo_tags.empty() && repo_digests.empty())
        || (repo_tags.size() == 1 && repo_tags[0] == "<none>:<none>" && repo_digests.size() == 1
            && repo_digests[0] == "<none>@<none>");
    if (dangling) {
        rows.push_back(make("<none>", "<none>", "<none>"));
        return rows;
    }
    // Repositories in the order first seen (docker iterates a Go map).
    std::vector<std::pair<std::string, std::vector<std::string>>> tags, digests;
    auto slot = [](auto& list, const std::string& key) -> std::vector<std::string>& {
        for (auto& [k, values] : list) {
            if (k == key)
                return values;
        }
        list.emplace_back(key, std::vector<std::string> {});
        return list.back().second;
    };
    for (auto const& text : repo_tags) {
        auto reference = image::Reference::parse(text);
        std::string tag = tag_of(text);
        if (reference.is_error() || tag.empty())
            continue;
        slot(tags, reference->familiar_name()).push_back(tag);
    }
    for (auto const& text : repo_digests) {
        auto at = text.find('@');
        auto reference = image::Reference::parse(text);
        if (reference.is_error() || at == std::string::npos)
            continue;
        slot(digests, reference->familiar_name()).push_back(text.substr(at + 1));
    }
    for (auto const& [repo, repo_tag_list] : tags) {
        std::vector<std::string> repo_digest_list;
        for (auto it = digests.begin(); it != digests.end(); ++it) {
            if (it->first == repo) {
                repo_digest_list = it->second;
                digests.erase(it);
                break;
            }
        }
        if (!need_digest)
            repo_digest_list.clear();
        for (auto const& tag : repo_tag_list) {
            if (repo_digest_list.empty()) {
                rows.push_back(make(repo, tag, "<none>"));
                continue;
            }
            for (auto const& digest : repo_digest_list)
                rows.push_back(make(repo, tag, digest));
        }
    }
    for (auto const& [repo, repo_digest_list] : digests) {
        if (show_digests) {
            for (auto const& digest : repo_digest_list)
                rows.push_back(make(repo, "<none>", digest));
        } else {
            rows.push_back(make(repo, "<none>", ""));
        }
    }
    return rows;
}

Json image_header()
{
    return Json { { "ID", "IMAGE ID" }, { "Repository", "REPOSITORY" }, { "Tag", "TAG" }, { "Digest", "DIGEST" },
        { "CreatedSince", "CREATED" }, { "CreatedAt", "CREATED AT" }, { "Size", "SIZE" },
        { "Containers", "CONTAINERS" }, { "VirtualSize", "SIZE" }, { "SharedSize", "SHARED SIZE" },
        { "UniqueSize", "UNIQUE SIZE" } };
}

std::string container_format(std::string_view format, bool quiet, bool size)
{
    if (format == "table") {
        if (quiet)
            return "{{.ID}}";
        std::string out
            = "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}";
        if (size)
            out += "\\t{{.Size}}";
        return out;
    }
    if (format == "raw") {
        if (quiet)
            return "container_id: {{.ID}}";
        std::string out
            = "container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\n"
              "state: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\n"
              "labels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n";
        if (size)
            out += "size: {{.Size}}\\n";
        return out;
    }
    return std::string(format);
}

std::string image_format(std::string_view format, bool quiet, bool digests)
{
    if (format == "table") {
        if (quiet)
            return "{{.ID}}";
        if (digests)
            return "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince "
                   "}}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";
        return "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince "
               "}}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}";
    }
    if (format == "raw") {
        if (quiet)
            return "image_id: {{.ID}}";
        if (digests)
            return "repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\n"
                   "created_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n";
        return "repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\n"
               "virtual_size: {{.Size}}\n";
    }
    std::string out(format);
    if (out.starts_with("table") && digests && out.find("{{.Digest}}") == std::string::npos)
        out += "\t{{.Digest}}";
    return out;
}

const std::map<std::string, std::string>& go_field_aliases()
{
    static const std::map<std::string, std::string> aliases {
        { "APIVersion", "ApiVersion" },
        { "CPUCfsPeriod", "CpuCfsPeriod" },
        { "CPUCfsQuota", "CpuCfsQuota" },
        { "CPUCount", "CpuCount" },
        { "CPUPercent", "CpuPercent" },
        { "CPUPeriod", "CpuPeriod" },
        { "CPUQuota", "CpuQuota" },
        { "CPURealtimePeriod", "CpuRealtimePeriod" },
        { "CPURealtimeRuntime", "CpuRealtimeRuntime" },
        { "CPUSet", "CpuSet" },
        { "CPUShares", "CpuShares" },
        { "DNS", "Dns" },
        { "DNSOptions", "DnsOptions" },
        { "DNSSearch", "DnsSearch" },
        { "From", "from" },
        { "HTTPProxy", "HttpProxy" },
        { "HTTPSProxy", "HttpsProxy" },
        { "ID", "Id|id" },
        { "NanoCPUs", "NanoCpus" },
        { "Scope", "scope" },
        { "Status", "status" },
        { "Time", "time" },
        { "TimeNano", "timeNano" },
    };
    return aliases;
}

void add_filter_flag(FlagSet& flags, std::vector<std::string>* filters)
{
    flags.add_value(
        "filter", 'f', "filter",
        [filters](std::string_view value) -> ErrorOr<void> {
            if (value.find('=') == std::string_view::npos)
                return Error::from_string("bad format of filter (expected name=value)");
            filters->emplace_back(value);
            return {};
        },
        "Filter output based on conditions provided");
}

ErrorOr<std::string> filters_json(const std::vector<std::string>& filters)
{
    std::map<std::string, std::map<std::string, bool>> map;
    for (auto const& filter : filters) {
        auto equals = filter.find('=');
        if (equals == std::string::npos)
            return Error::from_string("bad format of filter (expected name=value)");
        auto trim = [](std::string s) {
            size_t a = s.find_first_not_of(" \t\r\n");
            size_t b = s.find_last_not_of(" \t\r\n");
            return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
        };
        std::string name = trim(filter.substr(0, equals));
        for (char& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        map[name][trim(filter.substr(equals + 1))] = true;
    }
    Json out = Json::object();
    for (auto const& [name, values] : map) {
        Json inner = Json::object();
        for (auto const& [value, flag] : values)
            inner[value] = flag;
        out[name] = inner;
    }
    return go_json(out);
}

} // namespace corral::cli
