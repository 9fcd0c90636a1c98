#pragma once

// Internal to the layer unpacker: creating members in the target directory, safely.
//
// Every path is resolved from the target's descriptor with openat2(RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV), and each member is
// made with *at() calls relative to its parent directory, so that no symlink, mount
// or ".." can take a write outside the target. The rules about lower layers are in
// unpack_tree.cpp, at LayerTree::check_lower_layers.

#include "base/error.h"
#include "base/fd.h"
#include "image/unpack.h"

#include <ctime>
#include <map>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

struct archive_entry;

namespace corral::image::unpack_detail {

class LayerStream;

class LayerTree {
public:
    // Opens `target` (which must be an empty directory) and the lower layers.
    static ErrorOr<LayerTree> open(const std::string& target, const UnpackOptions& options);

    // Creates the member `entry` describes, reading its data from `stream`. Returns
    // whether something was written (false for what is skipped: the layer root,
    // aufs metadata, device nodes when not root). Errors carry the context
    // `layer member "<path>"`.
    ErrorOr<bool> add(archive_entry* entry, LayerStream& stream);

    // Applies the modes and times of the layer's directories, deepest first: they
    // were deferred because creating their children changes the times, and a
    // read-only directory mode would stop an unprivileged unpack from filling it.
    ErrorOr<void> finish();

private:
    struct DirectoryMetadata {
        mode_t mode;
        struct timespec times[2];
    };

    LayerTree(Fd root, std::vector<Fd> lowers, std::vector<std::string> lower_names);

    ErrorOr<bool> add_member(archive_entry* entry, const std::string& path, LayerStream& stream);
    ErrorOr<int> open_parent(const std::string& parent);
    ErrorOr<void> check_lower_layers(const std::string& path);
    ErrorOr<bool> clear_slot(int dirfd, const std::string& path, const std::string& name, bool member_is_directory);

    ErrorOr<void> add_file(
        archive_entry* entry, const std::string& path, int dirfd, const std::string& name, LayerStream& stream);
    ErrorOr<void> add_directory(archive_entry* entry, const std::string& path, int dirfd, const std::string& name);
    ErrorOr<void> add_symlink(archive_entry* entry, const std::string& path, int dirfd, const std::string& name);
    ErrorOr<void> add_node(
        archive_entry* entry, const std::string& path, int dirfd, const std::string& name, mode_t type);
    ErrorOr<void> add_hard_link(archive_entry* entry, const std::string& path, int dirfd, const std::string& name);
    ErrorOr<void> add_whiteout(archive_entry* entry, int dirfd, const std::string& path, const std::string& name);
    ErrorOr<void> add_opaque_marker(const std::string& directory, int dirfd);
    ErrorOr<void> set_xattrs(archive_entry* entry, const std::string& path, int fd);

    Fd m_root;
    bool m_privileged;
    std::vector<Fd> m_lowers; // the lower layers' roots, topmost first
    std::vector<std::string> m_lower_names; // their paths, for messages
    // The directory the previous member went into: most members share their
    // neighbour's directory. Dropped whenever a directory is removed.
    std::string m_cached_parent;
    Fd m_cached_parent_fd;
    // Directories this layer made opaque: lower layers do not show through them.
    std::set<std::string> m_opaque;
    // The only state that grows with the layer: one entry per directory member.
    std::map<std::string, DirectoryMetadata> m_directories;
};

} // namespace corral::image::unpack_detail
