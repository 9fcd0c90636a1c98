#include "image/store.h"

#include "base/file.h"
#include "base/scope_guard.h"
#include "base/system.h"
#include "base/time.h"
#include "image/unpack.h"

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace corral::image {

using nlohmann::json;

namespace {

ErrorOr<void> fsync_dir(const std::string& path)
{
    Fd dir = TRY(sys::open(path, O_RDONLY | O_DIRECTORY));
    return sys::fsync(dir.get());
}

json descriptor_to_json(const Descriptor& d)
{
    return json { { "mediaType", d.media_type }, { "digest", d.digest.str() }, { "size", d.size } };
}

// Store metadata is our own, but it is read back from disk after crashes and by
// hand edits, so it is parsed as carefully as any input.
ErrorOr<Descriptor> descriptor_from_json(const json& j)
{
    if (!j.is_object() || !j.contains("digest") || !j["digest"].is_string())
        return Error::from_string("descriptor without a digest");
    Descriptor d;
    d.digest = TRY(Digest::parse(j["digest"].get<std::string>()));
    if (j.contains("mediaType") && j["mediaType"].is_string())
        d.media_type = j["mediaType"].get<std::string>();
    if (j.contains("size") && j["size"].is_number_integer())
        d.size = j["size"].get<int64_t>();
    return d;
}

std::string image_to_json(const ImageRecord& r)
{
    json layers = json::array();
    for (auto const& layer : r.layers)
        layers.push_back(descriptor_to_json(layer));
    json diff_ids = json::array();
    for (auto const& id : r.diff_ids)
        diff_ids.push_back(id.str());
    json out = { { "id", r.id.str() }, { "layers", layers }, { "diff_ids", diff_ids }, { "size", r.size },
        { "created", r.created }, { "loaded", r.loaded }, { "manifest_media_type", r.manifest_media_type } };
    if (r.manifest_digest)
        out["manifest_digest"] = r.manifest_digest->str();
    return out.dump(2) + "\n";
}

ErrorOr<ImageRecord> image_from_json(std::string_view text)
{
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("id") || !j["id"].is_string())
        return Error::from_string("not an image record");
    ImageRecord r;
    r.id = TRY(Digest::parse(j["id"].get<std::string>()));
    if (j.contains("manifest_digest") && j["manifest_digest"].is_string())
        r.manifest_digest = TRY(Digest::parse(j["manifest_digest"].get<std::string>()));
    if (j.contains("layers") && j["layers"].is_array()) {
        for (auto const& layer : j["layers"])
            r.layers.push_back(TRY(descriptor_from_json(layer)));
    }
    if (j.contains("diff_ids") && j["diff_ids"].is_array()) {
        for (auto const& id : j["diff_ids"]) {
            if (!id.is_string())
                return Error::from_string("diff_id is not a string");
            r.diff_ids.push_back(TRY(Digest::parse(id.get<std::string>())));
        }
    }
    if (r.layers.size() != r.diff_ids.size())
        return Error::from_string("layers and diff_ids differ in length");
    auto text_field = [&](const char* name) {
        return j.contains(name) && j[name].is_string() ? j[name].get<std::string>() : std::string();
    };
    r.created = text_field("created");
    r.loaded = text_field("loaded");
    r.manifest_media_type = text_field("manifest_media_type");
    if (j.contains("size") && j["size"].is_number_integer())
        r.size = j["size"].get<int64_t>();
    return r;
}

std::string layer_to_json(const LayerRecord& l)
{
    json out = { { "chain_id", l.chain_id.str() }, { "diff_id", l.diff_id.str() }, { "blob", descriptor_to_json(l.blob) },
        { "tar_size", l.tar_size }, { "size", l.size } };
    if (l.parent)
        out["parent"] = l.parent->str();
    return out.dump(2) + "\n";
}

ErrorOr<LayerRecord> layer_from_json(std::string_view text)
{
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return Error::from_string("not a layer record");
    auto digest_field = [&](const char* name) -> ErrorOr<Digest> {
        if (!j.contains(name) || !j[name].is_string())
            return Error::from_string(std::string("layer record without ") + name);
        return Digest::parse(j[name].get<std::string>());
    };
    LayerRecord l;
    l.chain_id = TRY(digest_field("chain_id"));
    l.diff_id = TRY(digest_field("diff_id"));
    if (j.contains("parent"))
        l.parent = TRY(digest_field("parent"));
    if (j.contains("blob"))
        l.blob = TRY(descriptor_from_json(j["blob"]));
    if (j.contains("tar_size") && j["tar_size"].is_number_integer())
        l.tar_size = j["tar_size"].get<int64_t>();
    if (j.contains("size") && j["size"].is_number_integer())
        l.size = j["size"].get<int64_t>();
    return l;
}

bool is_hex64(std::string_view s)
{
    return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

} // namespace

BlobWriter::BlobWriter(std::string blobs_dir, std::string temp_path, Fd fd)
    : m_blobs_dir(std::move(blobs_dir))
    , m_temp_path(std::move(temp_path))
    , m_fd(std::move(fd))
{
}

BlobWriter::BlobWriter(BlobWriter&&) noexcept = default;
BlobWriter& BlobWriter::operator=(BlobWriter&&) noexcept = default;

BlobWriter::~BlobWriter()
{
    if (!m_temp_path.empty())
        (void)::unlink(m_temp_path.c_str()); // uncommitted: nothing may remain
}

ErrorOr<void> BlobWriter::write(std::string_view data)
{
    TRY_CONTEXT(sys::write_all(m_fd.get(), data), "writing blob '" + m_temp_path + "'");
    m_hasher.update(data);
    m_size += data.size();
    return {};
}

ErrorOr<Digest> BlobWriter::commit(const std::optional<Digest>& expected, std::optional<int64_t> expected_size)
{
    Digest actual = m_hasher.digest();
    if (expected_size && static_cast<uint64_t>(*expected_size) != m_size)
        return Error::from_string("blob " + (expected ? expected->str() : actual.str()) + ": size is "
            + std::to_string(m_size) + " bytes, expected " + std::to_string(*expected_size));
    if (expected && *expected != actual)
        return Error::from_string("blob digest mismatch: expected " + expected->str() + ", got " + actual.str());
    TRY(sys::fsync(m_fd.get()));
    m_fd.reset();
    std::string final_path = m_blobs_dir + "/" + actual.hex;
    TRY(sys::rename(m_temp_path, final_path));
    m_temp_path.clear();
    TRY(fsync_dir(m_blobs_dir));
    return actual;
}

Store::Store(std::string root)
    : m_root(std::move(root))
{
}

ErrorOr<std::unique_ptr<Store>> Store::open(const std::string& root)
{
    std::unique_ptr<Store> store(new Store(root));
    for (auto const* dir : { "blobs/sha256", "layers", "images", "ingest" })
        TRY(mkdir_p(root + "/" + dir, 0700));
    // Whatever an interrupted write left: temporary blobs and half-unpacked layers.
    for (auto const& name : list_dir(root + "/ingest"))
        TRY(remove_tree(root + "/ingest/" + name));
    for (auto const& name : list_dir(root + "/layers")) {
        if (!is_hex64(name))
            TRY(remove_tree(root + "/layers/" + name));
    }
    TRY(store->load());
    return store;
}

ErrorOr<void> Store::load()
{
    for (auto const& name : list_dir(m_root + "/images")) {
        std::string path = m_root + "/images/" + name;
        if (!name.ends_with(".json") || name.starts_with(".")) {
            (void)::unlink(path.c_str()); // a temporary file of an interrupted write
            continue;
        }
        auto text = read_file(path);
        if (text.is_error())
            return text.release_error();
        auto record = image_from_json(text.value());
        // A record that does not parse cannot be trusted; skipping it loses only
        // that image, and garbage collection reclaims its layers.
        if (record.is_error())
            continue;
        ImageRecord loaded = record.release_value();
        Digest id = loaded.id;
        m_images[id] = std::move(loaded);
    }
    auto text = read_file(m_root + "/repositories.json");
    if (!text.is_error()) {
        json j = json::parse(text.value(), nullptr, false);
        if (j.is_object() && j.contains("references") && j["references"].is_object()) {
            for (auto const& [reference, id] : j["references"].items()) {
                if (!id.is_string())
                    continue;
                auto digest = Digest::parse(id.get<std::string>());
                if (!digest.is_error() && m_images.contains(digest.value()))
                    m_references[reference] = digest.value();
            }
        }
    } else if (text.error().code() != ENOENT) {
        return text.release_error();
    }
    return {};
}

ErrorOr<void> Store::save_references_locked()
{
    json references = json::object();
    for (auto const& [reference, id] : m_references)
        references[reference] = id.str();
    json out = { { "references", references } };
    return write_file_atomic(m_root + "/repositories.json", out.dump(2) + "\n", 0600, KeepMode::No);
}

ErrorOr<void> Store::write_image_locked(const ImageRecord& record)
{
    return write_file_atomic(m_root + "/images/" + record.id.hex + ".json", image_to_json(record), 0600, KeepMode::No);
}

bool Store::has_blob(const Digest& digest) const
{
    return ::access(blob_path(digest).c_str(), F_OK) == 0;
}

std::string Store::blob_path(const Digest& digest) const
{
    return m_root + "/blobs/sha256/" + digest.hex;
}

ErrorOr<BlobWriter> Store::ingest()
{
    std::string temp = m_root + "/ingest/blob-" + random_suffix();
    Fd fd = TRY(sys::open(temp, O_WRONLY | O_CREAT | O_EXCL, 0600));
    return BlobWriter(m_root + "/blobs/sha256", temp, std::move(fd));
}

ErrorOr<Digest> Store::put_blob(std::string_view data, const std::optional<Digest>& expected)
{
    if (expected && has_blob(*expected)) {
        if (sha256_of(data) != *expected)
            return Error::from_string("blob digest mismatch: expected " + expected->str() + ", got " + sha256_of(data).str());
        return *expected;
    }
    BlobWriter writer = TRY(ingest());
    TRY(writer.write(data));
    return writer.commit(expected);
}

ErrorOr<std::string> Store::read_blob(const Digest& digest, size_t max_size) const
{
    return read_file(blob_path(digest), max_size);
}

ErrorOr<Fd> Store::open_blob(const Digest& digest) const
{
    return sys::open(blob_path(digest), O_RDONLY);
}

bool Store::has_layer(const Digest& chain_id) const
{
    return ::access((m_root + "/layers/" + chain_id.hex + "/layer.json").c_str(), F_OK) == 0;
}

std::string Store::layer_dir(const Digest& chain_id) const
{
    return m_root + "/layers/" + chain_id.hex + "/diff";
}

ErrorOr<LayerRecord> Store::layer(const Digest& chain_id) const
{
    std::string path = m_root + "/layers/" + chain_id.hex + "/layer.json";
    std::string text = TRY(read_file(path, 1024 * 1024));
    return TRY_CONTEXT(layer_from_json(text), path);
}

ErrorOr<LayerRecord> Store::unpack_layer(const Descriptor& blob, const std::optional<Digest>& parent, const Digest& diff_id)
{
    Digest chain = parent ? sha256_of(parent->str() + " " + diff_id.str()) : diff_id;
    std::lock_guard unpack_lock(m_unpack_mutex);
    if (has_layer(chain))
        return layer(chain);

    // The layers below, topmost first, so the unpacker can refuse paths that pass
    // through their symlinks.
    UnpackOptions options;
    for (std::optional<Digest> below = parent; below;) {
        LayerRecord record = TRY_CONTEXT(layer(*below), "parent layer " + below->str());
        options.lower_dirs.push_back(layer_dir(*below));
        below = record.parent;
    }

    std::string temp = m_root + "/layers/tmp-" + random_suffix();
    TRY(sys::mkdir(temp, 0700));
    ScopeGuard remove_temp([&] { (void)remove_tree(temp); /* best effort; open() removes leftovers too */ });
    TRY(sys::mkdir(temp + "/diff", 0755));

    Fd input = TRY_CONTEXT(open_blob(blob.digest), "layer " + blob.digest.str());
    UnpackResult result = TRY_CONTEXT(image::unpack_layer(input.get(), temp + "/diff", options), "layer " + blob.digest.str());
    if (result.blob_digest != blob.digest)
        return Error::from_string("layer " + blob.digest.str() + ": blob digest mismatch: got " + result.blob_digest.str());
    if (result.diff_id != diff_id)
        return Error::from_string("layer " + blob.digest.str() + ": diffID mismatch: the image config says " + diff_id.str()
            + ", the content is " + result.diff_id.str());

    LayerRecord record;
    record.chain_id = chain;
    record.diff_id = diff_id;
    record.parent = parent;
    record.blob = blob;
    record.blob.size = static_cast<int64_t>(result.blob_size);
    record.tar_size = static_cast<int64_t>(result.tar_size);
    record.size = TRY(tree_size(temp + "/diff"));
    TRY(write_file_atomic(temp + "/layer.json", layer_to_json(record), 0600, KeepMode::No));
    // Every file of the layer must be on disk before the layer appears under its
    // final name; one syncfs is far cheaper than an fsync per file.
    TRY(sync_filesystem(temp));
    TRY(sys::rename(temp, m_root + "/layers/" + chain.hex));
    remove_temp.disarm();
    TRY(fsync_dir(m_root + "/layers"));
    return record;
}

ErrorOr<std::vector<std::string>> Store::layer_dirs(const ImageRecord& image) const
{
    std::vector<std::string> dirs;
    auto chain = image.chain();
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        if (!has_layer(*it))
            return Error::from_string("image " + image.short_id() + ": layer " + it->str() + " is missing", ENOENT);
        dirs.push_back(layer_dir(*it));
    }
    return dirs;
}

