#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <regex>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using corral::LogLevel;

namespace {

// The default program name in log.cpp; there is no getter to save it.
constexpr char const* DEFAULT_PROGRAM = "corral";

class LogTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/corral-log-test-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr) << "mkdtemp: " << strerror(errno);
        m_dir = pattern;
        m_old_level = corral::log::level();
        // Keep the test output clean; tests of the stderr sink turn it back on.
        corral::log::set_stderr(false);
        corral::log::set_program("prog");
    }

    void TearDown() override
    {
        corral::log::close_sinks();
        corral::log::set_level(m_old_level);
        corral::log::set_stderr(true);
        corral::log::set_program(DEFAULT_PROGRAM);
        if (!m_dir.empty()) {
            std::error_code ignored;
            std::filesystem::remove_all(m_dir, ignored);
        }
    }

    std::string path(const std::string& name) const { return m_dir + "/" + name; }

    std::string contents(const std::string& name) const
    {
        auto result = corral::read_file(path(name));
        EXPECT_FALSE(result.is_error()) << result.error().message();
        return result.is_error() ? "<error>" : result.value();
    }

    // The lines of a file, without their final newlines. Checks that the file ends
    // with one.
    std::vector<std::string> lines(const std::string& name) const
    {
        std::string text = contents(name);
        if (text.empty())
            return {};
        EXPECT_EQ(text.back(), '\n') << text;
        text.pop_back();
        return corral::split(text, '\n');
    }

    std::string m_dir;
    LogLevel m_old_level { LogLevel::Info };
};

// Runs `body` with the stderr descriptor redirected to `file`.
template<typename Body>
void with_stderr_to(const std::string& file, Body body)
{
    int saved = ::fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
    ASSERT_GE(saved, 0) << strerror(errno);
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0) << strerror(errno);
    ASSERT_EQ(::dup2(fd, STDERR_FILENO), STDERR_FILENO);
    ::close(fd);
    body();
    ASSERT_EQ(::dup2(saved, STDERR_FILENO), STDERR_FILENO);
    ::close(saved);
}

const std::regex FILE_LINE(R"(^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z) (\w+) ([^:]+): (.*)$)");

struct FileLine {
    std::string level;
    std::string program;
    std::string message;
};

FileLine parse_file_line(const std::string& line)
{
    std::smatch match;
    EXPECT_TRUE(std::regex_match(line, match, FILE_LINE)) << "unexpected line: " << line;
    if (match.empty())
        return { "<bad line>", "", line };
    return { match[2], match[3], match[4] };
}

} // namespace

TEST_F(LogTest, FileSinkWritesTimestampLevelProgramAndMessage)
{
    auto opened = corral::log::open_file(path("boot.log"));
    ASSERT_FALSE(opened.is_error()) << opened.error().message();
    corral::log::set_level(LogLevel::Info);
    corral::log::info("hello world");
    corral::log::warn("careful");
    corral::log::error("it broke: badly");

    auto written = lines("boot.log");
    ASSERT_EQ(written.size(), 3u) << contents("boot.log");
    FileLine info = parse_file_line(written[0]);
    EXPECT_EQ(info.level, "info");
    EXPECT_EQ(info.program, "prog");
    EXPECT_EQ(info.message, "hello world");
    FileLine warning = parse_file_line(written[1]);
    EXPECT_EQ(warning.level, "warning");
    EXPECT_EQ(warning.message, "careful");
    FileLine error = parse_file_line(written[2]);
    EXPECT_EQ(error.level, "error");
    EXPECT_EQ(error.message, "it broke: badly");
}

