#include "base/file.h"

#include "base/scope_guard.h"
#include "base/system.h"

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <random>
#include <set>
#include <unistd.h>
#include <vector>

namespace corral {

ErrorOr<std::string> read_file(const std::string& path, size_t max_size)
{
    Fd fd = TRY(sys::open(path, O_RDONLY));
    return TRY_CONTEXT(sys::read_all(fd.get(), max_size), "reading '" + path + "'");
}

std::string random_suffix()
{
    // The random part only avoids collisions between concurrent writers; O_EXCL
    // (or a rename that fails on an existing name) is what keeps them apart.
    static thread_local std::mt19937_64 generator { std::random_device {}() };
    char suffix[17];
    snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(generator()));
    return suffix;
}

namespace {

std::string temp_name_for(const std::string& path)
{
    return path_dirname(path) + "/." + path_basename(path) + ".tmp-" + random_suffix();
}

} // namespace

ErrorOr<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode, KeepMode keep)
{
    std::optional<struct stat> existing;
    if (keep == KeepMode::Yes) {
        auto st = sys::stat(path);
        if (!st.is_error())
            existing = st.value();
        else if (st.error().code() != ENOENT)
            return st.release_error();
    }

    std::string temp = temp_name_for(path);
    Fd fd = TRY(sys::open(temp, O_WRONLY | O_CREAT | O_EXCL, mode & 07777));
    ScopeGuard remove_temp([&] { (void)::unlink(temp.c_str()); /* best effort on the error path */ });

    TRY_CONTEXT(sys::write_all(fd.get(), data), "writing '" + temp + "'");
    // fchmod because open() applied the umask to `mode`.
    if (existing) {
        TRY(sys::fchmod(fd.get(), existing->st_mode & 07777));
        if (existing->st_uid != ::geteuid() || existing->st_gid != ::getegid())
            TRY(sys::fchown(fd.get(), existing->st_uid, existing->st_gid));
    } else {
        TRY(sys::fchmod(fd.get(), mode & 07777));
    }
    TRY(sys::fsync(fd.get()));
    fd.reset();
    TRY(sys::rename(temp, path));
    remove_temp.disarm();

    // The rename is only durable once the directory entry is on disk.
    Fd dir = TRY(sys::open(path_dirname(path), O_RDONLY | O_DIRECTORY));
    TRY(sys::fsync(dir.get()));
    return {};
}

ErrorOr<void> mkdir_p(const std::string& path, mode_t mode)
{
    if (path.empty())
        return Error::from_errno(ENOENT, "mkdir ''");
    auto st = sys::stat(path);
    if (!st.is_error()) {
        if (!S_ISDIR(st->st_mode))
            return Error::from_errno(ENOTDIR, "mkdir '" + path + "'");
        return {};
    }
    if (st.error().code() != ENOENT)
        return st.release_error();
    std::string parent = path_dirname(path);
    if (parent != path)
        TRY(mkdir_p(parent, mode));
    auto made = sys::mkdir(path, mode);
    // Another process may have made it between our stat and mkdir.
    if (made.is_error() && made.error().code() != EEXIST)
        return made;
    return {};
}

std::string path_dirname(std::string_view path)
{
    while (path.size() > 1 && path.back() == '/')
        path.remove_suffix(1);
    auto slash = path.rfind('/');
    if (slash == std::string_view::npos)
        return ".";
    if (slash == 0)
        return "/";
    std::string_view dir = path.substr(0, slash);
    while (dir.size() > 1 && dir.back() == '/')
        dir.remove_suffix(1);
    return std::string(dir);
}

std::string path_basename(std::string_view path)
{
    while (path.size() > 1 && path.back() == '/')
        path.remove_suffix(1);
    auto slash = path.rfind('/');
    if (slash == std::string_view::npos || path == "/")
        return std::string(path);
    return std::string(path.substr(slash + 1));
}

std::string path_join(std::string_view base, std::string_view rest)
{
    std::string out(base);
    while (!out.empty() && out.back() == '/')
        out.pop_back();
    while (!rest.empty() && rest.front() == '/')
        rest.remove_prefix(1);
    if (rest.empty())
        return out.empty() ? "/" : out;
    out += '/';
    out += rest;
    return out;
}

} // namespace corral