ErrorOr<ImageRecord> Store::add_image(const Digest& config_digest, const std::vector<Descriptor>& layer_blobs,
    const std::optional<Digest>& manifest_digest, std::string manifest_media_type)
{
    std::string config_text = TRY_CONTEXT(read_blob(config_digest, 4 * 1024 * 1024), "image config " + config_digest.str());
    ImageConfig config = TRY_CONTEXT(parse_image_config(config_text), "image config " + config_digest.str());
    if (config.diff_ids.size() != layer_blobs.size())
        return Error::from_string("image " + config_digest.str() + ": the config lists " + std::to_string(config.diff_ids.size())
            + " layers, the manifest " + std::to_string(layer_blobs.size()));
    ImageRecord record;
    record.id = config_digest;
    record.manifest_digest = manifest_digest;
    record.manifest_media_type = std::move(manifest_media_type);
    record.diff_ids = config.diff_ids;
    record.created = config.created;
    record.loaded = now_rfc3339_nano();
    std::optional<Digest> parent;
    for (size_t i = 0; i < layer_blobs.size(); ++i) {
        LayerRecord layer = TRY(unpack_layer(layer_blobs[i], parent, config.diff_ids[i]));
        record.layers.push_back(layer.blob);
        record.size += layer.size;
        parent = layer.chain_id;
    }
    std::lock_guard lock(m_mutex);
    auto existing = m_images.find(record.id);
    if (existing != m_images.end()) {
        // The same image again (a re-load or a pull of a known image): keep the
        // first record, adding a manifest digest it lacked.
        if (!existing->second.manifest_digest && record.manifest_digest) {
            existing->second.manifest_digest = record.manifest_digest;
            existing->second.manifest_media_type = record.manifest_media_type;
            TRY(write_image_locked(existing->second));
        }
        ImageRecord out = existing->second;
        return out;
    }
    TRY(write_image_locked(record));
    m_images[record.id] = record;
    return record;
}

