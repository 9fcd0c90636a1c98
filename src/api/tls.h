#pragma once

// Mutual TLS for a TCP listener (dockerd's --tlsverify): the daemon proves
// itself with its certificate, and a client gets in only with a certificate
// signed by the configured CA. There is no server-only TLS and no plain TCP:
// anyone who reaches the API owns the machine.
//
// The HTTP code stays on plain file descriptors: each TLS connection is
// terminated here and relayed to one end of a socketpair, whose other end the
// ordinary connection code serves (streams and hijacks included).

#include "base/error.h"
#include "base/fd.h"

#include <functional>
#include <memory>
#include <string>

namespace corral::api {

struct TlsFiles {
    std::string ca_cert; // PEM: the CA that client certificates must chain to
    std::string cert; // PEM: the server's certificate (chain)
    std::string key; // PEM: its private key
};

class TlsServerContext {
public:
    // Loads and checks the files now, so that a wrong path or a key that
    // does not match the certificate stops the daemon before it says it is
    // up. Errors name the file.
    static ErrorOr<std::shared_ptr<TlsServerContext>> load(const TlsFiles& files);
    ~TlsServerContext();

    TlsServerContext(const TlsServerContext&) = delete;
    TlsServerContext& operator=(const TlsServerContext&) = delete;

    // Serves one accepted TCP connection: the handshake (bounded by
    // `handshake_timeout_ms`), then `serve_plain` on a thread of its own with
    // the decrypted side, while this thread relays both ways until either
    // side is done. Closes `tcp_fd`; `serve_plain` must close the fd it gets.
    // A failed handshake is logged (debug) and ends the connection.
    void serve(int tcp_fd, const std::function<void(int)>& serve_plain, int handshake_timeout_ms = 10000) const;

private:
    TlsServerContext() = default;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// The client side, for `system-docker -H tcp://… --tlsverify`.
struct TlsClientFiles {
    bool verify { true }; // check the server's certificate against ca_cert and its name
    std::string ca_cert; // empty: the system's CAs
    std::string cert; // the client certificate to present; empty: none
    std::string key;
};

// Connects to host:port over TCP and, with `tls`, makes a TLS connection on
// it. Returns a socket carrying the plain bytes: with TLS, one end of a
// socketpair that a thread of its own relays to the TLS connection until
// either side closes. Errors: ECONNREFUSED (or the connect's errno) naming
// the address, EPROTO for a failed handshake with OpenSSL's reason, EINVAL
// for unreadable certificate files.
ErrorOr<Fd> connect_tcp(const std::string& host, const std::string& port, const TlsClientFiles* tls,
    int timeout_ms = 10000);

} // namespace corral::api
