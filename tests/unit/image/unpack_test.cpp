// Layer unpacking without privileges: contents, metadata a user can set, digests,
// and the refusal of every member that would write outside the layer. Runs as root
// too; what differs (device nodes) is asserted for each case.

#include "image/unpack.h"
#include "image/unpack_path.h"

#include "tar_builder.h"
#include "unpack_test_support.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

using corral::Fd;
using corral::image::decompress_layer;
using corral::image::digest_layer;
using corral::image::sha256_of;
using corral::image::UnpackOptions;
using namespace corral::test;
namespace unpack = corral::image::unpack_detail;

namespace {

std::string random_bytes(size_t size)
{
    std::mt19937 generator(42);
    std::string out(size, '\0');
    for (auto& c : out)
        c = static_cast<char>(generator());
    return out;
}

std::string read_text(const std::string& path)
{
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    EXPECT_TRUE(fd.valid()) << path << ": " << std::strerror(errno);
    return fd.valid() ? read_whole(fd.get()) : std::string();
}

std::string read_link(const std::string& path)
{
    char buffer[4096];
    ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer);
    EXPECT_GE(n, 0) << path << ": " << std::strerror(errno);
    return n < 0 ? std::string() : std::string(buffer, static_cast<size_t>(n));
}

class UnpackTest : public UnpackFixture { };

// --- the pure path rules -----------------------------------------------------

TEST(UnpackPathTest, NormalisesRedundantComponents)
{
    EXPECT_EQ(unpack::normalise_member_path("./a//b/").value(), "a/b");
    EXPECT_EQ(unpack::normalise_member_path("a/./b").value(), "a/b");
    EXPECT_EQ(unpack::normalise_member_path("./").value(), "");
    EXPECT_EQ(unpack::normalise_member_path(".").value(), "");
    EXPECT_EQ(unpack::normalise_member_path("..a/b..").value(), "..a/b..");
}

TEST(UnpackPathTest, RefusesEscapes)
{
    EXPECT_EQ(unpack::normalise_member_path("").error().code(), EINVAL);
    EXPECT_EQ(
        unpack::normalise_member_path("/etc/x").error().message(), "absolute path (a layer holds relative paths only)");
    EXPECT_EQ(unpack::normalise_member_path("../x").error().message(), "path escapes the layer (\"..\" component)");
    EXPECT_TRUE(unpack::normalise_member_path("a/../../x").is_error());
    EXPECT_TRUE(unpack::normalise_member_path("a/..").is_error());
    EXPECT_EQ(unpack::normalise_member_path(std::string(5000, 'a')).error().code(), ENAMETOOLONG);
    EXPECT_EQ(unpack::normalise_member_path("a/" + std::string(256, 'b')).error().code(), ENAMETOOLONG);
}

TEST(UnpackPathTest, QuotesNamesForMessages)
{
    EXPECT_EQ(unpack::member_context("a\"b\\c\n"), "layer member \"a\\\"b\\\\c\\x0a\"");
    EXPECT_EQ(unpack::quoted_name(std::string(300, 'x')), "\"" + std::string(256, 'x') + "...\"");
}

TEST(UnpackPathTest, ClassifiesWhiteouts)
{
    EXPECT_EQ(unpack::whiteout_kind("file"), unpack::WhiteoutKind::None);
    EXPECT_EQ(unpack::whiteout_kind(".wh.file"), unpack::WhiteoutKind::Whiteout);
    EXPECT_EQ(unpack::whiteout_kind(".wh..wh..opq"), unpack::WhiteoutKind::Opaque);
    EXPECT_EQ(unpack::whiteout_kind(".wh..wh.plnk"), unpack::WhiteoutKind::Metadata);
    EXPECT_TRUE(unpack::is_aufs_metadata(".wh..wh.plnk/123.456"));
    EXPECT_TRUE(unpack::is_aufs_metadata("a/.wh..wh.orph"));
    EXPECT_FALSE(unpack::is_aufs_metadata("a/.wh..wh..opq"));
    EXPECT_FALSE(unpack::is_aufs_metadata("a/.wh.b"));
}

// --- what a layer holds ------------------------------------------------------

