// The local volume driver on real directories: create, get, list, remove and
// prune; options mounts counted per container and checked in the mount table;
// the copy-up of an image directory with every file type. Skips (saying why)
// when not root.

#include "engine/volumes.h"

#include "base/file.h"
#include "base/strings.h"
#include "base/time.h"
#include "test_image.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <thread>
#include <unistd.h>

namespace corral::engine {
namespace {

using corral::test::TempDir;

struct stat lstat_of(const std::string& path)
{
    struct stat st { };
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path << ": " << std::strerror(errno);
    return st;
}

bool exists(const std::string& path)
{
    struct stat st { };
    return ::lstat(path.c_str(), &st) == 0;
}

// The file system type mounted on `path`, or "" (the last mount there wins).
std::string mounted_type(const std::string& path)
{
    auto table = read_file("/proc/self/mountinfo");
    EXPECT_FALSE(table.is_error());
    std::string type;
    for (auto const& line : split(table.is_error() ? "" : table.value(), '\n')) {
        auto fields = split(line, ' ');
        if (fields.size() < 10 || fields[4] != path)
            continue;
        auto dash = std::find(fields.begin(), fields.end(), "-");
        if (dash != fields.end() && dash + 1 != fields.end())
            type = *(dash + 1);
    }
    return type;
}

void write_text(const std::string& path, const std::string& text, mode_t mode = 0644)
{
    auto written = write_file_atomic(path, text, mode, KeepMode::No);
    ASSERT_FALSE(written.is_error()) << written.error().message();
}

class VolumesTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root: chown, mknod, mount";
        m_root = m_temp.path() + "/data-root/volumes";
        m_store = open_store();
    }
    void TearDown() override
    {
        // A failed test may leave mounts below the temporary directory, which
        // TempDir would otherwise empty through. Deepest first.
        auto table = read_file("/proc/self/mountinfo");
        if (table.is_error())
            return;
        std::vector<std::string> below;
        for (auto const& line : split(table.value(), '\n')) {
            auto fields = split(line, ' ');
            if (fields.size() > 4 && fields[4].starts_with(m_temp.path() + "/"))
                below.push_back(fields[4]);
        }
        std::sort(below.begin(), below.end(), [](auto const& a, auto const& b) { return a.size() > b.size(); });
        for (auto const& path : below)
            (void)::umount2(path.c_str(), MNT_DETACH); // cleanup only: the test has already failed
    }

    std::unique_ptr<VolumeStore> open_store()
    {
        auto store = VolumeStore::open(m_root);
        EXPECT_FALSE(store.is_error()) << store.error().message();
        return store.is_error() ? nullptr : std::make_unique<VolumeStore>(store.release_value());
    }

    Volume create(const std::string& name, const std::map<std::string, std::string>& labels = {},
        const std::map<std::string, std::string>& options = {})
    {
        auto volume = m_store->create(name, labels, options);
        EXPECT_FALSE(volume.is_error()) << volume.error().message();
        return volume.is_error() ? Volume {} : volume.release_value();
    }

    std::vector<std::string> names()
    {
        auto volumes = m_store->list();
        EXPECT_FALSE(volumes.is_error()) << volumes.error().message();
        std::vector<std::string> out;
        if (!volumes.is_error()) {
            for (auto const& volume : volumes.value())
                out.push_back(volume.name);
        }
        return out;
    }

    TempDir m_temp;
    std::string m_root;
    std::unique_ptr<VolumeStore> m_store;
};

