#pragma once

// Thin wrappers over the system calls CorralOS uses. Each returns ErrorOr and names
// the call and its path in the error; descriptors come back as Fd, close-on-exec.

#include "base/error.h"
#include "base/fd.h"

#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>
#include <utility>

namespace corral::sys {

ErrorOr<Fd> open(const std::string& path, int flags, mode_t mode = 0);
ErrorOr<Fd> openat(int dirfd, const std::string& path, int flags, mode_t mode = 0);

// Reads until end of file. Fails with EFBIG past `max_size` bytes, so that a hostile
// or runaway file cannot exhaust memory.
ErrorOr<std::string> read_all(int fd, size_t max_size);
// Writes every byte, retrying short writes and EINTR.
ErrorOr<void> write_all(int fd, std::string_view data);

ErrorOr<struct stat> stat(const std::string& path);
ErrorOr<struct stat> lstat(const std::string& path);
ErrorOr<struct stat> fstat(int fd);

ErrorOr<void> mkdir(const std::string& path, mode_t mode);
ErrorOr<void> rename(const std::string& from, const std::string& to);
ErrorOr<void> unlink(const std::string& path);
ErrorOr<void> fsync(int fd);
ErrorOr<void> fchmod(int fd, mode_t mode);
ErrorOr<void> fchown(int fd, uid_t uid, gid_t gid);

// A close-on-exec pipe: first is the read end, second the write end.
ErrorOr<std::pair<Fd, Fd>> pipe();

} // namespace corral::sys
