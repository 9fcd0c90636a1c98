#pragma once

// The pure half of the API client: parsing an HTTP/1.1 response head and
// decoding its body (Content-Length, chunked, or to the end of the connection),
// fed bytes in pieces of any size. No I/O here, so that it can be tested (and
// fuzzed) in memory.

#include "api/client.h"
#include "base/error.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corral::api {

// A response head may not exceed this many bytes; a daemon that sends more is
// refused rather than buffered.
inline constexpr size_t MAX_RESPONSE_HEAD = 64 * 1024;

// Parses "HTTP/1.1 200 OK\r\nName: value\r\n…\r\n\r\n" at the start of
// `buffer` into out.status, out.reason and out.headers (names in lower case;
// a repeated header keeps its values joined by ", "). Returns the number of
// bytes the head took, nothing while the blank line has not arrived yet.
// EPROTO for a malformed head or one over MAX_RESPONSE_HEAD.
ErrorOr<std::optional<size_t>> parse_response_head(std::string_view buffer, ClientResponse& out);

class BodyDecoder {
public:
    enum class Framing {
        None, // no body: HEAD, 1xx, 204, 304
        Length, // Content-Length
        Chunked, // Transfer-Encoding: chunked
        UntilClose, // neither: the body ends with the connection
    };

    // The framing RFC 9112 section 6.3 gives a response to `method`. EPROTO for
    // a Content-Length that is not a number, or a transfer coding other than
    // chunked.
    static ErrorOr<BodyDecoder> for_response(const ClientResponse& head, std::string_view method);
    explicit BodyDecoder(Framing framing, uint64_t length = 0);

    // Decodes the next bytes of the connection, appending body bytes to `out`.
    // Returns how many bytes of `in` belong to the body (framing included); the
    // rest, if any, follow the body. EPROTO for a malformed chunk.
    ErrorOr<size_t> feed(std::string_view in, std::string& out);
    bool done() const { return m_state == State::Done; }
    // At the end of the connection: fine if the body is complete (or ends with
    // the connection), EPROTO if it was cut short.
    ErrorOr<void> finish_at_eof();

    Framing framing() const { return m_framing; }

private:
    enum class State {
        Data, // Length or UntilClose: body bytes
        ChunkSize, // reading a chunk-size line
        ChunkData,
        ChunkDataEnd, // the CRLF after a chunk's data
        Trailers, // trailer lines up to a blank one
        Done,
    };

    Framing m_framing;
    State m_state { State::Data };
    uint64_t m_remaining { 0 }; // body bytes (Length) or chunk bytes left
    std::string m_line; // a partial chunk-size, CRLF or trailer line
};

} // namespace corral::api
