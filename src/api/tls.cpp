#include "api/tls.h"

#include "base/fd.h"
#include "base/log.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <pthread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>
#include <unistd.h>

namespace corral::api {

namespace {

// OpenSSL's queued errors as one line (and the queue emptied).
std::string ssl_errors()
{
    std::string text;
    while (unsigned long code = ::ERR_get_error()) {
        char buffer[256];
        ::ERR_error_string_n(code, buffer, sizeof buffer);
        if (!text.empty())
            text += "; ";
        text += buffer;
    }
    return text.empty() ? "unknown TLS error" : text;
}

void set_nonblocking(int fd)
{
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0)
        ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

struct SslDeleter {
    void operator()(SSL* ssl) const { ::SSL_free(ssl); }
};
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

// What a TLS call that did not complete waits for on the TCP socket.
short wanted_events(SSL* ssl, int result)
{
    switch (::SSL_get_error(ssl, result)) {
    case SSL_ERROR_WANT_READ:
        return POLLIN;
    case SSL_ERROR_WANT_WRITE:
        return POLLOUT;
    default:
        return 0;
    }
}

// Relays between the TLS connection (the remote peer) and the plain socket
// (our side: the HTTP server, or our client) until both directions are done
// or either side fails. Both sockets are non-blocking; a direction moves one
// buffer at a time, so a slow reader holds back its writer instead of growing
// a queue.
//
// Half-closes pass through both ways, as a hijacked attach needs them: the
// peer's close_notify shuts the plain socket for writing; the end of what
// our side sends becomes a close_notify, after which the peer's data still
// flows back until the peer closes too (unless our side closed whole).
void relay(SSL* ssl, int tcp, int plain)
{
    std::string to_plain; // decrypted, not yet written to the server side
    std::string to_tls; // from the server side, not yet encrypted
    bool client_done = false; // close_notify or EOF from the client
    bool plain_write_shut = false;
    bool server_done = false; // our side sent all it will send
    bool tls_write_shut = false; // our close_notify went out
    bool tcp_hup = false, plain_hup = false;
    char buffer[16384];
    while (true) {
        short tcp_events = 0;
        short plain_events = 0;
        bool progress = true;
        while (progress) {
            progress = false;
            tcp_events = 0;
            plain_events = 0;
            if (to_plain.empty() && !client_done) {
                int n = ::SSL_read(ssl, buffer, sizeof buffer);
                if (n > 0) {
                    to_plain.assign(buffer, static_cast<size_t>(n));
                    progress = true;
                } else if (short events = wanted_events(ssl, n)) {
                    tcp_events |= events;
                } else {
                    // close_notify, EOF or a broken record: the client has
                    // nothing more to say.
                    if (::SSL_get_error(ssl, n) != SSL_ERROR_ZERO_RETURN)
                        ::ERR_clear_error();
                    client_done = true;
                    progress = true;
                }
            }
            if (!to_plain.empty()) {
                ssize_t n = ::send(plain, to_plain.data(), to_plain.size(), MSG_NOSIGNAL);
                if (n > 0) {
                    to_plain.erase(0, static_cast<size_t>(n));
                    progress = true;
                } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                    plain_events |= POLLOUT;
                } else {
                    return; // the server side is gone
                }
            }
            if (client_done && to_plain.empty() && !plain_write_shut) {
                // Passes the client's end of input on (docker attach closes
                // stdin this way) while output can still flow back.
                ::shutdown(plain, SHUT_WR);
                plain_write_shut = true;
            }
            if (to_tls.empty() && !server_done) {
                ssize_t n = ::recv(plain, buffer, sizeof buffer, 0);
                if (n > 0) {
                    to_tls.assign(buffer, static_cast<size_t>(n));
                    progress = true;
                } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                    plain_events |= POLLIN;
                } else {
                    server_done = true;
                    progress = true;
                }
            }
            if (!to_tls.empty()) {
                int n = ::SSL_write(ssl, to_tls.data(), static_cast<int>(to_tls.size()));
                if (n > 0) {
                    to_tls.erase(0, static_cast<size_t>(n));
                    progress = true;
                } else if (short events = wanted_events(ssl, n)) {
                    tcp_events |= events;
                } else {
                    ::ERR_clear_error();
                    return; // the client is gone
                }
            }
            if (server_done && to_tls.empty() && !tls_write_shut) {
                ::SSL_shutdown(ssl); // the close_notify; best effort
                ::ERR_clear_error();
                tls_write_shut = true;
                progress = true;
            }
            if (tls_write_shut) {
                // Our side closed whole (nothing could take the peer's data
                // any more), or the peer is done too: the end.
                pollfd p { plain, POLLOUT, 0 };
                bool plain_closed = ::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
                if (plain_closed || (client_done && to_plain.empty()))
                    return;
            }
        }
        // A socket that has hung up is left out of the poll: calls on it no
        // longer block, and poll would report the hang-up on every round.
        pollfd fds[2] = { { tcp_hup ? -1 : tcp, tcp_events, 0 }, { plain_hup ? -1 : plain, plain_events, 0 } };
        if (tcp_hup && plain_hup)
            return; // nothing can wait: the rounds above moved all they could
        if (::poll(fds, 2, -1) < 0 && errno != EINTR)
            return;
        tcp_hup = tcp_hup || (fds[0].revents & (POLLHUP | POLLERR));
        plain_hup = plain_hup || (fds[1].revents & (POLLHUP | POLLERR));
    }
}

