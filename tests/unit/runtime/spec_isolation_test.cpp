// Namespaces, mounts and devices.

#include "spec_test_input.h"

using namespace corral::runtime;
using namespace corral::runtime::test;

namespace {

struct Ns {
    NamespaceType type;
    std::string path;
    bool operator==(const Ns&) const = default;
};

std::vector<Ns> namespaces(const Spec& spec)
{
    std::vector<Ns> out;
    for (auto const& ns : spec.namespaces)
        out.push_back({ ns.type, ns.path });
    return out;
}

std::vector<std::string> destinations(const Spec& spec)
{
    std::vector<std::string> out;
    for (auto const& m : spec.mounts)
        out.push_back(m.destination);
    return out;
}

const Mount* find_mount(const Spec& spec, std::string_view destination)
{
    for (auto const& m : spec.mounts) {
        if (m.destination == destination)
            return &m;
    }
    return nullptr;
}

std::vector<std::string> options(const Spec& spec, std::string_view destination)
{
    auto m = find_mount(spec, destination);
    return m ? m->options : std::vector<std::string> { "(no mount)" };
}

using T = NamespaceType;

} // namespace

TEST(SpecNamespaces, DefaultOnCgroupV2)
{
    EXPECT_EQ(namespaces(build(sample_input())),
        (std::vector<Ns> {
            { T::Mount, "" }, { T::Network, "" }, { T::Uts, "" }, { T::Pid, "" }, { T::Ipc, "" }, { T::Cgroup, "" } }));
}

TEST(SpecNamespaces, CgroupNamespaceFollowsDocker)
{
    auto in = sample_input();
    in.cgroup_version = CgroupVersion::V1;
    EXPECT_EQ(namespaces(build(in)),
        (std::vector<Ns> { { T::Mount, "" }, { T::Network, "" }, { T::Uts, "" }, { T::Pid, "" }, { T::Ipc, "" } }));
    in.host.cgroupns_mode = "private";
    EXPECT_EQ(namespaces(build(in)).back(), (Ns { T::Cgroup, "" }));
    in = sample_input();
    in.host.privileged = true; // still a cgroup namespace of its own on v2
    EXPECT_EQ(namespaces(build(in)).back(), (Ns { T::Cgroup, "" }));
    in.host.cgroupns_mode = "host";
    EXPECT_EQ(namespaces(build(in)).back(), (Ns { T::Ipc, "" }));
}

TEST(SpecNamespaces, HostModesLeaveNamespacesOut)
{
    auto in = sample_input();
    in.host.network_mode = "host";
    in.host.pid_mode = "host";
    in.host.ipc_mode = "host";
    in.host.uts_mode = "host";
    EXPECT_EQ(namespaces(build(in)), (std::vector<Ns> { { T::Mount, "" }, { T::Cgroup, "" } }));

    in = sample_input();
    in.host.pid_mode = "host";
    EXPECT_EQ(namespaces(build(in)),
        (std::vector<Ns> { { T::Mount, "" }, { T::Network, "" }, { T::Uts, "" }, { T::Ipc, "" }, { T::Cgroup, "" } }));
}

TEST(SpecNamespaces, NoneAndBridgeNetworksAreNewNamespaces)
{
    for (auto mode : { "none", "bridge", "default", "", "my-network" }) {
        auto in = sample_input();
        in.host.network_mode = mode;
        EXPECT_EQ(namespaces(build(in))[1], (Ns { T::Network, "" })) << mode;
    }
}

TEST(SpecNamespaces, ContainerModesJoin)
{
    auto in = sample_input();
    in.host.network_mode = "container:db";
    in.host.pid_mode = "container:db";
    in.host.ipc_mode = "container:db";
    in.network_namespace_path = "/proc/42/ns/net";
    in.pid_namespace_path = "/proc/42/ns/pid";
    in.ipc_namespace_path = "/proc/42/ns/ipc";
    EXPECT_EQ(namespaces(build(in)),
        (std::vector<Ns> { { T::Mount, "" }, { T::Network, "/proc/42/ns/net" }, { T::Uts, "" },
            { T::Pid, "/proc/42/ns/pid" }, { T::Ipc, "/proc/42/ns/ipc" }, { T::Cgroup, "" } }));
    in.pid_namespace_path.clear();
    EXPECT_EQ(build_error(in), "PidMode container:db: no namespace to join was given");
}

