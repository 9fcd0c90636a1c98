#pragma once

// The system images that ship with CorralOS (images.sqfs on the boot medium, or
// in the initramfs after a PXE boot) are an image store that system-dockerd
// uses in place, read-only: layers are never copied into memory.
//
// seed_store() makes the engine's own store (/var/lib/system-docker/image)
// know the preloaded images: their small records and config blobs are copied,
// each layer directory becomes a symlink into the read-only store, whose
// diff/ directories overlayfs then uses directly as lower layers, and the
// preloaded tags are added to repositories.json. Run before the engine starts,
// on every boot: it is cheap, and it points the links at this boot's medium.

#include "base/error.h"

#include <string>
#include <vector>

namespace corral::init {

struct SeedReport {
    std::vector<std::string> images; // image IDs made known
    std::vector<std::string> tags; // references added or moved to a preloaded image
    size_t layers_linked { 0 };
};

// `preload` and `store` are store roots (blobs/sha256, layers/, images/,
// repositories.json). A layer the store already has as a real directory (a
// copy, or one it unpacked itself) is kept.
ErrorOr<SeedReport> seed_store(const std::string& preload, const std::string& store);

} // namespace corral::init
