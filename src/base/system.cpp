#include "base/system.h"

#include <fcntl.h>
#include <unistd.h>

namespace corral::sys {

namespace {

std::string quoted(std::string_view call, const std::string& path)
{
    std::string out(call);
    out += " '";
    out += path;
    out += '\'';
    return out;
}

} // namespace

ErrorOr<Fd> open(const std::string& path, int flags, mode_t mode)
{
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0)
        return Error::from_syscall(quoted("open", path));
    return Fd(fd);
}

ErrorOr<Fd> openat(int dirfd, const std::string& path, int flags, mode_t mode)
{
    int fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0)
        return Error::from_syscall(quoted("openat", path));
    return Fd(fd);
}

ErrorOr<std::string> read_all(int fd, size_t max_size)
{
    std::string out;
    char buffer[16384];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_syscall("read");
        }
        if (n == 0)
            return out;
        if (out.size() + static_cast<size_t>(n) > max_size)
            return Error::from_errno(EFBIG, "read (more than " + std::to_string(max_size) + " bytes)");
        out.append(buffer, static_cast<size_t>(n));
    }
}

ErrorOr<void> write_all(int fd, std::string_view data)
{
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_syscall("write");
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

ErrorOr<struct stat> stat(const std::string& path)
{
    struct stat st { };
    if (::stat(path.c_str(), &st) < 0)
        return Error::from_syscall(quoted("stat", path));
    return st;
}

ErrorOr<struct stat> lstat(const std::string& path)
{
    struct stat st { };
    if (::lstat(path.c_str(), &st) < 0)
        return Error::from_syscall(quoted("lstat", path));
    return st;
}

ErrorOr<struct stat> fstat(int fd)
{
    struct stat st { };
    if (::fstat(fd, &st) < 0)
        return Error::from_syscall("fstat");
    return st;
}

ErrorOr<void> mkdir(const std::string& path, mode_t mode)
{
    if (::mkdir(path.c_str(), mode) < 0)
        return Error::from_syscall(quoted("mkdir", path));
    return {};
}

ErrorOr<void> rename(const std::string& from, const std::string& to)
{
    if (::rename(from.c_str(), to.c_str()) < 0)
        return Error::from_syscall("rename '" + from + "' to '" + to + "'");
    return {};
}

ErrorOr<void> unlink(const std::string& path)
{
    if (::unlink(path.c_str()) < 0)
        return Error::from_syscall(quoted("unlink", path));
    return {};
}

ErrorOr<void> fsync(int fd)
{
    if (::fsync(fd) < 0)
        return Error::from_syscall("fsync");
    return {};
}

ErrorOr<void> fchmod(int fd, mode_t mode)
{
    if (::fchmod(fd, mode) < 0)
        return Error::from_syscall("fchmod");
    return {};
}

ErrorOr<void> fchown(int fd, uid_t uid, gid_t gid)
{
    if (::fchown(fd, uid, gid) < 0)
        return Error::from_syscall("fchown");
    return {};
}

ErrorOr<std::pair<Fd, Fd>> pipe()
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0)
        return Error::from_syscall("pipe2");
    return std::pair<Fd, Fd>(Fd(fds[0]), Fd(fds[1]));
}

} // namespace corral::sys
