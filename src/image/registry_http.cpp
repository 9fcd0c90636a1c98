#include "image/registry_http.h"

#include "base/strings.h"

#include <cctype>
#include <cstring>
#include <curl/curl.h>
#include <mutex>
#include <optional>

namespace corral::image::registry {

namespace {

ErrorOr<void> global_init()
{
    // curl_global_init is not thread-safe and must run once per process.
    static std::once_flag once;
    static CURLcode result = CURLE_OK;
    std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (result != CURLE_OK)
        return Error::from_string(std::string("curl_global_init: ") + curl_easy_strerror(result), EIO);
    return {};
}

int errno_for(CURLcode code, bool got_response)
{
    switch (code) {
    case CURLE_COULDNT_CONNECT:
        return ECONNREFUSED;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return EHOSTUNREACH;
    case CURLE_OPERATION_TIMEDOUT:
        // A stall after the response began is a broken transfer worth resuming; no
        // connection or no answer at all means the endpoint is not serving.
        return got_response ? ECONNABORTED : ETIMEDOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_USE_SSL_FAILED:
        return EPROTO;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return ECONNABORTED;
    case CURLE_ABORTED_BY_CALLBACK:
        return ECANCELED;
    case CURLE_URL_MALFORMAT:
        return EINVAL;
    case CURLE_UNSUPPORTED_PROTOCOL:
        return EPROTONOSUPPORT;
    default:
        return EIO;
    }
}

struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// What the callbacks of one transfer share.
struct Transfer {
    CURL* curl = nullptr;
    HttpResponse response;
    const BodyHandler* handler = nullptr;
    size_t max_body = 0;
    bool got_response = false;
    bool head_done = false;
    bool truncated = false; // an error body hit MAX_ERROR_BODY; the status is still good
    std::optional<Error> error; // from the handler or the body bound
    const std::atomic<bool>* cancel = nullptr;
    std::chrono::seconds stall_timeout { 30 };
    std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
    bool stalled = false;

    bool streaming() const { return handler && response.status >= 200 && response.status < 300; }
    bool redirect() const
    {
        long s = response.status;
        return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
    }

