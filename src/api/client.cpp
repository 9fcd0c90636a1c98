#include "api/client.h"

#include "api/client_http.h"
#include "base/strings.h"

#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace corral::api {

namespace {

// Docker's client reads at most this much of an error body.
constexpr size_t MAX_ERROR_BODY = 1024 * 1024;
// A whole (not streamed) response body: inspect of a big container, a long
// image list. Far past anything the daemon writes, short of exhausting memory.
constexpr size_t MAX_BODY = 256 * 1024 * 1024;
constexpr size_t IO_BUFFER = 64 * 1024;

std::string status_text(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return "status " + std::to_string(status);
    }
}

// The daemon's error as Docker's client reads it (checkResponseErr).
Error daemon_error(const ClientResponse& response, std::string_view method, std::string_view target)
{
    int code = errno_for_status(response.status);
    std::string message;
    if (response.header("content-type").starts_with("application/json")) {
        try {
            auto json = nlohmann::json::parse(response.body);
            if (json.is_object() && json.contains("message") && json["message"].is_string())
                message = std::string(trim(json["message"].get<std::string>()));
        } catch (const nlohmann::json::exception&) {
            return Error::from_string("Error reading JSON: " + std::string(trim(response.body.substr(0, 200))), code);
        }
    } else {
        message = std::string(trim(response.body));
    }
    if (message.empty() && response.body.empty()) {
        message = "request returned " + status_text(response.status) + " for API route and version "
            + std::string(method) + " " + std::string(target)
            + ", check if the server supports the requested API version";
    }
    return Error::from_string(std::move(message), code);
}

