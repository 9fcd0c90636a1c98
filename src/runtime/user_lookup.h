#pragma once

// Resolving a container's user from the image's /etc/passwd and /etc/group
// text, with the rules of moby/sys/user (GetExecUser, GetAdditionalGroups),
// which runc and Docker share. Pure: the engine reads the files (safely, from
// the image's root) and passes their text; an absent file is empty text.

#include "base/error.h"

#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace corral::runtime {

struct ExecUser {
    uid_t uid { 0 };
    gid_t gid { 0 };
    std::vector<gid_t> supplementary_gids; // from /etc/group membership
    std::string home; // empty when the user has no passwd entry
};

// `spec` is "", "uid", "name", "uid:gid", "name:group", "uid:group" or
// "name:gid". A numeric id is taken as an id even when it has no entry; a name
// must be found. Supplementary groups come from /etc/group membership only
// when the group is not given explicitly. Errors, as Docker's:
//   unable to find user nope: no matching entries in passwd file
//   unable to find group nope: no matching entries in group file
//   uids and gids must be in range 0-2147483647
ErrorOr<ExecUser> resolve_user(std::string_view spec, std::string_view passwd, std::string_view group);

// HostConfig.GroupAdd: each entry a group name (looked up) or a numeric gid
// (taken as is). Order kept, duplicates dropped.
ErrorOr<std::vector<gid_t>> resolve_additional_groups(const std::vector<std::string>& groups, std::string_view group);

} // namespace corral::runtime
