// Docker's restart manager: which policies restart, the retry limit, and the
// back-off that doubles to a minute and starts over after a stable run.

#include "engine/restart_policy.h"

#include <gtest/gtest.h>

using namespace corral::engine;
using namespace std::chrono_literals;
using corral::runtime::RestartPolicy;

TEST(RestartPolicy, NoneNeverRestarts)
{
    RestartManager none(RestartPolicy { "", 0 });
    EXPECT_FALSE(none.should_restart(1, false, 0ms));
    RestartManager no(RestartPolicy { "no", 0 });
    EXPECT_FALSE(no.should_restart(1, false, 0ms));
}

TEST(RestartPolicy, AlwaysBacksOffDoublingToAMinute)
{
    RestartManager always(RestartPolicy { "always", 0 });
    std::vector<int64_t> delays;
    for (int i = 0; i < 12; ++i)
        delays.push_back(always.should_restart(0, false, 0ms)->count());
    EXPECT_EQ(delays,
        (std::vector<int64_t> { 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000 }));
    EXPECT_EQ(always.restart_count(), 12);
    // Ten seconds of running resets the delay.
    EXPECT_EQ(always.should_restart(0, false, 10s)->count(), 100);
    EXPECT_EQ(always.should_restart(0, false, 9s)->count(), 200);
}

TEST(RestartPolicy, ManualStopCancels)
{
    RestartManager always(RestartPolicy { "always", 0 });
    EXPECT_FALSE(always.should_restart(0, true, 0ms));
    RestartManager unless(RestartPolicy { "unless-stopped", 0 });
    EXPECT_FALSE(unless.should_restart(0, true, 0ms));
    EXPECT_TRUE(unless.should_restart(0, false, 0ms));
}

TEST(RestartPolicy, OnFailureCountsRetries)
{
    RestartManager failure(RestartPolicy { "on-failure", 2 });
    EXPECT_FALSE(failure.should_restart(0, false, 0ms));
    EXPECT_TRUE(failure.should_restart(1, false, 0ms));
    EXPECT_TRUE(failure.should_restart(1, false, 0ms));
    EXPECT_FALSE(failure.should_restart(1, false, 0ms));
    EXPECT_EQ(failure.restart_count(), 2);
    RestartManager unlimited(RestartPolicy { "on-failure", 0 });
    for (int i = 0; i < 20; ++i)
        EXPECT_TRUE(unlimited.should_restart(3, false, 0ms));
}

TEST(RestartPolicy, DaemonStartRestartsAsDocker)
{
    EXPECT_TRUE(RestartManager::restart_on_daemon_start({ "always", 0 }, true, 0));
    EXPECT_FALSE(RestartManager::restart_on_daemon_start({ "unless-stopped", 0 }, true, 0));
    EXPECT_TRUE(RestartManager::restart_on_daemon_start({ "unless-stopped", 0 }, false, 0));
    EXPECT_TRUE(RestartManager::restart_on_daemon_start({ "on-failure", 0 }, false, 1));
    EXPECT_FALSE(RestartManager::restart_on_daemon_start({ "on-failure", 0 }, false, 0));
    EXPECT_FALSE(RestartManager::restart_on_daemon_start({ "no", 0 }, false, 1));
}
