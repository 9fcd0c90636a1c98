#pragma once

// Users and groups read from the passwd and group files under the root prefix,
// never through NSS: the console's files are what matter, and PID 1's rule of
// no NSS look-ups keeps every tool free of surprise network calls.

#include "base/error.h"
#include "config/paths.h"

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace corral::cloudinit {

struct PasswdEntry {
    std::string name;
    uid_t uid { 0 };
    gid_t gid { 0 };
    std::string home;
    std::string shell;
};

struct GroupEntry {
    std::string name;
    gid_t gid { 0 };
    std::vector<std::string> members;
};

// Parse /etc/passwd and /etc/group text. Malformed lines (too few fields, a
// number that is not one) are skipped, as getpwent(3) does.
std::vector<PasswdEntry> parse_passwd(std::string_view text);
std::vector<GroupEntry> parse_group(std::string_view text);

class Accounts {
public:
    Accounts() = default;
    Accounts(std::vector<PasswdEntry> users, std::vector<GroupEntry> groups)
        : m_users(std::move(users))
        , m_groups(std::move(groups))
    {
    }
    // Reads <root>/etc/passwd and <root>/etc/group. A missing file is an empty list.
    static ErrorOr<Accounts> load(const config::Paths& paths);

    const PasswdEntry* user(std::string_view name) const;
    const PasswdEntry* user(uid_t uid) const;
    const GroupEntry* group(std::string_view name) const;

private:
    std::vector<PasswdEntry> m_users;
    std::vector<GroupEntry> m_groups;
};

struct Owner {
    uid_t uid { 0 };
    gid_t gid { 0 };
};

// Resolves a write_files owner: "user", "user:group", ":group", or numbers. A user alone gets the user's primary
// group; an empty owner is root:root. An unknown name is ENOENT naming it.
ErrorOr<Owner> resolve_owner(std::string_view owner, const Accounts& accounts);

} // namespace corral::cloudinit
