#pragma once

// Whole-file reads, crash-safe whole-file writes, and directory creation.

#include "base/error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <sys/types.h>

namespace corral {

inline constexpr size_t DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024;

// Reads a whole file. ENOENT comes back as is so callers can treat absence apart.
ErrorOr<std::string> read_file(const std::string& path, size_t max_size = DEFAULT_MAX_FILE_SIZE);

enum class KeepMode {
    No,  // the new file gets exactly `mode`
    Yes, // an existing file keeps its mode and owner; a new one gets `mode`
};

// Replaces `path` with `data` so that a crash at any moment leaves either the old
// or the new content, never a mix: a temporary file in the same directory is
// written, fsync'd, renamed over the target, and the directory is fsync'd.
ErrorOr<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode,
    KeepMode keep = KeepMode::Yes);

// Creates `path` and its missing parents with `mode`. Existing directories are left
// as they are; an existing non-directory is ENOTDIR.
ErrorOr<void> mkdir_p(const std::string& path, mode_t mode);

// 16 random hex digits, for temporary names.
std::string random_suffix();

// Path helpers that work on strings only (no file system access).
std::string path_dirname(std::string_view path);
std::string path_basename(std::string_view path);

// The names in a directory, sorted, without "." and ".."; empty when it cannot
// be read (a missing directory is an empty one to every caller so far).
std::vector<std::string> list_dir(const std::string& path);
// Joins with exactly one '/' between the parts. An absolute `rest` is appended, not
// substituted, because callers use it to place a path under a root prefix.
std::string path_join(std::string_view base, std::string_view rest);

} // namespace corral

namespace corral {

// Removes `path` and everything below it without following symlinks (a symlink is
// removed, never its target). A missing path is not an error.
ErrorOr<void> remove_tree(const std::string& path);

// The sum of the sizes of the regular files below `path` (not following symlinks),
// counting a hard-linked file once.
ErrorOr<int64_t> tree_size(const std::string& path);

// Flushes the whole file system holding `path` (syncfs(2)): cheaper than an fsync
// per file when a directory of many new files must be durable before a rename.
ErrorOr<void> sync_filesystem(const std::string& path);

} // namespace corral
