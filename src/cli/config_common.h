#pragma once

// What the `ros config` verbs share: reading input, writing cloud-config.yml, and
// reporting problems.

#include "base/error.h"
#include "config/diagnostic.h"
#include "config/loader.h"
#include "config/node.h"
#include "config/paths.h"

#include <string>
#include <string_view>

namespace corral::cli {

// Reads a file, or standard input when `path` is empty or "-".
ErrorOr<std::string> read_input(const std::string& path);
// How the input is named in messages: the path, or "<stdin>".
std::string input_name(const std::string& path);

// cloud-config.yml as it is on disk, without merging (an absent file is an empty map).
ErrorOr<config::Node> read_user_config(const config::Paths& paths);
// Replaces cloud-config.yml atomically, mode 0600 in a 0700 directory (RancherOS
// wrote 0620 by accident; the file holds host keys and passwords).
ErrorOr<void> write_user_config(const config::Paths& paths, const config::Node& tree);

// Prints load problems to stderr: skipped files and every diagnostic.
void report_load_problems(const config::LoadedConfig& loaded);
void print_diagnostics(const config::Diagnostics& diagnostics);

int fail(std::string_view verb, const Error& error);

} // namespace corral::cli
