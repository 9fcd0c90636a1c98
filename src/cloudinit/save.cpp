#include "cloudinit/save.h"

#include "base/file.h"
#include "base/system.h"
#include "cloudinit/user_data.h"

#include <unistd.h>

namespace corral::cloudinit {

namespace {

ErrorOr<void> remove_if_present(const std::string& path)
{
    if (::unlink(path.c_str()) < 0 && errno != ENOENT)
        return Error::from_syscall("unlink '" + path + "'");
    return {};
}

// The configuration directory holds host keys and passwords: 0700, even when it
// was made earlier with a looser mode.
ErrorOr<void> make_private_directory(const std::string& path)
{
    TRY(mkdir_p(path, 0700));
    if (::chmod(path.c_str(), 0700) < 0)
        return Error::from_syscall("chmod '" + path + "'");
    return {};
}

ErrorOr<bool> save_from_configdrive(
    const config::Paths& paths, const DatasourceSpec& spec, Report& report, const SaveOptions& options)
{
    ConfigDriveOptions drive;
    drive.mount_point = paths.under_root(spec.argument.empty() ? CONFIG_DRIVE_MOUNT_POINT : spec.argument);
    drive.scan = options.scan;
    drive.device_wait = options.device_wait;
    drive.timeout = options.timeout;
    auto data = read_config_drive(drive);
    if (data.is_error()) {
        report.error("configdrive: " + data.error().message());
        return false;
    }
    if (!data.value()) {
        report.info("configdrive: no drive labelled " + std::string(CONFIG_DRIVE_LABEL) + " and nothing at "
            + drive.mount_point);
        return false;
    }
    auto const& found = *data.value();
    for (auto const& warning : found.warnings)
        report.warn("configdrive: " + warning);
    report.info("configdrive: reading " + found.source);

    Metadata metadata;
    if (found.meta_data) {
        auto parsed = parse_openstack_metadata(*found.meta_data, found.source + ":openstack/latest/meta_data.json");
        if (parsed.is_error())
            report.error("configdrive: " + parsed.error().message() + "; ignoring the metadata");
        else
            metadata = parsed.release_value();
    }
    TRY(save_datasource_data(paths, found.user_data, metadata, found.source + ":openstack/latest/user_data", report));
    return true;
}

} // namespace

DatasourceSpec parse_datasource(std::string_view spec)
{
    size_t colon = spec.find(':');
    if (colon == std::string_view::npos)
        return { std::string(spec), {} };
    return { std::string(spec.substr(0, colon)), std::string(spec.substr(colon + 1)) };
}

std::string boot_config_path(const config::Paths& paths)
{
    return paths.cloud_config_dir() + "/boot.yml";
}

std::string cloud_config_script_path(const config::Paths& paths)
{
    return paths.conf_dir() + "/cloud-config-script";
}

ErrorOr<void> save_datasource_data(const config::Paths& paths, std::string_view user_data, const Metadata& metadata,
    const std::string& source, Report& report)
{
    TRY(make_private_directory(paths.conf_dir()));
    TRY(make_private_directory(paths.cloud_config_dir()));
    UserData processed = process_user_data(user_data, source);
    for (auto const& warning : processed.warnings)
        report.warn(warning);
    std::string boot = boot_config_path(paths);
    std::string script = cloud_config_script_path(paths);
    switch (processed.kind) {
    case UserDataKind::Empty:
        report.info(source + ": no user data");
        TRY(remove_if_present(boot));
        TRY(remove_if_present(script));
        break;
    case UserDataKind::CloudConfig:
    case UserDataKind::Compose:
        for (auto const& error : processed.errors)
            report.error(error + " (saved; the loader ignores this value)");
        TRY(write_file_atomic(boot, processed.cloud_config, 0600, KeepMode::No));
        TRY(remove_if_present(script));
        report.info(source + ": saved " + user_data_kind_name(processed.kind) + " user data to " + boot);
        break;
    case UserDataKind::Script:
        TRY(write_file_atomic(script, processed.script, 0500, KeepMode::No));
        TRY(remove_if_present(boot));
        report.info(source + ": saved the user-data script to " + script);
        break;
    case UserDataKind::Invalid:
    case UserDataKind::Unrecognized:
        for (auto const& error : processed.errors)
            report.error(error);
        break;
    }
    TRY(write_file_atomic(paths.metadata(), metadata_yaml(metadata), 0600, KeepMode::No));
    return {};
}

ErrorOr<bool> cloud_init_save(
    const config::Paths& paths, const std::vector<std::string>& datasources, Report& report, const SaveOptions& options)
{
    if (datasources.empty()) {
        report.info("no datasources configured (rancher.cloud_init.datasources)");
        return false;
    }
    for (auto const& text : datasources) {
        DatasourceSpec spec = parse_datasource(text);
        if (spec.name == "configdrive" || spec.name == "*") {
            if (spec.name == "*")
                report.warn("datasource *: only configdrive is supported yet; trying it alone");
            if (TRY(save_from_configdrive(paths, spec, report, options)))
                return true;
            continue;
        }
        report.warn("datasource " + text + ": not supported yet, skipped");
    }
    return false;
}

} // namespace corral::cloudinit
