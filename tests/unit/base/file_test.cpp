#include "base/file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using corral::KeepMode;
using corral::path_basename;
using corral::path_dirname;
using corral::path_join;

namespace {

class FileTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/corral-file-test-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr) << "mkdtemp: " << strerror(errno);
        m_dir = pattern;
        // A typical umask, so that tests show the code sets modes itself.
        m_old_umask = ::umask(022);
    }

    void TearDown() override
    {
        ::umask(m_old_umask);
        if (!m_dir.empty()) {
            std::error_code ignored;
            std::filesystem::remove_all(m_dir, ignored);
        }
    }

    std::string path(const std::string& name) const { return m_dir + "/" + name; }

    // The names in `dir` (default: the test directory), sorted, without . and ..
    std::vector<std::string> entries(const std::string& dir = {}) const
    {
        std::vector<std::string> names;
        DIR* d = ::opendir((dir.empty() ? m_dir : dir).c_str());
        EXPECT_NE(d, nullptr) << strerror(errno);
        if (!d)
            return names;
        while (auto* entry = ::readdir(d)) {
            std::string name = entry->d_name;
            if (name != "." && name != "..")
                names.push_back(name);
        }
        ::closedir(d);
        std::sort(names.begin(), names.end());
        return names;
    }

    static void write_plain(const std::string& file, const std::string& data, mode_t mode)
    {
        int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        ASSERT_GE(fd, 0) << "open " << file << ": " << strerror(errno);
        ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
        ASSERT_EQ(::close(fd), 0);
        ASSERT_EQ(::chmod(file.c_str(), mode), 0);
    }

    // Permission bits of `file`, or -1 when it cannot be stat'ed.
    static int mode_of(const std::string& file)
    {
        struct stat st { };
        if (::stat(file.c_str(), &st) < 0)
            return -1;
        return static_cast<int>(st.st_mode & 07777);
    }

    static bool is_directory(const std::string& file)
    {
        struct stat st { };
        return ::stat(file.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    }

    std::string m_dir;
    mode_t m_old_umask { 022 };
};

} // namespace

TEST_F(FileTest, ReadFileReturnsExactContent)
{
    // Larger than one read buffer and with NUL bytes.
    std::string data(100000, '\0');
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<char>((i * 7) ^ (i >> 8));
    write_plain(path("data"), data, 0644);

    auto result = corral::read_file(path("data"));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result.value(), data);
}

TEST_F(FileTest, ReadFileOfEmptyFile)
{
    write_plain(path("empty"), "", 0644);
    auto result = corral::read_file(path("empty"));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result.value(), "");
}

TEST_F(FileTest, ReadFileMissingIsENOENT)
{
    auto result = corral::read_file(path("missing"));
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), ENOENT);
    EXPECT_EQ(result.error().message(), "open '" + path("missing") + "': No such file or directory");
}

TEST_F(FileTest, ReadFileMaxSizeGivesEFBIG)
{
    write_plain(path("hundred"), std::string(100, 'x'), 0644);

    auto too_big = corral::read_file(path("hundred"), 99);
    ASSERT_TRUE(too_big.is_error());
    EXPECT_EQ(too_big.error().code(), EFBIG);
    EXPECT_EQ(
        too_big.error().message(), "reading '" + path("hundred") + "': read (more than 99 bytes): File too large");

    // Exactly max_size bytes is allowed.
    auto exact = corral::read_file(path("hundred"), 100);
    ASSERT_FALSE(exact.is_error()) << exact.error().message();
    EXPECT_EQ(exact.value(), std::string(100, 'x'));
}

TEST_F(FileTest, ReadFileOfDirectoryIsEISDIR)
{
    auto result = corral::read_file(m_dir);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), EISDIR);
    EXPECT_EQ(result.error().message(), "reading '" + m_dir + "': read: Is a directory");
}

TEST_F(FileTest, WriteAtomicCreatesWithExactMode)
{
    auto result = corral::write_file_atomic(path("secret"), "s3cret\n", 0600);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(mode_of(path("secret")), 0600);

    // The umask (022) must not apply: the file gets exactly the mode asked for.
    auto shared = corral::write_file_atomic(path("shared"), "all\n", 0666);
    ASSERT_FALSE(shared.is_error()) << shared.error().message();
    EXPECT_EQ(mode_of(path("shared")), 0666);

    auto content = corral::read_file(path("secret"));
    ASSERT_FALSE(content.is_error()) << content.error().message();
    EXPECT_EQ(content.value(), "s3cret\n");
    EXPECT_EQ(entries(), (std::vector<std::string> { "secret", "shared" }));
}

