// LayerTree: creating each kind of member, with its metadata.

#include "image/unpack_fs.h"
#include "image/unpack_path.h"
#include "image/unpack_stream.h"
#include "image/unpack_tree.h"

#include <archive.h>
#include <archive_entry.h>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace corral::image::unpack_detail {

namespace {

struct timespec time_of(bool is_set, time_t seconds, long nanoseconds)
{
    if (!is_set)
        return { 0, UTIME_OMIT };
    // libarchive takes the fraction from pax text; keep a hostile one in range.
    if (nanoseconds < 0 || nanoseconds > 999'999'999)
        nanoseconds = 0;
    return { seconds, nanoseconds };
}

// { atime, mtime } for utimensat(). Without an atime (plain ustar) the mtime
// stands in, as Docker does.
void times_of(archive_entry* entry, struct timespec (&times)[2])
{
    times[1] = time_of(archive_entry_mtime_is_set(entry), archive_entry_mtime(entry), archive_entry_mtime_nsec(entry));
    if (archive_entry_atime_is_set(entry))
        times[0] = time_of(true, archive_entry_atime(entry), archive_entry_atime_nsec(entry));
    else
        times[0] = times[1];
}

mode_t permissions_of(archive_entry* entry)
{
    return archive_entry_perm(entry) & 07777;
}

struct Owner {
    uid_t uid;
    gid_t gid;
};

ErrorOr<Owner> owner_of(archive_entry* entry)
{
    // (uid_t)-1 means "unchanged" to chown(); it and anything wider is refused.
    constexpr int64_t LIMIT = 0xffffffffLL;
    int64_t uid = archive_entry_uid(entry);
    int64_t gid = archive_entry_gid(entry);
    if (uid < 0 || uid >= LIMIT || gid < 0 || gid >= LIMIT)
        return Error::from_string("invalid owner " + std::to_string(uid) + ":" + std::to_string(gid));
    return Owner { static_cast<uid_t>(uid), static_cast<gid_t>(gid) };
}

ErrorOr<void> pwrite_all(int fd, const void* data, size_t size, int64_t offset)
{
    auto const* bytes = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::pwrite(fd, bytes, size, offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_syscall("pwrite");
        }
        bytes += n;
        size -= static_cast<size_t>(n);
        offset += n;
    }
    return {};
}

} // namespace

ErrorOr<bool> LayerTree::add(archive_entry* entry, LayerStream& stream)
{
    const char* raw = archive_entry_pathname(entry);
    std::string_view raw_path = raw ? raw : "";
    auto added = [&]() -> ErrorOr<bool> {
        // libarchive leaves the name unset when a pax name is not valid UTF-8.
        if (!raw)
            return Error::from_string("unreadable path (a pax path that is not UTF-8?)");
        std::string path = TRY(normalise_member_path(raw_path));
        return add_member(entry, path, stream);
    }();
    if (added.is_error())
        return std::move(added.release_error().context(member_context(raw_path)));
    return added;
}

