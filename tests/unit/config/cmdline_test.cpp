#include "config/cmdline.h"
#include "config/keypath.h"
#include "config/yaml.h"

#include <gtest/gtest.h>

using namespace corral::config;

namespace {

const Node& at(const Node& root, std::string_view key)
{
    static const Node missing = Node::string("<missing>");
    auto path = parse_key_path(key);
    const Node* node = path.is_error() ? nullptr : find_path(root, path.value());
    return node ? *node : missing;
}

} // namespace

TEST(Cmdline, SplitsOnBlanksButNotInsideQuotesOrBrackets)
{
    auto words = split_cmdline("a=1  b=\"x y\" c=[p, q] d='r s'\te");
    ASSERT_EQ(words.size(), 5u);
    EXPECT_EQ(words[0], "a=1");
    EXPECT_EQ(words[1], "b=\"x y\"");
    EXPECT_EQ(words[2], "c=[p, q]");
    EXPECT_EQ(words[3], "d='r s'");
    EXPECT_EQ(words[4], "e");
}

TEST(Cmdline, UnicodeQuotesGroupWords)
{
    auto words = split_cmdline("a=\xE2\x80\x9Cx y\xE2\x80\x9D b");
    ASSERT_EQ(words.size(), 2u);
    auto result = parse_cmdline("rancher.x=\xE2\x80\x9Cx y\xE2\x80\x9D", "cmdline");
    EXPECT_EQ(at(result.tree, "rancher.x").text(), "x y");
    EXPECT_EQ(at(result.tree, "rancher.x").kind(), ScalarKind::String);
}

TEST(Cmdline, EscapedQuotesAreUnescapedFirst)
{
    auto result = parse_cmdline("rancher.x=\\\"quoted\\\"", "cmdline");
    EXPECT_EQ(at(result.tree, "rancher.x").text(), "quoted");
}

TEST(Cmdline, ValueIsEverythingAfterTheFirstEquals)
{
    auto result = parse_cmdline("root=/dev/sda rancher.state.dev=LABEL=RANCHER_STATE rancher.state.wait", "/proc/cmdline");
    EXPECT_EQ(at(result.tree, "rancher.state.dev").text(), "LABEL=RANCHER_STATE");
    EXPECT_EQ(at(result.tree, "rancher.state.dev").kind(), ScalarKind::String);
    EXPECT_EQ(at(result.tree, "rancher.state.wait").kind(), ScalarKind::Bool);
    EXPECT_EQ(at(result.tree, "rancher.state.wait").text(), "true");
    EXPECT_EQ(result.tree.find("root"), nullptr); // not a rancher.* or cc.* key
}

TEST(Cmdline, ValuesAreTypedLikeYamlScalars)
{
    auto result = parse_cmdline("rancher.a=true rancher.b=false rancher.c=42 rancher.d=1.5 rancher.e=hello "
                                "rancher.f=[a,b] rancher.g=\"42\" rancher.h= rancher.i=[] rancher.j=-7 rancher.k=0x10",
        "cmdline");
    EXPECT_EQ(at(result.tree, "rancher.a").kind(), ScalarKind::Bool);
    EXPECT_EQ(at(result.tree, "rancher.b").text(), "false");
    EXPECT_EQ(at(result.tree, "rancher.c").kind(), ScalarKind::Int);
    EXPECT_EQ(at(result.tree, "rancher.d").kind(), ScalarKind::Float);
    EXPECT_EQ(at(result.tree, "rancher.e").kind(), ScalarKind::String);
    const Node& list = at(result.tree, "rancher.f");
    ASSERT_TRUE(list.is_list());
    ASSERT_EQ(list.items().size(), 2u);
    EXPECT_EQ(list.items()[0].text(), "a");
    EXPECT_EQ(list.items()[1].kind(), ScalarKind::String);
    EXPECT_EQ(at(result.tree, "rancher.g").kind(), ScalarKind::String);
    EXPECT_EQ(at(result.tree, "rancher.g").text(), "42");
    EXPECT_EQ(at(result.tree, "rancher.h").kind(), ScalarKind::String);
    EXPECT_EQ(at(result.tree, "rancher.h").text(), "");
    EXPECT_TRUE(at(result.tree, "rancher.i").is_list());
    EXPECT_TRUE(at(result.tree, "rancher.i").items().empty());
    EXPECT_EQ(at(result.tree, "rancher.j").kind(), ScalarKind::Int);
    EXPECT_EQ(at(result.tree, "rancher.k").kind(), ScalarKind::Int);
}

