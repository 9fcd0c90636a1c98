#include "runtime/capabilities.h"
#include "runtime/seccomp_profile.h"

#include <gtest/gtest.h>

using namespace corral::runtime;

namespace {

std::vector<std::string> default_caps()
{
    return std::vector<std::string>(default_capabilities().begin(), default_capabilities().end());
}

std::vector<std::string> with(std::vector<std::string> caps, std::string cap)
{
    caps.push_back(std::move(cap));
    return caps;
}

} // namespace

TEST(SeccompProfile, DefaultActionIsEperm)
{
    auto rules = default_seccomp(default_caps(), "amd64");
    EXPECT_EQ(rules.default_errno, EPERM);
    EXPECT_EQ(rules.architectures, (std::vector<std::string> { "x86_64", "x86", "x32" }));
    EXPECT_EQ(default_seccomp({}, "arm64").architectures, (std::vector<std::string> { "aarch64", "arm" }));
    EXPECT_TRUE(default_seccomp({}, "ppc64le").architectures.empty());
}

TEST(SeccompProfile, AllowlistIsSortedAndUnique)
{
    auto rules = default_seccomp(with(default_caps(), "CAP_SYS_ADMIN"), "amd64");
    EXPECT_TRUE(std::is_sorted(rules.allowed.begin(), rules.allowed.end()));
    EXPECT_EQ(std::adjacent_find(rules.allowed.begin(), rules.allowed.end()), rules.allowed.end());
    for (auto name : { "read", "write", "openat", "execve", "exit_group", "futex", "mmap", "clock_gettime", "ioctl",
             "setuid", "capset", "pidfd_open", "io_uring_setup" }) {
        // io_uring is not in Docker's profile any more.
        bool expected = std::string_view(name) != "io_uring_setup";
        EXPECT_EQ(rules.is_allowed(name), expected) << name;
    }
}

TEST(SeccompProfile, AllowlistSizeMatchesDockersProfile)
{
    // 361 names in default.json's unconditional group, 3 from Linux 4.8 on,
    // plus arch_prctl and modify_ldt on amd64; without any capability.
    EXPECT_EQ(default_seccomp({}, "amd64").allowed.size(), 366u);
    EXPECT_EQ(default_seccomp({}, "riscv64").allowed.size(), 365u);
}

TEST(SeccompProfile, MountNeedsSysAdmin)
{
    auto plain = default_seccomp(default_caps(), "amd64");
    for (auto name : { "mount", "umount2", "unshare", "setns", "sethostname", "open_tree", "fsopen", "bpf", "syslog",
             "perf_event_open" })
        EXPECT_FALSE(plain.is_allowed(name)) << name;
    auto admin = default_seccomp(with(default_caps(), "CAP_SYS_ADMIN"), "amd64");
    for (auto name : { "mount", "umount2", "unshare", "setns", "sethostname", "open_tree", "fsopen", "bpf", "syslog",
             "perf_event_open", "clone", "clone3" })
        EXPECT_TRUE(admin.is_allowed(name)) << name;
}

TEST(SeccompProfile, CapabilityGatedSyscalls)
{
    struct Case {
        const char* cap;
        const char* syscall;
    };
    for (auto c : { Case { "CAP_SYS_BOOT", "reboot" }, Case { "CAP_SYS_MODULE", "init_module" },
             Case { "CAP_SYS_MODULE", "finit_module" }, Case { "CAP_SYS_MODULE", "delete_module" },
             Case { "CAP_SYS_PTRACE", "kcmp" }, Case { "CAP_SYS_PTRACE", "pidfd_getfd" },
             Case { "CAP_SYS_PTRACE", "process_madvise" }, Case { "CAP_SYS_TIME", "settimeofday" },
             Case { "CAP_SYS_TIME", "clock_settime" }, Case { "CAP_SYS_PACCT", "acct" },
             Case { "CAP_SYS_RAWIO", "iopl" }, Case { "CAP_SYS_RAWIO", "ioperm" }, Case { "CAP_SYS_NICE", "mbind" },
             Case { "CAP_SYS_NICE", "set_mempolicy" }, Case { "CAP_SYSLOG", "syslog" },
             Case { "CAP_SYS_TTY_CONFIG", "vhangup" }, Case { "CAP_BPF", "bpf" },
             Case { "CAP_PERFMON", "perf_event_open" }, Case { "CAP_DAC_READ_SEARCH", "open_by_handle_at" } }) {
        EXPECT_FALSE(default_seccomp(default_caps(), "amd64").is_allowed(c.syscall)) << c.syscall;
        EXPECT_TRUE(default_seccomp(with(default_caps(), c.cap), "amd64").is_allowed(c.syscall))
            << c.syscall << " with " << c.cap;
    }
    // CAP_SYS_CHROOT is in Docker's default set, so chroot is allowed by default,
    // and not once the capability is dropped.
    EXPECT_TRUE(default_seccomp(default_caps(), "amd64").is_allowed("chroot"));
    EXPECT_FALSE(default_seccomp({ "CAP_CHOWN" }, "amd64").is_allowed("chroot"));
}

TEST(SeccompProfile, PtraceIsAllowedOnModernKernels)
{
    // Docker allows ptrace and process_vm_* from Linux 4.8 on, without CAP_SYS_PTRACE.
    auto rules = default_seccomp({}, "amd64");
    EXPECT_TRUE(rules.is_allowed("ptrace"));
    EXPECT_TRUE(rules.is_allowed("process_vm_readv"));
    EXPECT_TRUE(default_seccomp({ "CAP_SYS_PTRACE" }, "amd64").is_allowed("ptrace"));
}

