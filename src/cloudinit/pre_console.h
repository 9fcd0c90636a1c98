#pragma once

// cloud-init-execute -pre-console (reference §3.6, §9.4): what is applied to the
// host before the console starts: rancher.sysctl and the hostname.

#include "base/error.h"
#include "cloudinit/report.h"
#include "config/model.h"
#include "config/paths.h"

#include <string>
#include <string_view>

namespace corral::cloudinit {

// The file under /proc/sys for a sysctl key: dots become slashes
// (net.ipv4.ip_forward → net/ipv4/ip_forward); a key written with slashes, as
// sysctl(8) also accepts (for names holding dots, such as VLAN interfaces), is
// taken as it is. EINVAL for an empty key or a "..", "." or empty segment.
ErrorOr<std::string> sysctl_relative_path(std::string_view key);

// Writes each entry of rancher.sysctl to <root>/proc/sys/…; each failure (an
// unknown key is ENOENT) is reported and the others are still written.
void apply_sysctl(const config::Paths& paths, const config::DottedMap& sysctl, Report& report);

// Whether `name` may be a hostname: 1 to 64 characters of letters, digits, '-'
// and '.', not starting with '-' or '.'.
bool valid_hostname(std::string_view name);

// /etc/hosts text with exactly one "127.0.1.1 <hostname>" line: the first
// 127.0.1.1 line is replaced (others removed), or the line appended. Pure.
std::string hosts_with_hostname(std::string_view hosts, std::string_view hostname);

enum class SetKernelHostname {
    No,
    Yes, // sethostname(2): only when the root prefix is "/" (the real system)
};

// Applies `hostname`: sethostname when asked, <root>/etc/hostname and the
// 127.0.1.1 line of <root>/etc/hosts. Idempotent: files already right are not
// rewritten. EINVAL for an invalid name.
ErrorOr<void> apply_hostname(const config::Paths& paths, std::string_view hostname, SetKernelHostname set_kernel);

// Both of the above, as cloud-init-execute -pre-console runs them.
void execute_pre_console(const config::Paths& paths, const config::CloudConfig& config, Report& report);

} // namespace corral::cloudinit
