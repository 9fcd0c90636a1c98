// `ros console-init` up to the exec of respawn, on a temporary root: what it
// writes and runs, from a kernel command line and a cloud-config.

#include "cli/config_common.h"
#include "cli/console_init.h"
#include "cli/entrypoint.h"
#include "config/keypath.h"
#include "config/loader.h"
#include "config/yaml.h"
#include "test_root.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <unistd.h>

using namespace corral;
using namespace corral::cli;
using corral::test::TestRoot;

namespace {

bool have_ssh_keygen()
{
    return ::access("/usr/bin/ssh-keygen", X_OK) == 0;
}

const std::string SSH_AND_PATH = "rancher:\n"
                                 "  environment:\n    PATH: /opt/bin\n"
                                 "  ssh:\n    daemon: true\n    port: 2222\n"
                                 "    keys:\n      ed25519: ED-PRIVATE\n      ed25519-pub: ED-PUBLIC\n";

// A console root: the users, the terminals, a command line and a config.
void make_console(const TestRoot& root)
{
    root.write_accounts();
    root.write("/dev/tty1", "");
    root.write("/dev/tty2", "");
    root.write("/dev/ttyS0", "");
    root.write("/proc/cmdline", "console=tty1 console=ttyS0,115200 rancher.autologin=ttyS0 rancher.password=pw\n");
    root.write("/etc/respawn.conf.d/extra", "/usr/bin/extra-daemon --flag");
    root.write("/usr/share/ros/os-release", "NAME=CorralOS\n");
    root.write(
        "/var/lib/rancher/conf/cloud-config-script", "#!/bin/sh\necho script >> \"$(dirname \"$0\")/ran\"\n", 0500);
    root.write("/opt/rancher/bin/start.sh", "echo start >> " + root.path("/var/lib/rancher/conf/ran") + "\n", 0755);
    root.write("/etc/rc.local", "#!/bin/sh\necho rc.local >> " + root.path("/var/lib/rancher/conf/ran") + "\n", 0755);
    root.write("/var/lib/rancher/conf/cloud-config.yml",
        "hostname: box\n"
        "ssh_authorized_keys:\n  - ssh-ed25519 KEY user@host\n"
        "write_files:\n"
        "  - path: /etc/motd\n    content: hello\n    permissions: \"0640\"\n"
        "  - path: /etc/for-syslog\n    content: no\n    container: syslog\n"
        "runcmd:\n  - echo runcmd >> "
            + root.path("/var/lib/rancher/conf/ran") + "\n" + SSH_AND_PATH);
}

} // namespace

TEST(ConsoleInit, PreparesTheConsole)
{
    if (!have_ssh_keygen())
        GTEST_SKIP() << "no /usr/bin/ssh-keygen";
    TestRoot root;
    make_console(root);
    auto loaded = config::load_config(root.paths());
    ASSERT_TRUE(loaded.skipped.empty());
    cloudinit::Report report;
    prepare_console(root.paths(), loaded, report);
    for (auto const& error : report.messages(LogLevel::Error))
        ADD_FAILURE() << error;

    // Homes, utmp, lock.
    EXPECT_EQ(root.mode("/home/rancher"), 0755);
    EXPECT_EQ(root.mode("/home/docker"), 0755);
    if (::geteuid() == 0) {
        EXPECT_EQ(root.stat("/home/rancher").st_uid, 1100u);
        EXPECT_EQ(root.stat("/home/docker").st_gid, 1101u);
        EXPECT_EQ(root.stat("/run/utmp").st_gid, 43u);
    }
    EXPECT_TRUE(root.exists("/run/utmp"));
    EXPECT_EQ(root.mode("/run/lock"), 01777);

    // The password is never set outside the real root.
    auto infos = report.messages(LogLevel::Info);
    EXPECT_NE(std::find(infos.begin(), infos.end(), "rancher.password: not set (ROS_ROOT is not /)"), infos.end());

    // Host keys: ed25519 from the config, rsa and ecdsa generated and persisted
    // next to what cloud-config.yml already held.
    EXPECT_EQ(root.read("/etc/ssh/ssh_host_ed25519_key"), "ED-PRIVATE\n");
    EXPECT_EQ(root.read("/etc/ssh/ssh_host_ed25519_key.pub"), "ED-PUBLIC\n");
    auto saved = read_user_config(root.paths());
    ASSERT_FALSE(saved.is_error());
    for (auto const* type : { "rsa", "ecdsa" }) {
        const config::Node* key = config::find_path(*saved, { "rancher", "ssh", "keys", type });
        const config::Node* pub = config::find_path(*saved, { "rancher", "ssh", "keys", std::string(type) + "-pub" });
        ASSERT_NE(key, nullptr) << type;
        ASSERT_NE(pub, nullptr) << type;
        EXPECT_EQ(key->text(), root.read(std::string("/etc/ssh/ssh_host_") + type + "_key"));
        EXPECT_EQ(pub->text(), root.read(std::string("/etc/ssh/ssh_host_") + type + "_key.pub"));
    }
    EXPECT_EQ(config::find_path(*saved, { "rancher", "ssh", "keys", "ed25519" })->text(), "ED-PRIVATE");
    EXPECT_EQ(config::find_path(*saved, { "hostname" })->text(), "box");
    EXPECT_EQ(root.mode("/var/lib/rancher/conf/cloud-config.yml"), 0600);
    EXPECT_TRUE(root.exists("/run/sshd"));
    EXPECT_TRUE(root.exists("/var/run/sshd"));

    // The next start finds the keys in the config and generates nothing.
    ASSERT_EQ(::unlink(root.path("/etc/ssh/ssh_host_rsa_key").c_str()), 0);
    auto reloaded = config::load_config(root.paths());
    cloudinit::Report second;
    prepare_console(root.paths(), reloaded, second);
    EXPECT_EQ(
        root.read("/etc/ssh/ssh_host_rsa_key"), config::find_path(*saved, { "rancher", "ssh", "keys", "rsa" })->text());

    EXPECT_EQ(root.read("/etc/respawn.conf"),
        "/sbin/agetty --noclear tty1 linux\n"
        "/sbin/agetty --noclear tty2 linux\n"
        "/sbin/agetty -n -l /usr/bin/autologin -o rancher:ttyS0 -L 115200 ttyS0 vt100\n"
        "/usr/sbin/sshd -D -p 2222\n"
        "/usr/bin/extra-daemon --flag\n");
    EXPECT_TRUE(root.read("/etc/issue").starts_with("CorralOS "));
    EXPECT_EQ(root.read("/etc/profile.d/path.sh"), "#!/bin/sh\nexport PATH=\"$PATH:/opt/bin\"\n");
    EXPECT_FALSE(root.exists("/etc/profile.d/proxy.sh"));
    char link[256] = {};
    ASSERT_GT(::readlink(root.path("/etc/os-release").c_str(), link, sizeof link - 1), 0);
    EXPECT_STREQ(link, "/usr/share/ros/os-release");

    // apply_console, the scripts in order, and console-done.
    EXPECT_EQ(root.read("/home/rancher/.ssh/authorized_keys"), "ssh-ed25519 KEY user@host\n");
    EXPECT_EQ(root.read("/home/docker/.ssh/authorized_keys"), "ssh-ed25519 KEY user@host\n");
    EXPECT_EQ(root.read("/etc/motd"), "hello");
    EXPECT_EQ(root.mode("/etc/motd"), 0640);
    EXPECT_FALSE(root.exists("/etc/for-syslog"));
    EXPECT_EQ(
        root.read("/var/lib/rancher/conf/ran"), "runcmd\nscript\nstart\nrc.local\nruncmd\nscript\nstart\nrc.local\n");
    EXPECT_EQ(root.read("/run/console-done"), "default\n");
}

