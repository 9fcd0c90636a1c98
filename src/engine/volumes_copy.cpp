#include "engine/volumes_internal.h"

#include "base/fd.h"
#include "base/system.h"

#include <climits>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <memory>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace corral::engine {

namespace {

struct CopyState {
    int dest_root;
    std::string shown_root;
    // Source inodes with several links → where the first copy went, relative to
    // dest_root, so that later names become links to it.
    std::map<std::pair<dev_t, ino_t>, std::string> linked;
};

std::string shown_path(const CopyState& state, const std::string& relative)
{
    return state.shown_root + "/" + relative;
}

ErrorOr<void> copy_xattrs(int source, int dest, const std::string& shown)
{
    ssize_t size = ::flistxattr(source, nullptr, 0);
    if (size < 0) {
        if (errno == ENOTSUP)
            return {};
        return Error::from_syscall("listxattr '" + shown + "'");
    }
    if (size == 0)
        return {};
    std::string names(static_cast<size_t>(size), '\0');
    size = ::flistxattr(source, names.data(), names.size());
    if (size < 0)
        return Error::from_syscall("listxattr '" + shown + "'");
    names.resize(static_cast<size_t>(size));
    for (size_t at = 0; at < names.size();) {
        std::string name = names.c_str() + at;
        at += name.size() + 1;
        // Overlayfs bookkeeping describes the layer the file came from, not the file.
        if (name.starts_with("trusted.overlay."))
            continue;
        ssize_t value_size = ::fgetxattr(source, name.c_str(), nullptr, 0);
        if (value_size < 0) {
            if (errno == ENODATA)
                continue; // removed since the listing
            return Error::from_syscall("getxattr '" + shown + "' " + name);
        }
        std::string value(static_cast<size_t>(value_size), '\0');
        value_size = ::fgetxattr(source, name.c_str(), value.data(), value.size());
        if (value_size < 0)
            return Error::from_syscall("getxattr '" + shown + "' " + name);
        value.resize(static_cast<size_t>(value_size));
        if (::fsetxattr(dest, name.c_str(), value.data(), value.size(), 0) < 0) {
            // The volume's file system may not take this namespace (user.* on
            // tmpfs before 6.6, trusted.* without CAP_SYS_ADMIN): copied where possible.
            if (errno == ENOTSUP || errno == EPERM)
                continue;
            return Error::from_syscall("setxattr '" + shown + "' " + name);
        }
    }
    return {};
}

// Owner before mode, because chown clears set-user-ID and set-group-ID bits; file
// capabilities (an xattr) after the owner for the same reason; times last, as
// every change before them moves them.
ErrorOr<void> copy_fd_metadata(int source, int dest, const struct stat& st, const std::string& shown)
{
    if (::fchown(dest, st.st_uid, st.st_gid) < 0)
        return Error::from_syscall("chown '" + shown + "'");
    if (::fchmod(dest, st.st_mode & 07777) < 0)
        return Error::from_syscall("chmod '" + shown + "'");
    TRY(copy_xattrs(source, dest, shown));
    struct timespec times[2] = { st.st_atim, st.st_mtim };
    if (::futimens(dest, times) < 0)
        return Error::from_syscall("utimensat '" + shown + "'");
    return {};
}

ErrorOr<void> copy_data(int source, int dest, const std::string& shown)
{
    // copy_file_range lets the file system share or offload the blocks; across
    // file systems (EXDEV since Linux 5.19) and on some it is refused, and a plain
    // copy continues from where it stopped.
    for (;;) {
        ssize_t n = ::copy_file_range(source, nullptr, dest, nullptr, 1 << 30, 0);
        if (n == 0)
            return {};
        if (n > 0)
            continue;
        if (errno == EINTR)
            continue;
        if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)
            break;
        return Error::from_syscall("copy_file_range '" + shown + "'");
    }
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(source, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error::from_syscall("read '" + shown + "'");
        if (n == 0)
            return {};
        TRY_CONTEXT(sys::write_all(dest, std::string_view(buffer, static_cast<size_t>(n))), "copying '" + shown + "'");
    }
}

