#pragma once

// Unpacking one image layer (a tar stream, plain, gzip or zstd) into an empty
// directory that overlayfs can use as a lower layer.
//
// Safety: no member can create or change anything outside `target`. Absolute
// paths, ".." components, and any write whose path passes through a symlink
// (one planted by an earlier member of this layer, or one that a lower layer shows
// at that path) are refused with an error naming the member. Hard links must point
// at a file this layer already holds.
//
// Fidelity: regular files (sparse ones stay sparse), directories, symlinks, hard
// links, character and block devices, fifos, ownership, modes (setuid included),
// modification times, extended attributes (security.capability included).
// Whiteouts become overlayfs whiteouts: ".wh.NAME" a 0/0 character device NAME,
// ".wh..wh..opq" the xattr trusted.overlay.opaque=y on its directory.
//
// Digests: the stream as read (the compressed blob) and the uncompressed tar (the
// diffID) are both hashed while unpacking; the caller compares them with what the
// manifest and config promise. Memory use does not grow with the layer's size.

#include "base/error.h"
#include "image/digest.h"

#include <cstdint>
#include <string>
#include <vector>

namespace corral::image {

struct UnpackOptions {
    // The unpacked directories of the layers below this one, topmost first. They
    // are only read, to refuse writes through symlinks those layers put in the way.
    std::vector<std::string> lower_dirs;
};

struct UnpackResult {
    Digest blob_digest; // sha256 of the bytes read from the input
    Digest diff_id; // sha256 of the uncompressed tar
    uint64_t blob_size { 0 };
    uint64_t tar_size { 0 }; // uncompressed bytes
    uint64_t files { 0 }; // members written
};

// Reads the layer from `input_fd` to its end and unpacks it into `target`, which
// must exist and be empty. On error, `target` may hold part of the layer; the
// caller removes it. Errors name the member: `layer member "../etc/passwd": path
// escapes the layer`.
ErrorOr<UnpackResult> unpack_layer(int input_fd, const std::string& target, const UnpackOptions& options = {});

// Hashes a layer stream without unpacking it (the diffID of a blob, for checks).
ErrorOr<UnpackResult> digest_layer(int input_fd);

// Writes the uncompressed tar of a layer blob (plain, gzip or zstd) to `output_fd`
// (what `docker save` puts in layer.tar); returns the digests as unpack_layer does.
ErrorOr<UnpackResult> decompress_layer(int input_fd, int output_fd);

} // namespace corral::image
