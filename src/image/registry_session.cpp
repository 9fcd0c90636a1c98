#include "image/registry_session.h"

#include <thread>

namespace corral::image::registry {

namespace {

constexpr const char* MANIFEST_ACCEPT = "Accept: application/vnd.oci.image.index.v1+json, "
                                        "application/vnd.oci.image.manifest.v1+json, "
                                        "application/vnd.docker.distribution.manifest.list.v2+json, "
                                        "application/vnd.docker.distribution.manifest.v2+json";

// The first offset of a "Content-Range: bytes <first>-<last>/<length>" header.
std::optional<uint64_t> range_start(std::string_view header)
{
    if (!header.starts_with("bytes "))
        return {};
    header.remove_prefix(6);
    auto dash = header.find('-');
    std::string_view first = header.substr(0, dash);
    if (dash == std::string_view::npos || first.empty() || first.size() > 19
        || first.find_first_not_of("0123456789") != std::string_view::npos)
        return {};
    return std::stoull(std::string(first));
}

std::string media_type_of(const HttpResponse& response)
{
    std::string type = response.header("content-type");
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ')
        type.pop_back();
    return type;
}

} // namespace

ErrorOr<Session> Session::create(const PullContext& context)
{
    HttpSettings settings;
    settings.ca_file = context.options.ca_file;
    settings.timeout = context.options.timeout;
    settings.cancel = &context.cancel;
    return Session(context, TRY(HttpClient::create(std::move(settings))));
}

Session::Session(const PullContext& context, HttpClient http)
    : m_context(&context)
    , m_http(std::move(http))
{
}

bool Session::pause(int attempt, std::string_view retry_after)
{
    auto delay = backoff_delay(attempt, retry_after, m_context->options.timeout);
    auto until = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < until) {
        if (m_context->cancel.load())
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return !m_context->cancel.load();
}

ErrorOr<HttpResponse> Session::send(
    const Endpoint& endpoint, HttpRequest& request, const BodyHandler* handler, size_t max_body)
{
    request.verify_tls = endpoint.verify_tls;
    request.authorization = m_context->auth.authorization(endpoint);
    HttpResponse response = TRY(m_http.perform(request, handler, max_body));
    if (response.status != 401)
        return response;
    auto challenges = response.all_headers("www-authenticate");
    if (challenges.empty())
        return response; // nothing to answer: the caller reports the 401
    request.authorization = TRY(m_context->auth.respond(m_http, endpoint, challenges, request.authorization));
    return m_http.perform(request, handler, max_body);
}

ErrorOr<Document> Session::fetch_manifest(
    const Endpoint& endpoint, std::string_view reference, const std::optional<Digest>& expected)
{
    HttpRequest request;
    request.url = manifest_url(endpoint, m_context->repository, reference);
    request.headers.push_back(MANIFEST_ACCEPT);
    int retries = m_context->options.retries;
    for (int attempt = 0;; ++attempt) {
        auto sent = send(endpoint, request, nullptr, MAX_DOCUMENT_SIZE);
        if (sent.is_error()) {
            if (is_transient_error(sent.error().code()) && attempt < retries && pause(attempt, ""))
                continue;
            return sent.release_error();
        }
        HttpResponse& response = sent.value();
        if (is_transient_status(response.status) && attempt < retries && pause(attempt, response.header("retry-after")))
            continue;
        if (response.status != 200)
            return Error::from_string(
                describe_status(response.status, response.body), errno_for_status(response.status));
        Document document;
        document.digest = sha256_of(response.body);
        if (expected && document.digest != *expected) {
            return Error::from_string("manifest " + std::string(reference) + " from " + endpoint.host + " has digest "
                    + document.digest.str() + ", not the one asked for",
                EINVAL);
        }
        auto in_body = peek_media_type(response.body);
        if (in_body.is_error())
            return std::move(
                in_body.release_error().context("manifest " + std::string(reference) + " from " + endpoint.host));
        document.media_type = in_body.value().empty() ? media_type_of(response) : in_body.release_value();
        document.body = std::move(response.body);
        return document;
    }
}

ErrorOr<void> Session::fetch_blob(
    Store& store, size_t first, const Descriptor& blob, const std::function<void(int64_t)>& on_bytes)
{
    std::optional<Error> last_error;
    for (size_t i = first; i < m_context->endpoints.size(); ++i) {
        bool endpoint_failed = false;
        auto result = fetch_blob_from(store, m_context->endpoints[i], blob, on_bytes, endpoint_failed);
        if (!result.is_error())
            return {};
        if (!endpoint_failed)
            return result.release_error();
        last_error = result.release_error();
    }
    if (!last_error)
        return Error::from_string("no endpoint to fetch blob " + blob.digest.str() + " from", ENOENT);
    return std::move(*last_error);
}

ErrorOr<void> Session::fetch_blob_from(Store& store, const Endpoint& endpoint, const Descriptor& blob,
    const std::function<void(int64_t)>& on_bytes, bool& endpoint_failed)
{
    std::string what = "blob " + blob.digest.str() + (endpoint.mirror ? " from mirror " + endpoint.host : "");
    std::optional<BlobWriter> writer = TRY_CONTEXT(store.ingest(), what);
    bool local_fault = false; // the store failed us (a full disk): no endpoint can help

    auto restart = [&]() -> ErrorOr<void> {
        auto fresh = store.ingest();
        if (fresh.is_error()) {
            local_fault = true;
            return fresh.release_error();
        }
        writer.reset(); // removes what the old one wrote
        writer.emplace(fresh.release_value());
        return {};
    };
    BodyHandler handler;
    handler.on_head = [&](const HttpResponse& response) -> ErrorOr<void> {
        if (response.status == 206) {
            auto start = range_start(response.header("content-range"));
            if (start && *start == writer->size())
                return {};
            // Not the range we asked for: start over (without Range) on the retry.
            TRY(restart());
            return Error::from_string(
                "the server answered a different range (" + response.header("content-range") + ")", ECONNABORTED);
        }
        // A 200 to a Range request: the server sends the whole blob again.
        if (writer->size() > 0)
            TRY(restart());
        return {};
    };
    handler.on_data = [&](std::string_view chunk) -> ErrorOr<void> {
        if (writer->size() + chunk.size() > static_cast<uint64_t>(blob.size))
            return Error::from_string(
                "the registry sent more than the " + std::to_string(blob.size) + " bytes the manifest lists", EINVAL);
        if (auto written = writer->write(chunk); written.is_error()) {
            local_fault = true;
            return written.release_error();
        }
        if (on_bytes)
            on_bytes(static_cast<int64_t>(writer->size()));
        return {};
    };

    int retries = m_context->options.retries;
    for (int attempt = 0;; ++attempt) {
        HttpRequest request;
        request.url = blob_url(endpoint, m_context->repository, blob.digest);
        request.range_start = writer->size();
        auto sent = send(endpoint, request, &handler, MAX_ERROR_BODY);
        if (sent.is_error()) {
            int code = sent.error().code();
            bool transient = is_transient_error(code);
            if (transient && attempt < retries && pause(attempt, ""))
                continue;
            // Local trouble (a full disk, a cancelled pull) ends the pull; whatever
            // the endpoint did wrong lets the next endpoint try.
            endpoint_failed = !local_fault && code != ECANCELED;
            return std::move(sent.release_error().context(what));
        }
        HttpResponse& response = sent.value();
        if (response.status == 416 && writer->size() == static_cast<uint64_t>(blob.size))
            break; // everything was there already when the connection broke
        if (response.status == 200 || response.status == 206)
            break;
        if (is_transient_status(response.status) && attempt < retries && pause(attempt, response.header("retry-after")))
            continue;
        endpoint_failed = true;
        return Error::from_string(
            what + ": " + describe_status(response.status, response.body), errno_for_status(response.status));
    }
    auto committed = writer->commit(blob.digest, blob.size);
    if (committed.is_error()) {
        endpoint_failed = true; // another endpoint may have the right bytes
        return std::move(committed.release_error().context(what));
    }
    return {};
}

} // namespace corral::image::registry
