// write_files (reference §3.3, §3.6): encodings, permissions, owners from the
// passwd and group files, paths, and which container an entry belongs to.

#include "base/base64.h"
#include "base/file.h"
#include "cloudinit/accounts.h"
#include "cloudinit/files.h"
#include "cloudinit/write_files.h"
#include "config/loader.h"
#include "gzip_support.h"
#include "test_root.h"

#include <gtest/gtest.h>

#include <unistd.h>

using namespace corral;
using namespace corral::cloudinit;
using corral::test::TestRoot;

namespace {

Accounts console_accounts()
{
    return Accounts(parse_passwd("root:x:0:0:root:/root:/bin/bash\n"
                                 "rancher:x:1100:1100::/home/rancher:/bin/bash\n"
                                 "docker:x:1101:1101::/home/docker:/bin/bash\n"),
        parse_group("root:x:0:\nrancher:x:1100:\ndocker:x:1101:rancher\nadm:x:4:\n"));
}

config::WriteFile entry(std::string path, std::string content)
{
    config::WriteFile file;
    file.path = std::move(path);
    file.content = std::move(content);
    return file;
}

// The write_files of one of the config examples, as the loader decodes them.
std::vector<config::WriteFile> example_files(const std::string& name)
{
    auto layer = config::load_file_layer(std::string(CORRAL_SOURCE_DIR) + "/tests/unit/config/examples/" + name, name);
    EXPECT_FALSE(layer.is_error());
    config::Diagnostics diagnostics;
    auto typed = config::decode_cloud_config(layer->tree, diagnostics);
    EXPECT_FALSE(config::has_errors(diagnostics));
    return typed.write_files;
}

} // namespace

TEST(Accounts, ParsesPasswdAndGroupSkippingBadLines)
{
    auto users = parse_passwd("# comment\nroot:x:0:0:root:/root:/bin/bash\nbroken:x:abc:1::/h:/bin/sh\nshort:x:1\n"
                              "rancher:x:1100:1100:Rancher:/home/rancher:/bin/bash\r\n");
    ASSERT_EQ(users.size(), 2u);
    EXPECT_EQ(users[1].name, "rancher");
    EXPECT_EQ(users[1].uid, 1100u);
    EXPECT_EQ(users[1].gid, 1100u);
    EXPECT_EQ(users[1].home, "/home/rancher");
    EXPECT_EQ(users[1].shell, "/bin/bash");
    auto groups = parse_group("docker:x:1101:rancher,docker\nempty:x:5:\nbad:x:zz:\n");
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(groups[0].members, (std::vector<std::string> { "rancher", "docker" }));
    EXPECT_TRUE(groups[1].members.empty());
}

TEST(Accounts, ResolveOwner)
{
    Accounts accounts = console_accounts();
    auto check = [&](std::string_view owner, uid_t uid, gid_t gid) {
        auto resolved = resolve_owner(owner, accounts);
        ASSERT_FALSE(resolved.is_error()) << owner << ": " << resolved.error().message();
        EXPECT_EQ(resolved->uid, uid) << owner;
        EXPECT_EQ(resolved->gid, gid) << owner;
    };
    check("", 0, 0);
    check("rancher", 1100, 1100); // the user's primary group
    check("rancher:docker", 1100, 1101);
    check("docker:adm", 1101, 4);
    check(":docker", 0, 1101);
    check("1234:5678", 1234, 5678);
    check("1101", 1101, 1101); // a known uid gets its primary group too
    check("root:root", 0, 0);

    auto no_user = resolve_owner("alice", accounts);
    ASSERT_TRUE(no_user.is_error());
    EXPECT_EQ(no_user.error().code(), ENOENT);
    EXPECT_NE(no_user.error().message().find("no user \"alice\" in /etc/passwd"), std::string::npos);
    auto no_group = resolve_owner("rancher:wheel", accounts);
    ASSERT_TRUE(no_group.is_error());
    EXPECT_NE(no_group.error().message().find("no group \"wheel\" in /etc/group"), std::string::npos);
}

