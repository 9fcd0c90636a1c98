#include "compose/sources.h"

#include "sources_test_support.h"

#include <gtest/gtest.h>

using namespace corral;
using namespace corral::compose;
using sources_test::SourcesTest;

namespace {

constexpr std::string_view NTP = "ntp-extra:\n  image: busybox\n";

TEST(SourceHelpers, Md5Hex)
{
    EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
    EXPECT_EQ(md5_hex("http://example.com/s.yml"), "90107297784f796c16af44d39c234186");
}

TEST(SourceHelpers, NormalizeAbsolutePath)
{
    EXPECT_EQ(normalize_absolute_path("/"), "/");
    EXPECT_EQ(normalize_absolute_path("/a/./b//c/"), "/a/b/c");
    EXPECT_EQ(normalize_absolute_path("/a/b/../c"), "/a/c");
    EXPECT_EQ(normalize_absolute_path("/../../etc/passwd"), "/etc/passwd");
}

TEST(SourceHelpers, RepositoryUrls)
{
    auto remote = parse_repository_url("https://raw.githubusercontent.com/rancher/os-services/v1.5.8/");
    ASSERT_FALSE(remote.is_error());
    EXPECT_EQ(remote->type, RepositoryLocation::Type::Remote);
    EXPECT_EQ(remote->base, "https://raw.githubusercontent.com/rancher/os-services/v1.5.8");

    auto file = parse_repository_url("file:///usr/share/ros/repositories/core");
    ASSERT_FALSE(file.is_error());
    EXPECT_EQ(file->type, RepositoryLocation::Type::Local);
    EXPECT_EQ(file->base, "/usr/share/ros/repositories/core");

    EXPECT_EQ(parse_repository_url("file://localhost/srv/repo/").value().base, "/srv/repo");
    EXPECT_EQ(parse_repository_url("FILE:///srv/my%20repo").value().base, "/srv/my repo");
    EXPECT_EQ(parse_repository_url("/srv/repo/../offline").value().base, "/srv/offline");
    // A plain path is taken literally, "%" and all.
    EXPECT_EQ(parse_repository_url("/srv/100%25").value().base, "/srv/100%25");

    for (std::string bad :
        { "file://otherhost/srv", "relative/dir", "ftp://x/y", "http://", "file:///a%2", "file:///a%00b", "" }) {
        auto result = parse_repository_url(bad);
        ASSERT_TRUE(result.is_error()) << bad;
        EXPECT_EQ(result.error().code(), EINVAL);
        EXPECT_EQ(result.error().message(),
            "unsupported repository URL \"" + bad + "\" (expected http(s)://, file:// or an absolute path)");
    }
}

TEST(SourceHelpers, HttpUrls)
{
    EXPECT_TRUE(is_http_url("http://x"));
    EXPECT_TRUE(is_http_url("HTTPS://x"));
    EXPECT_FALSE(is_http_url("file:///x"));
    EXPECT_FALSE(is_http_url("/http://"));
}

TEST_F(SourcesTest, FromConfigTakesRepositoriesAndRetries)
{
    config::RancherConfig rancher;
    rancher.repositories["core"].url = "file:///usr/share/ros/repositories/core";
    rancher.http_load_retries = 6;
    auto s = ServiceSources::from_config(m_options.paths, rancher, NetworkAccess::Unavailable);
    EXPECT_EQ(s.options().repositories.at("core").url, "file:///usr/share/ros/repositories/core");
    EXPECT_EQ(s.options().http_load_retries, 6);
    EXPECT_EQ(s.options().network, NetworkAccess::Unavailable);
    EXPECT_EQ(s.cache_dir(), m_root + "/var/lib/rancher/cache");
    EXPECT_EQ(
        s.cache_path("http://example.com/s.yml"), m_root + "/var/lib/rancher/cache/90107297784f796c16af44d39c234186");
}

TEST_F(SourcesTest, AbsolutePathIsReadUnderTheRoot)
{
    write("/var/lib/rancher/conf/ntp.yml", NTP);
    auto source = sources().resolve("/var/lib/rancher/conf/ntp.yml", Update::No);
    ASSERT_FALSE(source.is_error()) << source.error().message();
    EXPECT_EQ(source->text, NTP);
    EXPECT_EQ(source->origin, Origin::LocalFile);
    EXPECT_EQ(source->location, m_root + "/var/lib/rancher/conf/ntp.yml");
    EXPECT_FALSE(source->from_cache);
    EXPECT_EQ(source->cache_file, "");
    EXPECT_TRUE(m_requests.empty());
}

TEST_F(SourcesTest, AbsolutePathCannotClimbOutOfTheRoot)
{
    write("/etc/ntp.yml", NTP);
    auto source = sources().resolve("/../../etc/ntp.yml", Update::No);
    ASSERT_FALSE(source.is_error()) << source.error().message();
    EXPECT_EQ(source->location, m_root + "/etc/ntp.yml");
}

TEST_F(SourcesTest, MissingAbsolutePathNamesIt)
{
    auto source = sources().resolve("/var/lib/rancher/conf/none.yml", Update::No);
    ASSERT_TRUE(source.is_error());
    EXPECT_EQ(source.error().code(), ENOENT);
    EXPECT_EQ(
        source.error().message(), "open '" + m_root + "/var/lib/rancher/conf/none.yml': No such file or directory");
}

TEST_F(SourcesTest, BadArguments)
{
    struct Case {
        std::string argument;
        std::string message;
    };
    for (auto const& c : std::vector<Case> {
             { "", "empty service name" },
             { "a/b", "\"a/b\" is not an absolute path, an http(s) URL or a service name" },
             { "../x", "\"../x\" is not an absolute path, an http(s) URL or a service name" },
             { ".hidden", "\".hidden\" is not an absolute path, an http(s) URL or a service name" },
             { "ftp://example.com/s.yml",
                 "unsupported URL \"ftp://example.com/s.yml\" (a service file is fetched over http or https)" },
             { "file:///var/lib/rancher/conf/s.yml",
                 "unsupported URL \"file:///var/lib/rancher/conf/s.yml\" (a service file is fetched over http or "
                 "https)" },
         }) {
        add_repository("core", "/repo");
        auto source = sources().resolve(c.argument, Update::No);
        ASSERT_TRUE(source.is_error()) << c.argument;
        EXPECT_EQ(source.error().code(), EINVAL) << c.argument;
        EXPECT_EQ(source.error().message(), c.message);
    }
    auto console = sources().resolve("a b", Update::No, Kind::Console);
    ASSERT_TRUE(console.is_error());
    EXPECT_EQ(console.error().message(), "\"a b\" is not an absolute path, an http(s) URL or a console name");
}

TEST_F(SourcesTest, FileUrlRepository)
{
    add_repository("core", "file:///usr/share/ros/repositories/core");
    write("/usr/share/ros/repositories/core/n/ntp-extra.yml", NTP);
    auto source = sources().resolve("ntp-extra", Update::No);
    ASSERT_FALSE(source.is_error()) << source.error().message();
    EXPECT_EQ(source->text, NTP);
    EXPECT_EQ(source->origin, Origin::Repository);
    EXPECT_EQ(source->repository, "core");
    EXPECT_EQ(source->location, m_root + "/usr/share/ros/repositories/core/n/ntp-extra.yml");
    EXPECT_EQ(source->cache_file, "");
    // Local repositories are read in place: nothing is cached, nothing fetched.
    EXPECT_FALSE(exists(m_root + "/var/lib/rancher/cache"));
    EXPECT_TRUE(m_requests.empty());
}

TEST_F(SourcesTest, PlainDirectoryRepositoryNeedsNoNetwork)
{
    m_options.network = NetworkAccess::Unavailable;
    add_repository("offline", "/usr/share/ros/services-repo/");
    write("/usr/share/ros/services-repo/n/ntp-extra.yml", NTP);
    auto source = sources().resolve("ntp-extra", Update::Yes);
    ASSERT_FALSE(source.is_error()) << source.error().message();
    EXPECT_EQ(source->location, m_root + "/usr/share/ros/services-repo/n/ntp-extra.yml");
    EXPECT_EQ(source->repository, "offline");
}

TEST_F(SourcesTest, RepositoriesAreSearchedInNameOrder)
{
    add_repository("b-second", "/repos/b");
    add_repository("a-first", "/repos/a");
    write("/repos/a/s/shared.yml", "shared:\n  image: from-a\n");
    write("/repos/b/s/shared.yml", "shared:\n  image: from-b\n");
    write("/repos/b/o/only-b.yml", "only-b:\n  image: b\n");

    auto shared = sources().resolve("shared", Update::No);
    ASSERT_FALSE(shared.is_error());
    EXPECT_EQ(shared->repository, "a-first");
    EXPECT_EQ(shared->text, "shared:\n  image: from-a\n");

    auto only_b = sources().resolve("only-b", Update::No);
    ASSERT_FALSE(only_b.is_error());
    EXPECT_EQ(only_b->repository, "b-second");
}

TEST_F(SourcesTest, NameInNoRepository)
{
    add_repository("core", "file:///usr/share/ros/repositories/core");
    add_repository("extra", "https://example.com/extra");
    auto source = sources().resolve("nope", Update::No);
    ASSERT_TRUE(source.is_error());
    EXPECT_EQ(source.error().code(), ENOENT);
    EXPECT_EQ(source.error().message(),
        "no service named \"nope\" in repositories core (file:///usr/share/ros/repositories/core), "
        "extra (https://example.com/extra)");
    EXPECT_EQ(m_requests, std::vector<std::string> { "https://example.com/extra/n/nope.yml" });

    auto engine = sources().resolve("docker-99", Update::No, Kind::Engine);
    ASSERT_TRUE(engine.is_error());
    EXPECT_TRUE(engine.error().message().starts_with("no engine named \"docker-99\" in repositories core"));
}

TEST_F(SourcesTest, NameWithoutRepositories)
{
    auto source = sources().resolve("ntp-extra", Update::No);
    ASSERT_TRUE(source.is_error());
    EXPECT_EQ(source.error().code(), ENOENT);
    EXPECT_EQ(source.error().message(),
        "no service named \"ntp-extra\": no repositories are configured (rancher.repositories)");
}

TEST_F(SourcesTest, RepositoryFailureOtherThanMissingIsReported)
{
    add_repository("a-down", "https://down.example/repo");
    add_repository("b-local", "/repo");
    add_repository("c-bad", "ftp://example.com/repo");
    m_offline = true;
    auto source = sources().resolve("ntp-extra", Update::No);
    ASSERT_TRUE(source.is_error());
    // The name may well be in the repository that could not be reached.
    EXPECT_EQ(source.error().code(), ECONNREFUSED);
    EXPECT_EQ(source.error().message(),
        "no service named \"ntp-extra\" in repositories a-down (https://down.example/repo), b-local (/repo), "
        "c-bad (ftp://example.com/repo); a-down: GET https://down.example/repo/n/ntp-extra.yml: Connection refused; "
        "c-bad: unsupported repository URL \"ftp://example.com/repo\" (expected http(s)://, file:// "
        "or an absolute path)");

    // A later repository that has it still serves it.
    write("/repo/n/ntp-extra.yml", NTP);
    auto found = sources().resolve("ntp-extra", Update::No);
    ASSERT_FALSE(found.is_error()) << found.error().message();
    EXPECT_EQ(found->repository, "b-local");
}

TEST_F(SourcesTest, UrlIsFetchedOnceThenCached)
{
    const std::string url = "http://example.com/s.yml";
    m_remote[url] = std::string(NTP);
    auto first = sources().resolve(url, Update::No);
    ASSERT_FALSE(first.is_error()) << first.error().message();
    EXPECT_EQ(first->text, NTP);
    EXPECT_EQ(first->origin, Origin::Url);
    EXPECT_EQ(first->location, url);
    EXPECT_FALSE(first->from_cache);
    EXPECT_TRUE(first->warnings.empty());
    const std::string cache = m_root + "/var/lib/rancher/cache/90107297784f796c16af44d39c234186";
    EXPECT_EQ(first->cache_file, cache);
    EXPECT_EQ(read(cache), NTP);
    struct stat st;
    ASSERT_EQ(::stat(cache.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);

    // The server changes; without -u the cached copy is used, with no request.
    m_remote[url] = "changed:\n  image: x\n";
    auto second = sources().resolve(url, Update::No);
    ASSERT_FALSE(second.is_error());
    EXPECT_EQ(second->text, NTP);
    EXPECT_TRUE(second->from_cache);
    EXPECT_EQ(m_requests, std::vector<std::string> { url });
}

TEST_F(SourcesTest, UpdateFetchesAgainAndReplacesTheCache)
{
    const std::string url = "https://example.com/s.yml";
    m_remote[url] = std::string(NTP);
    ASSERT_FALSE(sources().resolve(url, Update::No).is_error());
    m_remote[url] = "changed:\n  image: x\n";
    auto updated = sources().resolve(url, Update::Yes);
    ASSERT_FALSE(updated.is_error());
    EXPECT_EQ(updated->text, "changed:\n  image: x\n");
    EXPECT_FALSE(updated->from_cache);
    EXPECT_EQ(m_requests.size(), 2u);
    EXPECT_EQ(read(sources().cache_path(url)), "changed:\n  image: x\n");
}

TEST_F(SourcesTest, UpdateFallsBackToTheCacheWithAWarning)
{
    const std::string url = "https://example.com/s.yml";
    m_remote[url] = std::string(NTP);
    ASSERT_FALSE(sources().resolve(url, Update::No).is_error());
    m_offline = true;
    auto updated = sources().resolve(url, Update::Yes);
    ASSERT_FALSE(updated.is_error()) << updated.error().message();
    EXPECT_EQ(updated->text, NTP);
    EXPECT_TRUE(updated->from_cache);
    EXPECT_EQ(updated->warnings,
        std::vector<std::string> {
            "refreshing failed (GET https://example.com/s.yml: Connection refused); using the copy "
            "cached in "
            + sources().cache_path(url) });
}

TEST_F(SourcesTest, UpdateWithoutCacheFails)
{
    m_offline = true;
    auto updated = sources().resolve("https://example.com/s.yml", Update::Yes);
    ASSERT_TRUE(updated.is_error());
    EXPECT_EQ(updated.error().code(), ECONNREFUSED);
    EXPECT_EQ(updated.error().message(), "GET https://example.com/s.yml: Connection refused");
}

TEST_F(SourcesTest, MissingUrlIsNotCached)
{
    auto missing = sources().resolve("https://example.com/none.yml", Update::No);
    ASSERT_TRUE(missing.is_error());
    EXPECT_EQ(missing.error().code(), ENOENT);
    EXPECT_EQ(missing.error().message(), "GET https://example.com/none.yml: HTTP 404");
    EXPECT_FALSE(exists(sources().cache_path("https://example.com/none.yml")));
}

TEST_F(SourcesTest, WithoutNetworkOnlyTheCacheServes)
{
    const std::string url = "https://example.com/s.yml";
    m_options.network = NetworkAccess::Unavailable;
    auto uncached = sources().resolve(url, Update::No);
    ASSERT_TRUE(uncached.is_error());
    EXPECT_EQ(uncached.error().code(), ENETUNREACH);
    EXPECT_EQ(uncached.error().message(), "GET https://example.com/s.yml: the network is not available yet");
    EXPECT_TRUE(m_requests.empty());

    write("/var/lib/rancher/cache/" + md5_hex(url), NTP);
    auto cached = sources().resolve(url, Update::No);
    ASSERT_FALSE(cached.is_error());
    EXPECT_TRUE(cached->from_cache);
    auto update = sources().resolve(url, Update::Yes);
    ASSERT_FALSE(update.is_error());
    EXPECT_EQ(update->warnings,
        std::vector<std::string> { "not refreshing " + url
            + ": the network is not available yet; using the copy cached in " + sources().cache_path(url) });
    EXPECT_TRUE(m_requests.empty());
}

TEST_F(SourcesTest, RemoteRepositoryThroughTheCache)
{
    add_repository("a", "https://a.example/repo/");
    add_repository("b", "https://b.example/repo");
    m_remote["https://b.example/repo/n/ntp-extra.yml"] = std::string(NTP);
    auto first = sources().resolve("ntp-extra", Update::No);
    ASSERT_FALSE(first.is_error()) << first.error().message();
    EXPECT_EQ(first->origin, Origin::Repository);
    EXPECT_EQ(first->repository, "b");
    EXPECT_EQ(first->location, "https://b.example/repo/n/ntp-extra.yml");
    EXPECT_EQ(first->cache_file, sources().cache_path("https://b.example/repo/n/ntp-extra.yml"));
    EXPECT_EQ(m_requests,
        (std::vector<std::string> {
            "https://a.example/repo/n/ntp-extra.yml", "https://b.example/repo/n/ntp-extra.yml" }));

    // A miss is not cached, so "a" is asked again; "b" answers from the cache.
    auto second = sources().resolve("ntp-extra", Update::No);
    ASSERT_FALSE(second.is_error());
    EXPECT_TRUE(second->from_cache);
    EXPECT_EQ(m_requests.size(), 3u);
    EXPECT_EQ(m_requests.back(), "https://a.example/repo/n/ntp-extra.yml");
}

TEST_F(SourcesTest, UnwritableCacheStillServesWithAWarning)
{
    write("/var/lib/rancher/cache", "a file where the directory should be");
    const std::string url = "https://example.com/s.yml";
    m_remote[url] = std::string(NTP);
    auto source = sources().resolve(url, Update::No);
    ASSERT_FALSE(source.is_error());
    EXPECT_EQ(source->text, NTP);
    ASSERT_EQ(source->warnings.size(), 1u);
    EXPECT_TRUE(source->warnings[0].starts_with("not caching " + url + ": ")) << source->warnings[0];
}

TEST_F(SourcesTest, UserDockerEnginesComeFirst)
{
    add_repository("core", "/repo");
    write("/repo/d/dind-a.yml", "dind-a:\n  image: from-repo\n");
    write("/var/lib/rancher/conf.d/m-user-docker.yml",
        "dind-a:\n  image: rancher/os-dind:17.12.1\ndind-b:\n  image: rancher/os-dind:18.03.1\n");
    auto loaded = sources().load("dind-a", Update::No);
    ASSERT_FALSE(loaded.is_error()) << loaded.error().message();
    EXPECT_EQ(loaded->source.origin, Origin::UserDockerEngines);
    EXPECT_EQ(loaded->source.only_service, "dind-a");
    EXPECT_EQ(loaded->source.location, m_root + "/var/lib/rancher/conf.d/m-user-docker.yml");
    ASSERT_EQ(loaded->file.definitions.size(), 1u);
    EXPECT_EQ(loaded->file.definitions.at("dind-a").find("image")->text(), "rancher/os-dind:17.12.1");

    // A name the file does not define goes on to the repositories.
    write("/repo/n/ntp-extra.yml", NTP);
    auto other = sources().resolve("ntp-extra", Update::No);
    ASSERT_FALSE(other.is_error());
    EXPECT_EQ(other->origin, Origin::Repository);
}

TEST_F(SourcesTest, BrokenUserDockerEnginesFileIsSkippedWithAWarning)
{
    add_repository("core", "/repo");
    write("/repo/n/ntp-extra.yml", NTP);
    write("/var/lib/rancher/conf.d/m-user-docker.yml", "dind: [\n");
    auto source = sources().resolve("ntp-extra", Update::No);
    ASSERT_FALSE(source.is_error()) << source.error().message();
    EXPECT_EQ(source->repository, "core");
    ASSERT_EQ(source->warnings.size(), 1u);
    EXPECT_TRUE(source->warnings[0].starts_with(
        "skipping the DinD engines: " + m_root + "/var/lib/rancher/conf.d/m-user-docker.yml:2:1: "))
        << source->warnings[0];
}

TEST_F(SourcesTest, LoadParsesAndNamesTheLocation)
{
    add_repository("core", "https://example.com/repo");
    m_remote["https://example.com/repo/b/broken.yml"] = "broken:\n  image: [x\n";
    auto loaded = sources().load("broken", Update::No);
    ASSERT_TRUE(loaded.is_error());
    EXPECT_EQ(loaded.error().code(), EINVAL);
    EXPECT_TRUE(loaded.error().message().starts_with("https://example.com/repo/b/broken.yml:3:1: "))
        << loaded.error().message();

    m_remote["https://example.com/repo/n/ntp-extra.yml"]
        = "version: '2'\nservices:\n  ntp-extra:\n    image: busybox\n";
    auto ok = sources().load("ntp-extra", Update::No);
    ASSERT_FALSE(ok.is_error()) << ok.error().message();
    EXPECT_EQ(ok->file.source, "https://example.com/repo/n/ntp-extra.yml");
    EXPECT_TRUE(ok->file.definitions.contains("ntp-extra"));
}

TEST_F(SourcesTest, ReadRepositoryFile)
{
    add_repository("core", "file:///repo");
    write("/repo/index.yml", "services: [a]\n");
    auto index = sources().read_repository_file("core", "index.yml", Update::No);
    ASSERT_FALSE(index.is_error());
    EXPECT_EQ(index->text, "services: [a]\n");
    auto unknown = sources().read_repository_file("nope", "index.yml", Update::No);
    ASSERT_TRUE(unknown.is_error());
    EXPECT_EQ(unknown.error().code(), ENOENT);
    EXPECT_EQ(unknown.error().message(), "no repository named \"nope\"");
}

} // namespace
