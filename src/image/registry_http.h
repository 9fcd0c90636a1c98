#pragma once

// The HTTP client under the registry client: one libcurl easy handle, used by one
// thread at a time, that keeps its connections open between requests. Internal to
// src/image; registry.h is the interface.
//
// Only http and https are spoken. Redirects are followed here rather than by
// libcurl so that the Authorization header goes only to the origin (scheme, host
// and port) of the URL it was meant for: a registry that sends a blob download to
// its storage never hands that storage the client's token. Bodies are either
// streamed to a handler (blobs) or collected up to a bound (manifests, tokens,
// error documents).

#include "base/error.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corral::image::registry {

inline constexpr size_t MAX_DOCUMENT_SIZE = 4 * 1024 * 1024; // manifests, configs, tokens
inline constexpr size_t MAX_ERROR_BODY = 64 * 1024; // kept of a non-2xx response to a streamed request

struct HttpSettings {
    std::string ca_file; // empty: the system bundle
    std::chrono::seconds timeout { 30 }; // connect timeout and stall timeout
    const std::atomic<bool>* cancel = nullptr; // when set and true, transfers stop (ECANCELED)
};

struct HttpRequest {
    std::string method = "GET"; // GET, or POST with `body` as a form
    std::string url;
    std::vector<std::string> headers; // "Name: value"
    std::string authorization; // the Authorization value; sent to the origin of `url` only
    std::string body;
    bool verify_tls = true;
    uint64_t range_start = 0; // > 0 asks for the bytes from this offset on
    int max_redirects = 10;
};

struct HttpResponse {
    long status = 0;
    std::string url; // the URL that answered, after redirects
    std::vector<std::pair<std::string, std::string>> headers; // names in lower case
    std::string body; // the collected body (for a streamed 2xx response: empty)

    // The first header of that name (lower case), or "".
    std::string header(std::string_view name) const;
    std::vector<std::string> all_headers(std::string_view name) const;
};

// Receives the body of a successful (2xx) final response. on_head sees the status
// and headers before the first byte (also for an empty body); an error from
// either callback stops the transfer and is what perform() returns.
struct BodyHandler {
    std::function<ErrorOr<void>(const HttpResponse&)> on_head;
    std::function<ErrorOr<void>(std::string_view)> on_data;
};

class HttpClient {
public:
    static ErrorOr<HttpClient> create(HttpSettings settings);

    HttpClient(HttpClient&&) noexcept;
    HttpClient& operator=(HttpClient&&) noexcept;
    ~HttpClient();

    // Sends `request`, following redirects. Any HTTP status is a response; failures
    // to get one are errors whose code says what happened:
    //   ECONNREFUSED  nothing listens (or the connection failed)
    //   EHOSTUNREACH  the host name does not resolve
    //   ETIMEDOUT     no connection, or no response, within the timeout
    //   EPROTO        TLS failed (handshake, certificate verification)
    //   ECONNABORTED  the connection broke or stalled mid-response (worth a retry)
    //   ECANCELED     settings.cancel was set
    //   EFBIG         a collected body exceeded `max_body`
    //   ELOOP         too many redirects
    // and errors from the handler as they are.
    ErrorOr<HttpResponse> perform(
        const HttpRequest& request, const BodyHandler* handler = nullptr, size_t max_body = MAX_DOCUMENT_SIZE);

private:
    struct Handle;
    explicit HttpClient(HttpSettings settings, std::unique_ptr<Handle> handle);
    ErrorOr<HttpResponse> perform_once(const HttpRequest& request, const std::string& url, bool send_authorization,
        const BodyHandler* handler, size_t max_body);

    HttpSettings m_settings;
    std::unique_ptr<Handle> m_handle;
};

// Whether a transport error from HttpClient::perform() is worth retrying on the
// same endpoint (a broken or stalled transfer) rather than giving up on it.
bool is_transient_error(int code);
// Statuses worth retrying: 408, 429, 500, 502, 503, 504.
bool is_transient_status(long status);
// The pause before retry number `attempt` (0 for the first retry): 250 ms doubling
// up to 8 s, or the server's Retry-After when given (bounded by `cap`).
std::chrono::milliseconds backoff_delay(int attempt, std::string_view retry_after, std::chrono::seconds cap);

// "manifest unknown (404)": the messages of a registry error document
// ({"errors":[{"code","message"}]}, or a token server's {"details"} / OAuth2
// {"error_description"}), else the status's reason phrase, and the status.
std::string describe_status(long status, std::string_view body);
// ENOENT for 404, EACCES for 401 and 403, EAGAIN for 429 and 5xx, else EIO.
int errno_for_status(long status);

// URL helpers (pure).
struct Url {
    std::string scheme; // "http" or "https"
    std::string host; // lower case; an IPv6 address keeps its brackets
    int port = 0; // explicit or the scheme's default
    std::string path; // from the first '/' on (query included), "/" when absent
    // scheme://host[:port] with the port only when not the default.
    std::string origin() const;
};
// Parses an absolute http or https URL; user info ("user@") is refused.
ErrorOr<Url> parse_url(std::string_view text);
bool same_origin(const Url& a, const Url& b);
// Resolves a Location header against the URL it came from (absolute, scheme-relative,
// absolute-path and relative forms).
ErrorOr<std::string> resolve_location(std::string_view base, std::string_view location);
// RFC 3986 percent-encoding of everything but unreserved characters.
std::string percent_encode(std::string_view text);

} // namespace corral::image::registry
