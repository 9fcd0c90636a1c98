#include "api/server.h"

#include "base/log.h"
#include "base/system.h"

#include <cstring>
#include <fcntl.h>
#include <grp.h>
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
        else if (host.starts_with("tcp://") || host.starts_with("fd://"))
            return Error::from_string("listening on " + host
                    + " is not supported: the API is served on Unix sockets only (a network listener would need "
                      "mutual TLS)",
                EINVAL);
        else
            return Error::from_string("invalid host " + host, EINVAL);
        server->m_listeners.push_back(TRY(listen_unix(path, gid)));
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
        loops.emplace_back([this, fd = listener.get()] { accept_loop(fd); });
    for (auto& loop : loops)
        loop.join();
}

void Server::accept_loop(int listener)
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
            (void)!::send(client, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            ::close(client);
            continue;
        }
        m_shared->active++;
        std::thread([shared = m_shared, client] {
            serve_connection(client, shared->handler, shared->limits);
            shared->active--;
        }).detach();
    }
}

} // namespace corral::api
