// http(s) fetching against a real HTTP server on the loopback interface: a
// small python3 http.server that this test starts on a free port of 127.0.0.1
// and kills (by its PID, through Child) when it is done. Nothing leaves the
// machine.

#include "base/file.h"
#include "base/process.h"
#include "compose/http_get.h"
#include "compose/service_catalog.h"
#include "compose/sources.h"

#include <arpa/inet.h>
#include <chrono>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace corral;
using namespace corral::compose;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// Serves `root`, plus a few paths that misbehave on purpose. Prints its port.
constexpr const char* SERVER = R"PY(
import http.server, sys, threading, time
root = sys.argv[1]
hits = {}
lock = threading.Lock()

class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=root, **kwargs)

    def log_message(self, *args):
        pass

    def reply(self, code, body=b'', headers=()):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        with lock:
            hits[self.path] = hits.get(self.path, 0) + 1
            count = hits[self.path]
        if self.path.startswith('/hits/'):
            return self.reply(200, str(hits.get(self.path[5:], 0)).encode())
        if self.path.startswith('/flaky/') and count <= 2:
            return self.reply(503)
        if self.path == '/slow':
            time.sleep(5)
            return self.reply(200, b'late')
        if self.path == '/forbidden':
            return self.reply(403)
        if self.path == '/moved':
            return self.reply(301, headers=[('Location', '/s/served.yml')])
        if self.path == '/to-file':
            return self.reply(302, headers=[('Location', 'file:///etc/passwd')])
        if self.path == '/big':
            return self.reply(200, b'x' * 100000)
        return super().do_GET()

server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
)PY";

constexpr std::string_view SERVED = "served:\n  image: busybox\n";

// A port of 127.0.0.1 that nothing listens on: bound, read and released.
int unused_port()
{
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
    ::close(fd);
    return ntohs(address.sin_port);
}

long elapsed_ms(Clock::time_point since)
{
    return std::chrono::duration_cast<milliseconds>(Clock::now() - since).count();
}

class HttpTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        // Requests to 127.0.0.1 must not go to a proxy the environment names.
        for (const char* name : { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY" })
            ::unsetenv(name);
        if (::access("/usr/bin/python3", X_OK) != 0)
            GTEST_SKIP() << "needs /usr/bin/python3 for the loopback HTTP server";

        char pattern[] = "/tmp/corral-sources-http-XXXXXX";
        ASSERT_NE(mkdtemp(pattern), nullptr);
        m_dir = pattern;
        m_root = m_dir + "/root";
        m_served = m_dir + "/served";
        write(m_served + "/s/served.yml", SERVED);

        SpawnOptions options;
        options.argv = { "/usr/bin/python3", "-c", SERVER, m_served };
        options.out = Stdio::Pipe;
        options.in = Stdio::Null;
        auto child = Child::spawn(options);
        ASSERT_FALSE(child.is_error()) << child.error().message();
        m_server.emplace(child.release_value());

        // The server prints its port once it listens.
        std::string line;
        auto deadline = Clock::now() + std::chrono::seconds(20);
        while (line.find('\n') == std::string::npos) {
            pollfd p { m_server->stdout_pipe().get(), POLLIN, 0 };
            long left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
            ASSERT_GT(left, 0) << "the HTTP server did not start";
            ASSERT_EQ(::poll(&p, 1, static_cast<int>(left)), 1) << "the HTTP server did not start";
            char buffer[64];
            ssize_t n = ::read(p.fd, buffer, sizeof buffer);
            ASSERT_GT(n, 0) << "the HTTP server exited";
            line.append(buffer, static_cast<size_t>(n));
        }
        m_base = "http://127.0.0.1:" + line.substr(0, line.find('\n'));
    }

    void TearDown() override
    {
        m_server.reset(); // kills the server by its PID and reaps it
        if (!m_dir.empty()) {
            ASSERT_FALSE(remove_tree(m_dir).is_error());
        }
    }

    void write(const std::string& path, std::string_view text)
    {
        ASSERT_FALSE(mkdir_p(path_dirname(path), 0755).is_error());
        ASSERT_FALSE(write_file_atomic(path, text, 0644).is_error());
    }

    int hits(const std::string& path)
    {
        auto count = http_get(m_base + "/hits" + path);
        EXPECT_FALSE(count.is_error()) << count.error().message();
        return count.is_error() ? -1 : std::stoi(count.value());
    }

    std::string m_dir;
    std::string m_root; // ROS_ROOT for the ServiceSources tests
    std::string m_served; // what the server serves
    std::string m_base; // http://127.0.0.1:<port>
    std::optional<Child> m_server;
};

