#pragma once

// A client of the Docker Engine API (v1.41) over a Unix socket, for the tools
// that talk to system-dockerd: `system-docker` and `ros`. It knows HTTP and the
// API's conventions (version prefix, JSON error bodies, hijacked connections),
// nothing of any command line.
//
// Every call opens its own connection and closes it when done, so calls are
// independent and a Client may be used for several at once (a `wait` left
// pending while `start` runs, as `docker run` does). Calls block; none uses
// threads or signals.
//
// Errors:
//   - the daemon answered with a status of 400 or more: Error::from_string with
//     the `message` of its JSON body (or the body itself when it is not JSON),
//     and an errno for the status: 404 ENOENT, 409 EBUSY, 400 EINVAL, 401/403
//     EACCES, 501 ENOSYS, anything else EIO. last_status() tells these apart
//     from the others;
//   - the socket could not be reached: ECONNREFUSED (a missing socket too, so
//     that it never looks like a 404) or EACCES, with Docker's words: "Cannot
//     connect to the Docker daemon at unix:///…. Is the docker daemon running?";
//   - a malformed response: EPROTO naming what was wrong;
//   - reading or writing the socket, or a callback's own error: as they are.

#include "base/error.h"
#include "api/tls.h"
#include "base/fd.h"

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corral::api {

inline constexpr std::string_view DEFAULT_DOCKER_HOST = "unix:///var/run/system-docker.sock";
inline constexpr std::string_view CLIENT_API_VERSION = "1.41";

// Query parameters in order; names and values are URL-encoded by the client.
using Query = std::vector<std::pair<std::string, std::string>>;

struct ClientResponse {
    int status { 0 };
    std::string reason; // "OK"
    std::map<std::string, std::string> headers; // names in lower case
    std::string body; // decoded (chunked or Content-Length); empty for streamed calls

    // A header's value, or "" when absent. `name` in lower case.
    std::string header(const std::string& name) const;
};

// The socket path of a -H / DOCKER_HOST value: "unix:///path" gives "/path",
// "unix://" alone the default socket. Anything else is EINVAL.
ErrorOr<std::string> parse_docker_host(std::string_view host);

// A tcp:// -H value: host and port ("tcp://10.0.0.1:2376"; IPv6 in brackets).
// The port defaults to 2376 with TLS and 2375 without, as Docker's.
struct TcpAddress {
    std::string host;
    std::string port;
};
ErrorOr<TcpAddress> parse_tcp_host(std::string_view host, bool tls);

// The errno an error status maps to (see above).
int errno_for_status(int status);

// Percent-encodes for a query component (Go's url.QueryEscape: space is "+").
std::string query_escape(std::string_view text);
// Percent-encodes a path, leaving "/" and the characters Go's url.URL leaves.
std::string path_escape(std::string_view text);

// A request sent whose response is read later (see Client::send).
class PendingResponse {
public:
    PendingResponse(PendingResponse&&) = default;
    PendingResponse& operator=(PendingResponse&&) = default;

    // Blocks until the whole response is in. Errors as for Client::request.
    ErrorOr<ClientResponse> finish();
    // The connection, to poll() on while other work goes on.
    int fd() const { return m_fd.get(); }

private:
    friend class Client;
    PendingResponse(Fd fd, std::shared_ptr<int> last_status)
        : m_fd(std::move(fd))
        , m_last_status(std::move(last_status))
    {
    }
    Fd m_fd;
    std::shared_ptr<int> m_last_status;
};

// A connection the daemon has handed over for a raw stream (attach, exec
// start). Owns the socket; `early_output` holds bytes of the stream that
// arrived with the response head and were read already.
struct Hijacked {
    Fd fd;
    ClientResponse response; // status 101 or 200, headers; body empty
    std::string early_output;
};

class Client {
public:
    // `host` as for parse_docker_host, or tcp://host:port, over TLS when `tls`
    // is given (see api/tls.h). Connects lazily: construction never fails for
    // an unreachable daemon, only for a host it cannot serve. ssh:// and fd://
    // are EINVAL.
    static ErrorOr<Client> create(std::string_view host = DEFAULT_DOCKER_HOST, std::optional<TlsClientFiles> tls = {});

    // The host as given (for messages): "unix:///var/run/system-docker.sock".
    const std::string& host() const { return m_host; }
    const std::string& socket_path() const { return m_socket_path; }

    // The status of the last response head received by any call, 0 when the
    // last call failed before one arrived. An error after a call with
    // last_status() >= 400 came from the daemon (Docker's CLI prints those as
    // "Error response from daemon: <message>").
    int last_status() const { return *m_last_status; }

    // One whole request and response. `path` is the API path without the
    // version ("/containers/json"); `body_json`, when not empty, is sent with
    // Content-Type application/json. Statuses of 400 and more are errors.
    ErrorOr<ClientResponse> request(
        std::string_view method, std::string_view path, const Query& query = {}, std::string_view body_json = {});

    // Sends the request now; the response is read by PendingResponse::finish().
    ErrorOr<PendingResponse> send(
        std::string_view method, std::string_view path, const Query& query = {}, std::string_view body_json = {});

    // Hands the response body to `on_chunk` as it arrives (logs -f, events,
    // pull progress, save), and returns the head once the body has ended. An
    // error status is returned as an error before any chunk is handed over. An
    // error from `on_chunk` stops the call and is returned as is.
    using ChunkCallback = std::function<ErrorOr<void>(std::string_view)>;
    ErrorOr<ClientResponse> stream(std::string_view method, std::string_view path, const Query& query,
        std::string_view body_json, const ChunkCallback& on_chunk);

    // Sends what can be read from `body_fd` (to its end) as the request body
    // with `content_type`, chunked, while handing the response body to
    // `on_chunk` (load).
    ErrorOr<ClientResponse> upload(std::string_view method, std::string_view path, const Query& query, int body_fd,
        std::string_view content_type, const ChunkCallback& on_chunk);

    // Asks for the connection to be upgraded to a raw stream and returns it once
    // the daemon has answered 101 (or 200, as dockerd answers clients that did
    // not ask for an upgrade).
    ErrorOr<Hijacked> hijack(
        std::string_view method, std::string_view path, const Query& query = {}, std::string_view body_json = {});

    Client(Client&&) = default;
    Client& operator=(Client&&) = default;

private:
    Client() = default;

    ErrorOr<Fd> connect() const;
    std::string request_head(std::string_view method, std::string_view path, const Query& query,
        const std::vector<std::pair<std::string, std::string>>& headers) const;
    ErrorOr<Fd> send_request(std::string_view method, std::string_view path, const Query& query,
        std::string_view body_json, const std::vector<std::pair<std::string, std::string>>& extra_headers);

    std::string m_host;
    std::string m_socket_path; // unix:// hosts
    std::optional<TcpAddress> m_tcp; // tcp:// hosts
    std::optional<TlsClientFiles> m_tls;
    // Shared with the PendingResponses, which may outlive a moved-from Client.
    std::shared_ptr<int> m_last_status { std::make_shared<int>(0) };
};

} // namespace corral::api
