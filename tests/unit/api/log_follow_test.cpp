#include "api/log_follow.h"

#include "base/file.h"
#include "base/system.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <string>
#include <thread>
#include <vector>

namespace corral::api {
namespace {

using runtime::JsonLogWriter;
using runtime::LogEntry;
using runtime::LogOptions;
using runtime::ReadOptions;

// 2024-01-02T03:04:05Z.
constexpr time_t BASE_SECONDS = 1704164645;

struct timespec at(time_t offset)
{
    struct timespec time { };
    time.tv_sec = BASE_SECONDS + offset;
    return time;
}

// "line-0007\n": every entry of these tests has the same size, so that a max_size
// of k entries puts exactly k entries in each file.
std::string line(int n)
{
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "line-%04d\n", n);
    return buffer;
}

const int64_t ENTRY_SIZE = static_cast<int64_t>(runtime::format_json_log_line("stdout", line(0), at(0)).size());

std::vector<std::string> logs_of(const std::vector<LogEntry>& entries)
{
    std::vector<std::string> logs;
    for (const auto& entry : entries)
        logs.push_back(entry.log);
    return logs;
}

std::vector<std::string> lines(int first, int last)
{
    std::vector<std::string> out;
    for (int n = first; n <= last; ++n)
        out.push_back(line(n));
    return out;
}

class LogFollowTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/log_follow_test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_dir = pattern;
        m_log = m_dir + "/container-json.log";
    }
    void TearDown() override { (void)remove_tree(m_dir); /* best effort; a leftover in /tmp is harmless */ }

    JsonLogWriter open_writer(LogOptions options)
    {
        auto writer = JsonLogWriter::open(m_log, options);
        EXPECT_FALSE(writer.is_error()) << (writer.is_error() ? writer.error().message() : "");
        return writer.release_value();
    }

    // Entries first…last, stdout, at(n) each.
    static void write(JsonLogWriter& writer, int first, int last, std::string_view stream = "stdout")
    {
        for (int n = first; n <= last; ++n)
            ASSERT_FALSE(writer.write(stream, line(n), at(n)).is_error());
    }

    LogFollower follow(int max_file, ReadOptions options = {})
    {
        auto follower = LogFollower::open(m_log, max_file, options);
        EXPECT_FALSE(follower.is_error()) << (follower.is_error() ? follower.error().message() : "");
        return follower.release_value();
    }

    static std::vector<std::string> initial(LogFollower& follower)
    {
        auto entries = follower.initial();
        EXPECT_FALSE(entries.is_error()) << (entries.is_error() ? entries.error().message() : "");
        return entries.is_error() ? std::vector<std::string>() : logs_of(*entries);
    }

    static std::vector<std::string> poll(LogFollower& follower)
    {
        auto entries = follower.poll();
        EXPECT_FALSE(entries.is_error()) << (entries.is_error() ? entries.error().message() : "");
        return entries.is_error() ? std::vector<std::string>() : logs_of(*entries);
    }

    void append_raw(std::string_view bytes)
    {
        auto fd = sys::open(m_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        ASSERT_FALSE(fd.is_error()) << fd.error().message();
        ASSERT_FALSE(sys::write_all(fd->get(), bytes).is_error());
    }

    std::string m_dir;
    std::string m_log;
};

TEST_F(LogFollowTest, ReturnsExistingEntriesThenOnlyAppendedOnes)
{
    auto writer = open_writer({});
    write(writer, 0, 2);
    auto follower = follow(1);
    EXPECT_EQ(initial(follower), lines(0, 2));
    EXPECT_EQ(poll(follower), std::vector<std::string> {});
    write(writer, 3, 4);
    EXPECT_EQ(poll(follower), lines(3, 4));
    EXPECT_EQ(poll(follower), std::vector<std::string> {});
    write(writer, 5, 5);
    EXPECT_EQ(poll(follower), lines(5, 5));
    EXPECT_FALSE(follower.done());
}

