// respawn for real: a line that exits at once is restarted until it is given up
// as restarted too fast, a long-running line keeps running, and SIGTERM stops
// respawn, that line and what the line started.

#include "base/file.h"
#include "base/process.h"
#include "base/strings.h"
#include "test_image.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace corral;
using namespace corral::test;
using namespace std::chrono_literals;

namespace {

bool process_gone(pid_t pid)
{
    auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    return stat.is_error() || stat->find(") Z ") != std::string::npos;
}

template<typename Predicate>
bool wait_for(Predicate predicate, std::chrono::milliseconds limit)
{
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (predicate())
            return true;
        std::this_thread::sleep_for(20ms);
    }
    return predicate();
}

std::string text_of(const std::string& path)
{
    auto text = read_file(path);
    return text.is_error() ? std::string() : text.release_value();
}

void write_script(const std::string& path, const std::string& body)
{
    ASSERT_FALSE(write_file_atomic(path, "#!/bin/sh\n" + body, 0755, KeepMode::No).is_error());
}

} // namespace

TEST(Respawn, RestartsGivesUpTooFastAndStopsOnSigterm)
{
    if (::geteuid() != 0)
        GTEST_SKIP() << "privileged tier: run as root";
    TempDir dir;
    std::string quick = dir.path() + "/quick.sh";
    std::string slow = dir.path() + "/slow.sh";
    std::string count = dir.path() + "/count";
    std::string pids = dir.path() + "/pids";
    std::string err = dir.path() + "/stderr";
    write_script(quick, "echo run >> " + count + "\n");
    // A child in the line's own process group, and the line waiting for it.
    write_script(slow, "sleep 1000 &\necho $$ $! > " + pids + ".tmp\nmv " + pids + ".tmp " + pids + "\nwait\n");
    ASSERT_FALSE(write_file_atomic(
        dir.path() + "/respawn.conf", "# two lines\n" + quick + "\n\n" + slow + "\n", 0644, KeepMode::No)
                     .is_error());
    std::string applet = dir.path() + "/respawn";
    ASSERT_EQ(::symlink(ROS_BINARY, applet.c_str()), 0);

    SpawnOptions options;
    options.argv = { "/bin/sh", "-c", "exec \"$0\" -f \"$1\" 2> \"$2\"", applet, dir.path() + "/respawn.conf", err };
    auto child = Child::spawn(options);
    ASSERT_FALSE(child.is_error()) << child.error().message();
    pid_t respawn_pid = child->pid();

    ASSERT_TRUE(wait_for([&] { return text_of(err).find("restarted too fast") != std::string::npos; }, 10s))
        << text_of(err);
    // The first run and ten restarts; the eleventh exit within a second is the end.
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(split(text_of(count), '\n').size() - 1, 11u) << text_of(count);
    EXPECT_NE(text_of(err).find(quick + ": restarted too fast, not executing"), std::string::npos) << text_of(err);

    ASSERT_TRUE(wait_for([&] { return !text_of(pids).empty(); }, 5s));
    auto words = split(std::string(trim(text_of(pids))), ' ');
    ASSERT_EQ(words.size(), 2u);
    pid_t shell_pid = std::stoi(words[0]);
    pid_t sleep_pid = std::stoi(words[1]);
    EXPECT_FALSE(process_gone(shell_pid));
    EXPECT_FALSE(process_gone(sleep_pid));
    EXPECT_FALSE(process_gone(respawn_pid)); // the slow line keeps respawn going

    // The line's session and group are its own.
    EXPECT_EQ(::getsid(shell_pid), shell_pid);
    EXPECT_EQ(::getpgid(sleep_pid), shell_pid);

    ASSERT_EQ(::kill(respawn_pid, SIGTERM), 0);
    auto status = child->wait();
    ASSERT_FALSE(status.is_error()) << status.error().message();
    EXPECT_TRUE(status->exited()) << status->describe();
    EXPECT_EQ(status->code(), 0);
    EXPECT_TRUE(wait_for([&] { return process_gone(shell_pid) && process_gone(sleep_pid); }, 5s));
    EXPECT_NE(text_of(err).find(slow + ": "), std::string::npos) << text_of(err);
    EXPECT_NE(text_of(err).find("not restarting"), std::string::npos) << text_of(err);
    // Nothing ran the quick line again after it was given up.
    EXPECT_EQ(split(text_of(count), '\n').size() - 1, 11u);
}

TEST(Respawn, AMissingProgramIsGivenUpAndRespawnExitsWhenNothingIsLeft)
{
    if (::geteuid() != 0)
        GTEST_SKIP() << "privileged tier: run as root";
    TempDir dir;
    ASSERT_FALSE(
        write_file_atomic(dir.path() + "/respawn.conf", "/nonexistent/daemon -x\n", 0644, KeepMode::No).is_error());
    std::string applet = dir.path() + "/respawn";
    ASSERT_EQ(::symlink(ROS_BINARY, applet.c_str()), 0);
    SpawnOptions options;
    options.argv = { applet, "-f", dir.path() + "/respawn.conf" };
    auto ran = run(options);
    ASSERT_FALSE(ran.is_error()) << ran.error().message();
    EXPECT_EQ(ran->status.code(), 1);
    EXPECT_NE(ran->err.find("/nonexistent/daemon -x: restarted too fast"), std::string::npos) << ran->err;
    EXPECT_NE(ran->err.find("every line was given up"), std::string::npos) << ran->err;
}
