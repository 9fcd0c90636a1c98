// cloud-init-execute -pre-console: rancher.sysctl and the hostname, under a
// temporary root standing in for /proc/sys and /etc.

#include "cloudinit/pre_console.h"
#include "config/loader.h"
#include "test_root.h"

#include <gtest/gtest.h>

using namespace corral;
using namespace corral::cloudinit;
using corral::test::TestRoot;

TEST(Sysctl, KeysBecomePaths)
{
    EXPECT_EQ(*sysctl_relative_path("net.ipv4.ip_forward"), "net/ipv4/ip_forward");
    EXPECT_EQ(*sysctl_relative_path("fs.file-max"), "fs/file-max");
    // Slashes keep dots, for names like a VLAN interface's.
    EXPECT_EQ(*sysctl_relative_path("net/ipv4/conf/eth0.100/forwarding"), "net/ipv4/conf/eth0.100/forwarding");
    EXPECT_TRUE(sysctl_relative_path("").is_error());
    EXPECT_TRUE(sysctl_relative_path("net..ipv4").is_error());
    EXPECT_TRUE(sysctl_relative_path("../../etc/passwd").is_error());
    EXPECT_TRUE(sysctl_relative_path("net/../../x").is_error());
}

TEST(Sysctl, WritesEachKeyAndReportsTheBadOnes)
{
    TestRoot root;
    root.write("/proc/sys/net/ipv4/ip_forward", "0\n");
    root.write("/proc/sys/fs/file-max", "100\n");
    config::DottedMap sysctl;
    sysctl.entries = { { "net.ipv4.ip_forward", "1" }, { "kernel.nonexistent", "5" }, { "fs.file-max", "1000000000" },
        { "bad..key", "1" } };
    Report report;
    apply_sysctl(root.paths(), sysctl, report);
    EXPECT_EQ(root.read("/proc/sys/net/ipv4/ip_forward"), "1\n");
    EXPECT_EQ(root.read("/proc/sys/fs/file-max"), "1000000000\n");
    EXPECT_FALSE(root.exists("/proc/sys/kernel/nonexistent")); // never created
    auto errors = report.messages(LogLevel::Error);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_NE(errors[0].find("kernel.nonexistent: no such kernel parameter"), std::string::npos) << errors[0];
    EXPECT_NE(errors[1].find("bad..key"), std::string::npos) << errors[1];
}

TEST(Sysctl, FromTheMergedConfig)
{
    TestRoot root;
    root.write("/proc/sys/vm/swappiness", "60\n");
    root.write("/proc/sys/net/ipv4/ip_forward", "0\n");
    root.write("/var/lib/rancher/conf/cloud-config.yml",
        "rancher:\n  sysctl:\n    vm.swappiness: 10\n    net.ipv4.ip_forward: 1\n");
    auto loaded = config::load_config(root.paths());
    Report report;
    execute_pre_console(root.paths(), loaded.typed, report);
    EXPECT_EQ(report.error_count(), 0u);
    EXPECT_EQ(root.read("/proc/sys/vm/swappiness"), "10\n");
    EXPECT_EQ(root.read("/proc/sys/net/ipv4/ip_forward"), "1\n");
}

TEST(Hostname, Validity)
{
    EXPECT_TRUE(valid_hostname("rancher"));
    EXPECT_TRUE(valid_hostname("node-1.example.com"));
    EXPECT_FALSE(valid_hostname(""));
    EXPECT_FALSE(valid_hostname("-x"));
    EXPECT_FALSE(valid_hostname("a b"));
    EXPECT_FALSE(valid_hostname("a/b"));
    EXPECT_FALSE(valid_hostname(std::string(65, 'a')));
}

TEST(Hostname, HostsLineIsReplacedOrAppendedOnce)
{
    EXPECT_EQ(hosts_with_hostname("", "box"), "127.0.1.1 box\n");
    EXPECT_EQ(hosts_with_hostname("127.0.0.1 localhost\n", "box"), "127.0.0.1 localhost\n127.0.1.1 box\n");
    EXPECT_EQ(hosts_with_hostname("127.0.0.1 localhost\n127.0.1.1 old\n::1 localhost\n127.0.1.1\tolder\n", "box"),
        "127.0.0.1 localhost\n127.0.1.1 box\n::1 localhost\n");
    EXPECT_EQ(hosts_with_hostname("127.0.0.1 localhost", "box"), "127.0.0.1 localhost\n127.0.1.1 box\n");
    std::string once = hosts_with_hostname("127.0.0.1 localhost\n", "box");
    EXPECT_EQ(hosts_with_hostname(once, "box"), once);
    // 127.0.1.10 is another address.
    EXPECT_EQ(hosts_with_hostname("127.0.1.10 other\n", "box"), "127.0.1.10 other\n127.0.1.1 box\n");
}

TEST(Hostname, AppliedToTheFilesIdempotently)
{
    TestRoot root;
    root.write("/etc/hosts", "127.0.0.1 localhost\n127.0.1.1 rancher\n");
    ASSERT_FALSE(apply_hostname(root.paths(), "node-7", SetKernelHostname::No).is_error());
    EXPECT_EQ(root.read("/etc/hostname"), "node-7\n");
    EXPECT_EQ(root.read("/etc/hosts"), "127.0.0.1 localhost\n127.0.1.1 node-7\n");
    auto before = root.stat("/etc/hosts");
    ASSERT_FALSE(apply_hostname(root.paths(), "node-7", SetKernelHostname::No).is_error());
    auto after = root.stat("/etc/hosts");
    EXPECT_EQ(before.st_ino, after.st_ino); // not rewritten
    EXPECT_EQ(root.read("/etc/hosts"), "127.0.0.1 localhost\n127.0.1.1 node-7\n");

    auto bad = apply_hostname(root.paths(), "bad name", SetKernelHostname::No);
    ASSERT_TRUE(bad.is_error());
    EXPECT_EQ(bad.error().code(), EINVAL);
    EXPECT_EQ(root.read("/etc/hostname"), "node-7\n");
}

TEST(Hostname, NoHostsFileGetsLocalhostToo)
{
    TestRoot root;
    ASSERT_FALSE(apply_hostname(root.paths(), "box", SetKernelHostname::No).is_error());
    EXPECT_EQ(root.read("/etc/hosts"), "127.0.0.1 localhost\n127.0.1.1 box\n");
}

TEST(PreConsole, HostnameFromConfigAndBadOneReported)
{
    TestRoot root;
    root.write("/var/lib/rancher/conf/cloud-config.yml", "hostname: from-config\n");
    Report report;
    execute_pre_console(root.paths(), config::load_config(root.paths()).typed, report);
    EXPECT_EQ(report.error_count(), 0u);
    EXPECT_EQ(root.read("/etc/hostname"), "from-config\n");

    config::CloudConfig bad;
    bad.hostname = "no spaces please";
    Report second;
    execute_pre_console(root.paths(), bad, second);
    EXPECT_EQ(second.error_count(), 1u);
    EXPECT_EQ(root.read("/etc/hostname"), "from-config\n");
}
