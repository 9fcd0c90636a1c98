// What cloud-init-save makes of user data: gzip, #cloud-config, scripts,
// #compose and the rest (reference §5).

#include "cloudinit/gzip.h"
#include "cloudinit/user_data.h"
#include "config/yaml.h"
#include "gzip_support.h"

#include <gtest/gtest.h>

using namespace corral;
using namespace corral::cloudinit;

namespace {

const std::string SOURCE = "/media/config-2/openstack/latest/user_data";

bool any_contains(const std::vector<std::string>& messages, std::string_view text)
{
    for (auto const& message : messages) {
        if (message.find(text) != std::string::npos)
            return true;
    }
    return false;
}

} // namespace

TEST(Gzip, RoundTripAndConcatenatedMembers)
{
    auto one = gunzip(test::gzip("hello "));
    ASSERT_FALSE(one.is_error()) << one.error().message();
    EXPECT_EQ(*one, "hello ");
    auto two = gunzip(test::gzip("hello ") + test::gzip("world\n"));
    ASSERT_FALSE(two.is_error()) << two.error().message();
    EXPECT_EQ(*two, "hello world\n");
}

TEST(Gzip, TruncatedCorruptAndTooLargeAreErrors)
{
    std::string packed = test::gzip(std::string(10000, 'x'));
    auto truncated = gunzip(packed.substr(0, packed.size() / 2));
    ASSERT_TRUE(truncated.is_error());
    EXPECT_EQ(truncated.error().code(), EINVAL);
    EXPECT_NE(truncated.error().message().find("truncated"), std::string::npos) << truncated.error().message();

    std::string corrupt = packed;
    corrupt[12] ^= 0x55;
    corrupt[13] ^= 0x55;
    EXPECT_TRUE(gunzip(corrupt).is_error());

    auto bomb = gunzip(packed, 1000);
    ASSERT_TRUE(bomb.is_error());
    EXPECT_EQ(bomb.error().code(), EFBIG);

    EXPECT_EQ(gunzip("plain").error().code(), EINVAL);
}

TEST(UserData, EmptyAndBlankAreEmpty)
{
    EXPECT_EQ(process_user_data("", SOURCE).kind, UserDataKind::Empty);
    EXPECT_EQ(process_user_data(" \n\t\n", SOURCE).kind, UserDataKind::Empty);
}

TEST(UserData, CloudConfigIsKeptAsWritten)
{
    std::string text = "#cloud-config\n# my comment\nhostname: box\nssh_authorized_keys:\n  - ssh-ed25519 AAAA me\n";
    UserData out = process_user_data(text, SOURCE);
    ASSERT_EQ(out.kind, UserDataKind::CloudConfig);
    EXPECT_EQ(out.cloud_config, text);
    EXPECT_TRUE(out.errors.empty());
    EXPECT_TRUE(out.warnings.empty());
    EXPECT_TRUE(out.script.empty());
}

TEST(UserData, CloudConfigHeaderWithCarriageReturnAndNoFinalNewline)
{
    UserData out = process_user_data("#cloud-config\r\nhostname: box", SOURCE);
    ASSERT_EQ(out.kind, UserDataKind::CloudConfig);
    EXPECT_EQ(out.cloud_config, "#cloud-config\r\nhostname: box\n");
}

TEST(UserData, GzippedCloudConfigIsDecompressed)
{
    std::string text = "#cloud-config\nhostname: zipped\n";
    UserData out = process_user_data(test::gzip(text), SOURCE);
    ASSERT_EQ(out.kind, UserDataKind::CloudConfig);
    EXPECT_EQ(out.cloud_config, text);
}

TEST(UserData, BrokenGzipIsInvalidNamingTheSource)
{
    std::string packed = test::gzip("#cloud-config\nhostname: x\n");
    UserData out = process_user_data(packed.substr(0, 8), SOURCE);
    ASSERT_EQ(out.kind, UserDataKind::Invalid);
    ASSERT_EQ(out.errors.size(), 1u);
    EXPECT_NE(out.errors[0].find(SOURCE), std::string::npos) << out.errors[0];
}