ErrorOr<void> copy_regular(
    int source_dir, int dest_dir, const char* name, const struct stat& st, const std::string& shown)
{
    // O_NONBLOCK: should the entry have become a fifo since it was looked at, the
    // open must not hang; the fstat below then refuses it.
    Fd source = TRY(sys::openat(source_dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK));
    struct stat now = TRY(sys::fstat(source.get()));
    if (!S_ISREG(now.st_mode) || now.st_ino != st.st_ino)
        return Error::from_errno(EAGAIN, "copy '" + shown + "' (changed while being copied)");
    Fd dest = TRY(sys::openat(dest_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
    TRY(copy_data(source.get(), dest.get(), shown));
    return copy_fd_metadata(source.get(), dest.get(), now, shown);
}

ErrorOr<void> copy_symlink(
    int source_dir, int dest_dir, const char* name, const struct stat& st, const std::string& shown)
{
    char target[PATH_MAX + 1];
    ssize_t n = ::readlinkat(source_dir, name, target, PATH_MAX);
    if (n < 0)
        return Error::from_syscall("readlink '" + shown + "'");
    target[n] = '\0';
    if (::symlinkat(target, dest_dir, name) < 0)
        return Error::from_syscall("symlink '" + shown + "'");
    if (::fchownat(dest_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return Error::from_syscall("lchown '" + shown + "'");
    // Symlinks take no mode, and user.* attributes are not allowed on them.
    struct timespec times[2] = { st.st_atim, st.st_mtim };
    if (::utimensat(dest_dir, name, times, AT_SYMLINK_NOFOLLOW) < 0)
        return Error::from_syscall("utimensat '" + shown + "'");
    return {};
}

ErrorOr<void> copy_node(int dest_dir, const char* name, const struct stat& st, const std::string& shown)
{
    if (::mknodat(dest_dir, name, (st.st_mode & S_IFMT) | 0600, st.st_rdev) < 0)
        return Error::from_syscall("mknod '" + shown + "'");
    if (::fchownat(dest_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return Error::from_syscall("lchown '" + shown + "'");
    // The node was made just now by us in a directory nobody else writes, so
    // following a symlink here is not a concern; opening a device to use fchmod
    // would be.
    if (::fchmodat(dest_dir, name, st.st_mode & 07777, 0) < 0)
        return Error::from_syscall("chmod '" + shown + "'");
    struct timespec times[2] = { st.st_atim, st.st_mtim };
    if (::utimensat(dest_dir, name, times, AT_SYMLINK_NOFOLLOW) < 0)
        return Error::from_syscall("utimensat '" + shown + "'");
    return {};
}

ErrorOr<void> copy_children(CopyState& state, int source_dir, int dest_dir, const std::string& relative);

ErrorOr<void> copy_subdirectory(
    CopyState& state, int source_dir, int dest_dir, const char* name, const std::string& relative)
{
    std::string shown = shown_path(state, relative);
    // Made private first: the copy must be able to write into a directory whose
    // own mode (0555, 0000) would refuse it, and nobody should see it half-filled.
    if (::mkdirat(dest_dir, name, 0700) < 0)
        return Error::from_syscall("mkdir '" + shown + "'");
    Fd source = TRY(sys::openat(source_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    Fd dest = TRY(sys::openat(dest_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    TRY(copy_children(state, source.get(), dest.get(), relative));
    struct stat st = TRY(sys::fstat(source.get()));
    return copy_fd_metadata(source.get(), dest.get(), st, shown);
}

ErrorOr<void> copy_entry(CopyState& state, int source_dir, int dest_dir, const char* name, const std::string& relative)
{
    std::string shown = shown_path(state, relative);
    struct stat st { };
    if (::fstatat(source_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return Error::from_syscall("stat '" + shown + "'");
    if (S_ISDIR(st.st_mode))
        return copy_subdirectory(state, source_dir, dest_dir, name, relative);
    if (S_ISSOCK(st.st_mode))
        return {}; // a socket is only meaningful to the process that bound it

    if (st.st_nlink > 1) {
        auto key = std::make_pair(st.st_dev, st.st_ino);
        if (auto found = state.linked.find(key); found != state.linked.end()) {
            // Without AT_SYMLINK_FOLLOW, linkat links a symlink itself, never its target.
            if (::linkat(state.dest_root, found->second.c_str(), dest_dir, name, 0) < 0)
                return Error::from_syscall("link '" + shown + "' to '" + shown_path(state, found->second) + "'");
            return {};
        }
        state.linked.emplace(key, relative);
    }
    if (S_ISREG(st.st_mode))
        return copy_regular(source_dir, dest_dir, name, st, shown);
    if (S_ISLNK(st.st_mode))
        return copy_symlink(source_dir, dest_dir, name, st, shown);
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        return copy_node(dest_dir, name, st, shown);
    return Error::from_errno(EINVAL, "copy '" + shown + "' (unknown file type)");
}

ErrorOr<void> copy_children(CopyState& state, int source_dir, int dest_dir, const std::string& relative)
{
    // fdopendir takes its descriptor, and the caller keeps source_dir.
    int listing = ::fcntl(source_dir, F_DUPFD_CLOEXEC, 0);
    if (listing < 0)
        return Error::from_syscall("fcntl F_DUPFD_CLOEXEC");
    DIR* dir = ::fdopendir(listing);
    if (!dir) {
        ::close(listing);
        return Error::from_syscall("fdopendir '" + shown_path(state, relative) + "'");
    }
    std::unique_ptr<DIR, int (*)(DIR*)> guard(dir, ::closedir);
    // The duplicate shares the file offset of source_dir, wherever a caller left it.
    ::rewinddir(dir);
    for (;;) {
        errno = 0;
        struct dirent* entry = ::readdir(dir);
        if (!entry) {
            if (errno != 0)
                return Error::from_syscall("readdir '" + shown_path(state, relative) + "'");
            return {};
        }
        std::string_view name = entry->d_name;
        if (name == "." || name == "..")
            continue;
        std::string child = relative.empty() ? std::string(name) : relative + "/" + std::string(name);
        TRY(copy_entry(state, source_dir, dest_dir, entry->d_name, child));
    }
}

} // namespace

ErrorOr<void> copy_directory_contents(int source_dir, int dest_dir, const std::string& shown)
{
    CopyState state { dest_dir, shown, {} };
    return copy_children(state, source_dir, dest_dir, "");
}

ErrorOr<void> copy_directory_metadata(int source_dir, int dest_dir, const std::string& shown)
{
    struct stat source = TRY(sys::fstat(source_dir));
    struct stat dest = TRY(sys::fstat(dest_dir));
    // Docker leaves an unchanged owner alone: on NFS with root squashing even a
    // chown to the same owner fails.
    if ((source.st_uid != dest.st_uid || source.st_gid != dest.st_gid)
        && ::fchown(dest_dir, source.st_uid, source.st_gid) < 0)
        return Error::from_syscall("chown volume data for '" + shown + "'");
    if ((source.st_mode & 07777) != (dest.st_mode & 07777) && ::fchmod(dest_dir, source.st_mode & 07777) < 0)
        return Error::from_syscall("chmod volume data for '" + shown + "'");
    return copy_xattrs(source_dir, dest_dir, shown);
}

} // namespace corral::engine