TEST(SpecMounts, DefaultContainer)
{
    Spec spec = build(sample_input());
    std::vector<Mount> expected {
        { "/proc", "proc", "proc", { "nosuid", "noexec", "nodev" } },
        { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k" } },
        { "/dev/pts", "devpts", "devpts",
            { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" } },
        { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro" } },
        { "/sys/fs/cgroup", "cgroup2", "cgroup", { "ro", "nosuid", "noexec", "nodev", "nsdelegate" } },
        { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" } },
        { "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=67108864" } },
        { "/etc/resolv.conf", "bind", DIR + "/resolv.conf", { "rbind", "rprivate" } },
        { "/etc/hostname", "bind", DIR + "/hostname", { "rbind", "rprivate" } },
        { "/etc/hosts", "bind", DIR + "/hosts", { "rbind", "rprivate" } },
    };
    ASSERT_EQ(spec.mounts.size(), expected.size()) << testing::PrintToString(destinations(spec));
    for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(spec.mounts[i].destination, expected[i].destination) << i;
        EXPECT_EQ(spec.mounts[i].type, expected[i].type) << expected[i].destination;
        EXPECT_EQ(spec.mounts[i].source, expected[i].source) << expected[i].destination;
        EXPECT_EQ(spec.mounts[i].options, expected[i].options) << expected[i].destination;
    }
}

TEST(SpecMounts, PrivilegedContainer)
{
    auto in = sample_input();
    in.host.privileged = true;
    Spec spec = build(in);
    EXPECT_EQ(destinations(spec),
        strings({ "/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm", "/etc/resolv.conf",
            "/etc/hostname", "/etc/hosts" }));
    EXPECT_EQ(options(spec, "/sys"), strings({ "nosuid", "noexec", "nodev" }));
    EXPECT_EQ(options(spec, "/sys/fs/cgroup"), strings({ "nosuid", "noexec", "nodev", "nsdelegate" }));
    // writable-cgroups=false keeps the cgroup file system read-only.
    in.host.security_opt = { "writable-cgroups=false" };
    EXPECT_EQ(options(build(in), "/sys/fs/cgroup"), strings({ "ro", "nosuid", "noexec", "nodev", "nsdelegate" }));
}

TEST(SpecMounts, CgroupV1IsAReadOnlyBindOfTheHostHierarchy)
{
    auto in = sample_input();
    in.cgroup_version = CgroupVersion::V1;
    auto cgroup = *find_mount(build(in), "/sys/fs/cgroup");
    EXPECT_EQ(cgroup.type, "bind");
    EXPECT_EQ(cgroup.source, "/sys/fs/cgroup");
    EXPECT_EQ(cgroup.options, strings({ "rbind", "ro", "nosuid", "noexec", "nodev" }));
    // v2 with the host's cgroup namespace: no nsdelegate, which would apply host-wide.
    in = sample_input();
    in.host.cgroupns_mode = "host";
    EXPECT_EQ(options(build(in), "/sys/fs/cgroup"), strings({ "ro", "nosuid", "noexec", "nodev" }));
}

TEST(SpecMounts, ShmFollowsIpcMode)
{
    auto in = sample_input();
    in.host.shm_size = 128 * 1024 * 1024;
    EXPECT_EQ(options(build(in), "/dev/shm"), strings({ "nosuid", "noexec", "nodev", "mode=1777", "size=134217728" }));
    in.host.ipc_mode = "none";
    EXPECT_EQ(find_mount(build(in), "/dev/shm"), nullptr);
    in.host.ipc_mode = "host";
    auto host_shm = *find_mount(build(in), "/dev/shm");
    EXPECT_EQ(host_shm.type, "bind");
    EXPECT_EQ(host_shm.source, "/dev/shm");
    EXPECT_EQ(host_shm.options, strings({ "rbind", "rprivate" }));
    in.host.ipc_mode = "container:db";
    in.ipc_namespace_path = "/proc/42/ns/ipc";
    in.shared_shm_path = "/var/lib/system-docker/containers/db/shm";
    Spec spec = build(in);
    EXPECT_EQ(find_mount(spec, "/dev/shm")->source, "/var/lib/system-docker/containers/db/shm");
    auto dests = destinations(spec);
    EXPECT_EQ(std::count(dests.begin(), dests.end(), "/dev/shm"), 1);
    in.shared_shm_path.clear();
    EXPECT_EQ(find_mount(build(in), "/dev/shm")->type, "tmpfs");
}

TEST(SpecMounts, VolumesAreOrderedByDepth)
{
    auto in = sample_input();
    in.volumes = {
        { "/host/a/b/c", "/a/b/c", false, "rprivate" },
        { "/host/run", "/var/run", true, "rshared" },
        { "/var/lib/system-docker/volumes/data/_data", "/data", false, "" },
        { "/host/a", "/a/", false, "rslave" },
    };
    in.host.tmpfs = { { "/run", "rw,noexec,size=64m" } };
    MountSpec scratch;
    scratch.type = MountType::Tmpfs;
    scratch.target = "/scratch/tmp";
    scratch.tmpfs_size_bytes = 1024 * 1024;
    scratch.tmpfs_mode = 01777;
    in.host.mounts = { scratch };
    Spec spec = build(in);
    EXPECT_EQ(destinations(spec),
        strings({ "/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm", "/data", "/a",
            "/run", "/var/run", "/etc/resolv.conf", "/etc/hostname", "/etc/hosts", "/scratch/tmp", "/a/b/c" }));
    // Within a depth, Docker's order: volumes, the /etc files, then tmpfs.
    EXPECT_EQ(options(spec, "/var/run"), strings({ "rbind", "ro", "rshared" }));
    EXPECT_EQ(options(spec, "/data"), strings({ "rbind" }));
    EXPECT_EQ(options(spec, "/a"), strings({ "rbind", "rslave" }));
    EXPECT_EQ(find_mount(spec, "/a")->source, "/host/a");
    EXPECT_EQ(options(spec, "/run"), strings({ "nosuid", "nodev", "rprivate", "rw", "noexec", "size=64m" }));
    EXPECT_EQ(find_mount(spec, "/run")->type, "tmpfs");
    EXPECT_EQ(
        options(spec, "/scratch/tmp"), strings({ "noexec", "nosuid", "nodev", "rprivate", "mode=1777", "size=1m" }));
    // A shared volume makes the root mount shared.
    EXPECT_EQ(spec.rootfs_propagation, "shared");
    in.volumes.erase(in.volumes.begin() + 1);
    EXPECT_EQ(build(in).rootfs_propagation, "rslave");
}

TEST(SpecMounts, UserMountsReplaceDefaults)
{
    auto in = sample_input();
    in.volumes = { { "/etc/resolv.conf", "/etc/resolv.conf", true, "rprivate" } };
    in.host.tmpfs = { { "/dev/shm", "size=1g" } };
    Spec spec = build(in);
    EXPECT_EQ(find_mount(spec, "/etc/resolv.conf")->source, "/etc/resolv.conf");
    EXPECT_EQ(options(spec, "/etc/resolv.conf"), strings({ "rbind", "ro", "rprivate" }));
    EXPECT_EQ(find_mount(spec, "/dev/shm")->source, "tmpfs");
    auto dests = destinations(spec);
    EXPECT_EQ(std::count(dests.begin(), dests.end(), "/etc/resolv.conf"), 1);
    EXPECT_EQ(std::count(dests.begin(), dests.end(), "/dev/shm"), 1);

    // A tmpfs wins over a volume at the same place.
    in = sample_input();
    in.volumes = { { "/host/tmp", "/tmp", false, "rprivate" } };
    in.host.tmpfs = { { "/tmp", "" } };
    spec = build(in);
    EXPECT_EQ(find_mount(spec, "/tmp")->type, "tmpfs");
    EXPECT_EQ(options(spec, "/tmp"), strings({ "noexec", "nosuid", "nodev", "rprivate" }));

    // A /dev volume takes everything under /dev with it.
    in = sample_input();
    in.volumes = { { "/dev", "/dev", false, "rprivate" } };
    EXPECT_EQ(destinations(build(in)),
        strings({ "/proc", "/sys", "/sys/fs/cgroup", "/dev", "/etc/resolv.conf", "/etc/hostname", "/etc/hosts" }));
}

TEST(SpecMounts, ReadOnlyRootfs)
{
    auto in = sample_input();
    in.host.readonly_rootfs = true;
    in.volumes = { { "/host/data", "/data", false, "rprivate" } };
    Spec spec = build(in);
    EXPECT_TRUE(spec.readonly_rootfs);
    EXPECT_EQ(options(spec, "/proc"), strings({ "nosuid", "noexec", "nodev" }));
    EXPECT_EQ(options(spec, "/dev/shm"), strings({ "nosuid", "noexec", "nodev", "mode=1777", "size=67108864" }));
    EXPECT_EQ(options(spec, "/sys"), strings({ "nosuid", "noexec", "nodev", "ro" }));
    EXPECT_EQ(options(spec, "/etc/hosts"), strings({ "rbind", "ro", "rprivate" }));
    EXPECT_EQ(options(spec, "/data"), strings({ "rbind", "rprivate" }));
    in.host.privileged = true;
    EXPECT_EQ(options(build(in), "/sys"), strings({ "nosuid", "noexec", "nodev" }));
}

TEST(SpecMounts, EmptyEtcPathsAreNotMounted)
{
    auto in = sample_input();
    in.hosts_path.clear();
    EXPECT_EQ(find_mount(build(in), "/etc/hosts"), nullptr);
}

TEST(SpecMounts, TmpfsOptions)
{
    EXPECT_EQ(merge_tmpfs_options(strings({ "noexec", "nosuid", "nodev", "rprivate", "exec", "size=1m", "size=2m",
                                      "rshared", "defaults" }))
                  .value(),
        strings({ "nosuid", "nodev", "exec", "size=2m", "rshared" }));
    EXPECT_EQ(merge_tmpfs_options(strings({ "rw", "ro", "uid=1000", "nr_inodes=100" })).value(),
        strings({ "ro", "uid=1000", "nr_inodes=100" }));
    EXPECT_EQ(merge_tmpfs_options(strings({ "fast" })).error().message(), "invalid tmpfs option \"fast\"");
    EXPECT_EQ(merge_tmpfs_options(strings({ "colour=blue" })).error().message(), "invalid tmpfs option \"colour\"");
    auto in = sample_input();
    in.host.tmpfs = { { "/run", "rw,turbo" } };
    EXPECT_EQ(build_error(in), "invalid tmpfs option \"turbo\"");
}

TEST(SpecDevices, StandardNodesAndRules)
{
    Spec spec = build(sample_input());
    std::vector<std::string> paths;
    for (auto const& d : spec.devices) {
        paths.push_back(d.path);
        EXPECT_EQ(d.type, 'c');
        EXPECT_EQ(d.mode, 0666u);
    }
    EXPECT_EQ(paths, strings({ "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty" }));
    EXPECT_EQ(spec.devices[0].major, 1);
    EXPECT_EQ(spec.devices[0].minor, 3);
    EXPECT_EQ(spec.devices[5].major, 5);
    EXPECT_EQ(spec.devices[5].minor, 0);

    std::vector<std::string> rules;
    for (auto const& r : spec.resources.devices) {
        rules.push_back(std::string(r.allow ? "allow " : "deny ") + r.type + " "
            + (r.major < 0 ? "*" : std::to_string(r.major)) + ":" + (r.minor < 0 ? "*" : std::to_string(r.minor)) + " "
            + r.access);
    }
    EXPECT_EQ(rules,
        strings({ "deny a *:* rwm", "allow c *:* m", "allow b *:* m", "allow c 1:3 rwm", "allow c 1:5 rwm",
            "allow c 1:7 rwm", "allow c 1:8 rwm", "allow c 1:9 rwm", "allow c 5:0 rwm", "allow c 5:1 rwm",
            "allow c 5:2 rwm", "allow c 136:* rwm", "allow c 10:200 rwm" }));
}

TEST(SpecDevices, HostDevices)
{
    auto in = sample_input();
    in.devices = {
        { "/dev/fuse", 'c', 10, 229, 0666, 0, 0, "rwm" },
        { "/dev/sda", 'b', 8, 0, 0660, 0, 6, "r" },
        { "/dev/null", 'c', 1, 3, 0600, 0, 0, "rw" },
    };
    Spec spec = build(in);
    ASSERT_EQ(spec.devices.size(), 8u);
    EXPECT_EQ(spec.devices[0].mode, 0600u); // replaced the standard /dev/null
    EXPECT_EQ(spec.devices[6].path, "/dev/fuse");
    EXPECT_EQ(spec.devices[7].path, "/dev/sda");
    EXPECT_EQ(spec.devices[7].type, 'b');
    EXPECT_EQ(spec.devices[7].gid, 6u);
    auto const& last = spec.resources.devices.back();
    EXPECT_TRUE(last.allow);
    EXPECT_EQ(last.type, 'c');
    EXPECT_EQ(last.major, 1);
    EXPECT_EQ(last.access, "rw");
    auto const& sda = spec.resources.devices[spec.resources.devices.size() - 2];
    EXPECT_EQ(sda.type, 'b');
    EXPECT_EQ(sda.major, 8);
    EXPECT_EQ(sda.minor, 0);
    EXPECT_EQ(sda.access, "r");

    in.devices = { { "/dev/fuse", 'c', 10, 229, 0666, 0, 0, "rwx" } };
    EXPECT_EQ(build_error(in),
        "invalid device cgroup permissions \"rwx\" for /dev/fuse (expected a combination of r, w and m)");
    in.devices = { { "/dev/fuse", 'c', 10, 229, 0666, 0, 0, "rr" } };
    EXPECT_TRUE(build_spec(in).is_error());
    in.devices = { { "/dev/fuse", 'p', 10, 229, 0666, 0, 0, "rwm" } };
    EXPECT_EQ(build_error(in), "device /dev/fuse: not a character or block device");
}

TEST(SpecDevices, PrivilegedAllowsAllDevices)
{
    auto in = sample_input();
    in.host.privileged = true;
    in.devices = { { "/dev/sda", 'b', 8, 0, 0660, 0, 6, "rwm" } };
    Spec spec = build(in);
    ASSERT_EQ(spec.resources.devices.size(), 1u);
    EXPECT_TRUE(spec.resources.devices[0].allow);
    EXPECT_EQ(spec.resources.devices[0].type, 'a');
    EXPECT_EQ(spec.resources.devices[0].major, -1);
    EXPECT_EQ(spec.resources.devices[0].access, "rwm");
    EXPECT_EQ(spec.devices.back().path, "/dev/sda");
}
