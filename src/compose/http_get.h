#pragma once

// Fetching one small document over http(s): a service file, a repository's
// index.yml. Bounded in every dimension, because it runs at boot, where a slow or
// dead server must not hold the system up: a whole-request timeout, a connect
// timeout, a body size limit and a fixed number of attempts.
//
// Proxies are taken from the environment the libcurl way (http_proxy,
// https_proxy, no_proxy, and their upper-case forms except HTTP_PROXY); the
// caller sets them from rancher.network before fetching if it wants them.
// Redirects are followed between http and https URLs only, so a server cannot
// send the request to file:// or any other scheme.

#include "base/error.h"

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace corral::compose {

inline constexpr size_t MAX_FETCHED_DOCUMENT = 4 * 1024 * 1024;

struct HttpGetOptions {
    std::chrono::milliseconds timeout { 10'000 }; // each attempt, from connect to last byte
    std::chrono::milliseconds connect_timeout { 5'000 };
    // How many times the request is tried in all (RancherOS counted
    // rancher.http_load_retries this way); below 1 means 1.
    int attempts { 1 };
    // The pause after the first failed attempt, doubled after each further one up
    // to max_backoff (50 ms → 5 s, as RancherOS).
    std::chrono::milliseconds first_backoff { 50 };
    std::chrono::milliseconds max_backoff { 5'000 };
    size_t max_size { MAX_FETCHED_DOCUMENT };
};

// Whether `text` starts with http:// or https:// (the scheme in any case).
bool is_http_url(std::string_view text);

// GETs `url` (http or https only) and returns the body of its 2xx response.
//
// Only failures that may pass are tried again: no connection, a timeout, a
// broken transfer, HTTP 408, 429 and 5xx. Any other answer is final at once.
// Errors read "GET <url>: <why>" and their code says what happened:
//   ENOENT           HTTP 404 or 410
//   EACCES           HTTP 401 or 403
//   EIO              any other HTTP status ("GET <url>: HTTP 500"), or a failure
//                    libcurl gives no finer reason for
//   ECONNREFUSED     nothing accepted the connection
//   EHOSTUNREACH     the host (or the proxy) name does not resolve
//   ETIMEDOUT        no connection or no complete answer within the timeouts
//   EPROTO           TLS failed (handshake, certificate)
//   EFBIG            the body is larger than max_size
//   EPROTONOSUPPORT  not an http or https URL
// When more than one attempt was made, the message ends "(after N attempts)".
ErrorOr<std::string> http_get(const std::string& url, const HttpGetOptions& options = {});

} // namespace corral::compose
