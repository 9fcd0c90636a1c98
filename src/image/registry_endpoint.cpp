#include "image/registry_endpoint.h"

#include "image/registry_http.h"

#include <cctype>

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

} // namespace

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
            endpoint.verify_tls = !options.insecure.contains(endpoint.host);
            endpoint.mirror = true;
            endpoints.push_back(std::move(endpoint));
        }
    }
    std::string host = origin_host(domain);
    bool insecure = options.insecure.contains(std::string(domain)) || options.insecure.contains(host);
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
