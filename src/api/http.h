#pragma once

// The HTTP side of the API as the handlers see it: a parsed request, and the
// client connection to answer on, with the three ways dockerd answers: a
// whole response, a stream (chunked: logs, events, pulls, loads), or a
// hijacked connection (attach, exec start). Beast stays behind this header,
// in http_connection.cpp.

#include "base/error.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::api {

struct Request {
    std::string method; // "GET", "POST", …
    std::string target; // as received: "/v1.41/containers/json?all=1"
    std::string path; // decoded, without the version prefix: "/containers/json"
    std::string api_version; // "1.41" when the path has none
    std::multimap<std::string, std::string> query; // decoded
    std::map<std::string, std::string> headers; // names in lower case
    std::string body; // empty for streamed bodies (see Connection::read_body)

    // The first value of a query parameter.
    std::optional<std::string> param(const std::string& name) const;
    // Docker's boolValue: absent, "", "0", "no", "false", "none" are false.
    bool flag(const std::string& name) const;
    // An integer parameter; `fallback` when absent; EINVAL naming it when junk.
    ErrorOr<int64_t> integer(const std::string& name, int64_t fallback) const;
    // Whether the API version asked for is at least `version` ("1.40").
    bool version_at_least(std::string_view version) const;
};

struct Response {
    int status { 200 };
    std::string content_type { "application/json" };
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

Response json_response(int status, const std::string& json);
// Docker's error body: {"message":"…"}.
Response error_response(int status, std::string_view message);
// The status dockerd gives an engine error: ENOENT 404, EEXIST/EBUSY/EALREADY
// 409, EINVAL/ERANGE 400, EACCES/EPERM 403, anything else 500.
int status_for(const Error& error);

// The client connection, for handlers that do more than return a Response.
class Connection {
public:
    virtual ~Connection() = default;

    // A streamed response: headers now, then chunks as they come, then end.
    virtual ErrorOr<void> begin_stream(int status, std::string_view content_type) = 0;
    virtual ErrorOr<void> write_chunk(std::string_view data) = 0;
    virtual ErrorOr<void> end_stream() = 0;

    // The request body in pieces (for bodies too large to hold: image loads):
    // appends what arrives to `out` and returns false once the body is done.
    virtual ErrorOr<bool> read_body(std::string& out) = 0;

    // Takes the connection over for a raw stream (attach, exec start): answers
    // 101 UPGRADED (or 200 OK when the client did not ask to upgrade) with
    // `content_type`, and returns the socket, plus whatever the client had
    // already sent after the request (the start of its stdin). The connection
    // closes when the handler returns.
    struct Hijacked {
        int fd { -1 };
        std::string early_input;
    };
    virtual ErrorOr<Hijacked> hijack(std::string_view content_type) = 0;

    // Whether the client has closed its side (checked while a stream is idle).
    virtual bool client_gone() = 0;
};

} // namespace corral::api
