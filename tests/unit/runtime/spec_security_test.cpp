// Capabilities, seccomp, masked paths, sysctls, rlimits and resources.

#include "runtime/capabilities.h"
#include "spec_test_input.h"

#include <sys/resource.h>

using namespace corral::runtime;
using namespace corral::runtime::test;

namespace {

const std::vector<std::string> DOCKER_DEFAULT_CAPS = strings({ "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID",
    "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE" });

Spec with_caps(std::vector<std::string> add, std::vector<std::string> drop)
{
    auto in = sample_input();
    in.host.cap_add = std::move(add);
    in.host.cap_drop = std::move(drop);
    return build(in);
}

BuildInput with_sysctl(std::string name, std::string value = "1")
{
    auto in = sample_input();
    in.host.sysctls = { { std::move(name), std::move(value) } };
    return in;
}

std::string resource_error(void (*set)(HostConfig&))
{
    auto in = sample_input();
    set(in.host);
    return build_error(in);
}

} // namespace

TEST(SpecCapabilities, DockerDefaultSet)
{
    Spec spec = build(sample_input());
    auto const& caps = spec.process.capabilities;
    EXPECT_EQ(caps.bounding, DOCKER_DEFAULT_CAPS);
    EXPECT_EQ(caps.effective, DOCKER_DEFAULT_CAPS);
    EXPECT_EQ(caps.permitted, DOCKER_DEFAULT_CAPS);
    EXPECT_TRUE(caps.inheritable.empty());
    EXPECT_TRUE(caps.ambient.empty());
}

TEST(SpecCapabilities, AddAndDrop)
{
    auto caps = with_caps({ "net_admin", "CAP_SYS_TIME", "chown" }, { "MKNOD", "cap_net_raw" }).process.capabilities;
    EXPECT_EQ(caps.bounding,
        strings({ "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_SETGID", "CAP_SETUID",
            "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
            "CAP_NET_ADMIN", "CAP_SYS_TIME" }));
    EXPECT_EQ(caps.effective, caps.bounding);

    // ALL added: every capability but those dropped.
    auto all_but = with_caps({ "ALL" }, { "sys_admin" }).process.capabilities.bounding;
    EXPECT_EQ(all_but.size(), 40u);
    EXPECT_EQ(std::count(all_but.begin(), all_but.end(), "CAP_SYS_ADMIN"), 0);
    EXPECT_EQ(all_but.front(), "CAP_CHOWN");
    EXPECT_EQ(all_but.back(), "CAP_CHECKPOINT_RESTORE");

    // ALL dropped: only those added.
    EXPECT_EQ(
        with_caps({ "chown", "kill" }, { "all" }).process.capabilities.bounding, strings({ "CAP_CHOWN", "CAP_KILL" }));
    EXPECT_TRUE(with_caps({}, { "ALL" }).process.capabilities.bounding.empty());

    auto in = sample_input();
    in.host.cap_add = { "CAP_FLY" };
    EXPECT_EQ(build_error(in), "invalid CapAdd: unknown capability: \"CAP_FLY\"");
}

TEST(SpecCapabilities, PrivilegedGetsEverything)
{
    auto in = sample_input();
    in.host.privileged = true;
    in.host.cap_drop = { "ALL" }; // ignored when privileged, as Docker
    Spec spec = build(in);
    auto const& caps = spec.process.capabilities.bounding;
    ASSERT_EQ(caps.size(), all_capabilities().size());
    for (size_t i = 0; i < caps.size(); ++i)
        EXPECT_EQ(caps[i], all_capabilities()[i].name);
    EXPECT_EQ(spec.process.capabilities.effective, caps);
    EXPECT_EQ(spec.seccomp, SeccompMode::Unconfined);
    EXPECT_TRUE(spec.masked_paths.empty());
    EXPECT_TRUE(spec.readonly_paths.empty());
    EXPECT_TRUE(spec.privileged);
}

TEST(SpecCapabilities, NonRootUserHasNoEffectiveCapabilities)
{
    auto in = sample_input();
    in.config.user = "app";
    in.host.cap_add = { "NET_ADMIN" };
    auto caps = build(in).process.capabilities;
    EXPECT_EQ(caps.bounding.size(), 15u);
    EXPECT_TRUE(caps.effective.empty());
    EXPECT_TRUE(caps.permitted.empty());
    EXPECT_TRUE(caps.inheritable.empty());
    EXPECT_TRUE(caps.ambient.empty());
}

