// The tar writer of `docker save`, read back with libarchive.

#include "image/tar_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

using namespace corral::image;

namespace {

struct Member {
    std::string name;
    bool directory { false };
    int64_t size { 0 };
    std::string data;
    int mode { 0 };
};

std::vector<Member> read_back(const std::string& bytes)
{
    std::vector<Member> members;
    struct archive* a = archive_read_new();
    archive_read_support_format_tar(a);
    EXPECT_EQ(archive_read_open_memory(a, bytes.data(), bytes.size()), ARCHIVE_OK);
    struct archive_entry* entry = nullptr;
    while (archive_read_next_header(a, &entry) == ARCHIVE_OK) {
        Member m;
        m.name = archive_entry_pathname(entry);
        m.directory = archive_entry_filetype(entry) == AE_IFDIR;
        m.size = archive_entry_size(entry);
        m.mode = archive_entry_perm(entry);
        std::string data(static_cast<size_t>(m.size), '\0');
        if (m.size > 0)
            EXPECT_EQ(archive_read_data(a, data.data(), data.size()), m.size);
        m.data = data;
        members.push_back(m);
    }
    archive_read_free(a);
    return members;
}

std::string written(const std::function<void(TarWriter&)>& write)
{
    char path[] = "/tmp/tar-writer-XXXXXX";
    int fd = ::mkstemp(path);
    ::unlink(path);
    TarWriter writer(fd);
    write(writer);
    std::string out(static_cast<size_t>(::lseek(fd, 0, SEEK_END)), '\0');
    EXPECT_EQ(::pread(fd, out.data(), out.size(), 0), static_cast<ssize_t>(out.size()));
    ::close(fd);
    return out;
}

} // namespace

TEST(TarWriter, WritesMembersThatReadBack)
{
    std::string long_name = std::string(120, 'd') + "/" + std::string(90, 'f') + ".json";
    std::string bytes = written([&](TarWriter& w) {
        ASSERT_FALSE(w.directory("abc").is_error());
        ASSERT_FALSE(w.file("abc/layer.tar", "hello").is_error());
        ASSERT_FALSE(w.file("empty", "").is_error());
        ASSERT_FALSE(w.file(long_name, std::string(1000, 'x')).is_error());
        char path[] = "/tmp/tar-writer-src-XXXXXX";
        int source = ::mkstemp(path);
        ::unlink(path);
        ASSERT_EQ(::write(source, "0123456789", 10), 10);
        ASSERT_FALSE(w.file_from("copied", source, 10).is_error());
        ::close(source);
        ASSERT_FALSE(w.finish().is_error());
    });
    EXPECT_EQ(bytes.size() % 512, 0u);
    auto members = read_back(bytes);
    ASSERT_EQ(members.size(), 5u);
    EXPECT_EQ(members[0].name, "abc/");
    EXPECT_TRUE(members[0].directory);
    EXPECT_EQ(members[0].mode, 0755);
    EXPECT_EQ(members[1].name, "abc/layer.tar");
    EXPECT_EQ(members[1].data, "hello");
    EXPECT_EQ(members[1].mode, 0644);
    EXPECT_EQ(members[2].size, 0);
    EXPECT_EQ(members[3].name, long_name);
    EXPECT_EQ(members[3].data, std::string(1000, 'x'));
    EXPECT_EQ(members[4].data, "0123456789");
    // Saving the same thing twice gives the same bytes.
    EXPECT_EQ(bytes, written([&](TarWriter& w) {
        (void)w.directory("abc");
        (void)w.file("abc/layer.tar", "hello");
        (void)w.file("empty", "");
        (void)w.file(long_name, std::string(1000, 'x'));
        char path[] = "/tmp/tar-writer-src-XXXXXX";
        int source = ::mkstemp(path);
        ::unlink(path);
        (void)!::write(source, "0123456789", 10);
        (void)w.file_from("copied", source, 10);
        ::close(source);
        (void)w.finish();
    }));
}

TEST(TarWriter, RefusesWhatUstarCannotHoldAndShortSources)
{
    written([](TarWriter& w) {
        auto too_long = w.file(std::string(300, 'a'), "x");
        ASSERT_TRUE(too_long.is_error());
        EXPECT_EQ(too_long.error().code(), ENAMETOOLONG);
        auto no_slash = w.file(std::string(150, 'a'), "x");
        ASSERT_TRUE(no_slash.is_error());
        EXPECT_EQ(no_slash.error().code(), ENAMETOOLONG);
        int empty = ::open("/dev/null", O_RDONLY);
        auto short_source = w.file_from("short", empty, 10);
        ::close(empty);
        ASSERT_TRUE(short_source.is_error());
        EXPECT_EQ(short_source.error().message(), "'short' is shorter than recorded");
    });
    // A closed output.
    TarWriter closed(-1);
    auto failed = closed.file("a", "b");
    ASSERT_TRUE(failed.is_error());
    EXPECT_EQ(failed.error().message(), "writing image archive: a: Bad file descriptor");
}
