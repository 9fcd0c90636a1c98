// Images and volumes as dockerd 20.10 shows them (daemon/images/images.go,
// image_inspect.go, image_history.go; volume/service/convert.go).

#include "api/json_views.h"

#include "base/time.h"
#include "image/reference.h"

#include <algorithm>

namespace corral::api {

using nlohmann::json;

namespace {

std::string string_field(const json& object, std::string_view key)
{
    auto const* value = go_field(object, key);
    return value && value->is_string() ? value->get<std::string>() : std::string();
}

// A time of an image config ("created"), as Go's time.Time decodes it: a
// missing one is the zero time.
struct timespec config_time(const json& object, std::string_view key)
{
    if (auto parsed = parse_rfc3339(string_field(object, key)))
        return *parsed;
    return *parse_rfc3339(engine::ZERO_TIME);
}

// time.Time.Format(time.RFC3339Nano) of a decoded time. A time with an offset
// keeps its text: Go keeps the offset it was written with.
std::string config_time_text(const json& object, std::string_view key)
{
    std::string text = string_field(object, key);
    auto parsed = parse_rfc3339(text);
    if (!parsed)
        return engine::ZERO_TIME;
    if (text.back() == 'Z' || text.back() == 'z')
        return format_rfc3339_nano(*parsed);
    return text;
}

const json& history_of(const json& config)
{
    static const json NONE = json::array();
    auto const* history = go_field(config, "history");
    return history && history->is_array() ? *history : NONE;
}

json labels_of(const json& config)
{
    auto const* container_config = go_field(config, "config");
    if (!container_config)
        return nullptr;
    return docker_container_config(*container_config)["Labels"];
}

} // namespace

ImageNames image_names(const image::ImageRecord& record)
{
    // Sorted by the full reference, as dockerd's reference store lists them.
    std::map<std::string, std::string> tags;
    std::map<std::string, std::string> digests;
    for (auto const& text : record.references) {
        auto reference = image::Reference::parse(text);
        if (reference.is_error())
            continue;
        if (!reference->tag.empty()) {
            tags.emplace(reference->str(), reference->familiar());
            if (record.manifest_digest) {
                image::Reference pulled { reference->domain, reference->path, "", record.manifest_digest };
                digests.emplace(pulled.str(), pulled.familiar());
            }
        } else if (reference->digest) {
            digests.emplace(reference->str(), reference->familiar());
        }
    }
    ImageNames names;
    for (auto const& [full, familiar] : tags)
        names.tags.push_back(familiar);
    for (auto const& [full, familiar] : digests)
        names.digests.push_back(familiar);
    return names;
}

json image_summary_json(const image::ImageRecord& record, const json& config)
{
    auto names = image_names(record);
    json tags = names.tags.empty() ? json(nullptr) : json(names.tags);
    json digests = names.digests.empty() ? json(nullptr) : json(names.digests);
    if (names.tags.empty() && names.digests.empty()) {
        tags = json::array({ "<none>:<none>" });
        digests = json::array({ "<none>@<none>" });
    }
    return {
        { "Id", record.id.str() },
        { "ParentId", "" },
        { "RepoTags", tags },
        { "RepoDigests", digests },
        { "Created", static_cast<int64_t>(config_time(config, "created").tv_sec) },
        { "Size", record.size },
        { "VirtualSize", record.size },
        { "SharedSize", -1 },
        { "Labels", labels_of(config) },
        { "Containers", -1 },
    };
}

json image_inspect_json(const image::ImageRecord& record, const json& config)
{
    auto names = image_names(record);
    std::string comment = string_field(config, "comment");
    if (auto const& history = history_of(config); comment.empty() && !history.empty())
        comment = string_field(history.back(), "comment");
    std::string os = string_field(config, "os");

    json rootfs = { { "Type", "layers" } };
    if (auto const* sent = go_field(config, "rootfs"); sent && go_field(*sent, "type"))
        rootfs["Type"] = string_field(*sent, "type");
    if (!record.diff_ids.empty()) {
        json layers = json::array();
        for (auto const& diff_id : record.diff_ids)
            layers.push_back(diff_id.str());
        rootfs["Layers"] = layers;
    }

    static const json NO_OBJECT = json::object();
    auto const* container_config = go_field(config, "config");
    auto const* history_config = go_field(config, "container_config");
    json out = {
        { "Id", record.id.str() },
        { "RepoTags", names.tags },
        { "RepoDigests", names.digests },
        { "Parent", "" },
        { "Comment", comment },
        { "Created", config_time_text(config, "created") },
        { "Container", string_field(config, "container") },
        // A struct in dockerd's image, so present even when the config has none.
        { "ContainerConfig", docker_container_config(history_config ? *history_config : NO_OBJECT) },
        { "DockerVersion", string_field(config, "docker_version") },
        { "Author", string_field(config, "author") },
        { "Config", container_config ? docker_container_config(*container_config) : json(nullptr) },
        { "Architecture", string_field(config, "architecture") },
        { "Os", os.empty() ? "linux" : os },
        { "Size", record.size },
        { "VirtualSize", record.size },
        { "GraphDriver", { { "Name", "overlay2" }, { "Data", nullptr } } },
        { "RootFS", rootfs },
        { "Metadata", { { "LastTagTime", engine::ZERO_TIME } } },
    };
    if (auto variant = string_field(config, "variant"); !variant.empty())
        out["Variant"] = variant;
    if (auto version = string_field(config, "os.version"); !version.empty())
        out["OsVersion"] = version;
    return out;
}

json image_history_json(const image::ImageRecord& record, const json& config, const std::vector<int64_t>& layer_sizes)
{
    json out = json::array();
    size_t layer = 0;
    for (auto const& entry : history_of(config)) {
        int64_t size = 0;
        auto const* empty = go_field(entry, "empty_layer");
        if (!(empty && empty->is_boolean() && empty->get<bool>())) {
            size = layer < layer_sizes.size() ? layer_sizes[layer] : 0;
            ++layer;
        }
        out.insert(out.begin(),
            json {
                { "Id", "<missing>" },
                { "Created", static_cast<int64_t>(config_time(entry, "created").tv_sec) },
                { "CreatedBy", string_field(entry, "created_by") },
                { "Tags", nullptr },
                { "Size", size },
                { "Comment", string_field(entry, "comment") },
            });
    }
    if (!out.empty()) {
        auto tags = image_names(record).tags;
        out[0]["Id"] = record.id.str();
        out[0]["Tags"] = tags.empty() ? json(nullptr) : json(tags);
    }
    return out;
}

json volume_json(const engine::Volume& v)
{
    // dockerd formats the time with time.RFC3339: whole seconds.
    std::string created = v.created_at;
    if (auto parsed = parse_rfc3339(v.created_at)) {
        parsed->tv_nsec = 0;
        created = format_rfc3339_nano(*parsed);
    }
    auto map_or_null = [&](const std::map<std::string, std::string>& map) {
        return map.empty() && v.anonymous ? json(nullptr) : json(map);
    };
    json out = {
        { "Name", v.name },
        { "Driver", v.driver },
        { "Mountpoint", v.mountpoint },
        { "Labels", map_or_null(v.labels) },
        { "Scope", "local" },
        { "Options", map_or_null(v.options) },
    };
    if (!created.empty())
        out["CreatedAt"] = created;
    return out;
}

} // namespace corral::api
