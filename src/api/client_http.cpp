#include "api/client_http.h"

#include "base/strings.h"

#include <cerrno>

namespace corral::api {

namespace {

// A chunk-size line, a trailer line: anything longer is not a real daemon.
constexpr size_t MAX_LINE = 8 * 1024;

Error protocol_error(std::string what)
{
    return Error::from_string("malformed HTTP response from the daemon: " + std::move(what), EPROTO);
}

bool is_token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::optional<uint64_t> parse_decimal(std::string_view text)
{
    if (text.empty() || text.size() > 19)
        return std::nullopt;
    uint64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return value;
}

} // namespace

ErrorOr<std::optional<size_t>> parse_response_head(std::string_view buffer, ClientResponse& out)
{
    size_t end = buffer.find("\r\n\r\n");
    if (end == std::string_view::npos) {
        if (buffer.size() > MAX_RESPONSE_HEAD)
            return protocol_error("response head longer than " + std::to_string(MAX_RESPONSE_HEAD) + " bytes");
        return std::optional<size_t> {};
    }
    if (end + 4 > MAX_RESPONSE_HEAD)
        return protocol_error("response head longer than " + std::to_string(MAX_RESPONSE_HEAD) + " bytes");

    std::string_view head = buffer.substr(0, end);
    size_t line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    // "HTTP/1.1 200 OK": the reason may be empty, and the space before it too.
    if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ')
        return protocol_error("bad status line \"" + std::string(status_line.substr(0, 80)) + "\"");
    std::string_view code = status_line.substr(9, 3);
    auto status = parse_decimal(code);
    if (!status || *status < 100 || *status > 999 || (status_line.size() > 12 && status_line[12] != ' '))
        return protocol_error("bad status line \"" + std::string(status_line.substr(0, 80)) + "\"");
    out.status = static_cast<int>(*status);
    out.reason = status_line.size() > 13 ? std::string(status_line.substr(13)) : std::string();
    out.headers.clear();

    size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
        size_t next = head.find("\r\n", pos);
        if (next == std::string_view::npos)
            next = head.size();
        std::string_view line = head.substr(pos, next - pos);
        pos = next + 2;
        size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
            return protocol_error("bad header line \"" + std::string(line.substr(0, 80)) + "\"");
        std::string_view name = line.substr(0, colon);
        for (char c : name) {
            if (!is_token_char(c))
                return protocol_error("bad header name \"" + std::string(name.substr(0, 80)) + "\"");
        }
        std::string key = to_lower(name);
        std::string value(trim(line.substr(colon + 1)));
        auto [it, inserted] = out.headers.emplace(key, value);
        if (!inserted)
            it->second += ", " + value;
    }
    return std::optional<size_t> { end + 4 };
}

ErrorOr<BodyDecoder> BodyDecoder::for_response(const ClientResponse& head, std::string_view method)
{
    if (method == "HEAD" || (head.status >= 100 && head.status < 200) || head.status == 204 || head.status == 304)
        return BodyDecoder(Framing::None);
    std::string coding = to_lower(head.header("transfer-encoding"));
    if (!coding.empty()) {
        if (coding != "chunked")
            return protocol_error("unsupported Transfer-Encoding \"" + coding + "\"");
        return BodyDecoder(Framing::Chunked);
    }
    std::string length = head.header("content-length");
    if (!length.empty()) {
        auto value = parse_decimal(length);
        if (!value)
            return protocol_error("bad Content-Length \"" + length.substr(0, 40) + "\"");
        return BodyDecoder(Framing::Length, *value);
    }
    return BodyDecoder(Framing::UntilClose);
}

BodyDecoder::BodyDecoder(Framing framing, uint64_t length)
    : m_framing(framing)
    , m_remaining(length)
{
    switch (framing) {
    case Framing::None:
        m_state = State::Done;
        break;
    case Framing::Length:
        m_state = length == 0 ? State::Done : State::Data;
        break;
    case Framing::Chunked:
        m_state = State::ChunkSize;
        break;
    case Framing::UntilClose:
        m_state = State::Data;
        break;
    }
}

ErrorOr<size_t> BodyDecoder::feed(std::string_view in, std::string& out)
{
    size_t used = 0;
    // Takes one line (up to CRLF) into m_line; true once it is complete.
    auto take_line = [&]() -> ErrorOr<bool> {
        size_t newline = in.find('\n', used);
        size_t stop = newline == std::string_view::npos ? in.size() : newline + 1;
        m_line.append(in.substr(used, stop - used));
        used = stop;
        if (m_line.size() > MAX_LINE)
            return protocol_error("chunk line longer than " + std::to_string(MAX_LINE) + " bytes");
        if (newline == std::string_view::npos)
            return false;
        if (m_line.size() < 2 || m_line[m_line.size() - 2] != '\r')
            return protocol_error("chunk line not ended by CRLF");
        m_line.resize(m_line.size() - 2);
        return true;
    };

    while (used < in.size() && m_state != State::Done) {
        switch (m_state) {
        case State::Data: {
            size_t n = in.size() - used;
            if (m_framing == Framing::Length && n > m_remaining)
                n = static_cast<size_t>(m_remaining);
            out.append(in.substr(used, n));
            used += n;
            if (m_framing == Framing::Length) {
                m_remaining -= n;
                if (m_remaining == 0)
                    m_state = State::Done;
            }
            break;
        }
        case State::ChunkSize: {
            if (!TRY(take_line()))
                break;
            std::string_view line = m_line;
            // Chunk extensions (";name=value") are allowed and ignored.
            if (auto semicolon = line.find(';'); semicolon != std::string_view::npos)
                line = line.substr(0, semicolon);
            line = trim(line);
            if (line.empty() || line.size() > 15)
                return protocol_error("bad chunk size \"" + m_line.substr(0, 40) + "\"");
            uint64_t size = 0;
            for (char c : line) {
                int digit = c >= '0' && c <= '9' ? c - '0'
                    : c >= 'a' && c <= 'f'       ? c - 'a' + 10
                    : c >= 'A' && c <= 'F'       ? c - 'A' + 10
                                                 : -1;
                if (digit < 0)
                    return protocol_error("bad chunk size \"" + m_line.substr(0, 40) + "\"");
                size = size * 16 + static_cast<uint64_t>(digit);
            }
            m_line.clear();
            m_remaining = size;
            m_state = size == 0 ? State::Trailers : State::ChunkData;
            break;
        }
        case State::ChunkData: {
            size_t n = in.size() - used;
            if (n > m_remaining)
                n = static_cast<size_t>(m_remaining);
            out.append(in.substr(used, n));
            used += n;
            m_remaining -= n;
            if (m_remaining == 0)
                m_state = State::ChunkDataEnd;
            break;
        }
        case State::ChunkDataEnd: {
            if (!TRY(take_line()))
                break;
            if (!m_line.empty())
                return protocol_error("chunk data longer than its size");
            m_state = State::ChunkSize;
            break;
        }
        case State::Trailers: {
            if (!TRY(take_line()))
                break;
            bool blank = m_line.empty();
            m_line.clear();
            if (blank)
                m_state = State::Done;
            break;
        }
        case State::Done:
            break;
        }
    }
    return used;
}

ErrorOr<void> BodyDecoder::finish_at_eof()
{
    if (m_state == State::Done)
        return {};
    if (m_framing == Framing::UntilClose) {
        m_state = State::Done;
        return {};
    }
    return protocol_error("the connection closed in the middle of the response body");
}

} // namespace corral::api
