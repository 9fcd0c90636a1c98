#pragma once

// Test helper shared by the unit and the privileged unpack tests: a scratch
// directory with an empty layer target and an "outside" directory that no member
// may ever reach, and the checks that go with them.

#include "base/fd.h"
#include "base/system.h"
#include "image/unpack.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace corral::test {

// A descriptor reading `bytes` from the start, as a layer blob on disk would.
inline Fd memory_file(const std::string& bytes)
{
    Fd fd(::memfd_create("layer", MFD_CLOEXEC));
    EXPECT_TRUE(fd.valid()) << "memfd_create: " << std::strerror(errno);
    auto written = sys::write_all(fd.get(), bytes);
    EXPECT_FALSE(written.is_error());
    EXPECT_EQ(::lseek(fd.get(), 0, SEEK_SET), 0);
    return fd;
}

inline std::string read_whole(int fd)
{
    EXPECT_EQ(::lseek(fd, 0, SEEK_SET), 0);
    auto content = sys::read_all(fd, 1 << 30);
    EXPECT_FALSE(content.is_error());
    return content.is_error() ? std::string() : content.release_value();
}

class UnpackFixture : public ::testing::Test {
protected:
    void SetUp() override
    {
        // Unprivileged runs point TMPDIR at a directory they can write.
        const char* tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/corral-unpack-test-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << "mkdtemp: " << std::strerror(errno);
        m_dir = pattern;
        m_old_umask = ::umask(022);
        ASSERT_EQ(::mkdir(layer().c_str(), 0755), 0);
        ASSERT_EQ(::mkdir(outside().c_str(), 0755), 0);
    }

    void TearDown() override
    {
        ::umask(m_old_umask);
        if (m_dir.empty())
            return;
        // Read-only directories from a layer must become writable to be removed.
        std::error_code ignored;
        for (auto it = std::filesystem::recursive_directory_iterator(m_dir, ignored);
             it != std::filesystem::recursive_directory_iterator(); it.increment(ignored)) {
            if (it->is_directory(ignored) && !it->is_symlink(ignored))
                ::chmod(it->path().c_str(), 0700);
        }
        std::filesystem::remove_all(m_dir, ignored);
    }

    std::string layer() const { return m_dir + "/layer"; }
    std::string outside() const { return m_dir + "/outside"; }
    std::string path(const std::string& relative) const { return layer() + "/" + relative; }
    std::string scratch(const std::string& name) const { return m_dir + "/" + name; }

    ErrorOr<image::UnpackResult> unpack(
        const std::string& bytes, const image::UnpackOptions& options = {}, const std::string& target = {})
    {
        Fd input = memory_file(bytes);
        return image::unpack_layer(input.get(), target.empty() ? layer() : target, options);
    }

    // The names in a directory, without . and ..
    static std::vector<std::string> entries(const std::string& dir)
    {
        std::vector<std::string> names;
        std::error_code ignored;
        for (auto const& entry : std::filesystem::directory_iterator(dir, ignored))
            names.push_back(entry.path().filename().string());
        return names;
    }

    static struct stat lstat_of(const std::string& path)
    {
        struct stat st { };
        EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path << ": " << std::strerror(errno);
        return st;
    }

    static bool exists(const std::string& path)
    {
        struct stat st { };
        return ::lstat(path.c_str(), &st) == 0;
    }

    // Unpacking `bytes` fails, the message names `member` and says `reason`, and
    // nothing appeared in the outside directory.
    void expect_refused(const std::string& bytes, const std::string& member, const std::string& reason,
        const image::UnpackOptions& options = {})
    {
        // A fresh target each time, so that one test can try several layers.
        std::error_code ignored;
        for (auto const& entry : std::filesystem::directory_iterator(layer(), ignored))
            std::filesystem::remove_all(entry.path(), ignored);
        auto result = unpack(bytes, options);
        ASSERT_TRUE(result.is_error()) << "a layer with member \"" << member << "\" was accepted";
        std::string message = result.error().message();
        EXPECT_NE(message.find("layer member \"" + member + "\""), std::string::npos) << message;
        EXPECT_NE(message.find(reason), std::string::npos) << message;
        EXPECT_TRUE(entries(outside()).empty()) << "something was written outside the layer";
    }

    std::string m_dir;
    mode_t m_old_umask { 022 };
};

} // namespace corral::test