namespace corral {

namespace {

// Removes everything inside the directory open as `dirfd` (which it takes).
ErrorOr<void> remove_children(Fd dirfd, const std::string& shown)
{
    DIR* dir = ::fdopendir(dirfd.get());
    if (!dir)
        return Error::from_syscall("fdopendir '" + shown + "'");
    dirfd.release(); // the DIR owns it now
    std::unique_ptr<DIR, int (*)(DIR*)> guard(dir, ::closedir);
    std::vector<std::string> subdirectories;
    while (struct dirent* entry = ::readdir(dir)) {
        std::string_view name = entry->d_name;
        if (name == "." || name == "..")
            continue;
        if (::unlinkat(::dirfd(dir), entry->d_name, 0) == 0)
            continue;
        if (errno == EISDIR || errno == EPERM)
            subdirectories.emplace_back(name);
        else if (errno != ENOENT)
            return Error::from_syscall("unlink '" + shown + "/" + std::string(name) + "'");
    }
    for (auto const& name : subdirectories) {
        int child = ::openat(::dirfd(dir), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0)
            return Error::from_syscall("open '" + shown + "/" + name + "'");
        TRY(remove_children(Fd(child), shown + "/" + name));
        if (::unlinkat(::dirfd(dir), name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
            return Error::from_syscall("rmdir '" + shown + "/" + name + "'");
    }
    return {};
}

ErrorOr<void> add_sizes(Fd dirfd, const std::string& shown, int64_t& total, std::set<std::pair<dev_t, ino_t>>& seen)
{
    DIR* dir = ::fdopendir(dirfd.get());
    if (!dir)
        return Error::from_syscall("fdopendir '" + shown + "'");
    dirfd.release();
    std::unique_ptr<DIR, int (*)(DIR*)> guard(dir, ::closedir);
    while (struct dirent* entry = ::readdir(dir)) {
        std::string_view name = entry->d_name;
        if (name == "." || name == "..")
            continue;
        struct stat st { };
        if (::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return Error::from_syscall("stat '" + shown + "/" + std::string(name) + "'");
        if (S_ISREG(st.st_mode)) {
            if (st.st_nlink == 1 || seen.insert({ st.st_dev, st.st_ino }).second)
                total += st.st_size;
        } else if (S_ISDIR(st.st_mode)) {
            int child = ::openat(::dirfd(dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child < 0)
                return Error::from_syscall("open '" + shown + "/" + std::string(name) + "'");
            TRY(add_sizes(Fd(child), shown + "/" + std::string(name), total, seen));
        }
    }
    return {};
}

} // namespace

ErrorOr<void> remove_tree(const std::string& path)
{
    auto st = sys::lstat(path);
    if (st.is_error())
        return st.error().code() == ENOENT ? ErrorOr<void>() : ErrorOr<void>(st.release_error());
    if (S_ISDIR(st->st_mode)) {
        Fd dir = TRY(sys::open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
        TRY(remove_children(std::move(dir), path));
        if (::rmdir(path.c_str()) < 0 && errno != ENOENT)
            return Error::from_syscall("rmdir '" + path + "'");
        return {};
    }
    if (::unlink(path.c_str()) < 0 && errno != ENOENT)
        return Error::from_syscall("unlink '" + path + "'");
    return {};
}

ErrorOr<int64_t> tree_size(const std::string& path)
{
    Fd dir = TRY(sys::open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    int64_t total = 0;
    std::set<std::pair<dev_t, ino_t>> seen;
    TRY(add_sizes(std::move(dir), path, total, seen));
    return total;
}

ErrorOr<void> sync_filesystem(const std::string& path)
{
    Fd fd = TRY(sys::open(path, O_RDONLY));
    if (::syncfs(fd.get()) < 0)
        return Error::from_syscall("syncfs '" + path + "'");
    return {};
}

std::vector<std::string> list_dir(const std::string& path)
{
    std::vector<std::string> names;
    if (DIR* dir = ::opendir(path.c_str())) {
        while (struct dirent* entry = ::readdir(dir)) {
            std::string name = entry->d_name;
            if (name != "." && name != "..")
                names.push_back(std::move(name));
        }
        ::closedir(dir);
    }
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace corral
