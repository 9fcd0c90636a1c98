// Pulls from real registries on 127.0.0.1 (see registry_world.h): by tag and by
// digest, multi-platform indexes, token and Basic auth, blobs redirected to a
// storage host and cut or stalled halfway, mirrors that are down, TLS with and
// without the right CA, plain HTTP for insecure registries, corrupt blobs.

#include "base/file.h"
#include "base/strings.h"
#include "base/system.h"
#include "image/reference.h"
#include "image/registry.h"
#include "image/store.h"
#include "registry_world.h"
#include "test_image.h"

#include <algorithm>
#include <arpa/inet.h>
#include <chrono>
#include <gtest/gtest.h>
#include <mutex>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

using namespace corral;
using namespace corral::image;
using std::chrono::seconds;

namespace {

test::RegistryWorld* g_world = nullptr;
std::string g_skip;
std::string g_setup_error;

int free_port()
{
    // A port nothing listens on: bind, read the number, close.
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa {};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof sa;
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0
        && ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &length) == 0)
        port = ntohs(sa.sin_port);
    ::close(fd);
    return port;
}

class RegistryPull : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        g_skip = test::registry_world_skip_reason();
        if (!g_skip.empty())
            return;
        g_world = new test::RegistryWorld;
        g_setup_error = test::set_up_registry_world(*g_world);
    }

    static void TearDownTestSuite()
    {
        delete g_world; // stops the servers, then removes the directory
        g_world = nullptr;
    }

    void SetUp() override
    {
        if (!g_skip.empty())
            GTEST_SKIP() << g_skip;
        ASSERT_TRUE(g_setup_error.empty()) << g_setup_error;
        auto store = Store::open(m_dir.path() + "/store");
        ASSERT_FALSE(store.is_error()) << store.error().message();
        m_store = store.release_value();
        m_options.timeout = seconds(10);
    }

    test::RegistryWorld& w() { return *g_world; }
    std::string at(int port, const std::string& rest) { return "127.0.0.1:" + std::to_string(port) + "/" + rest; }
    std::string domain(int port) { return "127.0.0.1:" + std::to_string(port); }

    ErrorOr<ImageRecord> pull_image(const std::string& text)
    {
        auto reference = Reference::parse(text);
        if (reference.is_error())
            return reference.release_error();
        m_events.clear();
        return pull(*m_store, *reference, m_options, [this](const PullProgress& p) {
            std::lock_guard lock(m_events_mutex);
            m_events.push_back(p);
        });
    }

    int count(const std::string& status, const std::string& id = "") const
    {
        int n = 0;
        for (auto const& e : m_events)
            n += e.status == status && (id.empty() || e.id == id);
        return n;
    }

    void expect_busybox(const ImageRecord& image)
    {
        EXPECT_EQ(image.id, w().busybox.id);
        ASSERT_EQ(image.layers.size(), 2u);
        auto chain = image.chain();
        ASSERT_EQ(chain.size(), 2u);
        std::string bottom = m_store->layer_dir(chain[0]);
        auto busybox = sys::lstat(bottom + "/bin/busybox");
        auto reference = sys::stat(test::BUSYBOX);
        ASSERT_FALSE(busybox.is_error()) << busybox.error().message();
        ASSERT_FALSE(reference.is_error());
        EXPECT_TRUE(S_ISREG(busybox->st_mode));
        EXPECT_EQ(busybox->st_mode & 07777, 0755u);
        EXPECT_EQ(busybox->st_size, reference->st_size);
        char target[64] = {};
        EXPECT_EQ(::readlink((bottom + "/bin/sh").c_str(), target, sizeof target - 1), 7);
        EXPECT_STREQ(target, "busybox");
        std::string upper = m_store->layer_dir(chain[1]);
        auto hello = read_file(upper + "/etc/hello");
        ASSERT_FALSE(hello.is_error()) << hello.error().message();
        EXPECT_EQ(*hello, "hello from layer 2\n");
        auto whiteout = sys::lstat(upper + "/etc/old");
        ASSERT_FALSE(whiteout.is_error()) << whiteout.error().message();
        EXPECT_TRUE(S_ISCHR(whiteout->st_mode));
        EXPECT_EQ(whiteout->st_rdev, makedev(0, 0));
    }

    test::TempDir m_dir;
    std::unique_ptr<Store> m_store;
    RegistryOptions m_options;
    std::mutex m_events_mutex;
    std::vector<PullProgress> m_events;
};

