#include "cli/config_common.h"

#include "base/file.h"
#include "base/log.h"
#include "base/system.h"
#include "config/yaml.h"

#include <unistd.h>

namespace corral::cli {

ErrorOr<std::string> read_input(const std::string& path)
{
    if (path.empty() || path == "-")
        return TRY_CONTEXT(sys::read_all(STDIN_FILENO, 16 * 1024 * 1024), "reading standard input");
    return read_file(path, 16 * 1024 * 1024);
}

std::string input_name(const std::string& path)
{
    return path.empty() || path == "-" ? std::string("<stdin>") : path;
}

ErrorOr<config::Node> read_user_config(const config::Paths& paths)
{
    std::string path = paths.cloud_config();
    auto text = read_file(path);
    if (text.is_error()) {
        if (text.error().code() == ENOENT)
            return config::Node::map();
        return text.release_error();
    }
    config::Node tree = TRY_CONTEXT(config::parse_yaml(text.value(), path),
        "refusing to rewrite " + path + ", which does not parse; fix or remove it first");
    if (tree.is_null())
        return config::Node::map();
    if (!tree.is_map())
        return Error::from_string(path + " holds " + tree.describe() + ", not a map; fix or remove it first");
    return tree;
}

ErrorOr<void> write_user_config(const config::Paths& paths, const config::Node& tree)
{
    TRY(mkdir_p(paths.conf_dir(), 0700));
    TRY(write_file_atomic(paths.cloud_config(), config::emit_yaml(tree), 0600, KeepMode::No));
    return {};
}

void print_diagnostics(const config::Diagnostics& diagnostics)
{
    for (auto const& d : diagnostics) {
        if (d.severity == config::Diagnostic::Severity::Error)
            log::error(d.describe());
        else
            log::warn(d.describe());
    }
}

void report_load_problems(const config::LoadedConfig& loaded)
{
    for (auto const& skipped : loaded.skipped)
        log::error(skipped);
    print_diagnostics(loaded.diagnostics);
}

int fail(std::string_view verb, const Error& error)
{
    log::error(std::string(verb) + ": " + error.message());
    return 1;
}

} // namespace corral::cli
