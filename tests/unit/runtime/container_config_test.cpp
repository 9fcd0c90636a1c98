#include "runtime/container_config.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace corral::runtime;
using nlohmann::json;

namespace {

std::string create_error(const char* text)
{
    return parse_create_request(json::parse(text)).error().message();
}

std::string host_error(const char* text)
{
    return parse_host_config(json::parse(text)).error().message();
}

HostConfig host(const char* text)
{
    return parse_host_config(json::parse(text)).value();
}

std::string validate_host_error(const char* text)
{
    return validate_host_config(host(text)).error().message();
}

} // namespace

TEST(ContainerConfig, ParsesACreateRequest)
{
    auto request = parse_create_request(json::parse(R"({
        "Hostname": "web", "Domainname": "example.org", "User": "nobody:nogroup",
        "Env": ["A=1", "B=2"], "Cmd": ["nginx", "-g", "daemon off;"], "Entrypoint": null,
        "Image": "nginx:latest", "WorkingDir": "/srv", "Labels": {"io.rancher.os.scope": "system"},
        "StopSignal": "SIGQUIT", "StopTimeout": 30, "Tty": true, "OpenStdin": true, "StdinOnce": false,
        "AttachStdin": false, "AttachStdout": true, "AttachStderr": true,
        "Volumes": {"/data": {}, "/cache": {}}, "ExposedPorts": {"80/tcp": {}},
        "Unknown": {"ignored": true},
        "HostConfig": {"NetworkMode": "host", "Privileged": true, "Memory": 67108864,
                       "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
                       "LogConfig": {"Type": "json-file", "Config": {"max-size": "10m"}}}
    })"))
                       .value();
    auto const& c = request.config;
    EXPECT_EQ(c.hostname, "web");
    EXPECT_EQ(c.domainname, "example.org");
    EXPECT_EQ(c.user, "nobody:nogroup");
    EXPECT_EQ(c.env, (std::vector<std::string> { "A=1", "B=2" }));
    EXPECT_EQ(c.cmd, (std::vector<std::string> { "nginx", "-g", "daemon off;" }));
    EXPECT_FALSE(c.entrypoint.has_value());
    EXPECT_EQ(c.image, "nginx:latest");
    EXPECT_EQ(c.working_dir, "/srv");
    EXPECT_EQ(c.labels.at("io.rancher.os.scope"), "system");
    EXPECT_EQ(c.stop_signal, "SIGQUIT");
    EXPECT_EQ(c.stop_timeout, 30);
    EXPECT_TRUE(c.tty);
    EXPECT_TRUE(c.open_stdin);
    EXPECT_FALSE(c.attach_stdin);
    EXPECT_TRUE(c.attach_stdout);
    EXPECT_EQ(c.volumes, (std::vector<std::string> { "/cache", "/data" }));
    EXPECT_EQ(c.exposed_ports, (std::vector<std::string> { "80/tcp" }));

    auto const& h = request.host_config;
    EXPECT_EQ(h.network_mode, "host");
    EXPECT_TRUE(h.privileged);
    EXPECT_EQ(h.memory, 67108864);
    EXPECT_EQ(h.restart_policy.name, "on-failure");
    EXPECT_EQ(h.restart_policy.maximum_retry_count, 3);
    EXPECT_EQ(h.log_config.type, "json-file");
    EXPECT_EQ(h.log_config.config.at("max-size"), "10m");
}

TEST(ContainerConfig, NullAndEmptyEntrypointDiffer)
{
    auto absent = parse_container_config(json::parse(R"({"Image":"x"})")).value();
    EXPECT_FALSE(absent.entrypoint.has_value());
    EXPECT_FALSE(absent.cmd.has_value());
    auto null = parse_container_config(json::parse(R"({"Entrypoint":null,"Cmd":null})")).value();
    EXPECT_FALSE(null.entrypoint.has_value());
    auto empty = parse_container_config(json::parse(R"({"Entrypoint":[],"Cmd":[]})")).value();
    ASSERT_TRUE(empty.entrypoint.has_value());
    EXPECT_TRUE(empty.entrypoint->empty());
    ASSERT_TRUE(empty.cmd.has_value());
    auto reset = parse_container_config(json::parse(R"({"Entrypoint":[""]})")).value();
    EXPECT_EQ(reset.entrypoint, (std::vector<std::string> { "" }));
    // Docker's StrSlice also takes a single string.
    auto single = parse_container_config(json::parse(R"({"Cmd":"echo hi"})")).value();
    EXPECT_EQ(single.cmd, (std::vector<std::string> { "echo hi" }));
}

