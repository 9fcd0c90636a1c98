// ssh_authorized_keys (reference §3.6): appended without duplicates to the
// authorized_keys of rancher and docker, with the modes sshd insists on.

#include "cloudinit/authorized_keys.h"
#include "test_root.h"

#include <gtest/gtest.h>

#include <unistd.h>

using namespace corral;
using namespace corral::cloudinit;
using corral::test::TestRoot;

TEST(AuthorizedKeys, MergeAppendsOnlyNewKeysInOrder)
{
    EXPECT_EQ(merge_authorized_keys("", { "ssh-rsa A a", "ssh-ed25519 B b" }), "ssh-rsa A a\nssh-ed25519 B b\n");
    EXPECT_EQ(merge_authorized_keys("# mine\nssh-rsa A a\n", { "ssh-rsa A a", "  ssh-rsa A a  ", "ssh-ed25519 C c" }),
        "# mine\nssh-rsa A a\nssh-ed25519 C c\n");
    // A file without a final newline gets one before the new key.
    EXPECT_EQ(merge_authorized_keys("ssh-rsa A a", { "ssh-rsa B b" }), "ssh-rsa A a\nssh-rsa B b\n");
    // Nothing new: the text comes back unchanged, even without its newline.
    EXPECT_EQ(merge_authorized_keys("ssh-rsa A a", { "ssh-rsa A a", "" }), "ssh-rsa A a");
    // A key list item holding several lines is several keys.
    EXPECT_EQ(merge_authorized_keys("", { "ssh-rsa A a\nssh-rsa B b\n" }), "ssh-rsa A a\nssh-rsa B b\n");
}

TEST(AuthorizedKeys, AddedToRancherAndDockerWithModes)
{
    TestRoot root;
    root.write_accounts();
    ASSERT_FALSE(mkdir_p(root.path("/home/rancher"), 0755).is_error());
    ASSERT_FALSE(mkdir_p(root.path("/home/docker"), 0755).is_error());
    auto accounts = Accounts::load(root.paths());
    ASSERT_FALSE(accounts.is_error());

    Report report;
    apply_authorized_keys(root.paths(), *accounts, { "ssh-ed25519 AAA one", "ssh-ed25519 BBB two" }, report);
    EXPECT_EQ(report.error_count(), 0u);
    for (auto const* home : { "/home/rancher", "/home/docker" }) {
        std::string dir = std::string(home) + "/.ssh";
        EXPECT_EQ(root.read(dir + "/authorized_keys"), "ssh-ed25519 AAA one\nssh-ed25519 BBB two\n");
        EXPECT_EQ(root.mode(dir), 0700);
        EXPECT_EQ(root.mode(dir + "/authorized_keys"), 0600);
    }
    if (::geteuid() == 0) {
        EXPECT_EQ(root.stat("/home/rancher/.ssh").st_uid, 1100u);
        EXPECT_EQ(root.stat("/home/rancher/.ssh/authorized_keys").st_uid, 1100u);
        EXPECT_EQ(root.stat("/home/rancher/.ssh/authorized_keys").st_gid, 1100u);
        EXPECT_EQ(root.stat("/home/docker/.ssh/authorized_keys").st_uid, 1101u);
    }

    // A second console start with one more key: no duplicates, the user's own
    // lines kept, and a loosened mode repaired.
    root.write("/home/rancher/.ssh/authorized_keys", "ssh-ed25519 AAA one\nssh-rsa MINE mine\n", 0644);
    Report again;
    apply_authorized_keys(
        root.paths(), *accounts, { "ssh-ed25519 AAA one", "ssh-ed25519 BBB two", "ssh-ed25519 CCC three" }, again);
    EXPECT_EQ(again.error_count(), 0u);
    EXPECT_EQ(root.read("/home/rancher/.ssh/authorized_keys"),
        "ssh-ed25519 AAA one\nssh-rsa MINE mine\nssh-ed25519 BBB two\nssh-ed25519 CCC three\n");
    EXPECT_EQ(root.mode("/home/rancher/.ssh/authorized_keys"), 0600);

    // Nothing new: the file is left as it is, but its mode is still put right.
    ASSERT_EQ(::chmod(root.path("/home/docker/.ssh/authorized_keys").c_str(), 0664), 0);
    ASSERT_EQ(::chmod(root.path("/home/docker/.ssh").c_str(), 0775), 0);
    ASSERT_FALSE(add_authorized_keys(root.paths(), *accounts, "docker", { "ssh-ed25519 AAA one" }).is_error());
    EXPECT_EQ(root.mode("/home/docker/.ssh/authorized_keys"), 0600);
    EXPECT_EQ(root.mode("/home/docker/.ssh"), 0700);
}

TEST(AuthorizedKeys, MissingUserOrHomeIsReportedAndTheOtherUserStillGetsKeys)
{
    TestRoot root;
    root.write(
        "/etc/passwd", "docker:x:1101:1101::/home/docker:/bin/bash\nrancher:x:1100:1100::/home/rancher:/bin/bash\n");
    ASSERT_FALSE(mkdir_p(root.path("/home/docker"), 0755).is_error());
    auto accounts = Accounts::load(root.paths());
    ASSERT_FALSE(accounts.is_error());
    Report report;
    apply_authorized_keys(root.paths(), *accounts, { "ssh-rsa K k" }, report);
    auto errors = report.messages(LogLevel::Error);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("ssh_authorized_keys for rancher: "), std::string::npos) << errors[0];
    EXPECT_EQ(root.read("/home/docker/.ssh/authorized_keys"), "ssh-rsa K k\n");

    auto none = add_authorized_keys(root.paths(), Accounts(), "rancher", { "k" });
    ASSERT_TRUE(none.is_error());
    EXPECT_EQ(none.error().code(), ENOENT);
}

TEST(AuthorizedKeys, ASymlinkedSshDirectoryIsRefused)
{
    TestRoot root;
    root.write_accounts();
    ASSERT_FALSE(mkdir_p(root.path("/home/rancher"), 0755).is_error());
    ASSERT_FALSE(mkdir_p(root.path("/elsewhere"), 0755).is_error());
    ASSERT_EQ(::symlink(root.path("/elsewhere").c_str(), root.path("/home/rancher/.ssh").c_str()), 0);
    auto accounts = Accounts::load(root.paths());
    auto added = add_authorized_keys(root.paths(), *accounts, "rancher", { "ssh-rsa K k" });
    ASSERT_TRUE(added.is_error());
    EXPECT_FALSE(root.exists("/elsewhere/authorized_keys"));
}

TEST(AuthorizedKeys, NoKeysTouchesNothing)
{
    TestRoot root;
    root.write_accounts();
    Report report;
    apply_authorized_keys(root.paths(), *Accounts::load(root.paths()), {}, report);
    EXPECT_TRUE(report.entries().empty());
    EXPECT_FALSE(root.exists("/home/rancher"));
}
