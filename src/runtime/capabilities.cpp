#include "runtime/capabilities.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace corral::runtime {

namespace {

// From include/uapi/linux/capability.h.
constexpr std::array<CapabilityInfo, 41> CAPABILITIES { {
    { "CAP_CHOWN", 0 },
    { "CAP_DAC_OVERRIDE", 1 },
    { "CAP_DAC_READ_SEARCH", 2 },
    { "CAP_FOWNER", 3 },
    { "CAP_FSETID", 4 },
    { "CAP_KILL", 5 },
    { "CAP_SETGID", 6 },
    { "CAP_SETUID", 7 },
    { "CAP_SETPCAP", 8 },
    { "CAP_LINUX_IMMUTABLE", 9 },
    { "CAP_NET_BIND_SERVICE", 10 },
    { "CAP_NET_BROADCAST", 11 },
    { "CAP_NET_ADMIN", 12 },
    { "CAP_NET_RAW", 13 },
    { "CAP_IPC_LOCK", 14 },
    { "CAP_IPC_OWNER", 15 },
    { "CAP_SYS_MODULE", 16 },
    { "CAP_SYS_RAWIO", 17 },
    { "CAP_SYS_CHROOT", 18 },
    { "CAP_SYS_PTRACE", 19 },
    { "CAP_SYS_PACCT", 20 },
    { "CAP_SYS_ADMIN", 21 },
    { "CAP_SYS_BOOT", 22 },
    { "CAP_SYS_NICE", 23 },
    { "CAP_SYS_RESOURCE", 24 },
    { "CAP_SYS_TIME", 25 },
    { "CAP_SYS_TTY_CONFIG", 26 },
    { "CAP_MKNOD", 27 },
    { "CAP_LEASE", 28 },
    { "CAP_AUDIT_WRITE", 29 },
    { "CAP_AUDIT_CONTROL", 30 },
    { "CAP_SETFCAP", 31 },
    { "CAP_MAC_OVERRIDE", 32 },
    { "CAP_MAC_ADMIN", 33 },
    { "CAP_SYSLOG", 34 },
    { "CAP_WAKE_ALARM", 35 },
    { "CAP_BLOCK_SUSPEND", 36 },
    { "CAP_AUDIT_READ", 37 },
    { "CAP_PERFMON", 38 },
    { "CAP_BPF", 39 },
    { "CAP_CHECKPOINT_RESTORE", 40 },
} };

// moby daemon/pkg/oci/caps/defaults.go, in its order.
constexpr std::array<std::string_view, 14> DEFAULT_CAPABILITIES {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
};

bool contains(const std::vector<std::string>& list, std::string_view item)
{
    return std::find(list.begin(), list.end(), item) != list.end();
}

ErrorOr<std::vector<std::string>> normalize_list(const std::vector<std::string>& names, std::string_view what)
{
    std::vector<std::string> out;
    for (auto const& name : names)
        out.push_back(TRY_CONTEXT(normalize_capability(name), "invalid " + std::string(what)));
    return out;
}

void append_unique(std::vector<std::string>& list, std::string_view item)
{
    if (!contains(list, item))
        list.emplace_back(item);
}

} // namespace

std::span<const CapabilityInfo> all_capabilities()
{
    return CAPABILITIES;
}

std::optional<int> capability_number(std::string_view name)
{
    for (auto const& cap : CAPABILITIES) {
        if (cap.name == name)
            return cap.number;
    }
    return std::nullopt;
}

std::span<const std::string_view> default_capabilities()
{
    return DEFAULT_CAPABILITIES;
}

ErrorOr<std::string> normalize_capability(std::string_view name)
{
    std::string upper(name);
    for (char& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper == "ALL")
        return upper;
    if (!upper.starts_with("CAP_"))
        upper = "CAP_" + upper;
    if (!capability_number(upper))
        return Error::from_string("unknown capability: \"" + upper + "\"");
    return upper;
}

ErrorOr<std::vector<std::string>> container_capabilities(
    const std::vector<std::string>& cap_add, const std::vector<std::string>& cap_drop, bool privileged)
{
    // Docker validates both lists when the container is created, before it looks
    // at Privileged, so a bad name is refused even for a privileged container.
    auto adds = TRY(normalize_list(cap_add, "CapAdd"));
    auto drops = TRY(normalize_list(cap_drop, "CapDrop"));

    std::vector<std::string> caps;
    if (privileged || contains(adds, "ALL")) {
        for (auto const& cap : CAPABILITIES) {
            if (privileged || !contains(drops, cap.name))
                caps.emplace_back(cap.name);
        }
        return caps;
    }
    if (contains(drops, "ALL")) {
        for (auto const& cap : adds)
            append_unique(caps, cap);
        return caps;
    }
    for (auto cap : DEFAULT_CAPABILITIES) {
        if (!contains(drops, cap))
            caps.emplace_back(cap);
    }
    // Docker appends CapAdd as given, duplicates included; a set has no use for
    // them, so they are dropped here.
    for (auto const& cap : adds)
        append_unique(caps, cap);
    return caps;
}

} // namespace corral::runtime
