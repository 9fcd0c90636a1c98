#include "image/manifest.h"

#include <nlohmann/json.hpp>

namespace corral::image {

using nlohmann::json;

bool is_index_media_type(std::string_view type)
{
    return type == media_type::OCI_INDEX || type == media_type::DOCKER_LIST;
}

bool is_manifest_media_type(std::string_view type)
{
    return type == media_type::OCI_MANIFEST || type == media_type::DOCKER_MANIFEST;
}

bool is_layer_media_type(std::string_view type)
{
    return type == media_type::OCI_LAYER || type == media_type::OCI_LAYER_GZIP || type == media_type::OCI_LAYER_ZSTD
        || type == media_type::DOCKER_LAYER || type == media_type::DOCKER_LAYER_GZIP
        || type == media_type::DOCKER_FOREIGN_LAYER || type == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
}

ErrorOr<Platform> Platform::parse(std::string_view text)
{
    Platform p;
    auto first = text.find('/');
    if (first == std::string_view::npos)
        return Error::from_string("invalid platform \"" + std::string(text) + "\" (expected os/arch[/variant])");
    p.os = std::string(text.substr(0, first));
    std::string_view rest = text.substr(first + 1);
    auto second = rest.find('/');
    p.architecture = std::string(rest.substr(0, second));
    if (second != std::string_view::npos)
        p.variant = std::string(rest.substr(second + 1));
    if (p.os.empty() || p.architecture.empty())
        return Error::from_string("invalid platform \"" + std::string(text) + "\" (expected os/arch[/variant])");
    return p;
}

Platform Platform::host()
{
#if defined(__x86_64__)
    return { "linux", "amd64", "" };
#elif defined(__aarch64__)
    return { "linux", "arm64", "v8" };
#else
#    error "unsupported architecture"
#endif
}

std::string Platform::str() const
{
    return os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
}

bool Platform::matches(const Platform& candidate) const
{
    if (candidate.os != os || candidate.architecture != architecture)
        return false;
    return variant.empty() || candidate.variant.empty() || candidate.variant == variant;
}

namespace {

// nlohmann::json throws on type mismatches; every access goes through these so
// that a hostile document becomes an Error naming the field.
ErrorOr<json> parse_json(std::string_view text, std::string_view what)
{
    if (text.size() > 4 * 1024 * 1024)
        return Error::from_string(std::string(what) + ": larger than 4 MiB");
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded())
        return Error::from_string(std::string(what) + ": not valid JSON");
    if (!doc.is_object())
        return Error::from_string(std::string(what) + ": not a JSON object");
    return doc;
}

ErrorOr<std::string> string_field(const json& object, const char* name, std::string_view what, bool required)
{
    auto it = object.find(name);
    if (it == object.end() || it->is_null()) {
        if (required)
            return Error::from_string(std::string(what) + ": missing \"" + name + "\"");
        return std::string();
    }
    if (!it->is_string())
        return Error::from_string(std::string(what) + ": \"" + name + "\" is not a string");
    return it->get<std::string>();
}

ErrorOr<Descriptor> parse_descriptor(const json& object, std::string_view what)
{
    if (!object.is_object())
        return Error::from_string(std::string(what) + ": not a JSON object");
    Descriptor d;
    d.media_type = TRY(string_field(object, "mediaType", what, false));
    d.digest = TRY_CONTEXT(Digest::parse(TRY(string_field(object, "digest", what, true))), std::string(what));
    auto size = object.find("size");
    if (size == object.end() || !size->is_number_integer() || size->get<int64_t>() < 0)
        return Error::from_string(std::string(what) + ": \"size\" is missing or not a non-negative integer");
    d.size = size->get<int64_t>();
    if (auto platform = object.find("platform"); platform != object.end() && platform->is_object()) {
        Platform p;
        p.os = TRY(string_field(*platform, "os", what, false));
        p.architecture = TRY(string_field(*platform, "architecture", what, false));
        p.variant = TRY(string_field(*platform, "variant", what, false));
        d.platform = p;
    }
    if (auto annotations = object.find("annotations"); annotations != object.end() && annotations->is_object()) {
        for (auto const& [key, value] : annotations->items()) {
            if (value.is_string())
                d.annotations[key] = value.get<std::string>();
        }
    }
    return d;
}

} // namespace

ErrorOr<std::string> peek_media_type(std::string_view text)
{
    json doc = TRY(parse_json(text, "manifest"));
    return string_field(doc, "mediaType", "manifest", false);
}

ErrorOr<Manifest> parse_manifest(std::string_view text)
{
    json doc = TRY(parse_json(text, "manifest"));
    Manifest m;
    m.media_type = TRY(string_field(doc, "mediaType", "manifest", false));
    if (m.media_type.empty())
        m.media_type = std::string(media_type::OCI_MANIFEST);
    if (!is_manifest_media_type(m.media_type))
        return Error::from_string("manifest: unsupported media type \"" + m.media_type + "\"");
    if (auto version = doc.find("schemaVersion"); version == doc.end() || *version != 2)
        return Error::from_string("manifest: schemaVersion must be 2");
    auto config = doc.find("config");
    if (config == doc.end())
        return Error::from_string("manifest: missing \"config\"");
    m.config = TRY(parse_descriptor(*config, "manifest config"));
    auto layers = doc.find("layers");
    if (layers == doc.end() || !layers->is_array())
        return Error::from_string("manifest: \"layers\" is missing or not a list");
    for (size_t i = 0; i < layers->size(); ++i) {
        Descriptor layer = TRY(parse_descriptor((*layers)[i], "manifest layer " + std::to_string(i)));
        if (!is_layer_media_type(layer.media_type))
            return Error::from_string("manifest layer " + std::to_string(i) + ": unsupported media type \"" + layer.media_type + "\"");
        m.layers.push_back(std::move(layer));
    }
    return m;
}

