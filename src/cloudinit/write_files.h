#pragma once

// write_files (reference §3.3, §3.6): files written by the console (container
// empty or "console") or by `ros entrypoint` in the named system container.

#include "base/error.h"
#include "cloudinit/accounts.h"
#include "cloudinit/report.h"
#include "config/model.h"
#include "config/paths.h"

#include <string>
#include <string_view>
#include <vector>

namespace corral::cloudinit {

// The bytes an entry's content stands for, decoded as cloud-init does:
// "" as is; b64/base64; gz/gzip (the content holds the gzip bytes themselves, as
// a YAML !!binary gives them); gz+b64, gz+base64, gzip+b64, gzip+base64 (base64
// of gzip). EINVAL naming the encoding for an unknown one or bad data.
ErrorOr<std::string> decode_content(std::string_view content, std::string_view encoding);

// Whether an entry belongs to `container`: an empty container means "console".
bool belongs_to(const config::WriteFile& file, std::string_view container);

// Writes one entry under the root prefix: the path is checked (absolute, no ".."),
// missing parent directories are made (0755, root's), the content decoded, the
// owner resolved from the passwd and group files, and the file replaced
// atomically with its permissions (default 0644). Errors name the path.
ErrorOr<void> write_file_entry(const config::Paths& paths, const Accounts& accounts, const config::WriteFile& file);

// write_file_entry() for every entry that belongs to `container`; each failure is
// reported and the others are still written.
void apply_write_files(const config::Paths& paths, const Accounts& accounts,
    const std::vector<config::WriteFile>& files, std::string_view container, Report& report);

} // namespace corral::cloudinit
