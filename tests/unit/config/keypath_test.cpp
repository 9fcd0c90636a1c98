#include "config/keypath.h"
#include "config/yaml.h"

#include <gtest/gtest.h>

using namespace corral::config;

TEST(KeyPath, DottedSegments)
{
    auto path = parse_key_path("rancher.network.dns.nameservers");
    ASSERT_FALSE(path.is_error());
    EXPECT_EQ(path.value(), (KeyPath { "rancher", "network", "dns", "nameservers" }));
}

TEST(KeyPath, QuotedAndEscapedSegmentsHoldDots)
{
    EXPECT_EQ(parse_key_path("rancher.sysctl.\"net.ipv4.ip_forward\"").value(),
        (KeyPath { "rancher", "sysctl", "net.ipv4.ip_forward" }));
    EXPECT_EQ(parse_key_path("rancher.sysctl.'net.core.somaxconn'").value(),
        (KeyPath { "rancher", "sysctl", "net.core.somaxconn" }));
    EXPECT_EQ(parse_key_path("rancher.services.x.labels.io\\.rancher\\.os\\.scope").value(),
        (KeyPath { "rancher", "services", "x", "labels", "io.rancher.os.scope" }));
}

TEST(KeyPath, MalformedKeysAreRefused)
{
    for (auto bad : { "", ".a", "a.", "a..b", "a.\"b", "a.\"b\"c" }) {
        auto path = parse_key_path(bad);
        ASSERT_TRUE(path.is_error()) << bad;
        EXPECT_EQ(path.error().code(), EINVAL);
    }
    EXPECT_EQ(parse_key_path("a..b").error().message(), "key \"a..b\": empty segment at offset 2");
}

TEST(KeyPath, FormatQuotesOnlyWhatNeedsIt)
{
    KeyPath path { "rancher", "sysctl", "net.ipv4.ip_forward" };
    EXPECT_EQ(format_key_path(path), "rancher.sysctl.\"net.ipv4.ip_forward\"");
    EXPECT_EQ(parse_key_path(format_key_path(path)).value(), path);
}

TEST(KeyPath, SetCreatesMapsAndRefusesScalarsOnTheWay)
{
    Node root;
    ASSERT_FALSE(set_path(root, { "a", "b", "c" }, Node::integer(1)).is_error());
    ASSERT_FALSE(set_path(root, { "a", "d" }, Node::string("x")).is_error());
    EXPECT_EQ(emit_yaml(root), "a:\n  b:\n    c: 1\n  d: x\n");
    auto refused = set_path(root, { "a", "d", "e" }, Node::integer(2));
    ASSERT_TRUE(refused.is_error());
    EXPECT_EQ(refused.error().message(), "a.d holds \"x\", not a map, so a.d.e cannot be set");
    EXPECT_EQ(find_path(root, { "a", "b", "c" })->text(), "1");
    EXPECT_EQ(find_path(root, { "a", "x" }), nullptr);
    EXPECT_TRUE(erase_path(root, { "a", "b" }));
    EXPECT_FALSE(erase_path(root, { "a", "b" }));
    EXPECT_EQ(emit_yaml(root), "a:\n  d: x\n");
}
