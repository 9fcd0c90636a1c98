// Resolving container paths under the root file system without ever leaving
// it, in the manner of runc's filepath-securejoin: every existing component is
// checked with fstatat(AT_SYMLINK_NOFOLLOW) relative to the root's descriptor,
// symlinks are read and resolved against the container's root by us, and the
// final open is openat2(RESOLVE_IN_ROOT), which keeps the result inside even
// if something changed in between.

#include "runtime/executor_internal.h"

#include "base/linux_syscalls.h"
#include "base/system.h"

#include <algorithm>
#include <climits>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace corral::runtime::detail {

namespace {

// Linux's own limit on symlinks followed in one lookup.
constexpr int MAX_SYMLINKS = 40;

std::string join_components(const std::vector<std::string>& components, size_t count)
{
    std::string out;
    for (size_t i = 0; i < count; ++i) {
        if (i)
            out += '/';
        out += components[i];
    }
    return out;
}

// Pushes the components of `path` onto `stack` so that the first component is
// popped first.
void push_components(std::vector<std::string>& stack, std::string_view path)
{
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= path.size()) {
        size_t slash = path.find('/', start);
        if (slash == std::string_view::npos)
            slash = path.size();
        if (slash > start)
            parts.emplace_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    for (auto it = parts.rbegin(); it != parts.rend(); ++it)
        stack.push_back(std::move(*it));
}

} // namespace

std::string fd_path(int fd)
{
    return "/proc/self/fd/" + std::to_string(fd);
}

ErrorOr<Fd> open_in_root(int root_fd, std::string_view path, Create create)
{
    std::vector<std::string> resolved;
    size_t existing = 0; // leading components of `resolved` known to exist and not be symlinks
    std::vector<std::string> pending;
    push_components(pending, path);
    int links = 0;
    auto shown = [&] { return "/" + join_components(resolved, resolved.size()); };

    while (!pending.empty()) {
        std::string component = std::move(pending.back());
        pending.pop_back();
        if (component == ".")
            continue;
        if (component == "..") {
            // Lexical, and clamped at the root: every component before this
            // one exists and is no symlink, so this is also what the kernel
            // would do (a missing one would have failed there; here the path
            // is to be created anyway).
            if (!resolved.empty())
                resolved.pop_back();
            existing = std::min(existing, resolved.size());
            continue;
        }
        resolved.push_back(std::move(component));
        if (existing + 1 != resolved.size())
            continue; // below a missing directory: nothing further exists
        std::string relative = join_components(resolved, resolved.size());
        struct stat st { };
        if (::fstatat(root_fd, relative.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT)
                continue;
            return Error::from_syscall("stat " + shown());
        }
        if (!S_ISLNK(st.st_mode)) {
            ++existing;
            continue;
        }
        if (++links > MAX_SYMLINKS)
            return Error::from_errno(ELOOP, "resolve " + std::string(path));
        char target[PATH_MAX];
        ssize_t n = ::readlinkat(root_fd, relative.c_str(), target, sizeof target - 1);
        if (n < 0)
            return Error::from_syscall("readlink " + shown());
        std::string_view link(target, static_cast<size_t>(n));
        resolved.pop_back();
        if (link.starts_with('/')) {
            // Absolute: from the container's root, not the host's.
            resolved.clear();
            existing = 0;
        }
        push_components(pending, link);
    }

    if (existing < resolved.size()) {
        if (create == Create::No)
            return Error::from_errno(ENOENT, "open " + shown());
        Fd dir = TRY(sys::openat(root_fd, ".", O_PATH | O_DIRECTORY));
        for (size_t i = 0; i < resolved.size(); ++i) {
            auto const& name = resolved[i];
            bool last = i + 1 == resolved.size();
            if (i >= existing) {
                std::string made = "/" + join_components(resolved, i + 1);
                if (last && create == Create::File) {
                    int fd
                        = ::openat(dir.get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                    if (fd < 0 && errno != EEXIST)
                        return Error::from_syscall("create " + made);
                    if (fd >= 0)
                        ::close(fd);
                } else if (::mkdirat(dir.get(), name.c_str(), 0755) < 0 && errno != EEXIST) {
                    return Error::from_syscall("mkdir " + made);
                }
            }
            if (!last) {
                // O_NOFOLLOW | O_DIRECTORY: a symlink that appeared meanwhile
                // is refused rather than followed.
                int fd = ::openat(dir.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                    return Error::from_syscall("open /" + join_components(resolved, i + 1));
                dir.reset(fd);
            }
        }
    }

    std::string relative = resolved.empty() ? "." : join_components(resolved, resolved.size());
    struct open_how how { };
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    int fd = sys::raw_openat2(root_fd, relative.c_str(), how);
    if (fd < 0)
        return Error::from_syscall("open " + shown());
    return Fd(fd);
}

} // namespace corral::runtime::detail
