#include "api/stream_frame.h"

#include <gtest/gtest.h>
#include <string>

namespace corral::api {
namespace {

using namespace std::string_literals;

// 2024-01-02T03:04:05Z.
constexpr time_t BASE_SECONDS = 1704164645;

struct timespec at(time_t offset, long nanoseconds = 0)
{
    struct timespec time { };
    time.tv_sec = BASE_SECONDS + offset;
    time.tv_nsec = nanoseconds;
    return time;
}

TEST(StreamFrameTest, FramesWithBigEndianSize)
{
    EXPECT_EQ(frame(StreamType::Stdout, "hello\n"), "\x01\0\0\0\0\0\0\x06hello\n"s);
    EXPECT_EQ(frame(StreamType::Stderr, "oops"), "\x02\0\0\0\0\0\0\x04oops"s);
    EXPECT_EQ(frame(StreamType::Stdin, ""), "\0\0\0\0\0\0\0\0"s);
    EXPECT_EQ(frame(StreamType::Systemerr, "e"),
        "\x03\0\0\0\0\0\0\x01"
        "e"s);
    std::string big(0x0304, 'x');
    std::string framed = frame(StreamType::Stdout, big);
    EXPECT_EQ(framed.substr(0, 8), "\x01\0\0\0\0\0\x03\x04"s);
    EXPECT_EQ(framed.size(), 8 + big.size());
    std::string large(70000, 'y'); // 0x11170
    EXPECT_EQ(frame(StreamType::Stderr, large).substr(0, 8), "\x02\0\0\0\0\x01\x11\x70"s);
}

TEST(StreamFrameTest, DecodesFramesSplitAnywhere)
{
    std::string stream = frame(StreamType::Stdout, "one\n") + frame(StreamType::Stderr, "")
        + frame(StreamType::Stderr, "two") + frame(StreamType::Systemerr, "Error grabbing logs: x\n");
    FrameDecoder decoder;
    std::vector<Frame> frames;
    std::vector<size_t> completed_at;
    for (size_t i = 0; i < stream.size(); ++i) {
        auto got = decoder.feed(stream.substr(i, 1));
        ASSERT_FALSE(got.is_error()) << got.error().message();
        for (auto& f : *got) {
            frames.push_back(std::move(f));
            completed_at.push_back(i + 1);
        }
    }
    std::vector<Frame> expected = {
        { StreamType::Stdout, "one\n" },
        { StreamType::Stderr, "" },
        { StreamType::Stderr, "two" },
        { StreamType::Systemerr, "Error grabbing logs: x\n" },
    };
    EXPECT_EQ(frames, expected);
    // Each frame comes out with its last byte, not before.
    EXPECT_EQ(completed_at, (std::vector<size_t> { 12, 20, 31, stream.size() }));
    EXPECT_EQ(decoder.buffered(), 0u);
    EXPECT_FALSE(decoder.finish().is_error());
}

TEST(StreamFrameTest, DecodesManyFramesInOneChunk)
{
    std::string stream;
    for (int i = 0; i < 100; ++i)
        stream += frame(i % 2 ? StreamType::Stderr : StreamType::Stdout, std::to_string(i));
    stream += "\x01\0\0\0"s; // half a header
    FrameDecoder decoder;
    auto got = decoder.feed(stream);
    ASSERT_FALSE(got.is_error()) << got.error().message();
    ASSERT_EQ(got->size(), 100u);
    EXPECT_EQ((*got)[99], (Frame { StreamType::Stderr, "99" }));
    EXPECT_EQ(decoder.buffered(), 4u);
    auto unfinished = decoder.finish();
    ASSERT_TRUE(unfinished.is_error());
    EXPECT_EQ(unfinished.error().code(), EPROTO);
    auto rest = decoder.feed("\0\0\0\x02ok"s);
    ASSERT_FALSE(rest.is_error()) << rest.error().message();
    EXPECT_EQ(*rest, (std::vector<Frame> { { StreamType::Stdout, "ok" } }));
    EXPECT_FALSE(decoder.finish().is_error());
}

TEST(StreamFrameTest, RejectsUnknownStreamTypeForGood)
{
    FrameDecoder decoder;
    auto first = decoder.feed(frame(StreamType::Stdout, "fine") + "\x04\0\0\0\0\0\0\x01x"s);
    ASSERT_TRUE(first.is_error());
    EXPECT_EQ(first.error().code(), EPROTO);
    EXPECT_EQ(first.error().message(), "Unrecognized input header: 4");
    auto again = decoder.feed(frame(StreamType::Stdout, "more"));
    ASSERT_TRUE(again.is_error());
    EXPECT_EQ(again.error().message(), "Unrecognized input header: 4");
    EXPECT_TRUE(decoder.finish().is_error());
}

TEST(StreamFrameTest, RejectsFramesOverTheLimitFromTheHeaderAlone)
{
    FrameDecoder decoder(1024);
    EXPECT_FALSE(decoder.feed(frame(StreamType::Stdout, std::string(1024, 'a'))).is_error());
    auto refused = decoder.feed("\x02\0\0\0\0\0\x04\x01"s);
    ASSERT_TRUE(refused.is_error());
    EXPECT_EQ(refused.error().code(), EPROTO);
    EXPECT_EQ(refused.error().message(), "frame of 1025 bytes exceeds the limit of 1024 bytes");
}

TEST(StreamFrameTest, FormatsFixedNanosecondTimestamps)
{
    EXPECT_EQ(format_rfc3339_nano_fixed(at(0)), "2024-01-02T03:04:05.000000000Z");
    EXPECT_EQ(format_rfc3339_nano_fixed(at(0, 120000000)), "2024-01-02T03:04:05.120000000Z");
    EXPECT_EQ(format_rfc3339_nano_fixed(at(86400 * 365, 1)), "2025-01-01T03:04:05.000000001Z");
    struct timespec epoch { };
    EXPECT_EQ(format_rfc3339_nano_fixed(epoch), "1970-01-01T00:00:00.000000000Z");
}

TEST(StreamFrameTest, EncodesLogEntriesAsDockerWritesThem)
{
    runtime::LogEntry out { "stdout", "hello\n", at(0, 123456789) };
    runtime::LogEntry err { "stderr", "partial", at(1) };
    EXPECT_EQ(encode_log_entry(out, {}), "\x01\0\0\0\0\0\0\x06hello\n"s);
    EXPECT_EQ(encode_log_entry(err, {}), "\x02\0\0\0\0\0\0\x07partial"s);
    LogStreamFormat timestamps { Timestamps::Yes, Details::No, Multiplex::Yes };
    EXPECT_EQ(encode_log_entry(out, timestamps),
        "\x01\0\0\0\0\0\0\x25"
        "2024-01-02T03:04:05.123456789Z hello\n"s);
    LogStreamFormat raw { Timestamps::Yes, Details::No, Multiplex::No };
    EXPECT_EQ(encode_log_entry(err, raw), "2024-01-02T03:04:06.000000000Z partial");
    LogStreamFormat details { Timestamps::Yes, Details::Yes, Multiplex::No };
    EXPECT_EQ(encode_log_entry(out, details), "2024-01-02T03:04:05.123456789Z  hello\n");
    LogStreamFormat details_only { Timestamps::No, Details::Yes, Multiplex::No };
    EXPECT_EQ(encode_log_entry(out, details_only), " hello\n");
    EXPECT_EQ(encode_log_entry({ "stdout", "", at(0) }, {}), "\x01\0\0\0\0\0\0\0"s);
    EXPECT_EQ(encode_log_entry({ "stdin", "x\n", at(0) }, {}), "");
}

TEST(StreamFrameTest, EncodesReadErrorsInBand)
{
    EXPECT_EQ(encode_log_error("read 'x': Input/output error", Multiplex::Yes),
        "\x03\0\0\0\0\0\0\x32"
        "Error grabbing logs: read 'x': Input/output error\n"s);
    EXPECT_EQ(encode_log_error("gone", Multiplex::No), "Error grabbing logs: gone\n");
}

} // namespace
} // namespace corral::api