TEST(ContainerConfig, FieldNamesMatchCaseInsensitively)
{
    auto request = parse_create_request(json::parse(R"({"hostname":"h","hostconfig":{"privileged":true}})")).value();
    EXPECT_EQ(request.config.hostname, "h");
    EXPECT_TRUE(request.host_config.privileged);
}

TEST(ContainerConfig, WrongTypesNameTheField)
{
    EXPECT_EQ(create_error(R"([])"), "body: expected an object");
    EXPECT_EQ(create_error(R"({"Hostname": 5})"), "Hostname: expected a string");
    EXPECT_EQ(create_error(R"({"Env": "A=1"})"), "Env: expected an array of strings");
    EXPECT_EQ(create_error(R"({"Env": ["A=1", 2]})"), "Env: expected an array of strings");
    EXPECT_EQ(create_error(R"({"Cmd": {"a": 1}})"), "Cmd: expected a string or an array of strings");
    EXPECT_EQ(create_error(R"({"Tty": "yes"})"), "Tty: expected a boolean");
    EXPECT_EQ(create_error(R"({"StopTimeout": 1.5})"), "StopTimeout: expected an integer");
    EXPECT_EQ(create_error(R"({"Labels": {"a": 1}})"), "Labels.a: expected a string");
    EXPECT_EQ(create_error(R"({"Volumes": ["/data"]})"), "Volumes: expected an object");
    EXPECT_EQ(create_error(R"({"HostConfig": []})"), "HostConfig: expected an object");
    EXPECT_EQ(create_error(R"({"HostConfig": {"Memory": "1g"}})"), "HostConfig.Memory: expected an integer");
    EXPECT_EQ(host_error(R"({"Memory": 1.5})"), "HostConfig.Memory: expected an integer");
    EXPECT_EQ(host_error(R"({"BlkioWeight": 70000})"), "HostConfig.BlkioWeight: expected an integer from 0 to 65535");
    EXPECT_EQ(host_error(R"({"Privileged": 1})"), "HostConfig.Privileged: expected a boolean");
    EXPECT_EQ(host_error(R"({"RestartPolicy": {"Name": 1}})"), "HostConfig.RestartPolicy.Name: expected a string");
    EXPECT_EQ(host_error(R"({"Devices": [{"PathOnHost": "/dev/fuse"}, {"PathOnHost": 3}]})"),
        "HostConfig.Devices[1].PathOnHost: expected a string");
    EXPECT_EQ(host_error(R"({"Devices": [5]})"), "HostConfig.Devices[0]: expected an object");
    EXPECT_EQ(host_error(R"({"Ulimits": [{"Name": "nofile", "Soft": "many"}]})"),
        "HostConfig.Ulimits[0].Soft: expected an integer");
    EXPECT_EQ(host_error(R"({"Mounts": [{"Type": "npipe", "Target": "/x"}]})"),
        "HostConfig.Mounts[0].Type: unsupported mount type \"npipe\" (expected bind, volume or tmpfs)");
    EXPECT_EQ(host_error(R"({"Mounts": [{"Type": "tmpfs", "TmpfsOptions": {"SizeBytes": "1m"}}]})"),
        "HostConfig.Mounts[0].TmpfsOptions.SizeBytes: expected an integer");
    EXPECT_EQ(host_error(R"({"Sysctls": {"net.core.somaxconn": 1024}})"),
        "HostConfig.Sysctls.net.core.somaxconn: expected a string");
}