TEST_F(LogFollowTest, LeavesAnUnterminatedLineForALaterPoll)
{
    auto writer = open_writer({});
    write(writer, 0, 0);
    std::string entry = runtime::format_json_log_line("stderr", line(1), at(1));
    append_raw(entry.substr(0, 20));
    auto follower = follow(1);
    EXPECT_EQ(initial(follower), lines(0, 0));
    EXPECT_EQ(poll(follower), std::vector<std::string> {});
    append_raw(entry.substr(20, entry.size() - 21)); // all but the newline
    EXPECT_EQ(poll(follower), std::vector<std::string> {});
    append_raw("\n");
    auto entries = follower.poll();
    ASSERT_FALSE(entries.is_error()) << entries.error().message();
    ASSERT_EQ(entries->size(), 1u);
    EXPECT_EQ((*entries)[0].stream, "stderr");
    EXPECT_EQ((*entries)[0].log, line(1));
    EXPECT_EQ((*entries)[0].time.tv_sec, at(1).tv_sec);
    EXPECT_EQ(poll(follower), std::vector<std::string> {});
}

TEST_F(LogFollowTest, FollowsEachRotation)
{
    // Two entries per file, ten files kept: nothing is deleted in this test.
    auto writer = open_writer({ 2 * ENTRY_SIZE, 10 });
    write(writer, 0, 2); // the third entry rotated: path.1 = 0,1; path = 2
    auto follower = follow(10);
    EXPECT_EQ(initial(follower), lines(0, 2));
    write(writer, 3, 3); // fills path
    EXPECT_EQ(poll(follower), lines(3, 3));
    write(writer, 4, 4); // rotates
    EXPECT_EQ(poll(follower), lines(4, 4));
    write(writer, 5, 6); // fills, rotates
    EXPECT_EQ(poll(follower), lines(5, 6));
    EXPECT_EQ(poll(follower), std::vector<std::string> {});
    write(writer, 7, 8);
    EXPECT_EQ(poll(follower), lines(7, 8));
}

TEST_F(LogFollowTest, ReadsEveryFileRotatedBetweenTwoPolls)
{
    auto writer = open_writer({ 2 * ENTRY_SIZE, 20 });
    write(writer, 0, 0);
    auto follower = follow(20);
    EXPECT_EQ(initial(follower), lines(0, 0));
    write(writer, 1, 12); // six rotations
    EXPECT_EQ(poll(follower), lines(1, 12));
    write(writer, 13, 13);
    EXPECT_EQ(poll(follower), lines(13, 13));
}

TEST_F(LogFollowTest, NeverRepeatsWhenRotationDeletedFilesBetweenPolls)
{
    auto writer = open_writer({ 2 * ENTRY_SIZE, 2 });
    write(writer, 0, 1);
    auto follower = follow(2);
    EXPECT_EQ(initial(follower), lines(0, 1));
    // Files now hold 2-3, 4-5, 6-7, 8-9; only the last two are kept. The one
    // followed (0-1) is deleted but still open.
    write(writer, 2, 9);
    EXPECT_EQ(poll(follower), lines(6, 9));
    write(writer, 10, 10);
    EXPECT_EQ(poll(follower), lines(10, 10));
}

TEST_F(LogFollowTest, FinishesTheOldFileBeforeTheNewOne)
{
    auto writer = open_writer({ 3 * ENTRY_SIZE, 3 });
    write(writer, 0, 0);
    auto follower = follow(3);
    EXPECT_EQ(initial(follower), lines(0, 0));
    write(writer, 1, 4); // 1 and 2 complete the old file, 3 and 4 start the new one
    EXPECT_EQ(poll(follower), lines(1, 4));
}

// A rotation renames path.1 to path.2 before path to path.1; a poll in between
// (or after a writer died there) sees a gap in the names.
TEST_F(LogFollowTest, FollowsAHalfDoneRotation)
{
    auto writer = open_writer({ 2 * ENTRY_SIZE, 3 });
    write(writer, 0, 1);
    auto follower = follow(3);
    EXPECT_EQ(initial(follower), lines(0, 1));
    write(writer, 2, 3); // path.1 = 0-1, path = 2-3
    ASSERT_FALSE(sys::rename(m_log + ".1", m_log + ".2").is_error());
    EXPECT_EQ(poll(follower), lines(2, 3));
    ASSERT_FALSE(sys::rename(m_log, m_log + ".1").is_error());
    EXPECT_EQ(poll(follower), std::vector<std::string> {});
    append_raw(runtime::format_json_log_line("stdout", line(4), at(4)));
    EXPECT_EQ(poll(follower), lines(4, 4));
}

