#pragma once

// Docker's default seccomp profile as plain data. The executor compiles it with
// libseccomp; nothing here calls libseccomp, so the profile can be tested
// without a kernel.
//
// Reading the rules: a syscall in `allowed` is allowed whatever its arguments.
// Each entry of `rules` acts on one syscall when all of its argument
// comparisons hold; several entries for one syscall are alternatives (libseccomp
// ORs them). Everything else fails with `default_errno`.

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace corral::runtime {

enum class SeccompAction {
    Allow,
    Errno, // fail with SeccompRule::errno_value
};

// libseccomp's comparison operators (SCMP_CMP_*).
enum class SeccompCompare {
    NotEqual,
    LessThan,
    LessOrEqual,
    Equal,
    GreaterOrEqual,
    GreaterThan,
    MaskedEqual, // (arg & value) == value_two
};

struct SeccompArg {
    unsigned index { 0 }; // argument 0..5
    uint64_t value { 0 };
    uint64_t value_two { 0 };
    SeccompCompare op { SeccompCompare::Equal };

    bool operator==(const SeccompArg&) const = default;
};

struct SeccompRule {
    std::string syscall;
    SeccompAction action { SeccompAction::Allow };
    int errno_value { 0 };
    std::vector<SeccompArg> args; // all must hold
};

struct SeccompRules {
    int default_errno { EPERM };
    // libseccomp architecture names the filter covers ("x86_64", "x86", "x32");
    // empty means the native architecture only.
    std::vector<std::string> architectures;
    // Syscall names, sorted and unique. A name the running kernel or
    // libseccomp does not know is skipped by the executor, as runc does.
    std::vector<std::string> allowed;
    std::vector<SeccompRule> rules;

    bool is_allowed(std::string_view syscall) const;
    // The conditional rules for one syscall, in profile order.
    std::vector<SeccompRule> rules_for(std::string_view syscall) const;
};

// The architecture this program was built for, in the names Docker's profile
// uses ("amd64", "arm64", "x86", "arm", "s390x", "riscv64", "ppc64le", …).
std::string_view host_seccomp_arch();

// Docker's default profile (moby profiles/seccomp/default.json) for a
// container with these capabilities in its *bounding* set — Docker filters the
// capability-gated rules on the bounding set, so a non-root user (whose
// effective set is empty) gets the same filter as root.
SeccompRules default_seccomp(
    const std::vector<std::string>& bounding_caps, std::string_view arch = host_seccomp_arch());

} // namespace corral::runtime
