// What console-init decides: respawn.conf from the kernel command line and the
// config, the host key actions, the banner and the profile snippets.

#include "cloudinit/console_setup.h"
#include "test_root.h"

#include <gtest/gtest.h>

#include <unistd.h>

using namespace corral;
using namespace corral::cloudinit;
using corral::test::TestRoot;

namespace {

const std::vector<std::string> ALL_VTS = { "tty1", "tty2", "tty3", "tty4", "tty5", "tty6" };

std::vector<std::string> with(std::vector<std::string> ttys, std::initializer_list<const char*> more)
{
    for (auto tty : more)
        ttys.push_back(tty);
    return ttys;
}

config::CloudConfig sshd_config()
{
    config::CloudConfig config;
    config.rancher.ssh.daemon = true;
    return config;
}

bool program_exists(const char* name)
{
    for (const char* dir : { "/usr/bin/", "/bin/", "/usr/local/bin/" }) {
        if (::access((std::string(dir) + name).c_str(), X_OK) == 0)
            return true;
    }
    return false;
}

} // namespace

TEST(ConsoleCmdline, ReadsAutologinConsolesAndPassword)
{
    auto parsed = parse_console_cmdline(
        "BOOT_IMAGE=/vmlinuz console=tty1 console=ttyS0,115200n8 rancher.autologin=tty1 rancher.autologin=ttyS0 "
        "rancher.password=\"s3cret pw\" quiet");
    EXPECT_EQ(parsed.autologin, (std::vector<std::string> { "tty1", "ttyS0" }));
    ASSERT_EQ(parsed.consoles.size(), 2u);
    EXPECT_EQ(parsed.consoles[0].tty, "tty1");
    EXPECT_EQ(parsed.consoles[0].baud, "");
    EXPECT_EQ(parsed.consoles[1].tty, "ttyS0");
    EXPECT_EQ(parsed.consoles[1].baud, "115200");
    ASSERT_TRUE(parsed.password);
    EXPECT_EQ(*parsed.password, "s3cret pw");

    auto none = parse_console_cmdline("root=/dev/sda1");
    EXPECT_TRUE(none.autologin.empty());
    EXPECT_TRUE(none.consoles.empty());
    EXPECT_FALSE(none.password);

    // A password that YAML would type as a number is still its text.
    EXPECT_EQ(*parse_console_cmdline("rancher.password=0123").password, "0123");
    EXPECT_EQ(parse_console_cmdline("rancher.autologin=[tty2,ttyS1]").autologin,
        (std::vector<std::string> { "tty2", "ttyS1" }));
}

TEST(RespawnConf, PlainGettysAndSshd)
{
    EXPECT_EQ(respawn_conf("console=tty0", sshd_config(), ALL_VTS),
        "/sbin/agetty --noclear tty1 linux\n"
        "/sbin/agetty --noclear tty2 linux\n"
        "/sbin/agetty --noclear tty3 linux\n"
        "/sbin/agetty --noclear tty4 linux\n"
        "/sbin/agetty --noclear tty5 linux\n"
        "/sbin/agetty --noclear tty6 linux\n"
        "/usr/sbin/sshd -D\n");
}

TEST(RespawnConf, AutologinAndSerialConsolesFromTheCmdline)
{
    std::string cmdline = "rancher.autologin=tty1 rancher.autologin=ttyS0 console=tty1 console=ttyS0 "
                          "console=ttyS1,38400 console=ttyS3";
    // ttyS3 is named but absent; ttyS2 is present but not a console.
    auto ttys = with({ "tty1", "tty2" }, { "ttyS0", "ttyS1", "ttyS2" });
    EXPECT_EQ(respawn_conf(cmdline, config::CloudConfig(), ttys),
        "/sbin/agetty -n -l /usr/bin/autologin -o rancher:tty1 --noclear tty1 linux\n"
        "/sbin/agetty --noclear tty2 linux\n"
        "/sbin/agetty -n -l /usr/bin/autologin -o rancher:ttyS0 -L 115200 ttyS0 vt100\n"
        "/sbin/agetty -L 38400 ttyS1 vt100\n");
}

TEST(RespawnConf, AutologinOnlyForTheExactTty)
{
    // RancherOS's substring test let rancher.autologin=tty1 also match tty10.
    EXPECT_EQ(respawn_conf("rancher.autologin=tty10", config::CloudConfig(), { "tty1" }),
        "/sbin/agetty --noclear tty1 linux\n");
}

TEST(RespawnConf, DisableAutologin)
{
    config::CloudConfig config;
    config.rancher.disable = { "autologin" };
    EXPECT_EQ(respawn_conf("rancher.autologin=tty1 console=ttyS0 rancher.autologin=ttyS0", config, { "tty1", "ttyS0" }),
        "/sbin/agetty --noclear tty1 linux\n"
        "/sbin/agetty -L 115200 ttyS0 vt100\n");
}

TEST(RespawnConf, SshdPortAndListenAddress)
{
    config::CloudConfig config = sshd_config();
    config.rancher.ssh.port = 2222;
    config.rancher.ssh.listen_address = "10.0.0.5";
    EXPECT_EQ(respawn_conf("", config, {}), "/usr/sbin/sshd -D -p 2222 -o ListenAddress=10.0.0.5\n");
    config.rancher.ssh.daemon = false;
    EXPECT_EQ(respawn_conf("", config, {}), "");
}