TEST(Cmdline, ValuesWithColonsStayWholeStrings)
{
    auto result = parse_cmdline("rancher.cloud_init.datasources=[url:http://10.0.0.1:8080/cc.yml,ec2] "
                                "rancher.network.http_proxy=http://proxy:3128 rancher.x=a:b",
        "cmdline");
    const Node& sources = at(result.tree, "rancher.cloud_init.datasources");
    ASSERT_TRUE(sources.is_list());
    ASSERT_EQ(sources.items().size(), 2u);
    EXPECT_EQ(sources.items()[0].text(), "url:http://10.0.0.1:8080/cc.yml");
    EXPECT_EQ(sources.items()[1].text(), "ec2");
    EXPECT_EQ(at(result.tree, "rancher.network.http_proxy").text(), "http://proxy:3128");
    EXPECT_EQ(at(result.tree, "rancher.x").text(), "a:b");
}

TEST(Cmdline, ListItemsMayBeQuotedAndSpaced)
{
    auto result = parse_cmdline("cc.ssh_authorized_keys=[\"ssh-rsa AAA one\", 'ssh-ed25519 BBB two']", "cmdline");
    const Node& keys = at(result.tree, "ssh_authorized_keys");
    ASSERT_TRUE(keys.is_list());
    ASSERT_EQ(keys.items().size(), 2u);
    EXPECT_EQ(keys.items()[0].text(), "ssh-rsa AAA one");
    EXPECT_EQ(keys.items()[1].text(), "ssh-ed25519 BBB two");
}

TEST(Cmdline, CcPrefixSetsTopLevelKeys)
{
    auto result = parse_cmdline("cc.hostname=box cc.rancher.console=ubuntu", "cmdline");
    EXPECT_EQ(at(result.tree, "hostname").text(), "box");
    EXPECT_EQ(at(result.tree, "rancher.console").text(), "ubuntu");
}

TEST(Cmdline, NestedKeysBuildMaps)
{
    auto result = parse_cmdline("rancher.network.interfaces.eth0.dhcp=false rancher.network.interfaces.eth0.address=10.0.0.2/24",
        "cmdline");
    EXPECT_EQ(emit_yaml(result.tree),
        "rancher:\n  network:\n    interfaces:\n      eth0:\n        dhcp: false\n        address: 10.0.0.2/24\n");
}

TEST(Cmdline, WordUnderAScalarIsDroppedWithAWarning)
{
    auto result = parse_cmdline("rancher.a=1 rancher.a.b=2", "/proc/cmdline");
    EXPECT_EQ(at(result.tree, "rancher.a").text(), "1");
    ASSERT_EQ(result.warnings.size(), 1u);
    EXPECT_EQ(result.warnings[0],
        "/proc/cmdline:1:13: ignoring \"rancher.a.b=2\": rancher.a holds 1, not a map, so rancher.a.b cannot be set");
}

TEST(Cmdline, EmptySegmentsAreDropped)
{
    auto result = parse_cmdline("rancher..x=1 rancher.y.=2", "cmdline");
    EXPECT_TRUE(result.tree.entries().empty());
    EXPECT_EQ(result.warnings.size(), 2u);
}

TEST(Cmdline, AutologinRepeatsIntoAList)
{
    auto result = parse_cmdline("rancher.autologin=tty1 console=ttyS0 rancher.autologin=ttyS0 rancher.autologin=ttyS1", "cmdline");
    const Node& ttys = at(result.tree, "rancher.autologin");
    ASSERT_TRUE(ttys.is_list());
    ASSERT_EQ(ttys.items().size(), 3u);
    EXPECT_EQ(ttys.items()[2].text(), "ttyS1");
    // Any other key: the last one wins.
    auto other = parse_cmdline("rancher.debug=true rancher.debug=false", "cmdline");
    EXPECT_EQ(at(other.tree, "rancher.debug").text(), "false");
}

TEST(Cmdline, MarksPointAtTheWord)
{
    auto result = parse_cmdline("quiet rancher.state.dev=LABEL=X", "/proc/cmdline");
    EXPECT_EQ(at(result.tree, "rancher.state.dev").mark().describe(), "/proc/cmdline:1:7");
}