TEST_F(RegistryPull, ByTagUnpacksLayersAndReportsProgress)
{
    m_options.insecure.insert(domain(w().plain));
    auto image = pull_image(at(w().plain, "test/busybox:v1"));
    ASSERT_FALSE(image.is_error()) << image.error().message();
    expect_busybox(*image);
    EXPECT_EQ(image->manifest_digest, w().busybox_manifest);

    auto resolved = m_store->resolve(at(w().plain, "test/busybox:v1"));
    ASSERT_FALSE(resolved.is_error()) << resolved.error().message();
    EXPECT_EQ(resolved->id, w().busybox.id);

    EXPECT_EQ(count("Pulling from test/busybox", "v1"), 1);
    for (auto const& layer : image->layers) {
        std::string id = layer.digest.hex.substr(0, 12);
        EXPECT_EQ(count("Pulling fs layer", id), 1) << id;
        EXPECT_GE(count("Downloading", id), 1) << id;
        EXPECT_EQ(count("Download complete", id), 1) << id;
        EXPECT_EQ(count("Pull complete", id), 1) << id;
    }
    EXPECT_EQ(count("Digest: " + w().busybox_manifest.str()), 1);
    EXPECT_EQ(count("Status: Downloaded newer image for " + at(w().plain, "test/busybox:v1")), 1);
    ASSERT_FALSE(m_events.empty());
    EXPECT_EQ(m_events.back().status, "Status: Downloaded newer image for " + at(w().plain, "test/busybox:v1"));

    // Again: nothing to download, and the tag already pointed here.
    auto again = pull_image(at(w().plain, "test/busybox:v1"));
    ASSERT_FALSE(again.is_error()) << again.error().message();
    EXPECT_EQ(again->id, w().busybox.id);
    EXPECT_EQ(count("Already exists"), 2);
    EXPECT_EQ(count("Downloading"), 0);
    EXPECT_EQ(count("Status: Image is up to date for " + at(w().plain, "test/busybox:v1")), 1);
}

TEST_F(RegistryPull, ByDigestRecordsTheDigestReference)
{
    m_options.insecure.insert(domain(w().plain));
    m_options.parallel = 1;
    std::string by_digest = at(w().plain, "test/busybox@" + w().busybox_manifest.str());
    auto image = pull_image(by_digest);
    ASSERT_FALSE(image.is_error()) << image.error().message();
    expect_busybox(*image);
    EXPECT_EQ(image->manifest_digest, w().busybox_manifest);
    EXPECT_NE(std::find(image->references.begin(), image->references.end(), by_digest), image->references.end());
    EXPECT_FALSE(m_store->resolve(by_digest).is_error());
    EXPECT_TRUE(m_store->resolve(at(w().plain, "test/busybox:v1")).is_error()); // no tag was asked for
    EXPECT_EQ(count("Pulling from test/busybox", w().busybox_manifest.str()), 1);
    // One download at a time: the second layer waits for the first.
    EXPECT_EQ(count("Waiting", image->layers[1].digest.hex.substr(0, 12)), 1);
    EXPECT_EQ(count("Pull complete"), 2);
}

TEST_F(RegistryPull, UnknownTagOrDigestIsANamedError)
{
    m_options.insecure.insert(domain(w().plain));
    auto tag = pull_image(at(w().plain, "test/busybox:nope"));
    ASSERT_TRUE(tag.is_error());
    EXPECT_EQ(tag.error().code(), ENOENT);
    EXPECT_EQ(tag.error().message(), "pull " + at(w().plain, "test/busybox:nope") + ": manifest unknown (404)");

    std::string zeros = "sha256:" + std::string(64, '0');
    auto digest = pull_image(at(w().plain, "test/busybox@" + zeros));
    ASSERT_TRUE(digest.is_error());
    EXPECT_EQ(digest.error().code(), ENOENT);
    EXPECT_NE(digest.error().message().find("(404)"), std::string::npos) << digest.error().message();

    auto repository = pull_image(at(w().plain, "test/nothing:v1"));
    ASSERT_TRUE(repository.is_error());
    EXPECT_EQ(repository.error().code(), ENOENT);
    EXPECT_NE(repository.error().message().find("test/nothing:v1"), std::string::npos) << repository.error().message();
    EXPECT_TRUE(m_store->list().empty());
}

