#include "cloudinit/write_files.h"

#include "base/base64.h"
#include "base/file.h"
#include "cloudinit/files.h"
#include "cloudinit/gzip.h"

#include <unistd.h>

namespace corral::cloudinit {

ErrorOr<std::string> decode_content(std::string_view content, std::string_view encoding)
{
    if (encoding.empty())
        return std::string(content);
    if (encoding == "b64" || encoding == "base64")
        return TRY_CONTEXT(base64_decode(content), "decoding " + std::string(encoding) + " content");
    if (encoding == "gz" || encoding == "gzip")
        return TRY_CONTEXT(gunzip(content), "decoding " + std::string(encoding) + " content");
    if (encoding == "gz+b64" || encoding == "gz+base64" || encoding == "gzip+b64" || encoding == "gzip+base64") {
        std::string compressed = TRY_CONTEXT(base64_decode(content), "decoding " + std::string(encoding) + " content");
        return TRY_CONTEXT(gunzip(compressed), "decoding " + std::string(encoding) + " content");
    }
    return Error::from_string("unknown encoding \"" + std::string(encoding)
        + "\" (expected b64, base64, gz, gzip, gz+b64, gz+base64, gzip+b64 or gzip+base64)");
}

bool belongs_to(const config::WriteFile& file, std::string_view container)
{
    std::string_view target = file.container.empty() ? std::string_view("console") : std::string_view(file.container);
    return target == container;
}

ErrorOr<void> write_file_entry(const config::Paths& paths, const Accounts& accounts, const config::WriteFile& file)
{
    auto fail = [&](Error error) { return std::move(error.context("write_files " + file.path)); };
    if (auto checked = check_config_path(file.path); checked.is_error())
        return fail(checked.release_error());
    auto mode = parse_permissions(file.permissions);
    if (mode.is_error())
        return fail(mode.release_error());
    auto data = decode_content(file.content, file.encoding);
    if (data.is_error())
        return fail(data.release_error());
    std::optional<Owner> owner;
    if (!file.owner.empty() || ::geteuid() == 0) {
        auto resolved = resolve_owner(file.owner, accounts);
        if (resolved.is_error())
            return fail(resolved.release_error());
        owner = *resolved;
    }
    std::string target = paths.under_root(file.path);
    if (auto made = mkdir_p(path_dirname(target), 0755); made.is_error())
        return fail(made.release_error());
    if (auto written = install_file(target, *data, *mode, owner); written.is_error())
        return fail(written.release_error());
    return {};
}

void apply_write_files(const config::Paths& paths, const Accounts& accounts,
    const std::vector<config::WriteFile>& files, std::string_view container, Report& report)
{
    for (auto const& file : files) {
        if (!belongs_to(file, container))
            continue;
        auto written = write_file_entry(paths, accounts, file);
        if (written.is_error())
            report.error(written.error().message());
        else
            report.info("write_files: wrote " + file.path);
    }
}

} // namespace corral::cloudinit
