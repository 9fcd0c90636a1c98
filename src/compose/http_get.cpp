#include "compose/http_get.h"

#include "base/strings.h"

#include <algorithm>
#include <cstring>
#include <curl/curl.h>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

namespace corral::compose {

namespace {

// The outcome of one attempt that did not produce a document.
struct Failure {
    int code { EIO };
    std::string reason;
    bool retryable { false };
};

std::optional<Failure> global_init()
{
    // curl_global_init is not thread-safe; run it once per process.
    static std::once_flag once;
    static CURLcode result = CURLE_OK;
    std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (result != CURLE_OK)
        return Failure { EIO, std::string("curl_global_init: ") + curl_easy_strerror(result), false };
    return std::nullopt;
}

struct Body {
    std::string data;
    size_t limit { 0 };
    bool too_big { false };
};

size_t on_data(char* data, size_t size, size_t count, void* context)
{
    auto* body = static_cast<Body*>(context);
    size_t n = size * count;
    if (body->data.size() + n > body->limit) {
        body->too_big = true;
        return 0; // makes libcurl stop with CURLE_WRITE_ERROR
    }
    body->data.append(data, n);
    return n;
}

Failure failure_for(CURLcode code, const char* detail)
{
    auto with_detail = [&](int error) {
        return Failure { error, *detail ? std::string(detail) : std::string(curl_easy_strerror(code)), false };
    };
    switch (code) {
    case CURLE_COULDNT_CONNECT:
        return { ECONNREFUSED, std::strerror(ECONNREFUSED), true };
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        // At boot the resolver may come up after the first try.
        return { EHOSTUNREACH, curl_easy_strerror(code), true };
    case CURLE_OPERATION_TIMEDOUT:
        return { ETIMEDOUT, std::strerror(ETIMEDOUT), true };
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
        return { ECONNABORTED, curl_easy_strerror(code), true };
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
        return with_detail(EPROTO);
    case CURLE_URL_MALFORMAT:
        return { EINVAL, "malformed URL", false };
    case CURLE_UNSUPPORTED_PROTOCOL:
        return { EPROTONOSUPPORT, "redirected to a URL that is not http or https", false };
    case CURLE_TOO_MANY_REDIRECTS:
        return { ELOOP, "too many redirects", false };
    default: {
        Failure failure = with_detail(EIO);
        failure.retryable = true; // no finer reason: give it the benefit of the doubt
        return failure;
    }
    }
}

struct CurlDeleter {
    void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};

// One attempt: the body, or why there is none.
std::variant<std::string, Failure> attempt(const std::string& url, const HttpGetOptions& options)
{
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl)
        return Failure { ENOMEM, "curl_easy_init failed", false };
    Body body;
    body.limit = options.max_size;
    char detail[CURL_ERROR_SIZE] = {};
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    // Timeouts are enforced without SIGALRM, which would hit whatever thread the
    // caller runs; c-ares or the threaded resolver bound the name look-up.
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_size));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, detail);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "CorralOS");

    CURLcode result = curl_easy_perform(c);
    if (body.too_big || result == CURLE_FILESIZE_EXCEEDED)
        return Failure { EFBIG, "document larger than " + std::to_string(options.max_size) + " bytes", false };
    if (result != CURLE_OK)
        return failure_for(result, detail);

    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300)
        return std::move(body.data);
    std::string reason = "HTTP " + std::to_string(status);
    if (status == 404 || status == 410)
        return Failure { ENOENT, reason, false };
    if (status == 401 || status == 403)
        return Failure { EACCES, reason, false };
    return Failure { EIO, reason, status == 408 || status == 429 || status >= 500 };
}

} // namespace

bool is_http_url(std::string_view text)
{
    std::string scheme = to_lower(text.substr(0, 8));
    return scheme.starts_with("http://") || scheme.starts_with("https://");
}

ErrorOr<std::string> http_get(const std::string& url, const HttpGetOptions& options)
{
    auto fail = [&](const Failure& failure, int attempts) {
        std::string message = "GET " + url + ": " + failure.reason;
        if (attempts > 1)
            message += " (after " + std::to_string(attempts) + " attempts)";
        return Error::from_string(std::move(message), failure.code);
    };
    if (!is_http_url(url))
        return fail(Failure { EPROTONOSUPPORT, "not an http or https URL", false }, 1);
    if (auto failure = global_init())
        return fail(*failure, 1);

    int attempts = std::max(options.attempts, 1);
    auto backoff = options.first_backoff;
    for (int made = 1;; ++made) {
        auto outcome = attempt(url, options);
        if (auto* body = std::get_if<std::string>(&outcome))
            return std::move(*body);
        auto& failure = std::get<Failure>(outcome);
        if (!failure.retryable || made >= attempts)
            return fail(failure, made);
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, options.max_backoff);
    }
}

} // namespace corral::compose
