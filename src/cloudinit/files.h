#pragma once

// Writing the files cloud-config asks for: atomically, with mode and owner in
// place before the file appears, and under the root prefix.

#include "base/error.h"
#include "cloudinit/accounts.h"

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace corral::cloudinit {

// Replaces `name` in the directory `dirfd` with `data`: a temporary file gets the
// data, `mode` (umask not applied) and `owner` (when given), is fsync'd and renamed
// over the target, and the directory is fsync'd. A target that is a mount point (a
// file bind-mounted into a container, such as /etc/hosts) cannot be renamed over
// (EBUSY); it is then rewritten in place, which is the best that can be done.
// `display` names the file in errors. A symlink at `name` is replaced, never
// followed.
ErrorOr<void> install_file_at(int dirfd, const std::string& name, std::string_view data, mode_t mode,
    std::optional<Owner> owner, const std::string& display);

// The same for a whole path; the parent directory must exist.
ErrorOr<void> install_file(
    const std::string& path, std::string_view data, mode_t mode, std::optional<Owner> owner = std::nullopt);

// A path from a config file must be absolute and hold no ".." segment, so that it
// stays under the root prefix it is placed in. EINVAL naming the path otherwise.
ErrorOr<void> check_config_path(std::string_view path);

// Parses write_files permissions: an octal string such as "0644", "644" or
// "0o644"; empty means `fallback`. EINVAL for anything else.
ErrorOr<mode_t> parse_permissions(std::string_view text, mode_t fallback = 0644);

} // namespace corral::cloudinit