TEST(ContainerConfig, ParsesHostConfigFields)
{
    auto h = host(R"({
        "Binds": ["/var/run:/var/run:rshared"], "Tmpfs": {"/run": "rw,size=64m"}, "VolumesFrom": ["data:ro"],
        "PidMode": "host", "IpcMode": "container:db", "UTSMode": "host", "ReadonlyRootfs": true,
        "CapAdd": ["NET_ADMIN"], "CapDrop": "MKNOD",
        "Devices": [{"PathOnHost": "/dev/fuse", "PathInContainer": "/dev/fuse", "CgroupPermissions": ""}],
        "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 4096}],
        "Sysctls": {"net.core.somaxconn": "1024"}, "SecurityOpt": ["no-new-privileges"],
        "OomScoreAdj": -500, "MemorySwap": -1, "NanoCpus": 1500000000, "CpuShares": 512, "CpuQuota": 50000,
        "CpuPeriod": 100000, "CpusetCpus": "0-1", "CpusetMems": "0", "PidsLimit": 100, "BlkioWeight": 300,
        "Init": true, "ShmSize": 134217728, "Dns": ["8.8.8.8"], "DnsSearch": ["lan"], "DnsOptions": ["ndots:1"],
        "ExtraHosts": ["db:10.0.0.2"], "GroupAdd": ["video"], "AutoRemove": true, "CgroupParent": "services",
        "Mounts": [{"Type": "bind", "Source": "/srv", "Target": "/srv", "ReadOnly": true,
                    "BindOptions": {"Propagation": "rslave"}},
                   {"Type": "tmpfs", "Target": "/scratch", "TmpfsOptions": {"SizeBytes": 1048576, "Mode": 1023}}]
    })");
    EXPECT_EQ(h.binds, (std::vector<std::string> { "/var/run:/var/run:rshared" }));
    EXPECT_EQ(h.tmpfs.at("/run"), "rw,size=64m");
    EXPECT_EQ(h.volumes_from, (std::vector<std::string> { "data:ro" }));
    EXPECT_EQ(h.pid_mode, "host");
    EXPECT_EQ(h.ipc_mode, "container:db");
    EXPECT_EQ(h.uts_mode, "host");
    EXPECT_TRUE(h.readonly_rootfs);
    EXPECT_EQ(h.cap_add, (std::vector<std::string> { "NET_ADMIN" }));
    EXPECT_EQ(h.cap_drop, (std::vector<std::string> { "MKNOD" }));
    ASSERT_EQ(h.devices.size(), 1u);
    EXPECT_EQ(h.devices[0].path_on_host, "/dev/fuse");
    EXPECT_EQ(h.devices[0].cgroup_permissions, "rwm");
    ASSERT_EQ(h.ulimits.size(), 1u);
    EXPECT_EQ(h.ulimits[0].name, "nofile");
    EXPECT_EQ(h.ulimits[0].soft, 1024);
    EXPECT_EQ(h.ulimits[0].hard, 4096);
    EXPECT_EQ(h.sysctls.at("net.core.somaxconn"), "1024");
    EXPECT_EQ(h.security_opt, (std::vector<std::string> { "no-new-privileges" }));
    EXPECT_EQ(h.oom_score_adj, -500);
    EXPECT_EQ(h.memory_swap, -1);
    EXPECT_EQ(h.nano_cpus, 1500000000);
    EXPECT_EQ(h.cpu_shares, 512);
    EXPECT_EQ(h.cpu_quota, 50000);
    EXPECT_EQ(h.cpu_period, 100000);
    EXPECT_EQ(h.cpuset_cpus, "0-1");
    EXPECT_EQ(h.cpuset_mems, "0");
    EXPECT_EQ(h.pids_limit, 100);
    EXPECT_EQ(h.blkio_weight, 300);
    EXPECT_EQ(h.init, true);
    EXPECT_EQ(h.shm_size, 134217728);
    EXPECT_EQ(h.dns, (std::vector<std::string> { "8.8.8.8" }));
    EXPECT_EQ(h.dns_search, (std::vector<std::string> { "lan" }));
    EXPECT_EQ(h.dns_options, (std::vector<std::string> { "ndots:1" }));
    EXPECT_EQ(h.extra_hosts, (std::vector<std::string> { "db:10.0.0.2" }));
    EXPECT_EQ(h.group_add, (std::vector<std::string> { "video" }));
    EXPECT_TRUE(h.auto_remove);
    EXPECT_EQ(h.cgroup_parent, "services");
    ASSERT_EQ(h.mounts.size(), 2u);
    EXPECT_EQ(h.mounts[0].type, MountType::Bind);
    EXPECT_EQ(h.mounts[0].source, "/srv");
    EXPECT_TRUE(h.mounts[0].read_only);
    EXPECT_EQ(h.mounts[0].propagation, "rslave");
    EXPECT_EQ(h.mounts[1].type, MountType::Tmpfs);
    EXPECT_EQ(h.mounts[1].tmpfs_size_bytes, 1048576);
    EXPECT_EQ(h.mounts[1].tmpfs_mode, 01777u);
    EXPECT_TRUE(validate_host_config(h)); // AutoRemove without a restart policy is fine
}