TEST(UserData, CloudConfigThatDoesNotParseIsDroppedWithFileAndPlace)
{
    UserData out = process_user_data("#cloud-config\nhostname: [unclosed\n", SOURCE);
    ASSERT_EQ(out.kind, UserDataKind::Invalid);
    EXPECT_TRUE(out.cloud_config.empty());
    ASSERT_EQ(out.errors.size(), 1u);
    EXPECT_NE(out.errors[0].find(SOURCE + ":"), std::string::npos) << out.errors[0];
    EXPECT_NE(out.errors[0].find("not saving"), std::string::npos) << out.errors[0];
}

TEST(UserData, CloudConfigThatIsNotAMapIsDropped)
{
    UserData out = process_user_data("#cloud-config\n- a\n- b\n", SOURCE);
    ASSERT_EQ(out.kind, UserDataKind::Invalid);
    EXPECT_TRUE(any_contains(out.errors, "not a map")) << out.errors[0];
}

TEST(UserData, SchemaErrorsAndUnknownKeysAreReportedButTheConfigIsKept)
{
    UserData out
        = process_user_data("#cloud-config\nrancher:\n  ssh:\n    port: many\nfavourite_colour: blue\n", SOURCE);
    ASSERT_EQ(out.kind, UserDataKind::CloudConfig);
    ASSERT_EQ(out.errors.size(), 1u);
    EXPECT_NE(out.errors[0].find("rancher.ssh.port"), std::string::npos) << out.errors[0];
    EXPECT_NE(out.errors[0].find(SOURCE + ":4:"), std::string::npos) << out.errors[0];
    ASSERT_EQ(out.warnings.size(), 1u);
    EXPECT_NE(out.warnings[0].find("favourite_colour"), std::string::npos) << out.warnings[0];
}

TEST(UserData, ScriptIsSavedAsIs)
{
    std::string text = "#!/bin/sh\necho hello > /tmp/x\n";
    UserData out = process_user_data(text, SOURCE);
    ASSERT_EQ(out.kind, UserDataKind::Script);
    EXPECT_EQ(out.script, text);
    EXPECT_TRUE(out.cloud_config.empty());
}

TEST(UserData, ComposeIsWrappedUnderRancherServices)
{
    UserData out = process_user_data("#compose\nnginx:\n  image: nginx\n  restart: always\n", SOURCE);
    ASSERT_EQ(out.kind, UserDataKind::Compose);
    EXPECT_TRUE(out.errors.empty());
    auto tree = config::parse_yaml(out.cloud_config, "boot.yml");
    ASSERT_FALSE(tree.is_error()) << tree.error().message();
    const config::Node* rancher = tree->find("rancher");
    ASSERT_NE(rancher, nullptr);
    const config::Node* services = rancher->find("services");
    ASSERT_NE(services, nullptr);
    const config::Node* nginx = services->find("nginx");
    ASSERT_NE(nginx, nullptr);
    ASSERT_NE(nginx->find("image"), nullptr);
    EXPECT_EQ(nginx->find("image")->text(), "nginx");
    EXPECT_EQ(nginx->find("restart")->text(), "always");
    EXPECT_EQ(tree->entries().size(), 1u);
}

TEST(UserData, ComposeWithoutTheNewlineIsNotCompose)
{
    // "#composed" is not the header; RancherOS required "#compose\n".
    EXPECT_EQ(process_user_data("#composed\nx: 1\n", SOURCE).kind, UserDataKind::Unrecognized);
}

TEST(UserData, AnythingElseIsUnrecognizedAndQuoted)
{
    UserData out = process_user_data("hostname: no-header\n", SOURCE);
    ASSERT_EQ(out.kind, UserDataKind::Unrecognized);
    ASSERT_EQ(out.errors.size(), 1u);
    EXPECT_NE(out.errors[0].find("\"hostname: no-header\""), std::string::npos) << out.errors[0];
    EXPECT_NE(out.errors[0].find(SOURCE), std::string::npos) << out.errors[0];
}