TEST_F(RegistryPull, IndexPicksThePlatform)
{
    m_options.insecure.insert(domain(w().plain));
    auto amd64 = pull_image(at(w().plain, "test/multi:v1"));
    ASSERT_FALSE(amd64.is_error()) << amd64.error().message();
    EXPECT_EQ(amd64->id, w().amd64.id);
    EXPECT_EQ(amd64->manifest_digest, w().multi_index); // the RepoDigest is the index's
    EXPECT_EQ(count("Digest: " + w().multi_index.str()), 1);

    m_options.platform = Platform { "linux", "arm64", "" };
    auto arm64 = pull_image(at(w().plain, "test/multi@" + w().multi_index.str()));
    ASSERT_FALSE(arm64.is_error()) << arm64.error().message();
    EXPECT_EQ(arm64->id, w().arm64.id);
    auto arch = read_file(m_store->layer_dir(arm64->chain()[0]) + "/etc/arch");
    ASSERT_FALSE(arch.is_error());
    EXPECT_EQ(*arch, "arm64\n");

    m_options.platform = Platform { "linux", "s390x", "" };
    auto none = pull_image(at(w().plain, "test/multi:v1"));
    ASSERT_TRUE(none.is_error());
    EXPECT_EQ(none.error().code(), ENOENT);
    EXPECT_NE(none.error().message().find("linux/s390x"), std::string::npos) << none.error().message();
}

TEST_F(RegistryPull, TokenAuthSendsBasicCredentialsToTheTokenServer)
{
    m_options.insecure.insert(domain(w().token));
    m_options.credentials[domain(w().token)] = RegistryCredentials { "alice", "s3cret", "", "" };
    auto image = pull_image(at(w().token, "test/busybox:v1"));
    ASSERT_FALSE(image.is_error()) << image.error().message();
    expect_busybox(*image);
    std::string requests = test::read_text(w().dir.path() + "/token-requests.log");
    EXPECT_NE(requests.find("GET basic=alice:s3cret scope=repository:test/busybox:pull status=200"), std::string::npos)
        << requests;
}

TEST_F(RegistryPull, TokenAuthWithAuthFieldAndIdentityToken)
{
    m_options.insecure.insert(domain(w().token));
    m_options.credentials["http://" + domain(w().token) + "/"]
        = RegistryCredentials { "", "", "YWxpY2U6czNjcmV0", "" }; // alice:s3cret
    auto with_auth = pull_image(at(w().token, "test/busybox:v1"));
    ASSERT_FALSE(with_auth.is_error()) << with_auth.error().message();

    m_options.credentials.clear();
    m_options.credentials[domain(w().token)] = RegistryCredentials { "", "", "", "refresh-me" };
    auto with_identity = pull_image(at(w().token, "test/multi:v1"));
    ASSERT_FALSE(with_identity.is_error()) << with_identity.error().message();
    EXPECT_EQ(with_identity->id, w().amd64.id);
    std::string requests = test::read_text(w().dir.path() + "/token-requests.log");
    EXPECT_NE(requests.find("POST basic=refresh_token scope=repository:test/multi:pull status=200"), std::string::npos)
        << requests;
}

TEST_F(RegistryPull, TokenAuthWithoutOrWithWrongCredentialsFails)
{
    m_options.insecure.insert(domain(w().token));
    auto anonymous = pull_image(at(w().token, "test/busybox:v1"));
    ASSERT_TRUE(anonymous.is_error());
    EXPECT_EQ(anonymous.error().code(), EACCES);
    EXPECT_NE(anonymous.error().message().find("(401)"), std::string::npos) << anonymous.error().message();
    EXPECT_NE(anonymous.error().message().find("token server http://127.0.0.1:" + std::to_string(w().token_server)),
        std::string::npos)
        << anonymous.error().message();

    m_options.credentials[domain(w().token)] = RegistryCredentials { "alice", "wrong", "", "" };
    auto wrong = pull_image(at(w().token, "test/busybox:v1"));
    ASSERT_TRUE(wrong.is_error());
    EXPECT_EQ(wrong.error().code(), EACCES);
    EXPECT_NE(wrong.error().message().find("invalid credentials (401)"), std::string::npos) << wrong.error().message();
    EXPECT_TRUE(m_store->list().empty());
}

