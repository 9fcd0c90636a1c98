#pragma once

// The registries the pull tests run against, set up once per test process:
// Debian's docker-registry (distribution 2.8) on 127.0.0.1 with images that skopeo
// pushes, built here from busybox-static, plus the token server and the proxies
// (token_server.py, registry_proxy.py). All registries share one storage
// directory: the plain one is where skopeo pushes, the others serve the same
// content. Every server is stopped when the world is destroyed, and dies with
// the test process if that ends first.

#include "image/digest.h"
#include "test_image.h"

#include <memory>
#include <string>
#include <vector>

namespace corral::test {

inline constexpr const char* BUSYBOX = "/bin/busybox";

class Service; // a server process, stopped on destruction

struct RegistryWorld {
    RegistryWorld();
    ~RegistryWorld();

    TempDir dir; // logs of every server and request are in here
    std::string storage; // the registries' shared storage
    int plain = 0; // http, no auth: skopeo pushes here
    int token = 0; // http, token auth
    int token_server = 0;
    int tls = 0; // https, self-signed certificate (tls_cert)
    int proxy = 0; // the token registry behind redirects to storage and cut downloads
    int basic = 0; // the plain registry behind Basic auth (bob:hunter2) and redirects
    int stall = 0; // the plain registry behind redirects whose first downloads stall
    std::string tls_cert;
    std::vector<std::unique_ptr<Service>> services;

    TestImage busybox; // test/busybox:v1: busybox + sh, then a file and a whiteout
    image::Digest busybox_manifest;
    TestImage amd64, arm64; // test/multi:v1, an index of both
    image::Digest multi_index;
    TestImage corrupt; // test/corrupt:v1, one layer of its own to tamper with
};

// Why these tests cannot run here (not root, a tool missing), or "".
std::string registry_world_skip_reason();
// Starts the servers and pushes the images; returns what failed, or "".
std::string set_up_registry_world(RegistryWorld& world);
// A file's content, "" when it cannot be read.
std::string read_text(const std::string& path);

} // namespace corral::test
