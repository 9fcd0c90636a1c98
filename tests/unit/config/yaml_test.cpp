#include "config/yaml.h"

#include <gtest/gtest.h>

using namespace corral::config;

namespace {

Node parse(std::string_view text)
{
    auto result = parse_yaml(text, "test.yml");
    EXPECT_FALSE(result.is_error()) << result.error().message();
    return result.is_error() ? Node() : result.release_value();
}

} // namespace

TEST(Yaml, ScalarsKeepTextAndResolveKinds)
{
    Node root = parse("a: 1\nb: \"1\"\nc: yes\nd: 1.5\ne: ~\nf: hello\ng: 0644\nh: 'true'\ni:\n");
    EXPECT_EQ(root.find("a")->kind(), ScalarKind::Int);
    EXPECT_EQ(root.find("b")->kind(), ScalarKind::String);
    EXPECT_EQ(root.find("c")->kind(), ScalarKind::Bool);
    EXPECT_EQ(root.find("d")->kind(), ScalarKind::Float);
    EXPECT_EQ(root.find("e")->kind(), ScalarKind::Null);
    EXPECT_EQ(root.find("f")->kind(), ScalarKind::String);
    EXPECT_EQ(root.find("g")->kind(), ScalarKind::Int);
    EXPECT_EQ(root.find("g")->text(), "0644");
    EXPECT_EQ(root.find("h")->kind(), ScalarKind::String);
    EXPECT_TRUE(root.find("i")->is_null());
}

TEST(Yaml, MarksAreOneBasedLineAndColumn)
{
    Node root = parse("rancher:\n  network:\n    mtu: abc\n");
    const Node* mtu = root.find("rancher")->find("network")->find("mtu");
    ASSERT_NE(mtu, nullptr);
    EXPECT_EQ(mtu->mark().line, 3);
    EXPECT_EQ(mtu->mark().column, 10);
    EXPECT_EQ(mtu->mark().describe(), "test.yml:3:10");
    EXPECT_EQ(root.find("rancher")->entries()[0].key_mark.describe(), "test.yml:2:3");
}

TEST(Yaml, SyntaxErrorNamesFileLineAndColumn)
{
    auto result = parse_yaml("a: [1, 2\nb: c\n", "bad.yml");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), EINVAL);
    EXPECT_EQ(result.error().message().rfind("bad.yml:", 0), 0u) << result.error().message();
}

TEST(Yaml, DuplicateKeyIsAnError)
{
    auto result = parse_yaml("a: 1\nb: 2\na: 3\n", "dup.yml");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(), "dup.yml:3:1: duplicate key \"a\"");
}

TEST(Yaml, AliasExpansionIsBounded)
{
    // Nine levels of ten aliases each would expand to a billion nodes.
    std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    char previous = 'a';
    for (char name = 'b'; name <= 'i'; ++name) {
        text += std::string(1, name) + ": &" + name + " [";
        for (int i = 0; i < 10; ++i)
            text += std::string(i ? ", *" : "*") + previous;
        text += "]\n";
        previous = name;
    }
    auto result = parse_yaml(text, "laughs.yml");
    ASSERT_TRUE(result.is_error());
    EXPECT_NE(result.error().message().find("expands to more than"), std::string::npos) << result.error().message();
}

TEST(Yaml, NulByteIsRefused)
{
    auto result = parse_yaml(std::string_view("a: b\0c", 6), "nul.yml");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(), "nul.yml: contains a NUL byte; not a YAML file");
}

TEST(Yaml, UnsupportedTagIsAnError)
{
    auto result = parse_yaml("a: !custom x\n", "tag.yml");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(), "tag.yml:1:4: unsupported tag !custom");
}

TEST(Yaml, BinaryTagKeepsBase64)
{
    Node root = parse("a: !!binary aGVsbG8=\n");
    EXPECT_EQ(root.find("a")->kind(), ScalarKind::Binary);
    EXPECT_EQ(root.find("a")->text(), "aGVsbG8=");
    EXPECT_EQ(emit_yaml(root), "a: !!binary aGVsbG8=\n");
    EXPECT_TRUE(parse_yaml("a: !!binary '***'\n", "b.yml").is_error());
}

TEST(Yaml, EmitsBlockStyleLikeGoYaml)
{
    Node root = parse("rancher:\n  network:\n    dns:\n      nameservers: [1.1.1.1, 8.8.8.8]\n  docker:\n    tls: true\n"
                      "list:\n- a: 1\n  b: [x]\n- - nested\n- {}\n- []\n");
    EXPECT_EQ(emit_yaml(root),
        "rancher:\n"
        "  network:\n"
        "    dns:\n"
        "      nameservers:\n"
        "      - 1.1.1.1\n"
        "      - 8.8.8.8\n"
        "  docker:\n"
        "    tls: true\n"
        "list:\n"
        "- a: 1\n"
        "  b:\n"
        "  - x\n"
        "- - nested\n"
        "- {}\n"
        "- []\n");
}

