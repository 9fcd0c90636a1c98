#include "netconf/netconf.h"

#include "base/file.h"
#include "base/fd.h"
#include "base/system.h"
#include "config/loader.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace corral::netconf {

namespace {

bool set_up(const std::string& name)
{
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    struct ifreq request {};
    std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
    bool ok = ::ioctl(fd, SIOCGIFFLAGS, &request) == 0;
    if (ok && !(request.ifr_flags & IFF_UP)) {
        request.ifr_flags |= IFF_UP;
        ok = ::ioctl(fd, SIOCSIFFLAGS, &request) == 0;
    }
    if (!ok)
        std::fprintf(stderr, "netconf: bringing %s up: %s\n", name.c_str(), std::strerror(errno));
    ::close(fd);
    return ok;
}

} // namespace

std::vector<std::string> dhcp_interfaces(const std::vector<std::string>& names)
{
    std::vector<std::string> out;
    for (auto const& name : names) {
        if (name.starts_with("eth"))
            out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> dhcpcd_command(const std::vector<std::string>& interfaces, int timeout_seconds)
{
    // --nobackground: dhcpcd is the service's process. -t bounds the wait for
    // the first lease; dhcpcd keeps trying in the background of itself after.
    // --noarp: no RFC 5227 probe of the offered address, which holds the lease
    // back by up to 7 s, and every service that comes after the network with it;
    // --nodelay: no random wait of up to a second before the first request.
    std::vector<std::string> argv
        = { "dhcpcd", "--nobackground", "--noarp", "--nodelay", "--timeout", std::to_string(timeout_seconds) };
    argv.insert(argv.end(), interfaces.begin(), interfaces.end());
    return argv;
}

std::string resolv_conf(const std::vector<std::string>& nameservers, const std::vector<std::string>& search)
{
    std::string text;
    if (!search.empty()) {
        text += "search";
        for (auto const& s : search)
            text += " " + s;
        text += "\n";
    }
    for (auto const& server : nameservers)
        text += "nameserver " + server + "\n";
    return text;
}

int netconf_main(int, char**)
{
    auto cfg = config::load_config(config::Paths::from_environment());
    auto const& network = cfg.typed.rancher.network;
    auto const& defaults = cfg.typed.rancher.defaults.network;
    set_up("lo");
    // Configured name servers win over what DHCP offers; dhcpcd is told not
    // to touch resolv.conf then.
    bool static_dns = !network.dns.nameservers.empty();
    if (static_dns) {
        std::string text = resolv_conf(network.dns.nameservers, network.dns.search);
        // Written in place: /etc/resolv.conf is a bind mount from the host.
        if (auto fd = sys::open("/etc/resolv.conf", O_WRONLY | O_TRUNC | O_CREAT, 0644); !fd.is_error())
            (void)sys::write_all(fd.value().get(), text);
    }
    auto interfaces = dhcp_interfaces(list_dir("/sys/class/net"));
    for (auto const& name : interfaces)
        set_up(name);
    if (interfaces.empty()) {
        std::printf("netconf: no eth* interface; nothing to configure\n");
        return 0;
    }
    int timeout = static_cast<int>(network.dhcp_timeout.value_or(defaults.dhcp_timeout.value_or(10)));
    auto argv = dhcpcd_command(interfaces, timeout);
    if (static_dns)
        argv.insert(argv.begin() + 1, { "--nohook", "resolv.conf" });
    std::vector<char*> args;
    for (auto& a : argv)
        args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "netconf: exec dhcpcd: %s\n", std::strerror(errno));
    return 127;
}

} // namespace corral::netconf
