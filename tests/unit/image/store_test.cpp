// The content store with real files: loading and saving archives, references,
// removal and garbage collection, and recovery from interrupted writes.

#include "base/file.h"
#include "base/system.h"
#include "image/archive.h"
#include "image/store.h"
#include "test_image.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace corral;
using namespace corral::image;
using corral::test::TarEntry;

namespace {

class StoreTest : public ::testing::Test {
protected:
    void SetUp() override { m_store = open_store(m_dir.path() + "/store"); }

    static std::unique_ptr<Store> open_store(const std::string& path)
    {
        auto store = Store::open(path);
        EXPECT_FALSE(store.is_error()) << store.error().message();
        return store.is_error() ? nullptr : store.release_value();
    }

    // Loads bytes through a pipe, as `docker load` streams them.
    ErrorOr<LoadResult> load_bytes(Store& store, const std::string& bytes)
    {
        std::string path = m_dir.path() + "/input.tar";
        TRY(write_file_atomic(path, bytes, 0600));
        Fd fd = TRY(sys::open(path, O_RDONLY));
        return load_archive(store, fd.get());
    }

    std::string save_bytes(const Store& store, const std::vector<std::string>& names, ArchiveFormat format)
    {
        std::string path = m_dir.path() + "/output.tar";
        auto fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        EXPECT_FALSE(fd.is_error());
        auto saved = save_archive(store, names, fd->get(), format);
        EXPECT_FALSE(saved.is_error()) << saved.error().message();
        return read_file(path).value();
    }

    test::TestImage two_layer_image(std::vector<std::string> tags)
    {
        std::string upper = test::make_tar({ { "etc/", TarEntry::Type::Directory, "", 0755 },
            { "etc/motd", TarEntry::Type::File, "hello\n", 0640 }, { "bin/ll", TarEntry::Type::Symlink, "busybox", 0777 },
            { "etc/motd.link", TarEntry::Type::Hardlink, "etc/motd" } });
        return test::make_image({ test::plain_layer(test::busybox_layer()), test::gzip_layer(upper) }, std::move(tags));
    }

    test::TempDir m_dir;
    std::unique_ptr<Store> m_store;
};

} // namespace

