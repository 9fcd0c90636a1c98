#include "image/registry_endpoint.h"

#include "image/registry_http.h"

#include <arpa/inet.h>
#include <cctype>
#include <cstring>
#include <optional>

namespace corral::image::registry {

namespace {

bool is_docker_hub(std::string_view domain)
{
    return domain == "docker.io" || domain == "index.docker.io" || domain == "registry-1.docker.io"
        || domain == "registry.hub.docker.com";
}

// host[:port] of a parsed URL, the port only when it is not the scheme's default.
std::string host_of(const Url& url)
{
    std::string origin = url.origin();
    return origin.substr(origin.find("://") + 3);
}

struct Address {
    int family { 0 };
    unsigned char bytes[16] {};
};

std::optional<Address> parse_address(std::string_view text)
{
    Address address;
    std::string literal(text);
    if (inet_pton(AF_INET, literal.c_str(), address.bytes) == 1) {
        address.family = AF_INET;
        return address;
    }
    if (inet_pton(AF_INET6, literal.c_str(), address.bytes) == 1) {
        address.family = AF_INET6;
        return address;
    }
    return std::nullopt;
}

bool in_range(const Address& address, std::string_view cidr)
{
    auto slash = cidr.find('/');
    if (slash == std::string_view::npos)
        return false;
    auto network = parse_address(cidr.substr(0, slash));
    std::string_view bits_text = cidr.substr(slash + 1);
    if (!network || network->family != address.family || bits_text.empty() || bits_text.size() > 3
        || bits_text.find_first_not_of("0123456789") != std::string_view::npos)
        return false;
    int bits = std::stoi(std::string(bits_text));
    int max_bits = address.family == AF_INET ? 32 : 128;
    if (bits > max_bits)
        return false;
    for (int i = 0; i < bits; ++i) {
        int mask = 0x80 >> (i % 8);
        if ((address.bytes[i / 8] & mask) != (network->bytes[i / 8] & mask))
            return false;
    }
    return true;
}

// host[:port] → host, without the brackets of an IPv6 literal.
std::string_view strip_port(std::string_view host)
{
    if (!host.empty() && host.front() == '[') {
        auto close = host.find(']');
        return close == std::string_view::npos ? host : host.substr(1, close - 1);
    }
    if (auto colon = host.rfind(':'); colon != std::string_view::npos && host.find(':') == colon)
        return host.substr(0, colon);
    return host;
}

} // namespace

bool is_insecure(std::string_view host, const std::set<std::string>& insecure)
{
    if (insecure.contains(std::string(host)))
        return true;
    auto address = parse_address(strip_port(host));
    if (!address)
        return false;
    for (auto const& entry : insecure) {
        if (in_range(*address, entry))
            return true;
    }
    return false;
}

std::string origin_host(std::string_view domain)
{
    if (is_docker_hub(domain))
        return "registry-1.docker.io";
    return std::string(domain);
}

ErrorOr<std::vector<Endpoint>> endpoints_for(std::string_view domain, const RegistryOptions& options)
{
    std::vector<Endpoint> endpoints;
    std::string key(domain);
    if (is_docker_hub(domain))
        key = "docker.io";
    if (auto mirrors = options.mirrors.find(key); mirrors != options.mirrors.end()) {
        for (auto const& text : mirrors->second) {
            std::string written = text.find("://") == std::string::npos ? "https://" + text : text;
            while (written.size() > 1 && written.back() == '/')
                written.pop_back();
            Url url = TRY_CONTEXT(parse_url(written), "registry mirror for " + key);
            if (url.path.find_first_of("?") != std::string::npos)
                return Error::from_string("registry mirror for " + key + " \"" + text + "\": a query is not allowed");
            Endpoint endpoint;
            endpoint.url = url.origin() + (url.path == "/" ? "" : url.path);
            endpoint.host = host_of(url);
            endpoint.verify_tls = !is_insecure(endpoint.host, options.insecure);
            endpoint.mirror = true;
            endpoints.push_back(std::move(endpoint));
        }
    }
    std::string host = origin_host(domain);
    bool insecure = is_insecure(domain, options.insecure) || is_insecure(host, options.insecure);
    endpoints.push_back({ "https://" + host, host, !insecure, false });
    // dockerd's order for an insecure registry: HTTPS without verification first,
    // plain HTTP only when that fails.
    if (insecure)
        endpoints.push_back({ "http://" + host, host, false, false });
    return endpoints;
}

std::string manifest_url(const Endpoint& endpoint, std::string_view repository, std::string_view reference)
{
    return endpoint.url + "/v2/" + std::string(repository) + "/manifests/" + std::string(reference);
}

std::string blob_url(const Endpoint& endpoint, std::string_view repository, const Digest& digest)
{
    return endpoint.url + "/v2/" + std::string(repository) + "/blobs/" + digest.str();
}

std::string credentials_domain(std::string_view key)
{
    std::string_view host = key;
    if (auto scheme = host.find("://"); scheme != std::string_view::npos)
        host = host.substr(scheme + 3);
    host = host.substr(0, host.find('/'));
    std::string out;
    for (char c : host)
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (is_docker_hub(out))
        return "docker.io";
    return out;
}

const RegistryCredentials* find_credentials(
    const std::map<std::string, RegistryCredentials>& credentials, std::string_view domain)
{
    std::string wanted = credentials_domain(domain);
    // An exact key wins over one that only normalises to the same domain.
    if (auto exact = credentials.find(std::string(domain)); exact != credentials.end())
        return &exact->second;
    for (auto const& [key, value] : credentials) {
        if (credentials_domain(key) == wanted)
            return &value;
    }
    return nullptr;
}

} // namespace corral::image::registry