TEST(ContainerConfig, DefaultsWhenAbsent)
{
    auto h = host("{}");
    EXPECT_FALSE(h.pids_limit.has_value());
    EXPECT_FALSE(h.init.has_value());
    EXPECT_EQ(h.shm_size, 0);
    EXPECT_TRUE(validate_host_config(h));
    auto null = host("null");
    EXPECT_FALSE(null.privileged);
}

TEST(ContainerConfig, ParsesImageDefaults)
{
    auto d = parse_image_defaults(json::parse(R"({
        "Env": ["PATH=/usr/bin:/bin"], "Cmd": ["sh"], "Entrypoint": ["/init"], "WorkingDir": "/app",
        "User": "app", "StopSignal": "SIGINT", "Volumes": {"/var/lib/app": {}}, "Labels": {"a": "b"}
    })"))
                 .value();
    EXPECT_EQ(d.env, (std::vector<std::string> { "PATH=/usr/bin:/bin" }));
    EXPECT_EQ(d.cmd, (std::vector<std::string> { "sh" }));
    EXPECT_EQ(d.entrypoint, (std::vector<std::string> { "/init" }));
    EXPECT_EQ(d.working_dir, "/app");
    EXPECT_EQ(d.user, "app");
    EXPECT_EQ(d.stop_signal, "SIGINT");
    EXPECT_EQ(d.volumes, (std::vector<std::string> { "/var/lib/app" }));
    EXPECT_EQ(d.labels.at("a"), "b");
    EXPECT_EQ(parse_image_defaults(json::parse(R"({"Env": 1})")).error().message(),
        "config.Env: expected an array of strings");
}

TEST(ContainerConfig, ValidatesConfig)
{
    ContainerConfig c;
    EXPECT_TRUE(validate_container_config(c));
    c.working_dir = "srv";
    EXPECT_EQ(validate_container_config(c).error().message(),
        "the working directory 'srv' is invalid, it needs to be an absolute path");
    c.working_dir = "/srv";
    c.stop_signal = "SIGNOPE";
    EXPECT_EQ(validate_container_config(c).error().message(), "invalid signal: SIGNOPE");
    c.stop_signal = "usr1";
    EXPECT_TRUE(validate_container_config(c));
    c.env = { "A=1", "=x" };
    EXPECT_EQ(validate_container_config(c).error().message(), "invalid environment variable: =x");
    c.env = { "UNSET_ME" };
    EXPECT_TRUE(validate_container_config(c));
    c.hostname = std::string(65, 'h');
    EXPECT_EQ(validate_container_config(c).error().message(),
        "hostname \"" + std::string(65, 'h') + "\" is too long (maximum 64 bytes)");
}

