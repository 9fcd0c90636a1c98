// respawn's deciding parts: reading respawn.conf and the "restarted too fast"
// rule. Running real children is tested in tests/privileged/cli.

#include "cli/respawn.h"

#include <gtest/gtest.h>

using namespace corral::cli;
using Clock = RestartLimiter::Clock;
using std::chrono::milliseconds;

TEST(RespawnConf, LinesCommentsAndBlanks)
{
    auto commands = parse_respawn_conf("# gettys\n"
                                       "/sbin/agetty --noclear tty1 linux\n"
                                       "\n"
                                       "   # indented comment\n"
                                       "  /usr/sbin/sshd   -D\t-p 22  \n"
                                       "/bin/true");
    ASSERT_EQ(commands.size(), 3u);
    EXPECT_EQ(commands[0], (std::vector<std::string> { "/sbin/agetty", "--noclear", "tty1", "linux" }));
    EXPECT_EQ(commands[1], (std::vector<std::string> { "/usr/sbin/sshd", "-D", "-p", "22" }));
    EXPECT_EQ(commands[2], (std::vector<std::string> { "/bin/true" }));
    EXPECT_TRUE(parse_respawn_conf("").empty());
    EXPECT_TRUE(parse_respawn_conf("\n# only\n\n").empty());
}

TEST(RestartLimiter, GivesUpAtTheEleventhExitWithinASecond)
{
    Clock::time_point start {};
    RestartLimiter limiter(start);
    for (int i = 1; i <= 10; ++i)
        EXPECT_TRUE(limiter.may_restart(start + milliseconds(10 * i))) << i;
    EXPECT_FALSE(limiter.may_restart(start + milliseconds(110)));
}

TEST(RestartLimiter, ExactlyOneSecondIsStillTooFast)
{
    Clock::time_point start {};
    RestartLimiter limiter(start);
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(limiter.may_restart(start));
    EXPECT_FALSE(limiter.may_restart(start + milliseconds(1000)));
}

TEST(RestartLimiter, SlowRestartsGoOnForeverInNewWindows)
{
    Clock::time_point start {};
    RestartLimiter limiter(start);
    Clock::time_point now = start;
    for (int i = 0; i < 100; ++i) {
        now += milliseconds(150); // eleven exits take 1.65 s: never too fast
        EXPECT_TRUE(limiter.may_restart(now)) << i;
    }
}

TEST(RestartLimiter, ABurstAfterAQuietWindowIsCaught)
{
    Clock::time_point start {};
    RestartLimiter limiter(start);
    for (int i = 1; i <= 10; ++i)
        ASSERT_TRUE(limiter.may_restart(start + milliseconds(200 * i)));
    // The eleventh exit, 2.2 s in, starts a new window...
    Clock::time_point window = start + milliseconds(2200);
    ASSERT_TRUE(limiter.may_restart(window));
    // ...and ten quick ones in it, then the eleventh of the window is refused.
    for (int i = 1; i <= 10; ++i)
        ASSERT_TRUE(limiter.may_restart(window + milliseconds(i))) << i;
    EXPECT_FALSE(limiter.may_restart(window + milliseconds(11)));
}

TEST(Respawn, NoLinesReturnsAtOnce)
{
    EXPECT_EQ(respawn({}), 0);
}