ErrorOr<void> send_all(int fd, std::string_view data)
{
    while (!data.empty()) {
        // MSG_NOSIGNAL: a daemon that went away is an EPIPE error, not SIGPIPE.
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_syscall("send to the daemon");
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

ErrorOr<size_t> read_some(int fd, char* buffer, size_t size)
{
    for (;;) {
        ssize_t n = ::read(fd, buffer, size);
        if (n >= 0)
            return static_cast<size_t>(n);
        if (errno != EINTR)
            return Error::from_syscall("read from the daemon");
    }
}

// Reads a response as it arrives: the head, then the body, which is handed to
// a callback or kept whole. Error statuses keep their (bounded) body for the
// message.
class ResponseReader {
public:
    enum class Mode {
        Whole, // keep the body in response.body
        Stream, // hand body bytes to the callback
        Hijack, // stop after the head; what follows is the raw stream
    };

    ResponseReader(std::string_view method, std::string target, Mode mode, const Client::ChunkCallback* on_chunk,
        std::shared_ptr<int> last_status)
        : m_method(method)
        , m_target(std::move(target))
        , m_mode(mode)
        , m_on_chunk(on_chunk)
        , m_last_status(std::move(last_status))
    {
        *m_last_status = 0;
    }

    bool done() const { return m_done; }
    bool head_done() const { return m_head_done; }
    ClientResponse& response() { return m_response; }
    std::string& leftover() { return m_leftover; }

    ErrorOr<void> feed(std::string_view bytes)
    {
        if (m_done) {
            m_leftover.append(bytes);
            return {};
        }
        if (!m_head_done) {
            m_head.append(bytes);
            auto used = TRY(parse_response_head(m_head, m_response));
            if (!used)
                return {};
            // 1xx other than 101 are interim: skip them (Go's client does).
            if (m_response.status >= 100 && m_response.status < 200 && m_response.status != 101) {
                std::string rest = m_head.substr(*used);
                m_head.clear();
                return feed(rest);
            }
            m_head_done = true;
            *m_last_status = m_response.status;
            std::string rest = m_head.substr(*used);
            m_head.clear();
            m_failed = m_response.status >= 400;
            if (m_mode == Mode::Hijack && !m_failed) {
                m_done = true;
                m_leftover = std::move(rest);
                return {};
            }
            m_decoder = TRY(BodyDecoder::for_response(m_response, m_method));
            return feed_body(rest);
        }
        return feed_body(bytes);
    }

    ErrorOr<void> at_eof()
    {
        if (m_done)
            return {};
        if (!m_head_done) {
            if (m_head.empty())
                return Error::from_string("the daemon closed the connection without a response", EPROTO);
            return Error::from_string("the daemon closed the connection in the middle of the response head", EPROTO);
        }
        TRY(m_decoder->finish_at_eof());
        return complete();
    }

    // The error for an error status, once its body is in.
    std::optional<Error> failure() const
    {
        if (!m_failed)
            return std::nullopt;
        return daemon_error(m_response, m_method, m_target);
    }

private:
    ErrorOr<void> feed_body(std::string_view bytes)
    {
        std::string decoded;
        size_t used = TRY(m_decoder->feed(bytes, decoded));
        if (m_failed || m_mode == Mode::Whole || m_mode == Mode::Hijack) {
            size_t limit = m_failed ? MAX_ERROR_BODY : MAX_BODY;
            if (m_response.body.size() + decoded.size() > limit) {
                if (!m_failed)
                    return Error::from_string("response body over " + std::to_string(limit) + " bytes", EFBIG);
                decoded.resize(limit - m_response.body.size());
            }
            m_response.body += decoded;
        } else if (!decoded.empty() && m_on_chunk) {
            TRY((*m_on_chunk)(decoded));
        }
        if (m_decoder->done()) {
            m_leftover.append(bytes.substr(used));
            return complete();
        }
        return {};
    }

    ErrorOr<void> complete()
    {
        m_done = true;
        return {};
    }

    std::string m_method;
    std::string m_target;
    Mode m_mode;
    const Client::ChunkCallback* m_on_chunk;
    std::shared_ptr<int> m_last_status;
    std::string m_head;
    ClientResponse m_response;
    std::optional<BodyDecoder> m_decoder;
    std::string m_leftover;
    bool m_head_done { false };
    bool m_done { false };
    bool m_failed { false };
};

// Reads until the reader is done or the connection ends.
ErrorOr<void> read_response(int fd, ResponseReader& reader)
{
    std::string buffer(IO_BUFFER, '\0');
    while (!reader.done()) {
        size_t n = TRY(read_some(fd, buffer.data(), buffer.size()));
        if (n == 0) {
            TRY(reader.at_eof());
            break;
        }
        TRY(reader.feed(std::string_view(buffer.data(), n)));
    }
    if (auto failure = reader.failure())
        return std::move(*failure);
    return {};
}

std::string version_path(std::string_view path)
{
    return "/v" + std::string(CLIENT_API_VERSION) + path_escape(path);
}

} // namespace

std::string ClientResponse::header(const std::string& name) const
{
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
}

ErrorOr<std::string> parse_docker_host(std::string_view host)
{
    if (host.starts_with("unix://")) {
        std::string_view path = host.substr(7);
        if (path.empty())
            return parse_docker_host(DEFAULT_DOCKER_HOST);
        if (path.front() != '/')
            return Error::from_string("invalid host \"" + std::string(host) + "\": the socket path must be absolute");
        return std::string(path);
    }
    std::string scheme = "a TCP address";
    if (auto colon = host.find("://"); colon != std::string_view::npos)
        scheme = std::string(host.substr(0, colon + 3));
    return Error::from_string("cannot connect to \"" + std::string(host) + "\": " + scheme
        + " is not supported (unix:///path or tcp://host:port)");
}

ErrorOr<TcpAddress> parse_tcp_host(std::string_view host, bool tls)
{
    if (!host.starts_with("tcp://"))
        return Error::from_string("invalid host \"" + std::string(host) + "\"");
    std::string_view rest = host.substr(6);
    if (auto slash = rest.find('/'); slash != std::string_view::npos)
        rest = rest.substr(0, slash);
    TcpAddress address;
    if (rest.starts_with("[")) {
        auto close = rest.find(']');
        if (close == std::string_view::npos)
            return Error::from_string("invalid host \"" + std::string(host) + "\": unclosed [");
        address.host = std::string(rest.substr(1, close - 1));
        rest.remove_prefix(close + 1);
        if (rest.starts_with(":"))
            address.port = std::string(rest.substr(1));
    } else {
        auto colon = rest.rfind(':');
        address.host = std::string(rest.substr(0, colon));
        if (colon != std::string_view::npos)
            address.port = std::string(rest.substr(colon + 1));
    }
    if (address.host.empty())
        address.host = "127.0.0.1";
    if (address.port.empty())
        address.port = tls ? "2376" : "2375";
    if (address.port.find_first_not_of("0123456789") != std::string::npos)
        return Error::from_string("invalid host \"" + std::string(host) + "\": bad port " + address.port);
    return address;
}

int errno_for_status(int status)
{
    switch (status) {
    case 400:
        return EINVAL;
    case 401:
    case 403:
        return EACCES;
    case 404:
        return ENOENT;
    case 409:
        return EBUSY;
    case 501:
        return ENOSYS;
    default:
        return EIO;
    }
}

std::string query_escape(std::string_view text)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
            || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string path_escape(std::string_view text)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || std::string_view("-_.~/:@!$&'()*+,;=").find(static_cast<char>(c)) != std::string_view::npos) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