TEST(RespawnConf, RecoveryOptions)
{
    RespawnConfOptions recovery { "root", "/usr/bin/recovery" };
    EXPECT_EQ(respawn_conf("rancher.autologin=tty1", config::CloudConfig(), { "tty1" }, recovery),
        "/sbin/agetty -n -l /usr/bin/recovery -o root:tty1 --noclear tty1 linux\n");
}

TEST(HostKeys, Decision)
{
    std::map<std::string, std::string> both { { "rsa", "PRIVATE" }, { "rsa-pub", "PUBLIC" } };
    std::map<std::string, std::string> half { { "ecdsa", "PRIVATE" } };
    std::map<std::string, std::string> blank { { "ed25519", " \n" }, { "ed25519-pub", "PUBLIC" } };
    EXPECT_EQ(host_key_action(true, both, "rsa"), HostKeyAction::Keep);
    EXPECT_EQ(host_key_action(true, {}, "rsa"), HostKeyAction::Keep);
    EXPECT_EQ(host_key_action(false, both, "rsa"), HostKeyAction::WriteFromConfig);
    EXPECT_EQ(host_key_action(false, both, "ecdsa"), HostKeyAction::Generate);
    EXPECT_EQ(host_key_action(false, half, "ecdsa"), HostKeyAction::Generate);
    EXPECT_EQ(host_key_action(false, blank, "ed25519"), HostKeyAction::Generate);
}

TEST(HostKeys, WrittenFromConfigKeptOrGenerated)
{
    if (!program_exists("ssh-keygen"))
        GTEST_SKIP() << "no ssh-keygen";
    TestRoot root;
    root.write("/etc/ssh/ssh_host_rsa_key", "EXISTING\n", 0600);
    std::map<std::string, std::string> saved { { "ecdsa", "-----ECDSA PRIVATE-----" },
        { "ecdsa-pub", "ecdsa-sha2 PUB" }, { "rsa", "IGNORED" }, { "rsa-pub", "IGNORED" } };
    Report report;
    auto generated = ensure_host_keys(root.paths(), saved, report);
    EXPECT_EQ(report.error_count(), 0u);

    EXPECT_EQ(root.read("/etc/ssh/ssh_host_rsa_key"), "EXISTING\n");
    EXPECT_EQ(root.read("/etc/ssh/ssh_host_ecdsa_key"), "-----ECDSA PRIVATE-----\n");
    EXPECT_EQ(root.read("/etc/ssh/ssh_host_ecdsa_key.pub"), "ecdsa-sha2 PUB\n");
    EXPECT_EQ(root.mode("/etc/ssh/ssh_host_ecdsa_key"), 0600);
    EXPECT_EQ(root.mode("/etc/ssh/ssh_host_ecdsa_key.pub"), 0644);

    ASSERT_EQ(generated.size(), 2u);
    ASSERT_EQ(generated.count("ed25519"), 1u);
    EXPECT_EQ(generated.at("ed25519"), root.read("/etc/ssh/ssh_host_ed25519_key"));
    EXPECT_EQ(generated.at("ed25519-pub"), root.read("/etc/ssh/ssh_host_ed25519_key.pub"));
    EXPECT_NE(generated.at("ed25519").find("PRIVATE KEY"), std::string::npos);
    EXPECT_TRUE(generated.at("ed25519-pub").starts_with("ssh-ed25519 "));
    EXPECT_EQ(root.mode("/etc/ssh/ssh_host_ed25519_key"), 0600);
}

TEST(Issue, BannerAndAddresses)
{
    EXPECT_EQ(issue_text("v1.2.3", {}), "CorralOS v1.2.3 \\n \\l\n\n");
    EXPECT_EQ(issue_text("v1.2.3", { { "eth0", "10.0.2.15" }, { "eth1", "192.168.1.4" } }),
        "CorralOS v1.2.3 \\n \\l\n\neth0: 10.0.2.15\neth1: 192.168.1.4\n\n");
}

TEST(Profile, PathFromTheEnvironment)
{
    EXPECT_FALSE(path_profile({ { "VERSION", "v1" } }));
    EXPECT_EQ(*path_profile({ { "PATH", "/opt/bin, /home/rancher/bin" } }),
        "#!/bin/sh\nexport PATH=\"$PATH:/opt/bin\"\nexport PATH=\"$PATH:/home/rancher/bin\"\n");
    EXPECT_EQ(*path_profile({ { "path", "/dir with \"quote\"" } }),
        "#!/bin/sh\nexport PATH=\"$PATH:/dir with \\\"quote\\\"\"\n");
}

TEST(Profile, ProxyFromTheEnvironment)
{
    EXPECT_FALSE(proxy_profile({ { "PATH", "/x" } }));
    EXPECT_EQ(*proxy_profile({ { "HTTP_PROXY", "http://proxy:3128" }, { "no_proxy", "it's,local" } }),
        "#!/bin/sh\nexport HTTP_PROXY='http://proxy:3128'\nexport no_proxy='it'\\''s,local'\n");
}