ErrorOr<Index> parse_index(std::string_view text)
{
    json doc = TRY(parse_json(text, "index"));
    Index index;
    index.media_type = TRY(string_field(doc, "mediaType", "index", false));
    if (index.media_type.empty())
        index.media_type = std::string(media_type::OCI_INDEX);
    if (!is_index_media_type(index.media_type))
        return Error::from_string("index: unsupported media type \"" + index.media_type + "\"");
    auto manifests = doc.find("manifests");
    if (manifests == doc.end() || !manifests->is_array())
        return Error::from_string("index: \"manifests\" is missing or not a list");
    for (size_t i = 0; i < manifests->size(); ++i)
        index.manifests.push_back(TRY(parse_descriptor((*manifests)[i], "index entry " + std::to_string(i))));
    return index;
}

ErrorOr<ImageConfig> parse_image_config(std::string_view text)
{
    json doc = TRY(parse_json(text, "image config"));
    ImageConfig c;
    c.architecture = TRY(string_field(doc, "architecture", "image config", false));
    c.os = TRY(string_field(doc, "os", "image config", false));
    c.variant = TRY(string_field(doc, "variant", "image config", false));
    c.created = TRY(string_field(doc, "created", "image config", false));
    auto rootfs = doc.find("rootfs");
    if (rootfs == doc.end() || !rootfs->is_object())
        return Error::from_string("image config: missing \"rootfs\"");
    auto diff_ids = rootfs->find("diff_ids");
    if (diff_ids == rootfs->end() || !diff_ids->is_array())
        return Error::from_string("image config: \"rootfs.diff_ids\" is missing or not a list");
    for (auto const& id : *diff_ids) {
        if (!id.is_string())
            return Error::from_string("image config: a diff_id is not a string");
        c.diff_ids.push_back(TRY_CONTEXT(Digest::parse(id.get<std::string>()), "image config"));
    }
    if (auto history = doc.find("history"); history != doc.end() && history->is_array()) {
        for (auto const& entry : *history) {
            if (!entry.is_object())
                continue;
            HistoryEntry h;
            h.created = TRY(string_field(entry, "created", "image history", false));
            h.created_by = TRY(string_field(entry, "created_by", "image history", false));
            h.comment = TRY(string_field(entry, "comment", "image history", false));
            if (auto empty = entry.find("empty_layer"); empty != entry.end() && empty->is_boolean())
                h.empty_layer = empty->get<bool>();
            c.history.push_back(std::move(h));
        }
    }
    if (auto config = doc.find("config"); config != doc.end() && config->is_object())
        c.container_config_json = config->dump();
    return c;
}

ErrorOr<Descriptor> select_platform(const Index& index, const Platform& platform)
{
    std::string offered;
    for (auto const& entry : index.manifests) {
        if (!entry.platform) {
            if (index.manifests.size() == 1)
                return entry; // a single-manifest index without platforms
            continue;
        }
        if (platform.matches(*entry.platform))
            return entry;
        if (entry.platform->os != "unknown") // attestation manifests
            offered += (offered.empty() ? "" : ", ") + entry.platform->str();
    }
    return Error::from_string("no manifest for platform " + platform.str() + " (the index offers: "
            + (offered.empty() ? "none" : offered) + ")",
        ENOENT);
}

std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids)
{
    std::vector<Digest> chain;
    for (size_t i = 0; i < diff_ids.size(); ++i) {
        if (i == 0)
            chain.push_back(diff_ids[0]);
        else
            chain.push_back(sha256_of(chain.back().str() + " " + diff_ids[i].str()));
    }
    return chain;
}

namespace {

json descriptor_object(const Descriptor& d)
{
    json out = json::object();
    out["mediaType"] = d.media_type;
    out["digest"] = d.digest.str();
    out["size"] = d.size;
    if (d.platform) {
        json p = { { "architecture", d.platform->architecture }, { "os", d.platform->os } };
        if (!d.platform->variant.empty())
            p["variant"] = d.platform->variant;
        out["platform"] = p;
    }
    if (!d.annotations.empty())
        out["annotations"] = d.annotations;
    return out;
}

} // namespace

std::string descriptor_json(const Descriptor& descriptor)
{
    return descriptor_object(descriptor).dump();
}

std::string manifest_json(const Manifest& manifest)
{
    json out = json::object();
    out["schemaVersion"] = 2;
    out["mediaType"] = manifest.media_type;
    out["config"] = descriptor_object(manifest.config);
    json layers = json::array();
    for (auto const& layer : manifest.layers)
        layers.push_back(descriptor_object(layer));
    out["layers"] = layers;
    return out.dump();
}

} // namespace corral::image
