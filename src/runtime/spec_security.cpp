#include "runtime/capabilities.h"
#include "runtime/spec_builder_internal.h"

#include <sys/resource.h>

namespace corral::runtime::detail {

namespace {

// moby daemon/pkg/oci/defaults.go, including the later additions
// /proc/interrupts and /sys/devices/virtual/powercap (security advisories
// GHSA-6fw5-f8r9-fgfm and GHSA-jq35-85cj-fj4p).
constexpr std::string_view MASKED_PATHS[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/sys/devices/virtual/powercap",
    "/sys/firmware",
};

constexpr std::string_view READONLY_PATHS[] = {
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
};

struct UlimitName {
    std::string_view name;
    int resource;
};

// The names docker run --ulimit accepts (go-units).
constexpr UlimitName ULIMITS[] = {
    { "core", RLIMIT_CORE },
    { "cpu", RLIMIT_CPU },
    { "data", RLIMIT_DATA },
    { "fsize", RLIMIT_FSIZE },
    { "locks", RLIMIT_LOCKS },
    { "memlock", RLIMIT_MEMLOCK },
    { "msgqueue", RLIMIT_MSGQUEUE },
    { "nice", RLIMIT_NICE },
    { "nofile", RLIMIT_NOFILE },
    { "nproc", RLIMIT_NPROC },
    { "rss", RLIMIT_RSS },
    { "rtprio", RLIMIT_RTPRIO },
    { "rttime", RLIMIT_RTTIME },
    { "sigpending", RLIMIT_SIGPENDING },
    { "stack", RLIMIT_STACK },
};

// Go's strconv.ParseBool.
std::optional<bool> parse_bool(std::string_view text)
{
    for (auto t : { "1", "t", "T", "TRUE", "true", "True" }) {
        if (text == t)
            return true;
    }
    for (auto f : { "0", "f", "F", "FALSE", "false", "False" }) {
        if (text == f)
            return false;
    }
    return std::nullopt;
}

ErrorOr<std::vector<Rlimit>> rlimits(const std::vector<Ulimit>& ulimits)
{
    std::vector<Rlimit> out;
    for (auto const& u : ulimits) {
        const UlimitName* known = nullptr;
        for (auto const& candidate : ULIMITS) {
            if (candidate.name == u.name)
                known = &candidate;
        }
        if (!known)
            return Error::from_string("invalid ulimit type: " + u.name);
        // -1 is unlimited: as an unsigned value it is RLIM_INFINITY.
        auto soft = static_cast<uint64_t>(u.soft);
        auto hard = static_cast<uint64_t>(u.hard);
        if (soft > hard)
            return Error::from_string("ulimit soft limit must be less than or equal to hard limit: "
                + std::to_string(u.soft) + " > " + std::to_string(u.hard));
        out.push_back({ known->resource, soft, hard });
    }
    return out;
}

} // namespace

ErrorOr<SecurityOptions> parse_security_options(const std::vector<std::string>& options)
{
    SecurityOptions out;
    for (auto const& opt : options) {
        if (opt == "no-new-privileges") {
            out.no_new_privileges = true;
            continue;
        }
        if (opt == "writable-cgroups") {
            out.writable_cgroups = true;
            continue;
        }
        if (opt == "disable")
            continue; // SELinux labelling off; CorralOS has no SELinux.
        // "key=value", or the old "key:value".
        auto separator = opt.find('=');
        if (separator == std::string::npos)
            separator = opt.find(':');
        if (separator == std::string::npos)
            return Error::from_string("invalid --security-opt 1: \"" + opt + "\"");
        std::string key = opt.substr(0, separator);
        std::string value = opt.substr(separator + 1);
        if (key == "label" || key == "apparmor") {
            // Accepted and ignored: CorralOS has neither SELinux nor AppArmor,
            // and refusing would break compose files written for hosts that do.
            continue;
        }
        if (key == "seccomp") {
            if (value == "unconfined")
                out.seccomp = SeccompMode::Unconfined;
            else if (value == "builtin")
                out.seccomp = SeccompMode::Default;
            else
                return Error::from_string("security-opt seccomp: custom seccomp profiles are not supported; "
                                          "use seccomp=unconfined or the default profile");
            continue;
        }
        if (key == "no-new-privileges" || key == "writable-cgroups") {
            auto flag = parse_bool(value);
            if (!flag)
                return Error::from_string("invalid --security-opt 2: \"" + opt + "\"");
            if (key == "no-new-privileges")
                out.no_new_privileges = *flag;
            else
                out.writable_cgroups = *flag;
            continue;
        }
        return Error::from_string("invalid --security-opt 2: \"" + opt + "\"");
    }
    return out;
}

ErrorOr<void> build_security(const BuildInput& input, Spec& spec)
{
    auto const& host = input.host;
    auto& process = spec.process;
    auto security = TRY(parse_security_options(host.security_opt));

    auto caps = TRY(container_capabilities(host.cap_add, host.cap_drop, host.privileged));
    process.capabilities.bounding = caps;
    // A process that is not root loses its permitted and effective sets at
    // execve(2) anyway (the inheritable and ambient sets are empty, as in
    // Docker since 20.10.14); the plan says so rather than pretend otherwise.
    if (process.user.uid == 0) {
        process.capabilities.effective = caps;
        process.capabilities.permitted = caps;
    }

    process.no_new_privileges = security.no_new_privileges;
    process.oom_score_adj = host.oom_score_adj; // Docker always sets it, 0 included
    process.rlimits = TRY(rlimits(host.ulimits));

    if (host.privileged) {
        // Docker runs privileged containers without seccomp unless a profile is
        // named; profiles from files are refused above.
        spec.seccomp = SeccompMode::Unconfined;
        return {};
    }
    spec.seccomp = security.seccomp;
    spec.masked_paths.assign(std::begin(MASKED_PATHS), std::end(MASKED_PATHS));
    spec.readonly_paths.assign(std::begin(READONLY_PATHS), std::end(READONLY_PATHS));
    return {};
}

} // namespace corral::runtime::detail

namespace corral::runtime {

std::span<const std::string_view> default_masked_paths()
{
    return detail::MASKED_PATHS;
}

std::span<const std::string_view> default_readonly_paths()
{
    return detail::READONLY_PATHS;
}

} // namespace corral::runtime