TEST_F(LogFollowTest, TailsAcrossRotatedFilesAndFiltersFollowedEntries)
{
    auto writer = open_writer({ 2 * ENTRY_SIZE, 5 });
    write(writer, 0, 4);
    write(writer, 5, 5, "stderr");
    ReadOptions options;
    options.tail = 3;
    options.show_stderr = false;
    options.since = at(2);
    auto follower = follow(5, options);
    EXPECT_EQ(initial(follower), lines(2, 4));
    write(writer, 6, 6, "stderr");
    write(writer, 7, 8);
    // tail applies to the initial entries only.
    EXPECT_EQ(poll(follower), lines(7, 8));
}

TEST_F(LogFollowTest, SinceAppliesToFollowedEntries)
{
    auto writer = open_writer({});
    write(writer, 0, 1);
    ReadOptions options;
    options.since = at(10);
    auto follower = follow(1, options);
    EXPECT_EQ(initial(follower), std::vector<std::string> {});
    write(writer, 2, 3);
    EXPECT_EQ(poll(follower), std::vector<std::string> {});
    write(writer, 10, 11);
    EXPECT_EQ(poll(follower), lines(10, 11));
}

TEST_F(LogFollowTest, TailZeroStartsAtTheEnd)
{
    auto writer = open_writer({ 2 * ENTRY_SIZE, 5 });
    write(writer, 0, 4);
    ReadOptions options;
    options.tail = 0;
    auto follower = follow(5, options);
    EXPECT_EQ(initial(follower), std::vector<std::string> {});
    write(writer, 5, 6);
    EXPECT_EQ(poll(follower), lines(5, 6));
}

TEST_F(LogFollowTest, AnEntryPastUntilEndsFollowing)
{
    auto writer = open_writer({ 2 * ENTRY_SIZE, 10 });
    write(writer, 0, 3);
    ReadOptions options;
    options.until = at(5);
    auto follower = follow(10, options);
    EXPECT_EQ(initial(follower), lines(0, 3));
    EXPECT_FALSE(follower.done());
    write(writer, 4, 7);
    EXPECT_EQ(poll(follower), lines(4, 5));
    EXPECT_TRUE(follower.done());
    write(writer, 8, 9);
    EXPECT_EQ(poll(follower), std::vector<std::string> {});
}

TEST_F(LogFollowTest, UntilInTheInitialEntriesEndsFollowingAtOnce)
{
    auto writer = open_writer({});
    write(writer, 0, 3);
    ReadOptions options;
    options.until = at(1);
    auto follower = follow(1, options);
    EXPECT_EQ(initial(follower), lines(0, 1));
    EXPECT_TRUE(follower.done());
    write(writer, 4, 4);
    EXPECT_EQ(poll(follower), std::vector<std::string> {});
}

TEST_F(LogFollowTest, RestartsAfterTruncationWithOneFile)
{
    auto writer = open_writer({ 2 * ENTRY_SIZE, 1 });
    write(writer, 0, 1);
    auto follower = follow(1);
    EXPECT_EQ(initial(follower), lines(0, 1));
    write(writer, 2, 2); // truncates: the file is shorter than what was read
    EXPECT_EQ(poll(follower), lines(2, 2));
    write(writer, 3, 3);
    EXPECT_EQ(poll(follower), lines(3, 3));
    // Truncated and refilled to exactly the length read before.
    write(writer, 4, 5);
    EXPECT_EQ(poll(follower), lines(4, 5));
    EXPECT_EQ(poll(follower), std::vector<std::string> {});
}

TEST_F(LogFollowTest, WaitsForALogFileThatDoesNotExistYet)
{
    auto follower = follow(3);
    EXPECT_EQ(initial(follower), std::vector<std::string> {});
    EXPECT_EQ(poll(follower), std::vector<std::string> {});
    auto writer = open_writer({ 2 * ENTRY_SIZE, 3 });
    write(writer, 0, 2);
    EXPECT_EQ(poll(follower), lines(0, 2));
    write(writer, 3, 3);
    EXPECT_EQ(poll(follower), lines(3, 3));
}

