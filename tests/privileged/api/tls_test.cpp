// system-dockerd on TCP with mutual TLS (-H tcp://… --tlsverify), driven by
// the stock docker CLI with client certificates made here by openssl: the
// API works through TLS (streams and hijacked attaches included); clients
// without a certificate from the CA, and plain HTTP, are turned away while
// the daemon keeps serving; and a TCP listener without mutual TLS, or with
// broken key material, is refused at start.

#include "base/process.h"
#include "base/strings.h"
#include "test_daemon.h"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace corral;
using namespace corral::test;

namespace {

// A port that was free a moment ago on 127.0.0.1.
int free_port()
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

// A CA, a server certificate for 127.0.0.1, a client certificate from the
// CA, and a client certificate from another CA, as docker's TLS guide makes.
void make_certificates(const std::string& dir)
{
    std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    shell("cd " + dir + " && set -e"
        + "; openssl req -x509 " + ec + " -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=corral-ca 2>/dev/null"
        + "; openssl req -x509 " + ec + " -keyout other-ca-key.pem -out other-ca.pem -days 2 -subj /CN=other 2>/dev/null"
        + "; printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > server.ext"
        + "; printf 'extendedKeyUsage=clientAuth\\n' > client.ext"
        + "; openssl req " + ec + " -keyout server-key.pem -out server.csr -subj /CN=server 2>/dev/null"
        + "; openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2"
          " -extfile server.ext -out server-cert.pem 2>/dev/null"
        + "; mkdir client rogue; cp ca.pem client/ca.pem; cp ca.pem rogue/ca.pem"
        + "; openssl req " + ec + " -keyout client/key.pem -out client.csr -subj /CN=client 2>/dev/null"
        + "; openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2"
          " -extfile client.ext -out client/cert.pem 2>/dev/null"
        + "; openssl req " + ec + " -keyout rogue/key.pem -out rogue.csr -subj /CN=rogue 2>/dev/null"
        + "; openssl x509 -req -in rogue.csr -CA other-ca.pem -CAkey other-ca-key.pem -CAcreateserial -days 2"
          " -extfile client.ext -out rogue/cert.pem 2>/dev/null");
}

class Tls : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        if (::geteuid() != 0 || ::access(TestDaemon::DOCKER, X_OK) != 0 || ::access("/usr/bin/openssl", X_OK) != 0)
            return;
        s_certs = new TempDir();
        make_certificates(s_certs->path());
        s_address = "tcp://127.0.0.1:" + std::to_string(free_port());
        std::string certs = s_certs->path();
        s_daemon = TestDaemon::start({ ROS_BINARY, "corral-tls-test",
                                         { "-H", s_address, "--tlsverify", "--tlscacert", certs + "/ca.pem", "--tlscert",
                                             certs + "/server-cert.pem", "--tlskey", certs + "/server-key.pem" } })
                       .release();
    }

    static void TearDownTestSuite()
    {
        delete s_daemon;
        s_daemon = nullptr;
        delete s_certs;
        s_certs = nullptr;
    }

    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (the daemon runs containers)";
        if (::access(TestDaemon::DOCKER, X_OK) != 0)
            GTEST_SKIP() << "no docker CLI at " << TestDaemon::DOCKER;
        if (::access("/usr/bin/openssl", X_OK) != 0)
            GTEST_SKIP() << "no /usr/bin/openssl to make certificates with";
        ASSERT_NE(s_daemon, nullptr);
    }

    // The stock CLI over TCP with the given TLS flags (DOCKER_CERT_PATH
    // style: a directory with ca.pem, cert.pem and key.pem).
    static CliResult docker_tcp(const std::vector<std::string>& tls_flags, const std::vector<std::string>& args,
        const std::string& input = {})
    {
        SpawnOptions options;
        options.argv = { TestDaemon::DOCKER, "-H", s_address };
        options.argv.insert(options.argv.end(), tls_flags.begin(), tls_flags.end());
        options.argv.insert(options.argv.end(), args.begin(), args.end());
        options.env = s_daemon->client_env();
        auto result = run(options, input);
        if (result.is_error())
            return { -1, "", result.error().message() };
        return { result->status.code(), result->out, result->err };
    }

    static std::vector<std::string> verified(const std::string& who)
    {
        std::string dir = s_certs->path() + "/" + who;
        return { "--tlsverify", "--tlscacert", dir + "/ca.pem", "--tlscert", dir + "/cert.pem", "--tlskey",
            dir + "/key.pem" };
    }

    // system-dockerd with these flags on a fresh data root, expected to refuse
    // to start: its exit code and what it said.
    static CliResult start_refused(std::vector<std::string> flags)
    {
        std::string root = s_certs->path() + "/refused";
        SpawnOptions options;
        options.argv = { s_daemon->applet("system-dockerd"), "--data-root", root + "/data", "--exec-root",
            root + "/exec", "--pidfile", root + "/pid", "-H", "unix://" + root + ".sock" };
        options.argv.insert(options.argv.end(), flags.begin(), flags.end());
        auto result = run(options);
        if (result.is_error())
            return { -1, "", result.error().message() };
        return { result->status.code(), result->out, result->err };
    }

    static inline TempDir* s_certs = nullptr;
    static inline TestDaemon* s_daemon = nullptr;
    static inline std::string s_address;
};

