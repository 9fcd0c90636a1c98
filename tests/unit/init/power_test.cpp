#include "init/power.h"

#include <csignal>
#include <gtest/gtest.h>
#include <sys/reboot.h>

using namespace corral::init;

namespace {

std::optional<PowerRequest> parse(std::vector<std::string> argv, std::string& error)
{
    return parse_power_command(argv, error);
}

} // namespace

TEST(Power, CommandNamesTheAction)
{
    std::string error;
    EXPECT_EQ(parse({ "/sbin/reboot" }, error)->action, PowerAction::Reboot);
    EXPECT_EQ(parse({ "poweroff" }, error)->action, PowerAction::PowerOff);
    EXPECT_EQ(parse({ "halt" }, error)->action, PowerAction::Halt);
    EXPECT_EQ(parse({ "shutdown" }, error)->action, PowerAction::PowerOff);
    EXPECT_TRUE(parse({ "reboot", "-f" }, error)->force);
}

TEST(Power, ShutdownFlagsAndTimes)
{
    std::string error;
    auto now = parse({ "shutdown", "-h", "now" }, error);
    ASSERT_TRUE(now) << error;
    EXPECT_EQ(now->action, PowerAction::PowerOff);
    EXPECT_EQ(now->delay_seconds, 0);
    auto later = parse({ "shutdown", "-r", "+2", "going", "down" }, error);
    ASSERT_TRUE(later) << error;
    EXPECT_EQ(later->action, PowerAction::Reboot);
    EXPECT_EQ(later->delay_seconds, 120);
    EXPECT_EQ(later->message, "going down");
    EXPECT_EQ(parse({ "shutdown", "-H", "now" }, error)->action, PowerAction::Halt);
}

TEST(Power, BadInputIsAMessage)
{
    std::string error;
    EXPECT_FALSE(parse({ "shutdown", "+x" }, error));
    EXPECT_EQ(error, "shutdown: bad time '+x' (now or +MINUTES)");
    EXPECT_FALSE(parse({ "shutdown", "12:30" }, error));
    EXPECT_NE(error.find("not supported"), std::string::npos);
    EXPECT_FALSE(parse({ "reboot", "-r" }, error));
    EXPECT_EQ(error, "reboot: unknown option -r");
    EXPECT_FALSE(parse({ "frobnicate" }, error));
}

TEST(Power, SignalsRoundTrip)
{
    for (auto action : { PowerAction::Reboot, PowerAction::PowerOff, PowerAction::Halt })
        EXPECT_EQ(power_action_for_signal(power_signal(action)), action);
    EXPECT_EQ(power_action_for_signal(SIGINT), PowerAction::Reboot); // ctrl-alt-del
    EXPECT_EQ(power_action_for_signal(SIGPWR), PowerAction::PowerOff);
    EXPECT_FALSE(power_action_for_signal(SIGHUP));
    EXPECT_EQ(reboot_command(PowerAction::PowerOff), RB_POWER_OFF);
}