TEST_F(FileTest, WriteAtomicKeepModeYesKeepsExistingMode)
{
    write_plain(path("config"), "old content that is longer than the new one\n", 0640);
    ASSERT_EQ(mode_of(path("config")), 0640);

    auto result = corral::write_file_atomic(path("config"), "new\n", 0600, KeepMode::Yes);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(mode_of(path("config")), 0640);
    auto content = corral::read_file(path("config"));
    ASSERT_FALSE(content.is_error()) << content.error().message();
    EXPECT_EQ(content.value(), "new\n");
}

TEST_F(FileTest, WriteAtomicKeepModeIsTheDefault)
{
    write_plain(path("config"), "old\n", 0640);
    auto result = corral::write_file_atomic(path("config"), "new\n", 0600);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(mode_of(path("config")), 0640);
}

TEST_F(FileTest, WriteAtomicKeepModeYesOnNewFileUsesMode)
{
    auto result = corral::write_file_atomic(path("fresh"), "x", 0664, KeepMode::Yes);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(mode_of(path("fresh")), 0664);
}

TEST_F(FileTest, WriteAtomicKeepModeNoForcesMode)
{
    write_plain(path("config"), "old\n", 0640);
    auto result = corral::write_file_atomic(path("config"), "new\n", 0600, KeepMode::No);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(mode_of(path("config")), 0600);
    auto content = corral::read_file(path("config"));
    ASSERT_FALSE(content.is_error()) << content.error().message();
    EXPECT_EQ(content.value(), "new\n");
}

TEST_F(FileTest, WriteAtomicReplacesContentExactly)
{
    write_plain(path("file"), std::string(50000, 'a'), 0644);

    std::string binary("b\0c\nd", 5);
    auto first = corral::write_file_atomic(path("file"), binary, 0644);
    ASSERT_FALSE(first.is_error()) << first.error().message();
    auto content = corral::read_file(path("file"));
    ASSERT_FALSE(content.is_error()) << content.error().message();
    EXPECT_EQ(content.value(), binary);

    auto emptied = corral::write_file_atomic(path("file"), "", 0644);
    ASSERT_FALSE(emptied.is_error()) << emptied.error().message();
    content = corral::read_file(path("file"));
    ASSERT_FALSE(content.is_error()) << content.error().message();
    EXPECT_EQ(content.value(), "");
}

TEST_F(FileTest, WriteAtomicReplacesAndDoesNotFollowTheOldInode)
{
    write_plain(path("file"), "old", 0644);
    ASSERT_EQ(::link(path("file").c_str(), path("hardlink").c_str()), 0);

    auto result = corral::write_file_atomic(path("file"), "new", 0644);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    // A rename replaces the directory entry; the old inode, still reachable through
    // the hard link, is untouched. An in-place rewrite would have changed it.
    auto old_content = corral::read_file(path("hardlink"));
    ASSERT_FALSE(old_content.is_error()) << old_content.error().message();
    EXPECT_EQ(old_content.value(), "old");
    auto new_content = corral::read_file(path("file"));
    ASSERT_FALSE(new_content.is_error()) << new_content.error().message();
    EXPECT_EQ(new_content.value(), "new");
}

TEST_F(FileTest, WriteAtomicLeavesNoTempFilesAfterSuccess)
{
    for (int i = 0; i < 3; ++i) {
        auto result = corral::write_file_atomic(path("target"), "round " + std::to_string(i), 0644);
        ASSERT_FALSE(result.is_error()) << result.error().message();
    }
    EXPECT_EQ(entries(), std::vector<std::string> { "target" });
}

TEST_F(FileTest, WriteAtomicLeavesNoTempFilesAfterFailedRename)
{
    // rename(2) of a file over a non-empty directory fails with EISDIR after the
    // temporary file has been written.
    ASSERT_EQ(::mkdir(path("target").c_str(), 0755), 0);
    write_plain(path("target/inside"), "keep me", 0644);

    for (KeepMode keep : { KeepMode::Yes, KeepMode::No }) {
        auto result = corral::write_file_atomic(path("target"), "data", 0644, keep);
        ASSERT_TRUE(result.is_error());
        EXPECT_EQ(result.error().code(), EISDIR);
        EXPECT_EQ(entries(), std::vector<std::string> { "target" });
        EXPECT_EQ(entries(path("target")), std::vector<std::string> { "inside" });
    }
    auto kept = corral::read_file(path("target/inside"));
    ASSERT_FALSE(kept.is_error()) << kept.error().message();
    EXPECT_EQ(kept.value(), "keep me");
}

TEST_F(FileTest, WriteAtomicIntoMissingDirectoryFails)
{
    auto result = corral::write_file_atomic(path("missing/file"), "data", 0644);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), ENOENT);
    EXPECT_TRUE(entries().empty());
}

