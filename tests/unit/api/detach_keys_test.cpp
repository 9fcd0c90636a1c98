#include "api/detach_keys.h"

#include <gtest/gtest.h>

using namespace corral::api;

TEST(DetachKeys, ParsesDockersForms)
{
    EXPECT_EQ(parse_detach_keys("").value(), "\x10\x11");
    EXPECT_EQ(parse_detach_keys("ctrl-p,ctrl-q").value(), "\x10\x11");
    EXPECT_EQ(parse_detach_keys("ctrl-@,ctrl-[,ctrl-_,a,Z").value(), std::string("\x00\x1b\x1f" "aZ", 5));
    EXPECT_EQ(parse_detach_keys("ctrl-1").error().message(), "invalid detach keys: unknown character: 'ctrl-1'");
    EXPECT_EQ(parse_detach_keys("ab").error().message(), "invalid detach keys: unknown character: 'ab'");
    EXPECT_EQ(parse_detach_keys("a,").error().message(), "invalid detach keys: unknown character: ''");
    EXPECT_EQ(parse_detach_keys("ctrl-A").error().code(), EINVAL);
}

TEST(DetachKeys, ScannerPassesDataAndStopsAtTheSequence)
{
    DetachScanner scanner("\x10\x11");
    bool detached = true;
    EXPECT_EQ(scanner.feed("ls\r", detached), "ls\r");
    EXPECT_FALSE(detached);
    // Half a sequence is held back, then given up as data.
    EXPECT_EQ(scanner.feed("a\x10", detached), "a");
    EXPECT_FALSE(detached);
    EXPECT_EQ(scanner.feed("b", detached), "\x10" "b");
    EXPECT_FALSE(detached);
    // Across two reads, with data before it; what follows is dropped.
    EXPECT_EQ(scanner.feed("x\x10", detached), "x");
    EXPECT_EQ(scanner.feed("\x11tail", detached), "");
    EXPECT_TRUE(detached);
    // A repeated first key restarts the match.
    DetachScanner again("\x10\x11");
    EXPECT_EQ(again.feed("\x10\x10\x11", detached), "\x10");
    EXPECT_TRUE(detached);
    // The input ends inside a sequence: flush gives it back.
    DetachScanner ending("\x10\x11");
    EXPECT_EQ(ending.feed("\x10", detached), "");
    EXPECT_EQ(ending.flush(), "\x10");
    // No keys: everything passes.
    DetachScanner none("");
    EXPECT_EQ(none.feed("\x10\x11", detached), "\x10\x11");
    EXPECT_FALSE(detached);
}
