// save_archive(): see archive.h.

#include "image/archive.h"

#include "base/system.h"
#include "image/tar_writer.h"
#include "image/unpack.h"

#include <fcntl.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unistd.h>

namespace corral::image {

using nlohmann::json;

namespace {

bool is_uncompressed(std::string_view media_type)
{
    return media_type == media_type::DOCKER_LAYER || media_type == media_type::OCI_LAYER;
}

// The uncompressed tar of a layer: the blob itself, or the blob decompressed into
// an anonymous file in the store (gone when closed).
struct LayerTar {
    Fd fd;
    int64_t size { 0 };
};

ErrorOr<LayerTar> layer_tar(const Store& store, const Descriptor& blob)
{
    Fd input = TRY(store.open_blob(blob.digest));
    if (is_uncompressed(blob.media_type)) {
        auto st = TRY(sys::fstat(input.get()));
        return LayerTar { std::move(input), st.st_size };
    }
    Fd temp = TRY(sys::open(store.root() + "/ingest", O_RDWR | O_TMPFILE, 0600));
    UnpackResult result = TRY_CONTEXT(decompress_layer(input.get(), temp.get()), "layer " + blob.digest.str());
    return LayerTar { std::move(temp), static_cast<int64_t>(result.tar_size) };
}

struct Selected {
    ImageRecord image;
    std::vector<std::string> tags; // familiar names to record
};

ErrorOr<std::vector<Selected>> select_images(const Store& store, const std::vector<std::string>& names)
{
    std::vector<Selected> selected;
    std::map<Digest, size_t> position;
    for (auto const& name : names) {
        ImageRecord image = TRY(store.resolve(name));
        std::optional<std::string> tag;
        // Saved by name, the name goes with it; saved by ID, no name does (as Docker).
        auto reference = Reference::parse(name);
        if (!reference.is_error() && !reference->tag.empty()) {
            for (auto const& r : image.references) {
                if (r == reference->str())
                    tag = reference->familiar();
            }
        }
        auto [it, fresh] = position.try_emplace(image.id, selected.size());
        if (fresh)
            selected.push_back(Selected { image, {} });
        if (tag) {
            auto& tags = selected[it->second].tags;
            if (std::find(tags.begin(), tags.end(), *tag) == tags.end())
                tags.push_back(*tag);
        }
    }
    return selected;
}

ErrorOr<void> save_docker(const Store& store, const std::vector<Selected>& images, TarWriter& out)
{
    json manifest = json::array();
    json repositories = json::object();
    std::set<std::string> written_layers;
    for (auto const& [image, tags] : images) {
        std::string config = TRY(store.read_blob(image.id, 16 * 1024 * 1024));
        TRY(out.file(image.id.hex + ".json", config));
        auto chain = image.chain();
        json layer_names = json::array();
        for (size_t i = 0; i < chain.size(); ++i) {
            // The layer directory is named after the chain ID: unique for each
            // position of each stack, which is all a v1 layer ID has to be.
            std::string id = chain[i].hex;
            layer_names.push_back(id + "/layer.tar");
            if (!written_layers.insert(id).second)
                continue;
            TRY(out.directory(id));
            TRY(out.file(id + "/VERSION", "1.0"));
            json v1 = { { "id", id }, { "created", "1970-01-01T00:00:00Z" }, { "container_config", json::object() } };
            if (i > 0)
                v1["parent"] = chain[i - 1].hex;
            TRY(out.file(id + "/json", v1.dump()));
            LayerTar tar = TRY(layer_tar(store, image.layers[i]));
            TRY(out.file_from(id + "/layer.tar", tar.fd.get(), tar.size));
        }
        json tag_list = json::array();
        for (auto const& tag : tags) {
            tag_list.push_back(tag);
            auto reference = Reference::parse(tag).release_value();
            repositories[reference.familiar_name()][reference.tag] = chain.empty() ? "" : chain.back().hex;
        }
        manifest.push_back({ { "Config", image.id.hex + ".json" }, { "RepoTags", tags.empty() ? json(nullptr) : tag_list },
            { "Layers", layer_names } });
    }
    TRY(out.file("manifest.json", manifest.dump()));
    if (!repositories.empty())
        TRY(out.file("repositories", repositories.dump()));
    return {};
}

std::string oci_layer_type(std::string_view type)
{
    if (type == media_type::DOCKER_LAYER || type == media_type::OCI_LAYER)
        return std::string(media_type::OCI_LAYER);
    if (type == media_type::OCI_LAYER_ZSTD)
        return std::string(media_type::OCI_LAYER_ZSTD);
    return std::string(media_type::OCI_LAYER_GZIP);
}

ErrorOr<void> save_oci(const Store& store, const std::vector<Selected>& images, TarWriter& out)
{
    TRY(out.file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
    TRY(out.directory("blobs"));
    TRY(out.directory("blobs/sha256"));
    std::set<std::string> written;
    auto blob = [&](const Digest& digest) -> ErrorOr<void> {
        if (!written.insert(digest.hex).second)
            return {};
        Fd fd = TRY(store.open_blob(digest));
        auto st = TRY(sys::fstat(fd.get()));
        return out.file_from("blobs/sha256/" + digest.hex, fd.get(), st.st_size);
    };
    auto inline_blob = [&](std::string_view data) -> ErrorOr<Digest> {
        Digest digest = sha256_of(data);
        if (written.insert(digest.hex).second)
            TRY(out.file("blobs/sha256/" + digest.hex, data));
        return digest;
    };
    json manifests = json::array();
    for (auto const& [image, tags] : images) {
        std::string config = TRY(store.read_blob(image.id, 16 * 1024 * 1024));
        Manifest manifest;
        manifest.media_type = std::string(media_type::OCI_MANIFEST);
        manifest.config = Descriptor { std::string(media_type::OCI_CONFIG), image.id, static_cast<int64_t>(config.size()), {}, {} };
        TRY(inline_blob(config));
        for (auto const& layer : image.layers) {
            Descriptor d = layer;
            d.media_type = oci_layer_type(layer.media_type);
            if (d.size == 0) {
                auto st = TRY(sys::stat(store.blob_path(layer.digest)));
                d.size = st.st_size;
            }
            manifest.layers.push_back(d);
            TRY(blob(layer.digest));
        }
        std::string manifest_text = manifest_json(manifest);
        Digest manifest_digest = TRY(inline_blob(manifest_text));
        ImageConfig parsed = TRY(parse_image_config(config));
        json platform = { { "os", parsed.os.empty() ? "linux" : parsed.os },
            { "architecture", parsed.architecture.empty() ? "amd64" : parsed.architecture } };
        std::vector<std::string> names = tags.empty() ? std::vector<std::string> { "" } : tags;
        for (auto const& name : names) {
            json entry = { { "mediaType", media_type::OCI_MANIFEST }, { "digest", manifest_digest.str() },
                { "size", manifest_text.size() }, { "platform", platform } };
            if (!name.empty()) {
                auto reference = Reference::parse(name).release_value();
                entry["annotations"] = { { "io.containerd.image.name", reference.str() },
                    { "org.opencontainers.image.ref.name", reference.tag } };
            }
            manifests.push_back(entry);
        }
    }
    json index = { { "schemaVersion", 2 }, { "mediaType", media_type::OCI_INDEX }, { "manifests", manifests } };
    TRY(out.file("index.json", index.dump()));
    return {};
}

} // namespace

ErrorOr<void> save_archive(const Store& store, const std::vector<std::string>& names, int output_fd, ArchiveFormat format)
{
    if (names.empty())
        return Error::from_string("save: no images named");
    std::vector<Selected> images = TRY(select_images(store, names));
    TarWriter out(output_fd);
    if (format == ArchiveFormat::DockerSave)
        TRY(save_docker(store, images, out));
    else
        TRY(save_oci(store, images, out));
    return out.finish();
}

} // namespace corral::image
