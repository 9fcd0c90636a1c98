#include "api/http_connection.h"

#include "base/strings.h"

#include "base/log.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cerrno>
#include <cstring>
#include <limits>
#include <ctime>
#include <memory>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <variant>

namespace corral::api {

namespace http = boost::beast::http;
namespace net = boost::asio;

namespace {

const char* reason(int status)
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

std::string http_date()
{
    char text[64];
    std::time_t now = std::time(nullptr);
    struct tm utc {};
    ::gmtime_r(&now, &utc);
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    return text;
}

ErrorOr<std::string> decode_component(std::string_view text, bool plus_is_space)
{
    auto decoded = percent_decode(text, plus_is_space);
    if (!decoded) {
        auto at = text.find('%');
        while (at != std::string_view::npos && percent_decode(text.substr(at, 3), false))
            at = text.find('%', at + 1);
        return Error::from_string("invalid URL escape \"" + std::string(text.substr(at == std::string_view::npos ? 0 : at, 3)) + "\"");
    }
    return *decoded;
}

class SocketConnection final : public Connection {
public:
    SocketConnection(int fd, const HttpLimits& limits)
        : m_fd(fd)
        , m_limits(limits)
    {
    }

    // One request: its header, then (unless streamed) its body.
    ErrorOr<std::optional<Request>> read_request(const HttpHandler& handler);
    ErrorOr<void> send(const Response& response, bool keep_alive);
    bool closed() const { return m_closed; }

    ErrorOr<void> begin_stream(int status, std::string_view content_type) override;
    ErrorOr<void> write_chunk(std::string_view data) override;
    ErrorOr<void> end_stream() override;
    ErrorOr<bool> read_body(std::string& out) override;
    ErrorOr<Hijacked> hijack(std::string_view content_type) override;
    bool client_gone() override;

    bool answered() const { return m_answered; }
    bool wants_upgrade { false };

private:
    // Reads more from the socket into m_input; false at EOF.
    ErrorOr<bool> fill();
    ErrorOr<void> write_all(std::string_view data);