TEST(WriteFiles, Permissions)
{
    EXPECT_EQ(*parse_permissions(""), 0644u);
    EXPECT_EQ(*parse_permissions("", 0600), 0600u);
    EXPECT_EQ(*parse_permissions("0755"), 0755u);
    EXPECT_EQ(*parse_permissions("600"), 0600u);
    EXPECT_EQ(*parse_permissions("04755"), 04755u);
    EXPECT_EQ(*parse_permissions("0o640"), 0640u);
    EXPECT_TRUE(parse_permissions("0x1ff").is_error());
    EXPECT_TRUE(parse_permissions("rw-r--r--").is_error());
    EXPECT_TRUE(parse_permissions("0999").is_error());
    EXPECT_TRUE(parse_permissions("77777").is_error());
}

TEST(WriteFiles, Paths)
{
    EXPECT_FALSE(check_config_path("/etc/motd").is_error());
    auto relative = check_config_path("etc/motd");
    ASSERT_TRUE(relative.is_error());
    EXPECT_EQ(relative.error().code(), EINVAL);
    EXPECT_NE(relative.error().message().find("not an absolute path"), std::string::npos);
    EXPECT_TRUE(check_config_path("/etc/../../escape").is_error());
    EXPECT_TRUE(check_config_path("").is_error());
    EXPECT_TRUE(check_config_path("/etc/").is_error());
    EXPECT_FALSE(check_config_path("/etc/..hidden").is_error());
}

TEST(WriteFiles, Encodings)
{
    std::string text = "line one\nline two\n";
    EXPECT_EQ(*decode_content(text, ""), text);
    EXPECT_EQ(*decode_content(base64_encode(text), "b64"), text);
    EXPECT_EQ(*decode_content(base64_encode(text), "base64"), text);
    EXPECT_EQ(*decode_content(test::gzip(text), "gz"), text);
    EXPECT_EQ(*decode_content(test::gzip(text), "gzip"), text);
    for (auto name : { "gz+b64", "gz+base64", "gzip+b64", "gzip+base64" })
        EXPECT_EQ(*decode_content(base64_encode(test::gzip(text)), name), text) << name;

    auto unknown = decode_content(text, "rot13");
    ASSERT_TRUE(unknown.is_error());
    EXPECT_NE(unknown.error().message().find("unknown encoding \"rot13\""), std::string::npos);
    auto bad64 = decode_content("!!!", "b64");
    ASSERT_TRUE(bad64.is_error());
    EXPECT_NE(bad64.error().message().find("decoding b64 content"), std::string::npos) << bad64.error().message();
    EXPECT_TRUE(decode_content(base64_encode(text), "gz+b64").is_error()); // base64 of text, not of gzip
}

TEST(WriteFiles, TheConfigExamplesDecode)
{
    auto gzip_files = example_files("04-write-files-gzip.yml");
    ASSERT_EQ(gzip_files.size(), 2u);
    for (auto const& file : gzip_files) {
        auto data = decode_content(file.content, file.encoding);
        ASSERT_FALSE(data.is_error()) << file.path << ": " << data.error().message();
        EXPECT_FALSE(data->empty());
    }
    auto b64_files = example_files("05-write-files-gzip-base64.yml");
    ASSERT_EQ(b64_files.size(), 4u);
    for (auto const& file : b64_files) {
        auto data = decode_content(file.content, file.encoding);
        ASSERT_FALSE(data.is_error()) << file.path << ": " << data.error().message();
        EXPECT_FALSE(data->empty());
    }
}

TEST(WriteFiles, BelongsTo)
{
    config::WriteFile file = entry("/x", "");
    EXPECT_TRUE(belongs_to(file, "console"));
    EXPECT_FALSE(belongs_to(file, "syslog"));
    file.container = "syslog";
    EXPECT_TRUE(belongs_to(file, "syslog"));
    EXPECT_FALSE(belongs_to(file, "console"));
}

TEST(WriteFiles, WritesWithModeAndMakesParents)
{
    TestRoot root;
    config::WriteFile file = entry("/opt/deep/dir/run.sh", "#!/bin/sh\necho hi\n");
    file.permissions = "0750";
    auto written = write_file_entry(root.paths(), console_accounts(), file);
    ASSERT_FALSE(written.is_error()) << written.error().message();
    EXPECT_EQ(root.read("/opt/deep/dir/run.sh"), "#!/bin/sh\necho hi\n");
    EXPECT_EQ(root.mode("/opt/deep/dir/run.sh"), 0750);
    EXPECT_EQ(root.mode("/opt/deep/dir"), 0755);

    // Default 0644; an existing file is replaced, its old mode not kept.
    config::WriteFile again = entry("/opt/deep/dir/run.sh", "new\n");
    ASSERT_FALSE(write_file_entry(root.paths(), console_accounts(), again).is_error());
    EXPECT_EQ(root.read("/opt/deep/dir/run.sh"), "new\n");
    EXPECT_EQ(root.mode("/opt/deep/dir/run.sh"), 0644);
}