TEST_F(Tls, TheStockCliWorksThroughMutualTls)
{
    auto version = docker_tcp(verified("client"), { "version", "--format", "{{.Server.APIVersion}}" });
    EXPECT_EQ(version.code, 0) << version.err;
    EXPECT_EQ(version.out, "1.41\n");
    // A hijacked attach through TLS: stdin in (larger than a TLS record, and
    // closed at its end), stdout and stderr out, and the exit code.
    std::string input(200000, 'x');
    input += "\n";
    auto run = docker_tcp(verified("client"),
        { "run", "--rm", "-i", "--net", "none", "corral-test/busybox", "sh", "-c", "wc -c; echo err >&2; exit 3" },
        input);
    EXPECT_EQ(run.code, 3) << run.err;
    EXPECT_EQ(std::string(trim(run.out)), "200001");
    EXPECT_EQ(run.err, "err\n");
    auto detached = docker_tcp(verified("client"),
        { "run", "-d", "--name", "tls-logs", "--net", "none", "corral-test/busybox", "sh", "-c", "echo one; echo two" });
    ASSERT_EQ(detached.code, 0) << detached.err;
    auto waited = docker_tcp(verified("client"), { "wait", "tls-logs" });
    EXPECT_EQ(waited.out, "0\n") << waited.err;
    auto logs = docker_tcp(verified("client"), { "logs", "tls-logs" });
    EXPECT_EQ(logs.out, "one\ntwo\n") << logs.err;
    auto ps = docker_tcp(verified("client"), { "ps", "-a", "--format", "{{.Names}} {{.Status}}" });
    EXPECT_EQ(ps.out.substr(0, 19), "tls-logs Exited (0)") << ps.out << ps.err;
    // The Unix socket serves alongside.
    EXPECT_EQ(s_daemon->docker({ "ps", "-aq" }).code, 0);
    docker_tcp(verified("client"), { "rm", "tls-logs" });
}

TEST_F(Tls, ClientsWithoutACertificateFromTheCaAreTurnedAway)
{
    std::string ca = s_certs->path() + "/ca.pem";
    auto anonymous = docker_tcp({ "--tls", "--tlscacert", ca }, { "version", "--format", "{{.Server.Version}}" });
    EXPECT_EQ(anonymous.code, 1);
    EXPECT_NE(anonymous.err.find("certificate required"), std::string::npos) << anonymous.err;
    // Go withholds a certificate that the server's list of CAs does not
    // name; curl presents it anyway, and the handshake fails on it.
    auto rogue = docker_tcp(verified("rogue"), { "version", "--format", "{{.Server.Version}}" });
    EXPECT_EQ(rogue.code, 1);
    EXPECT_NE(rogue.err.find("certificate required"), std::string::npos) << rogue.err;
    auto curl = [&](const std::string& who) {
        std::string dir = s_certs->path() + "/" + who;
        SpawnOptions options;
        options.argv = { "/usr/bin/curl", "-sS", "--max-time", "10", "--cacert", dir + "/ca.pem", "--cert",
            dir + "/cert.pem", "--key", dir + "/key.pem", "https://" + s_address.substr(6) + "/_ping" };
        auto result = run(options);
        return result.is_error() ? CliResult { -1, "", result.error().message() }
                                 : CliResult { result->status.code(), result->out, result->err };
    };
    auto rogue_curl = curl("rogue");
    EXPECT_NE(rogue_curl.code, 0);
    EXPECT_EQ(rogue_curl.out, "");
    EXPECT_NE(rogue_curl.err.find("alert unknown ca"), std::string::npos) << rogue_curl.err;
    auto good_curl = curl("client");
    EXPECT_EQ(good_curl.code, 0) << good_curl.err;
    EXPECT_EQ(good_curl.out, "OK");
    auto plain = docker_tcp({}, { "version", "--format", "{{.Server.Version}}" });
    EXPECT_EQ(plain.code, 1);
    EXPECT_NE(plain.err.find("error during connect"), std::string::npos) << plain.err;
    // The daemon is unharmed.
    auto after = docker_tcp(verified("client"), { "version", "--format", "{{.Server.APIVersion}}" });
    EXPECT_EQ(after.out, "1.41\n") << after.err;
}