    int m_fd;
    HttpLimits m_limits;
    std::string m_input; // received, not yet parsed
    bool m_closed { false };
    bool m_answered { false };
    std::unique_ptr<http::request_parser<http::buffer_body>> m_body_parser;
};

ErrorOr<bool> SocketConnection::fill()
{
    pollfd wait { m_fd, POLLIN, 0 };
    int ready;
    do {
        ready = ::poll(&wait, 1, m_limits.idle_timeout_ms);
    } while (ready < 0 && errno == EINTR);
    if (ready == 0)
        return Error::from_string("client idle too long", ETIMEDOUT);
    char buffer[64 * 1024];
    ssize_t n;
    do {
        n = ::recv(m_fd, buffer, sizeof buffer, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return Error::from_syscall("recv");
    if (n == 0)
        return false;
    m_input.append(buffer, static_cast<size_t>(n));
    return true;
}

ErrorOr<void> SocketConnection::write_all(std::string_view data)
{
    while (!data.empty()) {
        ssize_t n = ::send(m_fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            m_closed = true;
            return Error::from_syscall("send");
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

ErrorOr<std::optional<Request>> SocketConnection::read_request(const HttpHandler& handler)
{
    http::request_parser<http::empty_body> header;
    header.header_limit(static_cast<std::uint32_t>(m_limits.max_header_bytes));
    // The body's limit is decided once the route is known (below). Not
    // boost::none: Beast 1.74 compares a Content-Length against an empty
    // limit as larger.
    header.body_limit(std::numeric_limits<std::uint64_t>::max());
    boost::system::error_code ec;
    while (!header.is_header_done()) {
        if (m_input.empty()) {
            if (!TRY(fill())) {
                m_closed = true;
                return std::optional<Request> {};
            }
        }
        size_t used = header.put(net::buffer(m_input), ec);
        m_input.erase(0, used);
        if (ec == http::error::need_more) {
            ec = {};
            if (!TRY(fill())) {
                m_closed = true;
                return std::optional<Request> {};
            }
            continue;
        }
        if (ec)
            return Error::from_string("malformed HTTP request: " + ec.message());
    }

    auto const& message = header.get();
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (auto const& field : message) {
        std::string name(field.name_string());
        for (auto& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        request.headers[name] = std::string(field.value());
    }
    auto target = TRY(parse_target(request.target));
    request.path = target.path;
    request.api_version = target.version.empty() ? "1.41" : target.version;
    request.query = std::move(target.query);
    auto upgrade = request.headers.find("upgrade");
    wants_upgrade = upgrade != request.headers.end() && !upgrade->second.empty();

    if (handler.streams_body && handler.streams_body(request)) {
        m_body_parser = std::make_unique<http::request_parser<http::buffer_body>>(std::move(header));
        m_body_parser->body_limit(std::numeric_limits<std::uint64_t>::max());
        return std::optional<Request>(std::move(request));
    }
    // The header parser ran with no body limit (a streamed body may be of any
    // size), and the string body reserves the declared length at once: a
    // Content-Length past the limit is refused before it is ever allocated.
    if (auto declared = header.content_length(); declared && *declared > m_limits.max_body_bytes)
        return Error::from_string("request body too large", EFBIG);
    http::request_parser<http::string_body> whole(std::move(header));
    whole.body_limit(m_limits.max_body_bytes);
    while (!whole.is_done()) {
        if (m_input.empty() && !TRY(fill()))
            return Error::from_string("client closed the connection inside a request body");
        size_t used = whole.put(net::buffer(m_input), ec);
        m_input.erase(0, used);
        if (ec == http::error::need_more) {
            ec = {};
            if (!TRY(fill()))
                return Error::from_string("client closed the connection inside a request body");
            continue;
        }
        if (ec == http::error::body_limit)
            return Error::from_string("request body too large", EFBIG);
        if (ec)
            return Error::from_string("malformed HTTP request body: " + ec.message());
    }
    request.body = std::move(whole.get().body());
    return std::optional<Request>(std::move(request));
}

ErrorOr<bool> SocketConnection::read_body(std::string& out)
{
    if (!m_body_parser || m_body_parser->is_done())
        return false;
    char buffer[64 * 1024];
    auto& body = m_body_parser->get().body();
    // Until some of the body comes out (a chunk header alone gives none) or
    // the body ends.
    while (true) {
        body.data = buffer;
        body.size = sizeof buffer;
        boost::system::error_code ec;
        bool need_input = m_input.empty();
        if (!need_input) {
            size_t used = m_body_parser->put(net::buffer(m_input), ec);
            m_input.erase(0, used);
            if (ec == http::error::need_more) {
                need_input = true;
                ec = {};
            } else if (ec == http::error::need_buffer) {
                ec = {};
            }
            if (ec)
                return Error::from_string("malformed HTTP request body: " + ec.message());
        }
        size_t produced = sizeof buffer - body.size;
        out.append(buffer, produced);
        if (m_body_parser->is_done())
            return false;
        if (produced > 0)
            return true;
        if (need_input && !TRY(fill()))
            return Error::from_string("client closed the connection inside a request body");
    }
}

ErrorOr<void> SocketConnection::send(const Response& response, bool keep_alive)
{
    m_answered = true;
    std::string head = "HTTP/1.1 " + std::to_string(response.status) + " " + reason(response.status) + "\r\n";
    head += common_headers();
    if (!response.content_type.empty() && response.status != 204 && response.status != 304)
        head += "Content-Type: " + response.content_type + "\r\n";
    for (auto const& [name, value] : response.headers)
        head += name + ": " + value + "\r\n";
    if (response.status != 204 && response.status != 304)
        head += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
    if (!keep_alive)
        head += "Connection: close\r\n";
    head += "\r\n";
    TRY(write_all(head));
    return write_all(response.body);
}

ErrorOr<void> SocketConnection::begin_stream(int status, std::string_view content_type)
{
    m_answered = true;
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n" + common_headers();
    head += "Content-Type: " + std::string(content_type) + "\r\nTransfer-Encoding: chunked\r\n\r\n";
    return write_all(head);
}

ErrorOr<void> SocketConnection::write_chunk(std::string_view data)
{
    if (data.empty())
        return {};
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    std::string chunk = size;
    chunk.append(data);
    chunk += "\r\n";
    return write_all(chunk);
}

ErrorOr<void> SocketConnection::end_stream()
{
    return write_all("0\r\n\r\n");
}

ErrorOr<Connection::Hijacked> SocketConnection::hijack(std::string_view content_type)
{
    m_answered = true;
    std::string head = wants_upgrade
        ? "HTTP/1.1 101 UPGRADED\r\nContent-Type: " + std::string(content_type)
            + "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
        : "HTTP/1.1 200 OK\r\nContent-Type: " + std::string(content_type) + "\r\n";
    head += common_headers() + "\r\n";
    TRY(write_all(head));
    Hijacked out;
    out.fd = m_fd;
    out.early_input = std::move(m_input);
    m_input.clear();
    return out;
}

bool SocketConnection::client_gone()
{
    pollfd check { m_fd, POLLRDHUP, 0 };
    return ::poll(&check, 1, 0) > 0 && (check.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

} // namespace

std::string common_headers()
{
    return "Api-Version: 1.41\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: Docker/20.10.24 (linux)\r\n"
           "Date: "
        + http_date() + "\r\n";
}

ErrorOr<Target> parse_target(std::string_view raw)
{
    Target target;
    std::string_view path = raw;
    std::string_view query;
    if (auto mark = raw.find('?'); mark != std::string_view::npos) {
        path = raw.substr(0, mark);
        query = raw.substr(mark + 1);
    }
    std::string decoded = TRY(decode_component(path, false));
    // "/v1.41/…": the version prefix, as Docker's router matches it.
    if (decoded.size() > 2 && decoded[0] == '/' && decoded[1] == 'v') {
        size_t end = decoded.find('/', 2);
        std::string_view version = std::string_view(decoded).substr(2, end == std::string::npos ? std::string::npos : end - 2);
        bool numeric = !version.empty()
            && version.find_first_not_of("0123456789.") == std::string_view::npos && version.find('.') != std::string_view::npos;
        if (numeric) {
            target.version = std::string(version);
            decoded = end == std::string::npos ? "/" : decoded.substr(end);
        }
    }
    target.path = decoded;
    while (!query.empty()) {
        size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty())
            continue;
        size_t eq = pair.find('=');
        std::string key = TRY(decode_component(pair.substr(0, eq), true));
        std::string value = eq == std::string_view::npos ? "" : TRY(decode_component(pair.substr(eq + 1), true));
        target.query.emplace(std::move(key), std::move(value));
    }
    return target;
}

static void serve_requests(int fd, const HttpHandler& handler, const HttpLimits& limits);

void serve_connection(int fd, const HttpHandler& handler, const HttpLimits& limits)
{
    try {
        serve_requests(fd, handler, limits);
    } catch (const std::exception& e) {
        // Whatever a client sent, the daemon stays up.
        log::error(std::string("api: connection dropped: ") + e.what());
    }
    ::close(fd);
}

static void serve_requests(int fd, const HttpHandler& handler, const HttpLimits& limits)
{
    SocketConnection connection(fd, limits);
    while (!connection.closed()) {
        auto request = connection.read_request(handler);
        if (request.is_error()) {
            int status = request.error().code() == EFBIG ? 413 : 400;
            if (request.error().code() != ETIMEDOUT)
                (void)connection.send(error_response(status, request.error().message()), false);
            break;
        }
        if (!request->has_value())
            break;
        auto& r = **request;
        bool keep_alive = true;
        if (auto c = r.headers.find("connection"); c != r.headers.end() && (c->second == "close" || c->second == "Close"))
            keep_alive = false;
        std::optional<Response> response;
        try {
            response = handler.handle(r, connection);
        } catch (const std::exception& e) {
            // A handler bug must not take the daemon down with it.
            log::error("api: " + r.method + " " + r.path + ": " + e.what());
            if (connection.answered())
                break;
            response = error_response(500, e.what());
        }
        if (!response)
            break; // streamed or hijacked: the connection is done
        if (connection.send(*response, keep_alive).is_error() || !keep_alive)
            break;
    }
}

} // namespace corral::api
