#pragma once

// The API's listeners: Unix sockets (dockerd's -H unix://…) and, only with
// mutual TLS, TCP ones (-H tcp://host:port --tlsverify), each served by an
// accept loop; every connection gets a thread of its own, up to a bound
// beyond which new clients get a 503. A Unix socket is made 0660, owned by
// root and the configured group (root's own when none), as dockerd's.

#include "api/http_connection.h"
#include "api/tls.h"
#include "base/error.h"
#include "base/fd.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace corral::api {

struct ServerOptions {
    // "unix:///var/run/system-docker.sock" (a bare path is taken as unix://)
    // or "tcp://host:port" (dockerd's defaults: 127.0.0.1, port 2376).
    std::vector<std::string> hosts;
    // Required for a tcp:// host: the server's certificate and key, and the
    // CA that every client's certificate must chain to.
    std::optional<TlsFiles> tls;
    std::string group; // a group name or gid; empty: root
    HttpLimits limits;
    // dockerd has no bound; the docker CLI opens one connection per container
    // of a `docker rm -f a b c …`, so the bound is generous.
    size_t max_connections { 1024 };
};

class Server {
public:
    // Binds every host now (so that errors come before the daemon says it is
    // up). A tcp:// host without TLS files is refused: a network listener
    // needs mutual TLS.
    static ErrorOr<std::unique_ptr<Server>> listen(ServerOptions options, HttpHandler handler);
    ~Server();

    // Accepts until stop(); returns when every listener has stopped. Open
    // connections are left to finish.
    void serve();
    void stop();
    size_t active_connections() const { return m_shared->active.load(); }

private:
    Server(ServerOptions options, HttpHandler handler);
    void accept_loop(int listener, bool tls);

    // What connection threads use: shared, so that a connection still
    // streaming when the server goes does not outlive what it reads.
    struct Shared {
        HttpHandler handler;
        HttpLimits limits;
        std::shared_ptr<const TlsServerContext> tls;
        std::atomic<size_t> active { 0 };
    };

    ServerOptions m_options;
    std::shared_ptr<Shared> m_shared;
    struct Listener {
        Fd fd;
        bool tls { false };
    };
    std::vector<Listener> m_listeners;
    std::vector<std::string> m_paths;
    Fd m_stop_read, m_stop_write;
};

} // namespace corral::api
