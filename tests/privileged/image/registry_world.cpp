#include "registry_world.h"

#include "base/file.h"
#include "base/process.h"
#include "base/system.h"

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace corral::test {

using image::Digest;
using image::sha256_of;
using nlohmann::json;
using std::chrono::seconds;

namespace {

constexpr const char* REGISTRY = "/usr/bin/docker-registry";
constexpr const char* SKOPEO = "/usr/bin/skopeo";
constexpr const char* PYTHON = "/usr/bin/python3"; // Debian's, which has python3-jwt
constexpr const char* OPENSSL = "/usr/bin/openssl";
const std::string HERE = CORRAL_SOURCE_DIR "/tests/privileged/image";

// A free TCP port on `address` (the kernel's pick; closed again at once).
int free_port(const char* address = "127.0.0.1")
{
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa {};
    sa.sin_family = AF_INET;
    ::inet_pton(AF_INET, address, &sa.sin_addr);
    socklen_t length = sizeof sa;
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0
        && ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &length) == 0)
        port = ntohs(sa.sin_port);
    ::close(fd);
    return port;
}

bool port_open(int port, const char* address = "127.0.0.1")
{
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa {};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, address, &sa.sin_addr);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
    ::close(fd);
    return ok;
}

} // namespace

// A server process whose output goes to a log file. `timeout` bounds its life
// even if this test dies without cleaning up; SIGTERM to it reaches the server.
class Service {
public:
    static ErrorOr<std::unique_ptr<Service>> start(const std::vector<std::string>& argv, const std::string& log)
    {
        SpawnOptions options;
        // setpriv makes the kernel send SIGTERM to `timeout` (which passes it on to
        // the server) if this test process dies without cleaning up.
        options.argv
            = { "/bin/sh", "-c", "exec setpriv --pdeathsig TERM timeout -k 5 1800 \"$@\" >'" + log + "' 2>&1", "sh" };
        options.argv.insert(options.argv.end(), argv.begin(), argv.end());
        options.in = Stdio::Null;
        auto service = std::make_unique<Service>();
        service->m_child = TRY(Child::spawn(options));
        service->m_log = log;
        return service;
    }
    ~Service()
    {
        if (!m_child)
            return;
        ::kill(m_child->pid(), SIGTERM);
        for (int i = 0; i < 50 && ::waitpid(m_child->pid(), nullptr, WNOHANG) == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        m_child.reset(); // SIGKILL and reap if still there
    }
    std::string log() const
    {
        auto text = read_file(m_log);
        return text.is_error() ? std::string() : text.release_value();
    }

private:
    std::optional<Child> m_child;
    std::string m_log;
};

namespace {

struct Run {
    int code = -1;
    std::string output;
};

Run run_command(std::vector<std::string> argv, int timeout_seconds = 120)
{
    SpawnOptions options;
    options.argv = { "timeout", "-k", "5", std::to_string(timeout_seconds) };
    options.argv.insert(options.argv.end(), argv.begin(), argv.end());
    auto result = run(options);
    if (result.is_error())
        return { -1, result.error().message() };
    return { result->status.code(), result->out + result->err };
}

std::string registry_config(const std::string& storage, int port, const std::string& extra)
{
    return "version: 0.1\n"
           "log:\n  level: info\n  accesslog:\n    disabled: false\n"
           "storage:\n  filesystem:\n    rootdirectory: "
        + storage
        + "\n  maintenance:\n    uploadpurging:\n      enabled: false\n"
          "http:\n  addr: 127.0.0.1:"
        + std::to_string(port) + "\n  secret: corral-test\n" + extra;
}

std::string find_manifest(const std::string& layout, const std::string& name)
{
    auto index = json::parse(read_text(layout + "/index.json"), nullptr, false);
    if (index.is_discarded())
        return {};
    for (auto const& entry : index["manifests"]) {
        if (entry.contains("annotations")
            && entry["annotations"].value("org.opencontainers.image.ref.name", "") == name)
            return entry["digest"].get<std::string>();
    }
    return {};
}

std::string skopeo_copy(const std::string& from, const std::string& to, bool all = false)
{
    std::vector<std::string> argv { SKOPEO, "--insecure-policy", "copy", "--dest-tls-verify=false" };
    if (all)
        argv.push_back("--all");
    argv.push_back(from);
    argv.push_back(to);
    Run r = run_command(argv);
    return r.code == 0 ? std::string() : "skopeo copy " + from + " " + to + ": " + r.output;
}

} // namespace

std::string set_up_registry_world(RegistryWorld& w)
{
    w.storage = w.dir.path() + "/storage";
    std::string d = w.dir.path();

    // Keys: one to sign tokens with, one certificate for the TLS registry.
    Run key = run_command({ OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/token.key",
        "-out", d + "/token.crt", "-days", "2", "-subj", "/CN=corral token issuer" });
    if (key.code != 0)
        return "openssl (token key): " + key.output;
    w.tls_cert = d + "/tls.crt";
    Run cert = run_command({ OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/tls.key",
        "-out", w.tls_cert, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1" });
    if (cert.code != 0)
        return "openssl (tls certificate): " + cert.output;

    w.plain = free_port();
    w.token = free_port();
    w.token_server = free_port();
    w.tls = free_port();
    w.proxy = free_port();
    w.basic = free_port();
    w.stall = free_port();
    // The proxies' storage servers listen on another address: another host to the client.
    int proxy_storage = free_port("127.0.0.2");
    int basic_storage = free_port("127.0.0.2");
    int stall_storage = free_port("127.0.0.2");

    auto write = [&](const std::string& name, const std::string& text) {
        return write_file_atomic(d + "/" + name, text, 0644).is_error() ? "writing " + name : std::string();
    };
    std::string failed = write("plain.yml", registry_config(w.storage, w.plain, ""));
    failed += write("token.yml",
        registry_config(w.storage, w.token,
            "auth:\n  token:\n    realm: http://127.0.0.1:" + std::to_string(w.token_server)
                + "/token\n    service: corral-test\n    issuer: corral-issuer\n    rootcertbundle: " + d
                + "/token.crt\n"));
    failed += write("tls.yml",
        registry_config(w.storage, w.tls, "  tls:\n    certificate: " + w.tls_cert + "\n    key: " + d + "/tls.key\n"));
    if (!failed.empty())
        return failed;

    auto start = [&](std::vector<std::string> argv, const std::string& log) {
        auto service = Service::start(argv, d + "/" + log);
        if (service.is_error())
            return false;
        w.services.push_back(service.release_value());
        return true;
    };
    auto proxy = [&](int port, int upstream, int storage, const std::string& name, std::vector<std::string> extra) {
        std::vector<std::string> argv { PYTHON, HERE + "/registry_proxy.py", "--port", std::to_string(port),
            "--upstream", "http://127.0.0.1:" + std::to_string(upstream), "--storage-port", std::to_string(storage),
            "--storage-root", w.storage, "--log", d + "/" + name + "-requests.log" };
        argv.insert(argv.end(), extra.begin(), extra.end());
        return start(argv, name + ".log");
    };
    bool ok = start({ REGISTRY, "serve", d + "/plain.yml" }, "plain.log")
        && start({ REGISTRY, "serve", d + "/token.yml" }, "token.log")
        && start({ REGISTRY, "serve", d + "/tls.yml" }, "tls.log")
        && start(
            { PYTHON, HERE + "/token_server.py", "--port", std::to_string(w.token_server), "--key", d + "/token.key",
                "--cert", d + "/token.crt", "--issuer", "corral-issuer", "--service", "corral-test", "--user", "alice",
                "--password", "s3cret", "--refresh-token", "refresh-me", "--log", d + "/token-requests.log" },
            "token-server.log")
        && proxy(w.proxy, w.token, proxy_storage, "proxy", { "--cut" })
        && proxy(w.basic, w.plain, basic_storage, "basic", { "--basic", "bob:hunter2" })
        && proxy(w.stall, w.plain, stall_storage, "stall", { "--stall", "60" });
    if (!ok)
        return "starting the servers failed";
    auto deadline = std::chrono::steady_clock::now() + seconds(30);
    for (int port : { w.plain, w.token, w.token_server, w.tls, w.proxy, w.basic, w.stall }) {
        while (!port_open(port) && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (!port_open(port))
            return "a server did not come up on port " + std::to_string(port) + " (logs in " + d + ")";
    }

    // The images, written as OCI layouts and pushed with skopeo.
    for (auto layout : { "/busybox-oci", "/multi-oci", "/corrupt-oci" }) {
        if (mkdir_p(d + layout, 0755).is_error())
            return std::string("mkdir ") + layout;
    }
    auto busybox_binary = read_file(BUSYBOX);
    if (busybox_binary.is_error())
        return busybox_binary.error().message();
    std::string bottom = make_tar({
        { "bin/", TarEntry::Type::Directory, "", 0755 },
        { "bin/busybox", TarEntry::Type::File, busybox_binary.value(), 0755 },
        { "bin/sh", TarEntry::Type::Symlink, "busybox", 0777 },
        { "etc/", TarEntry::Type::Directory, "", 0755 },
        { "etc/old", TarEntry::Type::File, "removed by the layer above\n", 0644 },
    });
    std::string top = make_tar({
        { "etc/", TarEntry::Type::Directory, "", 0755 },
        { "etc/hello", TarEntry::Type::File, "hello from layer 2\n", 0644 },
        { "etc/.wh.old", TarEntry::Type::File, "", 0644 },
    });
    w.busybox = make_image({ gzip_layer(bottom), gzip_layer(top) }, { "v1" });
    write_oci_directory(d + "/busybox-oci", { w.busybox });
    auto manifest = Digest::parse(find_manifest(d + "/busybox-oci", "v1"));
    if (manifest.is_error())
        return "no v1 in the busybox layout";
    w.busybox_manifest = manifest.release_value();

    auto arch_layer = [](const std::string& arch) {
        return gzip_layer(make_tar({ { "etc/", TarEntry::Type::Directory, "", 0755 },
            { "etc/arch", TarEntry::Type::File, arch + "\n", 0644 } }));
    };
    w.amd64 = make_image({ arch_layer("amd64") }, { "amd64" }, "amd64");
    w.arm64 = make_image({ arch_layer("arm64") }, { "arm64" }, "arm64");
    std::string multi_dir = d + "/multi-oci";
    write_oci_directory(multi_dir, { w.amd64, w.arm64 });
    json platforms = json::array();
    for (auto [name, arch] : { std::pair { "amd64", "amd64" }, std::pair { "arm64", "arm64" } }) {
        auto digest = Digest::parse(find_manifest(multi_dir, name));
        if (digest.is_error())
            return std::string("no ") + name + " in the multi layout";
        auto size = sys::stat(multi_dir + "/blobs/sha256/" + digest->hex);
        if (size.is_error())
            return size.error().message();
        platforms.push_back(
            { { "mediaType", "application/vnd.oci.image.manifest.v1+json" }, { "digest", digest->str() },
                { "size", size->st_size }, { "platform", { { "architecture", arch }, { "os", "linux" } } } });
    }
    std::string index_text = json {
        { "schemaVersion", 2 }, { "mediaType", "application/vnd.oci.image.index.v1+json" }, { "manifests", platforms }
    }.dump();
    w.multi_index = sha256_of(index_text);
    json layout_index = json::parse(read_text(multi_dir + "/index.json"));
    layout_index["manifests"].push_back(
        { { "mediaType", "application/vnd.oci.image.index.v1+json" }, { "digest", w.multi_index.str() },
            { "size", index_text.size() }, { "annotations", { { "org.opencontainers.image.ref.name", "multi" } } } });
    if (write_file_atomic(multi_dir + "/blobs/sha256/" + w.multi_index.hex, index_text, 0644).is_error()
        || write_file_atomic(multi_dir + "/index.json", layout_index.dump(), 0644).is_error())
        return "writing the multi-platform layout";

    std::string noise;
    for (int i = 0; i < 200000; ++i)
        noise += static_cast<char>("abcdefghijklmnopqrstuvwxyz0123456789"[(i * 7919 + i / 13) % 36]);
    w.corrupt = make_image({ gzip_layer(make_tar({ { "data", TarEntry::Type::File, noise, 0644 } })) }, { "v1" });
    write_oci_directory(d + "/corrupt-oci", { w.corrupt });

    std::string registry = "docker://127.0.0.1:" + std::to_string(w.plain);
    for (auto error : { skopeo_copy("oci:" + d + "/busybox-oci:v1", registry + "/test/busybox:v1"),
             skopeo_copy("oci:" + multi_dir + ":multi", registry + "/test/multi:v1", true),
             skopeo_copy("oci:" + d + "/corrupt-oci:v1", registry + "/test/corrupt:v1") }) {
        if (!error.empty())
            return error;
    }
    return {};
}

std::string registry_world_skip_reason()
{
    if (::geteuid() != 0)
        return "needs root (layers are unpacked with their owners and whiteout devices)";
    for (const char* tool : { REGISTRY, SKOPEO, PYTHON, OPENSSL, BUSYBOX }) {
        if (::access(tool, X_OK) != 0) {
            return std::string("needs ") + tool
                + " (Debian packages docker-registry, skopeo, python3-jwt, python3-cryptography, openssl, "
                  "busybox-static)";
        }
    }
    if (run_command({ PYTHON, "-c", "import jwt, cryptography" }).code != 0)
        return "needs python3-jwt and python3-cryptography for the token server";
    return {};
}

std::string read_text(const std::string& path)
{
    auto text = read_file(path);
    return text.is_error() ? std::string() : text.release_value();
}

RegistryWorld::RegistryWorld() = default;
RegistryWorld::~RegistryWorld() = default; // the servers stop before `dir` goes

} // namespace corral::test