TEST_F(VolumesTest, CreateLaysOutDataAndMetadata)
{
    Volume volume = create("app-data", { { "com.example.role", "db" } });
    EXPECT_EQ(volume.name, "app-data");
    EXPECT_EQ(volume.driver, "local");
    EXPECT_EQ(volume.mountpoint, m_root + "/app-data/_data");
    EXPECT_FALSE(volume.anonymous);
    EXPECT_TRUE(parse_rfc3339(volume.created_at).has_value()) << volume.created_at;
    EXPECT_EQ(lstat_of(m_root).st_mode & 07777, 0701u);
    EXPECT_TRUE(S_ISDIR(lstat_of(volume.mountpoint).st_mode));
    EXPECT_EQ(lstat_of(volume.mountpoint).st_mode & 07777, 0755u);
    EXPECT_EQ(lstat_of(m_root + "/app-data/volume.json").st_mode & 07777, 0600u);

    auto got = m_store->get("app-data");
    ASSERT_FALSE(got.is_error()) << got.error().message();
    EXPECT_EQ(got->labels, volume.labels);
    EXPECT_EQ(got->created_at, volume.created_at);
    EXPECT_EQ(got->mountpoint, volume.mountpoint);
}

TEST_F(VolumesTest, AnonymousVolumesGetARandomHexName)
{
    Volume volume = create("");
    EXPECT_TRUE(volume.anonymous);
    ASSERT_EQ(volume.name.size(), 64u);
    EXPECT_EQ(volume.name.find_first_not_of("0123456789abcdef"), std::string::npos) << volume.name;
    EXPECT_NE(create("").name, volume.name);
}

TEST_F(VolumesTest, BadNamesAreRefusedWithDockersMessage)
{
    auto spaced = m_store->create("x y");
    ASSERT_TRUE(spaced.is_error());
    EXPECT_EQ(spaced.error().code(), EINVAL);
    EXPECT_EQ(spaced.error().message(),
        "create x y: \"x y\" includes invalid characters for a local volume name, only "
        "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path");
    for (const char* name : { "../escape", ".hidden", "a/b", "-dash" }) {
        auto result = m_store->create(name);
        ASSERT_TRUE(result.is_error()) << name;
        EXPECT_EQ(result.error().code(), EINVAL) << name;
    }
    auto short_name = m_store->create("a");
    ASSERT_TRUE(short_name.is_error());
    EXPECT_EQ(short_name.error().message(),
        "create a: volume name is too short, names should be at least two alphanumeric characters");
    EXPECT_FALSE(exists(m_temp.path() + "/data-root/escape"));
}

TEST_F(VolumesTest, OptionsAreCheckedLikeTheLocalDriver)
{
    auto unknown = m_store->create("opts", {}, { { "x", "1" } });
    ASSERT_TRUE(unknown.is_error());
    EXPECT_EQ(unknown.error().code(), EINVAL);
    EXPECT_EQ(unknown.error().message(), "create opts: invalid option: \"x\"");
    auto lonely_o = m_store->create("opts", {}, { { "o", "size=1m" } });
    ASSERT_TRUE(lonely_o.is_error());
    EXPECT_EQ(lonely_o.error().message(), "create opts: missing required option: \"device\"");
    auto quota = m_store->create("opts", {}, { { "size", "10G" } });
    ASSERT_TRUE(quota.is_error());
    EXPECT_EQ(quota.error().message(), "create opts: quota size requested but no quota support");
    EXPECT_TRUE(names().empty());
}

TEST_F(VolumesTest, CreatingAnExistingNameReturnsItUnlessOptionsDiffer)
{
    std::map<std::string, std::string> tmpfs { { "type", "tmpfs" }, { "device", "tmpfs" } };
    Volume first = create("shared", { { "a", "1" } }, tmpfs);
    Volume again = create("shared", { { "b", "2" } });
    EXPECT_EQ(again.created_at, first.created_at);
    EXPECT_EQ(again.labels, first.labels);
    EXPECT_EQ(again.options, tmpfs);
    EXPECT_EQ(create("shared", {}, tmpfs).options, tmpfs);

    auto conflicting = m_store->create("shared", {}, { { "type", "tmpfs" }, { "device", "other" } });
    ASSERT_TRUE(conflicting.is_error());
    EXPECT_EQ(conflicting.error().code(), EEXIST);
    EXPECT_NE(conflicting.error().message().find("shared"), std::string::npos) << conflicting.error().message();
}