// Closes after a failed handshake so that the client reads our alert (which
// says why: no certificate, an unknown CA) instead of a reset, which closing
// with its unread records still queued would cause. Bounded to 200 ms.
void linger_close(int fd)
{
    ::shutdown(fd, SHUT_WR);
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    char buffer[4096];
    while (true) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
        pollfd p { fd, POLLIN, 0 };
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            return;
        if (::recv(fd, buffer, sizeof buffer, 0) <= 0)
            return;
    }
}

} // namespace

struct TlsServerContext::Impl {
    SSL_CTX* ctx { nullptr };
    ~Impl()
    {
        if (ctx)
            ::SSL_CTX_free(ctx);
    }
};

TlsServerContext::~TlsServerContext() = default;

ErrorOr<std::shared_ptr<TlsServerContext>> TlsServerContext::load(const TlsFiles& files)
{
    std::shared_ptr<TlsServerContext> context(new TlsServerContext());
    context->m_impl = std::make_unique<Impl>();
    SSL_CTX* ctx = ::SSL_CTX_new(::TLS_server_method());
    if (!ctx)
        return Error::from_string("creating a TLS context: " + ssl_errors(), ENOMEM);
    context->m_impl->ctx = ctx;
    ::SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // No renegotiation, and no session resumption: a client proves itself
    // with its certificate on every connection.
    ::SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE);
    ::SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    ::SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    auto failed = [](const std::string& what, const std::string& file) {
        return Error::from_string(what + " " + file + ": " + ssl_errors(), EINVAL);
    };
    if (::SSL_CTX_use_certificate_chain_file(ctx, files.cert.c_str()) != 1)
        return failed("loading the TLS certificate", files.cert);
    if (::SSL_CTX_use_PrivateKey_file(ctx, files.key.c_str(), SSL_FILETYPE_PEM) != 1)
        return failed("loading the TLS key", files.key);
    if (::SSL_CTX_check_private_key(ctx) != 1)
        return failed("the TLS key does not match the certificate", files.cert);
    if (::SSL_CTX_load_verify_locations(ctx, files.ca_cert.c_str(), nullptr) != 1)
        return failed("loading the TLS CA certificate", files.ca_cert);
    // Tells clients which CAs are accepted, as Go's server does.
    if (STACK_OF(X509_NAME)* names = ::SSL_load_client_CA_file(files.ca_cert.c_str()))
        ::SSL_CTX_set_client_CA_list(ctx, names);
    ::SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    return context;
}

