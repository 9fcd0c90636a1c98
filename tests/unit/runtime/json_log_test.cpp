#include "runtime/json_log.h"

#include "base/file.h"

#include <cerrno>
#include <cstdlib>
#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>

namespace corral::runtime {
namespace {

// 2024-01-02T03:04:05Z.
constexpr time_t BASE_SECONDS = 1704164645;

struct timespec at(time_t offset, long nanoseconds = 0)
{
    struct timespec time { };
    time.tv_sec = BASE_SECONDS + offset;
    time.tv_nsec = nanoseconds;
    return time;
}

bool exists(const std::string& path)
{
    struct stat st { };
    return ::stat(path.c_str(), &st) == 0;
}

std::string read_or_die(const std::string& path)
{
    auto content = read_file(path);
    EXPECT_FALSE(content.is_error()) << (content.is_error() ? content.error().message() : "");
    return content.is_error() ? std::string() : content.release_value();
}

class JsonLogTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/json_log_test.XXXXXX";
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

    std::vector<LogEntry> read_back(int max_file, const ReadOptions& options = {})
    {
        auto entries = read_json_logs(m_log, max_file, options);
        EXPECT_FALSE(entries.is_error()) << (entries.is_error() ? entries.error().message() : "");
        return entries.is_error() ? std::vector<LogEntry>() : entries.release_value();
    }

    std::string m_dir;
    std::string m_log;
};

std::vector<std::string> logs_of(const std::vector<LogEntry>& entries)
{
    std::vector<std::string> logs;
    for (const auto& entry : entries)
        logs.push_back(entry.log);
    return logs;
}

TEST_F(JsonLogTest, WritesDockerBytesExactly)
{
    auto writer = open_writer({});
    ASSERT_FALSE(writer.write("stdout", "hello\n", at(0, 123456789)).is_error());
    ASSERT_FALSE(writer.write("stderr", "a<b>&\"c\"\\\t\r\x01\n", at(0, 100000000)).is_error());
    ASSERT_FALSE(writer.write("stdout", "x\xff\xc3(\xed\xa0\x80 \xc3\xa9 \xe2\x80\xa8\n", at(1)).is_error());
    ASSERT_FALSE(writer.write("stdout", "no newline", at(2, 5)).is_error());

    EXPECT_EQ(read_or_die(m_log),
        "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-02T03:04:05.123456789Z\"}\n"
        "{\"log\":\"a\\u003cb\\u003e\\u0026\\\"c\\\"\\\\\\u0009\\r\\u0001\\n\",\"stream\":\"stderr\","
        "\"time\":\"2024-01-02T03:04:05.1Z\"}\n"
        "{\"log\":\"x\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffd \xc3\xa9 \\u2028\\n\",\"stream\":\"stdout\","
        "\"time\":\"2024-01-02T03:04:06Z\"}\n"
        "{\"log\":\"no newline\",\"stream\":\"stdout\",\"time\":\"2024-01-02T03:04:07.000000005Z\"}\n");
    EXPECT_EQ(writer.current_size(), static_cast<int64_t>(read_or_die(m_log).size()));

    struct stat st { };
    ASSERT_EQ(::stat(m_log.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0007, 0u);
}

TEST_F(JsonLogTest, EscapedLinesReadBackUnchanged)
{
    auto writer = open_writer({});
    std::string line = "tab\there <b>&amp; \"q\" \\ \r\x1f \xc3\xa9\n";
    ASSERT_FALSE(writer.write("stdout", line, at(0, 42)).is_error());
    auto entries = read_back(1);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].log, line);
    EXPECT_EQ(entries[0].stream, "stdout");
    EXPECT_EQ(entries[0].time.tv_sec, BASE_SECONDS);
    EXPECT_EQ(entries[0].time.tv_nsec, 42);
}

