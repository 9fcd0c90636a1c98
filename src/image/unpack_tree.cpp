// LayerTree: resolving member paths safely, the lower-layer rule, the deferred
// directory metadata. Creating each kind of member is in unpack_member.cpp.

#include "image/unpack_tree.h"

#include "base/linux_syscalls.h"
#include "base/system.h"
#include "image/unpack_fs.h"
#include "image/unpack_path.h"

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace corral::image::unpack_detail {

namespace {

ErrorOr<void> require_empty(int dirfd, const std::string& target)
{
    // A descriptor of its own: readdir moves the file offset.
    Fd listing = TRY(sys::openat(dirfd, ".", O_RDONLY | O_DIRECTORY));
    DIR* dir = ::fdopendir(listing.get());
    if (!dir)
        return Error::from_syscall("fdopendir '" + target + "'");
    listing.release(); // the DIR owns it now
    std::unique_ptr<DIR, int (*)(DIR*)> guard(dir, ::closedir);
    errno = 0;
    while (struct dirent* entry = ::readdir(dir)) {
        std::string_view name = entry->d_name;
        if (name != "." && name != "..")
            return Error::from_string("unpack target '" + target + "' is not empty", ENOTEMPTY);
    }
    if (errno != 0)
        return Error::from_syscall("readdir '" + target + "'");
    return {};
}

// overlayfs marks an opaque directory with trusted.overlay.opaque=y. Reading a
// trusted.* attribute needs CAP_SYS_ADMIN; without it the kernel reports none, so an
// unprivileged unpack treats every lower directory as transparent (stricter).
bool is_opaque(int dirfd)
{
    char value = 0;
    return ::fgetxattr(dirfd, "trusted.overlay.opaque", &value, 1) == 1 && value == 'y';
}

} // namespace

int open_beneath(int dirfd, const std::string& path, uint64_t flags)
{
    struct open_how how { };
    how.flags = flags | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    // EAGAIN: a rename elsewhere raced with the lookup (openat2(2)); nothing renames
    // in a layer being unpacked, so a few retries settle it.
    for (int attempt = 0;; ++attempt) {
        int fd = sys::raw_openat2(dirfd, path.c_str(), how);
        if (fd >= 0 || errno != EAGAIN || attempt == 8)
            return fd;
    }
}

Error resolve_error(int code, const std::string& path)
{
    switch (code) {
    case ELOOP:
        return Error::from_string("path passes through a symlink (" + quoted_name(path) + ")", ELOOP);
    case EXDEV:
        return Error::from_string("path passes through a mount point (" + quoted_name(path) + ")", EXDEV);
    case ENOTDIR:
        return Error::from_string("path passes through something that is not a directory (" + quoted_name(path) + ")", ENOTDIR);
    default:
        return Error::from_errno(code, "openat2 '" + escaped_name(path) + "'");
    }
}

LayerTree::LayerTree(Fd root, std::vector<Fd> lowers, std::vector<std::string> lower_names)
    : m_root(std::move(root))
    , m_privileged(::geteuid() == 0)
    , m_lowers(std::move(lowers))
    , m_lower_names(std::move(lower_names))
{
}

ErrorOr<LayerTree> LayerTree::open(const std::string& target, const UnpackOptions& options)
{
    Fd root = TRY(sys::open(target, O_RDONLY | O_DIRECTORY));
    TRY(require_empty(root.get(), target));
    std::vector<Fd> lowers;
    for (auto const& lower : options.lower_dirs)
        lowers.push_back(TRY_CONTEXT(sys::open(lower, O_RDONLY | O_DIRECTORY), "lower layer"));
    return LayerTree(std::move(root), std::move(lowers), options.lower_dirs);
}

// Opens the directory `parent` (canonical, "" for the top) for a member, creating
// the directories that are missing (mode 0755, owned by the unpacker, as Docker
// does). The descriptor is an O_PATH one owned by the tree, valid until the next
// call; a symlink, a mount point or a non-directory on the way is an error.
ErrorOr<int> LayerTree::open_parent(const std::string& parent)
{
    if (parent.empty())
        return m_root.get();
    if (m_cached_parent_fd.valid() && parent == m_cached_parent)
        return m_cached_parent_fd.get();

    int fd = open_beneath(m_root.get(), parent, O_PATH | O_DIRECTORY);
    if (fd < 0) {
        // Something is missing or in the way: walk one component at a time, to create
        // what is missing and to say exactly where the way is blocked.
        Fd current;
        int at = m_root.get();
        size_t position = 0;
        while (position <= parent.size()) {
            size_t slash = std::min(parent.find('/', position), parent.size());
            std::string component = parent.substr(position, slash - position);
            std::string prefix = parent.substr(0, slash);
            position = slash + 1;

            int next = open_beneath(at, component, O_PATH | O_DIRECTORY);
            if (next < 0 && errno == ENOENT) {
                TRY(check_lower_layers(prefix));
                if (::mkdirat(at, component.c_str(), 0755) < 0)
                    return Error::from_syscall("mkdirat '" + escaped_name(prefix) + "'");
                // mkdirat() applied the umask; the directory gets exactly 0755. The
                // name is the directory just made: nothing can have replaced it.
                if (::fchmodat(at, component.c_str(), 0755, 0) < 0)
                    return Error::from_syscall("chmod '" + escaped_name(prefix) + "'");
                next = open_beneath(at, component, O_PATH | O_DIRECTORY);
            }
            if (next < 0)
                return resolve_error(errno, prefix);
            current.reset(next);
            at = next;
        }
        fd = current.release();
    }
    m_cached_parent = parent;
    m_cached_parent_fd.reset(fd);
    return fd;
}

// The lower-layer rule. `path` is a directory this layer is about to create
// implicitly (a member's parent that no member made); all its ancestors exist in
// this layer as directories. The question is what the merged overlay of the lower
// layers shows at `path`, because creating a directory there in this layer would
// replace it:
//
//  - If this layer has made an ancestor of `path` opaque (an earlier ".wh..wh..opq"
//    member), nothing below shows through: allowed.
//  - Otherwise walk the components as overlayfs does. At each one the lower layers
//    still taking part (topmost first) are looked at in order: a directory joins the
//    merge (and ends it when it is opaque), a missing entry is skipped, and the
//    first non-directory (a whiteout 0/0 device, a file, a symlink) hides that layer
//    and every layer below it.
//  - For the ancestors, this layer's own directory hides any lower non-directory.
//    For `path` itself, if the first entry found is a symlink, the member would go
//    through it in the merged view: refused ("path passes through a symlink in a
//    lower layer"). A whiteout or another non-directory there is simply replaced.
//  - As soon as no lower layer has a directory at a prefix, nothing deeper can be
//    in the way: allowed.
//
// A directory this layer creates explicitly, and every member's last component, may
// shadow a lower symlink: that replaces the symlink and writes nothing through it.
// Directories made opaque later in the same tar than the member do not count.
ErrorOr<void> LayerTree::check_lower_layers(const std::string& path)
{
    if (m_lowers.empty())
        return {};
    // The top ("") and every proper ancestor of `path`.
    if (m_opaque.contains(""))
        return {};
    for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
        if (m_opaque.contains(path.substr(0, slash)))
            return {};
    }

    struct Candidate {
        size_t layer;
        Fd owned;
        int fd;
    };
    std::vector<Candidate> active;
    for (size_t i = 0; i < m_lowers.size(); ++i)
        active.push_back({ i, Fd(), m_lowers[i].get() });

    size_t position = 0;
    while (position <= path.size()) {
        size_t slash = std::min(path.find('/', position), path.size());
        std::string component = path.substr(position, slash - position);
        std::string prefix = path.substr(0, slash);
        bool last = slash == path.size();
        position = slash + 1;

        std::vector<Candidate> merged;
        for (auto& candidate : active) {
            const std::string& lower = m_lower_names[candidate.layer];
            struct stat st { };
            if (::fstatat(candidate.fd, component.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                    continue;
                return Error::from_syscall("fstatat '" + lower + "/" + escaped_name(prefix) + "'");
            }
            if (S_ISDIR(st.st_mode)) {
                int fd = open_beneath(candidate.fd, component, O_RDONLY | O_DIRECTORY);
                if (fd < 0)
                    return Error::from_syscall("openat2 '" + lower + "/" + escaped_name(prefix) + "'");
                merged.push_back({ candidate.layer, Fd(fd), fd });
                if (is_opaque(fd))
                    break;
                continue;
            }
            if (last && merged.empty() && S_ISLNK(st.st_mode))
                return Error::from_string(
                    "path passes through a symlink in a lower layer (" + quoted_name(prefix) + " in " + lower + ")", ELOOP);
            break;
        }
        if (merged.empty())
            return {};
        active = std::move(merged);
    }
    return {};
}

// Makes room for a member called `name` in `dirfd` (`path` is its canonical path).
// A directory stays when the member is a directory too (returns true); anything
// else there is removed, an empty directory included. A directory with contents is
// an error: a layer that fills a directory and then replaces it is malformed.
ErrorOr<bool> LayerTree::clear_slot(
    int dirfd, const std::string& path, const std::string& name, bool member_is_directory)
{
    struct stat st { };
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return false;
        return Error::from_syscall("fstatat '" + escaped_name(path) + "'");
    }
    if (!S_ISDIR(st.st_mode)) {
        if (::unlinkat(dirfd, name.c_str(), 0) < 0)
            return Error::from_syscall("unlink '" + escaped_name(path) + "'");
        return false;
    }
    if (member_is_directory)
        return true;
    if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) < 0) {
        if (errno == ENOTEMPTY || errno == EEXIST)
            return Error::from_string("replaces a directory that is not empty (" + quoted_name(path) + ")", ENOTEMPTY);
        return Error::from_syscall("rmdir '" + escaped_name(path) + "'");
    }
    // The removed directory was empty, so it can be the cached parent only itself
    // (never `dirfd`, its own parent).
    if (m_cached_parent == path)
        m_cached_parent_fd.reset();
    m_directories.erase(path);
    return false;
}

