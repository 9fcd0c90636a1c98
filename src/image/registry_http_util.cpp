// The pure helpers of the registry HTTP layer: retry policy, error documents,
// URLs. Declared in registry_http.h.

#include "image/registry_http.h"

#include "base/strings.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace corral::image::registry {

bool is_transient_error(int code)
{
    return code == ECONNABORTED;
}

bool is_transient_status(long status)
{
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::chrono::milliseconds backoff_delay(int attempt, std::string_view retry_after, std::chrono::seconds cap)
{
    using std::chrono::milliseconds;
    retry_after = trim(retry_after);
    // Only the delta-seconds form; an HTTP date is rare from registries and a
    // clock-skewed one would be worse than our own backoff.
    if (!retry_after.empty() && retry_after.size() <= 6
        && retry_after.find_first_not_of("0123456789") == std::string_view::npos) {
        milliseconds wanted(std::stoll(std::string(retry_after)) * 1000);
        return std::min<milliseconds>(wanted, cap);
    }
    int shift = std::clamp(attempt, 0, 5); // 250 ms … 8 s
    return std::min<milliseconds>(milliseconds(250LL << shift), cap);
}

namespace {

const char* reason_phrase(long status)
{
    switch (status) {
    case 400:
        return "bad request";
    case 401:
        return "unauthorized";
    case 403:
        return "forbidden";
    case 404:
        return "not found";
    case 405:
        return "method not allowed";
    case 408:
        return "request timeout";
    case 416:
        return "range not satisfiable";
    case 429:
        return "too many requests";
    case 500:
        return "internal server error";
    case 502:
        return "bad gateway";
    case 503:
        return "service unavailable";
    case 504:
        return "gateway timeout";
    default:
        return "unexpected HTTP status";
    }
}

// The human part of an error document, or "" when there is none.
std::string error_document_message(std::string_view body)
{
    auto doc = nlohmann::json::parse(body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return {};
    auto string_of = [](const nlohmann::json& object, const char* name) -> std::string {
        auto it = object.find(name);
        return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string out;
    if (auto errors = doc.find("errors"); errors != doc.end() && errors->is_array()) {
        for (auto const& entry : *errors) {
            if (!entry.is_object())
                continue;
            std::string message = string_of(entry, "message");
            if (message.empty())
                message = to_lower(string_of(entry, "code"));
            if (!message.empty())
                out += (out.empty() ? "" : "; ") + message;
        }
    }
    for (const char* field : { "details", "error_description", "error", "message" }) {
        if (out.empty())
            out = string_of(doc, field);
    }
    // Bound what a hostile server can put into our error messages.
    if (out.size() > 512)
        out = out.substr(0, 512) + "…";
    for (char& c : out) {
        if (c == '\n' || c == '\r')
            c = ' ';
    }
    return out;
}

} // namespace

std::string describe_status(long status, std::string_view body)
{
    std::string message = error_document_message(body);
    if (message.empty())
        message = reason_phrase(status);
    return message + " (" + std::to_string(status) + ")";
}

int errno_for_status(long status)
{
    if (status == 404)
        return ENOENT;
    if (status == 401 || status == 403)
        return EACCES;
    if (status == 429 || status >= 500)
        return EAGAIN;
    return EIO;
}

std::string Url::origin() const
{
    bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
    return scheme + "://" + host + (default_port ? "" : ":" + std::to_string(port));
}

ErrorOr<Url> parse_url(std::string_view text)
{
    auto invalid
        = [&](const char* why) { return Error::from_string("invalid URL \"" + std::string(text) + "\": " + why); };
    auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos)
        return invalid("no scheme");
    Url url;
    url.scheme = to_lower(text.substr(0, scheme_end));
    if (url.scheme != "http" && url.scheme != "https")
        return invalid("only http and https are supported");
    std::string_view rest = text.substr(scheme_end + 3);
    size_t authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    std::string_view path = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
    if (authority.find('@') != std::string_view::npos)
        return invalid("credentials in URLs are not accepted");
    std::string_view port;
    if (authority.starts_with("[")) {
        auto close = authority.find(']');
        if (close == std::string_view::npos)
            return invalid("unterminated IPv6 address");
        url.host = to_lower(authority.substr(0, close + 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return invalid("junk after the IPv6 address");
            port = after.substr(1);
        }
    } else {
        auto colon = authority.find(':');
        url.host = to_lower(authority.substr(0, colon));
        if (colon != std::string_view::npos)
            port = authority.substr(colon + 1);
    }
    if (url.host.empty() || url.host == "[]")
        return invalid("no host");
    if (url.host.find_first_of(" \t\r\n\\") != std::string::npos)
        return invalid("bad character in the host");
    if (!port.empty()) {
        if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos)
            return invalid("bad port");
        url.port = std::stoi(std::string(port));
        if (url.port < 1 || url.port > 65535)
            return invalid("bad port");
    } else {
        url.port = url.scheme == "https" ? 443 : 80;
    }
    if (path.find_first_of(" \t\r\n") != std::string_view::npos)
        return invalid("white space in the path");
    if (auto hash = path.find('#'); hash != std::string_view::npos)
        path = path.substr(0, hash);
    url.path = path.empty() || path.front() != '/' ? "/" + std::string(path) : std::string(path);
    return url;
}

bool same_origin(const Url& a, const Url& b)
{
    return a.scheme == b.scheme && a.host == b.host && a.port == b.port;
}

ErrorOr<std::string> resolve_location(std::string_view base_text, std::string_view location)
{
    location = trim(location);
    if (location.empty())
        return Error::from_string("empty Location");
    if (location.find("://") != std::string_view::npos && location.find("://") < location.find_first_of("/?")) {
        TRY(parse_url(location)); // checks the scheme (no ftp:, file:)
        return std::string(location);
    }
    Url base = TRY(parse_url(base_text));
    std::string resolved;
    if (location.starts_with("//")) {
        resolved = base.scheme + ":" + std::string(location);
    } else if (location.front() == '/') {
        resolved = base.origin() + std::string(location);
    } else if (location.front() == '?') {
        resolved = base.origin() + base.path.substr(0, base.path.find('?')) + std::string(location);
    } else {
        std::string dir = base.path.substr(0, base.path.find('?'));
        dir = dir.substr(0, dir.rfind('/') + 1);
        resolved = base.origin() + dir + std::string(location);
    }
    TRY(parse_url(resolved));
    return resolved;
}

std::string percent_encode(std::string_view text)
{
    static constexpr char HEX[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += HEX[c >> 4];
            out += HEX[c & 15];
        }
    }
    return out;
}

} // namespace corral::image::registry
