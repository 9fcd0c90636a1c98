// Compiling SeccompRules with libseccomp into a BPF program, and loading it.
// The program is built in the caller before the fork: a bad profile fails
// the start before anything is created, and the child only makes one
// seccomp(2) call, at a moment executor.cpp chooses.

#include "runtime/executor_internal.h"
#include "base/linux_syscalls.h"

#include "base/system.h"

#include <cstring>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace corral::runtime::detail {

namespace {

struct ContextRelease {
    scmp_filter_ctx ctx;
    ~ContextRelease() { seccomp_release(ctx); }
};

Error libseccomp_error(int rc, std::string what)
{
    return Error::from_errno(-rc, std::move(what));
}

scmp_compare compare_op(SeccompCompare op)
{
    switch (op) {
    case SeccompCompare::NotEqual:
        return SCMP_CMP_NE;
    case SeccompCompare::LessThan:
        return SCMP_CMP_LT;
    case SeccompCompare::LessOrEqual:
        return SCMP_CMP_LE;
    case SeccompCompare::Equal:
        return SCMP_CMP_EQ;
    case SeccompCompare::GreaterOrEqual:
        return SCMP_CMP_GE;
    case SeccompCompare::GreaterThan:
        return SCMP_CMP_GT;
    case SeccompCompare::MaskedEqual:
        return SCMP_CMP_MASKED_EQ;
    }
    return SCMP_CMP_EQ;
}

ErrorOr<std::vector<sock_filter>> export_program(scmp_filter_ctx ctx)
{
    int raw = ::memfd_create("corral-seccomp", MFD_CLOEXEC);
    if (raw < 0)
        return Error::from_syscall("memfd_create");
    Fd memfd(raw);
    if (int rc = seccomp_export_bpf(ctx, memfd.get()); rc < 0)
        return libseccomp_error(rc, "seccomp_export_bpf");
    if (::lseek(memfd.get(), 0, SEEK_SET) < 0)
        return Error::from_syscall("lseek");
    // BPF programs are at most BPF_MAXINSNS (4096) instructions.
    auto bytes = TRY(sys::read_all(memfd.get(), 4096 * sizeof(sock_filter)));
    if (bytes.empty() || bytes.size() % sizeof(sock_filter) != 0)
        return Error::from_string(
            "seccomp: libseccomp exported a program of " + std::to_string(bytes.size()) + " bytes");
    std::vector<sock_filter> program(bytes.size() / sizeof(sock_filter));
    std::memcpy(program.data(), bytes.data(), bytes.size());
    return program;
}

} // namespace

ErrorOr<std::vector<sock_filter>> compile_seccomp(const SeccompRules& rules)
{
    ContextRelease context { seccomp_init(SCMP_ACT_ERRNO(static_cast<uint32_t>(rules.default_errno))) };
    if (!context.ctx)
        return Error::from_string("seccomp_init failed");
    auto ctx = context.ctx;

    uint32_t native = seccomp_arch_native();
    for (auto const& name : rules.architectures) {
        uint32_t arch = seccomp_arch_resolve_name(name.c_str());
        if (arch == 0)
            return Error::from_string("seccomp: unknown architecture \"" + name + "\"");
        if (arch == native)
            continue;
        if (int rc = seccomp_arch_add(ctx, arch); rc < 0 && rc != -EEXIST)
            return libseccomp_error(rc, "seccomp: add architecture " + name);
    }

    for (auto const& name : rules.allowed) {
        int nr = seccomp_syscall_resolve_name(name.c_str());
        if (nr == __NR_SCMP_ERROR)
            continue; // unknown to this libseccomp: skipped, as runc does
        if (int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0); rc < 0 && rc != -EEXIST)
            return libseccomp_error(rc, "seccomp: allow " + name);
    }

    for (auto const& rule : rules.rules) {
        int nr = seccomp_syscall_resolve_name(rule.syscall.c_str());
        if (nr == __NR_SCMP_ERROR)
            continue;
        uint32_t action = rule.action == SeccompAction::Allow ? SCMP_ACT_ALLOW
                                                              : SCMP_ACT_ERRNO(static_cast<uint32_t>(rule.errno_value));
        std::vector<scmp_arg_cmp> args;
        for (auto const& arg : rule.args) {
            if (arg.index > 5)
                return Error::from_string("seccomp: " + rule.syscall + ": argument index " + std::to_string(arg.index));
            args.push_back(scmp_arg_cmp { arg.index, compare_op(arg.op), arg.value, arg.value_two });
        }
        int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(args.size()), args.data());
        if (rc < 0 && rc != -EEXIST)
            return libseccomp_error(rc, "seccomp: rule for " + rule.syscall);
    }
    return export_program(ctx);
}

ErrorOr<std::vector<sock_filter>> seccomp_program_for(const Spec& spec)
{
    if (spec.seccomp == SeccompMode::Unconfined)
        return std::vector<sock_filter> {};
    return compile_seccomp(default_seccomp(spec.process.capabilities.bounding));
}

ErrorOr<void> load_seccomp(const std::vector<sock_filter>& program)
{
    if (program.empty())
        return {};
    struct sock_fprog fprog { };
    fprog.len = static_cast<unsigned short>(program.size());
    fprog.filter = const_cast<sock_filter*>(program.data());
    if (sys::raw_seccomp(SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
        return Error::from_syscall("load the seccomp filter");
    return {};
}

} // namespace corral::runtime::detail