TEST_F(LogTest, FileSinkAppendsAndCreatesWithMode0640)
{
    {
        int fd = ::open(path("app.log").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::write(fd, "earlier\n", 8), 8);
        ::close(fd);
    }
    ASSERT_FALSE(corral::log::open_file(path("app.log")).is_error());
    corral::log::info("later");
    auto written = lines("app.log");
    ASSERT_EQ(written.size(), 2u);
    EXPECT_EQ(written[0], "earlier");
    EXPECT_EQ(parse_file_line(written[1]).message, "later");

    ASSERT_FALSE(corral::log::open_file(path("new.log")).is_error());
    struct stat st { };
    ASSERT_EQ(::stat(path("new.log").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
}

TEST_F(LogTest, OpenFileInMissingDirectoryFails)
{
    auto opened = corral::log::open_file(path("missing/x.log"));
    ASSERT_TRUE(opened.is_error());
    EXPECT_EQ(opened.error().code(), ENOENT);
    EXPECT_EQ(opened.error().message(), "open '" + path("missing/x.log") + "': No such file or directory");
}

TEST_F(LogTest, SetLevelFilters)
{
    ASSERT_FALSE(corral::log::open_file(path("filter.log")).is_error());

    corral::log::set_level(LogLevel::Info);
    EXPECT_EQ(corral::log::level(), LogLevel::Info);
    corral::log::debug("debug at info");
    corral::log::info("info at info");

    corral::log::set_level(LogLevel::Error);
    EXPECT_EQ(corral::log::level(), LogLevel::Error);
    corral::log::info("info at error");
    corral::log::warn("warn at error");
    corral::log::error("error at error");

    corral::log::set_level(LogLevel::Debug);
    EXPECT_EQ(corral::log::level(), LogLevel::Debug);
    corral::log::debug("debug at debug");

    std::vector<std::string> messages;
    for (auto const& line : lines("filter.log"))
        messages.push_back(parse_file_line(line).message);
    EXPECT_EQ(messages, (std::vector<std::string> { "info at info", "error at error", "debug at debug" }));
}

TEST_F(LogTest, KmsgSinkWritesPriorityProgramAndPid)
{
    // A regular file stands in for /dev/kmsg.
    {
        int fd = ::open(path("kmsg").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0);
        ::close(fd);
    }
    auto opened = corral::log::open_kmsg(path("kmsg"));
    ASSERT_FALSE(opened.is_error()) << opened.error().message();
    corral::log::set_level(LogLevel::Debug);
    corral::log::warn("msg");
    corral::log::error("bad");
    corral::log::info("fyi");
    corral::log::debug("noise");

    std::string pid = std::to_string(::getpid());
    EXPECT_EQ(contents("kmsg"),
        "<4>prog[" + pid
            + "]: msg\n"
              "<3>prog["
            + pid
            + "]: bad\n"
              "<6>prog["
            + pid
            + "]: fyi\n"
              "<7>prog["
            + pid + "]: noise\n");
}

TEST_F(LogTest, KmsgSinkTruncatesLongMessages)
{
    ASSERT_EQ(::close(::open(path("kmsg").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600)), 0);
    ASSERT_FALSE(corral::log::open_kmsg(path("kmsg")).is_error());
    corral::log::warn(std::string(1000, 'm'));
    std::string prefix = "<4>prog[" + std::to_string(::getpid()) + "]: ";
    EXPECT_EQ(contents("kmsg"), prefix + std::string(900, 'm') + "\n");
}

TEST_F(LogTest, OpenKmsgMissingFails)
{
    auto opened = corral::log::open_kmsg(path("no-kmsg"));
    ASSERT_TRUE(opened.is_error());
    EXPECT_EQ(opened.error().code(), ENOENT);
}

TEST_F(LogTest, CloseSinksStopsWriting)
{
    ASSERT_EQ(::close(::open(path("kmsg").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600)), 0);
    ASSERT_FALSE(corral::log::open_kmsg(path("kmsg")).is_error());
    ASSERT_FALSE(corral::log::open_file(path("file.log")).is_error());
    corral::log::info("before");
    corral::log::close_sinks();
    corral::log::info("after");

    EXPECT_EQ(contents("kmsg"), "<6>prog[" + std::to_string(::getpid()) + "]: before\n");
    auto written = lines("file.log");
    ASSERT_EQ(written.size(), 1u);
    EXPECT_EQ(parse_file_line(written[0]).message, "before");
}

TEST_F(LogTest, StderrSinkFormat)
{
    corral::log::set_level(LogLevel::Info);
    with_stderr_to(path("stderr"), [] {
        corral::log::set_stderr(true);
        corral::log::info("plain");
        corral::log::warn("watch out");
        corral::log::error("failed");
        corral::log::debug("hidden");
        corral::log::set_stderr(false);
        corral::log::error("not on stderr");
    });
    EXPECT_EQ(contents("stderr"), "prog: plain\nprog: warning: watch out\nprog: error: failed\n");
}

TEST(ParseLogLevel, ValidNames)
{
    struct Case {
        const char* name;
        LogLevel level;
    };
    for (auto const& c : { Case { "debug", LogLevel::Debug }, Case { "info", LogLevel::Info },
             Case { "warn", LogLevel::Warning }, Case { "warning", LogLevel::Warning },
             Case { "error", LogLevel::Error }, Case { "fatal", LogLevel::Error } }) {
        auto result = corral::parse_log_level(c.name);
        ASSERT_FALSE(result.is_error()) << c.name << ": " << result.error().message();
        EXPECT_EQ(static_cast<int>(result.value()), static_cast<int>(c.level)) << c.name;
    }
}

TEST(ParseLogLevel, InvalidNamesAreEINVAL)
{
    auto result = corral::parse_log_level("verbose");
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), EINVAL);
    EXPECT_EQ(result.error().message(), "unknown log level \"verbose\" (expected debug, info, warn, error or fatal)");

    for (auto const* name : { "", "inf", "debug ", "trace" }) {
        auto bad = corral::parse_log_level(name);
        ASSERT_TRUE(bad.is_error()) << '"' << name << '"';
        EXPECT_EQ(bad.error().code(), EINVAL) << '"' << name << '"';
    }
}