ErrorOr<void> Store::tag(const Reference& reference, const Digest& image_id)
{
    std::lock_guard lock(m_mutex);
    if (!m_images.contains(image_id))
        return Error::from_string("No such image: " + image_id.str(), ENOENT);
    m_references[reference.str()] = image_id;
    return save_references_locked();
}

std::vector<std::string> Store::references(const Digest& image_id) const
{
    std::lock_guard lock(m_mutex);
    std::vector<std::string> out;
    for (auto const& [reference, id] : m_references) {
        if (id == image_id)
            out.push_back(reference);
    }
    return out;
}

ErrorOr<ImageRecord> Store::resolve_locked(std::string_view name_or_id) const
{
    auto with_references = [&](const ImageRecord& record) {
        ImageRecord out = record;
        out.references.clear();
        for (auto const& [reference, id] : m_references) {
            if (id == record.id)
                out.references.push_back(reference);
        }
        return out;
    };
    std::string_view text = name_or_id;
    bool explicit_id = text.starts_with("sha256:");
    if (explicit_id)
        text.remove_prefix(7);
    if (is_hex64(text)) {
        auto it = m_images.find(Digest { "sha256", std::string(text) });
        if (it != m_images.end())
            return with_references(it->second);
    }
    if (!explicit_id) {
        auto reference = Reference::parse(name_or_id);
        if (!reference.is_error()) {
            auto it = m_references.find(reference->str());
            if (it != m_references.end() && m_images.contains(it->second))
                return with_references(m_images.at(it->second));
        }
    }
    if (!text.empty() && text.size() <= 64 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos) {
        const ImageRecord* found = nullptr;
        for (auto const& [id, record] : m_images) {
            if (id.hex.starts_with(text)) {
                if (found)
                    return Error::from_string("image ID prefix \"" + std::string(text) + "\" is ambiguous", EINVAL);
                found = &record;
            }
        }
        if (found)
            return with_references(*found);
    }
    return Error::from_string("No such image: " + std::string(name_or_id), ENOENT);
}

