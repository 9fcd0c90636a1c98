#include "test_image.h"

#include "base/file.h"
#include "base/process.h"

#include <dirent.h>
#include <archive.h>
#include <archive_entry.h>
#include <cstdlib>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace corral::test {

using nlohmann::json;

namespace {

la_ssize_t append_to_string(struct archive*, void* client, const void* buffer, size_t length)
{
    static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
}

std::string write_archive(const std::vector<TarEntry>& entries, int filter)
{
    std::string out;
    struct archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (filter == ARCHIVE_FILTER_GZIP)
        archive_write_add_filter_gzip(a);
    else if (filter == ARCHIVE_FILTER_ZSTD)
        archive_write_add_filter_zstd(a);
    archive_write_set_bytes_in_last_block(a, 1);
    archive_write_open(a, &out, nullptr, append_to_string, nullptr);
    for (auto const& e : entries) {
        struct archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, e.path.c_str());
        archive_entry_set_perm(entry, e.mode);
        archive_entry_set_uid(entry, e.uid);
        archive_entry_set_gid(entry, e.gid);
        archive_entry_set_mtime(entry, e.mtime, 0);
        switch (e.type) {
        case TarEntry::Type::File:
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
            break;
        case TarEntry::Type::Directory:
            archive_entry_set_filetype(entry, AE_IFDIR);
            break;
        case TarEntry::Type::Symlink:
            archive_entry_set_filetype(entry, AE_IFLNK);
            archive_entry_set_symlink(entry, e.content.c_str());
            break;
        case TarEntry::Type::Hardlink:
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_hardlink(entry, e.content.c_str());
            archive_entry_set_size(entry, 0);
            break;
        }
        archive_write_header(a, entry);
        if (e.type == TarEntry::Type::File && !e.content.empty())
            archive_write_data(a, e.content.data(), e.content.size());
        archive_entry_free(entry);
    }
    archive_write_close(a);
    archive_write_free(a);
    return out;
}

std::string filter_only(std::string_view data, int filter)
{
    // Compress a byte stream (not a tar) with libarchive's raw format.
    std::string out;
    struct archive* a = archive_write_new();
    archive_write_set_format_raw(a);
    if (filter == ARCHIVE_FILTER_GZIP)
        archive_write_add_filter_gzip(a);
    else
        archive_write_add_filter_zstd(a);
    archive_write_set_bytes_per_block(a, 0);
    archive_write_open(a, &out, nullptr, append_to_string, nullptr);
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_size(entry, static_cast<la_int64_t>(data.size()));
    archive_write_header(a, entry);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(entry);
    archive_write_close(a);
    archive_write_free(a);
    return out;
}

} // namespace

std::string make_tar(const std::vector<TarEntry>& entries) { return write_archive(entries, ARCHIVE_FILTER_NONE); }
std::string gzip(std::string_view data) { return filter_only(data, ARCHIVE_FILTER_GZIP); }
std::string zstd(std::string_view data) { return filter_only(data, ARCHIVE_FILTER_ZSTD); }

std::string busybox_layer()
{
    auto binary = read_file("/bin/busybox", 64 * 1024 * 1024);
    EXPECT_FALSE(binary.is_error()) << "Debian's busybox-static provides /bin/busybox";
    std::vector<TarEntry> entries {
        { "bin/", TarEntry::Type::Directory, "", 0755 },
        { "bin/busybox", TarEntry::Type::File, binary.is_error() ? "" : binary.value(), 0755 },
        { "etc/", TarEntry::Type::Directory, "", 0755 },
        { "etc/passwd", TarEntry::Type::File, "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n", 0644 },
        { "etc/group", TarEntry::Type::File, "root:x:0:\nnogroup:x:65534:\n", 0644 },
        { "tmp/", TarEntry::Type::Directory, "", 01777 },
    };
    for (auto applet : { "sh", "ls", "cat", "echo", "true", "false", "sleep", "id", "hostname", "env", "ps", "mount" })
        entries.push_back({ std::string("bin/") + applet, TarEntry::Type::Symlink, "busybox", 0777 });
    return make_tar(entries);
}

TestLayer plain_layer(const std::string& tar)
{
    return { tar, "application/vnd.docker.image.rootfs.diff.tar", image::sha256_of(tar) };
}