TEST_F(HttpTest, GetReturnsTheBody)
{
    auto body = http_get(m_base + "/s/served.yml");
    ASSERT_FALSE(body.is_error()) << body.error().message();
    EXPECT_EQ(body.value(), SERVED);
}

TEST_F(HttpTest, RedirectIsFollowed)
{
    auto body = http_get(m_base + "/moved");
    ASSERT_FALSE(body.is_error()) << body.error().message();
    EXPECT_EQ(body.value(), SERVED);
}

TEST_F(HttpTest, NotFoundIsFinalAtOnce)
{
    HttpGetOptions options;
    options.attempts = 3;
    auto start = Clock::now();
    auto body = http_get(m_base + "/s/none.yml", options);
    ASSERT_TRUE(body.is_error());
    EXPECT_EQ(body.error().code(), ENOENT);
    EXPECT_EQ(body.error().message(), "GET " + m_base + "/s/none.yml: HTTP 404");
    EXPECT_EQ(hits("/s/none.yml"), 1);
    EXPECT_LT(elapsed_ms(start), 1000);
}

TEST_F(HttpTest, ForbiddenIsEacces)
{
    auto body = http_get(m_base + "/forbidden");
    ASSERT_TRUE(body.is_error());
    EXPECT_EQ(body.error().code(), EACCES);
    EXPECT_EQ(body.error().message(), "GET " + m_base + "/forbidden: HTTP 403");
}

TEST_F(HttpTest, DeadUrlFailsFastNamingTheUrl)
{
    std::string url = "http://127.0.0.1:" + std::to_string(unused_port()) + "/s/served.yml";
    auto start = Clock::now();
    auto body = http_get(url);
    ASSERT_TRUE(body.is_error());
    EXPECT_EQ(body.error().code(), ECONNREFUSED);
    EXPECT_EQ(body.error().message(), "GET " + url + ": Connection refused");
    EXPECT_LT(elapsed_ms(start), 1000);
}

TEST_F(HttpTest, DeadUrlIsRetriedWithBackoff)
{
    std::string url = "http://127.0.0.1:" + std::to_string(unused_port()) + "/x.yml";
    HttpGetOptions options;
    options.attempts = 3;
    auto start = Clock::now();
    auto body = http_get(url, options);
    long took = elapsed_ms(start);
    ASSERT_TRUE(body.is_error());
    EXPECT_EQ(body.error().code(), ECONNREFUSED);
    EXPECT_EQ(body.error().message(), "GET " + url + ": Connection refused (after 3 attempts)");
    EXPECT_GE(took, 150); // 50 ms, then 100 ms
    EXPECT_LT(took, 2000);
}

TEST_F(HttpTest, ServerErrorsAreRetried)
{
    write(m_served + "/flaky/a.yml", SERVED);
    HttpGetOptions options;
    options.attempts = 3;
    auto body = http_get(m_base + "/flaky/a.yml", options);
    ASSERT_FALSE(body.is_error()) << body.error().message();
    EXPECT_EQ(body.value(), SERVED);
    EXPECT_EQ(hits("/flaky/a.yml"), 3);

    write(m_served + "/flaky/b.yml", SERVED);
    options.attempts = 2;
    auto failed = http_get(m_base + "/flaky/b.yml", options);
    ASSERT_TRUE(failed.is_error());
    EXPECT_EQ(failed.error().code(), EIO);
    EXPECT_EQ(failed.error().message(), "GET " + m_base + "/flaky/b.yml: HTTP 503 (after 2 attempts)");
    EXPECT_EQ(hits("/flaky/b.yml"), 2);
}

