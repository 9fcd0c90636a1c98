#pragma once

// Building test images without a registry or Docker: layer tars from a list of
// entries, image configs, and `docker save` / OCI layout archives around them.
// The busybox layer uses Debian's busybox-static (/bin/busybox).

#include "image/digest.h"

#include <string>
#include <sys/types.h>
#include <vector>

namespace corral::test {

struct TarEntry {
    enum class Type {
        File,
        Directory,
        Symlink,
        Hardlink,
    };
    std::string path;
    Type type { Type::File };
    std::string content; // file content, or the link target
    mode_t mode { 0644 };
    uid_t uid { 0 };
    gid_t gid { 0 };
    time_t mtime { 1700000000 };
};

std::string make_tar(const std::vector<TarEntry>& entries);
std::string gzip(std::string_view data);
std::string zstd(std::string_view data);

// A layer with /bin/busybox, /bin/sh -> busybox and a few applet links.
std::string busybox_layer();

struct TestLayer {
    std::string blob; // as stored (maybe compressed)
    std::string media_type;
    image::Digest diff_id; // sha256 of the uncompressed tar
};

TestLayer plain_layer(const std::string& tar);
TestLayer gzip_layer(const std::string& tar);
TestLayer zstd_layer(const std::string& tar);

struct TestImage {
    std::vector<TestLayer> layers;
    std::string config; // JSON
    image::Digest id; // sha256 of config
    std::vector<std::string> tags; // as written in the archive ("busybox:latest")
};

TestImage make_image(std::vector<TestLayer> layers, std::vector<std::string> tags, std::string architecture = "amd64",
    std::string cmd = "sh");

// `docker save` format (legacy: <id>/layer.tar, <config>.json, manifest.json, repositories).
std::string docker_save_archive(const std::vector<TestImage>& images);
// An OCI image layout as a tar stream; tags go into the index annotations.
std::string oci_archive(const std::vector<TestImage>& images);
// The same layout written into a directory.
void write_oci_directory(const std::string& dir, const std::vector<TestImage>& images);

// Temporary directory removed (recursively) when the object dies.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
};

// `docker save` archive of corral-test/busybox:latest: busybox_layer() plus a
// layer with more applet links, /data/seed ("from the image\n"), and an
// /etc/passwd and /etc/group with alice (1000) and staff (50).
std::string busybox_test_archive();

// Removes the (empty) cgroup `name` and its children from every hierarchy
// mounted under /sys/fs/cgroup, whatever controllers this host co-mounts.
void remove_cgroup_everywhere(const std::string& name);

// Runs a shell command; returns stdout; fails the current test on a non-zero exit.
std::string shell(const std::string& command);

} // namespace corral::test
