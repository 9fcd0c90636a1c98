#pragma once

// The image content store under the engine's data root (default
// /var/lib/system-docker/image):
//   blobs/sha256/<hex>       content-addressed blobs (configs, manifests, layer blobs),
//                            verified against their digest before they appear
//   layers/<chain-hex>/diff  unpacked layers, overlayfs-ready, shared between images
//   layers/<chain-hex>/layer.json  diffID, parent, blob, sizes
//   images/<config-hex>.json image records (the config digest is the image ID)
//   repositories.json        references (name:tag, name@digest) → image ID
//   ingest/                  blobs and layers being written
// Every item is written under a temporary name and renamed into place once
// complete and on disk, so a power cut at any moment leaves a store that opens,
// missing at most the item in flight; what a crash leaves half-done is removed
// when the store opens. The store is safe to use from several threads.

#include "base/error.h"
#include "base/fd.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "image/reference.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace corral::image {

struct ImageRecord {
    Digest id; // the config blob's digest
    std::optional<Digest> manifest_digest; // set for pulled images (RepoDigests)
    std::string manifest_media_type;
    std::vector<Descriptor> layers; // the layer blobs as stored
    std::vector<Digest> diff_ids;
    std::vector<std::string> references; // full forms, filled in by the store
    int64_t size { 0 }; // unpacked bytes of all layers
    std::string created; // from the config
    std::string loaded; // when this store got it (RFC 3339)

    std::vector<Digest> chain() const { return chain_ids(diff_ids); }
    std::string short_id() const { return id.hex.substr(0, 12); }
};

struct LayerRecord {
    Digest chain_id;
    Digest diff_id;
    std::optional<Digest> parent; // chain ID of the layer below
    Descriptor blob;
    int64_t tar_size { 0 }; // uncompressed bytes of the layer tar
    int64_t size { 0 }; // bytes of the files it unpacked to
};

// Writes one blob. Removed on destruction unless committed.
class BlobWriter {
public:
    BlobWriter(BlobWriter&&) noexcept;
    BlobWriter& operator=(BlobWriter&&) noexcept;
    ~BlobWriter();

    ErrorOr<void> write(std::string_view data);
    // Bytes written so far (where a resumed download continues).
    uint64_t size() const { return m_size; }
    // Checks the digest (when expected is given) and the size, makes the blob
    // durable and moves it into place. A mismatch is EINVAL and leaves nothing.
    ErrorOr<Digest> commit(const std::optional<Digest>& expected, std::optional<int64_t> expected_size = {});

private:
    friend class Store;
    BlobWriter(std::string blobs_dir, std::string temp_path, Fd fd);

    std::string m_blobs_dir;
    std::string m_temp_path;
    Fd m_fd;
    Sha256 m_hasher;
    uint64_t m_size { 0 };
};

struct RemoveOptions {
    bool force { false };
    // Whether a container uses this image; the store does not know containers.
    std::function<bool(const Digest& image_id)> in_use;
    // The id of a container that uses it, for the conflict message (optional).
    std::function<std::string(const Digest& image_id)> used_by;
};

struct PruneOptions {
    bool all { false }; // also images that have tags, when no container uses them
    std::function<bool(const Digest& image_id)> in_use;
};

struct Deletion {
    std::vector<std::string> untagged; // references removed
    std::vector<Digest> deleted; // image IDs removed
    int64_t reclaimed { 0 }; // bytes freed
};

class Store {
public:
    // Opens (creating if needed) the store at `root`, removing what an interrupted
    // write left behind.
    static ErrorOr<std::unique_ptr<Store>> open(const std::string& root);

    const std::string& root() const { return m_root; }

    // Blobs.
    bool has_blob(const Digest& digest) const;
    std::string blob_path(const Digest& digest) const;
    ErrorOr<BlobWriter> ingest();
    ErrorOr<Digest> put_blob(std::string_view data, const std::optional<Digest>& expected = {});
    ErrorOr<std::string> read_blob(const Digest& digest, size_t max_size = 16 * 1024 * 1024) const;
    ErrorOr<Fd> open_blob(const Digest& digest) const;

    // Layers. unpack_layer unpacks a stored blob on top of `parent` (a chain ID
    // already in the store) unless that chain ID exists already, checks the diffID
    // and returns the layer. Concurrent calls for the same chain ID wait for one
    // another and unpack once.
    bool has_layer(const Digest& chain_id) const;
    std::string layer_dir(const Digest& chain_id) const; // the overlayfs-ready diff directory
    ErrorOr<LayerRecord> layer(const Digest& chain_id) const;
    ErrorOr<LayerRecord> unpack_layer(const Descriptor& blob, const std::optional<Digest>& parent, const Digest& diff_id);
    // The directories of an image's layers, topmost first (overlayfs lowerdir order).
    ErrorOr<std::vector<std::string>> layer_dirs(const ImageRecord& image) const;

    // Images. add_image records an image whose config and layer blobs are stored,
    // unpacking any layer not yet unpacked; the config must list one diffID per layer.
    ErrorOr<ImageRecord> add_image(const Digest& config_digest, const std::vector<Descriptor>& layer_blobs,
        const std::optional<Digest>& manifest_digest = {}, std::string manifest_media_type = {});
    ErrorOr<void> tag(const Reference& reference, const Digest& image_id);
    // Finds an image by reference (busybox, busybox:1, name@sha256:…), full ID
    // (sha256:… or 64 hex) or unique ID prefix (at least 1 hex digit, as Docker).
    ErrorOr<ImageRecord> resolve(std::string_view name_or_id) const;
    ErrorOr<ImageRecord> get(const Digest& image_id) const;
    std::vector<ImageRecord> list() const;
    // References that point at `image_id`.
    std::vector<std::string> references(const Digest& image_id) const;

    // `docker rmi`: a reference with other references left only untags; the last
    // reference or an ID deletes the image, refused (EBUSY) while a container uses
    // it and (EEXIST) while it has several references, unless forced.
    ErrorOr<Deletion> remove(std::string_view name_or_id, const RemoveOptions& options = {});
    // `docker image prune`: untagged images (all unused ones with `all`).
    ErrorOr<Deletion> prune(const PruneOptions& options = {});
    // Deletes blobs and layers no image references; `keep_layers` names chain IDs
    // containers still stand on. Returns bytes freed. A pull or load in flight has
    // blobs and layers no image references yet, so the engine runs this only when
    // none is (remove and prune collect just what the images they delete used).
    ErrorOr<int64_t> collect_garbage(const std::set<Digest>& keep_layers = {});

private:
    explicit Store(std::string root);
    ErrorOr<void> load();
    ErrorOr<void> save_references_locked();
    ErrorOr<void> write_image_locked(const ImageRecord& record);
    ErrorOr<ImageRecord> resolve_locked(std::string_view name_or_id) const;
    ErrorOr<Deletion> delete_image_locked(const Digest& id);
    // `scope`: only the blobs and layers of these images are candidates (nullptr:
    // everything unreferenced).
    ErrorOr<int64_t> collect_garbage_locked(const std::set<Digest>& keep_layers, const std::vector<ImageRecord>* scope);

    std::string m_root;
    mutable std::mutex m_mutex; // guards the maps and every metadata write
    std::map<Digest, ImageRecord> m_images;
    std::map<std::string, Digest> m_references;
    std::mutex m_unpack_mutex; // one unpack at a time per store keeps chain IDs unique
};

} // namespace corral::image
