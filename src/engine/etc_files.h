#pragma once

// The contents of a container's /etc/hostname, /etc/hosts and /etc/resolv.conf,
// by the rules of Docker's libnetwork (sandbox_dns_unix.go, etchosts, resolvconf)
// as of Docker 20.10-23.0. Pure functions: the engine reads the host's files,
// passes their text in and writes the results where the container will see them.

#include "base/error.h"

#include <string>
#include <string_view>
#include <vector>

namespace corral::engine {

struct EtcInput {
    // "host", "none", "" / "default" / "bridge" or a network name. "container:<id>"
    // is the engine's business (it reuses the other container's files); these
    // functions treat it like a bridge network.
    std::string network_mode;
    std::string hostname; // Config.Hostname, already defaulted by the engine
    std::string domainname;
    // HostConfig.ExtraHosts: "name:ip", split at the first ':' so that "h:::1"
    // is an IPv6 address. The ip "host-gateway" stands for host_gateway_ip.
    std::vector<std::string> extra_hosts;
    std::vector<std::string> dns;
    std::vector<std::string> dns_search;
    std::vector<std::string> dns_options;
    std::string container_ip; // empty when the container has no address of its own
    std::string host_gateway_ip; // dockerd's --host-gateway-ip (the bridge's address)
    bool ipv6 { false }; // the container's network has IPv6
};

// Docker's refusals, for the engine to run when the container is created (where
// Docker refuses them) rather than when it starts. EINVAL with Docker's messages:
//   bad format for add-host: "x"
//   invalid IP address in add-host: "x"
//   unable to derive the IP value for host-gateway
//   invalid IP address: "x"          (a --dns entry)
//   x is not a valid domain          (a --dns-search entry)
//   invalid DNS option: "x"          (empty, or with control characters)
ErrorOr<void> validate_etc_input(const EtcInput& input);

// "<hostname>\n" (Docker writes no domain into /etc/hostname).
std::string hostname_file(const EtcInput& input);

// Host network without extra hosts: the host's file as it is. Otherwise Docker's
// default block, then one "ip\tname" line per extra host, then (when the container
// has an address and is not on the host network) "ip\tfqdn short" for itself,
// where fqdn is hostname[.domainname] and " short" is added when fqdn has a dot.
// Validates as validate_etc_input.
ErrorOr<std::string> hosts_file(const EtcInput& input, std::string_view host_hosts);

// `host_resolv_conf` is the text of the host's resolv.conf (the engine picks
// systemd-resolved's upstream file when /etc/resolv.conf names only 127.0.0.53;
// empty when there is none).
//   - dns, dns_search or dns_options given: a new file of "search", "nameserver"
//     and "options" lines; what is not given comes from the host's file.
//   - otherwise, host network: the host's file unchanged;
//   - otherwise: the host's file without loopback nameservers (127.0.0.0/8, ::1)
//     and, on a network without IPv6, without IPv6 nameservers; Google's public
//     servers when no nameserver is left. Comments and other lines stay.
// Validates as validate_etc_input.
ErrorOr<std::string> resolv_conf_file(const EtcInput& input, std::string_view host_resolv_conf);

} // namespace corral::engine