TEST(ContainerConfig, ValidatesHostConfig)
{
    EXPECT_EQ(validate_host_error(R"({"AutoRemove": true, "RestartPolicy": {"Name": "always"}})"),
        "can't create 'AutoRemove' container with restart policy");
    EXPECT_TRUE(validate_host_config(host(R"({"AutoRemove": true, "RestartPolicy": {"Name": "no"}})")));
    EXPECT_EQ(validate_host_error(R"({"RestartPolicy": {"Name": "sometimes"}})"),
        "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or "
        "'unless-stopped'");
    EXPECT_EQ(validate_host_error(R"({"RestartPolicy": {"Name": "always", "MaximumRetryCount": 2}})"),
        "invalid restart policy: maximum retry count can only be used with 'on-failure'");
    EXPECT_EQ(validate_host_error(R"({"RestartPolicy": {"Name": "always", "MaximumRetryCount": -2}})"),
        "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative");
    EXPECT_EQ(validate_host_error(R"({"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": -1}})"),
        "invalid restart policy: maximum retry count cannot be negative");
    EXPECT_EQ(validate_host_error(R"({"Mounts": [{"Type": "bind", "Source": "/a"}]})"),
        "invalid mount config for type \"bind\": field Target must not be empty");
    EXPECT_EQ(validate_host_error(R"({"Mounts": [{"Type": "bind", "Target": "/a"}]})"),
        "invalid mount config for type \"bind\": field Source must not be empty");
    EXPECT_EQ(validate_host_error(R"({"Mounts": [{"Type": "bind", "Source": "a", "Target": "/a"}]})"),
        "invalid mount config for type \"bind\": invalid mount path: 'a' mount path must be absolute");
    EXPECT_EQ(validate_host_error(R"({"Mounts": [{"Type": "volume", "Source": "v", "Target": "/"}]})"),
        "invalid mount config for type \"volume\": invalid specification: destination can't be '/'");
    EXPECT_EQ(validate_host_error(R"({"Mounts": [{"Type": "volume", "Target": "rel"}]})"),
        "invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute");
    EXPECT_EQ(validate_host_error(R"({"Mounts": [{"Type": "tmpfs", "Source": "x", "Target": "/t"}]})"),
        "invalid mount config for type \"tmpfs\": field Source must not be specified");
    EXPECT_EQ(validate_host_error(R"({"Mounts": [{"Type": "volume", "Target": "/t", "BindOptions": {}}]})"),
        "invalid mount config for type \"volume\": field BindOptions must not be specified");
    EXPECT_EQ(
        validate_host_error(
            R"({"Mounts": [{"Type": "bind", "Source": "/a", "Target": "/a", "BindOptions": {"Propagation": "up"}}]})"),
        "invalid mount config for type \"bind\": invalid propagation mode: up");
    EXPECT_EQ(
        validate_host_error(R"({"Tmpfs": {"run": ""}})"), "invalid mount path: 'run' mount path must be absolute");
    EXPECT_EQ(validate_host_error(R"({"ExtraHosts": ["nohost"]})"), "bad format for add-host: \"nohost\"");
    EXPECT_EQ(
        validate_host_error(R"({"ExtraHosts": ["db:300.1.1.1"]})"), "invalid IP address in add-host: \"300.1.1.1\"");
    EXPECT_TRUE(validate_host_config(host(R"({"ExtraHosts": ["db:fe80::1", "gw:host-gateway"]})")));
    EXPECT_EQ(validate_host_error(R"({"CapAdd": ["NOPE"]})"), "invalid CapAdd: unknown capability: \"CAP_NOPE\"");
    EXPECT_EQ(validate_host_error(R"({"CapDrop": ["chown", "bogus"]})"),
        "invalid CapDrop: unknown capability: \"CAP_BOGUS\"");
    EXPECT_EQ(validate_host_error(R"({"IpcMode": "shared"})"), "invalid IPC mode: shared");
    EXPECT_EQ(validate_host_error(R"({"PidMode": "container:"})"), "invalid PID mode: container:");
    EXPECT_EQ(validate_host_error(R"({"UTSMode": "private"})"), "invalid UTS mode: private");
    EXPECT_EQ(validate_host_error(R"({"CgroupnsMode": "shared"})"), "invalid cgroup namespace mode: shared");
    EXPECT_EQ(validate_host_error(R"({"NetworkMode": "container:"})"),
        "invalid network mode: invalid container format container:<name|id>");
    EXPECT_EQ(validate_host_error(R"({"ShmSize": -1})"), "SHM size can not be less than 0");
    EXPECT_EQ(validate_host_error(R"({"OomScoreAdj": 1001})"),
        "Invalid value 1001, range for oom score adj is [-1000, 1000]");
    EXPECT_EQ(validate_host_error(R"({"OomScoreAdj": -1001})"),
        "Invalid value -1001, range for oom score adj is [-1000, 1000]");
}

