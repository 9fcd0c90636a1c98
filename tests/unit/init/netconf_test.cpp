#include "netconf/netconf.h"

#include <gtest/gtest.h>

using namespace corral::netconf;

TEST(Netconf, DhcpRunsOnEthInterfacesOnly)
{
    std::vector<std::string> names = { "lo", "eth1", "docker0", "eth0", "veth12ab", "wlan0" };
    std::vector<std::string> expected = { "eth0", "eth1" };
    EXPECT_EQ(dhcp_interfaces(names), expected);
}

TEST(Netconf, DhcpcdCommand)
{
    std::vector<std::string> expected = { "dhcpcd", "--nobackground", "--noarp", "--nodelay", "--timeout", "10", "eth0", "eth1" };
    EXPECT_EQ(dhcpcd_command({ "eth0", "eth1" }, 10), expected);
}

TEST(Netconf, ResolvConf)
{
    EXPECT_EQ(resolv_conf({ "1.1.1.1", "8.8.8.8" }, { "example.com" }),
        "search example.com\nnameserver 1.1.1.1\nnameserver 8.8.8.8\n");
    EXPECT_EQ(resolv_conf({}, {}), "");
}