TEST(Yaml, QuotesStringsThatWouldChangeType)
{
    Node root = Node::map();
    root.set("a", Node::string("true"));
    root.set("b", Node::string("0644"));
    root.set("c", Node::string(""));
    root.set("d", Node::string("a: b"));
    root.set("e", Node::string("- x"));
    root.set("f", Node::string("-H=0.0.0.0:2376"));
    root.set("g", Node::string("null"));
    root.set("h", Node::string("x #y"));
    root.set("i", Node::string("tab\there"));
    root.set("j", Node::string("n"));
    root.set("k.l", Node::string("unix:///var/run/docker.sock"));
    EXPECT_EQ(emit_yaml(root),
        "a: \"true\"\n"
        "b: \"0644\"\n"
        "c: \"\"\n"
        "d: \"a: b\"\n"
        "e: \"- x\"\n"
        "f: -H=0.0.0.0:2376\n"
        "g: \"null\"\n"
        "h: \"x #y\"\n"
        "i: \"tab\\there\"\n"
        "j: \"n\"\n"
        "k.l: unix:///var/run/docker.sock\n");
    auto again = parse_yaml(emit_yaml(root), "again.yml");
    ASSERT_FALSE(again.is_error());
    EXPECT_EQ(again.value(), root);
}

TEST(Yaml, MultiLineStringsUseLiteralBlocksAndRoundTrip)
{
    for (std::string text : { "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "a\nb", "a\nb\n\n\n",
             "a\n  indented\n\nblank above\n", " leading space\nx\n", "\nleading newline" }) {
        Node root = Node::map();
        root.set("k", Node::string(text));
        root.set("after", Node::integer(1));
        std::string written = emit_yaml(root);
        auto again = parse_yaml(written, "again.yml");
        ASSERT_FALSE(again.is_error()) << written;
        EXPECT_EQ(again->find("k")->text(), text) << written;
        EXPECT_EQ(again->find("after")->text(), "1") << written;
    }
    Node root = Node::map();
    root.set("cert", Node::string("line1\nline2\n"));
    EXPECT_EQ(emit_yaml(root), "cert: |\n  line1\n  line2\n");
}

TEST(Yaml, EmptyDocuments)
{
    EXPECT_TRUE(parse("").is_null());
    EXPECT_EQ(emit_yaml(Node()), "{}\n");
    EXPECT_EQ(emit_yaml(Node::map()), "{}\n");
}

TEST(Yaml, MergeRecursesIntoMapsAndReplacesEverythingElse)
{
    Node base = parse("a: {p: 1, q: [1, 2]}\nb: keep\nc: {z: 1}\n");
    Node overlay = parse("a: {q: [3], w: 4}\nc: scalar\nd: new\n");
    merge(base, overlay);
    EXPECT_EQ(emit_yaml(base), "a:\n  p: 1\n  q:\n  - 3\n  w: 4\nb: keep\nc: scalar\nd: new\n");
}

TEST(Yaml, InvalidUtf8IsRefusedWithItsPosition)
{
    auto result = parse_yaml("a: ok\nb: x\xff\n", "bad.yml");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(), "bad.yml:2:5: not valid UTF-8");
    EXPECT_TRUE(parse_yaml("a: \xed\xa0\x80\n", "surrogate.yml").is_error()); // U+D800
    EXPECT_TRUE(parse_yaml("a: \xc0\xaf\n", "overlong.yml").is_error());
    EXPECT_FALSE(parse_yaml("a: h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x90\xb4\n", "ok.yml").is_error());
}

TEST(Yaml, LineBreakAndByteOrderCharactersAreEscaped)
{
    Node root = Node::map();
    root.set("\xef\xbb\xbfkey", Node::string("next\xc2\x85line \xe2\x80\xa8 sep"));
    std::string written = emit_yaml(root);
    EXPECT_EQ(written, "\"\\ufeffkey\": \"next\\x85line \\u2028 sep\"\n");
    auto again = parse_yaml(written, "again.yml");
    ASSERT_FALSE(again.is_error()) << again.error().message();
    EXPECT_EQ(again.value(), root);
}

TEST(Yaml, LongKeysUseTheExplicitForm)
{
    Node root = Node::map();
    std::string key(1500, 'k');
    Node inner = Node::map();
    inner.set("a", Node::integer(1));
    root.set(key, inner);
    root.set("after", Node::string("x"));
    std::string written = emit_yaml(root);
    EXPECT_EQ(written.substr(0, 2), "? ");
    auto again = parse_yaml(written, "again.yml");
    ASSERT_FALSE(again.is_error()) << again.error().message();
    EXPECT_EQ(again.value(), root);
}

TEST(Yaml, HighByteEscapesAreRefused)
{
    // yaml-cpp hands back "\_" (U+00A0) as the raw byte 0xa0, which is not UTF-8.
    auto result = parse_yaml("a: \"x\\_y\"\nb: \"\\u00a0\"\n", "esc.yml");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(), "esc.yml:1:4: the string is not valid UTF-8 (write the character as \\u00XX)");
    EXPECT_FALSE(parse_yaml("b: \"\\u00a0\"\n", "ok.yml").is_error());
}

TEST(Yaml, DocumentMarkersAreQuoted)
{
    Node root = Node::map();
    root.set("--- *x", Node::string("... end"));
    std::string written = emit_yaml(root);
    EXPECT_EQ(written, "\"--- *x\": \"... end\"\n");
    auto again = parse_yaml(written, "again.yml");
    ASSERT_FALSE(again.is_error()) << again.error().message();
    EXPECT_EQ(again.value(), root);
}
