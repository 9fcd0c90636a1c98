#include "runtime/spec_json.h"

#include <cstdint>
#include <gtest/gtest.h>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/resource.h>
#include <tuple>

namespace corral::runtime {

// spec.h declares no comparisons, and a defaulted one must be declared in the
// class; these compare every member, in declaration order.

bool operator==(const Namespace& a, const Namespace& b)
{
    return std::tie(a.type, a.path) == std::tie(b.type, b.path);
}

bool operator==(const Mount& a, const Mount& b)
{
    return std::tie(a.destination, a.type, a.source, a.options) == std::tie(b.destination, b.type, b.source, b.options);
}

bool operator==(const Rlimit& a, const Rlimit& b)
{
    return std::tie(a.resource, a.soft, a.hard) == std::tie(b.resource, b.soft, b.hard);
}

bool operator==(const User& a, const User& b)
{
    return std::tie(a.uid, a.gid, a.additional_gids, a.home) == std::tie(b.uid, b.gid, b.additional_gids, b.home);
}

bool operator==(const Capabilities& a, const Capabilities& b)
{
    return std::tie(a.bounding, a.effective, a.permitted, a.inheritable, a.ambient)
        == std::tie(b.bounding, b.effective, b.permitted, b.inheritable, b.ambient);
}

bool operator==(const Process& a, const Process& b)
{
    return std::tie(a.args, a.env, a.cwd, a.user, a.terminal, a.open_stdin, a.capabilities, a.rlimits,
               a.no_new_privileges, a.oom_score_adj)
        == std::tie(b.args, b.env, b.cwd, b.user, b.terminal, b.open_stdin, b.capabilities, b.rlimits,
            b.no_new_privileges, b.oom_score_adj);
}

bool operator==(const DeviceRule& a, const DeviceRule& b)
{
    return std::tie(a.allow, a.type, a.major, a.minor, a.access)
        == std::tie(b.allow, b.type, b.major, b.minor, b.access);
}

bool operator==(const Device& a, const Device& b)
{
    return std::tie(a.path, a.type, a.major, a.minor, a.mode, a.uid, a.gid)
        == std::tie(b.path, b.type, b.major, b.minor, b.mode, b.uid, b.gid);
}

bool operator==(const Resources& a, const Resources& b)
{
    return std::tie(a.memory, a.memory_swap, a.cpu_shares, a.cpu_quota, a.cpu_period, a.cpuset_cpus, a.cpuset_mems,
               a.pids_limit, a.blkio_weight, a.devices)
        == std::tie(b.memory, b.memory_swap, b.cpu_shares, b.cpu_quota, b.cpu_period, b.cpuset_cpus, b.cpuset_mems,
            b.pids_limit, b.blkio_weight, b.devices);
}

bool operator==(const Spec& a, const Spec& b)
{
    return std::tie(a.id, a.hostname, a.domainname, a.process, a.lower_dirs, a.upper_dir, a.work_dir, a.rootfs,
               a.readonly_rootfs, a.rootfs_propagation, a.namespaces, a.mounts, a.devices, a.masked_paths,
               a.readonly_paths, a.sysctls, a.cgroup_path, a.resources, a.seccomp, a.privileged, a.init, a.stop_signal,
               a.stop_timeout)
        == std::tie(b.id, b.hostname, b.domainname, b.process, b.lower_dirs, b.upper_dir, b.work_dir, b.rootfs,
            b.readonly_rootfs, b.rootfs_propagation, b.namespaces, b.mounts, b.devices, b.masked_paths,
            b.readonly_paths, b.sysctls, b.cgroup_path, b.resources, b.seccomp, b.privileged, b.init, b.stop_signal,
            b.stop_timeout);
}

namespace {

// Every field differs from its default, and the extremes of the integer types
// appear where a careless reader would truncate them.
Spec populated_spec()
{
    Spec spec;
    spec.id = std::string(64, 'a');
    spec.hostname = "web";
    spec.domainname = "example.org";
    spec.process.args = { "nginx", "-g", "daemon off;" };
    spec.process.env = { "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "GREETING=h\xC3\xA9llo \"quoted\"\n\\" };
    spec.process.cwd = "/srv/www";
    spec.process.user.uid = std::numeric_limits<uid_t>::max() - 1;
    spec.process.user.gid = 101;
    spec.process.user.additional_gids = { 0, 27, std::numeric_limits<gid_t>::max() };
    spec.process.user.home = "/var/www";
    spec.process.terminal = true;
    spec.process.open_stdin = true;
    spec.process.capabilities.bounding = { "CAP_CHOWN", "CAP_NET_BIND_SERVICE" };
    spec.process.capabilities.effective = { "CAP_CHOWN" };
    spec.process.capabilities.permitted = { "CAP_CHOWN", "CAP_SETUID" };
    spec.process.capabilities.inheritable = { "CAP_KILL" };
    spec.process.capabilities.ambient = { "CAP_NET_RAW" };
    spec.process.rlimits = {
        { RLIMIT_NOFILE, 1024, 1048576 },
        { RLIMIT_CORE, RLIM_INFINITY, std::numeric_limits<uint64_t>::max() },
    };
    spec.process.no_new_privileges = true;
    spec.process.oom_score_adj = -500;
    spec.lower_dirs = { "/var/lib/corral/overlay/l2/diff", "/var/lib/corral/overlay/l1/diff" };
    spec.upper_dir = "/var/lib/corral/containers/a/upper";
    spec.work_dir = "/var/lib/corral/containers/a/work";
    spec.rootfs = "/var/lib/corral/containers/a/rootfs";
    spec.readonly_rootfs = true;
    spec.rootfs_propagation = "rslave";
    spec.namespaces = {
        { NamespaceType::Mount, "" },
        { NamespaceType::Pid, "" },
        { NamespaceType::Uts, "" },
        { NamespaceType::Ipc, "/proc/42/ns/ipc" },
        { NamespaceType::Network, "/proc/42/ns/net" },
        { NamespaceType::Cgroup, "" },
        { NamespaceType::User, "/proc/7/ns/user" },
    };
    spec.mounts = {
        { "/proc", "proc", "proc", { "nosuid", "noexec", "nodev" } },
        { "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" } },
        { "/data", "bind", "/srv/data", {} },
    };
    spec.devices = {
        { "/dev/fuse", 'c', 10, 229, 0600, 0, 0 },
        { "/dev/loop0", 'b', 7, 0, 0660, 0, 6 },
    };
    spec.masked_paths = { "/proc/kcore", "/proc/keys" };
    spec.readonly_paths = { "/proc/sys", "/proc/bus" };
    spec.sysctls = { { "net.ipv4.ip_forward", "1" }, { "kernel.msgmax", "65536" } };
    spec.cgroup_path = "system-docker/" + std::string(64, 'a');
    spec.resources.memory = std::numeric_limits<int64_t>::max();
    spec.resources.memory_swap = -1;
    spec.resources.cpu_shares = 512;
    spec.resources.cpu_quota = 50000;
    spec.resources.cpu_period = 100000;
    spec.resources.cpuset_cpus = "0-1";
    spec.resources.cpuset_mems = "0";
    spec.resources.pids_limit = std::numeric_limits<int64_t>::min();
    spec.resources.blkio_weight = 500;
    spec.resources.devices = {
        { false, 'a', -1, -1, "rwm" },
        { true, 'c', 1, 3, "rw" },
        { true, 'b', 7, -1, "m" },
    };
    spec.seccomp = SeccompMode::Unconfined;
    spec.privileged = true;
    spec.init = true;
    spec.stop_signal = "SIGQUIT";
    spec.stop_timeout = -1;
    return spec;
}

std::string to_json(const Spec& spec)
{
    auto text = spec_to_json(spec);
    EXPECT_FALSE(text.is_error()) << text.error().message();
    return text.is_error() ? std::string() : text.release_value();
}

Spec from_json(std::string_view text)
{
    auto spec = spec_from_json(text);
    EXPECT_FALSE(spec.is_error()) << spec.error().message();
    return spec.is_error() ? Spec() : spec.release_value();
}

std::string error_of(std::string_view text)
{
    auto spec = spec_from_json(text);
    if (!spec.is_error())
        return "(accepted)";
    EXPECT_EQ(spec.error().code(), EINVAL) << spec.error().message();
    return spec.error().message();
}

TEST(SpecJson, PopulatedSpecRoundTripsExactly)
{
    Spec spec = populated_spec();
    std::string text = to_json(spec);
    Spec back = from_json(text);
    EXPECT_TRUE(back == spec);
    // The text says where they differ when they do.
    EXPECT_EQ(to_json(back), text);
}

TEST(SpecJson, PopulatedSpecDiffersFromDefaultsEverywhere)
{
    // Guards the round-trip test against a field left at its default, which
    // would round-trip even if it were never written or read.
    Spec a = populated_spec();
    Spec d;
    EXPECT_FALSE(a.id == d.id || a.hostname == d.hostname || a.domainname == d.domainname);
    EXPECT_FALSE(a.process.args == d.process.args || a.process.env == d.process.env || a.process.cwd == d.process.cwd);
    EXPECT_FALSE(a.process.user.uid == d.process.user.uid || a.process.user.gid == d.process.user.gid
        || a.process.user.additional_gids == d.process.user.additional_gids
        || a.process.user.home == d.process.user.home);
    EXPECT_FALSE(a.process.terminal == d.process.terminal || a.process.open_stdin == d.process.open_stdin);
    auto const& c = a.process.capabilities;
    EXPECT_FALSE(
        c.bounding.empty() || c.effective.empty() || c.permitted.empty() || c.inheritable.empty() || c.ambient.empty());
    EXPECT_FALSE(a.process.rlimits.empty() || a.process.no_new_privileges == d.process.no_new_privileges
        || !a.process.oom_score_adj);
    EXPECT_FALSE(a.lower_dirs.empty() || a.upper_dir.empty() || a.work_dir.empty() || a.rootfs.empty()
        || a.readonly_rootfs == d.readonly_rootfs || a.rootfs_propagation.empty());
    EXPECT_FALSE(a.namespaces.empty() || a.mounts.empty() || a.devices.empty() || a.masked_paths.empty()
        || a.readonly_paths.empty() || a.sysctls.empty() || a.cgroup_path.empty());
    auto const& r = a.resources;
    EXPECT_TRUE(
        r.memory && r.memory_swap && r.cpu_shares && r.cpu_quota && r.cpu_period && r.pids_limit && r.blkio_weight);
    EXPECT_FALSE(r.cpuset_cpus.empty() || r.cpuset_mems.empty() || r.devices.empty());
    EXPECT_FALSE(a.seccomp == d.seccomp || a.privileged == d.privileged || a.init == d.init
        || a.stop_signal == d.stop_signal || a.stop_timeout == d.stop_timeout);
}

TEST(SpecJson, DefaultSpecRoundTrips)
{
    Spec spec;
    EXPECT_TRUE(from_json(to_json(spec)) == spec);
}

TEST(SpecJson, DefaultSpecTextIsStable)
{
    // Compact, keys in declaration order, empty optionals left out.
    EXPECT_EQ(to_json(Spec()),
        R"({"id":"","hostname":"","domainname":"","process":{"args":[],"env":[],"cwd":"/",)"
        R"("user":{"uid":0,"gid":0,"additional_gids":[],"home":""},"terminal":false,"open_stdin":false,)"
        R"("capabilities":{"bounding":[],"effective":[],"permitted":[],"inheritable":[],"ambient":[]},)"
        R"("rlimits":[],"no_new_privileges":false},"lower_dirs":[],"upper_dir":"","work_dir":"","rootfs":"",)"
        R"("readonly_rootfs":false,"rootfs_propagation":"","namespaces":[],"mounts":[],"devices":[],)"
        R"("masked_paths":[],"readonly_paths":[],"sysctls":{},"cgroup_path":"",)"
        R"("resources":{"cpuset_cpus":"","cpuset_mems":"","devices":[]},"seccomp":"default",)"
        R"("privileged":false,"init":false,"stop_signal":"SIGTERM","stop_timeout":10})");
}

TEST(SpecJson, EnumsAndTypesAreWrittenAsStrings)
{
    auto written = nlohmann::json::parse(to_json(populated_spec()));
    std::vector<std::string> types;
    for (auto const& ns : written["namespaces"])
        types.push_back(ns["type"].get<std::string>());
    EXPECT_EQ(types, (std::vector<std::string> { "mount", "pid", "uts", "ipc", "network", "cgroup", "user" }));
    EXPECT_EQ(written["namespaces"][4]["path"], "/proc/42/ns/net");
    EXPECT_EQ(written["seccomp"], "unconfined");
    EXPECT_EQ(written["devices"][1]["type"], "b");
    EXPECT_EQ(written["resources"]["devices"][0]["type"], "a");
    EXPECT_EQ(written["process"]["rlimits"][1]["soft"].get<uint64_t>(), std::numeric_limits<uint64_t>::max());
}

TEST(SpecJson, EmptyObjectGivesDefaults)
{
    EXPECT_TRUE(from_json("{}") == Spec());
    // Null is absent, at every level.
    EXPECT_TRUE(from_json(R"({"id":null,"process":null,"resources":{"memory":null},"stop_timeout":null})") == Spec());
}

TEST(SpecJson, MissingFieldsOfListItemsGetTheirDefaults)
{
    Spec spec = from_json(R"({"devices":[{}],"resources":{"devices":[{"allow":true}]},"process":{"rlimits":[{}]},)"
                          R"("mounts":[{"destination":"/x"}],"namespaces":[{"type":"pid"}]})");
    ASSERT_EQ(spec.devices.size(), 1u);
    EXPECT_TRUE(spec.devices[0] == Device());
    ASSERT_EQ(spec.resources.devices.size(), 1u);
    DeviceRule rule;
    rule.allow = true;
    EXPECT_TRUE(spec.resources.devices[0] == rule);
    ASSERT_EQ(spec.process.rlimits.size(), 1u);
    EXPECT_TRUE(spec.process.rlimits[0] == (Rlimit { 0, 0, 0 }));
    ASSERT_EQ(spec.mounts.size(), 1u);
    EXPECT_TRUE(spec.mounts[0] == (Mount { "/x", "", "", {} }));
    ASSERT_EQ(spec.namespaces.size(), 1u);
    EXPECT_TRUE(spec.namespaces[0] == (Namespace { NamespaceType::Pid, "" }));
}

TEST(SpecJson, UnknownKeysAreIgnored)
{
    Spec spec = from_json(R"({"hostname":"h","future":{"deep":[1,2,{"x":null}]},"process":{"cwd":"/w","later":7},)"
                          R"("namespaces":[{"type":"uts","flags":3}]})");
    Spec expected;
    expected.hostname = "h";
    expected.process.cwd = "/w";
    expected.namespaces = { { NamespaceType::Uts, "" } };
    EXPECT_TRUE(spec == expected);
}

TEST(SpecJson, WrongTypesAreNamedByPath)
{
    EXPECT_EQ(error_of(R"({"process":{"user":{"uid":"root"}}})"), "process.user.uid: expected an unsigned integer");
    EXPECT_EQ(error_of(R"({"process":{"user":{"uid":-1}}})"), "process.user.uid: expected an unsigned integer");
    EXPECT_EQ(error_of(R"({"process":{"user":{"uid":4294967296}}})"),
        "process.user.uid: expected an unsigned integer up to 4294967295");
    EXPECT_EQ(error_of(R"({"process":{"user":{"additional_gids":[1,"2"]}}})"),
        "process.user.additional_gids: expected an array of unsigned integers up to 4294967295");
    EXPECT_EQ(error_of(R"({"process":{"rlimits":[{"resource":7,"soft":-1}]}})"),
        "process.rlimits[0].soft: expected an unsigned integer");
    EXPECT_EQ(error_of(R"({"process":{"oom_score_adj":2147483648}})"),
        "process.oom_score_adj: expected an integer from -2147483648 to 2147483647");
    EXPECT_EQ(error_of(R"({"process":{"terminal":1}})"), "process.terminal: expected a boolean");
    EXPECT_EQ(error_of(R"({"process":"sh"})"), "process: expected an object");
    EXPECT_EQ(error_of(R"({"stop_timeout":"10s"})"), "stop_timeout: expected an integer");
    EXPECT_EQ(error_of(R"({"resources":{"memory":1.5}})"), "resources.memory: expected an integer");
    EXPECT_EQ(error_of(R"({"resources":{"memory":9223372036854775808}})"),
        "resources.memory: expected an integer from -9223372036854775808 to 9223372036854775807");
    EXPECT_EQ(error_of(R"({"resources":{"blkio_weight":65536}})"),
        "resources.blkio_weight: expected an unsigned integer up to 65535");
    EXPECT_EQ(error_of(R"({"resources":{"devices":[{"type":"x"}]}})"),
        R"(resources.devices[0].type: expected "a", "c" or "b")");
    EXPECT_EQ(error_of(R"({"devices":[{},{"type":"cc"}]})"), R"(devices[1].type: expected "c", "b", "u" or "p")");
    EXPECT_EQ(error_of(R"({"mounts":[{},{"options":"ro"}]})"), "mounts[1].options: expected an array of strings");
    EXPECT_EQ(error_of(R"({"mounts":{}})"), "mounts: expected an array of objects");
    EXPECT_EQ(error_of(R"({"mounts":[3]})"), "mounts[0]: expected an object");
    EXPECT_EQ(error_of(R"({"sysctls":{"net.ipv4.ip_forward":1}})"), "sysctls.net.ipv4.ip_forward: expected a string");
    EXPECT_EQ(error_of(R"({"namespaces":[{"type":"time"}]})"), R"(namespaces[0].type: unknown namespace type "time")");
    EXPECT_EQ(error_of(R"({"namespaces":[{"path":"/proc/1/ns/net"}]})"), "namespaces[0].type: missing");
    EXPECT_EQ(error_of(R"({"namespaces":[{"type":"NET"}]})"), R"(namespaces[0].type: unknown namespace type "NET")");
    EXPECT_EQ(
        error_of(R"({"seccomp":"strict"})"), R"(seccomp: unknown mode "strict" (expected "default" or "unconfined"))");
    EXPECT_EQ(error_of(R"({"seccomp":false})"), "seccomp: expected a string");
}

TEST(SpecJson, OversizedInputIsRefused)
{
    // Whitespace padding: the size alone decides.
    std::string text = "{}" + std::string(MAX_SPEC_JSON_SIZE - 2, ' ');
    EXPECT_TRUE(from_json(text) == Spec());
    text += ' ';
    auto spec = spec_from_json(text);
    ASSERT_TRUE(spec.is_error());
    EXPECT_EQ(spec.error().code(), EFBIG);
    EXPECT_EQ(spec.error().message(), "spec: 1048577 bytes of JSON, more than the limit of 1048576");
}

TEST(SpecJson, GarbageIsRefused)
{
    std::string deep(500000, '[');
    std::string deep_in_unknown_key = R"({"x":)" + std::string(300000, '[') + std::string(300000, ']') + "}";
    for (std::string_view text : { std::string_view(""), std::string_view("{"), std::string_view("{\"id\":}"),
             std::string_view("{} {}"), std::string_view("\xff\xfe"), std::string_view("{\"id\":\"\xff\"}"),
             std::string_view("{\"stop_timeout\":1e999}"), std::string_view("{\"id\":\"a\0b\"}", 12),
             std::string_view(deep) }) {
        auto spec = spec_from_json(text);
        ASSERT_TRUE(spec.is_error()) << text.substr(0, 40);
        EXPECT_EQ(spec.error().code(), EINVAL);
        EXPECT_TRUE(spec.error().message().starts_with("spec: not valid JSON: ")) << spec.error().message();
    }
    EXPECT_EQ(error_of(R"([])"), "spec: expected an object");
    EXPECT_EQ(error_of(R"(null)"), "spec: expected an object");
    EXPECT_EQ(error_of(R"("spec")"), "spec: expected an object");
    // Deep nesting that parses is harmless too.
    EXPECT_TRUE(from_json(deep_in_unknown_key) == Spec());
}

TEST(SpecJson, ParseErrorsSayWhere)
{
    EXPECT_EQ(error_of("{\"id\":}"),
        "spec: not valid JSON: parse error at line 1, column 7: syntax error while parsing value - "
        "unexpected '}'; expected '[', '{', or a literal");
}

TEST(SpecJson, WriterRefusesStringsThatAreNotUtf8)
{
    Spec spec;
    spec.process.user.home = "/home/\xff";
    auto text = spec_to_json(spec);
    ASSERT_TRUE(text.is_error());
    EXPECT_EQ(text.error().code(), EINVAL);
    EXPECT_EQ(text.error().message(), "process.user.home: not valid UTF-8, which JSON cannot carry");

    spec = Spec();
    spec.mounts = { { "/a", "bind", "/a", {} }, { "/b", "bind", "/b", { "ro", "x\xc3" } } };
    text = spec_to_json(spec);
    ASSERT_TRUE(text.is_error());
    EXPECT_EQ(text.error().message(), "mounts[1].options[1]: not valid UTF-8, which JSON cannot carry");

    spec = Spec();
    spec.sysctls = { { "kernel.\x80", "1" } };
    text = spec_to_json(spec);
    ASSERT_TRUE(text.is_error());
    EXPECT_EQ(text.error().message(), "sysctls: not valid UTF-8, which JSON cannot carry");
}

TEST(SpecJson, WriterRefusesValuesTheReaderWouldRefuse)
{
    Spec spec;
    spec.resources.devices = { DeviceRule {}, DeviceRule { true, 'x', 1, 1, "r" } };
    auto text = spec_to_json(spec);
    ASSERT_TRUE(text.is_error());
    EXPECT_EQ(text.error().message(), R"(resources.devices[1].type: unknown type (expected "a", "c" or "b"))");

    spec = Spec();
    spec.devices = { Device { "/dev/null", '\0', 1, 3, 0666, 0, 0 } };
    text = spec_to_json(spec);
    ASSERT_TRUE(text.is_error());
    EXPECT_EQ(text.error().message(), R"(devices[0].type: unknown type (expected "c", "b", "u" or "p"))");

    spec = Spec();
    spec.namespaces = { { static_cast<NamespaceType>(99), "" } };
    text = spec_to_json(spec);
    ASSERT_TRUE(text.is_error());
    EXPECT_EQ(text.error().message(), "namespaces[0].type: unknown namespace type 99");

    spec = Spec();
    spec.seccomp = static_cast<SeccompMode>(5);
    text = spec_to_json(spec);
    ASSERT_TRUE(text.is_error());
    EXPECT_EQ(text.error().message(), "seccomp: unknown mode 5");
}

TEST(SpecJson, WriterRefusesTextTheReaderWouldRefuseForSize)
{
    Spec spec;
    spec.process.env = { "BIG=" + std::string(MAX_SPEC_JSON_SIZE, 'x') };
    auto text = spec_to_json(spec);
    ASSERT_TRUE(text.is_error());
    EXPECT_EQ(text.error().code(), EFBIG);
}

} // namespace

} // namespace corral::runtime