void TlsServerContext::serve(int tcp_fd, const std::function<void(int)>& serve_plain, int handshake_timeout_ms) const
{
    Fd tcp(tcp_fd);
    set_nonblocking(tcp.get());
    SslPtr ssl(::SSL_new(m_impl->ctx));
    if (!ssl || ::SSL_set_fd(ssl.get(), tcp.get()) != 1) {
        log::warn("api: TLS: " + ssl_errors());
        return;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(handshake_timeout_ms);
    while (true) {
        int result = ::SSL_accept(ssl.get());
        if (result == 1)
            break;
        short events = wanted_events(ssl.get(), result);
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (!events || left.count() <= 0) {
            log::debug("api: TLS handshake failed: "
                + (events ? std::string("timed out") : ssl_errors()));
            ::ERR_clear_error();
            linger_close(tcp.get());
            return;
        }
        pollfd fd { tcp.get(), events, 0 };
        if (::poll(&fd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR)
            return;
    }
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
        log::warn("api: socketpair for a TLS connection failed");
        return;
    }
    Fd relay_end(pair[0]);
    set_nonblocking(relay_end.get());
    std::thread server([serve_plain, fd = pair[1]] { serve_plain(fd); });
    relay(ssl.get(), tcp.get(), relay_end.get());
    // Closing our end ends whatever the server side still streams.
    relay_end = Fd();
    server.join();
}

namespace {

ErrorOr<Fd> tcp_socket(const std::string& host, const std::string& port)
{
    addrinfo hints {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
        return Error::from_string("cannot resolve " + host + ": " + ::gai_strerror(rc), EHOSTUNREACH);
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
    int last = ECONNREFUSED;
    for (addrinfo* a = found; a; a = a->ai_next) {
        Fd fd(::socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!fd.valid())
            continue;
        if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) == 0) {
            int on = 1;
            ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
            return fd;
        }
        last = errno;
    }
    return Error::from_errno(last, "connect to " + host + ":" + port);
}

struct SslCtxDeleter {
    void operator()(SSL_CTX* ctx) const { ::SSL_CTX_free(ctx); }
};

} // namespace

// The client's relay threads. A client process may exit while one is still
// finishing (sending its close_notify, freeing the connection); the relays
// are therefore joined at exit, after their sockets are shut down so that
// each ends at once, rather than left running while the process and
// OpenSSL's own exit handler tear down what they use.
class ClientRelays {
public:
    static ClientRelays& instance()
    {
        // Never destroyed: exit handlers and relays may still use it.
        static ClientRelays* relays = [] {
            auto* created = new ClientRelays();
            // Registered after OpenSSL's own handler (the caller has made an
            // SSL_CTX), so it runs before OpenSSL cleans up.
            std::atexit([] { ClientRelays::instance().stop_all(); });
            return created;
        }();
        return *relays;
    }

    void start(std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx, SslPtr ssl, Fd tcp, Fd relay_end)
    {
        std::lock_guard lock(m_mutex);
        reap_locked();
        auto entry = std::make_shared<Entry>();
        entry->tcp = tcp.get();
        entry->plain = relay_end.get();
        entry->thread = std::thread([entry, ctx = std::move(ctx), ssl = std::move(ssl), tcp = std::move(tcp),
                                        relay_end = std::move(relay_end)]() mutable {
            // OpenSSL writes to the socket with write(): a peer gone would
            // raise SIGPIPE, which a client process does not ignore. Blocked
            // in this thread, the write fails with EPIPE instead.
            sigset_t pipe;
            sigemptyset(&pipe);
            sigaddset(&pipe, SIGPIPE);
            ::pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
            relay(ssl.get(), tcp.get(), relay_end.get());
            std::lock_guard lock(instance().m_mutex);
            entry->done = true; // the sockets close when this closure goes
        });
        m_entries.push_back(entry);
    }

private:
    struct Entry {
        std::thread thread;
        int tcp { -1 };
        int plain { -1 };
        bool done { false };
    };

    // Joins the relays that have finished.
    void reap_locked()
    {
        std::erase_if(m_entries, [](auto const& entry) {
            if (!entry->done)
                return false;
            entry->thread.join();
            return true;
        });
    }

