#include "cloudinit/files.h"

#include "base/fd.h"
#include "base/file.h"
#include "base/scope_guard.h"
#include "base/strings.h"
#include "base/system.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace corral::cloudinit {

namespace {

ErrorOr<void> set_attributes(int fd, mode_t mode, std::optional<Owner> owner, const std::string& display)
{
    // Owner first: chown clears the set-id bits that the mode may ask for.
    if (owner)
        TRY_CONTEXT(sys::fchown(fd, owner->uid, owner->gid), display);
    TRY_CONTEXT(sys::fchmod(fd, mode & 07777), display);
    return {};
}

ErrorOr<void> rewrite_in_place(int dirfd, const std::string& name, std::string_view data, mode_t mode,
    std::optional<Owner> owner, const std::string& display)
{
    Fd fd = TRY(sys::openat(dirfd, name, O_WRONLY | O_TRUNC | O_NOFOLLOW));
    TRY(set_attributes(fd.get(), mode, owner, display));
    TRY_CONTEXT(sys::write_all(fd.get(), data), "writing '" + display + "'");
    TRY(sys::fsync(fd.get()));
    return {};
}

} // namespace

ErrorOr<void> install_file_at(int dirfd, const std::string& name, std::string_view data, mode_t mode,
    std::optional<Owner> owner, const std::string& display)
{
    std::string temp = "." + name + ".tmp-" + random_suffix();
    Fd fd = TRY_CONTEXT(sys::openat(dirfd, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600), display);
    ScopeGuard remove_temp([&] {
        (void)::unlinkat(dirfd, temp.c_str(), 0); /* best effort on the error path */
    });
    TRY_CONTEXT(sys::write_all(fd.get(), data), "writing '" + display + "'");
    TRY(set_attributes(fd.get(), mode, owner, display));
    TRY(sys::fsync(fd.get()));
    fd.reset();
    if (::renameat(dirfd, temp.c_str(), dirfd, name.c_str()) < 0) {
        if (errno != EBUSY)
            return Error::from_syscall("rename '" + display + "'");
        TRY(rewrite_in_place(dirfd, name, data, mode, owner, display));
        return {};
    }
    remove_temp.disarm();
    TRY_CONTEXT(sys::fsync(dirfd), display);
    return {};
}

ErrorOr<void> install_file(const std::string& path, std::string_view data, mode_t mode, std::optional<Owner> owner)
{
    Fd dir = TRY(sys::open(path_dirname(path), O_RDONLY | O_DIRECTORY));
    return install_file_at(dir.get(), path_basename(path), data, mode, owner, path);
}

ErrorOr<void> check_config_path(std::string_view path)
{
    if (path.empty() || path[0] != '/')
        return Error::from_string("\"" + std::string(path) + "\" is not an absolute path");
    for (auto const& segment : split(path, '/')) {
        if (segment == "..")
            return Error::from_string("\"" + std::string(path) + "\" has a \"..\" segment");
    }
    if (path.back() == '/')
        return Error::from_string("\"" + std::string(path) + "\" names a directory, not a file");
    return {};
}

ErrorOr<mode_t> parse_permissions(std::string_view text, mode_t fallback)
{
    text = trim(text);
    if (text.empty())
        return fallback;
    std::string_view digits = text;
    if (digits.starts_with("0o") || digits.starts_with("0O"))
        digits.remove_prefix(2);
    if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("01234567") != std::string_view::npos)
        return Error::from_string("permissions \"" + std::string(text) + "\" are not an octal mode such as \"0644\"");
    mode_t mode = 0;
    for (char c : digits)
        mode = mode * 8 + static_cast<mode_t>(c - '0');
    if (mode > 07777)
        return Error::from_string("permissions \"" + std::string(text) + "\" are more than 07777");
    return mode;
}

} // namespace corral::cloudinit
