#include "cli/cloud_init_verbs.h"

#include "base/file.h"
#include "base/log.h"
#include "cli/config_common.h"
#include "cloudinit/apply_console.h"
#include "cloudinit/pre_console.h"
#include "cloudinit/save.h"
#include "config/loader.h"

#include <cstdio>
#include <string>
#include <string_view>

namespace corral::cli {

namespace {

void open_boot_log(const config::Paths& paths, std::string_view program)
{
    std::string dir = paths.under_root("/var/log/boot");
    if (mkdir_p(dir, 0755).is_error())
        return; // stderr still has everything
    (void)log::open_file(dir + "/" + std::string(program) + ".log"); // stderr still has everything
}

cloudinit::Report logging_report()
{
    return cloudinit::Report([](LogLevel level, const std::string& message) { log::write(level, message); });
}

} // namespace

int cloud_init_save_main(int argc, char** argv)
{
    log::set_program("cloud-init-save");
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::printf("Usage: cloud-init-save\n\nSaves the user data and metadata of the first datasource of "
                        "rancher.cloud_init.datasources\nto /var/lib/rancher/conf (under $ROS_ROOT).\n");
            return 0;
        }
        log::error("unexpected argument \"" + std::string(arg) + "\"");
        return 2;
    }
    auto paths = config::Paths::from_environment();
    open_boot_log(paths, "cloud-init-save");
    auto loaded = config::load_config(paths);
    report_load_problems(loaded);
    auto report = logging_report();
    auto saved = cloudinit::cloud_init_save(paths, loaded.typed.rancher.cloud_init.datasources, report);
    if (saved.is_error()) {
        log::error("saving the cloud-config: " + saved.error().message());
        return 1;
    }
    return 0;
}

int cloud_init_execute_main(int argc, char** argv)
{
    log::set_program("cloud-init-execute");
    bool pre_console = false;
    bool console = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        // Go's flag package took one dash or two; RancherOS's services use one.
        if (arg == "-pre-console" || arg == "--pre-console") {
            pre_console = true;
        } else if (arg == "-console" || arg == "--console") {
            console = true;
        } else if (arg == "-h" || arg == "--help" || arg == "-help") {
            std::printf("Usage: cloud-init-execute [-pre-console] [-console]\n\n"
                        "  -pre-console  apply rancher.sysctl and the hostname\n"
                        "  -console      apply ssh_authorized_keys, write_files and runcmd\n"
                        "With neither, both run.\n");
            return 0;
        } else {
            log::error("unexpected argument \"" + std::string(arg)
                + "\" (usage: cloud-init-execute [-pre-console] [-console])");
            return 2;
        }
    }
    if (!pre_console && !console)
        pre_console = console = true;
    auto paths = config::Paths::from_environment();
    open_boot_log(paths, "cloud-init-execute");
    auto loaded = config::load_config(paths);
    report_load_problems(loaded);
    auto report = logging_report();
    if (pre_console)
        cloudinit::execute_pre_console(paths, loaded.typed, report);
    if (console)
        cloudinit::apply_console(paths, loaded.typed, report);
    return 0;
}

} // namespace corral::cli
