#include "cloudinit/pre_console.h"

#include "base/fd.h"
#include "base/file.h"
#include "base/strings.h"
#include "base/system.h"
#include "cloudinit/files.h"

#include <fcntl.h>
#include <unistd.h>

namespace corral::cloudinit {

ErrorOr<std::string> sysctl_relative_path(std::string_view key)
{
    std::string path(trim(key));
    if (path.find('/') == std::string::npos) {
        for (char& c : path) {
            if (c == '.')
                c = '/';
        }
    }
    if (path.empty())
        return Error::from_string("empty sysctl key");
    for (auto const& segment : split(path, '/')) {
        if (segment.empty() || segment == "." || segment == "..")
            return Error::from_string(
                "sysctl key \"" + std::string(key) + "\" is not a key such as net.ipv4.ip_forward");
    }
    return path;
}

void apply_sysctl(const config::Paths& paths, const config::DottedMap& sysctl, Report& report)
{
    for (auto const& [key, value] : sysctl.entries) {
        auto relative = sysctl_relative_path(key);
        if (relative.is_error()) {
            report.error("rancher.sysctl: " + relative.error().message());
            continue;
        }
        std::string path = paths.under_root("/proc/sys/" + *relative);
        // Never O_CREAT: a key the kernel does not have is an error, not a new file.
        auto fd = sys::open(path, O_WRONLY | O_TRUNC);
        if (fd.is_error()) {
            if (fd.error().code() == ENOENT)
                report.error("rancher.sysctl: " + key + ": no such kernel parameter (" + path + ")");
            else
                report.error("rancher.sysctl: " + key + ": " + fd.error().message());
            continue;
        }
        auto written = sys::write_all(fd->get(), value + "\n");
        if (written.is_error())
            report.error("rancher.sysctl: " + key + "=" + value + ": " + written.error().message());
        else
            report.info("rancher.sysctl: " + key + "=" + value);
    }
}

bool valid_hostname(std::string_view name)
{
    if (name.empty() || name.size() > 64 || name[0] == '-' || name[0] == '.')
        return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

std::string hosts_with_hostname(std::string_view hosts, std::string_view hostname)
{
    std::string wanted = "127.0.1.1 " + std::string(hostname);
    std::string out;
    bool placed = false;
    auto lines = split(hosts, '\n');
    if (!lines.empty() && lines.back().empty())
        lines.pop_back(); // the text's final newline
    for (auto const& line : lines) {
        std::string_view content = trim(line);
        bool loopback
            = content.starts_with("127.0.1.1") && content.size() > 9 && (content[9] == ' ' || content[9] == '\t');
        if (loopback) {
            if (!placed)
                out += wanted + "\n";
            placed = true;
            continue;
        }
        out += line + "\n";
    }
    if (!placed)
        out += wanted + "\n";
    return out;
}

namespace {

ErrorOr<void> replace_if_different(const std::string& path, const std::string& text, mode_t mode)
{
    auto current = read_file(path, 1024 * 1024);
    if (!current.is_error() && *current == text)
        return {};
    if (current.is_error() && current.error().code() != ENOENT)
        return current.release_error();
    TRY(mkdir_p(path_dirname(path), 0755));
    return install_file(path, text, mode);
}

} // namespace

ErrorOr<void> apply_hostname(const config::Paths& paths, std::string_view hostname, SetKernelHostname set_kernel)
{
    if (!valid_hostname(hostname))
        return Error::from_string("hostname " + go_quote(hostname) + " is not a valid host name");
    if (set_kernel == SetKernelHostname::Yes) {
        char current[256] = {};
        if (::gethostname(current, sizeof current - 1) < 0 || hostname != current) {
            if (::sethostname(hostname.data(), hostname.size()) < 0)
                return Error::from_syscall("sethostname " + go_quote(hostname));
        }
    }
    TRY(replace_if_different(paths.under_root("/etc/hostname"), std::string(hostname) + "\n", 0644));
    std::string hosts_path = paths.under_root("/etc/hosts");
    auto hosts = read_file(hosts_path, 1024 * 1024);
    if (hosts.is_error() && hosts.error().code() != ENOENT)
        return hosts.release_error();
    std::string current = hosts.is_error() ? std::string("127.0.0.1 localhost\n") : hosts.release_value();
    TRY(replace_if_different(hosts_path, hosts_with_hostname(current, hostname), 0644));
    return {};
}

void execute_pre_console(const config::Paths& paths, const config::CloudConfig& config, Report& report)
{
    apply_sysctl(paths, config.rancher.sysctl, report);
    if (!config.hostname.empty()) {
        auto set_kernel = paths.root == "/" ? SetKernelHostname::Yes : SetKernelHostname::No;
        auto applied = apply_hostname(paths, config.hostname, set_kernel);
        if (applied.is_error())
            report.error("hostname: " + applied.error().message());
        else
            report.info("hostname: " + config.hostname);
    }
    if (!config.rancher.resize_device.empty())
        report.warn("rancher.resize_device: not supported yet, skipped");
    if (!config.rancher.restart_services.empty())
        report.warn("rancher.restart_services: not supported yet, skipped");
}

} // namespace corral::cloudinit
