#pragma once

// Where a pull goes: the endpoints of a registry domain in the order they are
// tried, and the URLs of the distribution API on one. Pure functions, internal to
// src/image.

#include "base/error.h"
#include "image/digest.h"
#include "image/registry.h"

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace corral::image::registry {

struct Endpoint {
    std::string url; // "https://registry-1.docker.io", "http://m:5001/prefix": no trailing '/'
    std::string host; // host[:port] as written in the URL (for credentials and messages)
    bool verify_tls = true;
    bool mirror = false;
};

// The host that serves a registry domain: docker.io (and its aliases) →
// registry-1.docker.io; any other domain serves itself.
std::string origin_host(std::string_view domain);

// Whether `host` (host[:port], an IPv6 literal in brackets) is insecure by
// `insecure`: listed exactly, or an IP literal inside a listed CIDR range
// ("10.0.0.0/8", "fd00::/8"), as dockerd's --insecure-registry. Host names are
// not resolved for the CIDR check, and nothing is insecure by default (dockerd
// trusts 127.0.0.0/8 implicitly; CorralOS asks for it to be listed).
bool is_insecure(std::string_view host, const std::set<std::string>& insecure);

// The endpoints for `domain`, in order: its mirrors as configured, then
// https://<origin>, then (insecure domains only) http://<origin>. An insecure
// domain's HTTPS endpoint and an insecure mirror host skip TLS verification.
// A mirror URL that is not http(s) is an error naming it.
ErrorOr<std::vector<Endpoint>> endpoints_for(std::string_view domain, const RegistryOptions& options);

// <endpoint>/v2/<repository>/manifests/<tag or digest>, /blobs/<digest>.
std::string manifest_url(const Endpoint& endpoint, std::string_view repository, std::string_view reference);
std::string blob_url(const Endpoint& endpoint, std::string_view repository, const Digest& digest);

// The registry domain a credentials key names: "https://index.docker.io/v1/" →
// "docker.io", "http://r.example:5000/" → "r.example:5000", "r.example" as is.
std::string credentials_domain(std::string_view key);
// The credentials configured for `domain` (host[:port]), if any.
const RegistryCredentials* find_credentials(
    const std::map<std::string, RegistryCredentials>& credentials, std::string_view domain);

} // namespace corral::image::registry