ErrorOr<ClientResponse> PendingResponse::finish()
{
    ResponseReader reader("GET", "", ResponseReader::Mode::Whole, nullptr, m_last_status);
    TRY(read_response(m_fd.get(), reader));
    m_fd.reset();
    return std::move(reader.response());
}

ErrorOr<Client> Client::create(std::string_view host, std::optional<TlsClientFiles> tls)
{
    Client client;
    client.m_host = std::string(host);
    if (host.starts_with("tcp://")) {
        client.m_tcp = TRY(parse_tcp_host(host, tls.has_value()));
        client.m_tls = std::move(tls);
        return client;
    }
    client.m_socket_path = TRY(parse_docker_host(host));
    sockaddr_un address {};
    if (client.m_socket_path.size() >= sizeof address.sun_path)
        return Error::from_string("socket path \"" + client.m_socket_path + "\" is longer than "
                + std::to_string(sizeof address.sun_path - 1) + " bytes",
            ENAMETOOLONG);
    return client;
}

ErrorOr<Fd> Client::connect() const
{
    if (m_tcp) {
        auto connected = connect_tcp(m_tcp->host, m_tcp->port, m_tls ? &*m_tls : nullptr);
        if (connected.is_error() && connected.error().code() == ECONNREFUSED)
            return Error::from_string(
                "Cannot connect to the Docker daemon at " + m_host + ". Is the docker daemon running?", ECONNREFUSED);
        if (connected.is_error())
            return Error::from_string("error during connect: " + connected.error().message(), connected.error().code());
        return connected;
    }
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd)
        return Error::from_syscall("socket");
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    m_socket_path.copy(address.sun_path, sizeof address.sun_path - 1);
    for (;;) {
        if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0)
            return fd;
        if (errno != EINTR)
            break;
    }
    int code = errno;
    if (code == EACCES || code == EPERM) {
        return Error::from_string("Got permission denied while trying to connect to the Docker daemon socket at "
                + m_host + ": connect: permission denied",
            EACCES);
    }
    // A missing socket is ECONNREFUSED too: callers test ENOENT for "no such
    // container", which an absent daemon must never look like.
    (void)code; // Docker's message is the same whatever the reason.
    return Error::from_string(
        "Cannot connect to the Docker daemon at " + m_host + ". Is the docker daemon running?", ECONNREFUSED);
}

std::string Client::request_head(std::string_view method, std::string_view path, const Query& query,
    const std::vector<std::pair<std::string, std::string>>& headers) const
{
    std::string head(method);
    head += ' ';
    head += version_path(path);
    for (size_t i = 0; i < query.size(); ++i) {
        head += i == 0 ? '?' : '&';
        head += query_escape(query[i].first);
        head += '=';
        head += query_escape(query[i].second);
    }
    head += " HTTP/1.1\r\nHost: docker\r\nUser-Agent: CorralOS-Client/";
    head += CLIENT_API_VERSION;
    head += "\r\n";
    for (auto const& [name, value] : headers)
        head += name + ": " + value + "\r\n";
    head += "\r\n";
    return head;
}

ErrorOr<Fd> Client::send_request(std::string_view method, std::string_view path, const Query& query,
    std::string_view body_json, const std::vector<std::pair<std::string, std::string>>& extra_headers)
{
    *m_last_status = 0;
    Fd fd = TRY(connect());
    std::vector<std::pair<std::string, std::string>> headers = extra_headers;
    if (!body_json.empty()) {
        headers.emplace_back("Content-Type", "application/json");
        headers.emplace_back("Content-Length", std::to_string(body_json.size()));
    } else if (method == "POST" || method == "PUT") {
        headers.emplace_back("Content-Length", "0");
    }
    std::string data = request_head(method, path, query, headers);
    data.append(body_json);
    TRY(send_all(fd.get(), data));
    return fd;
}

ErrorOr<ClientResponse> Client::request(
    std::string_view method, std::string_view path, const Query& query, std::string_view body_json)
{
    Fd fd = TRY(send_request(method, path, query, body_json, {}));
    ResponseReader reader(
        method, std::string(method) + " " + version_path(path), ResponseReader::Mode::Whole, nullptr, m_last_status);
    TRY(read_response(fd.get(), reader));
    return std::move(reader.response());
}

