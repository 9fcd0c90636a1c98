#include "api/stream_frame.h"

#include <cstdio>

namespace corral::api {

namespace {

constexpr size_t MAX_FRAME_PAYLOAD = 0xFFFFFFFF;

void append_frame(std::string& out, StreamType stream, std::string_view payload)
{
    auto size = static_cast<uint32_t>(payload.size());
    out += static_cast<char>(stream);
    out.append(3, '\0');
    out += static_cast<char>((size >> 24) & 0xFF);
    out += static_cast<char>((size >> 16) & 0xFF);
    out += static_cast<char>((size >> 8) & 0xFF);
    out += static_cast<char>(size & 0xFF);
    out.append(payload);
}

Error protocol_error(std::string message)
{
    return Error::from_string(std::move(message), EPROTO);
}

} // namespace

std::string frame(StreamType stream, std::string_view payload)
{
    std::string out;
    out.reserve(FRAME_HEADER_SIZE + payload.size());
    // Docker's writer truncates the size of a larger write to 32 bits and so
    // corrupts the stream; splitting keeps every frame honest.
    do {
        std::string_view part = payload.substr(0, MAX_FRAME_PAYLOAD);
        append_frame(out, stream, part);
        payload.remove_prefix(part.size());
    } while (!payload.empty());
    return out;
}

ErrorOr<std::vector<Frame>> FrameDecoder::feed(std::string_view bytes)
{
    if (m_error)
        return *m_error;
    m_buffer.append(bytes);
    std::vector<Frame> frames;
    for (;;) {
        std::string_view pending(m_buffer.data() + m_start, m_buffer.size() - m_start);
        if (pending.size() < FRAME_HEADER_SIZE)
            break;
        auto type = static_cast<unsigned char>(pending[0]);
        if (type > static_cast<unsigned char>(StreamType::Systemerr)) {
            m_error = protocol_error("Unrecognized input header: " + std::to_string(type));
            return *m_error;
        }
        auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(pending[i])); };
        size_t size = (byte(4) << 24) | (byte(5) << 16) | (byte(6) << 8) | byte(7);
        if (size > m_max_payload) {
            m_error = protocol_error("frame of " + std::to_string(size) + " bytes exceeds the limit of "
                + std::to_string(m_max_payload) + " bytes");
            return *m_error;
        }
        if (pending.size() - FRAME_HEADER_SIZE < size)
            break;
        frames.push_back({ static_cast<StreamType>(type), std::string(pending.substr(FRAME_HEADER_SIZE, size)) });
        m_start += FRAME_HEADER_SIZE + size;
    }
    // Decoded bytes are dropped once they are the larger part of the buffer, so
    // that the copy costs amortised O(1) per byte.
    if (m_start == m_buffer.size()) {
        m_buffer.clear();
        m_start = 0;
    } else if (m_start > m_buffer.size() / 2) {
        m_buffer.erase(0, m_start);
        m_start = 0;
    }
    return frames;
}

ErrorOr<void> FrameDecoder::finish() const
{
    if (m_error)
        return *m_error;
    if (buffered() != 0)
        return protocol_error("stream ended inside a frame (" + std::to_string(buffered()) + " bytes left over)");
    return {};
}

std::string format_rfc3339_nano_fixed(const struct timespec& time)
{
    struct tm tm { };
    time_t seconds = time.tv_sec;
    gmtime_r(&seconds, &tm);
    char buffer[64];
    int n = std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long>(time.tv_nsec));
    return std::string(buffer, static_cast<size_t>(n));
}

std::string encode_log_entry(const runtime::LogEntry& entry, const LogStreamFormat& format)
{
    StreamType stream;
    if (entry.stream == "stdout")
        stream = StreamType::Stdout;
    else if (entry.stream == "stderr")
        stream = StreamType::Stderr;
    else
        return {};
    std::string line;
    if (format.timestamps == Timestamps::Yes) {
        line += format_rfc3339_nano_fixed(entry.time);
        line += ' ';
    }
    if (format.details == Details::Yes)
        line += ' ';
    line += entry.log;
    if (format.multiplex == Multiplex::No)
        return line;
    return frame(stream, line);
}

std::string encode_log_error(std::string_view message, Multiplex multiplex)
{
    std::string line = "Error grabbing logs: ";
    line += message;
    line += '\n';
    if (multiplex == Multiplex::No)
        return line;
    return frame(StreamType::Systemerr, line);
}

} // namespace corral::api
