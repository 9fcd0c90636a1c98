// /etc/hostname, /etc/hosts and /etc/resolv.conf contents, byte for byte, for each
// of libnetwork's rules.

#include "engine/etc_files.h"

#include <gtest/gtest.h>

namespace corral::engine {
namespace {

constexpr std::string_view DEFAULT_BLOCK = "127.0.0.1\tlocalhost\n"
                                           "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                           "fe00::0\tip6-localnet\n"
                                           "ff00::0\tip6-mcastprefix\n"
                                           "ff02::1\tip6-allnodes\n"
                                           "ff02::2\tip6-allrouters\n";

constexpr std::string_view HOST_HOSTS = "127.0.0.1 localhost\n127.0.1.1 buildbox\n";

EtcInput bridge()
{
    EtcInput input;
    input.network_mode = "bridge";
    input.hostname = "0123456789ab";
    input.container_ip = "172.17.0.2";
    return input;
}

EtcInput host()
{
    EtcInput input;
    input.network_mode = "host";
    input.hostname = "buildbox";
    return input;
}

std::string hosts_or_die(const EtcInput& input, std::string_view host_hosts = HOST_HOSTS)
{
    auto result = hosts_file(input, host_hosts);
    EXPECT_FALSE(result.is_error()) << result.error().message();
    return result.is_error() ? std::string() : result.release_value();
}

std::string resolv_or_die(const EtcInput& input, std::string_view host_resolv)
{
    auto result = resolv_conf_file(input, host_resolv);
    EXPECT_FALSE(result.is_error()) << result.error().message();
    return result.is_error() ? std::string() : result.release_value();
}

TEST(HostnameFile, IsTheHostnameAndANewline)
{
    EtcInput input = bridge();
    input.domainname = "example.com";
    EXPECT_EQ(hostname_file(input), "0123456789ab\n");
}

TEST(HostsFile, BridgeGetsDefaultsThenItsOwnRecord)
{
    EXPECT_EQ(hosts_or_die(bridge()), std::string(DEFAULT_BLOCK) + "172.17.0.2\t0123456789ab\n");
}

TEST(HostsFile, BridgeDefaultModeNamesAreTheSame)
{
    EtcInput input = bridge();
    for (const char* mode : { "", "default", "my-network" }) {
        input.network_mode = mode;
        EXPECT_EQ(hosts_or_die(input), std::string(DEFAULT_BLOCK) + "172.17.0.2\t0123456789ab\n") << mode;
    }
}

TEST(HostsFile, ExtraHostsComeBeforeTheContainerRecord)
{
    EtcInput input = bridge();
    input.extra_hosts = { "db:10.0.0.5", "v6host:::1", "gw:host-gateway" };
    input.host_gateway_ip = "172.17.0.1";
    EXPECT_EQ(hosts_or_die(input),
        std::string(DEFAULT_BLOCK) + "10.0.0.5\tdb\n::1\tv6host\n172.17.0.1\tgw\n172.17.0.2\t0123456789ab\n");
}

TEST(HostsFile, DomainnameGivesFqdnThenShortName)
{
    EtcInput input = bridge();
    input.hostname = "web";
    input.domainname = "example.com";
    EXPECT_EQ(hosts_or_die(input), std::string(DEFAULT_BLOCK) + "172.17.0.2\tweb.example.com web\n");
}

TEST(HostsFile, DottedHostnameAlsoGetsShortName)
{
    EtcInput input = bridge();
    input.hostname = "web.internal";
    EXPECT_EQ(hosts_or_die(input), std::string(DEFAULT_BLOCK) + "172.17.0.2\tweb.internal web\n");
}

TEST(HostsFile, NoAddressNoOwnRecord)
{
    EtcInput input = bridge();
    input.network_mode = "none";
    input.container_ip.clear();
    EXPECT_EQ(hosts_or_die(input), DEFAULT_BLOCK);
}

TEST(HostsFile, HostNetworkCopiesTheHostFile)
{
    EXPECT_EQ(hosts_or_die(host()), HOST_HOSTS);
    EXPECT_EQ(hosts_or_die(host(), ""), "");
}

TEST(HostsFile, HostNetworkWithExtraHostsGetsDockersFreshFile)
{
    EtcInput input = host();
    input.extra_hosts = { "db:10.0.0.5" };
    input.container_ip = "10.9.9.9"; // ignored: the host network has no address of its own
    EXPECT_EQ(hosts_or_die(input), std::string(DEFAULT_BLOCK) + "10.0.0.5\tdb\n");
}

TEST(HostsFile, BadExtraHostsAreRefused)
{
    struct Case {
        const char* entry;
        const char* message;
    };
    for (auto const& [entry, message] : std::initializer_list<Case> {
             { "db", "bad format for add-host: \"db\"" },
             { ":1.2.3.4", "bad format for add-host: \":1.2.3.4\"" },
             { "db:1.2.3", "invalid IP address in add-host: \"1.2.3\"" },
             { "db:", "invalid IP address in add-host: \"\"" },
             { "db=1.2.3.4", "bad format for add-host: \"db=1.2.3.4\"" },
             { "a\nb:1.2.3.4", "bad format for add-host: \"a\nb:1.2.3.4\"" },
             { "gw:host-gateway", "unable to derive the IP value for host-gateway" },
         }) {
        EtcInput input = bridge();
        input.extra_hosts = { entry };
        auto result = hosts_file(input, HOST_HOSTS);
        ASSERT_TRUE(result.is_error()) << entry;
        EXPECT_EQ(result.error().code(), EINVAL);
        EXPECT_EQ(result.error().message(), message);
    }
}

// resolv.conf

constexpr std::string_view RESOLVED_STUB = "# This is /run/systemd/resolve/stub-resolv.conf\n"
                                           "nameserver 127.0.0.53\n"
                                           "options edns0 trust-ad\n"
                                           "search lan\n";

TEST(ResolvConf, BridgeKeepsAUsableHostFile)
{
    std::string host_file = "# upstream\nnameserver 192.168.1.1\nsearch lan\noptions ndots:2\n";
    EXPECT_EQ(resolv_or_die(bridge(), host_file), host_file);
}

TEST(ResolvConf, BridgeDropsLoopbackServersAndFallsBackToGoogle)
{
    EXPECT_EQ(resolv_or_die(bridge(), RESOLVED_STUB),
        "# This is /run/systemd/resolve/stub-resolv.conf\n"
        "options edns0 trust-ad\n"
        "search lan\n"
        "nameserver 8.8.8.8\n"
        "nameserver 8.8.4.4\n");
}

TEST(ResolvConf, BridgeDropsLoopbackButKeepsOthers)
{
    EXPECT_EQ(resolv_or_die(bridge(), "nameserver 127.0.0.1\n\nnameserver ::1\nnameserver 10.0.0.1\n"),
        "nameserver 10.0.0.1\n");
}

TEST(ResolvConf, BridgeWithoutIpv6DropsIpv6Servers)
{
    std::string host_file = "nameserver 2001:db8::53\nnameserver fe80::1%eth0\nnameserver 10.0.0.1\n";
    EXPECT_EQ(resolv_or_die(bridge(), host_file), "nameserver 10.0.0.1\n");
    EtcInput input = bridge();
    input.ipv6 = true;
    EXPECT_EQ(resolv_or_die(input, host_file), host_file);
}

TEST(ResolvConf, NoneKeepsIpv6ServersAndItsDefaultsIncludeIpv6)
{
    EtcInput input = bridge();
    input.network_mode = "none";
    input.container_ip.clear();
    EXPECT_EQ(resolv_or_die(input, "nameserver 2001:db8::53\n"), "nameserver 2001:db8::53\n");
    EXPECT_EQ(resolv_or_die(input, ""),
        "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
        "nameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n");
}

TEST(ResolvConf, EmptyHostFileGetsGoogle)
{
    EXPECT_EQ(resolv_or_die(bridge(), ""), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

TEST(ResolvConf, CommentedServersDoNotCount)
{
    EXPECT_EQ(resolv_or_die(bridge(), "# nameserver 1.1.1.1\nsearch lan"),
        "# nameserver 1.1.1.1\nsearch lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

TEST(ResolvConf, MissingFinalNewlineIsKept)
{
    EXPECT_EQ(resolv_or_die(bridge(), "nameserver 10.0.0.1"), "nameserver 10.0.0.1");
}

TEST(ResolvConf, HostNetworkCopiesTheHostFileEvenWithLoopback)
{
    EXPECT_EQ(resolv_or_die(host(), RESOLVED_STUB), RESOLVED_STUB);
}

TEST(ResolvConf, DnsReplacesServersAndKeepsHostSearchAndOptions)
{
    EtcInput input = bridge();
    input.dns = { "1.1.1.1", "2606:4700:4700::1111" };
    EXPECT_EQ(resolv_or_die(input, "# comment\nnameserver 10.0.0.1\nsearch a.example b.example\noptions rotate\n"),
        "search a.example b.example\n"
        "nameserver 1.1.1.1\n"
        "nameserver 2606:4700:4700::1111\n"
        "options rotate\n");
}

TEST(ResolvConf, SearchAndOptionsReplaceTheHostOnes)
{
    EtcInput input = bridge();
    input.dns_search = { "corp.example" };
    input.dns_options = { "ndots:3", "timeout:1" };
    EXPECT_EQ(resolv_or_die(input, "nameserver 10.0.0.1\nsearch lan\noptions rotate\n"),
        "search corp.example\nnameserver 10.0.0.1\noptions ndots:3 timeout:1\n");
}

TEST(ResolvConf, LastSearchLineWins)
{
    EtcInput input = bridge();
    input.dns = { "9.9.9.9" };
    EXPECT_EQ(resolv_or_die(input, "search first\nsearch second third\n"), "search second third\nnameserver 9.9.9.9\n");
}

TEST(ResolvConf, SearchDotMeansNoSearchLine)
{
    EtcInput input = bridge();
    input.dns_search = { "." };
    EXPECT_EQ(resolv_or_die(input, "nameserver 10.0.0.1\nsearch lan\n"), "nameserver 10.0.0.1\n");
}

TEST(ResolvConf, OverridesOnBridgeStillDropLoopbackHostServers)
{
    EtcInput input = bridge();
    input.dns_search = { "corp.example" };
    EXPECT_EQ(resolv_or_die(input, RESOLVED_STUB),
        "search corp.example\nnameserver 8.8.8.8\nnameserver 8.8.4.4\noptions edns0 trust-ad\n");
}

TEST(ResolvConf, OverridesOnHostNetworkKeepLoopbackHostServers)
{
    EtcInput input = host();
    input.dns_options = { "ndots:1" };
    EXPECT_EQ(resolv_or_die(input, RESOLVED_STUB), "search lan\nnameserver 127.0.0.53\noptions ndots:1\n");
}

TEST(ResolvConf, BadValuesAreRefused)
{
    struct Case {
        EtcInput input;
        std::string message;
    };
    EtcInput bad_dns = bridge();
    bad_dns.dns = { "8.8.8" };
    EtcInput bad_search = bridge();
    bad_search.dns_search = { "-bad.example" };
    EtcInput long_search = bridge();
    std::string too_long = std::string(250, 'a') + ".example";
    long_search.dns_search = { too_long };
    EtcInput numeric_search = bridge();
    numeric_search.dns_search = { "123.456" };
    EtcInput empty_option = bridge();
    empty_option.dns_options = { " " };
    EtcInput injected_option = bridge();
    injected_option.dns_options = { "ndots:1\nnameserver 6.6.6.6" };
    for (auto const& [input, message] : std::initializer_list<Case> {
             { bad_dns, "invalid IP address: \"8.8.8\"" },
             { bad_search, "-bad.example is not a valid domain" },
             { long_search, too_long + " is not a valid domain" },
             { numeric_search, "123.456 is not a valid domain" },
             { empty_option, "invalid DNS option: \" \"" },
             { injected_option, "invalid DNS option: \"ndots:1\nnameserver 6.6.6.6\"" },
         }) {
        auto result = resolv_conf_file(input, "nameserver 10.0.0.1\n");
        ASSERT_TRUE(result.is_error()) << message;
        EXPECT_EQ(result.error().code(), EINVAL);
        EXPECT_EQ(result.error().message(), message);
    }
}

TEST(ResolvConf, ValidSearchDomainsAreAccepted)
{
    EtcInput input = bridge();
    input.dns_search = { "example.com.", "a-b.c1", "x" };
    EXPECT_EQ(resolv_or_die(input, "nameserver 10.0.0.1\n"), "search example.com. a-b.c1 x\nnameserver 10.0.0.1\n");
}

TEST(ValidateEtcInput, AcceptsAGoodInput)
{
    EtcInput input = bridge();
    input.extra_hosts = { "db:10.0.0.5" };
    input.dns = { "1.1.1.1" };
    input.dns_search = { "example.com" };
    input.dns_options = { "ndots:2" };
    EXPECT_FALSE(validate_etc_input(input).is_error());
}

} // namespace
} // namespace corral::engine
