#include "base/file.h"
#include "config/keypath.h"
#include "config/loader.h"
#include "config/yaml.h"

#include <cstdlib>
#include <gtest/gtest.h>
#include <sys/stat.h>

using namespace corral;
using namespace corral::config;

namespace {

class LoaderTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/corral-loader-XXXXXX";
        ASSERT_NE(mkdtemp(pattern), nullptr);
        m_paths.root = pattern;
    }
    void TearDown() override
    {
        std::string command = "rm -rf '" + m_paths.root + "'";
        ASSERT_EQ(std::system(command.c_str()), 0);
    }

    void write(const std::string& path, std::string_view text)
    {
        ASSERT_FALSE(mkdir_p(path_dirname(path), 0700).is_error());
        ASSERT_FALSE(write_file_atomic(path, text, 0600).is_error());
    }

    std::string get(const LoadedConfig& loaded, std::string_view key)
    {
        const Node* node = find_path(loaded.merged, parse_key_path(key).value());
        if (!node)
            return "<unset>";
        return node->is_scalar() ? node->text() : emit_yaml(*node);
    }

    Paths m_paths;
};

} // namespace

TEST_F(LoaderTest, LayersMergeInOrder)
{
    // Each layer sets its own marker and overrides the shared key; the last layer wins.
    write(m_paths.os_config(), "rancher:\n  console: os\n  environment: {os: 1}\n  ssh: {daemon: true, port: 22}\n");
    write(m_paths.oem_config(), "rancher:\n  console: oem\n  environment: {oem: 1}\n");
    write(m_paths.cloud_config_dir() + "/b.yml", "rancher:\n  console: d-b\n  environment: {b: 1}\n");
    write(m_paths.cloud_config_dir() + "/a.yml", "rancher:\n  console: d-a\n  environment: {a: 1}\n");
    write(m_paths.cloud_config(), "rancher:\n  console: user\n  environment: {user: 1}\n  ssh: {port: 2222}\n");
    LoadedConfig loaded = load_config(m_paths);
    EXPECT_TRUE(loaded.diagnostics.empty());
    EXPECT_EQ(get(loaded, "rancher.console"), "user");
    EXPECT_EQ(get(loaded, "rancher.environment"), "os: 1\noem: 1\na: 1\nb: 1\nuser: 1\n");
    EXPECT_EQ(get(loaded, "rancher.ssh.daemon"), "true"); // maps merge recursively
    EXPECT_EQ(get(loaded, "rancher.ssh.port"), "2222");
    ASSERT_EQ(loaded.layers.size(), 5u);
    EXPECT_EQ(loaded.layers[2].source, m_paths.cloud_config_dir() + "/a.yml");

    write(m_paths.cmdline(), "BOOT_IMAGE=/vmlinuz rancher.console=cmdline\n");
    EXPECT_EQ(get(load_config(m_paths), "rancher.console"), "cmdline");
}

TEST_F(LoaderTest, ListsReplaceRatherThanAppend)
{
    write(m_paths.os_config(), "rancher:\n  network:\n    dns:\n      nameservers: [8.8.8.8, 8.8.4.4]\n");
    write(m_paths.cloud_config(), "rancher:\n  network:\n    dns:\n      nameservers: [1.1.1.1]\n");
    EXPECT_EQ(get(load_config(m_paths), "rancher.network.dns.nameservers"), "- 1.1.1.1\n");
}

TEST_F(LoaderTest, CloudConfigDirSkipsDotFilesAndDirectories)
{
    write(m_paths.cloud_config_dir() + "/.hidden.yml", "hostname: hidden\n");
    write(m_paths.cloud_config_dir() + "/sub/x.yml", "hostname: sub\n");
    write(m_paths.cloud_config_dir() + "/boot.yml", "hostname: boot\n");
    LoadedConfig loaded = load_config(m_paths);
    EXPECT_EQ(get(loaded, "hostname"), "boot");
    EXPECT_EQ(loaded.layers.size(), 1u);
}

