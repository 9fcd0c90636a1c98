#include "cli/entrypoint.h"

#include "base/file.h"
#include "base/log.h"
#include "cli/config_common.h"
#include "cloudinit/accounts.h"
#include "cloudinit/files.h"
#include "cloudinit/report.h"
#include "cloudinit/write_files.h"
#include "config/loader.h"

#include <cstdlib>
#include <cstring>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace corral::cli {

namespace {

bool is_directory(const std::string& path)
{
    struct stat st { };
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists_no_follow(const std::string& path)
{
    struct stat st { };
    return ::lstat(path.c_str(), &st) == 0;
}

int bind_host_dev(const config::Paths& paths)
{
    std::string host_dev = paths.under_root("/host/dev");
    if (!is_directory(host_dev))
        return 0;
    std::string dev = paths.under_root("/dev");
    if (::mount(host_dev.c_str(), dev.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) {
        log::error("mount --rbind " + host_dev + " " + dev + ": " + std::strerror(errno));
        return 1;
    }
    return 0;
}

int copy_ca_certificates(const config::Paths& paths)
{
    std::string from = paths.under_root("/etc/ssl/certs/ca-certificates.crt.rancher");
    auto text = read_file(from);
    if (text.is_error()) {
        if (text.error().code() == ENOENT)
            return 0;
        log::error("copying the CA certificates: " + text.error().message());
        return 1;
    }
    auto written = cloudinit::install_file(paths.under_root("/etc/ssl/certs/ca-certificates.crt"), *text, 0644);
    if (written.is_error()) {
        log::error("copying the CA certificates: " + written.error().message());
        return 1;
    }
    return 0;
}

int write_container_files(const config::Paths& paths)
{
    const char* name = std::getenv("CORRAL_CONTAINER_NAME");
    if (!name || !*name) {
        log::debug("CORRAL_CONTAINER_NAME is not set: no write_files for this container");
        return 0;
    }
    auto loaded = config::load_config(paths);
    bool any = false;
    for (auto const& file : loaded.typed.write_files)
        any |= cloudinit::belongs_to(file, name);
    if (!any)
        return 0;
    report_load_problems(loaded);
    auto accounts = cloudinit::Accounts::load(paths);
    if (accounts.is_error()) {
        log::error("write_files: reading the users and groups: " + accounts.error().message());
        return 1;
    }
    cloudinit::Report report([](LogLevel level, const std::string& message) { log::write(level, message); });
    cloudinit::apply_write_files(paths, *accounts, loaded.typed.write_files, name, report);
    return report.error_count() ? 1 : 0;
}

int make_applet_links(const config::Paths& paths)
{
    for (const char* link : ENTRYPOINT_LINKS) {
        std::string path = paths.under_root(link);
        if (exists_no_follow(path) || !is_directory(path_dirname(path)))
            continue;
        // A read-only image (or /usr/bin bind-mounted read-only) is normal: the
        // links are a convenience, so failing to make one is not worth a warning.
        if (::symlink("/usr/bin/ros", path.c_str()) < 0 && errno != EEXIST)
            log::debug("symlink " + path + ": " + std::strerror(errno));
    }
    return 0;
}

} // namespace

int prepare_entrypoint(const config::Paths& paths)
{
    int failed = 0;
    failed += bind_host_dev(paths);
    failed += copy_ca_certificates(paths);
    failed += write_container_files(paths);
    failed += make_applet_links(paths);
    return failed;
}

int entrypoint(const config::Paths& paths, const std::vector<std::string>& command)
{
    (void)prepare_entrypoint(paths); // each step logs its own failure; the command still runs
    std::vector<std::string> argv = command.empty() ? std::vector<std::string> { "/bin/sh" } : command;
    std::vector<char*> args;
    for (auto& word : argv)
        args.push_back(word.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    log::error("exec " + argv[0] + ": " + std::strerror(errno));
    return 127;
}

} // namespace corral::cli