TestLayer gzip_layer(const std::string& tar)
{
    return { gzip(tar), "application/vnd.docker.image.rootfs.diff.tar.gzip", image::sha256_of(tar) };
}

TestLayer zstd_layer(const std::string& tar)
{
    return { zstd(tar), "application/vnd.oci.image.layer.v1.tar+zstd", image::sha256_of(tar) };
}

TestImage make_image(std::vector<TestLayer> layers, std::vector<std::string> tags, std::string architecture, std::string cmd)
{
    json diff_ids = json::array();
    json history = json::array();
    for (auto const& layer : layers) {
        diff_ids.push_back(layer.diff_id.str());
        history.push_back({ { "created", "2026-01-01T00:00:00Z" }, { "created_by", "test layer" } });
    }
    json config = { { "architecture", architecture }, { "os", "linux" }, { "created", "2026-01-01T00:00:00Z" },
        { "config", { { "Env", { "PATH=/bin" } }, { "Cmd", { cmd } } } },
        { "rootfs", { { "type", "layers" }, { "diff_ids", diff_ids } } }, { "history", history } };
    TestImage image;
    image.layers = std::move(layers);
    image.config = config.dump();
    image.id = image::sha256_of(image.config);
    image.tags = std::move(tags);
    return image;
}

std::string docker_save_archive(const std::vector<TestImage>& images)
{
    std::vector<TarEntry> entries;
    json manifest = json::array();
    json repositories = json::object();
    for (auto const& image : images) {
        entries.push_back({ image.id.hex + ".json", TarEntry::Type::File, image.config });
        json layers = json::array();
        for (auto const& layer : image.layers) {
            std::string dir = image::sha256_of(layer.diff_id.str() + image.id.hex).hex;
            entries.push_back({ dir + "/", TarEntry::Type::Directory, "", 0755 });
            entries.push_back({ dir + "/VERSION", TarEntry::Type::File, "1.0" });
            entries.push_back({ dir + "/layer.tar", TarEntry::Type::File, layer.blob });
            layers.push_back(dir + "/layer.tar");
        }
        manifest.push_back({ { "Config", image.id.hex + ".json" }, { "RepoTags", image.tags }, { "Layers", layers } });
    }
    entries.push_back({ "manifest.json", TarEntry::Type::File, manifest.dump() });
    return make_tar(entries);
}

namespace {

std::vector<TarEntry> oci_entries(const std::vector<TestImage>& images)
{
    std::vector<TarEntry> entries { { "oci-layout", TarEntry::Type::File, R"({"imageLayoutVersion":"1.0.0"})" },
        { "blobs/", TarEntry::Type::Directory, "", 0755 }, { "blobs/sha256/", TarEntry::Type::Directory, "", 0755 } };
    json manifests = json::array();
    for (auto const& image : images) {
        entries.push_back({ "blobs/sha256/" + image.id.hex, TarEntry::Type::File, image.config });
        json layers = json::array();
        for (auto const& layer : image.layers) {
            image::Digest digest = image::sha256_of(layer.blob);
            entries.push_back({ "blobs/sha256/" + digest.hex, TarEntry::Type::File, layer.blob });
            std::string type = layer.media_type == "application/vnd.docker.image.rootfs.diff.tar.gzip"
                ? "application/vnd.oci.image.layer.v1.tar+gzip"
                : layer.media_type == "application/vnd.docker.image.rootfs.diff.tar" ? "application/vnd.oci.image.layer.v1.tar"
                                                                                      : layer.media_type;
            layers.push_back({ { "mediaType", type }, { "digest", digest.str() }, { "size", layer.blob.size() } });
        }
        json manifest = { { "schemaVersion", 2 }, { "mediaType", "application/vnd.oci.image.manifest.v1+json" },
            { "config", { { "mediaType", "application/vnd.oci.image.config.v1+json" }, { "digest", image.id.str() }, { "size", image.config.size() } } },
            { "layers", layers } };
        std::string text = manifest.dump();
        image::Digest manifest_digest = image::sha256_of(text);
        entries.push_back({ "blobs/sha256/" + manifest_digest.hex, TarEntry::Type::File, text });
        std::vector<std::string> names = image.tags.empty() ? std::vector<std::string> { "" } : image.tags;
        for (auto const& tag : names) {
            json entry = { { "mediaType", "application/vnd.oci.image.manifest.v1+json" }, { "digest", manifest_digest.str() },
                { "size", text.size() } };
            if (!tag.empty())
                entry["annotations"] = { { "org.opencontainers.image.ref.name", tag } };
            manifests.push_back(entry);
        }
    }
    json index = { { "schemaVersion", 2 }, { "manifests", manifests } };
    entries.push_back({ "index.json", TarEntry::Type::File, index.dump() });
    return entries;
}

} // namespace