TEST_F(FileTest, MkdirPCreatesNestedDirectoriesWithMode)
{
    auto result = corral::mkdir_p(path("a/b/c"), 0750);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    for (auto const* dir : { "a", "a/b", "a/b/c" }) {
        EXPECT_TRUE(is_directory(path(dir))) << dir;
        EXPECT_EQ(mode_of(path(dir)), 0750) << dir;
    }
}

TEST_F(FileTest, MkdirPIsIdempotent)
{
    ASSERT_FALSE(corral::mkdir_p(path("a/b"), 0700).is_error());
    auto again = corral::mkdir_p(path("a/b"), 0755);
    ASSERT_FALSE(again.is_error()) << again.error().message();
    // Existing directories are left as they are.
    EXPECT_EQ(mode_of(path("a")), 0700);
    EXPECT_EQ(mode_of(path("a/b")), 0700);
    EXPECT_EQ(entries(path("a")), std::vector<std::string> { "b" });
}

TEST_F(FileTest, MkdirPKeepsExistingParentsAsTheyAre)
{
    ASSERT_EQ(::mkdir(path("parent").c_str(), 0700), 0);
    auto result = corral::mkdir_p(path("parent/child"), 0755);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(mode_of(path("parent")), 0700);
    EXPECT_EQ(mode_of(path("parent/child")), 0755);
}

TEST_F(FileTest, MkdirPAcceptsTrailingSlash)
{
    auto result = corral::mkdir_p(path("x/y/"), 0755);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_TRUE(is_directory(path("x/y")));
}

TEST_F(FileTest, MkdirPOnFileIsENOTDIR)
{
    write_plain(path("file"), "", 0644);

    auto same = corral::mkdir_p(path("file"), 0755);
    ASSERT_TRUE(same.is_error());
    EXPECT_EQ(same.error().code(), ENOTDIR);
    EXPECT_EQ(same.error().message(), "mkdir '" + path("file") + "': Not a directory");

    auto below = corral::mkdir_p(path("file/sub/dir"), 0755);
    ASSERT_TRUE(below.is_error());
    EXPECT_EQ(below.error().code(), ENOTDIR);
    EXPECT_EQ(entries(), std::vector<std::string> { "file" });
}

TEST_F(FileTest, MkdirPOfEmptyPathIsENOENT)
{
    auto result = corral::mkdir_p("", 0755);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), ENOENT);
}

TEST(Path, Dirname)
{
    EXPECT_EQ(path_dirname("/"), "/");
    EXPECT_EQ(path_dirname("//"), "/");
    EXPECT_EQ(path_dirname("a"), ".");
    EXPECT_EQ(path_dirname("a/"), ".");
    EXPECT_EQ(path_dirname(""), ".");
    EXPECT_EQ(path_dirname("/a"), "/");
    EXPECT_EQ(path_dirname("/a/"), "/");
    EXPECT_EQ(path_dirname("/a/b"), "/a");
    EXPECT_EQ(path_dirname("/a/b/"), "/a");
    EXPECT_EQ(path_dirname("a/b"), "a");
    EXPECT_EQ(path_dirname("a//b"), "a");
    EXPECT_EQ(path_dirname("//a"), "/");
}

TEST(Path, Basename)
{
    EXPECT_EQ(path_basename("/"), "/");
    EXPECT_EQ(path_basename("//"), "/");
    EXPECT_EQ(path_basename("a"), "a");
    EXPECT_EQ(path_basename("a/"), "a");
    EXPECT_EQ(path_basename("/a"), "a");
    EXPECT_EQ(path_basename("/a/b"), "b");
    EXPECT_EQ(path_basename("/a/b/"), "b");
    EXPECT_EQ(path_basename("/a/b//"), "b");
    EXPECT_EQ(path_basename("a/.hidden"), ".hidden");
}

TEST(Path, Join)
{
    EXPECT_EQ(path_join("/root/", "/etc/x"), "/root/etc/x");
    EXPECT_EQ(path_join("/root", "etc/x"), "/root/etc/x");
    EXPECT_EQ(path_join("/root//", "//etc"), "/root/etc");
    EXPECT_EQ(path_join("a", "b"), "a/b");
    EXPECT_EQ(path_join("/", "etc"), "/etc");
    EXPECT_EQ(path_join("/", "/etc"), "/etc");
    EXPECT_EQ(path_join("", "/etc"), "/etc");
    EXPECT_EQ(path_join("/root", ""), "/root");
    EXPECT_EQ(path_join("/root/", "/"), "/root");
    EXPECT_EQ(path_join("/", "/"), "/");
    EXPECT_EQ(path_join("/root", "a/b/"), "/root/a/b/");
}
