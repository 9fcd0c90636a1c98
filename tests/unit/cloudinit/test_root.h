#pragma once

// A temporary ROS_ROOT for the cloud-init and console tests: files are written
// and read by their absolute path inside it.

#include "base/file.h"
#include "config/paths.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <sys/stat.h>

namespace corral::test {

class TestRoot {
public:
    TestRoot()
    {
        char pattern[] = "/tmp/corral-cloudinit-XXXXXX";
        char* made = ::mkdtemp(pattern);
        EXPECT_NE(made, nullptr);
        m_paths.root = made ? made : "/nonexistent";
    }
    ~TestRoot() { (void)remove_tree(m_paths.root); /* best effort: a temp dir */ }
    TestRoot(const TestRoot&) = delete;
    TestRoot& operator=(const TestRoot&) = delete;

    const config::Paths& paths() const { return m_paths; }
    std::string path(const std::string& absolute) const { return m_paths.under_root(absolute); }

    void write(const std::string& absolute, const std::string& text, mode_t mode = 0644) const
    {
        std::string file = path(absolute);
        ASSERT_FALSE(mkdir_p(path_dirname(file), 0755).is_error()) << file;
        auto written = write_file_atomic(file, text, mode, KeepMode::No);
        ASSERT_FALSE(written.is_error()) << written.error().message();
    }

    std::string read(const std::string& absolute) const
    {
        auto text = read_file(path(absolute));
        EXPECT_FALSE(text.is_error()) << (text.is_error() ? text.error().message() : "");
        return text.is_error() ? std::string() : text.release_value();
    }

    bool exists(const std::string& absolute) const
    {
        struct stat st { };
        return ::lstat(path(absolute).c_str(), &st) == 0;
    }

    // Permission bits, or -1 when the file is missing.
    int mode(const std::string& absolute) const
    {
        struct stat st { };
        if (::lstat(path(absolute).c_str(), &st) < 0)
            return -1;
        return static_cast<int>(st.st_mode & 07777);
    }

    struct stat stat(const std::string& absolute) const
    {
        struct stat st { };
        EXPECT_EQ(::lstat(path(absolute).c_str(), &st), 0) << absolute;
        return st;
    }

    // The passwd and group files of the os-console image: rancher 1100, docker 1101.
    void write_accounts() const
    {
        write("/etc/passwd",
            "root:x:0:0:root:/root:/bin/bash\n"
            "rancher:x:1100:1100::/home/rancher:/bin/bash\n"
            "docker:x:1101:1101::/home/docker:/bin/bash\n");
        write("/etc/group",
            "root:x:0:\n"
            "utmp:x:43:\n"
            "rancher:x:1100:\n"
            "docker:x:1101:rancher\n"
            "sudo:x:1103:rancher,docker\n");
    }

private:
    config::Paths m_paths;
};

} // namespace corral::test