    void stop_all()
    {
        std::vector<std::shared_ptr<Entry>> entries;
        {
            std::lock_guard lock(m_mutex);
            // Our side's end: the relay sends its close_notify and finishes.
            for (auto const& entry : m_entries)
                if (!entry->done)
                    ::shutdown(entry->plain, SHUT_RDWR);
            entries.swap(m_entries);
        }
        // A peer that stopped reading could hold a relay on a write: after a
        // grace period its connection is cut as well.
        for (int i = 0; i < 40; ++i) {
            {
                std::lock_guard lock(m_mutex);
                if (std::all_of(entries.begin(), entries.end(), [](auto const& e) { return e->done; }))
                    break;
                if (i == 39) {
                    for (auto const& entry : entries)
                        if (!entry->done)
                            ::shutdown(entry->tcp, SHUT_RDWR);
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        for (auto const& entry : entries)
            entry->thread.join();
    }

    std::mutex m_mutex;
    std::vector<std::shared_ptr<Entry>> m_entries;
};

ErrorOr<Fd> connect_tcp(const std::string& host, const std::string& port, const TlsClientFiles* tls, int timeout_ms)
{
    Fd tcp = TRY(tcp_socket(host, port));
    if (!tls)
        return tcp;
    std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx(::SSL_CTX_new(::TLS_client_method()));
    if (!ctx)
        return Error::from_string("creating a TLS context: " + ssl_errors(), ENOMEM);
    ::SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    ::SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (!tls->cert.empty()) {
        if (::SSL_CTX_use_certificate_chain_file(ctx.get(), tls->cert.c_str()) != 1)
            return Error::from_string("loading the TLS certificate " + tls->cert + ": " + ssl_errors(), EINVAL);
        if (::SSL_CTX_use_PrivateKey_file(ctx.get(), tls->key.c_str(), SSL_FILETYPE_PEM) != 1)
            return Error::from_string("loading the TLS key " + tls->key + ": " + ssl_errors(), EINVAL);
    }
    if (tls->verify) {
        int loaded = tls->ca_cert.empty() ? ::SSL_CTX_set_default_verify_paths(ctx.get())
                                          : ::SSL_CTX_load_verify_locations(ctx.get(), tls->ca_cert.c_str(), nullptr);
        if (loaded != 1)
            return Error::from_string("loading the TLS CA certificate " + tls->ca_cert + ": " + ssl_errors(), EINVAL);
        ::SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    }
    SslPtr ssl(::SSL_new(ctx.get()));
    if (!ssl || ::SSL_set_fd(ssl.get(), tcp.get()) != 1)
        return Error::from_string("TLS: " + ssl_errors(), ENOMEM);
    // The certificate must be for the address asked for: an IP address or
    // a name (which also goes out as SNI).
    in6_addr ip {};
    bool is_ip = ::inet_pton(AF_INET, host.c_str(), &ip) == 1 || ::inet_pton(AF_INET6, host.c_str(), &ip) == 1;
    if (tls->verify) {
        X509_VERIFY_PARAM* param = ::SSL_get0_param(ssl.get());
        if (is_ip ? ::X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1 : ::SSL_set1_host(ssl.get(), host.c_str()) != 1)
            return Error::from_string("TLS: " + ssl_errors(), EINVAL);
    }
    if (!is_ip)
        ::SSL_set_tlsext_host_name(ssl.get(), host.c_str());
    set_nonblocking(tcp.get());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
        int result = ::SSL_connect(ssl.get());
        if (result == 1)
            break;
        short events = wanted_events(ssl.get(), result);
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (!events || left.count() <= 0) {
            std::string why = events ? std::string("timed out") : ssl_errors();
            long verified = ::SSL_get_verify_result(ssl.get());
            if (verified != X509_V_OK)
                why = std::string("certificate verify failed: ") + ::X509_verify_cert_error_string(verified);
            return Error::from_string("TLS handshake with " + host + ":" + port + ": " + why, EPROTO);
        }
        pollfd fd { tcp.get(), events, 0 };
        if (::poll(&fd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR)
            return Error::from_syscall("poll");
    }
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
        return Error::from_syscall("socketpair");
    Fd plain(pair[1]);
    set_nonblocking(pair[0]);
    // The relay owns the TLS side and ends when the caller closes its end.
    ClientRelays::instance().start(std::move(ctx), std::move(ssl), std::move(tcp), Fd(pair[0]));
    return plain;
}

} // namespace corral::api
