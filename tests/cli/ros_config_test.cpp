// `ros config` end to end: the built binary, a temporary ROS_ROOT, real files.

#include "base/file.h"
#include "base/process.h"
#include "base/system.h"

#include <cstdlib>
#include <gtest/gtest.h>
#include <sys/stat.h>

using namespace corral;

namespace {

class RosConfig : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/corral-ros-XXXXXX";
        ASSERT_NE(mkdtemp(pattern), nullptr);
        m_root = pattern;
        m_binary = ROS_BINARY;
        auto defaults = read_file(std::string(CORRAL_BINARY_DIR) + "/share/ros/os-config.yml");
        ASSERT_FALSE(defaults.is_error()) << defaults.error().message();
        write("/usr/share/ros/os-config.yml", defaults.value());
    }
    void TearDown() override
    {
        std::string command = "rm -rf '" + m_root + "'";
        ASSERT_EQ(std::system(command.c_str()), 0);
    }

    std::string path(const std::string& absolute) const { return m_root + absolute; }

    void write(const std::string& absolute, std::string_view text)
    {
        ASSERT_FALSE(mkdir_p(path_dirname(path(absolute)), 0755).is_error());
        ASSERT_FALSE(write_file_atomic(path(absolute), text, 0644).is_error());
    }

    RunResult ros(std::vector<std::string> args, std::string_view input = {})
    {
        SpawnOptions options;
        options.argv = { m_binary };
        options.argv.insert(options.argv.end(), args.begin(), args.end());
        options.env = std::vector<std::string> { "ROS_ROOT=" + m_root, "PATH=/usr/bin:/bin" };
        auto result = run(options, input);
        EXPECT_FALSE(result.is_error()) << result.error().message();
        return result.is_error() ? RunResult {} : result.release_value();
    }

    std::string user_config()
    {
        auto text = read_file(path("/var/lib/rancher/conf/cloud-config.yml"));
        return text.is_error() ? std::string("<missing>") : text.release_value();
    }

    std::string m_root;
    std::string m_binary;
};

} // namespace

TEST_F(RosConfig, SetListThenGetPrintsYamlListOfStrings)
{
    auto set = ros({ "config", "set", "rancher.network.dns.nameservers", "[1.1.1.1,8.8.8.8]" });
    EXPECT_EQ(set.status.code(), 0) << set.err;
    EXPECT_EQ(set.err, "");
    auto get = ros({ "config", "get", "rancher.network.dns.nameservers" });
    EXPECT_EQ(get.status.code(), 0) << get.err;
    EXPECT_EQ(get.out, "- 1.1.1.1\n- 8.8.8.8\n");
    EXPECT_EQ(user_config(), "rancher:\n  network:\n    dns:\n      nameservers:\n      - 1.1.1.1\n      - 8.8.8.8\n");
}

TEST_F(RosConfig, SetTypesValues)
{
    EXPECT_EQ(ros({ "config", "set", "rancher.docker.tls", "true" }).status.code(), 0);
    EXPECT_EQ(ros({ "config", "set", "rancher.shutdown_timeout", "30" }).status.code(), 0);
    EXPECT_EQ(ros({ "config", "set", "hostname", "\"true\"" }).status.code(), 0);
    EXPECT_EQ(user_config(), "rancher:\n  docker:\n    tls: true\n  shutdown_timeout: 30\nhostname: \"true\"\n");
    EXPECT_EQ(ros({ "config", "get", "rancher.docker.tls" }).out, "true\n");
}

