#pragma once

// `docker load` and `docker save`: image archives in and out of the store.
//
// Loading accepts, as one tar stream (plain, gzip, bzip2, xz or zstd):
//   - the `docker save` format: manifest.json ([{Config, RepoTags, Layers}]), the
//     config and layer.tar files it names, and optionally `repositories`; several
//     images in one archive; the newer form whose files are links into blobs/;
//   - an OCI image layout: oci-layout, index.json, blobs/sha256/…; indexes and
//     manifest lists pick the configured platform; names come from the
//     io.containerd.image.name / org.opencontainers.image.ref.name annotations.
// An OCI layout may also be loaded from a directory. Member names are only keys
// into the archive, never paths on disk, so a hostile name cannot escape.
//
// Saving writes the `docker save` format that dockerd 20.10 and later load, or an
// OCI image layout, with layer tars byte for byte as their diffIDs say.

#include "base/error.h"
#include "image/manifest.h"
#include "image/store.h"

#include <functional>
#include <string>
#include <vector>

namespace corral::image {

struct LoadOptions {
    Platform platform = Platform::host();
};

struct LoadedImage {
    Digest id;
    std::vector<std::string> references; // full forms, as tagged
};

struct LoadResult {
    std::vector<LoadedImage> images;
    // What `docker load` prints: "Loaded image: busybox:latest" or
    // "Loaded image ID: sha256:…".
    std::vector<std::string> messages;
};

ErrorOr<LoadResult> load_archive(Store& store, int input_fd, const LoadOptions& options = {});
ErrorOr<LoadResult> load_oci_directory(Store& store, const std::string& path, const LoadOptions& options = {});

enum class ArchiveFormat {
    DockerSave,
    OciLayout,
};

// Writes the images named (references or IDs) to `output_fd` as a tar stream.
ErrorOr<void> save_archive(const Store& store, const std::vector<std::string>& names, int output_fd,
    ArchiveFormat format = ArchiveFormat::DockerSave);

} // namespace corral::image