TEST(ConsoleInit, ABrokenConfigStillGivesGettysAndSshd)
{
    if (!have_ssh_keygen())
        GTEST_SKIP() << "no /usr/bin/ssh-keygen";
    TestRoot root;
    root.write("/dev/tty1", "");
    // No passwd file, a cloud-config that does not parse, a runcmd that fails.
    root.write("/var/lib/rancher/conf/cloud-config.yml", "rancher: [unclosed\n");
    root.write(
        "/var/lib/rancher/conf/cloud-config.d/boot.yml", "runcmd:\n  - exit 7\nrancher:\n  ssh:\n    daemon: true\n");
    auto loaded = config::load_config(root.paths());
    EXPECT_FALSE(loaded.skipped.empty());
    cloudinit::Report report;
    prepare_console(root.paths(), loaded, report);
    EXPECT_GT(report.error_count(), 0u);
    EXPECT_EQ(root.read("/etc/respawn.conf"), "/sbin/agetty --noclear tty1 linux\n/usr/sbin/sshd -D\n");
    EXPECT_TRUE(root.exists("/etc/ssh/ssh_host_ed25519_key"));
    EXPECT_EQ(root.read("/run/console-done"), "default\n");
}

TEST(Entrypoint, CertificatesWriteFilesAndLinks)
{
    TestRoot root;
    root.write_accounts();
    root.write("/etc/ssl/certs/ca-certificates.crt.rancher", "CERTS\n");
    ASSERT_FALSE(mkdir_p(root.path("/usr/bin"), 0755).is_error());
    ASSERT_FALSE(mkdir_p(root.path("/usr/sbin"), 0755).is_error());
    root.write("/usr/sbin/halt", "not ours\n", 0755);
    root.write("/var/lib/rancher/conf/cloud-config.yml",
        "write_files:\n"
        "  - path: /etc/rsyslog.d/remote.conf\n    content: \"*.* @logs\"\n    container: syslog\n"
        "  - path: /etc/console-only\n    content: c\n");
    ::setenv("CORRAL_CONTAINER_NAME", "syslog", 1);
    int failed = prepare_entrypoint(root.paths());
    ::unsetenv("CORRAL_CONTAINER_NAME");
    EXPECT_EQ(failed, 0);
    EXPECT_EQ(root.read("/etc/ssl/certs/ca-certificates.crt"), "CERTS\n");
    EXPECT_EQ(root.read("/etc/rsyslog.d/remote.conf"), "*.* @logs");
    EXPECT_FALSE(root.exists("/etc/console-only"));

    char link[256] = {};
    ASSERT_GT(::readlink(root.path("/usr/bin/respawn").c_str(), link, sizeof link - 1), 0);
    EXPECT_STREQ(link, "/usr/bin/ros");
    EXPECT_TRUE(root.exists("/usr/sbin/netconf"));
    EXPECT_EQ(root.read("/usr/sbin/halt"), "not ours\n"); // an existing file is left alone
    EXPECT_FALSE(root.exists("/sbin/halt")); // no /sbin here: nothing made

    // Without a container name, no write_files at all.
    ASSERT_EQ(::unlink(root.path("/etc/rsyslog.d/remote.conf").c_str()), 0);
    EXPECT_EQ(prepare_entrypoint(root.paths()), 0);
    EXPECT_FALSE(root.exists("/etc/rsyslog.d/remote.conf"));
}
