#include "base/time.h"

#include <gtest/gtest.h>

using namespace corral;

TEST(Time, FormatsLikeGoRfc3339Nano)
{
    EXPECT_EQ(format_rfc3339_nano({ 1700000000, 0 }), "2023-11-14T22:13:20Z");
    EXPECT_EQ(format_rfc3339_nano({ 1700000000, 100000000 }), "2023-11-14T22:13:20.1Z");
    EXPECT_EQ(format_rfc3339_nano({ 1700000000, 123456789 }), "2023-11-14T22:13:20.123456789Z");
}

TEST(Time, ParsesWhatItFormatsAndOffsets)
{
    auto parsed = parse_rfc3339("2023-11-14T22:13:20.1Z");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->tv_sec, 1700000000);
    EXPECT_EQ(parsed->tv_nsec, 100000000);
    EXPECT_EQ(parse_rfc3339("2023-11-15T00:13:20+02:00")->tv_sec, 1700000000);
    EXPECT_FALSE(parse_rfc3339("2023-11-14 22:13:20Z"));
    EXPECT_FALSE(parse_rfc3339("2023-13-14T22:13:20Z"));
    EXPECT_FALSE(parse_rfc3339("2023-11-14T22:13:20.1234567891Z"));
    EXPECT_FALSE(parse_rfc3339("2023-11-14T22:13:20"));
}