TEST_F(VolumesTest, GetOfAnUnknownVolumeIsEnoent)
{
    for (const char* name : { "nope", "../data-root", "" }) {
        auto result = m_store->get(name);
        ASSERT_TRUE(result.is_error()) << name;
        EXPECT_EQ(result.error().code(), ENOENT) << name;
    }
    EXPECT_EQ(m_store->get("nope").error().message(), "get nope: no such volume");
}

TEST_F(VolumesTest, ListIsSortedAndSkipsMalformedMetadata)
{
    create("zeta");
    create("alpha");
    create("broken");
    create("mid");
    write_text(m_root + "/broken/volume.json", "{ not json");
    ASSERT_EQ(::mkdir((m_root + "/no-metadata").c_str(), 0755), 0);
    write_text(m_root + "/stray-file", "x");

    std::vector<std::string> warnings;
    auto volumes = m_store->list(&warnings);
    ASSERT_FALSE(volumes.is_error()) << volumes.error().message();
    std::vector<std::string> listed;
    for (auto const& volume : volumes.value())
        listed.push_back(volume.name);
    EXPECT_EQ(listed, (std::vector<std::string> { "alpha", "mid", "zeta" }));
    ASSERT_EQ(warnings.size(), 2u);
    EXPECT_NE(warnings[0].find("broken"), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[1].find("no-metadata"), std::string::npos) << warnings[1];
    // Without a warnings list they are logged, and the listing still succeeds.
    EXPECT_EQ(names(), (std::vector<std::string> { "alpha", "mid", "zeta" }));

    auto broken = m_store->get("broken");
    ASSERT_TRUE(broken.is_error());
    EXPECT_EQ(broken.error().code(), EINVAL);
    auto no_metadata = m_store->get("no-metadata");
    ASSERT_TRUE(no_metadata.is_error());
    EXPECT_EQ(no_metadata.error().code(), EINVAL);
    EXPECT_EQ(m_store->create("no-metadata").error().code(), EINVAL);
    // What cannot be read can still be removed.
    EXPECT_FALSE(m_store->remove("broken").is_error());
    EXPECT_FALSE(exists(m_root + "/broken"));
}

TEST_F(VolumesTest, RemoveRefusesVolumesInUse)
{
    create("busy");
    write_text(m_root + "/busy/_data/file", "content");
    auto refused = m_store->remove("busy", { "abc123", "def456" });
    ASSERT_TRUE(refused.is_error());
    EXPECT_EQ(refused.error().code(), EBUSY);
    EXPECT_EQ(refused.error().message(), "remove busy: volume is in use - [abc123, def456]");
    EXPECT_TRUE(exists(m_root + "/busy/_data/file"));

    ASSERT_FALSE(m_store->remove("busy").is_error());
    EXPECT_FALSE(exists(m_root + "/busy"));
    auto again = m_store->remove("busy");
    ASSERT_TRUE(again.is_error());
    EXPECT_EQ(again.error().code(), ENOENT);
    EXPECT_EQ(again.error().message(), "get busy: no such volume");
}

TEST_F(VolumesTest, PruneRemovesUnusedAnonymousVolumesAndHonoursFilters)
{
    Volume anonymous_unused = create("", { { "env", "test" } });
    Volume anonymous_used = create("");
    Volume anonymous_prod = create("", { { "env", "prod" } });
    create("named", { { "env", "test" } });
    write_text(anonymous_unused.mountpoint + "/blob", std::string(1000, 'x'));
    write_text(anonymous_unused.mountpoint + "/more", std::string(24, 'y'));

    VolumePruneFilter keep_prod;
    keep_prod.labels_not = { "env=prod" };
    auto report = m_store->prune({ anonymous_used.name }, keep_prod);
    ASSERT_FALSE(report.is_error()) << report.error().message();
    EXPECT_EQ(report->removed, std::vector<std::string> { anonymous_unused.name });
    EXPECT_EQ(report->reclaimed, 1024u);
    EXPECT_TRUE(report->warnings.empty());

    VolumePruneFilter all_test;
    all_test.all = true;
    all_test.labels = { "env=test" };
    report = m_store->prune({ anonymous_used.name }, all_test);
    ASSERT_FALSE(report.is_error()) << report.error().message();
    EXPECT_EQ(report->removed, std::vector<std::string> { "named" });

    VolumePruneFilter all;
    all.all = true;
    report = m_store->prune({ anonymous_used.name }, all);
    ASSERT_FALSE(report.is_error()) << report.error().message();
    EXPECT_EQ(report->removed, std::vector<std::string> { anonymous_prod.name });
    EXPECT_EQ(names(), std::vector<std::string> { anonymous_used.name });
}

