#pragma once

// `netconf`, the command of the network service. This first version brings
// the loopback and every eth* interface up and runs dhcpcd on the eth*
// interfaces in the foreground (the service's main process, so that the
// container lives as long as the leases are kept), with
// rancher.network.dhcp_timeout (else defaults.network.dhcp_timeout) and the
// configured name servers written to /etc/resolv.conf first. Static
// addresses, bonds, VLANs, bridges and the interfaces: matching rules of
// reference §6 come with the full network configuration.

#include <string>
#include <vector>

namespace corral::netconf {

// The interfaces DHCP runs on: the eth* names among `names`, sorted.
std::vector<std::string> dhcp_interfaces(const std::vector<std::string>& names);

// dhcpcd's command line for them.
std::vector<std::string> dhcpcd_command(const std::vector<std::string>& interfaces, int timeout_seconds);

// resolv.conf text for `nameservers` and `search` (empty when both are).
std::string resolv_conf(const std::vector<std::string>& nameservers, const std::vector<std::string>& search);

int netconf_main(int argc, char** argv);

} // namespace corral::netconf
