#pragma once

// Registry authentication: parsing WWW-Authenticate challenges and token
// responses (pure), and the Authenticator that turns a 401 into credentials for
// an endpoint and shares them between the threads of one pull. Internal to
// src/image.

#include "base/error.h"
#include "image/registry.h"
#include "image/registry_endpoint.h"
#include "image/registry_http.h"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace corral::image::registry {

struct Challenge {
    std::string scheme; // lower case: "bearer", "basic", …
    std::map<std::string, std::string> params; // names in lower case, values unquoted
};

// Parses one WWW-Authenticate value (RFC 7235): one or more challenges, each a
// scheme and comma-separated name=value or name="quoted, value" parameters (or a
// token68). Errors (EINVAL) say where the value stops making sense.
ErrorOr<std::vector<Challenge>> parse_www_authenticate(std::string_view value);

struct Token {
    std::string token;
    std::chrono::seconds expires_in { 60 };
};

// A token server's answer: {"token": …} or {"access_token": …} (token wins),
// with an optional expires_in.
ErrorOr<Token> parse_token_response(std::string_view json);

// "Basic <base64 user:pass>" from username+password or the auth field; EINVAL
// when `auth` is not base64 of "user:pass", ENOENT when there is neither.
ErrorOr<std::string> basic_authorization(const RegistryCredentials& credentials);

// <realm>?service=<service>&scope=<scope> (appended with '&' to a realm that has a
// query already; empty parts left out).
std::string token_request_url(std::string_view realm, std::string_view service, std::string_view scope);

// The credentials of one pull, per endpoint. Thread-safe: the download threads
// share one Authenticator, so one token fetch serves them all.
class Authenticator {
public:
    // `scope` is what tokens are asked for ("repository:library/busybox:pull").
    Authenticator(std::string domain, std::string scope, const RegistryOptions& options);

    // The Authorization value to send to `endpoint` now ("" before any challenge).
    std::string authorization(const Endpoint& endpoint) const;

    // Answers a 401 from `endpoint`: `challenges` are its WWW-Authenticate values
    // and `rejected` the Authorization value that request carried. Returns the
    // value to retry with (fetching a token through `http` when the challenge is
    // Bearer). When another thread has already replaced `rejected`, its result is
    // returned without asking again. EACCES when there are no credentials to
    // offer or the token server refuses them.
    ErrorOr<std::string> respond(HttpClient& http, const Endpoint& endpoint, const std::vector<std::string>& challenges,
        const std::string& rejected);

private:
    struct State {
        std::mutex mutex; // held across a token fetch, so one thread fetches
        std::string authorization;
    };
    State& state_for(const Endpoint& endpoint) const;
    const RegistryCredentials* credentials_for(const Endpoint& endpoint) const;
    ErrorOr<std::string> fetch_token(HttpClient& http, const Endpoint& endpoint, const Challenge& challenge);

    std::string m_domain;
    std::string m_scope;
    const RegistryOptions& m_options;
    mutable std::mutex m_mutex; // guards m_states (the map, not the states)
    mutable std::map<std::string, std::unique_ptr<State>> m_states; // by endpoint URL
};

} // namespace corral::image::registry
