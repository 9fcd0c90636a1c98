#include "config/loader.h"
#include "config/model.h"
#include "config/schema.h"
#include "config/yaml.h"

#include <gtest/gtest.h>

using namespace corral::config;

namespace {

struct Checked {
    Node tree;
    Diagnostics diagnostics;
    CloudConfig typed;
};

Checked check(std::string_view text)
{
    auto parsed = parse_yaml(text, "cloud-config.yml");
    EXPECT_FALSE(parsed.is_error()) << parsed.error().message();
    Checked out;
    out.tree = parsed.is_error() ? Node::map() : parsed.release_value();
    out.diagnostics = validate_and_prune(out.tree);
    Diagnostics ignored;
    out.typed = decode_cloud_config(out.tree, ignored);
    return out;
}

std::vector<std::string> messages(const Diagnostics& diagnostics)
{
    std::vector<std::string> out;
    for (auto const& d : diagnostics)
        out.push_back(d.describe());
    return out;
}

} // namespace

TEST(Model, WrongTypeNamesPathLineAndColumn)
{
    auto result = check("#cloud-config\nrancher:\n  network:\n    interfaces:\n      eth0:\n        address: 10.0.0.2/24\n"
                        "        mtu: abc\n");
    EXPECT_EQ(messages(result.diagnostics),
        std::vector<std::string> { "cloud-config.yml:7:14: rancher.network.interfaces.eth0.mtu: expected an integer, got \"abc\"" });
    EXPECT_EQ(result.diagnostics[0].severity, Diagnostic::Severity::Error);
    // The bad value is dropped; its neighbours stay.
    EXPECT_FALSE(result.typed.rancher.network.interfaces["eth0"].mtu.has_value());
    EXPECT_EQ(result.typed.rancher.network.interfaces["eth0"].address, "10.0.0.2/24");
    EXPECT_EQ(emit_yaml(result.tree), "rancher:\n  network:\n    interfaces:\n      eth0:\n        address: 10.0.0.2/24\n");
}

TEST(Model, UnknownKeysWarnWithTheirPosition)
{
    auto result = check("hostname: a\nusers:\n- name: bob\nrancher:\n  sshh: {}\n");
    EXPECT_EQ(messages(result.diagnostics),
        (std::vector<std::string> { "cloud-config.yml:2:1: users: unknown key", "cloud-config.yml:5:3: rancher.sshh: unknown key" }));
    EXPECT_EQ(result.diagnostics[0].severity, Diagnostic::Severity::Warning);
    EXPECT_FALSE(has_errors(result.diagnostics));
    EXPECT_NE(result.tree.find("users"), nullptr); // kept: only values of the wrong type are dropped
}

TEST(Model, ListItemErrorsDropTheWholeItem)
{
    auto result = check("write_files:\n- path: /etc/a\n  content: a\n- path: /etc/b\n  encoding: rot13\n  content: b\n"
                        "- path: relative\n");
    EXPECT_EQ(messages(result.diagnostics),
        (std::vector<std::string> {
            "cloud-config.yml:5:13: write_files[1].encoding: expected one of b64, base64, gz, gzip, gz+base64, gzip+base64, "
            "gz+b64, gzip+b64, got \"rot13\"",
            "cloud-config.yml:7:9: write_files[2].path: expected an absolute path, got \"relative\"" }));
    ASSERT_EQ(result.typed.write_files.size(), 1u);
    EXPECT_EQ(result.typed.write_files[0].path, "/etc/a");
}

TEST(Model, ScalarTypesAcceptWhatUsersWrite)
{
    auto result = check("rancher:\n  debug: yes\n  docker:\n    tls: \"true\"\n    log_opts: {max-file: 2, max-size: 25m}\n"
                        "  sysctl:\n    fs.file-max: 1000000000\n  shutdown_timeout: 0x3c\n"
                        "  network:\n    dns:\n      nameservers: 8.8.8.8\n");
    EXPECT_TRUE(result.diagnostics.empty()) << messages(result.diagnostics)[0];
    EXPECT_TRUE(result.typed.rancher.debug);
    EXPECT_TRUE(result.typed.rancher.docker.tls);
    EXPECT_EQ(result.typed.rancher.docker.log_opts["max-file"], "2");
    ASSERT_EQ(result.typed.rancher.sysctl.entries.size(), 1u);
    EXPECT_EQ(result.typed.rancher.sysctl.entries[0].second, "1000000000");
    EXPECT_EQ(result.typed.rancher.shutdown_timeout, 60);
    EXPECT_EQ(result.typed.rancher.network.dns.nameservers, std::vector<std::string> { "8.8.8.8" });
}

TEST(Model, BooleansAndIntegersAreNotInterchangeable)
{
    auto result = check("rancher:\n  debug: 1\n  shutdown_timeout: true\n  ssh:\n    port: 70000\n");
    EXPECT_EQ(messages(result.diagnostics),
        (std::vector<std::string> {
            "cloud-config.yml:2:10: rancher.debug: expected a boolean, got 1",
            "cloud-config.yml:3:21: rancher.shutdown_timeout: expected an integer, got true",
            "cloud-config.yml:5:11: rancher.ssh.port: expected a port between 1 and 65535 (0 for the default), got 70000" }));
}