TEST_F(LogFollowTest, SkipsCorruptLines)
{
    auto writer = open_writer({});
    write(writer, 0, 0);
    append_raw("not json\n{\"log\":\"x\"}\n");
    write(writer, 1, 1);
    auto follower = follow(1);
    EXPECT_EQ(initial(follower), lines(0, 1));
    append_raw("{broken\n");
    write(writer, 2, 2);
    EXPECT_EQ(poll(follower), lines(2, 2));
}

TEST_F(LogFollowTest, SkipsALineTooLongToBeAnEntry)
{
    auto writer = open_writer({});
    write(writer, 0, 0);
    auto follower = follow(1);
    EXPECT_EQ(initial(follower), lines(0, 0));
    // Over the 1 MiB a line may have, arriving in two parts.
    append_raw("{\"log\":\"" + std::string(700 * 1024, 'x'));
    EXPECT_EQ(poll(follower), std::vector<std::string> {});
    append_raw(std::string(700 * 1024, 'x') + "\",\"stream\":\"stdout\",\"time\":\"2024-01-02T03:04:05Z\"}\n");
    write(writer, 1, 1);
    EXPECT_EQ(poll(follower), lines(1, 1));
}

TEST_F(LogFollowTest, RefusesMisuse)
{
    auto bad = LogFollower::open(m_log, 0, {});
    ASSERT_TRUE(bad.is_error());
    EXPECT_EQ(bad.error().code(), EINVAL);

    auto follower = follow(1);
    auto early = follower.poll();
    ASSERT_TRUE(early.is_error());
    EXPECT_EQ(early.error().code(), EINVAL);
    EXPECT_EQ(initial(follower), std::vector<std::string> {});
    auto twice = follower.initial();
    ASSERT_TRUE(twice.is_error());
    EXPECT_EQ(twice.error().code(), EINVAL);
}

// A writer thread rotating quickly while the follower polls: every entry comes
// out once, in order, whatever the interleaving.
TEST_F(LogFollowTest, LosesNothingWhileAWriterRotatesConcurrently)
{
    // Each rotation renames every name up to max_file, so both stay modest.
    constexpr int COUNT = 1200;
    auto writer = open_writer({ 4 * ENTRY_SIZE, 310 });
    write(writer, 0, 9);
    auto follower = follow(310);
    std::vector<std::string> seen = initial(follower);
    std::atomic<bool> finished { false };
    std::thread producer([&] {
        write(writer, 10, COUNT - 1);
        finished = true;
    });
    for (;;) {
        bool was_finished = finished;
        auto got = poll(follower);
        seen.insert(seen.end(), got.begin(), got.end());
        if (was_finished && got.empty())
            break;
    }
    producer.join();
    EXPECT_EQ(seen, lines(0, COUNT - 1));
}

// The same with few files kept: entries in deleted files are lost, but what comes
// out is in order, without repeats, and ends with the last entry.
TEST_F(LogFollowTest, NeverRepeatsWhileAWriterRotatesAwayConcurrently)
{
    constexpr int COUNT = 3000;
    auto writer = open_writer({ 3 * ENTRY_SIZE, 2 });
    auto follower = follow(2);
    std::vector<std::string> seen = initial(follower);
    std::atomic<bool> finished { false };
    std::thread producer([&] {
        write(writer, 0, COUNT - 1);
        finished = true;
    });
    for (;;) {
        bool was_finished = finished;
        auto got = poll(follower);
        seen.insert(seen.end(), got.begin(), got.end());
        if (was_finished && got.empty())
            break;
        // Several rotations between polls: files get deleted unread, and their
        // inode numbers reused by new ones, which the follower must not mistake
        // for a file it has read.
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    producer.join();
    ASSERT_FALSE(seen.empty());
    for (size_t i = 1; i < seen.size(); ++i)
        ASSERT_LT(seen[i - 1], seen[i]) << "at " << i;
    EXPECT_EQ(seen.back(), line(COUNT - 1));
}

} // namespace
} // namespace corral::api
