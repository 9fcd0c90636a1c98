// The deciding parts of the registry client, without a network: challenges,
// token answers, endpoints and their order, URLs and redirects, retry policy.

#include "image/registry.h"
#include "image/registry_auth.h"
#include "image/registry_endpoint.h"
#include "image/registry_http.h"

#include <gtest/gtest.h>

using namespace corral;
using namespace corral::image;
using namespace corral::image::registry;

namespace {

Challenge only_challenge(std::string_view header)
{
    auto parsed = parse_www_authenticate(header);
    EXPECT_FALSE(parsed.is_error()) << (parsed.is_error() ? parsed.error().message() : "");
    if (parsed.is_error() || parsed->size() != 1) {
        ADD_FAILURE() << "expected exactly one challenge in " << header;
        return {};
    }
    return parsed->front();
}

std::vector<std::string> urls(const std::vector<Endpoint>& endpoints)
{
    std::vector<std::string> out;
    for (auto const& e : endpoints)
        out.push_back(e.url);
    return out;
}

} // namespace

TEST(WwwAuthenticate, BearerWithQuotedParameters)
{
    auto c = only_challenge(
        R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
    EXPECT_EQ(c.scheme, "bearer");
    EXPECT_EQ(c.params["realm"], "https://auth.docker.io/token");
    EXPECT_EQ(c.params["service"], "registry.docker.io");
    EXPECT_EQ(c.params["scope"], "repository:library/busybox:pull");
}

TEST(WwwAuthenticate, QuotedCommasEscapesAndSpacing)
{
    // Scopes for several repositories are joined with spaces, actions with commas.
    auto c = only_challenge(
        R"(Bearer  realm = "http://127.0.0.1:5000/token?a=1,b=2" , scope="repository:a:pull,push repository:b:pull",error="insufficient_scope", note="say \"hi\"")");
    EXPECT_EQ(c.params["realm"], "http://127.0.0.1:5000/token?a=1,b=2");
    EXPECT_EQ(c.params["scope"], "repository:a:pull,push repository:b:pull");
    EXPECT_EQ(c.params["error"], "insufficient_scope");
    EXPECT_EQ(c.params["note"], R"(say "hi")");
}

TEST(WwwAuthenticate, SchemeAndNamesAreCaseInsensitiveTokensAllowed)
{
    auto c = only_challenge("BASIC Realm=registry");
    EXPECT_EQ(c.scheme, "basic");
    EXPECT_EQ(c.params["realm"], "registry");
}

TEST(WwwAuthenticate, SeveralChallengesInOneValue)
{
    auto parsed
        = parse_www_authenticate(R"(Basic realm="r1", Bearer realm="https://t/token",service="s", Negotiate abc==)");
    ASSERT_FALSE(parsed.is_error()) << parsed.error().message();
    ASSERT_EQ(parsed->size(), 3u);
    EXPECT_EQ((*parsed)[0].scheme, "basic");
    EXPECT_EQ((*parsed)[0].params.at("realm"), "r1");
    EXPECT_EQ((*parsed)[1].scheme, "bearer");
    EXPECT_EQ((*parsed)[1].params.at("realm"), "https://t/token");
    EXPECT_EQ((*parsed)[1].params.at("service"), "s");
    EXPECT_EQ((*parsed)[2].scheme, "negotiate");
    EXPECT_EQ((*parsed)[2].params.at(""), "abc==");
}

TEST(WwwAuthenticate, SchemeWithoutParameters)
{
    auto parsed = parse_www_authenticate("Basic, Bearer realm=x");
    ASSERT_FALSE(parsed.is_error()) << parsed.error().message();
    ASSERT_EQ(parsed->size(), 2u);
    EXPECT_TRUE((*parsed)[0].params.empty());
    EXPECT_EQ((*parsed)[1].params.at("realm"), "x");
}

TEST(WwwAuthenticate, GarbageIsRefused)
{
    for (std::string_view bad : { "", "   ", R"(Bearer realm="unterminated)", "Bearer realm=,service=x",
             "Bearer realm=\"a\" junk=", "Bearer realm=\"a\"\"b\"", "\"quoted\" realm=x", "Bearer realm=a b=c d",
             "Bear/er realm=a", "Bearer =x" }) {
        auto parsed = parse_www_authenticate(bad);
        EXPECT_TRUE(parsed.is_error()) << "accepted: " << bad;
        if (parsed.is_error()) {
            EXPECT_EQ(parsed.error().code(), EINVAL);
            EXPECT_NE(parsed.error().message().find("WWW-Authenticate"), std::string::npos) << parsed.error().message();
        }
    }
}

TEST(TokenResponse, TokenWinsOverAccessToken)
{
    auto t = parse_token_response(
        R"({"token":"t1","access_token":"t2","expires_in":300,"issued_at":"2026-01-01T00:00:00Z"})");
    ASSERT_FALSE(t.is_error()) << t.error().message();
    EXPECT_EQ(t->token, "t1");
    EXPECT_EQ(t->expires_in, std::chrono::seconds(300));
}

TEST(TokenResponse, AccessTokenAlone)
{
    auto t = parse_token_response(R"({"access_token":"oauth","scope":"repository:x:pull"})");
    ASSERT_FALSE(t.is_error()) << t.error().message();
    EXPECT_EQ(t->token, "oauth");
    EXPECT_EQ(t->expires_in, std::chrono::seconds(60)); // Docker's default
}

TEST(TokenResponse, EmptyTokenFallsBackToAccessToken)
{
    auto t = parse_token_response(R"({"token":"","access_token":"a"})");
    ASSERT_FALSE(t.is_error());
    EXPECT_EQ(t->token, "a");
}

TEST(TokenResponse, GarbageIsRefused)
{
    for (std::string_view bad : { "", "not json", "[]", "\"token\"", "{}", R"({"token":42})", R"({"token":null})",
             R"({"access_token":["a"]})", "{\"token\":\"a\\r\\nX-Evil: 1\"}" }) {
        auto t = parse_token_response(bad);
        EXPECT_TRUE(t.is_error()) << "accepted: " << bad;
        if (t.is_error()) {
            EXPECT_EQ(t.error().code(), EINVAL);
        }
    }
}

TEST(TokenRequest, Url)
{
    EXPECT_EQ(
        token_request_url("https://auth.docker.io/token", "registry.docker.io", "repository:library/busybox:pull"),
        "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fbusybox%3Apull");
    EXPECT_EQ(token_request_url("http://t/token?x=1", "", "repository:a:pull"),
        "http://t/token?x=1&scope=repository%3Aa%3Apull");
    EXPECT_EQ(token_request_url("http://t/token", "", ""), "http://t/token");
}

TEST(Credentials, BasicFromUsernamePasswordOrAuth)
{
    RegistryCredentials c;
    c.username = "alice";
    c.password = "s3cret:x";
    auto header = basic_authorization(c);
    ASSERT_FALSE(header.is_error());
    EXPECT_EQ(*header, "Basic YWxpY2U6czNjcmV0Ong=");

    RegistryCredentials from_auth;
    from_auth.auth = "YWxpY2U6czNjcmV0Ong="; // alice:s3cret:x
    header = basic_authorization(from_auth);
    ASSERT_FALSE(header.is_error()) << header.error().message();
    EXPECT_EQ(*header, "Basic YWxpY2U6czNjcmV0Ong=");

    RegistryCredentials bad;
    bad.auth = "bm9jb2xvbg=="; // "nocolon"
    EXPECT_EQ(basic_authorization(bad).error().code(), EINVAL);
    bad.auth = "!!!";
    EXPECT_EQ(basic_authorization(bad).error().code(), EINVAL);
    EXPECT_EQ(basic_authorization(RegistryCredentials {}).error().code(), ENOENT);
}

TEST(Credentials, LookupNormalisesDockerConfigKeys)
{
    std::map<std::string, RegistryCredentials> all;
    all["https://index.docker.io/v1/"].username = "hub";
    all["http://Registry.Example:5000/"].username = "example";
    all["other.example"].username = "other";
    EXPECT_EQ(credentials_domain("https://index.docker.io/v1/"), "docker.io");
    EXPECT_EQ(credentials_domain("registry-1.docker.io"), "docker.io");
    EXPECT_EQ(credentials_domain("http://Registry.Example:5000/"), "registry.example:5000");

    ASSERT_NE(find_credentials(all, "docker.io"), nullptr);
    EXPECT_EQ(find_credentials(all, "docker.io")->username, "hub");
    ASSERT_NE(find_credentials(all, "registry.example:5000"), nullptr);
    EXPECT_EQ(find_credentials(all, "registry.example:5000")->username, "example");
    EXPECT_EQ(find_credentials(all, "other.example")->username, "other");
    EXPECT_EQ(find_credentials(all, "registry.example"), nullptr); // the port is part of the name
    EXPECT_EQ(find_credentials(all, "evil.example"), nullptr);
}

TEST(Endpoints, DockerHubMapsToRegistry1)
{
    auto e = endpoints_for("docker.io", RegistryOptions {});
    ASSERT_FALSE(e.is_error());
    EXPECT_EQ(urls(*e), std::vector<std::string> { "https://registry-1.docker.io" });
    EXPECT_TRUE(e->front().verify_tls);
    EXPECT_FALSE(e->front().mirror);
    EXPECT_EQ(manifest_url(e->front(), "library/busybox", "latest"),
        "https://registry-1.docker.io/v2/library/busybox/manifests/latest");
    auto digest = Digest::parse("sha256:" + std::string(64, 'a'));
    ASSERT_FALSE(digest.is_error());
    EXPECT_EQ(blob_url(e->front(), "library/busybox", *digest),
        "https://registry-1.docker.io/v2/library/busybox/blobs/sha256:" + std::string(64, 'a'));
}

TEST(Endpoints, PlainHttpOnlyForInsecureAndAfterHttps)
{
    RegistryOptions options;
    auto secure = endpoints_for("127.0.0.1:5000", options);
    ASSERT_FALSE(secure.is_error());
    EXPECT_EQ(urls(*secure), std::vector<std::string> { "https://127.0.0.1:5000" });

    options.insecure.insert("127.0.0.1:5000");
    auto insecure = endpoints_for("127.0.0.1:5000", options);
    ASSERT_FALSE(insecure.is_error());
    EXPECT_EQ(urls(*insecure), (std::vector<std::string> { "https://127.0.0.1:5000", "http://127.0.0.1:5000" }));
    EXPECT_FALSE((*insecure)[0].verify_tls);
    EXPECT_FALSE((*insecure)[1].verify_tls);

    // Insecure is per host:port: another port of the same host stays HTTPS-only.
    auto other_port = endpoints_for("127.0.0.1:5001", options);
    ASSERT_FALSE(other_port.is_error());
    EXPECT_EQ(urls(*other_port), std::vector<std::string> { "https://127.0.0.1:5001" });
}

TEST(Endpoints, MirrorsFirstInOrderThenOrigin)
{
    RegistryOptions options;
    options.mirrors["docker.io"] = { "https://mirror.example:5000/", "http://127.0.0.1:5001", "cache.example/prefix/" };
    options.insecure.insert("mirror.example:5000");
    auto e = endpoints_for("docker.io", options);
    ASSERT_FALSE(e.is_error()) << e.error().message();
    EXPECT_EQ(urls(*e),
        (std::vector<std::string> { "https://mirror.example:5000", "http://127.0.0.1:5001",
            "https://cache.example/prefix", "https://registry-1.docker.io" }));
    EXPECT_TRUE((*e)[0].mirror);
    EXPECT_FALSE((*e)[0].verify_tls); // an insecure mirror host
    EXPECT_EQ((*e)[0].host, "mirror.example:5000");
    EXPECT_TRUE((*e)[2].verify_tls);
    EXPECT_FALSE((*e)[3].mirror);
    EXPECT_EQ(
        manifest_url((*e)[2], "library/busybox", "1"), "https://cache.example/prefix/v2/library/busybox/manifests/1");

    // Mirrors of one registry are not used for another.
    auto other = endpoints_for("quay.io", options);
    ASSERT_FALSE(other.is_error());
    EXPECT_EQ(urls(*other), std::vector<std::string> { "https://quay.io" });
}

TEST(Endpoints, BadMirrorIsNamed)
{
    RegistryOptions options;
    options.mirrors["docker.io"] = { "ftp://mirror.example" };
    auto e = endpoints_for("docker.io", options);
    ASSERT_TRUE(e.is_error());
    EXPECT_NE(e.error().message().find("ftp://mirror.example"), std::string::npos) << e.error().message();
}

TEST(Url, ParseAndOrigin)
{
    auto u = parse_url("HTTPS://Registry.Example:443/v2/x?y=1#frag");
    ASSERT_FALSE(u.is_error());
    EXPECT_EQ(u->scheme, "https");
    EXPECT_EQ(u->host, "registry.example");
    EXPECT_EQ(u->port, 443);
    EXPECT_EQ(u->path, "/v2/x?y=1");
    EXPECT_EQ(u->origin(), "https://registry.example");
    auto v6 = parse_url("http://[::1]:5000");
    ASSERT_FALSE(v6.is_error());
    EXPECT_EQ(v6->host, "[::1]");
    EXPECT_EQ(v6->port, 5000);
    EXPECT_EQ(v6->path, "/");
    for (std::string_view bad : { "ftp://x/", "file:///etc/passwd", "http://user:pw@host/", "http://",
             "http://host:99999/", "http://host:x/", "registry.example", "http://[::1/" })
        EXPECT_TRUE(parse_url(bad).is_error()) << bad;
}

TEST(Url, SameOriginDecidesWhereAuthorizationGoes)
{
    auto origin = *parse_url("https://registry.example/v2/a/blobs/sha256:1");
    EXPECT_TRUE(same_origin(origin, *parse_url("https://REGISTRY.example:443/other")));
    EXPECT_FALSE(same_origin(origin, *parse_url("https://storage.example/blob")));
    EXPECT_FALSE(same_origin(origin, *parse_url("http://registry.example/blob"))); // scheme
    EXPECT_FALSE(same_origin(origin, *parse_url("https://registry.example:8443/blob"))); // port
    EXPECT_FALSE(same_origin(origin, *parse_url("https://sub.registry.example/blob")));
}

TEST(Url, ResolveLocation)
{
    std::string base = "https://r.example:5000/v2/a/blobs/sha256:1?x=1";
    EXPECT_EQ(*resolve_location(base, "https://s3.example/bucket/obj?sig=2"), "https://s3.example/bucket/obj?sig=2");
    EXPECT_EQ(*resolve_location(base, "//cdn.example/obj"), "https://cdn.example/obj");
    EXPECT_EQ(*resolve_location(base, "/storage/obj"), "https://r.example:5000/storage/obj");
    EXPECT_EQ(*resolve_location(base, "other"), "https://r.example:5000/v2/a/blobs/other");
    EXPECT_EQ(*resolve_location(base, "?y=2"), "https://r.example:5000/v2/a/blobs/sha256:1?y=2");
    EXPECT_TRUE(resolve_location(base, "file:///etc/passwd").is_error());
    EXPECT_TRUE(resolve_location(base, "gopher://x/").is_error());
    EXPECT_TRUE(resolve_location(base, "").is_error());
}

TEST(Url, PercentEncode)
{
    EXPECT_EQ(percent_encode("repository:a/b:pull,push"), "repository%3Aa%2Fb%3Apull%2Cpush");
    EXPECT_EQ(percent_encode("A-z_0.9~ +&="), "A-z_0.9~%20%2B%26%3D");
}

TEST(Retry, TransientErrorsAndStatuses)
{
    EXPECT_TRUE(is_transient_error(ECONNABORTED)); // broken or stalled mid-transfer: resume
    for (int code : { ECONNREFUSED, EHOSTUNREACH, ETIMEDOUT, EPROTO, ECANCELED, EFBIG, EINVAL, EACCES, ENOENT })
        EXPECT_FALSE(is_transient_error(code)) << code;
    for (long status : { 408L, 429L, 500L, 502L, 503L, 504L })
        EXPECT_TRUE(is_transient_status(status)) << status;
    for (long status : { 200L, 206L, 301L, 400L, 401L, 403L, 404L, 416L, 501L })
        EXPECT_FALSE(is_transient_status(status)) << status;
}

TEST(Retry, BackoffDoublesAndIsCapped)
{
    using std::chrono::milliseconds;
    using std::chrono::seconds;
    EXPECT_EQ(backoff_delay(0, "", seconds(30)), milliseconds(250));
    EXPECT_EQ(backoff_delay(1, "", seconds(30)), milliseconds(500));
    EXPECT_EQ(backoff_delay(2, "", seconds(30)), milliseconds(1000));
    EXPECT_EQ(backoff_delay(5, "", seconds(30)), milliseconds(8000));
    EXPECT_EQ(backoff_delay(50, "", seconds(30)), milliseconds(8000));
    EXPECT_EQ(backoff_delay(5, "", seconds(2)), milliseconds(2000));
    // Retry-After in seconds is honoured up to the cap; dates and junk are ignored.
    EXPECT_EQ(backoff_delay(0, "3", seconds(30)), milliseconds(3000));
    EXPECT_EQ(backoff_delay(0, "3600", seconds(30)), milliseconds(30000));
    EXPECT_EQ(backoff_delay(0, "Wed, 21 Oct 2015 07:28:00 GMT", seconds(30)), milliseconds(250));
    EXPECT_EQ(backoff_delay(1, "-5", seconds(30)), milliseconds(500));
}

TEST(Status, DescribesRegistryErrors)
{
    EXPECT_EQ(describe_status(
                  404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"1"}}]})"),
        "manifest unknown (404)");
    EXPECT_EQ(describe_status(
                  401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"},{"code":"DENIED"}]})"),
        "authentication required; denied (401)");
    EXPECT_EQ(describe_status(401, R"({"details":"incorrect username or password"})"),
        "incorrect username or password (401)");
    EXPECT_EQ(describe_status(400, R"({"error":"invalid_grant","error_description":"bad refresh token"})"),
        "bad refresh token (400)");
    EXPECT_EQ(describe_status(502, "<html>Bad Gateway</html>"), "bad gateway (502)");
    EXPECT_EQ(describe_status(404, ""), "not found (404)");
    std::string huge = R"({"errors":[{"message":")" + std::string(10000, 'x') + "\nline\"}]}";
    EXPECT_LT(describe_status(500, huge).size(), 600u);
    EXPECT_EQ(errno_for_status(404), ENOENT);
    EXPECT_EQ(errno_for_status(401), EACCES);
    EXPECT_EQ(errno_for_status(403), EACCES);
    EXPECT_EQ(errno_for_status(503), EAGAIN);
    EXPECT_EQ(errno_for_status(400), EIO);
}