TEST_F(VolumesTest, SizeCountsTheData)
{
    Volume volume = create("sized");
    write_text(volume.mountpoint + "/a", std::string(100, 'a'));
    ASSERT_EQ(::mkdir((volume.mountpoint + "/d").c_str(), 0755), 0);
    write_text(volume.mountpoint + "/d/b", std::string(23, 'b'));
    auto size = m_store->size("sized");
    ASSERT_FALSE(size.is_error()) << size.error().message();
    EXPECT_EQ(size.value(), 123u);
    EXPECT_EQ(m_store->size("nope").error().code(), ENOENT);
}

TEST_F(VolumesTest, TmpfsVolumeIsMountedWhileContainersUseIt)
{
    Volume volume
        = create("tmp", {}, { { "type", "tmpfs" }, { "device", "tmpfs" }, { "o", "size=1m,uid=1000,nosuid" } });
    EXPECT_EQ(mounted_type(volume.mountpoint), "");

    auto path = m_store->mount("tmp", "c1");
    ASSERT_FALSE(path.is_error()) << path.error().message();
    EXPECT_EQ(path.value(), volume.mountpoint);
    EXPECT_EQ(mounted_type(volume.mountpoint), "tmpfs");
    EXPECT_EQ(lstat_of(volume.mountpoint).st_uid, 1000u);
    ASSERT_FALSE(m_store->mount("tmp", "c1").is_error()); // the same container counts once
    ASSERT_FALSE(m_store->mount("tmp", "c2").is_error());

    auto busy = m_store->remove("tmp");
    ASSERT_TRUE(busy.is_error());
    EXPECT_EQ(busy.error().code(), EBUSY);
    EXPECT_EQ(busy.error().message(), "remove tmp: volume is in use - [c1, c2]");

    ASSERT_FALSE(m_store->unmount("tmp", "c1").is_error());
    EXPECT_EQ(mounted_type(volume.mountpoint), "tmpfs");
    ASSERT_FALSE(m_store->unmount("tmp", "c1").is_error()); // already gone: no effect
    EXPECT_EQ(mounted_type(volume.mountpoint), "tmpfs");
    ASSERT_FALSE(m_store->unmount("tmp", "c2").is_error());
    EXPECT_EQ(mounted_type(volume.mountpoint), "");
    EXPECT_FALSE(m_store->remove("tmp").is_error());
}

TEST_F(VolumesTest, PlainVolumesAreNotMounted)
{
    Volume volume = create("plain");
    auto path = m_store->mount("plain", "c1");
    ASSERT_FALSE(path.is_error()) << path.error().message();
    EXPECT_EQ(path.value(), volume.mountpoint);
    EXPECT_EQ(mounted_type(volume.mountpoint), "");
    EXPECT_FALSE(m_store->unmount("plain", "c1").is_error());
    EXPECT_EQ(m_store->mount("nope", "c1").error().code(), ENOENT);
}

TEST_F(VolumesTest, ReopeningClearsAStaleMount)
{
    Volume volume = create("held", {}, { { "type", "tmpfs" }, { "device", "tmpfs" } });
    ASSERT_FALSE(m_store->mount("held", "c1").is_error());
    EXPECT_EQ(mounted_type(volume.mountpoint), "tmpfs");
    m_store = open_store(); // a restarted engine: the counts died with the old one
    EXPECT_EQ(mounted_type(volume.mountpoint), "");
    ASSERT_FALSE(m_store->mount("held", "c1").is_error());
    EXPECT_EQ(mounted_type(volume.mountpoint), "tmpfs");
    ASSERT_FALSE(m_store->unmount("held", "c1").is_error());
    EXPECT_EQ(mounted_type(volume.mountpoint), "");
}

