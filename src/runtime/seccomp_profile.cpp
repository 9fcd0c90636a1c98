#include "runtime/seccomp_profile.h"

#include "runtime/capabilities.h"
#include "runtime/seccomp_tables.h"

#include <algorithm>

namespace corral::runtime {

namespace {

// The clone(2) flags that create namespaces: CLONE_NEWNS | CLONE_NEWCGROUP |
// CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET.
constexpr uint64_t CLONE_NAMESPACE_FLAGS
    = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

// personality(2) values Docker allows: PER_LINUX, UNAME26, ADDR_NO_RANDOMIZE,
// both of the latter, and 0xffffffff (query the current persona).
constexpr uint64_t PERSONALITIES[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };

bool has(const std::vector<std::string>& caps, std::string_view cap)
{
    return std::find(caps.begin(), caps.end(), cap) != caps.end();
}

SeccompRule allow_if(std::string syscall, SeccompArg arg)
{
    return SeccompRule { std::move(syscall), SeccompAction::Allow, 0, { arg } };
}

} // namespace

bool SeccompRules::is_allowed(std::string_view syscall) const
{
    return std::binary_search(allowed.begin(), allowed.end(), syscall);
}

std::vector<SeccompRule> SeccompRules::rules_for(std::string_view syscall) const
{
    std::vector<SeccompRule> out;
    for (auto const& rule : rules) {
        if (rule.syscall == syscall)
            out.push_back(rule);
    }
    return out;
}

std::string_view host_seccomp_arch()
{
#if defined(__x86_64__) && defined(__ILP32__)
    return "x32";
#elif defined(__x86_64__)
    return "amd64";
#elif defined(__i386__)
    return "x86";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__arm__)
    return "arm";
#elif defined(__s390x__)
    return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
    return "riscv64";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return "ppc64le";
#elif defined(__loongarch64)
    return "loong64";
#else
    return "unknown";
#endif
}

SeccompRules default_seccomp(const std::vector<std::string>& bounding_caps, std::string_view arch)
{
    SeccompRules out;
    out.default_errno = EPERM;
    out.architectures = default_seccomp_architectures(arch);

    for (auto name : default_seccomp_always_allowed())
        out.allowed.emplace_back(name);
    for (auto name : default_seccomp_architecture_syscalls(arch))
        out.allowed.emplace_back(name);
    for (auto const& cap : all_capabilities()) {
        if (!has(bounding_caps, cap.name))
            continue;
        for (auto name : default_seccomp_capability_syscalls(cap.name))
            out.allowed.emplace_back(name);
    }
    std::sort(out.allowed.begin(), out.allowed.end());
    out.allowed.erase(std::unique(out.allowed.begin(), out.allowed.end()), out.allowed.end());

    // socket(2) for every address family but AF_ALG (38) and AF_VSOCK (40).
    out.rules.push_back(allow_if("socket", { 0, 38, 0, SeccompCompare::LessThan }));
    out.rules.push_back(allow_if("socket", { 0, 39, 0, SeccompCompare::Equal }));
    out.rules.push_back(allow_if("socket", { 0, 40, 0, SeccompCompare::GreaterThan }));

    for (uint64_t persona : PERSONALITIES)
        out.rules.push_back(allow_if("personality", { 0, persona, 0, SeccompCompare::Equal }));

    if (!has(bounding_caps, "CAP_SYS_ADMIN")) {
        // clone(2) without namespace flags. The flags are the first argument,
        // except on s390, where the first two arguments are swapped.
        unsigned flags_index = (arch == "s390" || arch == "s390x") ? 1 : 0;
        out.rules.push_back(allow_if("clone", { flags_index, CLONE_NAMESPACE_FLAGS, 0, SeccompCompare::MaskedEqual }));
        // clone3(2) passes its flags in a struct seccomp cannot read, so it is
        // refused with ENOSYS: the C library then falls back to clone(2).
        out.rules.push_back(SeccompRule { "clone3", SeccompAction::Errno, ENOSYS, {} });
    }
    return out;
}

} // namespace corral::runtime