TEST_F(Tls, ATcpListenerWithoutMutualTlsIsRefused)
{
    std::string certs = s_certs->path();
    auto bare = start_refused({ "-H", "tcp://127.0.0.1:" + std::to_string(free_port()) });
    EXPECT_EQ(bare.code, 1);
    EXPECT_NE(bare.err.find("refusing to listen on tcp://127.0.0.1:"), std::string::npos) << bare.err;
    EXPECT_NE(bare.err.find("without mutual TLS"), std::string::npos) << bare.err;

    auto server_only = start_refused({ "--tls", "--tlscert", certs + "/server-cert.pem", "--tlskey",
        certs + "/server-key.pem", "-H", "tcp://127.0.0.1:" + std::to_string(free_port()) });
    EXPECT_EQ(server_only.code, 1);
    EXPECT_NE(server_only.err.find("--tls without --tlsverify is refused"), std::string::npos) << server_only.err;

    auto mismatched = start_refused({ "--tlsverify", "--tlscacert", certs + "/ca.pem", "--tlscert",
        certs + "/server-cert.pem", "--tlskey", certs + "/client/key.pem", "-H",
        "tcp://127.0.0.1:" + std::to_string(free_port()) });
    EXPECT_EQ(mismatched.code, 1);
    EXPECT_NE(mismatched.err.find("loading the TLS key " + certs + "/client/key.pem"), std::string::npos)
        << mismatched.err;

    auto missing = start_refused({ "--tlsverify", "--tlscacert", certs + "/nope.pem", "--tlscert",
        certs + "/server-cert.pem", "--tlskey", certs + "/server-key.pem", "-H",
        "tcp://127.0.0.1:" + std::to_string(free_port()) });
    EXPECT_EQ(missing.code, 1);
    EXPECT_NE(missing.err.find("loading the TLS CA certificate " + certs + "/nope.pem"), std::string::npos)
        << missing.err;
}

// Our client over the same TLS: the same answers as the stock CLI's.
TEST_F(Tls, SystemDockerSpeaksMutualTlsToo)
{
    std::string client = s_daemon->applet("system-docker");
    auto ours = [&](const std::vector<std::string>& tls_flags, const std::vector<std::string>& args,
                    const std::string& input = {}) {
        SpawnOptions options;
        options.argv = { client, "-H", s_address };
        options.argv.insert(options.argv.end(), tls_flags.begin(), tls_flags.end());
        options.argv.insert(options.argv.end(), args.begin(), args.end());
        options.env = s_daemon->client_env();
        auto result = run(options, input);
        return result.is_error() ? CliResult { -1, "", result.error().message() }
                                 : CliResult { result->status.code(), result->out, result->err };
    };
    auto version = ours(verified("client"), { "version", "--format", "{{.Server.APIVersion}}" });
    EXPECT_EQ(version.code, 0) << version.err;
    EXPECT_EQ(version.out, "1.41\n");
    std::string input(100000, 'y');
    auto run_i = ours(verified("client"),
        { "run", "--rm", "-i", "--net", "none", "corral-test/busybox", "sh", "-c", "wc -c; echo err >&2; exit 4" }, input);
    EXPECT_EQ(run_i.code, 4) << run_i.err;
    EXPECT_EQ(std::string(trim(run_i.out)), "100000");
    EXPECT_EQ(run_i.err, "err\n");
    auto format = std::vector<std::string> { "images", "--format", "{{.Repository}}:{{.Tag}}" };
    EXPECT_EQ(ours(verified("client"), format).out, docker_tcp(verified("client"), format).out);

    // DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the docker CLI reads them.
    SpawnOptions options;
    options.argv = { client, "-H", s_address, "version", "--format", "{{.Server.APIVersion}}" };
    options.env = s_daemon->client_env();
    options.env->push_back("DOCKER_TLS_VERIFY=1");
    options.env->push_back("DOCKER_CERT_PATH=" + s_certs->path() + "/client");
    auto from_env = run(options);
    ASSERT_FALSE(from_env.is_error());
    EXPECT_EQ(from_env->out, "1.41\n") << from_env->err;

    // A daemon certificate from another CA is refused; so is a client without one.
    std::string rogue_ca = s_certs->path() + "/other-ca.pem";
    auto wrong_ca = ours({ "--tlsverify", "--tlscacert", rogue_ca }, { "version" });
    EXPECT_EQ(wrong_ca.code, 1);
    EXPECT_NE(wrong_ca.err.find("certificate verify failed"), std::string::npos) << wrong_ca.err;
    auto anonymous = ours({ "--tlsverify", "--tlscacert", s_certs->path() + "/ca.pem", "--tlscert", "", "--tlskey", "" },
        { "version", "--format", "{{.Server.APIVersion}}" });
    EXPECT_EQ(anonymous.code, 1);
    auto refused = ours(verified("client"), { "-H", "tcp://127.0.0.1:1", "ps" });
    EXPECT_EQ(refused.code, 1);
}

} // namespace