ErrorOr<ImageRecord> Store::resolve(std::string_view name_or_id) const
{
    std::lock_guard lock(m_mutex);
    return resolve_locked(name_or_id);
}

ErrorOr<ImageRecord> Store::get(const Digest& image_id) const
{
    return resolve(image_id.str());
}

std::vector<ImageRecord> Store::list() const
{
    std::lock_guard lock(m_mutex);
    std::vector<ImageRecord> out;
    for (auto const& [id, record] : m_images)
        out.push_back(resolve_locked(id.str()).release_value());
    return out;
}

ErrorOr<Deletion> Store::delete_image_locked(const Digest& id)
{
    Deletion deletion;
    for (auto it = m_references.begin(); it != m_references.end();) {
        if (it->second == id) {
            deletion.untagged.push_back(it->first);
            it = m_references.erase(it);
        } else {
            ++it;
        }
    }
    TRY(save_references_locked());
    TRY(sys::unlink(m_root + "/images/" + id.hex + ".json"));
    m_images.erase(id);
    deletion.deleted.push_back(id);
    return deletion;
}

ErrorOr<Deletion> Store::remove(std::string_view name_or_id, const RemoveOptions& options)
{
    std::lock_guard lock(m_mutex);
    ImageRecord image = TRY(resolve_locked(name_or_id));
    bool in_use = options.in_use && options.in_use(image.id);

    // Given by reference: that reference goes; the image goes with its last one.
    std::optional<std::string> by_reference;
    if (!std::string_view(name_or_id).starts_with("sha256:")) {
        auto reference = Reference::parse(name_or_id);
        if (!reference.is_error() && m_references.contains(reference->str()))
            by_reference = reference->str();
    }
    Deletion deletion;
    if (by_reference) {
        size_t others = image.references.size() - 1;
        // Untagging the last reference of an image a container uses would
        // leave it dangling under the container: Docker wants that forced.
        if (others == 0 && in_use && !options.force) {
            std::string user = options.used_by ? options.used_by(image.id) : std::string();
            return Error::from_string("conflict: unable to remove repository reference \"" + std::string(name_or_id)
                    + "\" (must force) - container " + (user.empty() ? std::string("(unknown)") : user.substr(0, 12))
                    + " is using its referenced image " + image.short_id(),
                EBUSY);
        }
        if (others > 0 || in_use) {
            m_references.erase(*by_reference);
            TRY(save_references_locked());
            deletion.untagged.push_back(*by_reference);
            return deletion;
        }
    } else if (!options.force) {
        if (in_use)
            return Error::from_string("conflict: unable to delete " + image.short_id()
                    + " (must be forced) - image is being used by a container",
                EBUSY);
        if (image.references.size() > 1)
            return Error::from_string("conflict: unable to delete " + image.short_id()
                    + " (must be forced) - image is referenced in multiple repositories",
                EEXIST);
    }
    deletion = TRY(delete_image_locked(image.id));
    // A forced removal of an image a container uses keeps its layers: the container
    // still stands on them, and collect_garbage with its layers reclaims them later.
    if (!in_use) {
        std::vector<ImageRecord> scope { image };
        deletion.reclaimed = TRY(collect_garbage_locked({}, &scope));
    }
    return deletion;
}

