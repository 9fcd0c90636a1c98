// HTTP/1.1 requests as any client may send them to system-dockerd: the bytes
// go through a socket into serve_connection() exactly as from a client, with
// a route that streams its body and one that takes it whole. It must answer
// (400 for garbage) and close, never crash, hang or read past its limits.

#include "api/http_connection.h"

#include <cstdint>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace corral::api;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
        return 0;
    // The client: sends the input, closes its side, and reads every answer
    // so that the server never blocks on a full socket.
    std::thread client([fd = fds[1], data, size] {
        size_t sent = 0;
        while (sent < size) {
            ssize_t n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
            if (n <= 0)
                break;
            sent += static_cast<size_t>(n);
        }
        ::shutdown(fd, SHUT_WR);
        char buffer[4096];
        while (::read(fd, buffer, sizeof buffer) > 0) { }
        ::close(fd);
    });
    HttpHandler handler;
    handler.streams_body = [](const Request& request) { return request.path == "/images/load"; };
    handler.handle = [](Request& request, Connection& connection) -> std::optional<Response> {
        if (request.path == "/images/load") {
            std::string body;
            while (body.size() < (1 << 20)) {
                auto more = connection.read_body(body);
                if (more.is_error() || !*more)
                    break;
            }
        }
        (void)request.flag("all");
        (void)request.integer("limit", 0);
        (void)request.version_at_least("1.40");
        return Response { 200, "text/plain", "OK", {} };
    };
    HttpLimits limits;
    limits.idle_timeout_ms = 200;
    limits.max_body_bytes = 1 << 20;
    serve_connection(fds[0], handler, limits);
    client.join();
    return 0;
}