ErrorOr<PendingResponse> Client::send(
    std::string_view method, std::string_view path, const Query& query, std::string_view body_json)
{
    Fd fd = TRY(send_request(method, path, query, body_json, {}));
    return PendingResponse(std::move(fd), m_last_status);
}

ErrorOr<ClientResponse> Client::stream(std::string_view method, std::string_view path, const Query& query,
    std::string_view body_json, const ChunkCallback& on_chunk)
{
    Fd fd = TRY(send_request(method, path, query, body_json, {}));
    ResponseReader reader(
        method, std::string(method) + " " + version_path(path), ResponseReader::Mode::Stream, &on_chunk, m_last_status);
    TRY(read_response(fd.get(), reader));
    return std::move(reader.response());
}

ErrorOr<ClientResponse> Client::upload(std::string_view method, std::string_view path, const Query& query, int body_fd,
    std::string_view content_type, const ChunkCallback& on_chunk)
{
    *m_last_status = 0;
    // Always chunked, as Go's client sends a file body: a daemon that bounds
    // Content-Length bodies still takes a streamed upload.
    std::vector<std::pair<std::string, std::string>> headers { { "Content-Type", std::string(content_type) },
        { "Transfer-Encoding", "chunked" } };
    Fd fd = TRY(connect());
    ResponseReader reader(
        method, std::string(method) + " " + version_path(path), ResponseReader::Mode::Stream, &on_chunk, m_last_status);

    // Sends `data` while taking whatever the daemon answers meanwhile, so that
    // neither side can block the other with a full socket buffer. Returns false
    // when the daemon stopped reading (it answered early, an error as a rule).
    std::string buffer(IO_BUFFER, '\0');
    auto send_while_reading = [&](std::string_view data) -> ErrorOr<bool> {
        while (!data.empty()) {
            pollfd p { fd.get(), POLLIN | POLLOUT, 0 };
            if (::poll(&p, 1, -1) < 0) {
                if (errno == EINTR)
                    continue;
                return Error::from_syscall("poll");
            }
            if (p.revents & (POLLIN | POLLHUP)) {
                size_t n = TRY(read_some(fd.get(), buffer.data(), buffer.size()));
                if (n == 0)
                    return false;
                TRY(reader.feed(std::string_view(buffer.data(), n)));
                if (reader.head_done() && reader.response().status >= 400)
                    return false;
                continue;
            }
            if (p.revents & (POLLOUT | POLLERR)) {
                ssize_t n = ::send(fd.get(), data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                    if (errno == EINTR || errno == EAGAIN)
                        continue;
                    if (errno == EPIPE || errno == ECONNRESET)
                        return false;
                    return Error::from_syscall("send to the daemon");
                }
                data.remove_prefix(static_cast<size_t>(n));
            }
        }
        return true;
    };

    bool sending = TRY(send_while_reading(request_head(method, path, query, headers)));
    std::string chunk(IO_BUFFER, '\0');
    while (sending) {
        ssize_t n = ::read(body_fd, chunk.data(), chunk.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_syscall("read the upload");
        }
        if (n == 0) {
            sending = TRY(send_while_reading("0\r\n\r\n"));
            break;
        }
        char size_line[32];
        int length = std::snprintf(size_line, sizeof size_line, "%zx\r\n", static_cast<size_t>(n));
        std::string framed(size_line, static_cast<size_t>(length));
        framed.append(chunk.data(), static_cast<size_t>(n));
        framed += "\r\n";
        sending = TRY(send_while_reading(framed));
    }
    TRY(read_response(fd.get(), reader));
    return std::move(reader.response());
}

ErrorOr<Hijacked> Client::hijack(
    std::string_view method, std::string_view path, const Query& query, std::string_view body_json)
{
    Fd fd = TRY(send_request(method, path, query, body_json, { { "Connection", "Upgrade" }, { "Upgrade", "tcp" } }));
    ResponseReader reader(
        method, std::string(method) + " " + version_path(path), ResponseReader::Mode::Hijack, nullptr, m_last_status);
    TRY(read_response(fd.get(), reader));
    if (!reader.done())
        return Error::from_string("the daemon closed the connection instead of handing it over", EPROTO);
    int status = reader.response().status;
    if (status != 101 && status != 200)
        return Error::from_string("the daemon answered " + std::to_string(status) + " to " + std::string(path)
                + " instead of handing the connection over",
            EPROTO);
    return Hijacked { std::move(fd), std::move(reader.response()), std::move(reader.leftover()) };
}

} // namespace corral::api