TEST_F(VolumesTest, BindVolumeIsReadOnlyAndRemovingItKeepsTheHostDirectory)
{
    std::string host_dir = m_temp.path() + "/host-dir";
    ASSERT_EQ(::mkdir(host_dir.c_str(), 0755), 0);
    write_text(host_dir + "/keep", "precious");
    Volume volume = create("bound", {}, { { "type", "none" }, { "device", host_dir }, { "o", "bind,ro" } });
    ASSERT_FALSE(m_store->mount("bound", "c1").is_error());
    auto content = read_file(volume.mountpoint + "/keep");
    ASSERT_FALSE(content.is_error()) << content.error().message();
    EXPECT_EQ(content.value(), "precious");
    EXPECT_LT(::open((volume.mountpoint + "/new").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644), 0);
    EXPECT_EQ(errno, EROFS);
    ASSERT_FALSE(m_store->unmount("bound", "c1").is_error());
    ASSERT_FALSE(m_store->remove("bound").is_error());
    EXPECT_TRUE(exists(host_dir + "/keep"));
}

TEST_F(VolumesTest, RemoveRefusesWhenSomethingElseIsMountedInside)
{
    Volume volume = create("stacked");
    std::string inner = volume.mountpoint + "/inner";
    ASSERT_EQ(::mkdir(inner.c_str(), 0755), 0);
    ASSERT_EQ(::mount("tmpfs", inner.c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);
    write_text(inner + "/file", "on the mount");
    auto refused = m_store->remove("stacked");
    ASSERT_TRUE(refused.is_error());
    EXPECT_EQ(refused.error().code(), EBUSY);
    EXPECT_EQ(refused.error().message(), "remove stacked: volume has active mounts");
    EXPECT_TRUE(exists(inner + "/file"));
    ASSERT_EQ(::umount2(inner.c_str(), 0), 0);
    EXPECT_FALSE(m_store->remove("stacked").is_error());
}

TEST_F(VolumesTest, ConcurrentUseKeepsCountsRight)
{
    Volume shared = create("shared", {}, { { "type", "tmpfs" }, { "device", "tmpfs" } });
    std::vector<std::thread> threads;
    std::atomic<int> failures { 0 };
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back([&, i] {
            std::string id = "container-" + std::to_string(i);
            for (int j = 0; j < 20; ++j) {
                bool ok = !m_store->mount("shared", id).is_error()
                    && !m_store->create("v-" + std::to_string(i) + "-" + std::to_string(j)).is_error()
                    && !m_store->list().is_error() && !m_store->unmount("shared", id).is_error();
                if (!ok)
                    ++failures;
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(names().size(), 81u);
    EXPECT_EQ(mounted_type(shared.mountpoint), "");
}

// Copy-up

constexpr time_t TOOL_MTIME = 1600000000;
constexpr time_t SUB_MTIME = 1500000000;

void set_mtime(const std::string& path, time_t seconds)
{
    struct timespec times[2] = { { seconds, 0 }, { seconds, 0 } };
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

std::string link_target(const std::string& path)
{
    char buffer[4096];
    ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer);
    return n < 0 ? std::string("<") + std::strerror(errno) + ">" : std::string(buffer, static_cast<size_t>(n));
}

class CopyUpTest : public VolumesTest {
protected:
    // An image directory with every kind of entry the copy must keep as it is.
    std::string make_image_dir()
    {
        std::string image = m_temp.path() + "/rootfs/var/lib/app";
        EXPECT_FALSE(mkdir_p(image, 0755).is_error());
        EXPECT_EQ(::mkdir((image + "/bin").c_str(), 0711), 0);
        EXPECT_EQ(::chmod((image + "/bin").c_str(), 0711), 0);
        write_text(image + "/bin/tool", "#!tool\n");
        EXPECT_EQ(::chown((image + "/bin/tool").c_str(), 1000, 1000), 0);
        EXPECT_EQ(::chmod((image + "/bin/tool").c_str(), 04755), 0);
        set_mtime(image + "/bin/tool", TOOL_MTIME);

        EXPECT_EQ(::symlink("../../etc/passwd", (image + "/etc-link").c_str()), 0);
        EXPECT_EQ(::lchown((image + "/etc-link").c_str(), 1000, 1000), 0);
        EXPECT_EQ(::symlink("/etc/shadow", (image + "/abs-link").c_str()), 0);
        EXPECT_EQ(::symlink("/etc", (image + "/dir-link").c_str()), 0);

        EXPECT_EQ(::mkdir((image + "/sub").c_str(), 0755), 0);
        write_text(image + "/first", "linked");
        EXPECT_EQ(::link((image + "/first").c_str(), (image + "/sub/second").c_str()), 0);
        EXPECT_EQ(::mkfifo((image + "/pipe").c_str(), 0640), 0);
        EXPECT_EQ(::chmod((image + "/pipe").c_str(), 0640), 0);
        EXPECT_EQ(::mknod((image + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0);
        EXPECT_EQ(::chmod((image + "/null").c_str(), 0666), 0);
        write_text(image + "/tagged", "with an attribute");
        m_xattrs = ::setxattr((image + "/tagged").c_str(), "user.x", "hello", 5, 0) == 0;

        set_mtime(image + "/sub", SUB_MTIME);
        EXPECT_EQ(::chown(image.c_str(), 1000, 1000), 0);
        EXPECT_EQ(::chmod(image.c_str(), 0750), 0);
        return image;
    }

    bool m_xattrs { false };
};

TEST_F(CopyUpTest, CopiesEveryFileTypeWithItsMetadata)
{
    std::string image = make_image_dir();
    Volume volume = create("data");
    auto copied = m_store->copy_up("data", image);
    ASSERT_FALSE(copied.is_error()) << copied.error().message();
    std::string data = volume.mountpoint;

    struct stat root = lstat_of(data);
    EXPECT_EQ(root.st_mode & 07777, 0750u);
    EXPECT_EQ(root.st_uid, 1000u);
    EXPECT_EQ(root.st_gid, 1000u);

    EXPECT_EQ(lstat_of(data + "/bin").st_mode & 07777, 0711u);
    struct stat tool = lstat_of(data + "/bin/tool");
    EXPECT_TRUE(S_ISREG(tool.st_mode));
    EXPECT_EQ(tool.st_mode & 07777, 04755u);
    EXPECT_EQ(tool.st_uid, 1000u);
    EXPECT_EQ(tool.st_gid, 1000u);
    EXPECT_EQ(tool.st_mtim.tv_sec, TOOL_MTIME);
    EXPECT_EQ(read_file(data + "/bin/tool").value(), "#!tool\n");

    // Symlinks are copied as symlinks; none is followed out of either tree.
    EXPECT_TRUE(S_ISLNK(lstat_of(data + "/etc-link").st_mode));
    EXPECT_EQ(link_target(data + "/etc-link"), "../../etc/passwd");
    EXPECT_EQ(lstat_of(data + "/etc-link").st_uid, 1000u);
    EXPECT_EQ(link_target(data + "/abs-link"), "/etc/shadow");
    EXPECT_TRUE(S_ISLNK(lstat_of(data + "/dir-link").st_mode));
    EXPECT_EQ(link_target(data + "/dir-link"), "/etc");

    struct stat first = lstat_of(data + "/first");
    struct stat second = lstat_of(data + "/sub/second");
    EXPECT_EQ(first.st_ino, second.st_ino);
    EXPECT_EQ(first.st_nlink, 2u);
    EXPECT_EQ(read_file(data + "/sub/second").value(), "linked");
    EXPECT_EQ(lstat_of(data + "/sub").st_mtim.tv_sec, SUB_MTIME);

    struct stat pipe = lstat_of(data + "/pipe");
    EXPECT_TRUE(S_ISFIFO(pipe.st_mode));
    EXPECT_EQ(pipe.st_mode & 07777, 0640u);
    struct stat null = lstat_of(data + "/null");
    EXPECT_TRUE(S_ISCHR(null.st_mode));
    EXPECT_EQ(null.st_rdev, makedev(1, 3));
    EXPECT_EQ(null.st_mode & 07777, 0666u);

    if (m_xattrs) {
        char value[16] = {};
        EXPECT_EQ(::getxattr((data + "/tagged").c_str(), "user.x", value, sizeof value), 5);
        EXPECT_STREQ(value, "hello");
    } else {
        std::printf("note: %s takes no user.* attributes; not checked\n", m_temp.path().c_str());
    }

    auto got = m_store->get("data");
    ASSERT_FALSE(got.is_error()) << got.error().message();
    EXPECT_TRUE(got->copied);

    // Copied once: later changes to the image, or an emptied volume, bring nothing back.
    write_text(image + "/late", "new");
    ASSERT_FALSE(m_store->copy_up("data", image).is_error());
    EXPECT_FALSE(exists(data + "/late"));
}

TEST_F(CopyUpTest, NonEmptyDataIsLeftAloneButMarkedCopied)
{
    std::string image = make_image_dir();
    Volume volume = create("filled");
    write_text(volume.mountpoint + "/own", "mine");
    ASSERT_FALSE(m_store->copy_up("filled", image).is_error());
    EXPECT_FALSE(exists(volume.mountpoint + "/bin"));
    EXPECT_EQ(lstat_of(volume.mountpoint).st_uid, 0u);
    EXPECT_TRUE(m_store->get("filled")->copied);
}

TEST_F(CopyUpTest, MissingOrSymlinkedImageDirectoryCopiesNothing)
{
    std::string image = make_image_dir();
    Volume missing = create("missing");
    ASSERT_FALSE(m_store->copy_up("missing", m_temp.path() + "/rootfs/nowhere").is_error());
    EXPECT_TRUE(m_store->get("missing")->copied);

    std::string link = m_temp.path() + "/rootfs/app-link";
    ASSERT_EQ(::symlink(image.c_str(), link.c_str()), 0);
    Volume linked = create("linked");
    ASSERT_FALSE(m_store->copy_up("linked", link).is_error());
    EXPECT_FALSE(exists(linked.mountpoint + "/bin"));

    EXPECT_EQ(m_store->copy_up("nope", image).error().code(), ENOENT);
}

TEST_F(CopyUpTest, TmpfsVolumeIsFilledOnItsMount)
{
    std::string image = make_image_dir();
    Volume volume = create("tmp", {}, { { "type", "tmpfs" }, { "device", "tmpfs" } });
    ASSERT_FALSE(m_store->mount("tmp", "c1").is_error());
    ASSERT_FALSE(m_store->copy_up("tmp", image).is_error());
    EXPECT_EQ(read_file(volume.mountpoint + "/bin/tool").value(), "#!tool\n");
    EXPECT_EQ(lstat_of(volume.mountpoint).st_uid, 1000u);
    ASSERT_FALSE(m_store->unmount("tmp", "c1").is_error());
    EXPECT_EQ(mounted_type(volume.mountpoint), "");
    EXPECT_FALSE(exists(volume.mountpoint + "/bin"));

    // The content went with the mount, so the next container gets it again.
    ASSERT_FALSE(m_store->mount("tmp", "c2").is_error());
    ASSERT_FALSE(m_store->copy_up("tmp", image).is_error());
    EXPECT_TRUE(exists(volume.mountpoint + "/bin/tool"));
    ASSERT_FALSE(m_store->unmount("tmp", "c2").is_error());

    // Without a container holding it, the copy mounts it for itself and lets go.
    ASSERT_FALSE(m_store->copy_up("tmp", image).is_error());
    EXPECT_EQ(mounted_type(volume.mountpoint), "");
}

} // namespace
} // namespace corral::engine
