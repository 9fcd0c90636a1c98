#include "cloudinit/authorized_keys.h"

#include "base/fd.h"
#include "base/strings.h"
#include "base/system.h"
#include "cloudinit/files.h"

#include <fcntl.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace corral::cloudinit {

std::string merge_authorized_keys(std::string_view existing, const std::vector<std::string>& keys)
{
    std::set<std::string, std::less<>> present;
    for (auto const& line : split(existing, '\n')) {
        auto key = trim(line);
        if (!key.empty())
            present.insert(std::string(key));
    }
    std::string out(existing);
    bool added = false;
    for (auto const& raw : keys) {
        // A key given with embedded newlines (a YAML block scalar) is one key per line.
        for (auto const& line : split(raw, '\n')) {
            std::string key(trim(line));
            if (key.empty() || !present.insert(key).second)
                continue;
            if (!out.empty() && out.back() != '\n')
                out += '\n';
            out += key + "\n";
            added = true;
        }
    }
    return added ? out : std::string(existing);
}

ErrorOr<void> add_authorized_keys(
    const config::Paths& paths, const Accounts& accounts, std::string_view user, const std::vector<std::string>& keys)
{
    auto const* entry = accounts.user(user);
    if (!entry)
        return Error::from_string("no user \"" + std::string(user) + "\" in /etc/passwd", ENOENT);
    if (entry->home.empty() || entry->home[0] != '/')
        return Error::from_string("user \"" + std::string(user) + "\" has no absolute home directory");
    std::string home = paths.under_root(entry->home);
    std::string ssh_dir = home + "/.ssh";
    std::string file = ssh_dir + "/authorized_keys";
    bool as_root = ::geteuid() == 0;
    std::optional<Owner> owner;
    if (as_root)
        owner = Owner { entry->uid, entry->gid };

    // The home belongs to the user, who may have put a symlink anywhere in it:
    // everything below is reached through descriptors, without following links.
    Fd home_fd = TRY(sys::open(home, O_RDONLY | O_DIRECTORY));
    if (::mkdirat(home_fd.get(), ".ssh", 0700) < 0 && errno != EEXIST)
        return Error::from_syscall("mkdir '" + ssh_dir + "'");
    Fd ssh_fd = TRY(sys::openat(home_fd.get(), ".ssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    if (owner)
        TRY_CONTEXT(sys::fchown(ssh_fd.get(), owner->uid, owner->gid), ssh_dir);
    TRY_CONTEXT(sys::fchmod(ssh_fd.get(), 0700), ssh_dir);

    std::string existing;
    auto fd = sys::openat(ssh_fd.get(), "authorized_keys", O_RDONLY | O_NOFOLLOW);
    if (!fd.is_error()) {
        existing = TRY_CONTEXT(sys::read_all(fd->get(), 16 * 1024 * 1024), "reading '" + file + "'");
    } else if (fd.error().code() != ENOENT) {
        return fd.release_error();
    }
    std::string merged = merge_authorized_keys(existing, keys);
    if (!fd.is_error() && merged == existing) {
        // Nothing new; still repair the mode and owner sshd's StrictModes checks.
        if (owner)
            TRY_CONTEXT(sys::fchown(fd->get(), owner->uid, owner->gid), file);
        TRY_CONTEXT(sys::fchmod(fd->get(), 0600), file);
        return {};
    }
    return install_file_at(ssh_fd.get(), "authorized_keys", merged, 0600, owner, file);
}

void apply_authorized_keys(
    const config::Paths& paths, const Accounts& accounts, const std::vector<std::string>& keys, Report& report)
{
    if (keys.empty())
        return;
    for (const char* user : KEY_USERS) {
        auto result = add_authorized_keys(paths, accounts, user, keys);
        if (result.is_error())
            report.error("ssh_authorized_keys for " + std::string(user) + ": " + result.error().message());
        else
            report.info("ssh_authorized_keys: " + std::to_string(keys.size()) + " key(s) for " + user);
    }
}

} // namespace corral::cloudinit