TEST(SeccompProfile, CloneWithoutNamespaceFlagsUnlessSysAdmin)
{
    auto rules = default_seccomp(default_caps(), "amd64");
    EXPECT_FALSE(rules.is_allowed("clone"));
    auto clone = rules.rules_for("clone");
    ASSERT_EQ(clone.size(), 1u);
    EXPECT_EQ(clone[0].action, SeccompAction::Allow);
    ASSERT_EQ(clone[0].args.size(), 1u);
    EXPECT_EQ(clone[0].args[0], (SeccompArg { 0, 0x7E020000, 0, SeccompCompare::MaskedEqual }));
    EXPECT_EQ(clone[0].args[0].value, 2114060288u); // the value in Docker's default.json

    auto clone3 = rules.rules_for("clone3");
    ASSERT_EQ(clone3.size(), 1u);
    EXPECT_EQ(clone3[0].action, SeccompAction::Errno);
    EXPECT_EQ(clone3[0].errno_value, ENOSYS);
    EXPECT_TRUE(clone3[0].args.empty());

    // On s390 the flags are the second argument.
    auto s390 = default_seccomp(default_caps(), "s390x").rules_for("clone");
    ASSERT_EQ(s390.size(), 1u);
    EXPECT_EQ(s390[0].args[0].index, 1u);

    // With CAP_SYS_ADMIN clone and clone3 are simply allowed.
    auto admin = default_seccomp(with(default_caps(), "CAP_SYS_ADMIN"), "amd64");
    EXPECT_TRUE(admin.rules_for("clone").empty());
    EXPECT_TRUE(admin.rules_for("clone3").empty());
}

TEST(SeccompProfile, PersonalityAndSocketArguments)
{
    auto rules = default_seccomp(default_caps(), "amd64");
    EXPECT_FALSE(rules.is_allowed("personality"));
    std::vector<uint64_t> personas;
    for (auto const& rule : rules.rules_for("personality")) {
        ASSERT_EQ(rule.args.size(), 1u);
        EXPECT_EQ(rule.args[0].op, SeccompCompare::Equal);
        personas.push_back(rule.args[0].value);
    }
    EXPECT_EQ(personas, (std::vector<uint64_t> { 0, 8, 131072, 131080, 4294967295 }));

    EXPECT_FALSE(rules.is_allowed("socket"));
    auto socket = rules.rules_for("socket");
    ASSERT_EQ(socket.size(), 3u);
    EXPECT_EQ(socket[0].args[0], (SeccompArg { 0, 38, 0, SeccompCompare::LessThan }));
    EXPECT_EQ(socket[1].args[0], (SeccompArg { 0, 39, 0, SeccompCompare::Equal }));
    EXPECT_EQ(socket[2].args[0], (SeccompArg { 0, 40, 0, SeccompCompare::GreaterThan }));
}

TEST(SeccompProfile, ArchitectureSpecificSyscalls)
{
    EXPECT_TRUE(default_seccomp({}, "amd64").is_allowed("arch_prctl"));
    EXPECT_TRUE(default_seccomp({}, "amd64").is_allowed("modify_ldt"));
    EXPECT_FALSE(default_seccomp({}, "arm64").is_allowed("arch_prctl"));
    EXPECT_TRUE(default_seccomp({}, "arm64").is_allowed("set_tls"));
    EXPECT_FALSE(default_seccomp({}, "amd64").is_allowed("set_tls"));
    EXPECT_TRUE(default_seccomp({}, "x86").is_allowed("modify_ldt"));
    EXPECT_FALSE(default_seccomp({}, "x86").is_allowed("arch_prctl"));
    EXPECT_TRUE(default_seccomp({}, "s390x").is_allowed("s390_runtime_instr"));
    EXPECT_TRUE(default_seccomp({}, "riscv64").is_allowed("riscv_flush_icache"));
}

TEST(SeccompProfile, HostArchitectureIsKnown)
{
#if defined(__x86_64__) && !defined(__ILP32__)
    EXPECT_EQ(host_seccomp_arch(), "amd64");
#elif defined(__aarch64__)
    EXPECT_EQ(host_seccomp_arch(), "arm64");
#endif
    EXPECT_NE(host_seccomp_arch(), "unknown");
}

TEST(Capabilities, TableIsCompleteAndOrdered)
{
    auto all = all_capabilities();
    ASSERT_EQ(all.size(), 41u);
    for (size_t i = 0; i < all.size(); ++i)
        EXPECT_EQ(all[i].number, static_cast<int>(i));
    EXPECT_EQ(all.front().name, "CAP_CHOWN");
    EXPECT_EQ(all.back().name, "CAP_CHECKPOINT_RESTORE");
    EXPECT_EQ(capability_number("CAP_SYS_ADMIN"), 21);
    EXPECT_EQ(capability_number("CAP_BPF"), 39);
    EXPECT_FALSE(capability_number("CAP_NOPE"));
    EXPECT_EQ(default_capabilities().size(), 14u);
}

TEST(Capabilities, NormalizesNames)
{
    EXPECT_EQ(normalize_capability("net_admin").value(), "CAP_NET_ADMIN");
    EXPECT_EQ(normalize_capability("CAP_sys_time").value(), "CAP_SYS_TIME");
    EXPECT_EQ(normalize_capability("all").value(), "ALL");
    EXPECT_EQ(normalize_capability("nope").error().message(), "unknown capability: \"CAP_NOPE\"");
}