TEST(JsonLogOptions, ParsesSizesAndFiles)
{
    auto defaults = parse_log_options({});
    ASSERT_FALSE(defaults.is_error());
    EXPECT_EQ(defaults->max_size, -1);
    EXPECT_EQ(defaults->max_file, 1);

    struct Case {
        const char* text;
        int64_t bytes;
    };
    for (auto [text, bytes] : { Case { "100", 100 }, Case { "512k", 512 * 1024 }, Case { "10m", 10 << 20 },
             Case { "10M", 10 << 20 }, Case { "1g", int64_t(1) << 30 }, Case { "1G", int64_t(1) << 30 },
             Case { "2kb", 2048 }, Case { "3MiB", 3 << 20 }, Case { "1.5k", 1536 }, Case { "4 k", 4096 } }) {
        auto options = parse_log_options({ { "max-size", text }, { "max-file", "3" } });
        ASSERT_FALSE(options.is_error()) << text << ": " << options.error().message();
        EXPECT_EQ(options->max_size, bytes) << text;
        EXPECT_EQ(options->max_file, 3);
    }

    auto only_size = parse_log_options({ { "max-size", "1m" } });
    ASSERT_FALSE(only_size.is_error());
    EXPECT_EQ(only_size->max_file, 1);
    EXPECT_FALSE(parse_log_options({ { "max-file", "1" } }).is_error());
}

TEST(JsonLogOptions, RejectsBadOptions)
{
    auto message = [](std::map<std::string, std::string> opts) {
        auto options = parse_log_options(opts);
        EXPECT_TRUE(options.is_error());
        if (!options.is_error())
            return std::string();
        EXPECT_EQ(options.error().code(), EINVAL);
        return options.error().message();
    };
    EXPECT_NE(message({ { "max-size", "10x" } }).find("invalid size: '10x'"), std::string::npos);
    EXPECT_NE(message({ { "max-size", "" } }).find("invalid size"), std::string::npos);
    EXPECT_NE(message({ { "max-size", "-1" } }).find("invalid size"), std::string::npos);
    EXPECT_NE(message({ { "max-size", "m" } }).find("invalid size"), std::string::npos);
    EXPECT_NE(message({ { "max-size", "0" } }).find("max-size must be a positive number"), std::string::npos);
    EXPECT_NE(message({ { "max-size", "1m" }, { "max-file", "0" } }).find("max-file cannot be less than 1"),
        std::string::npos);
    EXPECT_NE(message({ { "max-size", "1m" }, { "max-file", "two" } }).find("max-file 'two'"), std::string::npos);
    EXPECT_NE(message({ { "max-file", "3" } }).find("max-file cannot be set without max-size"), std::string::npos);
    EXPECT_NE(message({ { "max-size", "1m" }, { "x", "y" } }).find("unknown log opt 'x' for json-file log driver"),
        std::string::npos);
}

TEST_F(JsonLogTest, RotatesAndDropsOldestFile)
{
    auto writer = open_writer({ .max_size = 100, .max_file = 3 });
    // Each entry is about 60 bytes, so a 100-byte file holds one.
    for (int i = 0; i < 10; ++i)
        ASSERT_FALSE(writer.write("stdout", "line " + std::to_string(i) + "\n", at(i)).is_error());

    EXPECT_EQ(read_or_die(m_log), format_json_log_line("stdout", "line 9\n", at(9)));
    EXPECT_EQ(read_or_die(m_log + ".1"), format_json_log_line("stdout", "line 8\n", at(8)));
    EXPECT_EQ(read_or_die(m_log + ".2"), format_json_log_line("stdout", "line 7\n", at(7)));
    EXPECT_FALSE(exists(m_log + ".3"));
}

TEST_F(JsonLogTest, RotationKeepsFilesUnderMaxSize)
{
    auto writer = open_writer({ .max_size = 200, .max_file = 3 });
    for (int i = 0; i < 20; ++i)
        ASSERT_FALSE(writer.write("stdout", std::to_string(i) + "\n", at(i)).is_error());

    // About 55 bytes an entry: three a file. Entries 18, 19 are current; 15-17 and
    // 12-14 are rotated; earlier ones are gone.
    for (const auto& name : { m_log, m_log + ".1", m_log + ".2" })
        EXPECT_LE(read_or_die(name).size(), 200u) << name;
    EXPECT_EQ(logs_of(read_back(3)),
        (std::vector<std::string> { "12\n", "13\n", "14\n", "15\n", "16\n", "17\n", "18\n", "19\n" }));
    EXPECT_FALSE(exists(m_log + ".3"));
}

TEST_F(JsonLogTest, MaxFileOneTruncates)
{
    auto writer = open_writer({ .max_size = 100, .max_file = 1 });
    for (int i = 0; i < 5; ++i)
        ASSERT_FALSE(writer.write("stderr", "line " + std::to_string(i) + "\n", at(i)).is_error());
    EXPECT_EQ(read_or_die(m_log), format_json_log_line("stderr", "line 4\n", at(4)));
    EXPECT_FALSE(exists(m_log + ".1"));
}

