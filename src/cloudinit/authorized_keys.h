#pragma once

// ssh_authorized_keys (reference §3.6): appended, without duplicates, to
// ~/.ssh/authorized_keys of the rancher and docker users on every console start.

#include "base/error.h"
#include "cloudinit/accounts.h"
#include "cloudinit/report.h"
#include "config/paths.h"

#include <string>
#include <string_view>
#include <vector>

namespace corral::cloudinit {

// The users that get the keys, in order.
inline constexpr const char* KEY_USERS[] = { "rancher", "docker" };

// `existing` with each key of `keys` that it does not hold yet appended on a line
// of its own, in order. Keys compare by their trimmed text; blank keys are
// skipped; existing lines (comments included) are kept as they are. Returns
// `existing` unchanged when nothing is new.
std::string merge_authorized_keys(std::string_view existing, const std::vector<std::string>& keys);

// Adds `keys` to <root><home>/.ssh/authorized_keys of `user` (home, uid and gid
// from /etc/passwd under the root): .ssh is made if missing and set to 0700, the
// file to 0600, both owned by the user. When the caller is not root, ownership is
// left as it is (tests run unprivileged). ENOENT when the user does not exist.
ErrorOr<void> add_authorized_keys(
    const config::Paths& paths, const Accounts& accounts, std::string_view user, const std::vector<std::string>& keys);

// add_authorized_keys() for each of KEY_USERS; problems go to `report`.
void apply_authorized_keys(
    const config::Paths& paths, const Accounts& accounts, const std::vector<std::string>& keys, Report& report);

} // namespace corral::cloudinit
