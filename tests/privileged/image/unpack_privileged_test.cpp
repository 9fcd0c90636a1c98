// Layer unpacking as root: ownership, device nodes, capabilities, overlayfs
// whiteouts and opaque directories, lower layers hidden by them, and a real
// overlayfs mount of two unpacked layers. Skips (saying why) when not root.

#include "base/scope_guard.h"
#include "image/unpack.h"

#include "../../unit/image/tar_builder.h"
#include "../../unit/image/unpack_test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

using corral::ScopeGuard;
using corral::image::UnpackOptions;
using namespace corral::test;

namespace {

class UnpackPrivilegedTest : public UnpackFixture {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root: chown, mknod, trusted.* and security.* attributes, mount";
        UnpackFixture::SetUp();
    }

    // Unpacks `members` into a new directory `name` (a layer for later tests).
    std::string make_layer(
        const std::string& name, const std::vector<Member>& members, const UnpackOptions& options = {})
    {
        std::string dir = scratch(name);
        EXPECT_EQ(::mkdir(dir.c_str(), 0755), 0);
        auto result = unpack(build_tar(members), options, dir);
        EXPECT_FALSE(result.is_error()) << name << ": " << result.error().message();
        return dir;
    }

    static std::string xattr_of(const std::string& path, const char* name)
    {
        char value[256];
        ssize_t n = ::lgetxattr(path.c_str(), name, value, sizeof value);
        return n < 0 ? std::string("<") + std::strerror(errno) + ">" : std::string(value, static_cast<size_t>(n));
    }
};

Member owned(Member member, int64_t uid, int64_t gid)
{
    member.uid = uid;
    member.gid = gid;
    return member;
}

