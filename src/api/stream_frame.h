#pragma once

// Docker's multiplexed stream format (moby pkg/stdcopy), used by attach, logs and
// exec start when the container has no TTY. Each frame is an 8-byte header
//   [stream type, 0, 0, 0, payload size as big-endian uint32]
// followed by the payload. Stream types: 0 stdin, 1 stdout, 2 stderr, 3 "system
// error" (an error the daemon reports in band once the response has begun).
//
// Also the bytes `docker logs` receives for each log entry (moby
// api/server/httputils/write_log_stream.go).

#include "base/error.h"
#include "runtime/json_log.h"

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::api {

enum class StreamType : uint8_t {
    Stdin = 0,
    Stdout = 1,
    Stderr = 2,
    Systemerr = 3,
};

inline constexpr size_t FRAME_HEADER_SIZE = 8;

// One frame: header and payload. A payload over 4 GiB - 1 (more than the size
// field holds) is split into several frames of the same stream, so the result is
// always well formed. An empty payload gives a header alone, as Docker's writer
// does for an empty non-nil write.
std::string frame(StreamType stream, std::string_view payload);

struct Frame {
    StreamType stream { StreamType::Stdout };
    std::string payload;

    bool operator==(const Frame&) const = default;
};

// Splits a multiplexed byte stream, received in chunks of any size, into frames.
// For our own client and for tests; the daemon only writes frames.
class FrameDecoder {
public:
    static constexpr size_t DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

    // Frames announcing more than `max_payload` bytes are refused, so that a peer
    // cannot make the decoder buffer up to 4 GiB.
    explicit FrameDecoder(size_t max_payload = DEFAULT_MAX_PAYLOAD)
        : m_max_payload(max_payload)
    {
    }

    // Takes the next bytes of the stream and returns the frames they complete, in
    // order; bytes of an incomplete frame are kept for the next call. A Systemerr
    // frame is returned like any other: the caller decides (Docker's client turns
    // it into "error from daemon in stream: <payload>").
    // Errors (EPROTO), after which every later call fails the same way:
    //   "Unrecognized input header: <n>" for a stream type above 3 (Docker's text);
    //   "frame of <n> bytes exceeds the limit of <max> bytes".
    ErrorOr<std::vector<Frame>> feed(std::string_view bytes);

    // At the end of the stream: succeeds if it ended on a frame boundary, fails
    // with EPROTO if a frame was cut short (Docker's StdCopy ignores that case;
    // a caller that wants its leniency may ignore this).
    ErrorOr<void> finish() const;

    // Bytes held of a frame not yet complete.
    size_t buffered() const { return m_buffer.size() - m_start; }

private:
    size_t m_max_payload;
    std::string m_buffer;
    size_t m_start { 0 }; // the first byte of m_buffer not yet decoded
    std::optional<Error> m_error;
};

enum class Timestamps {
    No,
    Yes,
};

enum class Details {
    No,
    Yes,
};

enum class Multiplex {
    No, // the container has a TTY: raw bytes, stdout and stderr mixed
    Yes, // no TTY: each entry is a frame of its stream
};

struct LogStreamFormat {
    Timestamps timestamps { Timestamps::No };
    Details details { Details::No };
    Multiplex multiplex { Multiplex::Yes };
};

// Go's time.Format with jsonmessage.RFC3339NanoFixed
// ("2006-01-02T15:04:05.000000000Z07:00") in UTC: always nine fraction digits and
// a "Z", e.g. "2024-01-02T03:04:05.120000000Z".
std::string format_rfc3339_nano_fixed(const struct timespec& time);

// The bytes dockerd writes for one log entry: the entry's bytes as logged (its
// newline included, if it had one), prefixed by "<details> " when details are
// asked for (our json-file entries carry no attributes, so that prefix is a single
// space, as Docker's with no `--log-opt labels/env`), then by
// "<RFC3339NanoFixed timestamp> " with timestamps; framed as the entry's stream
// when multiplexed. An entry whose stream is neither "stdout" nor "stderr" gives
// no bytes, as in Docker. Filtering by stream is the reader's job
// (runtime::ReadOptions).
std::string encode_log_entry(const runtime::LogEntry& entry, const LogStreamFormat& format);

// The bytes dockerd writes when reading the logs fails after the response began:
// "Error grabbing logs: <message>\n", as a Systemerr frame when multiplexed.
std::string encode_log_error(std::string_view message, Multiplex multiplex);

} // namespace corral::api
