#include "cloudinit/console_setup.h"

#include "base/fd.h"
#include "base/file.h"
#include "base/process.h"
#include "base/strings.h"
#include "base/system.h"
#include "cloudinit/files.h"
#include "config/cmdline.h"
#include "config/keypath.h"

#include <algorithm>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

namespace corral::cloudinit {

namespace {

bool contains(const std::vector<std::string>& list, std::string_view item)
{
    return std::find(list.begin(), list.end(), item) != list.end();
}

// rancher.password and rancher.autologin as the config loader types them.
void read_rancher_words(std::string_view cmdline, ConsoleCmdline& out)
{
    auto parsed = config::parse_cmdline(cmdline, "/proc/cmdline");
    if (const config::Node* password = config::find_path(parsed.tree, { "rancher", "password" });
        password && password->is_scalar() && !password->is_null()) {
        out.password = password->text();
    }
    if (const config::Node* autologin = config::find_path(parsed.tree, { "rancher", "autologin" })) {
        if (autologin->is_list()) {
            for (auto const& item : autologin->items()) {
                if (item.is_scalar() && !item.text().empty())
                    out.autologin.push_back(item.text());
            }
        } else if (autologin->is_scalar() && !autologin->text().empty()) {
            out.autologin.push_back(autologin->text());
        }
    }
}

// Inside double quotes, so that $HOME-style references still expand but blanks
// and quotes in a directory name do not break the line.
std::string double_quoted_body(std::string_view text)
{
    std::string out;
    for (char c : text) {
        if (c == '"' || c == '\\' || c == '`')
            out += '\\';
        out += c;
    }
    return out;
}

} // namespace

ConsoleCmdline parse_console_cmdline(std::string_view cmdline)
{
    ConsoleCmdline out;
    read_rancher_words(cmdline, out);
    for (auto const& word : config::split_cmdline(cmdline)) {
        if (!word.starts_with("console="))
            continue;
        std::string_view value = std::string_view(word).substr(8);
        SerialConsole console;
        size_t comma = value.find(',');
        console.tty = std::string(value.substr(0, comma));
        if (console.tty.starts_with("/dev/"))
            console.tty.erase(0, 5);
        if (comma != std::string_view::npos) {
            std::string_view options = value.substr(comma + 1);
            size_t digits = 0;
            while (digits < options.size() && options[digits] >= '0' && options[digits] <= '9')
                ++digits;
            console.baud = std::string(options.substr(0, digits));
        }
        if (!console.tty.empty())
            out.consoles.push_back(std::move(console));
    }
    return out;
}

std::string respawn_conf(std::string_view cmdline, const config::CloudConfig& config,
    const std::vector<std::string>& ttys, const RespawnConfOptions& options)
{
    ConsoleCmdline parsed = parse_console_cmdline(cmdline);
    bool autologin_allowed = !contains(config.rancher.disable, "autologin");
    auto autologin = [&](const std::string& tty) -> std::string {
        if (!autologin_allowed || !contains(parsed.autologin, tty))
            return "";
        return " -n -l " + options.autologin_program + " -o " + options.user + ":" + tty;
    };

    std::string out;
    for (int i = 1; i <= 6; ++i) {
        std::string tty = "tty" + std::to_string(i);
        if (contains(ttys, tty))
            out += std::string(GETTY) + autologin(tty) + " --noclear " + tty + " linux\n";
    }
    for (const char* serial : SERIAL_TTYS) {
        auto console = std::find_if(
            parsed.consoles.begin(), parsed.consoles.end(), [&](auto const& c) { return c.tty == serial; });
        if (console == parsed.consoles.end() || !contains(ttys, serial))
            continue;
        std::string baud = console->baud.empty() ? "115200" : console->baud;
        out += std::string(GETTY) + autologin(serial) + " -L " + baud + " " + serial + " vt100\n";
    }
    if (config.rancher.ssh.daemon) {
        out += std::string(SSHD) + " -D";
        if (config.rancher.ssh.port > 0 && config.rancher.ssh.port <= 65535)
            out += " -p " + std::to_string(config.rancher.ssh.port);
        std::string_view address = trim(config.rancher.ssh.listen_address);
        if (!address.empty() && address.find_first_of(" \t") == std::string_view::npos)
            out += " -o ListenAddress=" + std::string(address);
        out += "\n";
    }
    return out;
}

HostKeyAction host_key_action(
    bool key_file_exists, const std::map<std::string, std::string>& saved_keys, std::string_view type)
{
    if (key_file_exists)
        return HostKeyAction::Keep;
    auto has = [&](const std::string& key) {
        auto it = saved_keys.find(key);
        return it != saved_keys.end() && !trim(it->second).empty();
    };
    if (has(std::string(type)) && has(std::string(type) + "-pub"))
        return HostKeyAction::WriteFromConfig;
    return HostKeyAction::Generate;
}

std::map<std::string, std::string> ensure_host_keys(const config::Paths& paths,
    const std::map<std::string, std::string>& saved_keys, Report& report, std::span<const char* const> types)
{
    std::map<std::string, std::string> generated;
    std::string dir = paths.under_root("/etc/ssh");
    if (auto made = mkdir_p(dir, 0755); made.is_error()) {
        report.error("ssh host keys: " + made.error().message());
        return generated;
    }
    for (const char* type : types) {
        std::string key_file = dir + "/ssh_host_" + std::string(type) + "_key";
        struct stat st { };
        bool exists = ::lstat(key_file.c_str(), &st) == 0;
        switch (host_key_action(exists, saved_keys, type)) {
        case HostKeyAction::Keep:
            break;
        case HostKeyAction::WriteFromConfig: {
            auto with_newline = [](std::string text) {
                if (!text.empty() && text.back() != '\n')
                    text += '\n';
                return text;
            };
            auto written
                = install_file(key_file + ".pub", with_newline(saved_keys.at(std::string(type) + "-pub")), 0644);
            if (!written.is_error())
                written = install_file(key_file, with_newline(saved_keys.at(type)), 0600);
            if (written.is_error())
                report.error("ssh host key " + std::string(type) + ": " + written.error().message());
            else
                report.info("ssh host key " + std::string(type) + ": restored from rancher.ssh.keys");
            break;
        }
        case HostKeyAction::Generate: {
            (void)::unlink((key_file + ".pub").c_str()); // a stale half would make ssh-keygen ask
            SpawnOptions options;
            options.argv = { "ssh-keygen", "-q", "-N", "", "-t", type, "-f", key_file };
            auto ran = run(options);
            if (ran.is_error()) {
                report.error("ssh host key " + std::string(type) + ": " + ran.error().message());
                break;
            }
            if (ran->status.code() != 0) {
                report.error("ssh host key " + std::string(type) + ": ssh-keygen failed (" + ran->status.describe()
                    + "): " + std::string(trim(ran->err)));
                break;
            }
            auto key = read_file(key_file, 1024 * 1024);
            auto pub = read_file(key_file + ".pub", 1024 * 1024);
            if (key.is_error() || pub.is_error()) {
                report.error("ssh host key " + std::string(type) + ": "
                    + (key.is_error() ? key.error().message() : pub.error().message()));
                break;
            }
            generated[type] = key.release_value();
            generated[std::string(type) + "-pub"] = pub.release_value();
            report.info("ssh host key " + std::string(type) + ": generated");
            break;
        }
        }
    }
    return generated;
}

std::vector<InterfaceAddress> interface_addresses()
{
    std::vector<InterfaceAddress> out;
    struct ifaddrs* list = nullptr;
    if (::getifaddrs(&list) < 0)
        return out;
    for (auto* entry = list; entry; entry = entry->ifa_next) {
        if (!entry->ifa_addr || entry->ifa_addr->sa_family != AF_INET)
            continue;
        if ((entry->ifa_flags & IFF_LOOPBACK) || !(entry->ifa_flags & IFF_UP))
            continue;
        char text[INET_ADDRSTRLEN] = {};
        auto const* address = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
        if (::inet_ntop(AF_INET, &address->sin_addr, text, sizeof text))
            out.push_back({ entry->ifa_name, text });
    }
    ::freeifaddrs(list);
    return out;
}

std::string issue_text(std::string_view version, const std::vector<InterfaceAddress>& addresses)
{
    std::string out = "CorralOS " + std::string(version) + " \\n \\l\n\n";
    for (auto const& address : addresses)
        out += address.interface + ": " + address.address + "\n";
    if (!addresses.empty())
        out += "\n";
    return out;
}

std::optional<std::string> path_profile(const std::map<std::string, std::string>& environment)
{
    std::vector<std::string> lines;
    for (const char* key : { "PATH", "path" }) {
        auto it = environment.find(key);
        if (it == environment.end())
            continue;
        for (auto const& part : split(it->second, ',')) {
            std::string_view dir = trim(part);
            if (!dir.empty())
                lines.push_back("export PATH=\"$PATH:" + double_quoted_body(dir) + "\"");
        }
    }
    if (lines.empty())
        return std::nullopt;
    return "#!/bin/sh\n" + join(lines, "\n") + "\n";
}

std::optional<std::string> proxy_profile(const std::map<std::string, std::string>& environment)
{
    std::vector<std::string> lines;
    for (const char* key : { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY" }) {
        auto it = environment.find(key);
        if (it != environment.end())
            lines.push_back("export " + std::string(key) + "=" + shell_single_quote(it->second));
    }
    if (lines.empty())
        return std::nullopt;
    return "#!/bin/sh\n" + join(lines, "\n") + "\n";
}

} // namespace corral::cloudinit