std::string oci_archive(const std::vector<TestImage>& images) { return make_tar(oci_entries(images)); }

void write_oci_directory(const std::string& dir, const std::vector<TestImage>& images)
{
    for (auto const& entry : oci_entries(images)) {
        std::string path = dir + "/" + entry.path;
        ASSERT_FALSE(mkdir_p(path_dirname(path), 0755).is_error());
        if (entry.type == TarEntry::Type::Directory) {
            ASSERT_FALSE(mkdir_p(path, 0755).is_error());
            continue;
        }
        ASSERT_FALSE(write_file_atomic(path, entry.content, 0644).is_error());
    }
}

TempDir::TempDir()
{
    char pattern[] = "/tmp/corral-test-XXXXXX";
    char* made = mkdtemp(pattern);
    EXPECT_NE(made, nullptr);
    m_path = made ? made : "/nonexistent";
}

TempDir::~TempDir()
{
    // Whiteouts and overlay xattrs are removed like any file.
    (void)remove_tree(m_path);
}

std::string shell(const std::string& command)
{
    SpawnOptions options;
    options.argv = { "/bin/sh", "-c", command };
    auto result = run(options);
    EXPECT_FALSE(result.is_error()) << command;
    if (result.is_error())
        return {};
    EXPECT_EQ(result->status.code(), 0) << command << "\n" << result->err;
    return result->out;
}

std::string busybox_test_archive()
{
    std::vector<TarEntry> extra {
        { "bin/", TarEntry::Type::Directory, "", 0755 },
        { "data/", TarEntry::Type::Directory, "", 0755 },
        { "data/seed", TarEntry::Type::File, "from the image\n", 0644 },
        { "etc/", TarEntry::Type::Directory, "", 0755 },
        { "etc/passwd", TarEntry::Type::File,
            "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:alice:/home/alice:/bin/sh\n", 0644 },
        { "etc/group", TarEntry::Type::File, "root:x:0:\nalice:x:1000:\nstaff:x:50:alice\n", 0644 },
    };
    for (auto applet : { "touch", "grep", "wc", "kill", "stat", "test", "hostname", "cat", "readlink", "head", "printf" })
        extra.push_back({ std::string("bin/") + applet, TarEntry::Type::Symlink, "busybox", 0777 });
    auto image = make_image({ plain_layer(busybox_layer()), plain_layer(make_tar(extra)) }, { "corral-test/busybox:latest" });
    return docker_save_archive({ image });
}

namespace {

void remove_cgroup_tree(const std::string& path)
{
    DIR* dir = ::opendir(path.c_str());
    if (!dir)
        return;
    std::vector<std::string> children;
    while (auto* entry = ::readdir(dir)) {
        if (entry->d_type == DT_DIR && entry->d_name[0] != '.')
            children.push_back(path + "/" + entry->d_name);
    }
    ::closedir(dir);
    for (auto const& child : children)
        remove_cgroup_tree(child);
    ::rmdir(path.c_str());
}

} // namespace

void remove_cgroup_everywhere(const std::string& name)
{
    remove_cgroup_tree("/sys/fs/cgroup/" + name);
    DIR* root = ::opendir("/sys/fs/cgroup");
    if (!root)
        return;
    std::vector<std::string> hierarchies;
    while (auto* entry = ::readdir(root)) {
        if (entry->d_type == DT_DIR && entry->d_name[0] != '.')
            hierarchies.push_back(std::string("/sys/fs/cgroup/") + entry->d_name);
    }
    ::closedir(root);
    for (auto const& hierarchy : hierarchies)
        remove_cgroup_tree(hierarchy + "/" + name);
}

} // namespace corral::test