TEST_F(JsonLogTest, ReopenedFileCountsExistingSize)
{
    {
        auto writer = open_writer({ .max_size = 100, .max_file = 2 });
        ASSERT_FALSE(writer.write("stdout", "first\n", at(0)).is_error());
    }
    auto writer = open_writer({ .max_size = 100, .max_file = 2 });
    EXPECT_GT(writer.current_size(), 0);
    ASSERT_FALSE(writer.write("stdout", "second\n", at(1)).is_error());
    EXPECT_EQ(read_or_die(m_log + ".1"), format_json_log_line("stdout", "first\n", at(0)));
    EXPECT_EQ(read_or_die(m_log), format_json_log_line("stdout", "second\n", at(1)));
}

TEST_F(JsonLogTest, ReadsAcrossRotatedFilesWithFilters)
{
    // 70 bytes an entry, four a file: files hold 0-3, 4-7 and 8.
    auto writer = open_writer({ .max_size = 300, .max_file = 4 });
    for (int i = 0; i < 9; ++i)
        ASSERT_FALSE(writer.write(i % 2 ? "stderr" : "stdout", std::to_string(i) + "\n", at(i, 500)).is_error());
    ASSERT_TRUE(exists(m_log + ".2"));
    ASSERT_FALSE(exists(m_log + ".3"));

    auto all = read_back(4);
    EXPECT_EQ(
        logs_of(all), (std::vector<std::string> { "0\n", "1\n", "2\n", "3\n", "4\n", "5\n", "6\n", "7\n", "8\n" }));
    EXPECT_EQ(all[1].stream, "stderr");
    EXPECT_EQ(all[1].time.tv_sec, BASE_SECONDS + 1);
    EXPECT_EQ(all[1].time.tv_nsec, 500);

    EXPECT_EQ(logs_of(read_back(4, { .tail = 3 })), (std::vector<std::string> { "6\n", "7\n", "8\n" }));
    EXPECT_TRUE(read_back(4, { .tail = 0 }).empty());
    EXPECT_EQ(logs_of(read_back(4, { .show_stderr = false, .tail = 2 })), (std::vector<std::string> { "6\n", "8\n" }));
    EXPECT_EQ(
        logs_of(read_back(4, { .show_stdout = false })), (std::vector<std::string> { "1\n", "3\n", "5\n", "7\n" }));
    // since and until are inclusive, to the nanosecond.
    EXPECT_EQ(logs_of(read_back(4, { .since = at(2, 500), .until = at(4, 500) })),
        (std::vector<std::string> { "2\n", "3\n", "4\n" }));
    EXPECT_EQ(
        logs_of(read_back(4, { .since = at(2, 501), .until = at(4, 499) })), (std::vector<std::string> { "3\n" }));
    EXPECT_EQ(logs_of(read_back(4, { .since = at(5), .tail = 2 })), (std::vector<std::string> { "7\n", "8\n" }));
    // A smaller max_file reads only the newest files.
    EXPECT_EQ(logs_of(read_back(1)), (std::vector<std::string> { "8\n" }));
    EXPECT_EQ(logs_of(read_back(2)), (std::vector<std::string> { "4\n", "5\n", "6\n", "7\n", "8\n" }));
}

TEST_F(JsonLogTest, SkipsCorruptAndPartialLines)
{
    std::string content = format_json_log_line("stdout", "ok 1\n", at(0));
    content += "this is not json\n";
    content += "{\"log\":\"no time\\n\",\"stream\":\"stdout\"}\n";
    content += "{\"log\":\"bad time\\n\",\"stream\":\"stdout\",\"time\":\"yesterday\"}\n";
    content += "[1,2]\n";
    content += "\n";
    content += format_json_log_line("stderr", "ok 2\n", at(1));
    content += "{\"log\":\"offset\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-02T05:04:07+02:00\"}\n";
    content += "{\"log\":\"being writ"; // no newline yet: a write in progress
    ASSERT_FALSE(write_file_atomic(m_log, content, 0640).is_error());

    auto entries = read_back(1);
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].log, "ok 1\n");
    EXPECT_EQ(entries[1].log, "ok 2\n");
    EXPECT_EQ(entries[1].stream, "stderr");
    EXPECT_EQ(entries[2].log, "offset\n");
    EXPECT_EQ(entries[2].time.tv_sec, BASE_SECONDS + 2);
}

TEST_F(JsonLogTest, MissingLogReadsEmpty)
{
    EXPECT_TRUE(read_back(3).empty());
}

} // namespace
} // namespace corral::runtime