TEST(ContainerConfig, ParsesBinds)
{
    auto bind = parse_bind("/var/run/docker.sock:/var/run/docker.sock").value();
    EXPECT_FALSE(bind.is_volume);
    EXPECT_EQ(bind.source, "/var/run/docker.sock");
    EXPECT_EQ(bind.destination, "/var/run/docker.sock");
    EXPECT_FALSE(bind.read_only);
    EXPECT_EQ(bind.propagation, "rprivate");

    auto shared = parse_bind("/mnt//x/:/mnt/:ro,rshared").value();
    EXPECT_EQ(shared.source, "/mnt/x");
    EXPECT_EQ(shared.destination, "/mnt");
    EXPECT_TRUE(shared.read_only);
    EXPECT_EQ(shared.propagation, "rshared");

    auto volume = parse_bind("data:/var/lib/data:nocopy").value();
    EXPECT_TRUE(volume.is_volume);
    EXPECT_EQ(volume.source, "data");
    EXPECT_TRUE(volume.no_copy);
    EXPECT_EQ(volume.propagation, "");

    auto anonymous = parse_bind("/scratch").value();
    EXPECT_TRUE(anonymous.is_volume);
    EXPECT_EQ(anonymous.source, "");
    EXPECT_EQ(anonymous.destination, "/scratch");

    EXPECT_EQ(parse_bind("").error().message(), "invalid volume specification: ''");
    EXPECT_EQ(parse_bind("/data:rw").error().message(), "invalid volume specification: '/data:rw'");
    EXPECT_EQ(parse_bind("/a:/b:c:d").error().message(), "invalid volume specification: '/a:/b:c:d'");
    EXPECT_EQ(parse_bind("/a:/b:rw,ro").error().message(), "invalid mode: rw,ro");
    EXPECT_EQ(parse_bind("/a:/b:fast").error().message(), "invalid mode: fast");
    EXPECT_EQ(parse_bind("/a:/").error().message(),
        "invalid volume specification: '/a:/': invalid mount config for type \"bind\": invalid specification: "
        "destination can't be '/'");
    EXPECT_EQ(parse_bind("/a:b").error().message(),
        "invalid volume specification: '/a:b': invalid mount config for type \"bind\": invalid mount path: 'b' mount "
        "path must be absolute");
    EXPECT_EQ(parse_bind("vol:/b:rshared").error().message(),
        "invalid volume specification: 'vol:/b:rshared': invalid mount config for type \"volume\": field BindOptions "
        "must not be specified");
    EXPECT_EQ(parse_bind("/a:/b:nocopy").error().message(),
        "invalid volume specification: '/a:/b:nocopy': invalid mount config for type \"bind\": field VolumeOptions "
        "must not be specified");
}

TEST(ContainerConfig, ParsesVolumesFrom)
{
    auto plain = parse_volumes_from("data").value();
    EXPECT_EQ(plain.container, "data");
    EXPECT_FALSE(plain.read_only);
    EXPECT_TRUE(parse_volumes_from("data:ro").value().read_only);
    EXPECT_FALSE(parse_volumes_from("data:rw").value().read_only);
    EXPECT_EQ(parse_volumes_from("").error().message(), "volumes-from specification cannot be an empty string");
    EXPECT_EQ(parse_volumes_from("data:rshared").error().message(), "invalid mode: rshared");
    EXPECT_EQ(parse_volumes_from("data:nocopy").error().message(), "invalid mode: nocopy");
    EXPECT_EQ(parse_volumes_from("data:bad").error().message(), "invalid mode: bad");
}
