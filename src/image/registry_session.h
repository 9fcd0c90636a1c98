#pragma once

// One thread's conversation with a registry during a pull: manifests fetched and
// checked against their digest, blobs streamed into the store with retries and
// resumption, 401s answered through the pull's shared Authenticator. Internal to
// src/image; pull() in registry.h drives it.

#include "base/error.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "image/registry.h"
#include "image/registry_auth.h"
#include "image/registry_endpoint.h"
#include "image/registry_http.h"
#include "image/store.h"

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::image::registry {

// What the threads of one pull share. Outlives every Session made from it.
struct PullContext {
    std::string repository; // "library/busybox"
    std::vector<Endpoint> endpoints; // in the order they are tried
    const RegistryOptions& options;
    Authenticator& auth;
    std::atomic<bool>& cancel; // set when the pull fails: transfers and pauses stop
};

struct Document {
    std::string body;
    std::string media_type; // from the body, else the Content-Type header; "" when neither says
    Digest digest; // sha256 of the body
};

class Session {
public:
    static ErrorOr<Session> create(const PullContext& context);

    // GET <endpoint>/v2/<repository>/manifests/<reference> (a tag or a digest),
    // accepting OCI and Docker manifests and indexes, at most 4 MiB. With
    // `expected`, the body's digest must match (EINVAL otherwise). Transient
    // failures are retried; other failures come back at once so the caller can
    // move on to the next endpoint. HTTP errors name the status and the registry's
    // message: "manifest unknown (404)".
    ErrorOr<Document> fetch_manifest(
        const Endpoint& endpoint, std::string_view reference, const std::optional<Digest>& expected);

    // Downloads `blob` into `store` from endpoints[first] (falling back to the
    // endpoints after it when one cannot serve it), resuming a broken transfer
    // with a Range request. The blob must match its digest and size or nothing is
    // stored (EINVAL). `on_bytes` sees the bytes received so far after each chunk.
    ErrorOr<void> fetch_blob(
        Store& store, size_t first, const Descriptor& blob, const std::function<void(int64_t)>& on_bytes);

private:
    Session(const PullContext& context, HttpClient http);
    // One request with the endpoint's current credentials, answering one 401.
    ErrorOr<HttpResponse> send(
        const Endpoint& endpoint, HttpRequest& request, const BodyHandler* handler, size_t max_body);
    ErrorOr<void> fetch_blob_from(Store& store, const Endpoint& endpoint, const Descriptor& blob,
        const std::function<void(int64_t)>& on_bytes, bool& endpoint_failed);
    // Sleeps before retry `attempt`; false when the pull was cancelled meanwhile.
    bool pause(int attempt, std::string_view retry_after);

    const PullContext* m_context;
    HttpClient m_http;
};

} // namespace corral::image::registry
