// Who the container's process runs as: rlimits, oom_score_adj, the bounding
// set, user and groups, the other capability sets (libcap) and
// no_new_privileges. The order these are called in lives in executor.cpp.

#include "runtime/capabilities.h"
#include "runtime/executor_internal.h"

#include "base/file.h"
#include "base/system.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace corral::runtime::detail {

namespace {

ErrorOr<uint64_t> mask_of(const std::vector<std::string>& names, int last_cap)
{
    uint64_t mask = 0;
    for (auto const& name : names) {
        auto number = capability_number(name);
        if (!number)
            return Error::from_string("unknown capability \"" + name + "\"");
        if (*number <= last_cap)
            mask |= uint64_t(1) << *number;
    }
    return mask;
}

bool has(uint64_t mask, int cap)
{
    return (mask >> cap) & 1;
}

// libcap frees what it allocated on every return path.
struct CapFree {
    cap_t caps;
    ~CapFree() { cap_free(caps); }
};

} // namespace

ErrorOr<int> kernel_last_capability()
{
    auto text = TRY(read_file("/proc/sys/kernel/cap_last_cap", 64));
    try {
        return std::stoi(text);
    } catch (...) {
        return Error::from_string("/proc/sys/kernel/cap_last_cap: not a number: " + text);
    }
}

ErrorOr<CapabilitySets> capability_sets(const Capabilities& capabilities, int last_cap)
{
    // A capability this process cannot pass on (not in its own bounding
    // set, as on a host that runs the engine restricted) is left out rather
    // than failing every privileged container, as Docker does for "ALL".
    uint64_t own = 0;
    for (int cap = 0; cap <= last_cap; ++cap) {
        if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
            own |= uint64_t(1) << cap;
    }
    CapabilitySets sets;
    sets.bounding = TRY(mask_of(capabilities.bounding, last_cap)) & own;
    sets.effective = TRY(mask_of(capabilities.effective, last_cap)) & own;
    sets.permitted = TRY(mask_of(capabilities.permitted, last_cap)) & own;
    sets.inheritable = TRY(mask_of(capabilities.inheritable, last_cap)) & own;
    sets.ambient = TRY(mask_of(capabilities.ambient, last_cap)) & own;
    return sets;
}

ErrorOr<void> apply_rlimits(const std::vector<Rlimit>& rlimits)
{
    for (auto const& limit : rlimits) {
        struct rlimit value {
            limit.soft, limit.hard
        };
        if (::setrlimit(static_cast<__rlimit_resource>(limit.resource), &value) < 0)
            return Error::from_syscall("setrlimit " + std::to_string(limit.resource) + " to "
                + std::to_string(limit.soft) + "/" + std::to_string(limit.hard));
    }
    return {};
}

ErrorOr<void> apply_oom_score_adj(int value)
{
    Fd fd = TRY(sys::open("/proc/self/oom_score_adj", O_WRONLY));
    TRY_CONTEXT(sys::write_all(fd.get(), std::to_string(value)), "set oom_score_adj to " + std::to_string(value));
    return {};
}

ErrorOr<void> drop_bounding_set(const CapabilitySets& sets, int last_cap)
{
    for (int cap = 0; cap <= last_cap; ++cap) {
        if (!has(sets.bounding, cap) && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            return Error::from_syscall("drop capability " + std::to_string(cap) + " from the bounding set");
    }
    return {};
}

ErrorOr<void> switch_user(const User& user)
{
    // Keep the permitted set across the change of uid; apply_capabilities()
    // then sets exactly what the spec asks for.
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return Error::from_syscall("prctl PR_SET_KEEPCAPS");
    if (::setgroups(user.additional_gids.size(), user.additional_gids.data()) < 0)
        return Error::from_syscall("setgroups");
    if (::setresgid(user.gid, user.gid, user.gid) < 0)
        return Error::from_syscall("setgid " + std::to_string(user.gid));
    if (::setresuid(user.uid, user.uid, user.uid) < 0)
        return Error::from_syscall("setuid " + std::to_string(user.uid));
    if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return Error::from_syscall("prctl PR_SET_KEEPCAPS");
    return {};
}

ErrorOr<void> apply_capabilities(const CapabilitySets& sets, int last_cap)
{
    CapFree caps { cap_init() };
    if (!caps.caps)
        return Error::from_syscall("cap_init");
    for (int cap = 0; cap <= last_cap; ++cap) {
        cap_value_t value = cap;
        struct {
            cap_flag_t flag;
            uint64_t mask;
        } const sets_by_flag[] = { { CAP_EFFECTIVE, sets.effective }, { CAP_PERMITTED, sets.permitted },
            { CAP_INHERITABLE, sets.inheritable } };
        for (auto const& [flag, mask] : sets_by_flag) {
            if (has(mask, cap) && cap_set_flag(caps.caps, flag, 1, &value, CAP_SET) < 0)
                return Error::from_syscall("cap_set_flag " + std::to_string(cap));
        }
    }
    if (cap_set_proc(caps.caps) < 0)
        return Error::from_syscall("set capabilities");
    // Ambient capabilities must be permitted and inheritable; the kernel
    // refuses the others (EPERM), which is the right answer for a bad spec.
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return Error::from_syscall("clear ambient capabilities");
    for (int cap = 0; cap <= last_cap; ++cap) {
        if (has(sets.ambient, cap) && ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            return Error::from_syscall("raise ambient capability " + std::to_string(cap));
    }
    return {};
}

ErrorOr<void> set_no_new_privileges()
{
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return Error::from_syscall("prctl PR_SET_NO_NEW_PRIVS");
    return {};
}

} // namespace corral::runtime::detail