ErrorOr<bool> LayerTree::add_member(archive_entry* entry, const std::string& path, LayerStream& stream)
{
    mode_t type = archive_entry_filetype(entry);
    const char* hard_link = archive_entry_hardlink(entry);
    if (path.empty()) {
        // The layer root is the target itself, whose metadata belongs to the caller
        // (Docker skips this member as well).
        if (hard_link || type != AE_IFDIR)
            return Error::from_string("the layer root must be a directory");
        TRY(stream.skip_data());
        return false;
    }
    if (is_aufs_metadata(path)) {
        TRY(stream.skip_data());
        return false;
    }
    auto split = split_member_path(path);
    std::string parent(split.parent);
    std::string name(split.name);

    switch (whiteout_kind(name)) {
    case WhiteoutKind::None:
    case WhiteoutKind::Metadata: // handled above
        break;
    case WhiteoutKind::Opaque: {
        int dirfd = TRY(open_parent(parent));
        TRY(add_opaque_marker(parent, dirfd));
        TRY(stream.skip_data());
        return true;
    }
    case WhiteoutKind::Whiteout: {
        std::string hidden = name.substr(WHITEOUT_PREFIX.size());
        if (hidden.empty() || hidden == "." || hidden == "..")
            return Error::from_string("invalid whiteout name");
        int dirfd = TRY(open_parent(parent));
        TRY(add_whiteout(entry, dirfd, parent.empty() ? hidden : parent + "/" + hidden, hidden));
        TRY(stream.skip_data());
        return true;
    }
    }

    int dirfd = TRY(open_parent(parent));
    if (hard_link) {
        TRY(add_hard_link(entry, path, dirfd, name));
        // A pax "hard link with data" repeats the target's contents; the link
        // already has them.
        TRY(stream.skip_data());
        return true;
    }
    switch (type) {
    case AE_IFREG:
        TRY(add_file(entry, path, dirfd, name, stream));
        return true;
    case AE_IFDIR:
        TRY(add_directory(entry, path, dirfd, name));
        break;
    case AE_IFLNK:
        TRY(add_symlink(entry, path, dirfd, name));
        break;
    case AE_IFCHR:
    case AE_IFBLK:
        // Only root may make device nodes; an unprivileged unpack (tests, tools)
        // leaves them out rather than failing the layer.
        if (!m_privileged) {
            TRY(stream.skip_data());
            return false;
        }
        TRY(add_node(entry, path, dirfd, name, type == AE_IFCHR ? S_IFCHR : S_IFBLK));
        break;
    case AE_IFIFO:
        TRY(add_node(entry, path, dirfd, name, S_IFIFO));
        break;
    default:
        return Error::from_string("unsupported member type " + std::to_string(type), ENOTSUP);
    }
    TRY(stream.skip_data());
    return true;
}

// Regular file: data first, then owner, then mode (chown clears setuid), then
// extended attributes (chown and every write clear security.capability), then times.
ErrorOr<void> LayerTree::add_file(
    archive_entry* entry, const std::string& path, int dirfd, const std::string& name, LayerStream& stream)
{
    TRY(clear_slot(dirfd, path, name, false));
    int raw_fd = ::openat(dirfd, name.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0600);
    if (raw_fd < 0)
        return Error::from_syscall("create '" + escaped_name(path) + "'");
    Fd file(raw_fd);

    // Blocks come with their offsets: a sparse member skips its holes, and pwrite()
    // past them leaves holes on disk too.
    int64_t end = 0;
    TRY(stream.read_data([&](int64_t offset, const void* data, size_t size) -> ErrorOr<void> {
        if (size > static_cast<size_t>(INT64_MAX - offset))
            return Error::from_string("data offset out of range");
        TRY(pwrite_all(file.get(), data, size, offset));
        end = std::max(end, offset + static_cast<int64_t>(size));
        return {};
    }));
    int64_t size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : end;
    if (size < 0)
        return Error::from_string("negative size");
    if (size != end && ::ftruncate(file.get(), size) < 0)
        return Error::from_syscall("ftruncate '" + escaped_name(path) + "'");

    if (m_privileged) {
        auto owner = TRY(owner_of(entry));
        if (::fchown(file.get(), owner.uid, owner.gid) < 0)
            return Error::from_syscall("chown '" + escaped_name(path) + "'");
    }
    if (::fchmod(file.get(), permissions_of(entry)) < 0)
        return Error::from_syscall("chmod '" + escaped_name(path) + "'");
    TRY(set_xattrs(entry, path, file.get()));
    struct timespec times[2];
    times_of(entry, times);
    if (::futimens(file.get(), times) < 0)
        return Error::from_syscall("utimensat '" + escaped_name(path) + "'");
    return {};
}