ErrorOr<void> LayerTree::finish()
{
    std::vector<std::pair<size_t, const std::pair<const std::string, DirectoryMetadata>*>> order;
    order.reserve(m_directories.size());
    for (auto const& entry : m_directories)
        order.emplace_back(std::count(entry.first.begin(), entry.first.end(), '/'), &entry);
    std::stable_sort(order.begin(), order.end(), [](auto const& a, auto const& b) { return a.first > b.first; });

    for (auto const& [depth, entry] : order) {
        auto const& [path, metadata] = *entry;
        Fd dir(open_beneath(m_root.get(), path, O_RDONLY | O_DIRECTORY));
        if (!dir.valid()) {
            // clear_slot() forgets the directories it removes, so this is a race with
            // something outside the unpacker; report it.
            return std::move(resolve_error(errno, path).context(member_context(path)));
        }
        if (::fchmod(dir.get(), metadata.mode) < 0)
            return std::move(Error::from_syscall("chmod '" + escaped_name(path) + "'").context(member_context(path)));
        if (::futimens(dir.get(), metadata.times) < 0)
            return std::move(Error::from_syscall("utimensat '" + escaped_name(path) + "'").context(member_context(path)));
    }
    m_directories.clear();
    return {};
}

} // namespace corral::image::unpack_detail