TEST(WriteFiles, ReplacesASymlinkInsteadOfWritingThroughIt)
{
    TestRoot root;
    root.write("/target", "untouched\n");
    ASSERT_FALSE(mkdir_p(root.path("/etc"), 0755).is_error());
    ASSERT_EQ(::symlink(root.path("/target").c_str(), root.path("/etc/motd").c_str()), 0);
    ASSERT_FALSE(write_file_entry(root.paths(), console_accounts(), entry("/etc/motd", "hello\n")).is_error());
    EXPECT_EQ(root.read("/target"), "untouched\n");
    EXPECT_EQ(root.read("/etc/motd"), "hello\n");
    EXPECT_TRUE(S_ISREG(root.stat("/etc/motd").st_mode));
}

TEST(WriteFiles, OwnerIsSetWhenRoot)
{
    if (::geteuid() != 0)
        GTEST_SKIP() << "changing owners needs root";
    TestRoot root;
    config::WriteFile file = entry("/home/rancher/notes", "x\n");
    file.owner = "rancher:docker";
    file.permissions = "0640";
    ASSERT_FALSE(write_file_entry(root.paths(), console_accounts(), file).is_error());
    auto st = root.stat("/home/rancher/notes");
    EXPECT_EQ(st.st_uid, 1100u);
    EXPECT_EQ(st.st_gid, 1101u);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    // The directories made on the way are root's.
    EXPECT_EQ(root.stat("/home/rancher").st_uid, 0u);
}

TEST(WriteFiles, ErrorsNameThePathAndLeaveNothingBehind)
{
    TestRoot root;
    auto relative = write_file_entry(root.paths(), console_accounts(), entry("etc/x", "y"));
    ASSERT_TRUE(relative.is_error());
    EXPECT_NE(relative.error().message().find("write_files etc/x: "), std::string::npos) << relative.error().message();

    config::WriteFile bad_owner = entry("/etc/owned", "y");
    bad_owner.owner = "nobody-here";
    auto owner = write_file_entry(root.paths(), console_accounts(), bad_owner);
    ASSERT_TRUE(owner.is_error());
    EXPECT_NE(owner.error().message().find("write_files /etc/owned: "), std::string::npos);
    EXPECT_FALSE(root.exists("/etc/owned"));

    config::WriteFile bad_encoding = entry("/etc/enc", "%%%");
    bad_encoding.encoding = "base64";
    EXPECT_TRUE(write_file_entry(root.paths(), console_accounts(), bad_encoding).is_error());
    EXPECT_FALSE(root.exists("/etc/enc"));
}

TEST(WriteFiles, ApplyWritesOnlyTheContainersEntriesAndGoesOnAfterAFailure)
{
    TestRoot root;
    config::WriteFile console = entry("/etc/console-file", "c\n");
    config::WriteFile bad = entry("relative/path", "b\n");
    config::WriteFile syslog = entry("/etc/syslog-file", "s\n");
    syslog.container = "syslog";
    config::WriteFile named_console = entry("/etc/named-console", "n\n");
    named_console.container = "console";
    Report report;
    apply_write_files(root.paths(), console_accounts(), { console, bad, syslog, named_console }, "console", report);
    EXPECT_EQ(root.read("/etc/console-file"), "c\n");
    EXPECT_EQ(root.read("/etc/named-console"), "n\n");
    EXPECT_FALSE(root.exists("/etc/syslog-file"));
    EXPECT_EQ(report.error_count(), 1u);

    Report other;
    apply_write_files(root.paths(), console_accounts(), { console, syslog }, "syslog", other);
    EXPECT_EQ(root.read("/etc/syslog-file"), "s\n");
    EXPECT_EQ(other.error_count(), 0u);
}
