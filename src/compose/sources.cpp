#include "compose/sources.h"

#include "base/file.h"
#include "base/strings.h"
#include "compose/http_get.h"

#include <algorithm>
#include <openssl/evp.h>
#include <optional>

namespace corral::compose {

namespace {

constexpr std::string_view CACHE_DIR = "/var/lib/rancher/cache";
constexpr std::string_view USER_DOCKER_ENGINES = "/var/lib/rancher/conf.d/m-user-docker.yml";

// The path of a file:// URL, %XX escapes decoded; a NUL is refused.
std::optional<std::string> decode_file_path(std::string_view text)
{
    auto decoded = percent_decode(text, false);
    if (!decoded || decoded->find('\0') != std::string::npos)
        return std::nullopt;
    return decoded;
}

std::string strip_trailing_slashes(std::string_view text)
{
    while (text.size() > 1 && text.back() == '/')
        text.remove_suffix(1);
    return std::string(text);
}

ResolvedSource local_source(std::string text, Origin origin, std::string location)
{
    ResolvedSource source;
    source.text = std::move(text);
    source.origin = origin;
    source.location = std::move(location);
    return source;
}

} // namespace

const char* kind_name(Kind kind)
{
    switch (kind) {
    case Kind::Service:
        return "service";
    case Kind::Console:
        return "console";
    case Kind::Engine:
        return "engine";
    }
    return "service";
}

std::string md5_hex(std::string_view text)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    // MD5 is what names RancherOS's cache files; it is a file name here, not a
    // security check. EVP_md5 comes from OpenSSL's default provider, so a FIPS
    // configuration without it would fail here; the name then falls back to the
    // first bytes of SHA-256 so that the cache still works.
    if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_md5(), nullptr) != 1) {
        EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
        length = 16;
    }
    static constexpr char HEX[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out += HEX[digest[i] >> 4];
        out += HEX[digest[i] & 0xf];
    }
    return out;
}

std::string normalize_absolute_path(std::string_view path)
{
    std::vector<std::string> kept;
    for (auto const& part : split(path, '/')) {
        if (part.empty() || part == ".")
            continue;
        if (part == "..") {
            if (!kept.empty())
                kept.pop_back();
            continue;
        }
        kept.push_back(part);
    }
    return "/" + join(kept, "/");
}

ErrorOr<RepositoryLocation> parse_repository_url(std::string_view url)
{
    auto unsupported = [&] {
        return Error::from_string(
            "unsupported repository URL " + go_quote(url) + " (expected http(s)://, file:// or an absolute path)");
    };
    if (is_http_url(url)) {
        // "http://" with nothing after it but slashes names no server.
        std::string_view after_scheme = url.substr(url.find("://") + 3);
        if (after_scheme.find_first_not_of('/') == std::string_view::npos)
            return unsupported();
        return RepositoryLocation { RepositoryLocation::Type::Remote, strip_trailing_slashes(url) };
    }
    std::string_view path = url;
    if (to_lower(url.substr(0, 7)) == "file://") {
        path = url.substr(7);
        if (path.starts_with("localhost/"))
            path.remove_prefix(9);
        if (!path.starts_with('/'))
            return unsupported(); // file://host/… names another machine
    }
    if (!path.starts_with('/'))
        return unsupported();
    auto decoded = path.data() == url.data() ? std::optional<std::string>(path) : decode_file_path(path);
    if (!decoded)
        return unsupported();
    return RepositoryLocation { RepositoryLocation::Type::Local, normalize_absolute_path(*decoded) };
}

ServiceSources::ServiceSources(SourceOptions options)
    : m_options(std::move(options))
{
}

ServiceSources ServiceSources::from_config(
    const config::Paths& paths, const config::RancherConfig& rancher, NetworkAccess network)
{
    SourceOptions options;
    options.paths = paths;
    options.repositories = rancher.repositories;
    options.http_load_retries = rancher.http_load_retries;
    options.network = network;
    return ServiceSources(std::move(options));
}

std::string ServiceSources::cache_dir() const
{
    return m_options.paths.under_root(std::string(CACHE_DIR));
}

std::string ServiceSources::cache_path(std::string_view url) const
{
    return path_join(cache_dir(), md5_hex(url));
}

std::string ServiceSources::user_docker_engines_file() const
{
    return m_options.paths.under_root(std::string(USER_DOCKER_ENGINES));
}

ErrorOr<std::string> ServiceSources::fetch(const std::string& url) const
{
    if (m_options.fetch)
        return m_options.fetch(url);
    HttpGetOptions options;
    options.attempts = static_cast<int>(std::clamp<int64_t>(m_options.http_load_retries, 1, 100));
    return http_get(url, options);
}

