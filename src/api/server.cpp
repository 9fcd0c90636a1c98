#include "api/server.h"

#include "base/log.h"
#include "base/system.h"

#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace corral::api {

namespace {

ErrorOr<gid_t> group_id(const std::string& group)
{
    if (group.empty())
        return gid_t { 0 };
    if (group.find_first_not_of("0123456789") == std::string::npos)
        return static_cast<gid_t>(std::stoul(group));
    struct group entry {};
    struct group* found = nullptr;
    char buffer[16384];
    if (::getgrnam_r(group.c_str(), &entry, buffer, sizeof buffer, &found) != 0 || !found)
        return Error::from_string("group " + group + " not found", ENOENT);
    return found->gr_gid;
}

ErrorOr<Fd> listen_unix(const std::string& path, gid_t gid)
{
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path)
        return Error::from_string("socket path too long: " + path, ENAMETOOLONG);
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    int raw = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (raw < 0)
        return Error::from_syscall("socket");
    Fd fd(raw);
    // A socket file left by a daemon that died is replaced; one that answers
    // belongs to a running daemon and is not.
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return Error::from_string(path + " exists and is not a socket", EEXIST);
        Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (::connect(probe.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0)
            return Error::from_string("another daemon is listening on " + path, EADDRINUSE);
        ::unlink(path.c_str());
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) < 0)
        return Error::from_syscall("bind '" + path + "'");
    if (::chown(path.c_str(), 0, gid) < 0 || ::chmod(path.c_str(), 0660) < 0) {
        auto error = Error::from_syscall("chmod/chown '" + path + "'");
        ::unlink(path.c_str());
        return error;
    }
    if (::listen(fd.get(), 128) < 0)
        return Error::from_syscall("listen '" + path + "'");
    return fd;
}

// "tcp://host:port" as dockerd reads it: an empty host is 127.0.0.1, an empty
// port 2376 (the TLS port), IPv6 addresses in brackets.
ErrorOr<Fd> listen_tcp(const std::string& host)
{
    std::string rest = host.substr(6);
    if (auto slash = rest.find('/'); slash != std::string::npos) {
        if (rest.substr(slash) != "/")
            return Error::from_string("invalid host " + host + ": a TCP address has no path", EINVAL);
        rest.resize(slash);
    }
    std::string name, port;
    if (rest.starts_with("[")) {
        auto close = rest.find(']');
        if (close == std::string::npos)
            return Error::from_string("invalid host " + host + ": unclosed [", EINVAL);
        name = rest.substr(1, close - 1);
        rest.erase(0, close + 1);
        if (!rest.empty() && rest[0] != ':')
            return Error::from_string("invalid host " + host, EINVAL);
        port = rest.empty() ? "" : rest.substr(1);
    } else {
        auto colon = rest.rfind(':');
        name = colon == std::string::npos ? rest : rest.substr(0, colon);
        port = colon == std::string::npos ? "" : rest.substr(colon + 1);
    }
    if (name.empty())
        name = "127.0.0.1";
    if (port.empty())
        port = "2376";
    if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 || std::stoi(port) > 65535)
        return Error::from_string("invalid host " + host + ": bad port " + port, EINVAL);
    addrinfo hints {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (int rc = ::getaddrinfo(name.c_str(), port.c_str(), &hints, &found); rc != 0)
        return Error::from_string("invalid host " + host + ": " + ::gai_strerror(rc), EINVAL);
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
    Fd fd(::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid())
        return Error::from_syscall("socket");
    int on = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(fd.get(), found->ai_addr, found->ai_addrlen) < 0)
        return Error::from_syscall("bind '" + host + "'");
    if (::listen(fd.get(), 128) < 0)
        return Error::from_syscall("listen '" + host + "'");
    return fd;
}

} // namespace

Server::Server(ServerOptions options, HttpHandler handler)
    : m_options(std::move(options))
    , m_shared(std::make_shared<Shared>())
{
    m_shared->handler = std::move(handler);
    m_shared->limits = m_options.limits;
}

Server::~Server()
{
    stop();
    for (auto const& path : m_paths)
        ::unlink(path.c_str());
}

ErrorOr<std::unique_ptr<Server>> Server::listen(ServerOptions options, HttpHandler handler)
{
    std::unique_ptr<Server> server(new Server(std::move(options), std::move(handler)));
    gid_t gid = TRY(group_id(server->m_options.group));
    if (server->m_options.hosts.empty())
        return Error::from_string("no host to listen on", EINVAL);
    for (auto const& host : server->m_options.hosts) {
        std::string path;
        if (host.starts_with("unix://"))
            path = host.substr(7);
        else if (host.starts_with("/"))
            path = host;
        else if (host.starts_with("tcp://")) {
            if (!server->m_options.tls)
                return Error::from_string("refusing to listen on " + host
                        + " without mutual TLS: give --tlsverify with --tlscacert, --tlscert and --tlskey",
                    EINVAL);
            if (!server->m_shared->tls)
                server->m_shared->tls = TRY(TlsServerContext::load(*server->m_options.tls));
            server->m_listeners.push_back({ TRY(listen_tcp(host)), true });
            continue;
        } else if (host.starts_with("fd://"))
            return Error::from_string("listening on " + host + " is not supported (socket activation)", EINVAL);
        else
            return Error::from_string("invalid host " + host, EINVAL);
        server->m_listeners.push_back({ TRY(listen_unix(path, gid)), false });
        server->m_paths.push_back(path);
    }
    auto [read_end, write_end] = TRY(sys::pipe());
    server->m_stop_read = std::move(read_end);
    server->m_stop_write = std::move(write_end);
    return server;
}

void Server::stop()
{
    if (m_stop_write.valid())
        (void)!::write(m_stop_write.get(), "x", 1);
}

void Server::serve()
{
    std::vector<std::thread> loops;
    for (auto const& listener : m_listeners)
        loops.emplace_back([this, fd = listener.fd.get(), tls = listener.tls] { accept_loop(fd, tls); });
    for (auto& loop : loops)
        loop.join();
}

void Server::accept_loop(int listener, bool tls)
{
    while (true) {
        pollfd fds[2] = { { listener, POLLIN, 0 }, { m_stop_read.get(), POLLIN, 0 } };
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            log::error(std::string("api: poll: ") + std::strerror(errno));
            return;
        }
        if (fds[1].revents)
            return;
        int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) {
            if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
                log::warn(std::string("api: accept: ") + std::strerror(errno));
            if (errno == EMFILE || errno == ENFILE)
                ::usleep(100 * 1000); // let connections finish rather than spin
            continue;
        }
        if (m_shared->active.load() >= m_options.max_connections) {
            static const std::string busy = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                                            "Content-Length: 46\r\nConnection: close\r\n\r\n"
                                            "{\"message\":\"too many connections, try again\"}\n";
            // The request that has arrived is read first: closing with it
            // unread would reset the connection and lose the answer.
            char discard[16384];
            while (::recv(client, discard, sizeof discard, MSG_DONTWAIT) > 0) { }
            (void)!::send(client, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            ::shutdown(client, SHUT_WR);
            ::close(client);
            continue;
        }
        m_shared->active++;
        if (tls) {
            int on = 1;
            ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        }
        std::thread([shared = m_shared, client, tls] {
            auto serve_plain = [&shared](int fd) { serve_connection(fd, shared->handler, shared->limits); };
            if (tls)
                shared->tls->serve(client, serve_plain);
            else
                serve_plain(client);
            shared->active--;
        }).detach();
    }
}

} // namespace corral::api