TEST_F(StoreTest, LoadsADockerSaveArchive)
{
    auto image = two_layer_image({ "busybox:latest", "example.com/tools/bb:1" });
    auto result = load_bytes(*m_store, test::docker_save_archive({ image }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    ASSERT_EQ(result->images.size(), 1u);
    EXPECT_EQ(result->images[0].id, image.id); // the image ID is the config digest
    EXPECT_EQ(result->messages, (std::vector<std::string> { "Loaded image: busybox:latest", "Loaded image: example.com/tools/bb:1" }));

    ImageRecord record = m_store->resolve("busybox").value();
    EXPECT_EQ(record.id, image.id);
    EXPECT_EQ(record.diff_ids, (std::vector<Digest> { image.layers[0].diff_id, image.layers[1].diff_id }));
    EXPECT_EQ(record.references, (std::vector<std::string> { "docker.io/library/busybox:latest", "example.com/tools/bb:1" }));
    EXPECT_EQ(m_store->resolve(image.id.hex.substr(0, 12)).value().id, image.id);
    EXPECT_EQ(m_store->resolve(image.id.str()).value().id, image.id);
    EXPECT_EQ(m_store->resolve("nothere").error().code(), ENOENT);
    EXPECT_EQ(m_store->resolve("nothere").error().message(), "No such image: nothere");

    auto dirs = m_store->layer_dirs(record).value();
    ASSERT_EQ(dirs.size(), 2u);
    struct stat st { };
    ASSERT_EQ(::stat((dirs[1] + "/bin/busybox").c_str(), &st), 0); // bottom layer last
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    EXPECT_EQ(read_file(dirs[0] + "/etc/motd").value(), "hello\n");
    ASSERT_EQ(::lstat((dirs[0] + "/bin/ll").c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode));
    struct stat linked { };
    ASSERT_EQ(::stat((dirs[0] + "/etc/motd.link").c_str(), &linked), 0);
    ASSERT_EQ(::stat((dirs[0] + "/etc/motd").c_str(), &st), 0);
    EXPECT_EQ(linked.st_ino, st.st_ino);
}

TEST_F(StoreTest, LayersAreSharedBetweenImages)
{
    auto first = test::make_image({ test::plain_layer(test::busybox_layer()) }, { "a:1" }, "amd64", "sh");
    auto second = test::make_image({ test::plain_layer(test::busybox_layer()) }, { "b:1" }, "amd64", "true");
    ASSERT_FALSE(load_bytes(*m_store, test::docker_save_archive({ first, second })).is_error());
    auto a = m_store->resolve("a:1").value();
    auto b = m_store->resolve("b:1").value();
    EXPECT_NE(a.id, b.id);
    EXPECT_EQ(m_store->layer_dirs(a).value(), m_store->layer_dirs(b).value());
}

TEST_F(StoreTest, SaveThenLoadRoundTripsByDigest)
{
    auto image = two_layer_image({ "busybox:latest" });
    ASSERT_FALSE(load_bytes(*m_store, test::docker_save_archive({ image })).is_error());
    for (auto format : { ArchiveFormat::DockerSave, ArchiveFormat::OciLayout }) {
        std::string saved = save_bytes(*m_store, { "busybox" }, format);
        auto other = open_store(m_dir.path() + (format == ArchiveFormat::DockerSave ? "/docker" : "/oci"));
        auto result = load_bytes(*other, saved);
        ASSERT_FALSE(result.is_error()) << result.error().message();
        ImageRecord loaded = other->resolve("busybox:latest").value();
        EXPECT_EQ(loaded.id, image.id);
        EXPECT_EQ(loaded.diff_ids, m_store->resolve("busybox").value().diff_ids);
        EXPECT_EQ(loaded.references, std::vector<std::string> { "docker.io/library/busybox:latest" });
    }
}

TEST_F(StoreTest, LoadsOciLayoutsFromTarAndDirectory)
{
    auto image = test::make_image({ test::zstd_layer(test::busybox_layer()) }, { "registry.local/x:v1" });
    auto result = load_bytes(*m_store, test::oci_archive({ image }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(m_store->resolve("registry.local/x:v1").value().id, image.id);

    auto other = open_store(m_dir.path() + "/other");
    std::string layout = m_dir.path() + "/layout";
    test::write_oci_directory(layout, { image });
    auto from_dir = load_oci_directory(*other, layout);
    ASSERT_FALSE(from_dir.is_error()) << from_dir.error().message();
    EXPECT_EQ(from_dir->images[0].id, image.id);
}

TEST_F(StoreTest, MultiImageArchiveWithoutTagsReportsIds)
{
    auto untagged = test::make_image({ test::plain_layer(test::busybox_layer()) }, {});
    auto result = load_bytes(*m_store, test::docker_save_archive({ untagged }));
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(result->messages, std::vector<std::string> { "Loaded image ID: " + untagged.id.str() });
    EXPECT_TRUE(m_store->resolve(untagged.id.str()).value().references.empty());
}

TEST_F(StoreTest, CorruptContentIsRejectedAndLeavesNoImage)
{
    // A layer whose content does not match the diffID in the config.
    auto image = test::make_image({ test::plain_layer(test::busybox_layer()) }, { "bad:1" });
    image.layers[0].blob = test::make_tar({ { "other", TarEntry::Type::File, "x" } });
    auto result = load_bytes(*m_store, test::docker_save_archive({ image }));
    ASSERT_TRUE(result.is_error());
    EXPECT_NE(result.error().message().find("diffID mismatch"), std::string::npos) << result.error().message();
    EXPECT_TRUE(m_store->list().empty());
    EXPECT_EQ(m_store->resolve("bad:1").error().code(), ENOENT);

    // An OCI blob whose name is not its digest.
    std::string oci = test::oci_archive({ test::make_image({ test::plain_layer(test::busybox_layer()) }, { "x/y:1" }) });
    std::string needle = "root:x:0:0";
    auto at = oci.find(needle);
    ASSERT_NE(at, std::string::npos);
    oci[at] = 'R';
    auto tampered = load_bytes(*m_store, oci);
    ASSERT_TRUE(tampered.is_error());
    EXPECT_NE(tampered.error().message().find("digest mismatch"), std::string::npos) << tampered.error().message();
}

TEST_F(StoreTest, MalformedArchivesGetClearErrors)
{
    EXPECT_EQ(load_bytes(*m_store, test::make_tar({ { "hello", TarEntry::Type::File, "x" } })).error().message(),
        "not an image archive: it has neither manifest.json nor index.json");
    EXPECT_EQ(load_bytes(*m_store, test::make_tar({ { "manifest.json", TarEntry::Type::File, "{" } })).error().message(),
        "image archive: manifest.json is not a JSON list");
    auto missing = load_bytes(*m_store,
        test::make_tar({ { "manifest.json", TarEntry::Type::File, R"([{"Config":"c.json","Layers":["l/layer.tar"]}])" } }));
    EXPECT_EQ(missing.error().message(), "image archive: manifest.json entry 0: image archive: \"c.json\" is missing");
    EXPECT_TRUE(load_bytes(*m_store, "this is not a tar file at all").is_error());
    // Member names are only keys: a hostile one writes nothing outside the store.
    auto image = test::make_image({ test::plain_layer(test::busybox_layer()) }, { "ok:1" });
    std::string archive = test::docker_save_archive({ image });
    auto hostile = test::make_tar({ { "../../../../tmp/corral-escape-test", TarEntry::Type::File, "x" },
        { "manifest.json", TarEntry::Type::File, "[]" } });
    ASSERT_FALSE(load_bytes(*m_store, hostile).is_error());
    EXPECT_NE(::access("/tmp/corral-escape-test", F_OK), 0);
}

TEST_F(StoreTest, RemoveUntagsThenDeletes)
{
    auto image = two_layer_image({ "busybox:latest", "busybox:1" });
    ASSERT_FALSE(load_bytes(*m_store, test::docker_save_archive({ image })).is_error());
    auto dirs = m_store->layer_dirs(m_store->resolve("busybox").value()).value();

    // By ID while two names point at it: refused unless forced.
    auto refused = m_store->remove(image.id.hex.substr(0, 12));
    ASSERT_TRUE(refused.is_error());
    EXPECT_EQ(refused.error().code(), EEXIST);

    auto untag = m_store->remove("busybox:1").value();
    EXPECT_EQ(untag.untagged, std::vector<std::string> { "docker.io/library/busybox:1" });
    EXPECT_TRUE(untag.deleted.empty());

    // In use by a container: by ID, and by its last name, refused unless
    // forced; forced by name, it is only untagged (the container keeps it).
    RemoveOptions in_use;
    in_use.in_use = [&](const Digest& id) { return id == image.id; };
    in_use.used_by = [&](const Digest&) { return std::string(64, 'c'); };
    auto busy = m_store->remove(image.id.str(), in_use);
    ASSERT_TRUE(busy.is_error());
    EXPECT_EQ(busy.error().code(), EBUSY);
    auto last_name = m_store->remove("busybox:latest", in_use);
    ASSERT_TRUE(last_name.is_error());
    EXPECT_EQ(last_name.error().message(),
        "conflict: unable to remove repository reference \"busybox:latest\" (must force) - container cccccccccccc "
        "is using its referenced image "
            + image.id.hex.substr(0, 12));
    in_use.force = true;
    auto untagged = m_store->remove("busybox:latest", in_use).value();
    EXPECT_EQ(untagged.untagged, std::vector<std::string> { "docker.io/library/busybox:latest" });
    EXPECT_TRUE(untagged.deleted.empty());
    ASSERT_FALSE(m_store->tag(Reference::parse("busybox:latest").value(), image.id).is_error());

    auto deleted = m_store->remove("busybox:latest").value();
    EXPECT_EQ(deleted.deleted, std::vector<Digest> { image.id });
    EXPECT_GT(deleted.reclaimed, 0);
    EXPECT_TRUE(m_store->list().empty());
    EXPECT_NE(::access(dirs[0].c_str(), F_OK), 0); // layers collected
    EXPECT_FALSE(m_store->has_blob(image.id));
}

TEST_F(StoreTest, PruneRemovesDanglingImages)
{
    auto tagged = test::make_image({ test::plain_layer(test::busybox_layer()) }, { "keep:1" }, "amd64", "sh");
    auto dangling = test::make_image({ test::plain_layer(test::busybox_layer()) }, {}, "amd64", "true");
    ASSERT_FALSE(load_bytes(*m_store, test::docker_save_archive({ tagged, dangling })).is_error());
    auto pruned = m_store->prune().value();
    EXPECT_EQ(pruned.deleted, std::vector<Digest> { dangling.id });
    EXPECT_EQ(m_store->list().size(), 1u);
    PruneOptions all;
    all.all = true;
    EXPECT_EQ(m_store->prune(all).value().deleted, std::vector<Digest> { tagged.id });
}

TEST_F(StoreTest, StateSurvivesReopenAndLeftoversAreCleaned)
{
    auto image = two_layer_image({ "busybox:latest" });
    ASSERT_FALSE(load_bytes(*m_store, test::docker_save_archive({ image })).is_error());
    std::string root = m_store->root();
    m_store.reset();

    // What a crash mid-write leaves: a temporary blob, a half-unpacked layer, a
    // temporary image record, a record that does not parse.
    ASSERT_FALSE(write_file_atomic(root + "/ingest/blob-123", "partial", 0600).is_error());
    ASSERT_FALSE(mkdir_p(root + "/layers/tmp-abc/diff/etc", 0755).is_error());
    ASSERT_FALSE(write_file_atomic(root + "/images/.x.json.tmp-1", "{", 0600).is_error());
    ASSERT_FALSE(write_file_atomic(root + "/images/" + std::string(64, 'e') + ".json", "{not json", 0600).is_error());

    m_store = open_store(root);
    ASSERT_TRUE(m_store);
    auto reopened = m_store->resolve("busybox");
    ASSERT_FALSE(reopened.is_error()) << reopened.error().message();
    EXPECT_EQ(reopened->id, image.id);
    EXPECT_NE(::access((root + "/ingest/blob-123").c_str(), F_OK), 0);
    EXPECT_NE(::access((root + "/layers/tmp-abc").c_str(), F_OK), 0);
    EXPECT_NE(::access((root + "/images/.x.json.tmp-1").c_str(), F_OK), 0);
    EXPECT_EQ(m_store->list().size(), 1u);
}

TEST_F(StoreTest, GarbageCollectionKeepsWhatIsReferenced)
{
    auto image = two_layer_image({ "busybox:latest" });
    ASSERT_FALSE(load_bytes(*m_store, test::docker_save_archive({ image })).is_error());
    Digest stray = m_store->put_blob("unreferenced").value();
    EXPECT_TRUE(m_store->has_blob(stray));
    int64_t freed = m_store->collect_garbage().value();
    EXPECT_EQ(freed, 12);
    EXPECT_FALSE(m_store->has_blob(stray));
    EXPECT_TRUE(m_store->has_blob(image.id));
    EXPECT_FALSE(m_store->layer_dirs(m_store->resolve("busybox").value()).is_error());
}

TEST_F(StoreTest, BlobWriterVerifiesDigestAndSize)
{
    auto writer = m_store->ingest().release_value();
    ASSERT_FALSE(writer.write("abc").is_error());
    auto wrong = writer.commit(sha256_of("abd"));
    ASSERT_TRUE(wrong.is_error());
    EXPECT_EQ(wrong.error().message(), "blob digest mismatch: expected " + sha256_of("abd").str() + ", got " + sha256_of("abc").str());
    auto sized = m_store->ingest().release_value();
    ASSERT_FALSE(sized.write("abc").is_error());
    EXPECT_TRUE(sized.commit(sha256_of("abc"), 4).is_error());
    EXPECT_FALSE(m_store->has_blob(sha256_of("abc")));
    EXPECT_EQ(m_store->put_blob("abc").value(), sha256_of("abc"));
    EXPECT_EQ(m_store->read_blob(sha256_of("abc")).value(), "abc");
}

TEST_F(StoreTest, RemoveLeavesBlobsOfAPullInFlight)
{
    auto image = two_layer_image({ "busybox:latest" });
    ASSERT_FALSE(load_bytes(*m_store, test::docker_save_archive({ image })).is_error());
    // A blob another pull has committed but not yet made part of an image.
    Digest in_flight = m_store->put_blob("layer of a pull in progress").value();
    auto deleted = m_store->remove("busybox:latest").value();
    EXPECT_EQ(deleted.deleted, std::vector<Digest> { image.id });
    EXPECT_FALSE(m_store->has_blob(image.id));
    EXPECT_TRUE(m_store->has_blob(in_flight));
    EXPECT_TRUE(m_store->prune().value().deleted.empty());
    EXPECT_TRUE(m_store->has_blob(in_flight));
    // An explicit collection takes it.
    EXPECT_GT(m_store->collect_garbage().value(), 0);
    EXPECT_FALSE(m_store->has_blob(in_flight));
}

TEST_F(StoreTest, ManySmallMetadataMembersAreBounded)
{
    // 17 members of 4 MiB each exceed the 64 MiB the loader holds in memory.
    std::vector<TarEntry> entries;
    std::string chunk(4 * 1024 * 1024, 'x');
    for (int i = 0; i < 17; ++i)
        entries.push_back({ "meta" + std::to_string(i) + ".json", TarEntry::Type::File, chunk });
    auto result = load_bytes(*m_store, test::make_tar(entries));
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(), "image archive: its metadata files exceed 67108864 bytes in all (at \"meta16.json\")");
}
