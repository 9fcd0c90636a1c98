// Namespaces: their clone flags and /proc names, opening those to join (in
// the caller, so that a bad path fails before the fork), and setns().

#include "runtime/executor_internal.h"

#include "base/system.h"

#include <fcntl.h>
#include <sched.h>

namespace corral::runtime::detail {

namespace {

// setns() order: the user namespace first (it decides what the others may
// do), the mount namespace last (joining it changes what paths mean).
constexpr NamespaceType JOIN_ORDER[] = {
    NamespaceType::User,
    NamespaceType::Pid,
    NamespaceType::Ipc,
    NamespaceType::Uts,
    NamespaceType::Network,
    NamespaceType::Cgroup,
    NamespaceType::Mount,
};

ErrorOr<NamespaceJoin> open_join(NamespaceType type, const std::string& path)
{
    auto fd = sys::open(path, O_RDONLY);
    if (fd.is_error())
        return std::move(fd.release_error().context(std::string("join ") + namespace_proc_name(type) + " namespace"));
    return NamespaceJoin { type, path, fd.release_value() };
}

} // namespace

int clone_flag(NamespaceType type)
{
    switch (type) {
    case NamespaceType::Mount:
        return CLONE_NEWNS;
    case NamespaceType::Pid:
        return CLONE_NEWPID;
    case NamespaceType::Uts:
        return CLONE_NEWUTS;
    case NamespaceType::Ipc:
        return CLONE_NEWIPC;
    case NamespaceType::Network:
        return CLONE_NEWNET;
    case NamespaceType::Cgroup:
        return CLONE_NEWCGROUP;
    case NamespaceType::User:
        return CLONE_NEWUSER;
    }
    return 0;
}

const char* namespace_proc_name(NamespaceType type)
{
    switch (type) {
    case NamespaceType::Mount:
        return "mnt";
    case NamespaceType::Pid:
        return "pid";
    case NamespaceType::Uts:
        return "uts";
    case NamespaceType::Ipc:
        return "ipc";
    case NamespaceType::Network:
        return "net";
    case NamespaceType::Cgroup:
        return "cgroup";
    case NamespaceType::User:
        return "user";
    }
    return "?";
}

bool has_new_namespace(const Spec& spec, NamespaceType type)
{
    for (auto const& ns : spec.namespaces) {
        if (ns.type == type && ns.path.empty())
            return true;
    }
    return false;
}

ErrorOr<std::vector<NamespaceJoin>> open_namespace_joins(const Spec& spec)
{
    std::vector<NamespaceJoin> joins;
    for (auto type : JOIN_ORDER) {
        for (auto const& ns : spec.namespaces) {
            if (ns.type == type && !ns.path.empty())
                joins.push_back(TRY(open_join(type, ns.path)));
        }
    }
    return joins;
}

ErrorOr<std::vector<NamespaceJoin>> open_container_namespaces(pid_t container_pid, const Spec& spec)
{
    std::vector<NamespaceJoin> joins;
    for (auto type : JOIN_ORDER) {
        bool listed = false;
        for (auto const& ns : spec.namespaces)
            listed = listed || ns.type == type;
        if (!listed)
            continue; // the host's, which the caller is in already
        std::string path = "/proc/" + std::to_string(container_pid) + "/ns/" + namespace_proc_name(type);
        joins.push_back(TRY(open_join(type, path)));
    }
    return joins;
}

ErrorOr<void> join_namespaces(std::vector<NamespaceJoin>& joins, std::optional<NamespaceType> only)
{
    for (auto& join : joins) {
        bool wanted = only ? join.type == *only : join.type != NamespaceType::Pid;
        if (!wanted || !join.fd)
            continue;
        if (::setns(join.fd.get(), clone_flag(join.type)) < 0)
            return Error::from_syscall(
                std::string("join ") + namespace_proc_name(join.type) + " namespace " + join.path);
        join.fd.reset();
    }
    return {};
}

} // namespace corral::runtime::detail
