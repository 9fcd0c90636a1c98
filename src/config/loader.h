#pragma once

// Loading the layered configuration (reference §3.1). Later layers merge over
// earlier ones:
//   1 os-config.yml  2 oem-config.yml  3 cloud-config.d/* (name order)
//   4 cloud-config.yml  5 /proc/cmdline (rancher.*, cc.*)  6 EXTRA_CMDLINE (elided
//   init arguments)  7 debug flags  8 metadata (hostname only if unset, ssh keys
//   appended, resize_device only if unset)
// A file that cannot be read or parsed is skipped with its error; a value of the
// wrong type is dropped with its error; neither stops the others from loading.

#include "config/diagnostic.h"
#include "config/model.h"
#include "config/paths.h"

#include <string>
#include <vector>

namespace corral::config {

enum class LayerKind {
    OsConfig,
    Oem,
    CloudConfigD,
    CloudConfig,
    Cmdline,
    ExtraCmdline,
    Debug,
    Metadata,
};

const char* layer_kind_name(LayerKind kind); // "kernel command line", "metadata", …

struct Layer {
    LayerKind kind;
    std::string source; // the file, or a description for derived layers
    Node tree;
};

struct LoadOptions {
    bool defaults { true }; // os-config.yml and oem-config.yml (`export` leaves them out without -f)
};

struct LoadedConfig {
    std::vector<Layer> layers; // as merged, after dropping bad values
    Node merged;
    CloudConfig typed;
    Diagnostics diagnostics; // every file's, with positions
    std::vector<std::string> skipped; // files that could not be read or parsed, with why
};

LoadedConfig load_config(const Paths& paths, const LoadOptions& options = {});

// Reads, parses and validates one file as a layer. ENOENT is an error here; the
// loader treats a missing file as an absent layer.
struct FileLayer {
    Node tree;
    Diagnostics diagnostics;
};
ErrorOr<FileLayer> load_file_layer(const std::string& path, const std::string& display_name);

// Removes the values validation rejected from `tree`.
void drop_rejected(Node& tree, const std::set<const Node*>& rejected);

// Validates a tree against the schema; returns the diagnostics and removes the
// values with errors from the tree.
Diagnostics validate_and_prune(Node& tree);

} // namespace corral::config