TEST_F(UnpackPrivilegedTest, OwnershipApplied)
{
    auto result = unpack(
        build_tar({ owned(directory("home/user", 0700), 1234, 5678), owned(file("home/user/notes", "x"), 1234, 5678),
            owned(symbolic_link("home/user/link", "notes"), 1234, 5678), owned(fifo("home/user/pipe"), 1234, 5678) }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    for (const char* name : { "home/user", "home/user/notes", "home/user/link", "home/user/pipe" }) {
        struct stat st = lstat_of(path(name));
        EXPECT_EQ(st.st_uid, 1234u) << name;
        EXPECT_EQ(st.st_gid, 5678u) << name;
    }
    EXPECT_TRUE(S_ISLNK(lstat_of(path("home/user/link")).st_mode));
    EXPECT_EQ(lstat_of(path("home/user")).st_mode & 07777, 0700u);
    // Implicit parents belong to the unpacker, as with Docker.
    EXPECT_EQ(lstat_of(path("home")).st_uid, 0u);
}

TEST_F(UnpackPrivilegedTest, SetuidAndSetgidKeptAfterChown)
{
    auto result = unpack(build_tar({ owned(file("bin/suid", "elf", 04755), 1234, 5678),
        owned(file("bin/sgid", "elf", 02755), 1234, 5678), owned(directory("shared", 02775), 1234, 5678) }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    struct stat st = lstat_of(path("bin/suid"));
    EXPECT_EQ(st.st_mode & 07777, 04755u);
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(lstat_of(path("bin/sgid")).st_mode & 07777, 02755u);
    EXPECT_EQ(lstat_of(path("shared")).st_mode & 07777, 02775u);
}

TEST_F(UnpackPrivilegedTest, DeviceNodesMade)
{
    Member disk = char_device("dev/sda", 8, 0);
    disk.type = AE_IFBLK;
    disk.mode = 0660;
    auto result = unpack(build_tar({ char_device("dev/null", 1, 3), disk }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    struct stat st = lstat_of(path("dev/null"));
    EXPECT_TRUE(S_ISCHR(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(1, 3));
    EXPECT_EQ(st.st_mode & 07777, 0666u);
    st = lstat_of(path("dev/sda"));
    EXPECT_TRUE(S_ISBLK(st.st_mode));
    EXPECT_EQ(st.st_rdev, makedev(8, 0));
    EXPECT_EQ(st.st_mode & 07777, 0660u);
}

TEST_F(UnpackPrivilegedTest, WhiteoutBecomesCharDevice)
{
    auto result = unpack(build_tar({ file(".wh.gone", ""), file("dir/replaced", "x"), file("dir/.wh.replaced", "") }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->files, 3u);
    for (const char* name : { "gone", "dir/replaced" }) {
        struct stat st = lstat_of(path(name));
        EXPECT_TRUE(S_ISCHR(st.st_mode)) << name;
        EXPECT_EQ(st.st_rdev, makedev(0, 0)) << name;
    }
    EXPECT_FALSE(exists(path(".wh.gone")));
    EXPECT_FALSE(exists(path("dir/.wh.replaced")));
}

TEST_F(UnpackPrivilegedTest, OpaqueDirectoryMarked)
{
    auto result = unpack(build_tar(
        { directory("opq"), file("opq/.wh..wh..opq", ""), file("opq/new", "n"), file("implicit/.wh..wh..opq", "") }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(xattr_of(path("opq"), "trusted.overlay.opaque"), "y");
    EXPECT_EQ(xattr_of(path("implicit"), "trusted.overlay.opaque"), "y");
    EXPECT_EQ(entries(path("opq")), std::vector<std::string> { "new" });
}

TEST_F(UnpackPrivilegedTest, SecurityCapabilityKept)
{
    // struct vfs_cap_data, revision 2: magic_etc, then permitted/inheritable for
    // capabilities 0-31 and 32-63. Bit 10 is CAP_NET_BIND_SERVICE.
    const unsigned char capability[20] = { 0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00 };
    std::string value(reinterpret_cast<const char*>(capability), sizeof capability);
    Member server = owned(file("usr/sbin/server", "elf", 0755), 1234, 5678);
    server.xattrs = { { "security.capability", value } };
    auto result = unpack(build_tar({ server }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    // chown and writes clear the attribute: it must have come last.
    EXPECT_EQ(xattr_of(path("usr/sbin/server"), "security.capability"), value);
    EXPECT_EQ(lstat_of(path("usr/sbin/server")).st_uid, 1234u);
}

TEST_F(UnpackPrivilegedTest, OverlayAttributesFromTheTarIgnored)
{
    Member dir = directory("forged");
    dir.xattrs = { { "trusted.overlay.redirect", "/etc" }, { "trusted.overlay.opaque", "y" }, { "trusted.kept", "1" } };
    auto result = unpack(build_tar({ dir }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(xattr_of(path("forged"), "trusted.overlay.redirect"), "<No data available>");
    EXPECT_EQ(xattr_of(path("forged"), "trusted.overlay.opaque"), "<No data available>");
    EXPECT_EQ(xattr_of(path("forged"), "trusted.kept"), "1");
}

// A lower symlink that a higher layer deleted is no longer in the way.
TEST_F(UnpackPrivilegedTest, LowerWhiteoutHidesLowerSymlink)
{
    std::string bottom = make_layer("bottom", { symbolic_link("etc", outside()) });
    std::string middle = make_layer("middle", { file(".wh.etc", "") }, { { bottom } });
    auto result = unpack(build_tar({ file("etc/passwd", "root:x:0:0::/:/bin/sh\n") }), { { middle, bottom } });
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_TRUE(S_ISDIR(lstat_of(path("etc")).st_mode));
    EXPECT_TRUE(entries(outside()).empty());

    // Without the middle layer the symlink is in the way.
    expect_refused(build_tar({ file("etc/passwd", "x") }), "etc/passwd", "symlink in a lower layer", { { bottom } });
}

// A lower symlink below an opaque directory (of a higher layer or of this one) is
// hidden as well.
TEST_F(UnpackPrivilegedTest, OpaqueDirectoryHidesLowerSymlink)
{
    std::string bottom = make_layer("bottom", { directory("usr"), symbolic_link("usr/lib", outside()) });
    std::string middle = make_layer("middle", { directory("usr"), file("usr/.wh..wh..opq", "") }, { { bottom } });
    auto result = unpack(build_tar({ file("usr/lib/libc.so", "x") }), { { middle, bottom } });
    ASSERT_FALSE(result.is_error()) << result.error().message();

    expect_refused(
        build_tar({ file("usr/lib/libc.so", "x") }), "usr/lib/libc.so", "symlink in a lower layer", { { bottom } });

    result = unpack(build_tar({ directory("usr"), file("usr/.wh..wh..opq", ""), file("usr/lib/libc.so", "x") }),
        { { bottom } }, make_layer("third", {}));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_TRUE(entries(outside()).empty());
}

TEST_F(UnpackPrivilegedTest, OverlayMountShowsWhiteoutsAndOpaqueDirectories)
{
    std::string lower = make_layer("lower",
        { file("gone", "old"), file("kept", "k"), directory("opq"), file("opq/old", "o"), directory("merged-dir"),
            file("merged-dir/a", "a") });
    std::string upper = make_layer("upper",
        { file(".wh.gone", ""), directory("opq"), file("opq/.wh..wh..opq", ""), file("opq/new", "n"),
            file("merged-dir/b", "b") },
        { { lower } });
    std::string merged = scratch("merged");
    ASSERT_EQ(::mkdir(merged.c_str(), 0755), 0);

    std::string options = "lowerdir=" + upper + ":" + lower;
    ASSERT_EQ(::mount("overlay", merged.c_str(), "overlay", MS_RDONLY, options.c_str()), 0)
        << "mount overlay " << options << ": " << std::strerror(errno);
    ScopeGuard unmount([&] {
        (void)::umount2(merged.c_str(), MNT_DETACH); /* best effort in teardown */
    });

    EXPECT_FALSE(exists(merged + "/gone"));
    EXPECT_TRUE(exists(merged + "/kept"));
    EXPECT_EQ(entries(merged + "/opq"), std::vector<std::string> { "new" });
    auto both = entries(merged + "/merged-dir");
    std::sort(both.begin(), both.end());
    EXPECT_EQ(both, (std::vector<std::string> { "a", "b" }));

    ASSERT_EQ(::umount2(merged.c_str(), 0), 0) << std::strerror(errno);
    unmount.disarm();
}

} // namespace
