#include "init/preload.h"

#include "base/file.h"

#include <cstdlib>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace corral;

namespace {

const std::string IMAGE_ID(64, 'a');
const std::string LAYER(64, 'b');
const std::string OTHER_ID(64, 'c');

class PreloadTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/preload-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        m_dir = tmpl;
        m_preload = m_dir + "/preload";
        m_store = m_dir + "/store";
        for (auto const* sub : { "/blobs/sha256", "/images", "/layers/" })
            ASSERT_FALSE(mkdir_p(m_preload + sub, 0755).is_error());
        ASSERT_FALSE(mkdir_p(m_preload + "/layers/" + LAYER + "/diff", 0755).is_error());
        write(m_preload + "/layers/" + LAYER + "/layer.json", "{}");
        write(m_preload + "/blobs/sha256/" + IMAGE_ID, "{\"config\":{}}");
        write(m_preload + "/images/" + IMAGE_ID + ".json", "{\"id\":\"sha256:" + IMAGE_ID + "\"}");
        write(m_preload + "/repositories.json",
            "{\"references\":{\"corralos/os-base:v1\":\"sha256:" + IMAGE_ID + "\"}}");
    }
    void TearDown() override { (void)remove_tree(m_dir); }

    static void write(const std::string& path, const std::string& text)
    {
        ASSERT_FALSE(write_file_atomic(path, text, 0644).is_error());
    }

    std::string m_dir, m_preload, m_store;
};

} // namespace

TEST_F(PreloadTest, SeedsAnEmptyStore)
{
    auto report = init::seed_store(m_preload, m_store);
    ASSERT_FALSE(report.is_error()) << report.error().message();
    EXPECT_EQ(report.value().layers_linked, 1u);
    ASSERT_EQ(report.value().images.size(), 1u);
    EXPECT_EQ(report.value().tags, std::vector<std::string> { "corralos/os-base:v1" });

    char target[4096] = {};
    ASSERT_GT(::readlink((m_store + "/layers/" + LAYER).c_str(), target, sizeof target - 1), 0);
    EXPECT_EQ(std::string(target), m_preload + "/layers/" + LAYER);
    EXPECT_EQ(read_file(m_store + "/blobs/sha256/" + IMAGE_ID).value(), "{\"config\":{}}");
    auto refs = read_file(m_store + "/repositories.json");
    ASSERT_FALSE(refs.is_error());
    EXPECT_NE(refs.value().find("\"corralos/os-base:v1\": \"sha256:" + IMAGE_ID + "\""), std::string::npos);
    struct stat st {};
    ASSERT_EQ(::stat((m_store + "/repositories.json").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(PreloadTest, KeepsTheStoresOwnTagsAndLayers)
{
    ASSERT_FALSE(mkdir_p(m_store + "/layers/" + LAYER + "/diff", 0700).is_error()); // a real copy
    write(m_store + "/repositories.json",
        "{\"references\":{\"mine:latest\":\"sha256:" + OTHER_ID + "\",\"corralos/os-base:v1\":\"sha256:" + OTHER_ID + "\"}}");
    auto report = init::seed_store(m_preload, m_store);
    ASSERT_FALSE(report.is_error()) << report.error().message();
    EXPECT_EQ(report.value().layers_linked, 0u);
    struct stat st {};
    ASSERT_EQ(::lstat((m_store + "/layers/" + LAYER).c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    auto refs = read_file(m_store + "/repositories.json").value();
    EXPECT_NE(refs.find("\"mine:latest\": \"sha256:" + OTHER_ID + "\""), std::string::npos);
    // The system image's tag moves to this release's image.
    EXPECT_NE(refs.find("\"corralos/os-base:v1\": \"sha256:" + IMAGE_ID + "\""), std::string::npos);
}

TEST_F(PreloadTest, RepointsOldLinksAndIsIdempotent)
{
    ASSERT_FALSE(mkdir_p(m_store + "/layers", 0700).is_error());
    ASSERT_EQ(::symlink("/old/medium/layer", (m_store + "/layers/" + LAYER).c_str()), 0);
    ASSERT_FALSE(init::seed_store(m_preload, m_store).is_error());
    auto again = init::seed_store(m_preload, m_store);
    ASSERT_FALSE(again.is_error());
    EXPECT_TRUE(again.value().tags.empty());
    char target[4096] = {};
    ASSERT_GT(::readlink((m_store + "/layers/" + LAYER).c_str(), target, sizeof target - 1), 0);
    EXPECT_EQ(std::string(target), m_preload + "/layers/" + LAYER);
}

TEST_F(PreloadTest, MissingRepositoriesIsAnError)
{
    ASSERT_EQ(::unlink((m_preload + "/repositories.json").c_str()), 0);
    auto report = init::seed_store(m_preload, m_store);
    ASSERT_TRUE(report.is_error());
    EXPECT_NE(report.error().message().find("repositories.json"), std::string::npos);
}
