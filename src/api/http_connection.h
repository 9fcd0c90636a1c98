#pragma once

// Serving one client connection: HTTP/1.1 requests parsed with Beast, one
// after another (keep-alive), each handed to the router; responses written
// by hand in dockerd's form (its headers, chunked streams, the 101 of a
// hijack). A malformed request gets a 400 and the connection is closed; it
// never reaches a handler.

#include "api/http.h"

#include <functional>
#include <optional>

namespace corral::api {

struct HttpLimits {
    size_t max_header_bytes { 64 * 1024 };
    size_t max_body_bytes { 32 * 1024 * 1024 }; // for bodies not streamed
    int idle_timeout_ms { 5 * 60 * 1000 }; // between requests, and inside one
};

struct HttpHandler {
    // Whether the request's body is to be streamed (read by the handler
    // through Connection::read_body) rather than read whole first.
    std::function<bool(const Request&)> streams_body;
    // Answers the request: a response to send, or nullopt when the handler
    // answered through the Connection itself (stream, hijack).
    std::function<std::optional<Response>(Request&, Connection&)> handle;
};

// Serves `fd` until the client closes it, an error, or a streamed or
// hijacked answer. Closes `fd`.
void serve_connection(int fd, const HttpHandler& handler, const HttpLimits& limits);

// The headers dockerd puts on every response.
std::string common_headers();

// Splits a request target into the version ("1.41", or "" without one), the
// decoded path and the decoded query. EINVAL for a malformed escape.
struct Target {
    std::string version;
    std::string path;
    std::multimap<std::string, std::string> query;
};
ErrorOr<Target> parse_target(std::string_view target);

} // namespace corral::api