TEST(SpecSecurity, MaskedAndReadonlyPaths)
{
    Spec spec = build(sample_input());
    EXPECT_EQ(spec.seccomp, SeccompMode::Default);
    EXPECT_EQ(spec.masked_paths,
        strings({ "/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/sched_debug", "/proc/scsi", "/proc/timer_list", "/proc/timer_stats", "/sys/devices/virtual/powercap",
            "/sys/firmware" }));
    EXPECT_EQ(
        spec.readonly_paths, strings({ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" }));
}

TEST(SpecSecurity, SecurityOptions)
{
    auto in = sample_input();
    for (auto opt : { "no-new-privileges", "no-new-privileges:true", "no-new-privileges=1" }) {
        in.host.security_opt = { opt };
        EXPECT_TRUE(build(in).process.no_new_privileges) << opt;
    }
    in.host.security_opt = { "no-new-privileges=false" };
    EXPECT_FALSE(build(in).process.no_new_privileges);
    EXPECT_FALSE(build(sample_input()).process.no_new_privileges);

    in.host.security_opt = { "seccomp=unconfined" };
    EXPECT_EQ(build(in).seccomp, SeccompMode::Unconfined);
    in.host.security_opt = { "seccomp:unconfined" };
    EXPECT_EQ(build(in).seccomp, SeccompMode::Unconfined);
    in.host.security_opt = { "seccomp=builtin" };
    EXPECT_EQ(build(in).seccomp, SeccompMode::Default);
    in.host.security_opt = { "apparmor=unconfined", "label=disable" };
    EXPECT_EQ(build(in).seccomp, SeccompMode::Default);

    in.host.security_opt = { "seccomp=/etc/docker/seccomp.json" };
    EXPECT_EQ(build_error(in),
        "security-opt seccomp: custom seccomp profiles are not supported; use seccomp=unconfined or the default "
        "profile");
    in.host.security_opt = { "no-new-privileges=maybe" };
    EXPECT_EQ(build_error(in), "invalid --security-opt 2: \"no-new-privileges=maybe\"");
    in.host.security_opt = { "turbo" };
    EXPECT_EQ(build_error(in), "invalid --security-opt 1: \"turbo\"");
    in.host.security_opt = { "turbo=on" };
    EXPECT_EQ(build_error(in), "invalid --security-opt 2: \"turbo=on\"");
}

TEST(SpecSecurity, OomScoreAdjAndRlimits)
{
    auto in = sample_input();
    EXPECT_EQ(build(in).process.oom_score_adj, 0);
    in.host.oom_score_adj = -500;
    in.host.ulimits = { { "nofile", 1024, 4096 }, { "core", -1, -1 }, { "nproc", 100, 100 } };
    Spec spec = build(in);
    EXPECT_EQ(spec.process.oom_score_adj, -500);
    ASSERT_EQ(spec.process.rlimits.size(), 3u);
    EXPECT_EQ(spec.process.rlimits[0].resource, RLIMIT_NOFILE);
    EXPECT_EQ(spec.process.rlimits[0].soft, 1024u);
    EXPECT_EQ(spec.process.rlimits[0].hard, 4096u);
    EXPECT_EQ(spec.process.rlimits[1].resource, RLIMIT_CORE);
    EXPECT_EQ(spec.process.rlimits[1].soft, RLIM_INFINITY);
    EXPECT_EQ(spec.process.rlimits[1].hard, RLIM_INFINITY);
    EXPECT_EQ(spec.process.rlimits[2].resource, RLIMIT_NPROC);

    in.host.ulimits = { { "files", 1, 1 } };
    EXPECT_EQ(build_error(in), "invalid ulimit type: files");
    in.host.ulimits = { { "nofile", 10, 5 } };
    EXPECT_EQ(build_error(in), "ulimit soft limit must be less than or equal to hard limit: 10 > 5");
    in.host.ulimits = {};
    in.host.oom_score_adj = 2000;
    EXPECT_EQ(build_error(in), "Invalid value 2000, range for oom score adj is [-1000, 1000]");
}

TEST(SpecSysctls, DefaultsForAPrivateNetwork)
{
    Spec spec = build(sample_input());
    EXPECT_EQ(spec.sysctls,
        (std::map<std::string, std::string> {
            { "net.ipv4.ip_unprivileged_port_start", "0" }, { "net.ipv4.ping_group_range", "0 2147483647" } }));
    auto in = sample_input();
    in.host.network_mode = "host";
    EXPECT_TRUE(build(in).sysctls.empty());
    in.host.network_mode = "none";
    EXPECT_EQ(build(in).sysctls.size(), 2u);
    // The container's own value wins.
    in = with_sysctl("net.ipv4.ip_unprivileged_port_start", "1024");
    EXPECT_EQ(build(in).sysctls.at("net.ipv4.ip_unprivileged_port_start"), "1024");
}

TEST(SpecSysctls, OnlyNamespacedOnesAreAllowed)
{
    for (auto name : { "kernel.msgmax", "kernel.sem", "kernel.shmmax", "kernel.shm_rmid_forced", "fs.mqueue.msg_max",
             "net.core.somaxconn", "net.ipv4.ip_forward", "kernel.domainname" }) {
        auto spec = build_spec(with_sysctl(name));
        ASSERT_FALSE(spec.is_error()) << name << ": " << spec.error().message();
        EXPECT_EQ(spec->sysctls.at(name), "1");
    }
    EXPECT_EQ(build_error(with_sysctl("vm.max_map_count")),
        "sysctl \"vm.max_map_count\" is not in a separate kernel namespace");
    EXPECT_EQ(
        build_error(with_sysctl("kernel.pid_max")), "sysctl \"kernel.pid_max\" is not in a separate kernel namespace");
    EXPECT_EQ(build_error(with_sysctl("kernel.hostname")),
        "sysctl \"kernel.hostname\" is not allowed as it conflicts with the OCI \"hostname\" field");

    auto in = with_sysctl("net.core.somaxconn");
    in.host.network_mode = "host";
    EXPECT_EQ(build_error(in), "sysctl \"net.core.somaxconn\" is not allowed in the hosts network namespace");
    in.host.network_mode = "container:db";
    in.network_namespace_path = "/proc/42/ns/net";
    EXPECT_FALSE(build_spec(in).is_error());

    in = with_sysctl("kernel.shmmax");
    in.host.ipc_mode = "host";
    EXPECT_EQ(build_error(in), "sysctl \"kernel.shmmax\" is not allowed in the hosts ipc namespace");
    in = with_sysctl("kernel.domainname");
    in.host.uts_mode = "host";
    EXPECT_EQ(build_error(in), "sysctl \"kernel.domainname\" is not in a separate kernel namespace");
}

TEST(SpecResources, CopiedWhenValid)
{
    auto in = sample_input();
    in.host.memory = 64 * 1024 * 1024;
    in.host.cpu_shares = 512;
    in.host.cpu_quota = 50000;
    in.host.cpu_period = 100000;
    in.host.cpuset_cpus = "0-1,3";
    in.host.cpuset_mems = "0";
    in.host.pids_limit = 100;
    in.host.blkio_weight = 300;
    Spec spec = build(in);
    auto const& r = spec.resources;
    EXPECT_EQ(r.memory, 64 * 1024 * 1024);
    EXPECT_EQ(r.memory_swap, 128 * 1024 * 1024); // Docker's default: twice the memory
    EXPECT_EQ(r.cpu_shares, 512u);
    EXPECT_EQ(r.cpu_quota, 50000);
    EXPECT_EQ(r.cpu_period, 100000u);
    EXPECT_EQ(r.cpuset_cpus, "0-1,3");
    EXPECT_EQ(r.cpuset_mems, "0");
    EXPECT_EQ(r.pids_limit, 100);
    EXPECT_EQ(r.blkio_weight, 300);
    EXPECT_EQ(spec.cgroup_path, "system-docker/" + ID);
}

TEST(SpecResources, UnsetByDefault)
{
    auto r = build(sample_input()).resources;
    EXPECT_FALSE(r.memory);
    EXPECT_FALSE(r.memory_swap);
    EXPECT_FALSE(r.cpu_shares);
    EXPECT_FALSE(r.cpu_quota);
    EXPECT_FALSE(r.cpu_period);
    EXPECT_FALSE(r.pids_limit);
    EXPECT_FALSE(r.blkio_weight);
    EXPECT_EQ(r.cpuset_cpus, "");
}

TEST(SpecResources, SpecialValues)
{
    auto in = sample_input();
    in.host.memory = 64 * 1024 * 1024;
    in.host.memory_swap = -1;
    in.host.pids_limit = 0;
    in.host.nano_cpus = 1500000000;
    in.host.cpu_quota = -1;
    in.host_cpu_count = 2;
    Spec spec = build(in);
    EXPECT_EQ(spec.resources.memory_swap, -1);
    EXPECT_EQ(spec.resources.pids_limit, -1);
    EXPECT_EQ(spec.resources.cpu_period, 100000u);
    EXPECT_EQ(spec.resources.cpu_quota, -1); // an explicit CpuQuota wins, as in Docker
    in.host.cpu_quota = 0;
    EXPECT_EQ(build(in).resources.cpu_quota, 150000);
    in.host.cgroup_parent = "/services/";
    EXPECT_EQ(build(in).cgroup_path, "services/" + ID);
    in.host.cgroup_parent = "";
    in.cgroup_parent = "";
    EXPECT_EQ(build(in).cgroup_path, ID);
}

TEST(SpecResources, DockerValidationMessages)
{
    EXPECT_EQ(resource_error([](HostConfig& h) { h.memory = 4 * 1024 * 1024; }), "Minimum memory limit allowed is 6MB");
    EXPECT_EQ(resource_error([](HostConfig& h) {
        h.memory = 64 * 1024 * 1024;
        h.memory_swap = 32 * 1024 * 1024;
    }),
        "Minimum memoryswap limit should be larger than memory limit, see usage");
    EXPECT_EQ(resource_error([](HostConfig& h) { h.memory_swap = 32 * 1024 * 1024; }),
        "You should always set the Memory limit when using Memoryswap limit, see usage");
    EXPECT_EQ(resource_error([](HostConfig& h) { h.cpu_period = 999; }),
        "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
    EXPECT_EQ(resource_error([](HostConfig& h) { h.cpu_period = 1000001; }),
        "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
    EXPECT_EQ(
        resource_error([](HostConfig& h) { h.cpu_quota = 999; }), "CPU cfs quota can not be less than 1ms (i.e. 1000)");
    EXPECT_EQ(resource_error([](HostConfig& h) { h.cpu_shares = -2; }),
        "invalid CPU shares (-2): value must be a positive integer");
    EXPECT_EQ(resource_error([](HostConfig& h) { h.blkio_weight = 5; }), "Range of blkio weight is from 10 to 1000");
    EXPECT_EQ(resource_error([](HostConfig& h) { h.blkio_weight = 1001; }), "Range of blkio weight is from 10 to 1000");
    EXPECT_EQ(resource_error([](HostConfig& h) {
        h.nano_cpus = 1000000000;
        h.cpu_period = 100000;
    }),
        "Conflicting options: Nano CPUs and CPU Period cannot both be set");
    EXPECT_EQ(resource_error([](HostConfig& h) {
        h.nano_cpus = 1000000000;
        h.cpu_quota = 100000;
    }),
        "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
    EXPECT_EQ(resource_error([](HostConfig& h) { h.cpuset_cpus = "0-"; }),
        "Invalid value 0- for cpuset cpus: invalid format: 0-");
    EXPECT_EQ(resource_error([](HostConfig& h) { h.cpuset_mems = "a"; }),
        "Invalid value a for cpuset mems: invalid format: a");

    auto in = sample_input();
    in.host_cpu_count = 2;
    in.host.nano_cpus = 3000000000;
    EXPECT_EQ(build_error(in), "range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available");
    // Memory exactly at the minimum is fine.
    in = sample_input();
    in.host.memory = 6 * 1024 * 1024;
    EXPECT_FALSE(build_spec(in).is_error());
}