TEST_F(RegistryPull, RedirectToStorageDropsAuthorizationAndResumesCutDownloads)
{
    // The proxy fronts the token registry, redirects blobs to 127.0.0.2 and cuts
    // the first download of each large blob halfway.
    m_options.insecure.insert(domain(w().proxy));
    m_options.credentials[domain(w().proxy)] = RegistryCredentials { "alice", "s3cret", "", "" };
    auto image = pull_image(at(w().proxy, "test/busybox:v1"));
    ASSERT_FALSE(image.is_error()) << image.error().message();
    expect_busybox(*image);

    std::string log = test::read_text(w().dir.path() + "/proxy-requests.log");
    std::vector<std::string> big; // the storage requests for the busybox layer
    for (auto const& line : split(log, '\n')) {
        if (line.starts_with("storage digest=" + image->layers[0].digest.hex + " "))
            big.push_back(line);
    }
    ASSERT_GE(big.size(), 2u) << log;
    EXPECT_NE(big[0].find("range=- cut=yes"), std::string::npos) << log;
    EXPECT_EQ(big[1].find("range=-"), std::string::npos) << "the retry must resume with a Range:\n" << log;
    EXPECT_NE(big[1].find("range="), std::string::npos) << log;
    EXPECT_EQ(log.find("authorization=yes"), std::string::npos) << "a token reached the storage host:\n" << log;
}

TEST_F(RegistryPull, StalledDownloadTimesOutAndResumes)
{
    m_options.insecure.insert(domain(w().stall));
    m_options.timeout = seconds(2);
    auto started = std::chrono::steady_clock::now();
    auto image = pull_image(at(w().stall, "test/busybox:v1"));
    ASSERT_FALSE(image.is_error()) << image.error().message();
    expect_busybox(*image);
    EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(7)) << "the stall timeout is 2 s";
    std::string log = test::read_text(w().dir.path() + "/stall-requests.log");
    std::vector<std::string> big;
    for (auto const& line : split(log, '\n')) {
        if (line.starts_with("storage digest=" + image->layers[0].digest.hex + " "))
            big.push_back(line);
    }
    ASSERT_GE(big.size(), 2u) << log;
    EXPECT_NE(big[0].find("range=- cut=yes"), std::string::npos) << log;
    EXPECT_EQ(big[1].find("range=-"), std::string::npos) << "the retry must resume with a Range:\n" << log;
}

TEST_F(RegistryPull, BasicAuthChallenge)
{
    m_options.insecure.insert(domain(w().basic));
    auto without = pull_image(at(w().basic, "test/busybox:v1"));
    ASSERT_TRUE(without.is_error());
    EXPECT_EQ(without.error().code(), EACCES);
    EXPECT_NE(without.error().message().find("none is configured for " + domain(w().basic)), std::string::npos)
        << without.error().message();

    m_options.credentials[domain(w().basic)] = RegistryCredentials { "bob", "wrong", "", "" };
    auto wrong = pull_image(at(w().basic, "test/busybox:v1"));
    ASSERT_TRUE(wrong.is_error());
    EXPECT_EQ(wrong.error().code(), EACCES);

    m_options.credentials[domain(w().basic)] = RegistryCredentials { "bob", "hunter2", "", "" };
    auto image = pull_image(at(w().basic, "test/busybox:v1"));
    ASSERT_FALSE(image.is_error()) << image.error().message();
    expect_busybox(*image);
    std::string log = test::read_text(w().dir.path() + "/basic-requests.log");
    EXPECT_NE(log.find("authorization=no"), std::string::npos) << log;
    EXPECT_EQ(log.find("authorization=yes"), std::string::npos) << "the password reached the storage host:\n" << log;
}