// Directory: an existing one is kept (a layer may list a directory that an earlier
// member created implicitly). Owner and attributes now, mode and times at the end.
ErrorOr<void> LayerTree::add_directory(
    archive_entry* entry, const std::string& path, int dirfd, const std::string& name)
{
    bool kept = TRY(clear_slot(dirfd, path, name, true));
    // 0700 until finish(): whatever the final mode, the unpacker can fill it.
    if (!kept && ::mkdirat(dirfd, name.c_str(), 0700) < 0)
        return Error::from_syscall("mkdirat '" + escaped_name(path) + "'");
    Fd dir(open_beneath(dirfd, name, O_RDONLY | O_DIRECTORY));
    if (!dir.valid())
        return resolve_error(errno, path);
    if (m_privileged) {
        auto owner = TRY(owner_of(entry));
        if (::fchown(dir.get(), owner.uid, owner.gid) < 0)
            return Error::from_syscall("chown '" + escaped_name(path) + "'");
    }
    TRY(set_xattrs(entry, path, dir.get()));
    DirectoryMetadata metadata { permissions_of(entry), {} };
    times_of(entry, metadata.times);
    m_directories[path] = metadata;
    return {};
}

// Symlink: kept as it is, whatever it points at; nothing ever follows it while
// unpacking. Extended attributes are not applied to symlinks (user.* is not allowed
// on them, and a path-based call would be needed).
ErrorOr<void> LayerTree::add_symlink(archive_entry* entry, const std::string& path, int dirfd, const std::string& name)
{
    const char* target = archive_entry_symlink(entry);
    if (!target || !*target)
        return Error::from_string("symlink without a target");
    if (std::strlen(target) >= PATH_MAX)
        return Error::from_string(
            "symlink target longer than " + std::to_string(PATH_MAX - 1) + " bytes", ENAMETOOLONG);
    TRY(clear_slot(dirfd, path, name, false));
    if (::symlinkat(target, dirfd, name.c_str()) < 0)
        return Error::from_syscall("symlink '" + escaped_name(path) + "'");
    if (m_privileged) {
        auto owner = TRY(owner_of(entry));
        if (::fchownat(dirfd, name.c_str(), owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW) < 0)
            return Error::from_syscall("lchown '" + escaped_name(path) + "'");
    }
    struct timespec times[2];
    times_of(entry, times);
    if (::utimensat(dirfd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0)
        return Error::from_syscall("utimensat '" + escaped_name(path) + "'");
    return {};
}

// Device node or fifo. Extended attributes are not applied (opening a fifo or a
// device to set them could block or have effects).
ErrorOr<void> LayerTree::add_node(
    archive_entry* entry, const std::string& path, int dirfd, const std::string& name, mode_t type)
{
    dev_t device = type == S_IFIFO ? 0 : makedev(archive_entry_rdevmajor(entry), archive_entry_rdevminor(entry));
    TRY(clear_slot(dirfd, path, name, false));
    if (::mknodat(dirfd, name.c_str(), type | 0600, device) < 0)
        return Error::from_syscall("mknod '" + escaped_name(path) + "'");
    if (m_privileged) {
        auto owner = TRY(owner_of(entry));
        if (::fchownat(dirfd, name.c_str(), owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW) < 0)
            return Error::from_syscall("lchown '" + escaped_name(path) + "'");
    }
    // fchmodat() follows a symlink, but `name` is the node just made.
    if (::fchmodat(dirfd, name.c_str(), permissions_of(entry), 0) < 0)
        return Error::from_syscall("chmod '" + escaped_name(path) + "'");
    struct timespec times[2];
    times_of(entry, times);
    if (::utimensat(dirfd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) < 0)
        return Error::from_syscall("utimensat '" + escaped_name(path) + "'");
    return {};
}

// Hard link: the target must be a regular file that this layer already holds (the
// target directory started empty), reached without symlinks. The link shares the
// target's inode and metadata; the link member's own metadata is not applied, so
// that it cannot change the target behind its back.
ErrorOr<void> LayerTree::add_hard_link(
    archive_entry* entry, const std::string& path, int dirfd, const std::string& name)
{
    std::string_view raw_target = archive_entry_hardlink(entry);
    std::string shown = "hard link target " + quoted_name(raw_target);
    std::string target = TRY_CONTEXT(normalise_member_path(raw_target), shown);
    if (target.empty())
        return Error::from_string(shown + " is the layer root");

    auto split = split_member_path(target);
    std::string target_name(split.name);
    Fd target_dir;
    if (!split.parent.empty()) {
        target_dir.reset(open_beneath(m_root.get(), std::string(split.parent), O_PATH | O_DIRECTORY));
        if (!target_dir.valid()) {
            if (errno == ENOENT || errno == ENOTDIR)
                return Error::from_string(shown + " does not exist in this layer", ENOENT);
            return std::move(resolve_error(errno, std::string(split.parent)).context(shown));
        }
    }
    int target_dirfd = target_dir.valid() ? target_dir.get() : m_root.get();
    struct stat st { };
    if (::fstatat(target_dirfd, target_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return Error::from_string(shown + " does not exist in this layer", ENOENT);
        return Error::from_syscall("fstatat '" + escaped_name(target) + "'");
    }
    if (!S_ISREG(st.st_mode))
        return Error::from_string(shown + " is not a regular file", EPERM);
    if (target == path)
        return {}; // a link to itself: the file is already there

    TRY(clear_slot(dirfd, path, name, false));
    if (::linkat(target_dirfd, target_name.c_str(), dirfd, name.c_str(), 0) < 0)
        return Error::from_syscall("link '" + escaped_name(path) + "' to '" + escaped_name(target) + "'");
    return {};
}

// ".wh.NAME": NAME becomes the 0/0 character device overlayfs reads as "deleted".
// Creating it needs CAP_MKNOD before Linux 5.8.
ErrorOr<void> LayerTree::add_whiteout(archive_entry* entry, int dirfd, const std::string& path, const std::string& name)
{
    TRY(clear_slot(dirfd, path, name, false));
    if (::mknodat(dirfd, name.c_str(), S_IFCHR | 0, makedev(0, 0)) < 0) {
        int code = errno;
        std::string call = "mknod whiteout '" + escaped_name(path) + "'";
        if (code == EPERM)
            call += " (whiteouts need root)";
        return Error::from_errno(code, call);
    }
    if (m_privileged) {
        auto owner = TRY(owner_of(entry));
        if (::fchownat(dirfd, name.c_str(), owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW) < 0)
            return Error::from_syscall("lchown '" + escaped_name(path) + "'");
    }
    return {};
}

// ".wh..wh..opq": the directory (created if this layer has not yet) hides what the
// layers below hold at its path.
ErrorOr<void> LayerTree::add_opaque_marker(const std::string& directory, int dirfd)
{
    std::string shown = directory.empty() ? "." : directory;
    // fsetxattr() needs a real descriptor, not the O_PATH one.
    Fd dir(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid())
        return Error::from_syscall("open '" + escaped_name(shown) + "'");
    if (::fsetxattr(dir.get(), "trusted.overlay.opaque", "y", 1, 0) < 0) {
        int code = errno;
        std::string call = "setxattr trusted.overlay.opaque '" + escaped_name(shown) + "'";
        if (code == EPERM)
            call += " (opaque directories need root)";
        return Error::from_errno(code, call);
    }
    m_opaque.insert(directory);
    return {};
}

// Extended attributes from SCHILY.xattr.* / LIBARCHIVE.xattr.* pax records.
// Unprivileged, trusted.* and security.* are left out (the kernel would refuse
// them). overlayfs's own attributes (trusted.overlay.*, user.overlay.*) are always
// left out: a layer must not forge redirects, origins or opacity; opacity comes
// only from ".wh..wh..opq".
ErrorOr<void> LayerTree::set_xattrs(archive_entry* entry, const std::string& path, int fd)
{
    archive_entry_xattr_reset(entry);
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
        std::string_view key = name ? name : "";
        if (key.empty())
            return Error::from_string("extended attribute without a name");
        if (key.starts_with("trusted.overlay.") || key.starts_with("user.overlay."))
            continue;
        if (!m_privileged && (key.starts_with("trusted.") || key.starts_with("security.")))
            continue;
        if (::fsetxattr(fd, name, value, size, 0) < 0)
            return Error::from_syscall("setxattr " + quoted_name(key) + " '" + escaped_name(path) + "'");
    }
    return {};
}

} // namespace corral::image::unpack_detail