TEST(Model, NetworkValuesAreChecked)
{
    auto result = check("rancher:\n  network:\n    interfaces:\n      eth0:\n        address: 10.0.0.300/24\n"
                        "        gateway: nope\n        vlans: \"100,5000\"\n        mtu: 9000\n");
    EXPECT_EQ(result.diagnostics.size(), 3u);
    EXPECT_EQ(result.typed.rancher.network.interfaces["eth0"].mtu, 9000);
}

TEST(Model, MountsNeedFourFields)
{
    auto result = check("mounts:\n- [/dev/vdb, /mnt/data, ext4, \"\"]\n- [/dev/vdc, /mnt/x]\n");
    EXPECT_EQ(messages(result.diagnostics),
        std::vector<std::string> { "cloud-config.yml:3:3: mounts[1]: expected 4 items [device, mountpoint, fstype, options], got 2" });
    ASSERT_EQ(result.typed.mounts.size(), 1u);
}

TEST(Model, CommandsAreStringsOrLists)
{
    auto result = check("runcmd:\n- echo hi\n- [touch, /tmp/x]\n");
    ASSERT_EQ(result.typed.runcmd.size(), 2u);
    EXPECT_FALSE(result.typed.runcmd[0].is_list);
    EXPECT_EQ(result.typed.runcmd[0].string, "echo hi");
    EXPECT_TRUE(result.typed.runcmd[1].is_list);
    EXPECT_EQ(result.typed.runcmd[1].list, (std::vector<std::string> { "touch", "/tmp/x" }));
}

TEST(Model, ServicesAcceptComposeShapes)
{
    auto result = check("rancher:\n  services:\n    web:\n      image: nginx\n      environment:\n      - A=1\n      - B\n"
                        "      labels:\n        io.rancher.os.scope: system\n      ulimits:\n        nofile: {soft: 1024, hard: 2048}\n"
                        "        nproc: 65535\n      mem_limit: 512m\n      restart: on-failure:3\n      stop_grace_period: 1m30s\n"
                        "      healthcheck:\n        test: [CMD, true]\n        interval: 10s\n");
    EXPECT_TRUE(result.diagnostics.empty()) << messages(result.diagnostics)[0];
    auto& web = result.typed.rancher.services["web"];
    ASSERT_EQ(web.environment.entries.size(), 2u);
    EXPECT_EQ(web.environment.entries[0].second, "1");
    EXPECT_FALSE(web.environment.entries[1].second.has_value());
    EXPECT_EQ(*web.labels.find("io.rancher.os.scope"), "system");
    EXPECT_EQ(web.ulimits["nofile"].hard, 2048);
    EXPECT_EQ(web.ulimits["nproc"].soft, 65535);
    EXPECT_EQ(web.mem_limit.bytes, 512LL << 20);
    EXPECT_EQ(web.stop_grace_period.milliseconds, 90'000);
    EXPECT_EQ(web.healthcheck.interval.milliseconds, 10'000);

    auto bad = check("rancher:\n  services:\n    web:\n      restart: sometimes\n      imgae: x\n");
    EXPECT_EQ(messages(bad.diagnostics),
        (std::vector<std::string> {
            "cloud-config.yml:4:16: rancher.services.web.restart: expected no, always, unless-stopped or on-failure[:N], got \"sometimes\"",
            "cloud-config.yml:5:7: rancher.services.web.imgae: unknown key" }));
}

TEST(Model, SysctlNestedMapsFlatten)
{
    auto result = check("rancher:\n  sysctl:\n    net:\n      ipv4:\n        ip_forward: 1\n    vm.swappiness: 10\n");
    EXPECT_TRUE(result.diagnostics.empty());
    auto const& entries = result.typed.rancher.sysctl.entries;
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0], (std::pair<std::string, std::string> { "net.ipv4.ip_forward", "1" }));
    EXPECT_EQ(entries[1].first, "vm.swappiness");
}

TEST(Model, TopLevelNonMapIsAnError)
{
    auto result = check("- a\n- b\n");
    ASSERT_EQ(result.diagnostics.size(), 1u);
    EXPECT_EQ(result.diagnostics[0].describe(), "cloud-config.yml:1:1: expected a map of cloud-config keys, got a list");
}

TEST(Schema, ZeroValuesForKnownKeys)
{
    EXPECT_EQ(schema_zero_value({ "rancher", "docker", "tls" })->text(), "false");
    EXPECT_EQ(schema_zero_value({ "rancher", "state", "dev" })->text(), "");
    EXPECT_EQ(schema_zero_value({ "rancher", "shutdown_timeout" })->text(), "0");
    EXPECT_TRUE(schema_zero_value({ "rancher", "network", "dns", "nameservers" })->is_list());
    EXPECT_TRUE(schema_zero_value({ "rancher", "network", "interfaces", "eth9", "dhcp" }).has_value());
    EXPECT_TRUE(schema_zero_value({ "rancher", "environment", "ANYTHING" }).has_value());
    EXPECT_TRUE(schema_zero_value({ "rancher", "ssh" })->is_map());
    EXPECT_FALSE(schema_zero_value({ "rancher", "nope" }).has_value());
    EXPECT_FALSE(schema_zero_value({ "rancher", "docker", "tls", "deeper" }).has_value());
}
