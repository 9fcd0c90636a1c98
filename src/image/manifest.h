#pragma once

// OCI and Docker image manifests, indexes (manifest lists) and image configs: the
// parts the store and the registry client need, parsed from untrusted JSON.

#include "base/error.h"
#include "image/digest.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::image {

namespace media_type {
inline constexpr std::string_view OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view OCI_INDEX = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
} // namespace media_type

bool is_index_media_type(std::string_view type);
bool is_manifest_media_type(std::string_view type);
bool is_layer_media_type(std::string_view type);

struct Platform {
    std::string os; // "linux"
    std::string architecture; // "amd64"
    std::string variant; // "v8" for arm64, usually empty

    // "linux/amd64" or "linux/arm64/v8".
    static ErrorOr<Platform> parse(std::string_view text);
    // The platform this program was built for.
    static Platform host();
    std::string str() const;
    // Whether an image for `candidate` runs here (an empty variant matches any).
    bool matches(const Platform& candidate) const;
};

struct Descriptor {
    std::string media_type;
    Digest digest;
    int64_t size { 0 };
    std::optional<Platform> platform;
    std::map<std::string, std::string> annotations;
};

struct Manifest {
    std::string media_type;
    Descriptor config;
    std::vector<Descriptor> layers;
};

struct Index {
    std::string media_type;
    std::vector<Descriptor> manifests;
};

struct HistoryEntry {
    std::string created;
    std::string created_by;
    std::string comment;
    bool empty_layer { false };
};

// The fields of an image config the engine reads. The config blob itself is kept
// byte for byte: its digest is the image ID.
struct ImageConfig {
    std::string architecture;
    std::string os;
    std::string variant;
    std::string created;
    std::vector<Digest> diff_ids;
    std::vector<HistoryEntry> history;
    // The container defaults (config.Env, Cmd, …) as JSON text, parsed by the engine.
    std::string container_config_json;
};

ErrorOr<Manifest> parse_manifest(std::string_view json);
ErrorOr<Index> parse_index(std::string_view json);
ErrorOr<ImageConfig> parse_image_config(std::string_view json);
// The mediaType field of a manifest or index, or "" when absent (old documents).
ErrorOr<std::string> peek_media_type(std::string_view json);

// Picks the manifest for `platform` from an index; ENOENT naming the platforms on
// offer when none matches.
ErrorOr<Descriptor> select_platform(const Index& index, const Platform& platform);

// The chain IDs of a layer stack: chain[0] = diff_id[0],
// chain[i] = sha256(chain[i-1] + " " + diff_id[i]).
std::vector<Digest> chain_ids(const std::vector<Digest>& diff_ids);

// Serialises a manifest (OCI or Docker, by its media type) as canonical JSON.
std::string manifest_json(const Manifest& manifest);
std::string descriptor_json(const Descriptor& descriptor);

} // namespace corral::image
