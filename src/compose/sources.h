#pragma once

// Where service definitions come from (reference §4.5): the text behind a
// `services_include` key, a `ros service enable` argument, a console or an
// engine name. An argument is, in this order of tests:
//
//   an absolute path   read from the file system (under ROS_ROOT);
//   an http(s) URL     fetched, through the cache;
//   a name             looked up first among the DinD engines of
//                      /var/lib/rancher/conf.d/m-user-docker.yml, then in each
//                      repository of rancher.repositories as
//                      <url>/<first letter of name>/<name>.yml.
//
// Repositories are searched in the order of their names. (RancherOS walked a
// Go map, whose order changes from run to run, so that with two repositories
// holding the same name either could win.)
//
// A repository URL is http(s)://…, file:///dir or a plain absolute directory;
// the last two are read from the file system under ROS_ROOT, never cached, and
// need no network. The OS image ships its repository that way
// (os-config.yml: core is file:///usr/share/ros/repositories/core), so that
// enabling a stock service never needs the network.
//
// Cache: what is fetched over http(s) is kept in
// <ROS_ROOT>/var/lib/rancher/cache/<md5 hex of the URL> (mode 0600, replaced
// atomically) and used from then on instead of the network, unless the caller
// asks for an update (`-u`). An update fetches again, and if that fails falls
// back to the cached copy with a warning.
//
// Library code does not log: warnings come back in the results for the caller
// to show.

#include "base/error.h"
#include "compose/http_get.h"
#include "compose/service_file.h"
#include "config/model.h"
#include "config/paths.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::compose {

// `-u/--update`: whether cached copies of remote files are fetched again.
enum class Update {
    No,
    Yes,
};

// Whether remote files may be fetched now. At boot the services are first
// loaded before the network service has run; remote ones then come from the
// cache or wait (ENETUNREACH) for the reload that follows `network`.
enum class NetworkAccess {
    Available,
    Unavailable,
};

// What a repository's index.yml lists, and what `ros service|console|engine`
// deal in. They share the repository layout; the words in messages differ.
enum class Kind {
    Service,
    Console,
    Engine,
};
const char* kind_name(Kind kind); // "service", "console", "engine"

// Gets one http(s) URL's body. Errors follow http_get(): ENOENT for a missing
// document, other codes for failures.
using Fetcher = std::function<ErrorOr<std::string>(const std::string& url)>;

struct SourceOptions {
    config::Paths paths;
    std::map<std::string, config::RepositoryConfig> repositories; // rancher.repositories
    int64_t http_load_retries { 1 }; // attempts per fetch (rancher.http_load_retries); below 1 is 1, capped at 100
    NetworkAccess network { NetworkAccess::Available };
    // Empty: http_get() with 10 s per attempt, `http_load_retries` attempts and
    // backoff from 50 ms doubling to 5 s. Tests give their own.
    Fetcher fetch;
};

enum class Origin {
    LocalFile, // an absolute path
    Url, // an http(s) URL given as such
    Repository, // a name found in a repository
    UserDockerEngines, // a name defined in m-user-docker.yml
};

struct ResolvedSource {
    std::string text;
    Origin origin { Origin::LocalFile };
    // The path read (under ROS_ROOT) or the URL fetched; the name to use for
    // the text in messages.
    std::string location;
    std::string repository; // the repository's name, for Origin::Repository
    std::string cache_file; // the cache file read or written; empty when none
    bool from_cache { false };
    // For Origin::UserDockerEngines: the one service of the file that was asked
    // for (the file holds every DinD engine).
    std::string only_service;
    std::vector<std::string> warnings;
};

struct LoadedSource {
    ResolvedSource source;
    ServiceFile file; // parsed from source.text, reduced to only_service if set
};

// A repository URL as it is read.
struct RepositoryLocation {
    enum class Type {
        Remote, // `base` is an http(s) URL
        Local, // `base` is an absolute directory (not yet under ROS_ROOT)
    };
    Type type { Type::Remote };
    std::string base; // without a trailing "/"
};

// Parses http(s)://…, file:///dir, file://localhost/dir or /dir. Anything else
// is EINVAL: `unsupported repository URL "ftp://x" (expected http(s)://, file:// or an absolute path)`.
ErrorOr<RepositoryLocation> parse_repository_url(std::string_view url);

// The md5 of `text` as 32 lower-case hex digits (the cache file names).
std::string md5_hex(std::string_view text);

// "/a/./b/../c" → "/a/c"; ".." at the top stays at "/". Only for absolute paths.
std::string normalize_absolute_path(std::string_view path);

class ServiceSources {
public:
    explicit ServiceSources(SourceOptions options);
    // rancher.repositories and rancher.http_load_retries from a loaded config.
    static ServiceSources from_config(const config::Paths& paths, const config::RancherConfig& rancher,
        NetworkAccess network = NetworkAccess::Available);

    const SourceOptions& options() const { return m_options; }
    std::string cache_dir() const; // <ROS_ROOT>/var/lib/rancher/cache
    std::string cache_path(std::string_view url) const; // cache_dir()/<md5_hex(url)>
    std::string user_docker_engines_file() const; // <ROS_ROOT>/var/lib/rancher/conf.d/m-user-docker.yml

    // The text behind a services_include key, an enable argument, a console or
    // an engine name (see the top of this file). Errors:
    //   EINVAL      empty, an unsupported URL scheme, or neither a path, a URL
    //               nor a valid name: `"a/b" is not an absolute path, an http(s) URL or a service name`
    //   ENOENT      a local file is missing (the read_file error, naming the
    //               path), a URL answers 404, or no repository has the name:
    //               `no service named "foo" in repositories core (file:///usr/share/ros/repositories/core), extra
    //               (https://example.com/r)` (the same with "console"/"engine" for those kinds; with no repositories:
    //               `no service named "foo": no repositories are configured (rancher.repositories)`)
    //   ENETUNREACH remote, not cached, and the network is not available yet
    //   others      the fetch failed (http_get()'s errors). For a name, when a
    //               repository failed with anything other than ENOENT, its error
    //               is appended ("; extra: GET …: Connection refused") and its
    //               code is the result's, since the name may be there after all.
    ErrorOr<ResolvedSource> resolve(std::string_view argument, Update update, Kind kind = Kind::Service) const;

    // resolve() and parse_service_file() the text. YAML errors name the
    // location ("http://host/s/svc.yml:3:1: …").
    ErrorOr<LoadedSource> load(std::string_view argument, Update update, Kind kind = Kind::Service) const;

    // A file of one repository by its path relative to the repository's root
    // ("index.yml", "n/ntp.yml"). `repository` must be a key of the
    // repositories. Remote files go through the cache. Errors do not repeat the
    // repository's name; callers that search several put it in front.
    ErrorOr<ResolvedSource> read_repository_file(
        const std::string& repository, std::string_view relative, Update update) const;

    // An http(s) URL through the cache, as described at the top of this file.
    ErrorOr<ResolvedSource> fetch_cached(const std::string& url, Update update) const;

private:
    ErrorOr<std::string> fetch(const std::string& url) const;
    std::optional<ResolvedSource> find_user_docker_engine(
        std::string_view name, std::vector<std::string>& warnings) const;
    ErrorOr<ResolvedSource> resolve_name(std::string_view name, Update update, Kind kind) const;

    SourceOptions m_options;
};

} // namespace corral::compose
