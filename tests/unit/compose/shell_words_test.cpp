// Splitting `command: "..."` into words as a shell would, without running one.

#include "compose/shell_words.h"

#include <gtest/gtest.h>

using namespace corral::compose;
using Strings = std::vector<std::string>;

namespace {

Strings words(std::string_view text)
{
    auto result = split_shell_words(text);
    EXPECT_FALSE(result.is_error()) << result.error().message();
    return result.is_error() ? Strings { "<error>" } : result.release_value();
}

std::string error(std::string_view text)
{
    auto result = split_shell_words(text);
    EXPECT_TRUE(result.is_error()) << text;
    if (!result.is_error())
        return {};
    EXPECT_EQ(result.error().code(), EINVAL);
    return result.error().message();
}

} // namespace

TEST(ShellWords, Blanks)
{
    EXPECT_EQ(words(""), Strings {});
    EXPECT_EQ(words(" \t\n "), Strings {});
    EXPECT_EQ(words("rsyslogd -n"), (Strings { "rsyslogd", "-n" }));
    EXPECT_EQ(words("  cloud-init-execute\t-pre-console \r\n"), (Strings { "cloud-init-execute", "-pre-console" }));
}

TEST(ShellWords, Quotes)
{
    EXPECT_EQ(
        words(R"(sh -c 'echo "$HOME" | cat; exit 1')"), (Strings { "sh", "-c", R"(echo "$HOME" | cat; exit 1)" }));
    EXPECT_EQ(words(R"(echo "a \"b\" \$c \\ \x")"), (Strings { "echo", R"(a "b" $c \ \x)" }));
    EXPECT_EQ(words(R"(a'b c'"d e"f)"), Strings { "ab cd ef" });
    EXPECT_EQ(words(R"('' "" x)"), (Strings { "", "", "x" }));
    EXPECT_EQ(words("'it''s'"), Strings { "its" });
    EXPECT_EQ(words("\"multi\nline\""), Strings { "multi\nline" });
}

TEST(ShellWords, Backslashes)
{
    EXPECT_EQ(words(R"(a\ b c\'d \"e\")"), (Strings { "a b", "c'd", "\"e\"" }));
    EXPECT_EQ(words("one\\\ntwo three"), (Strings { "onetwo", "three" }));
    EXPECT_EQ(words("\"one\\\ntwo\""), Strings { "onetwo" });
    EXPECT_EQ(words(R"('\n')"), Strings { R"(\n)" });
}

TEST(ShellWords, Errors)
{
    EXPECT_EQ(error("echo 'hi"), R"(unterminated single quote in "echo 'hi" at offset 5)");
    EXPECT_EQ(error(R"(say "hi \")"), R"(unterminated double quote in "say \"hi \\\"" at offset 4)");
    EXPECT_EQ(error("echo \\"), R"(trailing backslash in "echo \\" at offset 5)");
}