ErrorOr<Deletion> Store::prune(const PruneOptions& options)
{
    std::lock_guard lock(m_mutex);
    Deletion total;
    std::vector<Digest> candidates;
    for (auto const& entry : m_images) {
        const Digest& id = entry.first;
        bool tagged = std::any_of(m_references.begin(), m_references.end(), [&](auto const& r) { return r.second == id; });
        if ((tagged && !options.all) || (options.in_use && options.in_use(id)))
            continue;
        candidates.push_back(id);
    }
    std::vector<ImageRecord> scope;
    for (auto const& id : candidates) {
        scope.push_back(m_images.at(id));
        Deletion one = TRY(delete_image_locked(id));
        total.untagged.insert(total.untagged.end(), one.untagged.begin(), one.untagged.end());
        total.deleted.insert(total.deleted.end(), one.deleted.begin(), one.deleted.end());
    }
    total.reclaimed = TRY(collect_garbage_locked({}, &scope));
    return total;
}

ErrorOr<int64_t> Store::collect_garbage(const std::set<Digest>& keep_layers)
{
    std::lock_guard lock(m_mutex);
    return collect_garbage_locked(keep_layers, nullptr);
}

ErrorOr<int64_t> Store::collect_garbage_locked(const std::set<Digest>& keep_layers, const std::vector<ImageRecord>* scope)
{
    // Unpacks are not interrupted by collection: a layer being unpacked lives under
    // a temporary name and its blob is checked before it is renamed in.
    std::lock_guard unpack_lock(m_unpack_mutex);
    std::set<std::string> live_blobs;
    std::set<std::string> live_layers;
    for (auto const& [id, record] : m_images) {
        live_blobs.insert(id.hex);
        if (record.manifest_digest)
            live_blobs.insert(record.manifest_digest->hex);
        for (auto const& layer : record.layers)
            live_blobs.insert(layer.digest.hex);
        for (auto const& chain : record.chain())
            live_layers.insert(chain.hex);
    }
    for (auto const& chain : keep_layers) {
        for (std::optional<Digest> at = chain; at && live_layers.insert(at->hex).second;) {
            auto record = layer(*at);
            if (record.is_error())
                break;
            live_blobs.insert(record->blob.digest.hex);
            at = record->parent;
        }
    }
    // With a scope, only what those (deleted) images used is a candidate: a pull
    // in flight has blobs and layers no image references yet, and removing one
    // image must not take them.
    std::optional<std::set<std::string>> candidate_blobs;
    std::optional<std::set<std::string>> candidate_layers;
    if (scope) {
        candidate_blobs.emplace();
        candidate_layers.emplace();
        for (auto const& record : *scope) {
            candidate_blobs->insert(record.id.hex);
            if (record.manifest_digest)
                candidate_blobs->insert(record.manifest_digest->hex);
            for (auto const& layer : record.layers)
                candidate_blobs->insert(layer.digest.hex);
            for (auto const& chain : record.chain())
                candidate_layers->insert(chain.hex);
        }
    }
    int64_t freed = 0;
    for (auto const& name : list_dir(m_root + "/layers")) {
        if (!is_hex64(name) || live_layers.contains(name) || (candidate_layers && !candidate_layers->contains(name)))
            continue;
        std::string dir = m_root + "/layers/" + name;
        if (auto record = layer(Digest { "sha256", name }); !record.is_error())
            freed += record->size;
        // Renamed first so that a crash midway never leaves a half-deleted layer
        // under a valid name.
        std::string doomed = m_root + "/layers/tmp-delete-" + random_suffix();
        TRY(sys::rename(dir, doomed));
        TRY(remove_tree(doomed));
    }
    for (auto const& name : list_dir(m_root + "/blobs/sha256")) {
        if (live_blobs.contains(name) || (candidate_blobs && !candidate_blobs->contains(name)))
            continue;
        std::string path = m_root + "/blobs/sha256/" + name;
        if (auto st = sys::stat(path); !st.is_error())
            freed += st->st_size;
        TRY(sys::unlink(path));
    }
    return freed;
}

} // namespace corral::image