    ErrorOr<void> start_body()
    {
        head_done = true;
        if (handler->on_head)
            return handler->on_head(response);
        return {};
    }
};

size_t on_header(char* data, size_t size, size_t count, void* context)
{
    auto* t = static_cast<Transfer*>(context);
    std::string_view line(data, size * count);
    t->got_response = true;
    t->last_activity = std::chrono::steady_clock::now();
    if (line.starts_with("HTTP/")) {
        // A new status line: an interim (1xx) response came before; start over.
        t->response.headers.clear();
        return line.size();
    }
    auto colon = line.find(':');
    if (colon != std::string_view::npos)
        t->response.headers.emplace_back(
            to_lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
    return line.size();
}

size_t on_body(char* data, size_t size, size_t count, void* context)
{
    auto* t = static_cast<Transfer*>(context);
    std::string_view chunk(data, size * count);
    t->last_activity = std::chrono::steady_clock::now();
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    t->response.status = status;
    if (t->redirect())
        return chunk.size(); // the body of a redirect is of no interest
    if (t->streaming()) {
        if (!t->head_done) {
            if (auto result = t->start_body(); result.is_error()) {
                t->error = result.release_error();
                return 0;
            }
        }
        if (auto result = t->handler->on_data(chunk); result.is_error()) {
            t->error = result.release_error();
            return 0;
        }
        return chunk.size();
    }
    size_t limit = t->handler ? MAX_ERROR_BODY : t->max_body;
    if (t->response.body.size() + chunk.size() > limit) {
        if (t->handler) {
            t->truncated = true;
        } else {
            t->error = Error::from_string("response body larger than " + std::to_string(limit) + " bytes", EFBIG);
        }
        return 0;
    }
    t->response.body.append(chunk);
    return chunk.size();
}

int on_progress(void* context, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
    // libcurl calls this about once a second even when nothing arrives. Its own
    // low-speed limit averages over several seconds and notices a stall only
    // seconds late; the time since the last byte is exact.
    auto* t = static_cast<Transfer*>(context);
    if (t->cancel && t->cancel->load())
        return 1;
    if (std::chrono::steady_clock::now() - t->last_activity > t->stall_timeout) {
        t->stalled = true;
        return 1;
    }
    return 0;
}

} // namespace

struct HttpClient::Handle {
    CURL* curl = nullptr;
    ~Handle()
    {
        if (curl)
            curl_easy_cleanup(curl);
    }
};

ErrorOr<HttpClient> HttpClient::create(HttpSettings settings)
{
    TRY(global_init());
    auto handle = std::make_unique<Handle>();
    handle->curl = curl_easy_init();
    if (!handle->curl)
        return Error::from_string("curl_easy_init failed", ENOMEM);
    return HttpClient(std::move(settings), std::move(handle));
}

HttpClient::HttpClient(HttpSettings settings, std::unique_ptr<Handle> handle)
    : m_settings(std::move(settings))
    , m_handle(std::move(handle))
{
}

HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

ErrorOr<HttpResponse> HttpClient::perform(const HttpRequest& request, const BodyHandler* handler, size_t max_body)
{
    Url origin = TRY(parse_url(request.url));
    std::string url = request.url;
    HttpRequest hop = request;
    for (int redirects = 0;; ++redirects) {
        Url current = TRY(parse_url(url));
        bool send_authorization = !request.authorization.empty() && same_origin(origin, current);
        HttpResponse response = TRY(perform_once(hop, url, send_authorization, handler, max_body));
        long s = response.status;
        bool redirect = s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
        std::string location = response.header("location");
        if (!redirect || location.empty())
            return response;
        if (redirects >= request.max_redirects)
            return Error::from_string(
                hop.method + " " + request.url + ": more than " + std::to_string(request.max_redirects) + " redirects",
                ELOOP);
        url = TRY_CONTEXT(resolve_location(url, location), hop.method + " " + url + ": redirect");
        if (s == 301 || s == 302 || s == 303) {
            // As browsers and Go do: the follow-up of these is a GET without a body.
            hop.method = "GET";
            hop.body.clear();
        }
    }
}

ErrorOr<HttpResponse> HttpClient::perform_once(const HttpRequest& request, const std::string& url,
    bool send_authorization, const BodyHandler* handler, size_t max_body)
{
    CURL* curl = m_handle->curl;
    // Reset keeps the connection and TLS session caches, which is why the handle lives on.
    curl_easy_reset(curl);

    Transfer transfer;
    transfer.curl = curl;
    transfer.handler = handler;
    transfer.max_body = max_body;
    transfer.cancel = m_settings.cancel;
    transfer.stall_timeout = m_settings.timeout;
    transfer.response.url = url;

    std::unique_ptr<curl_slist, SlistDeleter> headers;
    auto add_header = [&](const std::string& line) {
        curl_slist* next = curl_slist_append(headers.get(), line.c_str());
        if (next)
            (void)headers.release(); // now owned by `next`
        headers.reset(next);
        return next != nullptr;
    };
    for (auto const& line : request.headers) {
        if (!add_header(line))
            return Error::from_string("curl_slist_append failed", ENOMEM);
    }
    if (send_authorization && !add_header("Authorization: " + request.authorization))
        return Error::from_string("curl_slist_append failed", ENOMEM);

    char error_buffer[CURL_ERROR_SIZE] = {};
    std::string range = std::to_string(request.range_start) + "-";
    long timeout = static_cast<long>(m_settings.timeout.count());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "CorralOS-system-dockerd");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, timeout);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
    if (!m_settings.ca_file.empty())
        curl_easy_setopt(curl, CURLOPT_CAINFO, m_settings.ca_file.c_str());
    if (!request.verify_tls) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (request.range_start > 0)
        curl_easy_setopt(curl, CURLOPT_RANGE, range.c_str());
    if (request.method == "POST") {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    } else if (request.method != "GET") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }

    CURLcode code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &transfer.response.status);
    if (transfer.error)
        return std::move(*transfer.error);
    if (transfer.stalled) {
        // Mid-response, a broken transfer worth resuming; before any answer, an
        // endpoint that does not serve.
        return Error::from_string(
            request.method + " " + url + ": nothing received for " + std::to_string(timeout) + " seconds",
            transfer.got_response ? ECONNABORTED : ETIMEDOUT);
    }
    if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && transfer.truncated)) {
        std::string detail = error_buffer[0] ? error_buffer : curl_easy_strerror(code);
        return Error::from_string(request.method + " " + url + ": " + detail, errno_for(code, transfer.got_response));
    }
    if (transfer.streaming() && !transfer.head_done)
        TRY(transfer.start_body()); // an empty body
    return std::move(transfer.response);
}

std::string HttpResponse::header(std::string_view name) const
{
    for (auto const& [key, value] : headers) {
        if (key == name)
            return value;
    }
    return {};
}

std::vector<std::string> HttpResponse::all_headers(std::string_view name) const
{
    std::vector<std::string> out;
    for (auto const& [key, value] : headers) {
        if (key == name)
            out.push_back(value);
    }
    return out;
}

} // namespace corral::image::registry