TEST_F(UnpackTest, RegularFileKeepsContentModeAndTime)
{
    Member script = file("bin/script", "#!/bin/sh\necho hi\n", 0750);
    script.mtime = 1'500'000'123;
    auto result = unpack(build_tar({ directory("bin"), script, file("empty", "", 0600) }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->files, 3u);

    EXPECT_EQ(read_text(path("bin/script")), "#!/bin/sh\necho hi\n");
    struct stat st = lstat_of(path("bin/script"));
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0750u);
    EXPECT_EQ(st.st_mtim.tv_sec, 1'500'000'123);
    EXPECT_EQ(lstat_of(path("empty")).st_size, 0);
    EXPECT_EQ(lstat_of(path("empty")).st_mode & 07777, 0600u);
}

TEST_F(UnpackTest, ModesIgnoreTheUmask)
{
    ::umask(077);
    auto result = unpack(build_tar({ file("a/b/c/open", "x", 0777) }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(lstat_of(path("a/b/c/open")).st_mode & 07777, 0777u);
    // Parents that no member names are made 0755, as Docker makes them.
    for (const char* dir : { "a", "a/b", "a/b/c" }) {
        struct stat st = lstat_of(path(dir));
        EXPECT_TRUE(S_ISDIR(st.st_mode)) << dir;
        EXPECT_EQ(st.st_mode & 07777, 0755u) << dir;
    }
}

TEST_F(UnpackTest, SetuidBitKept)
{
    auto result = unpack(build_tar({ file("bin/su", "elf", 04755) }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(lstat_of(path("bin/su")).st_mode & 07777, 04755u);
}

TEST_F(UnpackTest, DirectoryModeAndTimeSurviveItsChildren)
{
    Member dir = directory("ro", 0555);
    dir.mtime = 1'000'000'000;
    Member child = file("ro/inside", "data");
    child.mtime = 1'700'000'000;
    auto result = unpack(build_tar({ dir, child, directory("ro/sub", 0500), file("ro/sub/deep", "d") }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    struct stat st = lstat_of(path("ro"));
    EXPECT_EQ(st.st_mode & 07777, 0555u);
    EXPECT_EQ(st.st_mtim.tv_sec, 1'000'000'000);
    EXPECT_EQ(lstat_of(path("ro/sub")).st_mode & 07777, 0500u);
    EXPECT_EQ(read_text(path("ro/sub/deep")), "d");
}

TEST_F(UnpackTest, SymlinksStaySymlinks)
{
    auto result = unpack(build_tar({ symbolic_link("etc/localtime", "/usr/share/zoneinfo/UTC"),
        symbolic_link("rel", "../../x"), symbolic_link("outside", outside()) }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_TRUE(S_ISLNK(lstat_of(path("etc/localtime")).st_mode));
    EXPECT_EQ(read_link(path("etc/localtime")), "/usr/share/zoneinfo/UTC");
    EXPECT_EQ(read_link(path("rel")), "../../x");
    EXPECT_EQ(read_link(path("outside")), outside());
    EXPECT_EQ(lstat_of(path("rel")).st_mtim.tv_sec, 1'600'000'000);
}

TEST_F(UnpackTest, HardLinksShareAnInode)
{
    auto result = unpack(build_tar({ file("bin/busybox", "multicall", 0755), hardlink("bin/sh", "bin/busybox"),
        hardlink("usr/bin/env", "./bin/busybox") }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    struct stat target = lstat_of(path("bin/busybox"));
    EXPECT_EQ(target.st_nlink, 3u);
    EXPECT_EQ(lstat_of(path("bin/sh")).st_ino, target.st_ino);
    EXPECT_EQ(lstat_of(path("usr/bin/env")).st_ino, target.st_ino);
    EXPECT_EQ(read_text(path("bin/sh")), "multicall");
}

TEST_F(UnpackTest, FifoMade)
{
    Member pipe = fifo("run/initctl");
    pipe.mode = 0600;
    auto result = unpack(build_tar({ pipe }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    struct stat st = lstat_of(path("run/initctl"));
    EXPECT_TRUE(S_ISFIFO(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(UnpackTest, DeviceNodesNeedRoot)
{
    auto result = unpack(build_tar({ char_device("dev/null", 1, 3), file("dev/after", "x") }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    if (::geteuid() == 0) {
        struct stat st = lstat_of(path("dev/null"));
        EXPECT_TRUE(S_ISCHR(st.st_mode));
        EXPECT_EQ(st.st_rdev, makedev(1, 3));
        EXPECT_EQ(result->files, 2u);
    } else {
        // Left out, not an error: an unprivileged unpack cannot make them.
        EXPECT_FALSE(exists(path("dev/null")));
        EXPECT_EQ(result->files, 1u);
    }
    EXPECT_EQ(read_text(path("dev/after")), "x");
}

TEST_F(UnpackTest, SparseFileStaysSparse)
{
    constexpr size_t SIZE = 16 * 1024 * 1024;
    Member sparse = file("var/log/lastlog", std::string(SIZE, '\0'));
    std::memset(sparse.data.data(), 'a', 4096);
    std::memset(sparse.data.data() + SIZE - 4096, 'z', 4096);
    sparse.sparse = { { 0, 4096 }, { SIZE - 4096, 4096 } };
    // A file that ends in a hole: only its size says how long it is.
    Member tail = file("var/log/tail", std::string(SIZE, '\0'));
    std::memset(tail.data.data() + 8192, 'm', 4096);
    tail.sparse = { { 8192, 4096 } };
    std::string tar = build_tar({ sparse, tail });
    ASSERT_LT(tar.size(), 64u * 1024) << "the writer did not write sparse members";

    auto result = unpack(tar);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    for (auto const* member : { &sparse, &tail }) {
        struct stat st = lstat_of(path(member->path));
        EXPECT_EQ(st.st_size, static_cast<off_t>(SIZE)) << member->path;
        EXPECT_LT(st.st_blocks * 512, 1024 * 1024) << member->path << ": holes were filled";
        EXPECT_EQ(read_text(path(member->path)), member->data) << member->path;
    }
}

TEST_F(UnpackTest, LaterMemberReplacesEarlier)
{
    auto result = unpack(build_tar({ file("a", "one"), file("a", "two"), symbolic_link("b", "x"), file("b", "file"),
        directory("c"), file("c", "was an empty directory"), file("d", "x"), directory("d") }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(read_text(path("a")), "two");
    EXPECT_EQ(read_text(path("b")), "file");
    EXPECT_EQ(read_text(path("c")), "was an empty directory");
    EXPECT_TRUE(S_ISDIR(lstat_of(path("d")).st_mode));
}

TEST_F(UnpackTest, ReplacingAFullDirectoryIsRefused)
{
    std::string tar = build_tar({ file("d/inside", "x"), file("d", "file") });
    expect_refused(tar, "d", "replaces a directory that is not empty");
}

TEST_F(UnpackTest, RootMemberAndDotSlashNamesAccepted)
{
    std::string tar = raw_member("./", '5', {}, {}, 0700) + raw_member("./a//b/", '5', {}, {}, 0755)
        + raw_member("./a//b/c", '0', "c") + end_of_archive();
    auto result = unpack(tar);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->files, 2u);
    EXPECT_EQ(read_text(path("a/b/c")), "c");
    // The target's own mode is the caller's business.
    EXPECT_EQ(lstat_of(layer()).st_mode & 07777, 0755u);
}

TEST_F(UnpackTest, RootMemberMustBeADirectory)
{
    // (libarchive reads any name ending in "/" as a directory, whatever its type.)
    expect_refused(raw_member(".", '0', "x") + end_of_archive(), ".", "the layer root must be a directory");
}

TEST_F(UnpackTest, NonAsciiNamesKeptByteForByte)
{
    std::string pax = build_tar({ file("caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac", "utf-8 pax") });
    auto result = unpack(pax);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(read_text(path("caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac")), "utf-8 pax");

    // A ustar name is bytes, Latin-1 included.
    std::string latin1 = raw_member("caf\xe9", '0', "latin-1") + end_of_archive();
    ASSERT_EQ(::mkdir(scratch("second").c_str(), 0755), 0);
    result = unpack(latin1, {}, scratch("second"));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(read_text(scratch("second/caf\xe9")), "latin-1");
}

TEST_F(UnpackTest, UserXattrsKept)
{
    std::string probe = scratch("probe");
    Fd fd(::open(probe.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    ASSERT_TRUE(fd.valid());
    if (::fsetxattr(fd.get(), "user.probe", "1", 1, 0) < 0)
        GTEST_SKIP() << "the scratch file system has no user.* attributes: " << std::strerror(errno);

    Member tagged = file("tagged", "x");
    tagged.xattrs = { { "user.origin", std::string("lay\0er", 6) } };
    Member dir = directory("dir");
    dir.xattrs = { { "user.kind", "directory" } };
    auto result = unpack(build_tar({ tagged, dir }));
    ASSERT_FALSE(result.is_error()) << result.error().message();

    char value[16];
    ssize_t n = ::getxattr(path("tagged").c_str(), "user.origin", value, sizeof value);
    ASSERT_EQ(n, 6);
    EXPECT_EQ(std::string(value, 6), std::string("lay\0er", 6));
    n = ::getxattr(path("dir").c_str(), "user.kind", value, sizeof value);
    ASSERT_EQ(n, 9);
    EXPECT_EQ(std::string(value, 9), "directory");
}

TEST_F(UnpackTest, AufsMetadataSkipped)
{
    auto result
        = unpack(build_tar({ directory(".wh..wh.plnk"), file(".wh..wh.plnk/1234.5678", "x"), file("kept", "y") }));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->files, 1u);
    EXPECT_EQ(entries(layer()), std::vector<std::string> { "kept" });
}

TEST_F(UnpackTest, OpaqueDirectoryNeedsRoot)
{
    auto result = unpack(build_tar({ directory("opq"), file("opq/.wh..wh..opq", "") }));
    if (::geteuid() == 0) {
        ASSERT_FALSE(result.is_error()) << result.error().message();
        char value = 0;
        EXPECT_EQ(::getxattr(path("opq").c_str(), "trusted.overlay.opaque", &value, 1), 1);
        EXPECT_EQ(value, 'y');
    } else {
        // trusted.* attributes need CAP_SYS_ADMIN: a clear error, not a layer that
        // silently shows what it should hide.
        ASSERT_TRUE(result.is_error());
        EXPECT_EQ(result.error().code(), EPERM);
        EXPECT_EQ(result.error().message(),
            "layer member \"opq/.wh..wh..opq\": setxattr trusted.overlay.opaque 'opq' (opaque directories need root): "
            "Operation not permitted");
    }
}

TEST_F(UnpackTest, InvalidWhiteoutNameRefused)
{
    expect_refused(build_tar({ file("dir/.wh.", "") }), "dir/.wh.", "invalid whiteout name");
}

TEST_F(UnpackTest, TargetMustBeEmpty)
{
    ASSERT_EQ(::mkdir(path("old").c_str(), 0755), 0);
    auto result = unpack(build_tar({ file("a", "x") }));
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().code(), ENOTEMPTY);
}

// --- digests -----------------------------------------------------------------

std::vector<Member> sample_members()
{
    return { directory("etc"), file("etc/hostname", "corral\n"), file("bin/blob", random_bytes(300'000), 0755),
        symbolic_link("bin/sh", "blob"), hardlink("bin/ash", "bin/blob") };
}

TEST_F(UnpackTest, DigestsMatchForEveryCompression)
{
    std::string tar = build_tar(sample_members());
    // libarchive pads to 10240-byte records: the padding is part of the diffID.
    ASSERT_EQ(tar.size() % 10240, 0u);
    struct Case {
        const char* name;
        std::string blob;
    };
    std::vector<Case> cases = {
        { "plain", tar },
        { "gzip", compress(tar, Compression::Gzip) },
        { "zstd", compress(tar, Compression::Zstd) },
        { "bzip2", compress(tar, Compression::Bzip2) },
        { "xz", compress(tar, Compression::Xz) },
    };
    for (auto const& c : cases) {
        std::string target = scratch(std::string("target-") + c.name);
        ASSERT_EQ(::mkdir(target.c_str(), 0755), 0);
        auto result = unpack(c.blob, {}, target);
        ASSERT_FALSE(result.is_error()) << c.name << ": " << result.error().message();
        EXPECT_EQ(result->diff_id, sha256_of(tar)) << c.name;
        EXPECT_EQ(result->blob_digest, sha256_of(c.blob)) << c.name;
        EXPECT_EQ(result->blob_size, c.blob.size()) << c.name;
        EXPECT_EQ(result->tar_size, tar.size()) << c.name;
        EXPECT_EQ(result->files, 5u) << c.name;
        EXPECT_EQ(read_text(target + "/etc/hostname"), "corral\n") << c.name;
    }
}

TEST_F(UnpackTest, BytesAfterTheArchiveAreHashed)
{
    // Zero blocks after the end-of-archive marker belong to the tar, and bytes
    // after the compressed stream belong to the blob. Both are longer than any
    // read-ahead, so they are only hashed if the stream is drained to its end.
    std::string tar = build_tar({ file("a", "x") }) + std::string(1024 * 1024, '\0');
    auto result = unpack(tar);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->diff_id, sha256_of(tar));
    EXPECT_EQ(result->tar_size, tar.size());
    EXPECT_EQ(result->blob_size, tar.size());

    std::string blob = compress(tar, Compression::Gzip) + std::string(1024 * 1024, 'x');
    ASSERT_EQ(::mkdir(scratch("second").c_str(), 0755), 0);
    result = unpack(blob, {}, scratch("second"));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->diff_id, sha256_of(tar));
    EXPECT_EQ(result->tar_size, tar.size());
    EXPECT_EQ(result->blob_digest, sha256_of(blob));
    EXPECT_EQ(result->blob_size, blob.size());
}

TEST_F(UnpackTest, EmptyInputIsAnEmptyLayer)
{
    auto result = unpack("");
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->blob_digest, sha256_of(""));
    EXPECT_EQ(result->diff_id, sha256_of(""));
    EXPECT_EQ(result->files, 0u);
    EXPECT_TRUE(entries(layer()).empty());

    // Docker's empty layer: the two zero blocks alone.
    ASSERT_EQ(::mkdir(scratch("second").c_str(), 0755), 0);
    result = unpack(compress(end_of_archive(), Compression::Gzip), {}, scratch("second"));
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->diff_id, sha256_of(end_of_archive()));
    EXPECT_EQ(result->files, 0u);
}

TEST_F(UnpackTest, DigestLayerAgreesWithUnpack)
{
    std::string tar = build_tar(sample_members());
    std::string blob = compress(tar, Compression::Zstd);
    Fd input = memory_file(blob);
    auto result = digest_layer(input.get());
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->diff_id, sha256_of(tar));
    EXPECT_EQ(result->blob_digest, sha256_of(blob));
    EXPECT_EQ(result->tar_size, tar.size());
    EXPECT_TRUE(entries(layer()).empty());
}

TEST_F(UnpackTest, DecompressLayerWritesTheTar)
{
    std::string tar = build_tar(sample_members()) + std::string(512, '\0');
    std::string blob = compress(tar, Compression::Gzip);
    Fd input = memory_file(blob);
    Fd output = memory_file("");
    auto result = decompress_layer(input.get(), output.get());
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(read_whole(output.get()), tar);
    EXPECT_EQ(result->diff_id, sha256_of(tar));
    EXPECT_EQ(result->tar_size, tar.size());
    EXPECT_EQ(result->blob_size, blob.size());
}

// --- refused inputs ----------------------------------------------------------

TEST_F(UnpackTest, AbsolutePathRefused)
{
    expect_refused(raw_member("/etc/x", '0', "x") + end_of_archive(), "/etc/x", "absolute path");
}

TEST_F(UnpackTest, DotDotRefused)
{
    expect_refused(raw_member("../x", '0', "x") + end_of_archive(), "../x", "path escapes the layer");
    expect_refused(raw_member("a/../../x", '0', "x") + end_of_archive(), "a/../../x", "path escapes the layer");
    // Even one that would stay inside: ".." has no business in a layer.
    expect_refused(raw_member("a/../b", '0', "x") + end_of_archive(), "a/../b", "path escapes the layer");
}

TEST_F(UnpackTest, EmptyNameRefused)
{
    expect_refused(raw_member("", '0', "x") + end_of_archive(), "", "empty path");
}

TEST_F(UnpackTest, LongPathRefused)
{
    std::string name;
    while (name.size() < 5000)
        name += "directory/";
    name += "file";
    expect_refused(build_tar({ file(name, "x") }), name.substr(0, 256) + "...", "path longer than");
}

TEST_F(UnpackTest, WriteThroughSymlinkRefused)
{
    std::string tar = raw_member("evil", '2', {}, outside()) + raw_member("evil/file", '0', "pwned") + end_of_archive();
    expect_refused(tar, "evil/file", "path passes through a symlink (\"evil\")");
    EXPECT_TRUE(S_ISLNK(lstat_of(path("evil")).st_mode));
}

TEST_F(UnpackTest, WriteThroughSymlinkDeeperRefused)
{
    std::string tar = raw_member("a/", '5') + raw_member("a/evil", '2', {}, outside())
        + raw_member("a/evil/sub/file", '0', "pwned") + end_of_archive();
    expect_refused(tar, "a/evil/sub/file", "path passes through a symlink (\"a/evil\")");
}

TEST_F(UnpackTest, SymlinkToItsOwnDirectoryRefused)
{
    std::string tar = raw_member("d", '2', {}, ".") + raw_member("d/d/x", '0', "x") + end_of_archive();
    expect_refused(tar, "d/d/x", "path passes through a symlink (\"d\")");
}

TEST_F(UnpackTest, WriteThroughFileRefused)
{
    std::string tar = raw_member("f", '0', "x") + raw_member("f/x", '0', "x") + end_of_archive();
    expect_refused(tar, "f/x", "not a directory");
}

TEST_F(UnpackTest, HardLinkOutsideRefused)
{
    std::string tar = raw_member("h", '1', {}, "../outside") + end_of_archive();
    expect_refused(tar, "h", "hard link target \"../outside\": path escapes the layer");
    tar = raw_member("h", '1', {}, outside() + "/x") + end_of_archive();
    expect_refused(tar, "h", "absolute path");
}

TEST_F(UnpackTest, HardLinkToMissingFileRefused)
{
    std::string tar = raw_member("h", '1', {}, "missing") + end_of_archive();
    expect_refused(tar, "h", "hard link target \"missing\" does not exist in this layer");
    tar = raw_member("h", '1', {}, "no/such/dir/file") + end_of_archive();
    expect_refused(tar, "h", "does not exist in this layer");
}

TEST_F(UnpackTest, HardLinkToSymlinkOrDirectoryRefused)
{
    std::string tar = raw_member("s", '2', {}, "/etc/shadow") + raw_member("h", '1', {}, "s") + end_of_archive();
    expect_refused(tar, "h", "hard link target \"s\" is not a regular file");
    tar = raw_member("d/", '5') + raw_member("h", '1', {}, "d") + end_of_archive();
    expect_refused(tar, "h", "hard link target \"d\" is not a regular file");
}

TEST_F(UnpackTest, HardLinkThroughSymlinkRefused)
{
    ASSERT_EQ(::close(::open((outside() + "/secret").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600)), 0);
    std::string tar
        = raw_member("link", '2', {}, outside()) + raw_member("h", '1', {}, "link/secret") + end_of_archive();
    auto result = unpack(tar);
    ASSERT_TRUE(result.is_error());
    std::string message = result.error().message();
    EXPECT_NE(message.find("layer member \"h\""), std::string::npos) << message;
    EXPECT_NE(message.find("passes through a symlink"), std::string::npos) << message;
    EXPECT_EQ(lstat_of(outside() + "/secret").st_nlink, 1u);
}

// A layer below shows a symlink where this layer needs a directory.
TEST_F(UnpackTest, SymlinkInLowerLayerRefused)
{
    std::string lower = scratch("lower");
    ASSERT_EQ(::mkdir(lower.c_str(), 0755), 0);
    ASSERT_EQ(::symlink(outside().c_str(), (lower + "/etc").c_str()), 0);
    UnpackOptions options { { lower } };
    expect_refused(build_tar({ file("etc/passwd", "root::0:0::/:/bin/sh\n") }), "etc/passwd",
        "path passes through a symlink in a lower layer (\"etc\" in " + lower + ")", options);
    EXPECT_FALSE(exists(path("etc")));
}

TEST_F(UnpackTest, SymlinkDeepInLowerLayerRefused)
{
    std::string lower = scratch("lower");
    ASSERT_EQ(::mkdir(lower.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((lower + "/usr").c_str(), 0755), 0);
    ASSERT_EQ(::symlink(outside().c_str(), (lower + "/usr/lib").c_str()), 0);
    UnpackOptions options { { scratch("empty-lower"), lower } };
    ASSERT_EQ(::mkdir(options.lower_dirs[0].c_str(), 0755), 0);
    // This layer's own "usr" merges with the lower one, so usr/lib is still the
    // lower symlink.
    expect_refused(build_tar({ directory("usr"), file("usr/lib/libc.so", "x") }), "usr/lib/libc.so",
        "symlink in a lower layer (\"usr/lib\"", options);
}

TEST_F(UnpackTest, LowerSymlinkHiddenByHigherLayerOrThisOne)
{
    std::string top = scratch("top");
    std::string bottom = scratch("bottom");
    ASSERT_EQ(::mkdir(top.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(bottom.c_str(), 0755), 0);
    // A directory in a higher lower layer hides the symlink below it.
    ASSERT_EQ(::mkdir((top + "/etc").c_str(), 0755), 0);
    ASSERT_EQ(::symlink(outside().c_str(), (bottom + "/etc").c_str()), 0);
    // A plain file below is replaced by this layer's directory, as overlayfs shows.
    ASSERT_EQ(::close(::open((bottom + "/srv").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)), 0);
    // This layer's explicit directory replaces a lower symlink rather than follow it.
    ASSERT_EQ(::symlink(outside().c_str(), (bottom + "/opt").c_str()), 0);

    UnpackOptions options { { top, bottom } };
    auto result = unpack(build_tar({ file("etc/passwd", "x"), file("srv/www/index", "y"), directory("opt"),
                             file("opt/tool", "z"), symbolic_link("var", outside()) }),
        options);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(read_text(path("etc/passwd")), "x");
    EXPECT_EQ(read_text(path("opt/tool")), "z");
    EXPECT_TRUE(entries(outside()).empty());
}

TEST_F(UnpackTest, ZipAndCpioRefused)
{
    for (const char* format : { "zip", "cpio" }) {
        auto result = unpack(build_other_format(format));
        ASSERT_TRUE(result.is_error()) << format << " was accepted";
        EXPECT_NE(result.error().message().find("not a tar archive"), std::string::npos) << result.error().message();
        EXPECT_TRUE(entries(layer()).empty()) << format;
    }
    auto result = unpack("PK\x03\x04" + std::string(2000, 'z'));
    ASSERT_TRUE(result.is_error());
    EXPECT_NE(result.error().message().find("not a tar archive"), std::string::npos) << result.error().message();
}

TEST_F(UnpackTest, TruncatedGzipRefused)
{
    std::string tar = build_tar({ file("big", random_bytes(400'000)) });
    std::string gz = compress(tar, Compression::Gzip);
    auto result = unpack(gz.substr(0, gz.size() / 2));
    ASSERT_TRUE(result.is_error());
    std::string message = result.error().message();
    EXPECT_NE(message.find("layer member \"big\""), std::string::npos) << message;
    EXPECT_NE(message.find("decompressing the layer"), std::string::npos) << message;
}

TEST_F(UnpackTest, CorruptGzipRefused)
{
    std::string gz = compress(build_tar({ file("a", std::string(100'000, 'a')) }), Compression::Gzip);
    // The first deflate block's type becomes 3, which RFC 1951 reserves. (libarchive
    // does not check the gzip CRC-32: corrupt data that still inflates gets past
    // it, which the caller's digest checks catch.)
    gz[10] = static_cast<char>(gz[10] | 0x06);
    auto result = unpack(gz);
    ASSERT_TRUE(result.is_error());
    EXPECT_NE(result.error().message().find("decompressing the layer"), std::string::npos) << result.error().message();
}

TEST_F(UnpackTest, TruncatedTarRefused)
{
    std::string tar = raw_member("cut", '0', std::string(5000, 'x'));
    auto result = unpack(tar.substr(0, 512 + 1000));
    ASSERT_TRUE(result.is_error());
    std::string message = result.error().message();
    EXPECT_NE(message.find("layer member \"cut\""), std::string::npos) << message;
    EXPECT_NE(message.find("Truncated tar archive"), std::string::npos) << message;
}

TEST_F(UnpackTest, DamagedHeaderRefused)
{
    std::string tar = raw_member("good", '0', "x") + raw_member("bad", '0', "y") + end_of_archive();
    tar[512 + 512 + 150] ^= 0x11; // the checksum of the second header
    auto result = unpack(tar);
    ASSERT_TRUE(result.is_error());
    EXPECT_NE(result.error().message().find("after layer member \"good\""), std::string::npos)
        << result.error().message();
}

} // namespace
