// runcmd: in order, strings through sh -c, lists as argv, failures reported and
// never stopping the rest.

#include "cloudinit/runcmd.h"
#include "test_root.h"

#include <gtest/gtest.h>

using namespace corral;
using namespace corral::cloudinit;
using corral::test::TestRoot;

namespace {

config::StringOrList shell(std::string text)
{
    config::StringOrList command;
    command.string = std::move(text);
    return command;
}

config::StringOrList argv(std::vector<std::string> words)
{
    config::StringOrList command;
    command.is_list = true;
    command.list = std::move(words);
    return command;
}

} // namespace

TEST(Runcmd, Argv)
{
    EXPECT_EQ(
        command_argv(shell("echo $HOME > /x")), (std::vector<std::string> { "/bin/sh", "-c", "echo $HOME > /x" }));
    EXPECT_EQ(command_argv(argv({ "touch", "/a b" })), (std::vector<std::string> { "touch", "/a b" }));
    EXPECT_TRUE(command_argv(shell("  ")).empty());
    EXPECT_TRUE(command_argv(argv({})).empty());
}

TEST(Runcmd, RunsInOrderAndGoesOnAfterFailures)
{
    TestRoot root;
    std::string log = root.path("/log");
    Report report;
    run_commands({ shell("echo one >> " + log), shell("exit 3"), argv({ "/nonexistent/program" }),
                     argv({ "/bin/sh", "-c", "echo two >> \"$0\"", log }), shell(""), shell("echo three >> " + log) },
        "runcmd", report);
    EXPECT_EQ(root.read("/log"), "one\ntwo\nthree\n");
    auto errors = report.messages(LogLevel::Error);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0], "runcmd[1]: \"exit 3\" failed: exit status 3");
    EXPECT_NE(errors[1].find("runcmd[2]: exec \"/nonexistent/program\""), std::string::npos) << errors[1];
    auto warnings = report.messages(LogLevel::Warning);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_EQ(warnings[0], "runcmd[4]: empty command, skipped");
}

TEST(Runcmd, StandardInputIsEmpty)
{
    TestRoot root;
    std::string out = root.path("/stdin");
    Report report;
    run_commands({ shell("cat > " + out) }, "runcmd", report);
    EXPECT_EQ(report.error_count(), 0u);
    EXPECT_EQ(root.read("/stdin"), "");
}