TEST_F(RegistryPull, MirrorsThatAreDownOrLackTheImageFallThroughToTheOrigin)
{
    m_options.insecure.insert(domain(w().plain));
    int closed = free_port();
    m_options.mirrors[domain(w().plain)] = { "http://127.0.0.1:" + std::to_string(closed),
        "http://127.0.0.1:" + std::to_string(w().plain) + "/no-such-prefix" };
    auto started = std::chrono::steady_clock::now();
    auto image = pull_image(at(w().plain, "test/busybox:v1"));
    ASSERT_FALSE(image.is_error()) << image.error().message();
    expect_busybox(*image);
    EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(8)) << "a refused mirror must not cost retries";
}

TEST_F(RegistryPull, MirrorIsUsedBeforeTheOrigin)
{
    // The origin does not exist: only the mirror can serve this.
    m_options.mirrors["registry.invalid"] = { "http://127.0.0.1:" + std::to_string(w().plain) };
    auto image = pull_image("registry.invalid/test/busybox:v1");
    ASSERT_FALSE(image.is_error()) << image.error().message();
    expect_busybox(*image);
    EXPECT_FALSE(m_store->resolve("registry.invalid/test/busybox:v1").is_error());
}

TEST_F(RegistryPull, TlsVerifiesAgainstTheConfiguredCa)
{
    auto unverified = pull_image(at(w().tls, "test/busybox:v1"));
    ASSERT_TRUE(unverified.is_error());
    EXPECT_EQ(unverified.error().code(), EPROTO);
    EXPECT_NE(unverified.error().message().find("certificate"), std::string::npos) << unverified.error().message();
    EXPECT_NE(unverified.error().message().find(
                  "https://127.0.0.1:" + std::to_string(w().tls) + "/v2/test/busybox/manifests/v1"),
        std::string::npos)
        << unverified.error().message();

    m_options.ca_file = w().tls_cert;
    auto verified = pull_image(at(w().tls, "test/busybox:v1"));
    ASSERT_FALSE(verified.is_error()) << verified.error().message();
    expect_busybox(*verified);
}

TEST_F(RegistryPull, InsecureSkipsTlsVerification)
{
    m_options.insecure.insert(domain(w().tls));
    auto image = pull_image(at(w().tls, "test/busybox:v1"));
    ASSERT_FALSE(image.is_error()) << image.error().message();
    expect_busybox(*image);
}

TEST_F(RegistryPull, PlainHttpOnlyForInsecureRegistries)
{
    auto refused = pull_image(at(w().plain, "test/busybox:v1"));
    ASSERT_TRUE(refused.is_error());
    EXPECT_EQ(refused.error().code(), EPROTO) << refused.error().message();
    EXPECT_TRUE(m_store->list().empty());
}

TEST_F(RegistryPull, CorruptBlobIsRejectedAndNoImageIsRecorded)
{
    // Same size, different bytes: only the digest can tell.
    Digest blob = sha256_of(w().corrupt.layers[0].blob);
    std::string path
        = w().storage + "/docker/registry/v2/blobs/sha256/" + blob.hex.substr(0, 2) + "/" + blob.hex + "/data";
    auto data = read_file(path);
    ASSERT_FALSE(data.is_error()) << data.error().message();
    std::string tampered = data.release_value();
    tampered[tampered.size() / 2] ^= 0x55;
    ASSERT_FALSE(write_file_atomic(path, tampered, 0644).is_error());

    m_options.insecure.insert(domain(w().plain));
    auto image = pull_image(at(w().plain, "test/corrupt:v1"));
    ASSERT_TRUE(image.is_error());
    EXPECT_EQ(image.error().code(), EINVAL);
    EXPECT_NE(image.error().message().find("blob " + blob.str()), std::string::npos) << image.error().message();
    EXPECT_NE(image.error().message().find("digest mismatch"), std::string::npos) << image.error().message();
    EXPECT_TRUE(m_store->resolve(at(w().plain, "test/corrupt:v1")).is_error());
    EXPECT_TRUE(m_store->get(w().corrupt.id).is_error());
    EXPECT_TRUE(m_store->list().empty());
    EXPECT_FALSE(m_store->has_blob(blob));
}

} // namespace