TEST(RegistryEndpoints, InsecureMatchesExactHostsAndCidrRanges)
{
    using corral::image::registry::is_insecure;
    std::set<std::string> insecure { "registry.local:5000", "10.0.0.0/8", "fd00::/8", "192.168.1.7/32" };
    EXPECT_TRUE(is_insecure("registry.local:5000", insecure));
    EXPECT_FALSE(is_insecure("registry.local:5001", insecure)); // another port is another registry
    EXPECT_FALSE(is_insecure("registry.local", insecure));
    EXPECT_TRUE(is_insecure("10.1.2.3:5000", insecure));
    EXPECT_TRUE(is_insecure("10.255.255.255", insecure));
    EXPECT_FALSE(is_insecure("11.0.0.1:5000", insecure));
    EXPECT_TRUE(is_insecure("[fd12::1]:5000", insecure));
    EXPECT_FALSE(is_insecure("[fe80::1]:5000", insecure));
    EXPECT_TRUE(is_insecure("192.168.1.7:443", insecure));
    EXPECT_FALSE(is_insecure("192.168.1.8", insecure));
    EXPECT_FALSE(is_insecure("127.0.0.1:5000", insecure)); // nothing is insecure unless listed
    EXPECT_FALSE(is_insecure("10.0.0.1", { "10.0.0.0/33" })); // a malformed range matches nothing

    corral::image::RegistryOptions options;
    options.insecure = { "127.0.0.0/8" };
    auto endpoints = corral::image::registry::endpoints_for("127.0.0.1:5000", options);
    ASSERT_FALSE(endpoints.is_error());
    ASSERT_EQ(endpoints->size(), 2u);
    EXPECT_EQ((*endpoints)[1].url, "http://127.0.0.1:5000");
}