TEST_F(RosConfig, FilesAreWrittenPrivate)
{
    // A RancherOS system may carry a 0620 file from the old bug; it is corrected.
    ASSERT_FALSE(mkdir_p(path("/var/lib/rancher/conf"), 0755).is_error());
    ASSERT_FALSE(write_file_atomic(path("/var/lib/rancher/conf/cloud-config.yml"), "hostname: old\n", 0620, KeepMode::No).is_error());
    EXPECT_EQ(ros({ "config", "set", "rancher.debug", "true" }).status.code(), 0);
    struct stat st { };
    ASSERT_EQ(stat(path("/var/lib/rancher/conf/cloud-config.yml").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    EXPECT_EQ(user_config(), "hostname: old\nrancher:\n  debug: true\n");

    std::string fresh = m_root + "/fresh";
    SpawnOptions options;
    options.argv = { m_binary, "config", "set", "hostname", "x" };
    options.env = std::vector<std::string> { "ROS_ROOT=" + fresh };
    ASSERT_EQ(run(options).value().status.code(), 0);
    ASSERT_EQ(stat((fresh + "/var/lib/rancher/conf").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
}

TEST_F(RosConfig, KernelParameterShowsInGetAndWinsOverCloudConfig)
{
    write("/proc/cmdline", "BOOT_IMAGE=/vmlinuz console=ttyS0 rancher.state.dev=LABEL=RANCHER_STATE rancher.state.wait\n");
    auto set = ros({ "config", "set", "rancher.state.dev", "/dev/sdb" });
    EXPECT_EQ(set.status.code(), 0);
    EXPECT_EQ(set.err,
        "ros: warning: rancher.state.dev is also set by the kernel command line (" + path("/proc/cmdline")
            + ":1:35), which overrides the value just written; it is now \"LABEL=RANCHER_STATE\"\n");
    EXPECT_EQ(ros({ "config", "get", "rancher.state.dev" }).out, "LABEL=RANCHER_STATE\n");
    EXPECT_EQ(ros({ "config", "get", "rancher.state.wait" }).out, "true\n");
    EXPECT_NE(user_config().find("dev: /dev/sdb"), std::string::npos);
}

TEST_F(RosConfig, GetOfUnsetKnownKeyPrintsZeroValueAndUnknownKeyFails)
{
    auto known = ros({ "config", "get", "rancher.network.interfaces.eth0.mtu" });
    EXPECT_EQ(known.status.code(), 0);
    EXPECT_EQ(known.out, "\n");
    auto unknown = ros({ "config", "get", "rancher.no_such_key" });
    EXPECT_EQ(unknown.status.code(), 1);
    EXPECT_EQ(unknown.err, "ros: error: config get: rancher.no_such_key: no such key (not set, and not a key of the schema)\n");
    EXPECT_EQ(ros({ "config", "get", "rancher.defaults.hostname" }).out, "rancher\n");
}

TEST_F(RosConfig, KeysWithDotsAreAddressable)
{
    EXPECT_EQ(ros({ "config", "set", "rancher.sysctl.\"net.ipv4.ip_forward\"", "1" }).status.code(), 0);
    EXPECT_EQ(ros({ "config", "set", "rancher.sysctl.vm\\.swappiness", "10" }).status.code(), 0);
    EXPECT_EQ(ros({ "config", "get", "rancher.sysctl.'net.ipv4.ip_forward'" }).out, "1\n");
    EXPECT_EQ(ros({ "config", "get", "rancher.sysctl" }).out, "fs.file-max: \"1000000000\"\nnet.ipv4.ip_forward: 1\nvm.swappiness: 10\n");
    auto help = ros({ "config", "set", "--help" });
    EXPECT_NE(help.out.find("rancher.sysctl.\"net.ipv4.ip_forward\""), std::string::npos) << help.out;
}

TEST_F(RosConfig, SetRefusesAWrongTypeAndLeavesTheFile)
{
    EXPECT_EQ(ros({ "config", "set", "hostname", "keep" }).status.code(), 0);
    auto bad = ros({ "config", "set", "rancher.network.interfaces.eth0.mtu", "abc" });
    EXPECT_EQ(bad.status.code(), 1);
    EXPECT_EQ(bad.err, "ros: error: config set: rancher.network.interfaces.eth0.mtu: expected an integer, got \"abc\"\n");
    EXPECT_EQ(user_config(), "hostname: keep\n");
    auto under_scalar = ros({ "config", "set", "hostname.x", "1" });
    EXPECT_EQ(under_scalar.status.code(), 1);
    EXPECT_EQ(under_scalar.err, "ros: error: config set: hostname holds \"keep\", not a map, so hostname.x cannot be set\n");
}

TEST_F(RosConfig, ExportHidesSecretsUnlessPrivate)
{
    write("/var/lib/rancher/conf/cloud-config.yml",
        "ssh_authorized_keys: [ssh-ed25519 AAA me]\nrancher:\n  ssh:\n    port: 2222\n    keys: {ed25519: SECRET-KEY}\n"
        "  docker:\n    tls: true\n    server_key: SECRET-TLS\n  registry_auths:\n    reg.local: {username: u, password: SECRET-PW}\n");
    write("/proc/cmdline", "rancher.password=SECRET-CONSOLE rancher.autologin=tty1\n");
    auto plain = ros({ "config", "export" });
    EXPECT_EQ(plain.status.code(), 0) << plain.err;
    EXPECT_EQ(plain.out,
        "ssh_authorized_keys:\n- ssh-ed25519 AAA me\nrancher:\n  ssh:\n    port: 2222\n  docker:\n    tls: true\n"
        "  registry_auths:\n    reg.local:\n      username: u\n");
    auto priv = ros({ "config", "export", "-p" });
    EXPECT_NE(priv.out.find("SECRET-KEY"), std::string::npos);
    EXPECT_NE(priv.out.find("SECRET-TLS"), std::string::npos);
    EXPECT_NE(priv.out.find("SECRET-PW"), std::string::npos);
    EXPECT_EQ(priv.out.find("SECRET-CONSOLE"), std::string::npos); // never exported
    EXPECT_EQ(priv.out.find("autologin"), std::string::npos);

    auto full = ros({ "config", "export", "--full", "-o", path("/out.yml") });
    EXPECT_EQ(full.status.code(), 0);
    std::string written = read_file(path("/out.yml")).value();
    EXPECT_NE(written.find("system_docker:"), std::string::npos); // the defaults are in
    EXPECT_EQ(written.find("SECRET"), std::string::npos);
}

TEST_F(RosConfig, ValidateReportsPositionsAndFails)
{
    write("/tmp/bad.yml", "#cloud-config\nhostname: ok\nrancher:\n  network:\n    interfaces:\n      eth0:\n        mtu: abc\n"
                          "  unknown_thing: 1\n");
    auto bad = ros({ "config", "validate", "-i", path("/tmp/bad.yml") });
    EXPECT_EQ(bad.status.code(), 1);
    EXPECT_EQ(bad.err,
        "ros: error: " + path("/tmp/bad.yml") + ":7:14: rancher.network.interfaces.eth0.mtu: expected an integer, got \"abc\"\n"
        "ros: warning: " + path("/tmp/bad.yml") + ":8:3: rancher.unknown_thing: unknown key\n");
    auto good = ros({ "config", "validate" }, "#cloud-config\nhostname: fine\n");
    EXPECT_EQ(good.status.code(), 0);
    EXPECT_EQ(good.err, "");
    auto broken = ros({ "config", "validate" }, "a: [\n");
    EXPECT_EQ(broken.status.code(), 1);
    EXPECT_EQ(broken.err.rfind("ros: error: <stdin>:", 0), 0u) << broken.err;
}

TEST_F(RosConfig, MergeRefusesCrlfAndInvalidYamlAndKeepsTheFile)
{
    EXPECT_EQ(ros({ "config", "set", "hostname", "before" }).status.code(), 0);
    std::string before = user_config();

    auto crlf = ros({ "config", "merge" }, "hostname: x\r\n");
    EXPECT_EQ(crlf.status.code(), 1);
    EXPECT_EQ(crlf.err, "ros: error: config merge: <stdin>:1: file format shouldn't contain CRLF characters (convert the line ends to LF, e.g. with dos2unix)\n");
    auto invalid = ros({ "config", "merge" }, "hostname: [x\n");
    EXPECT_EQ(invalid.status.code(), 1);
    EXPECT_EQ(invalid.err.rfind("ros: error: config merge: <stdin>:", 0), 0u) << invalid.err;
    auto mistyped = ros({ "config", "merge" }, "rancher:\n  debug: maybe\n");
    EXPECT_EQ(mistyped.status.code(), 1);
    EXPECT_EQ(user_config(), before);

    auto merged = ros({ "config", "merge" }, "rancher:\n  network:\n    dns:\n      nameservers: [9.9.9.9]\n");
    EXPECT_EQ(merged.status.code(), 0) << merged.err;
    EXPECT_EQ(user_config(), "hostname: before\nrancher:\n  network:\n    dns:\n      nameservers:\n      - 9.9.9.9\n");
    write("/tmp/in.yml", "hostname: from-file\n");
    EXPECT_EQ(ros({ "config", "merge", "-i", path("/tmp/in.yml") }).status.code(), 0);
    EXPECT_EQ(ros({ "config", "get", "hostname" }).out, "from-file\n");
}

TEST_F(RosConfig, ImagesListsServiceImagesSorted)
{
    write("/tmp/services.yml", "rancher:\n  bootstrap:\n    b: {image: z/boot:1}\n  services:\n    x: {image: a/x:1}\n"
                               "    y: {image: a/x:1}\n    w: {image: m/w:2}\n");
    auto images = ros({ "config", "images", "-i", path("/tmp/services.yml") });
    EXPECT_EQ(images.status.code(), 0);
    EXPECT_EQ(images.out, "a/x:1 m/w:2 z/boot:1\n");
    auto defaults = ros({ "config", "images" });
    EXPECT_NE(defaults.out.find("corralos/os-console:"), std::string::npos) << defaults.out;
}

TEST_F(RosConfig, GenerateRendersTemplatesFromTheEnvironment)
{
    SpawnOptions options;
    options.argv = { m_binary, "config", "generate" };
    options.env = std::vector<std::string> { "VERSION=v9", "ARCH=amd64" };
    auto result = run(options, "v: {{.VERSION}}\n{{if eq \"amd64\" .ARCH}}x86{{else}}other{{end}}\n").value();
    EXPECT_EQ(result.status.code(), 0) << result.err;
    EXPECT_EQ(result.out, "v: v9\nx86\n");
    auto broken = run(options, "{{if .X}}\n").value();
    EXPECT_EQ(broken.status.code(), 1);
    EXPECT_NE(broken.err.find("template:1:1:"), std::string::npos) << broken.err;
}

TEST_F(RosConfig, BrokenUserConfigIsNotOverwritten)
{
    write("/var/lib/rancher/conf/cloud-config.yml", "hostname: [broken\n");
    auto set = ros({ "config", "set", "hostname", "x" });
    EXPECT_EQ(set.status.code(), 1);
    EXPECT_NE(set.err.find("refusing to rewrite"), std::string::npos) << set.err;
    EXPECT_EQ(user_config(), "hostname: [broken\n");
    // get still works from the other layers, reporting the skipped file.
    auto get = ros({ "config", "get", "rancher.defaults.hostname" });
    EXPECT_EQ(get.status.code(), 0);
    EXPECT_EQ(get.out, "rancher\n");
    EXPECT_NE(get.err.find("skipped"), std::string::npos);
}

TEST_F(RosConfig, VersionAndUsage)
{
    auto version = ros({ "-v" });
    EXPECT_EQ(version.status.code(), 0);
    EXPECT_EQ(version.out.rfind("ros version v", 0), 0u) << version.out;
    auto none = ros({});
    EXPECT_NE(none.status.code(), 0);
    auto alias = ros({ "c", "get", "rancher.console" });
    EXPECT_EQ(alias.out, "default\n");
}

TEST_F(RosConfig, ExportThenMergeRoundTrips)
{
    write("/var/lib/rancher/conf/cloud-config.d/boot.yml",
        "hostname: box\nwrite_files:\n- path: /etc/motd\n  permissions: \"0644\"\n  content: |\n    line one\n    line two\n");
    write("/var/lib/rancher/conf/cloud-config.yml",
        "rancher:\n  sysctl:\n    net.ipv4.ip_forward: \"1\"\n  network:\n    interfaces:\n      eth0: {address: 10.0.0.2/24, mtu: 1400}\n");
    auto exported = ros({ "config", "export" });
    ASSERT_EQ(exported.status.code(), 0) << exported.err;

    // Into an empty root, then out again: the same document.
    std::string other = m_root + "/other";
    SpawnOptions merge;
    merge.argv = { m_binary, "config", "merge" };
    merge.env = std::vector<std::string> { "ROS_ROOT=" + other };
    auto merged = run(merge, exported.out).value();
    ASSERT_EQ(merged.status.code(), 0) << merged.err;
    SpawnOptions again = merge;
    again.argv = { m_binary, "config", "export" };
    auto second = run(again).value();
    EXPECT_EQ(second.out, exported.out);
    EXPECT_NE(second.out.find("content: |\n    line one\n    line two\n"), std::string::npos) << second.out;
}