ErrorOr<ResolvedSource> ServiceSources::fetch_cached(const std::string& url, Update update) const
{
    ResolvedSource source;
    source.origin = Origin::Url;
    source.location = url;
    source.cache_file = cache_path(url);

    auto read_cache = [&]() -> std::optional<std::string> {
        auto cached = read_file(source.cache_file, MAX_FETCHED_DOCUMENT);
        if (cached.is_error()) {
            // ENOTDIR: something else stands where the cache directory should.
            if (cached.error().code() != ENOENT && cached.error().code() != ENOTDIR)
                source.warnings.push_back("ignoring the cached copy of " + url + ": " + cached.error().message());
            return std::nullopt;
        }
        return cached.release_value();
    };
    auto use_cache = [&](std::string text) {
        source.text = std::move(text);
        source.from_cache = true;
        return std::move(source);
    };

    if (update == Update::No) {
        if (auto cached = read_cache())
            return use_cache(std::move(*cached));
    }
    if (m_options.network == NetworkAccess::Unavailable) {
        if (update == Update::Yes) {
            if (auto cached = read_cache()) {
                source.warnings.push_back("not refreshing " + url
                    + ": the network is not available yet; using the copy cached in " + source.cache_file);
                return use_cache(std::move(*cached));
            }
        }
        return Error::from_string("GET " + url + ": the network is not available yet", ENETUNREACH);
    }

    auto fetched = fetch(url);
    if (fetched.is_error()) {
        if (update == Update::Yes) {
            if (auto cached = read_cache()) {
                source.warnings.push_back("refreshing failed (" + fetched.error().message()
                    + "); using the copy cached in " + source.cache_file);
                return use_cache(std::move(*cached));
            }
        }
        return fetched.release_error();
    }
    source.text = fetched.release_value();

    // A cache that cannot be written costs a fetch next time, nothing more.
    auto stored = mkdir_p(cache_dir(), 0755);
    if (!stored.is_error())
        stored = write_file_atomic(source.cache_file, source.text, 0600, KeepMode::No);
    if (stored.is_error())
        source.warnings.push_back("not caching " + url + ": " + stored.error().message());
    return source;
}

ErrorOr<ResolvedSource> ServiceSources::read_repository_file(
    const std::string& repository, std::string_view relative, Update update) const
{
    auto it = m_options.repositories.find(repository);
    if (it == m_options.repositories.end())
        return Error::from_string("no repository named " + go_quote(repository), ENOENT);
    auto location = TRY(parse_repository_url(it->second.url));
    if (location.type == RepositoryLocation::Type::Remote) {
        auto source = TRY(fetch_cached(location.base + "/" + std::string(relative), update));
        source.origin = Origin::Repository;
        source.repository = repository;
        return source;
    }
    std::string path = path_join(m_options.paths.under_root(location.base), relative);
    auto text = TRY(read_file(path, MAX_FETCHED_DOCUMENT));
    auto source = local_source(std::move(text), Origin::Repository, path);
    source.repository = repository;
    return source;
}

std::optional<ResolvedSource> ServiceSources::find_user_docker_engine(
    std::string_view name, std::vector<std::string>& warnings) const
{
    std::string path = user_docker_engines_file();
    auto text = read_file(path, MAX_FETCHED_DOCUMENT);
    if (text.is_error()) {
        if (text.error().code() != ENOENT)
            warnings.push_back("skipping the DinD engines: " + text.error().message());
        return std::nullopt;
    }
    auto file = parse_service_file(text.value(), path);
    if (file.is_error()) {
        warnings.push_back("skipping the DinD engines: " + file.error().message());
        return std::nullopt;
    }
    if (!file->definitions.contains(std::string(name)))
        return std::nullopt;
    auto source = local_source(text.release_value(), Origin::UserDockerEngines, path);
    source.only_service = std::string(name);
    return source;
}

ErrorOr<ResolvedSource> ServiceSources::resolve_name(std::string_view name, Update update, Kind kind) const
{
    std::vector<std::string> warnings;
    if (auto engine = find_user_docker_engine(name, warnings)) {
        engine->warnings = std::move(warnings);
        return std::move(*engine);
    }

    std::string relative = std::string(name.substr(0, 1)) + "/" + std::string(name) + ".yml";
    std::vector<std::string> searched;
    std::string failures;
    int code = ENOENT;
    for (auto const& [repository, config] : m_options.repositories) {
        auto found = read_repository_file(repository, relative, update);
        if (!found.is_error()) {
            found->warnings.insert(found->warnings.begin(), warnings.begin(), warnings.end());
            return found.release_value();
        }
        searched.push_back(repository + " (" + config.url + ")");
        if (found.error().code() != ENOENT) {
            failures += "; " + repository + ": " + found.error().message();
            if (code == ENOENT)
                code = found.error().code();
        }
    }
    std::string message = "no " + std::string(kind_name(kind)) + " named " + go_quote(name);
    if (searched.empty())
        message += ": no repositories are configured (rancher.repositories)";
    else
        message += " in repositories " + join(searched, ", ") + failures;
    return Error::from_string(std::move(message), code);
}

ErrorOr<ResolvedSource> ServiceSources::resolve(std::string_view argument, Update update, Kind kind) const
{
    if (argument.empty())
        return Error::from_string(std::string("empty ") + kind_name(kind) + " name");
    if (argument.starts_with('/')) {
        std::string path = m_options.paths.under_root(normalize_absolute_path(argument));
        auto text = TRY(read_file(path, MAX_FETCHED_DOCUMENT));
        return local_source(std::move(text), Origin::LocalFile, path);
    }
    if (is_http_url(argument))
        return fetch_cached(std::string(argument), update);
    if (argument.find("://") != std::string_view::npos) {
        return Error::from_string(
            "unsupported URL " + go_quote(argument) + " (a service file is fetched over http or https)");
    }
    if (!is_valid_service_name(argument)) {
        return Error::from_string(
            go_quote(argument) + " is not an absolute path, an http(s) URL or a " + kind_name(kind) + " name");
    }
    return resolve_name(argument, update, kind);
}

ErrorOr<LoadedSource> ServiceSources::load(std::string_view argument, Update update, Kind kind) const
{
    LoadedSource loaded;
    loaded.source = TRY(resolve(argument, update, kind));
    loaded.file = TRY(parse_service_file(loaded.source.text, loaded.source.location));
    if (!loaded.source.only_service.empty()) {
        auto const& only = loaded.source.only_service;
        std::erase_if(loaded.file.definitions, [&](auto const& entry) { return entry.first != only; });
        std::erase_if(loaded.file.diagnostics, [&](auto const& d) { return !d.path.empty() && d.path[0] != only; });
    }
    return loaded;
}

} // namespace corral::compose
