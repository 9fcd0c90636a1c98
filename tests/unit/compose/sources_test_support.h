#pragma once

// A temporary ROS_ROOT for the service source tests, and a fake fetcher that
// serves http(s) URLs from a table and counts what it was asked for, so that
// the cache and update behaviour is tested without a network.

#include "base/file.h"
#include "compose/sources.h"

#include <cstdlib>
#include <gtest/gtest.h>
#include <map>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace sources_test {

class SourcesTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/corral-sources-XXXXXX";
        ASSERT_NE(mkdtemp(pattern), nullptr);
        m_root = pattern;
        m_options.paths.root = m_root;
        m_options.fetch = [this](const std::string& url) -> corral::ErrorOr<std::string> {
            m_requests.push_back(url);
            if (m_offline)
                return corral::Error::from_string("GET " + url + ": Connection refused", ECONNREFUSED);
            auto it = m_remote.find(url);
            if (it == m_remote.end())
                return corral::Error::from_string("GET " + url + ": HTTP 404", ENOENT);
            return it->second;
        };
    }
    void TearDown() override { ASSERT_FALSE(corral::remove_tree(m_root).is_error()); }

    // Writes a file at an absolute path under the temporary root.
    void write(const std::string& absolute, std::string_view text)
    {
        std::string path = m_root + absolute;
        ASSERT_FALSE(corral::mkdir_p(corral::path_dirname(path), 0755).is_error());
        ASSERT_FALSE(corral::write_file_atomic(path, text, 0644).is_error());
    }
    std::string read(const std::string& path)
    {
        auto text = corral::read_file(path);
        EXPECT_FALSE(text.is_error()) << text.error().message();
        return text.is_error() ? std::string() : text.release_value();
    }
    bool exists(const std::string& path)
    {
        struct stat st;
        return ::stat(path.c_str(), &st) == 0;
    }
    void add_repository(const std::string& name, const std::string& url) { m_options.repositories[name].url = url; }
    corral::compose::ServiceSources sources() const { return corral::compose::ServiceSources(m_options); }

    std::string m_root;
    corral::compose::SourceOptions m_options;
    std::map<std::string, std::string> m_remote; // URL → body served by the fake fetcher
    std::vector<std::string> m_requests; // URLs the fake fetcher was asked for
    bool m_offline { false }; // every fetch fails with ECONNREFUSED
};

} // namespace sources_test