TEST_F(LoaderTest, BrokenFileIsSkippedAndOthersLoad)
{
    write(m_paths.cloud_config_dir() + "/a.yml", "hostname: from-a\nssh_authorized_keys: [ssh-ed25519 AAA a]\n");
    write(m_paths.cloud_config_dir() + "/b.yml", "hostname: [unclosed\n");
    write(m_paths.cloud_config(), "rancher:\n  network:\n    interfaces:\n      eth0: {mtu: big, dhcp: true}\n");
    LoadedConfig loaded = load_config(m_paths);
    EXPECT_EQ(get(loaded, "hostname"), "from-a");
    ASSERT_EQ(loaded.skipped.size(), 1u);
    EXPECT_EQ(loaded.skipped[0].rfind(m_paths.cloud_config_dir() + "/b.yml: skipped: " + m_paths.cloud_config_dir() + "/b.yml:", 0), 0u)
        << loaded.skipped[0];
    // The bad value alone is dropped; the rest of its file applies.
    EXPECT_EQ(get(loaded, "rancher.network.interfaces.eth0.dhcp"), "true");
    EXPECT_EQ(get(loaded, "rancher.network.interfaces.eth0.mtu"), "<unset>");
    ASSERT_EQ(loaded.diagnostics.size(), 1u);
    EXPECT_EQ(loaded.diagnostics[0].describe(),
        m_paths.cloud_config() + ":4:19: rancher.network.interfaces.eth0.mtu: expected an integer, got \"big\"");
    EXPECT_TRUE(loaded.typed.rancher.network.interfaces["eth0"].dhcp);
}

TEST_F(LoaderTest, CmdlineParametersWinOverCloudConfig)
{
    write(m_paths.cloud_config(), "rancher:\n  state:\n    dev: /dev/sda\n    wait: false\n");
    write(m_paths.cmdline(), "console=ttyS0 rancher.state.dev=LABEL=RANCHER_STATE rancher.state.wait cc.hostname=node1\n");
    LoadedConfig loaded = load_config(m_paths);
    EXPECT_EQ(loaded.typed.rancher.state.dev, "LABEL=RANCHER_STATE");
    EXPECT_TRUE(loaded.typed.rancher.state.wait);
    EXPECT_EQ(loaded.typed.hostname, "node1");
}

TEST_F(LoaderTest, ElidedCmdlineAppliesAfterTheKernelCmdline)
{
    write(m_paths.cloud_config_dir() + "/init.yml", "EXTRA_CMDLINE: rancher.console=elided rancher.debug\n");
    write(m_paths.cmdline(), "rancher.console=kernel\n");
    LoadedConfig loaded = load_config(m_paths);
    EXPECT_EQ(loaded.typed.rancher.console, "elided");
    // rancher.debug turns on every daemon's debug flag and rancher.log.
    EXPECT_EQ(loaded.typed.rancher.docker.debug, true);
    EXPECT_EQ(loaded.typed.rancher.system_docker.debug, true);
    EXPECT_EQ(loaded.typed.rancher.bootstrap_docker.debug, true);
    EXPECT_TRUE(loaded.typed.rancher.log);
}

TEST_F(LoaderTest, MetadataSetsHostnameOnlyIfUnsetAndAppendsKeys)
{
    write(m_paths.metadata(), "hostname: meta-host\nsshpublickeys:\n  zeta: ssh-rsa ZZZ z\n  alpha: ssh-rsa AAA a\n"
                              "  dup: ssh-ed25519 USER u\nrootdisk: /dev/vda\n");
    write(m_paths.cloud_config(), "ssh_authorized_keys: [ssh-ed25519 USER u]\n");
    LoadedConfig loaded = load_config(m_paths);
    EXPECT_EQ(loaded.typed.hostname, "meta-host");
    EXPECT_EQ(loaded.typed.ssh_authorized_keys,
        (std::vector<std::string> { "ssh-ed25519 USER u", "ssh-rsa AAA a", "ssh-rsa ZZZ z" }));
    EXPECT_EQ(loaded.typed.rancher.resize_device, "/dev/vda");

    write(m_paths.cloud_config(), "hostname: mine\nrancher: {resize_device: /dev/sdb}\n");
    loaded = load_config(m_paths);
    EXPECT_EQ(loaded.typed.hostname, "mine");
    EXPECT_EQ(loaded.typed.rancher.resize_device, "/dev/sdb");
}

TEST_F(LoaderTest, ServicesGetTheirKeyAsContainerName)
{
    write(m_paths.os_config(), "rancher:\n  services:\n    udev: {image: corralos/os-udev}\n    x: {image: y, container_name: z}\n");
    LoadedConfig loaded = load_config(m_paths);
    EXPECT_EQ(loaded.typed.rancher.services["udev"].container_name, "udev");
    EXPECT_EQ(loaded.typed.rancher.services["x"].container_name, "z");
}

TEST_F(LoaderTest, WithoutDefaultsLeavesOutOsAndOemConfig)
{
    write(m_paths.os_config(), "rancher: {console: os}\n");
    write(m_paths.cloud_config(), "hostname: h\n");
    LoadOptions options;
    options.defaults = false;
    LoadedConfig loaded = load_config(m_paths, options);
    EXPECT_EQ(emit_yaml(loaded.merged), "hostname: h\n");
}