TEST_F(HttpTest, SlowServerTimesOut)
{
    HttpGetOptions options;
    options.timeout = milliseconds(300);
    auto start = Clock::now();
    auto body = http_get(m_base + "/slow", options);
    ASSERT_TRUE(body.is_error());
    EXPECT_EQ(body.error().code(), ETIMEDOUT);
    EXPECT_EQ(body.error().message(), "GET " + m_base + "/slow: Connection timed out");
    EXPECT_LT(elapsed_ms(start), 2500);
}

TEST_F(HttpTest, RedirectToAnotherSchemeIsRefused)
{
    auto body = http_get(m_base + "/to-file");
    ASSERT_TRUE(body.is_error());
    EXPECT_EQ(body.error().code(), EPROTONOSUPPORT);
    EXPECT_EQ(body.error().message(), "GET " + m_base + "/to-file: redirected to a URL that is not http or https");
}

TEST_F(HttpTest, BodyIsBounded)
{
    HttpGetOptions options;
    options.max_size = 1000;
    auto body = http_get(m_base + "/big", options);
    ASSERT_TRUE(body.is_error());
    EXPECT_EQ(body.error().code(), EFBIG);
    EXPECT_EQ(body.error().message(), "GET " + m_base + "/big: document larger than 1000 bytes");
}

TEST(HttpGet, OnlyHttpUrls)
{
    auto body = http_get("file:///etc/passwd");
    ASSERT_TRUE(body.is_error());
    EXPECT_EQ(body.error().code(), EPROTONOSUPPORT);
    EXPECT_EQ(body.error().message(), "GET file:///etc/passwd: not an http or https URL");
}

TEST_F(HttpTest, RepositoryOverHttpWithCacheAndUpdate)
{
    write(m_served + "/repo/index.yml", "services: [ntp-extra]\nconsoles: [alpine]\n");
    write(m_served + "/repo/n/ntp-extra.yml", "ntp-extra:\n  image: busybox\n");
    SourceOptions options;
    options.paths.root = m_root;
    options.repositories["web"].url = m_base + "/repo/";
    ServiceSources sources(options);

    auto loaded = sources.load("ntp-extra", Update::No);
    ASSERT_FALSE(loaded.is_error()) << loaded.error().message();
    EXPECT_EQ(loaded->source.location, m_base + "/repo/n/ntp-extra.yml");
    EXPECT_EQ(loaded->source.repository, "web");
    EXPECT_FALSE(loaded->source.from_cache);
    EXPECT_TRUE(loaded->file.definitions.contains("ntp-extra"));

    auto missing = sources.resolve("nope", Update::No);
    ASSERT_TRUE(missing.is_error());
    EXPECT_EQ(missing.error().code(), ENOENT);
    EXPECT_EQ(missing.error().message(), "no service named \"nope\" in repositories web (" + m_base + "/repo/)");

    config::RancherConfig rancher;
    rancher.services_include["ntp-extra"] = true;
    auto available = list_available(sources, Kind::Service, rancher, Update::No);
    EXPECT_TRUE(available.warnings.empty());
    ASSERT_EQ(available.entries.size(), 1u);
    EXPECT_EQ(available.entries[0].name, "ntp-extra");
    EXPECT_TRUE(available.entries[0].enabled);

    // With the server gone, the cache still serves, and -u falls back to it.
    m_server.reset();
    auto cached = sources.resolve("ntp-extra", Update::No);
    ASSERT_FALSE(cached.is_error()) << cached.error().message();
    EXPECT_TRUE(cached->from_cache);
    auto updated = sources.resolve("ntp-extra", Update::Yes);
    ASSERT_FALSE(updated.is_error()) << updated.error().message();
    EXPECT_TRUE(updated->from_cache);
    EXPECT_EQ(updated->warnings,
        std::vector<std::string> { "refreshing failed (GET " + m_base
            + "/repo/n/ntp-extra.yml: Connection refused); "
              "using the copy cached in "
            + sources.cache_path(m_base + "/repo/n/ntp-extra.yml") });
    auto relisted = list_available(sources, Kind::Console, rancher, Update::Yes);
    EXPECT_EQ(relisted.entries.size(), 2u); // alpine and default, from the cached index
    EXPECT_EQ(relisted.warnings,
        std::vector<std::string> { "repository web: refreshing failed (GET " + m_base
            + "/repo/index.yml: Connection refused); using the copy cached in "
            + sources.cache_path(m_base + "/repo/index.yml") });
}

} // namespace
