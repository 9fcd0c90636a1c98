#include "base/strings.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using corral::join;
using corral::split;
using corral::trim;
using Parts = std::vector<std::string>;

TEST(Split, SeparatesOnEveryOccurrence)
{
    EXPECT_EQ(split("a,b,c", ','), (Parts { "a", "b", "c" }));
    EXPECT_EQ(split("key=value=more", '='), (Parts { "key", "value", "more" }));
}

TEST(Split, KeepsEmptyParts)
{
    EXPECT_EQ(split("a,,b", ','), (Parts { "a", "", "b" }));
    EXPECT_EQ(split(",a,", ','), (Parts { "", "a", "" }));
    EXPECT_EQ(split(",", ','), (Parts { "", "" }));
    EXPECT_EQ(split("", ','), (Parts { "" }));
}

TEST(Split, WithoutSeparatorGivesWholeText)
{
    EXPECT_EQ(split("abc", ','), (Parts { "abc" }));
    EXPECT_EQ(split("a b", ','), (Parts { "a b" }));
}

TEST(Trim, RemovesAsciiWhitespaceAtBothEnds)
{
    EXPECT_EQ(trim("  x  "), "x");
    EXPECT_EQ(trim(" \t\r\n\v\fx y\f\v\n\r\t "), "x y");
    EXPECT_EQ(trim("x"), "x");
    EXPECT_EQ(trim("inner  space"), "inner  space");
}

TEST(Trim, AllWhitespaceOrEmptyGivesEmpty)
{
    EXPECT_EQ(trim(""), "");
    EXPECT_EQ(trim(" "), "");
    EXPECT_EQ(trim(" \t\n\r\v\f"), "");
}

TEST(Trim, ReturnsAViewIntoTheInput)
{
    std::string text = "  abc  ";
    std::string_view trimmed = trim(text);
    EXPECT_EQ(trimmed.data(), text.data() + 2);
    EXPECT_EQ(trimmed.size(), 3u);
}

TEST(Join, PutsSeparatorBetweenParts)
{
    EXPECT_EQ(join({}, ","), "");
    EXPECT_EQ(join({ "a" }, ","), "a");
    EXPECT_EQ(join({ "a", "b", "c" }, ", "), "a, b, c");
    EXPECT_EQ(join({ "", "" }, ","), ",");
    EXPECT_EQ(join({ "a", "b" }, ""), "ab");
}

TEST(Join, InvertsSplit)
{
    for (std::string text : { "", ",", "a", "a,b", ",a,,b,", "no separators" })
        EXPECT_EQ(join(split(text, ','), ","), text) << text;
}

TEST(Strings, ToLowerChangesAsciiOnly)
{
    EXPECT_EQ(corral::to_lower("WWW-Authenticate"), "www-authenticate");
    EXPECT_EQ(corral::to_lower("\xc3\x89T\xc3\x89"), "\xc3\x89t\xc3\x89"); // UTF-8 bytes untouched
}

TEST(GoQuote, EscapesAsStrconvQuote)
{
    using corral::go_quote;
    EXPECT_EQ(go_quote(""), "\"\"");
    EXPECT_EQ(go_quote("a b"), "\"a b\"");
    EXPECT_EQ(go_quote("say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"");
    EXPECT_EQ(go_quote("tab\tnl\ncr\r"), "\"tab\\tnl\\ncr\\r\"");
    EXPECT_EQ(go_quote(std::string("\x01\x7f", 2)), "\"\\x01\\x7f\"");
    EXPECT_EQ(go_quote("\xc3\xa9"), "\"\xc3\xa9\"");
}

TEST(PercentDecode, EscapesAndPlus)
{
    using corral::percent_decode;
    EXPECT_EQ(percent_decode("a%20b%2Fc", false).value(), "a b/c");
    EXPECT_EQ(percent_decode("a+b", true).value(), "a b");
    EXPECT_EQ(percent_decode("a+b", false).value(), "a+b");
    EXPECT_FALSE(percent_decode("bad%zz", false));
    EXPECT_FALSE(percent_decode("short%2", false));
}

TEST(ShellSingleQuote, QuotesEverythingAndEscapesQuotes)
{
    EXPECT_EQ(corral::shell_single_quote(""), "''");
    EXPECT_EQ(corral::shell_single_quote("http://proxy:3128"), "'http://proxy:3128'");
    EXPECT_EQ(corral::shell_single_quote("it's $HOME"), "'it'\\''s $HOME'");
}
