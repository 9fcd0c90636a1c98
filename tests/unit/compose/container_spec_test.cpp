// From a service definition to the POST /containers/create body: every key,
// the definition hash, the errors, and the default services.

#include "compose/container_spec.h"

#include "compose/labels.h"
#include "compose_test_support.h"

#include <gtest/gtest.h>

using namespace corral;
using namespace corral::compose;
using compose_test::service_from_yaml;
using nlohmann::json;

namespace {

SpecContext test_context()
{
    SpecContext context;
    context.project = "os";
    context.environment = { { "HTTP_PROXY", "http://proxy:3128" }, { "web/MODE", "web's" }, { "MODE", "global" } };
    context.container_names = { { "web", "web" }, { "db", "database-1" }, { "data", "data" }, { "vpn", "vpn" } };
    context.base_directory = "/var/lib/rancher/conf";
    context.home_directory = "/home/rancher";
    return context;
}

ContainerSpec spec_of(const std::string& yaml, const SpecContext& context = test_context(), std::string name = "web")
{
    auto spec = build_container_spec(name, service_from_yaml(yaml), context);
    EXPECT_FALSE(spec.is_error()) << spec.error().message();
    return spec.is_error() ? ContainerSpec {} : spec.release_value();
}

std::string error_of(const std::string& yaml, const SpecContext& context = test_context())
{
    auto spec = build_container_spec("web", service_from_yaml(yaml), context);
    EXPECT_TRUE(spec.is_error()) << yaml;
    if (!spec.is_error())
        return {};
    EXPECT_EQ(spec.error().code(), EINVAL);
    return spec.error().message();
}

json host_of(const std::string& yaml, const SpecContext& context = test_context())
{
    return spec_of(yaml, context).body["HostConfig"];
}

std::string hash_of(const std::string& yaml, const SpecContext& context = test_context())
{
    return spec_of(yaml, context).config_hash;
}

bool is_lower_hex(const std::string& text)
{
    return text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

} // namespace

TEST(ContainerSpec, CommandVolumesExactBody)
{
    auto config = compose_test::default_os_config();
    SpecContext context;
    context.project = "os";
    auto result = build_container_spec("command-volumes", config.rancher.services.at("command-volumes"), context);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    ContainerSpec spec = result.release_value();
    EXPECT_EQ(spec.name, "command-volumes");

    json body = spec.body;
    ASSERT_TRUE(body["Labels"].contains("io.docker.compose.config-hash"));
    EXPECT_EQ(body["Labels"]["io.docker.compose.config-hash"], spec.config_hash);
    body["Labels"].erase("io.docker.compose.config-hash");
    json expected = json::parse(R"json({
        "Image": "corralos/os-base:v0.1.0",
        "Cmd": ["echo"],
        "Entrypoint": null,
        "Env": null,
        "Hostname": "",
        "Domainname": "",
        "User": "",
        "WorkingDir": "",
        "Tty": false,
        "OpenStdin": false,
        "StdinOnce": false,
        "AttachStdin": false,
        "AttachStdout": false,
        "AttachStderr": false,
        "Volumes": null,
        "ExposedPorts": null,
        "Labels": {
            "io.docker.compose.project": "os",
            "io.docker.compose.service": "command-volumes",
            "io.rancher.os.createonly": "true",
            "io.rancher.os.scope": "system"
        },
        "HostConfig": {
            "Binds": ["/usr/bin/ros:/usr/bin/ros:ro", "/usr/bin/system-docker:/usr/bin/system-docker:ro"],
            "VolumeDriver": "",
            "VolumesFrom": null,
            "NetworkMode": "none",
            "PidMode": "",
            "IpcMode": "",
            "UTSMode": "",
            "PortBindings": null,
            "Links": null,
            "Privileged": true,
            "ReadonlyRootfs": true,
            "CapAdd": null,
            "CapDrop": null,
            "SecurityOpt": null,
            "Devices": null,
            "Ulimits": null,
            "LogConfig": {"Type": "", "Config": {}},
            "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
            "OomScoreAdj": 0,
            "OomKillDisable": false,
            "Dns": null,
            "DnsSearch": null,
            "ExtraHosts": null,
            "Memory": 0,
            "MemorySwap": 0,
            "MemoryReservation": 0,
            "ShmSize": 0,
            "CpuShares": 0,
            "CpuQuota": 0,
            "CpusetCpus": "",
            "PidsLimit": null,
            "CgroupParent": ""
        }
    })json");
    EXPECT_EQ(body, expected) << body.dump(2);
    // The hash covers the body without itself.
    auto hash = definition_hash(body, "command-volumes");
    ASSERT_FALSE(hash.is_error());
    EXPECT_EQ(hash.value(), spec.config_hash);
    EXPECT_EQ(spec.config_hash.size(), 64u);
    EXPECT_TRUE(is_lower_hex(spec.config_hash));
}

TEST(ContainerSpec, DefaultConsole)
{
    auto config = compose_test::default_os_config();
    config.rancher.network.https_proxy = "http://proxy:3129";
    SpecContext context;
    context.project = "os";
    context.environment = rancher_environment(config.rancher, "6.1.0");
    for (auto const& [name, service] : config.rancher.services)
        context.container_names[name] = container_name(name, service);
    auto spec = build_container_spec("console", config.rancher.services.at("console"), context);
    ASSERT_FALSE(spec.is_error()) << spec.error().message();
    json const& body = spec->body;
    EXPECT_EQ(spec->name, "console");
    EXPECT_EQ(body["Image"], "corralos/os-console:v0.1.0");
    EXPECT_EQ(body["Cmd"], json::parse(R"(["ros", "console-init"])"));
    EXPECT_EQ(body["Env"], json::parse(R"(["HTTPS_PROXY=http://proxy:3129"])"));
    EXPECT_EQ(body["Labels"]["io.rancher.os.console"], "default");
    EXPECT_EQ(body["Labels"]["io.docker.compose.rebuild"], "always");
    EXPECT_EQ(body["Labels"]["io.docker.compose.service"], "console");
    json const& host = body["HostConfig"];
    EXPECT_EQ(host["NetworkMode"], "host");
    EXPECT_EQ(host["PidMode"], "host");
    EXPECT_EQ(host["IpcMode"], "host");
    EXPECT_EQ(host["UTSMode"], "host");
    EXPECT_EQ(host["Privileged"], true);
    EXPECT_EQ(host["VolumesFrom"], json::parse(R"(["all-volumes"])"));
    // The console image has iptables of its own; nothing else is bound in.
    EXPECT_TRUE(!host.contains("Binds") || host["Binds"].empty()) << host["Binds"];
    EXPECT_EQ(host["RestartPolicy"], json::parse(R"({"Name": "always", "MaximumRetryCount": 0})"));
}

TEST(ContainerSpec, EveryDefaultServiceBuilds)
{
    auto config = compose_test::default_os_config();
    SpecContext context;
    context.project = "os";
    std::set<std::string> hashes;
    for (auto const& [name, service] : config.rancher.services) {
        auto spec = build_container_spec(name, service, context);
        ASSERT_FALSE(spec.is_error()) << spec.error().message();
        EXPECT_EQ(spec->name, name);
        hashes.insert(spec->config_hash);
    }
    EXPECT_EQ(hashes.size(), config.rancher.services.size());
    auto const& media = build_container_spec("media-volumes", config.rancher.services.at("media-volumes"), context);
    EXPECT_EQ(media->body["HostConfig"]["Binds"], json::parse(R"(["/media:/media:shared", "/mnt:/mnt:shared"])"));
}

TEST(ContainerSpec, ContainerName)
{
    EXPECT_EQ(spec_of("image: i").name, "web");
    EXPECT_EQ(spec_of("image: i\ncontainer_name: my-web").name, "my-web");
    EXPECT_EQ(error_of("image: i\ncontainer_name: \"-x\""),
        R"(web.container_name: "-x" is not a valid container name (expected [a-zA-Z0-9][a-zA-Z0-9_.-]+))");
    auto spec = build_container_spec("w", service_from_yaml("image: i"), test_context());
    ASSERT_TRUE(spec.is_error());
    EXPECT_EQ(spec.error().message(), R"(w: "w" is not a valid container name (expected [a-zA-Z0-9][a-zA-Z0-9_.-]+))");
    EXPECT_EQ(error_of("command: x"), "web.image: no image given");
}

TEST(ContainerSpecHash, IsTheSha256OfCanonicalJson)
{
    auto hash = definition_hash(json { { "a", 1 } }, "x");
    ASSERT_FALSE(hash.is_error());
    EXPECT_EQ(hash.value(), "61293b55ba0fe71a3bb5c489a49b23964c605da778bcfecd7d94fee8f44fc3cf");
    hash = definition_hash(json { { "Labels", { { "k", "\xc3\xa9" } } } }, "svc");
    ASSERT_FALSE(hash.is_error());
    EXPECT_EQ(hash.value(), "aa0d832c3f1760b5ce59a81cbdc0c8665d23038819f0e70e02a23cbc95ffef34");
    hash = definition_hash(json { { "Image", "\xff" } }, "svc");
    ASSERT_TRUE(hash.is_error());
    EXPECT_EQ(hash.error().message(), "the definition holds text that is not UTF-8");
}

TEST(ContainerSpecHash, SameDefinitionWrittenDifferentlyHashesTheSame)
{
    std::string a = R"(
image: busybox
command: [sleep, "10"]
privileged: true
labels: {io.rancher.os.scope: system, io.rancher.os.after: network}
environment: [A=1, HTTP_PROXY]
volumes: [/a:/a]
)";
    std::string b = R"(
volumes:
  - "/a:/a"
environment:
  A: "1"
  HTTP_PROXY:
labels:
  - io.rancher.os.after=network
  - io.rancher.os.scope=system
privileged: "true"
command: sleep 10
image: "busybox"
)";
    EXPECT_EQ(hash_of(a), hash_of(b));
    EXPECT_EQ(spec_of(a).body, spec_of(b).body);
    // A context that does not touch this service changes nothing either.
    SpecContext other = test_context();
    other.container_names["unrelated"] = "unrelated";
    other.environment["UNUSED"] = "x";
    EXPECT_EQ(hash_of(a, other), hash_of(a));
}

TEST(ContainerSpecHash, AnyChangeToTheDefinitionChangesIt)
{
    std::string base = "image: busybox\ncommand: sleep 10\n";
    std::vector<std::string> variants = {
        base,
        "image: busybox:1\ncommand: sleep 10\n",
        "image: busybox\ncommand: sleep 11\n",
        base + "environment: [A=1]\n",
        base + "environment: [HTTP_PROXY]\n",
        base + "labels: {x: y}\n",
        base + "labels: {io.docker.compose.rebuild: \"false\"}\n",
        base + "volumes: [/a:/a]\n",
        base + "volumes: [/a:/a:ro]\n",
        base + "restart: always\n",
        base + "privileged: true\n",
        base + "container_name: other\n",
        base + "net: host\n",
        base + "mem_limit: 64m\n",
    };
    std::set<std::string> hashes;
    for (auto const& yaml : variants)
        hashes.insert(hash_of(yaml));
    EXPECT_EQ(hashes.size(), variants.size());

    // A proxy value reaching the environment changes it; so does the project.
    SpecContext other = test_context();
    other.environment["HTTP_PROXY"] = "http://elsewhere:3128";
    EXPECT_NE(hash_of(base + "environment: [HTTP_PROXY]\n", other), hash_of(base + "environment: [HTTP_PROXY]\n"));
    other = test_context();
    other.project = "user";
    EXPECT_NE(hash_of(base, other), hash_of(base));
    // The hash label of a service's own labels is replaced, not hashed.
    EXPECT_EQ(hash_of(base + "labels: {io.docker.compose.config-hash: forged}\n"), hash_of(base));
    EXPECT_EQ(spec_of(base + "labels: {io.docker.compose.config-hash: forged}\n")
                  .body["Labels"]["io.docker.compose.config-hash"],
        hash_of(base));
}

TEST(ContainerSpec, CommandsAndEntrypoints)
{
    json body = spec_of(R"(image: i
command: sh -c 'echo "$$HOME"; exit 3'
entrypoint: ["/init", "--"]
)")
                    .body;
    EXPECT_EQ(body["Cmd"], json::parse(R"(["sh", "-c", "echo \"$$HOME\"; exit 3"])"));
    EXPECT_EQ(body["Entrypoint"], json::parse(R"(["/init", "--"])"));
    body = spec_of("image: i\nentrypoint: /bin/tini -s\ncommand: []\n").body;
    EXPECT_EQ(body["Entrypoint"], json::parse(R"(["/bin/tini", "-s"])"));
    EXPECT_EQ(body["Cmd"], nullptr);
    EXPECT_EQ(error_of("image: i\ncommand: echo 'oops\n"),
        R"(web.command: unterminated single quote in "echo 'oops" at offset 5)");
    EXPECT_EQ(
        error_of("image: i\nentrypoint: 'x \\'\n"), R"(web.entrypoint: trailing backslash in "x \\" at offset 2)");
}

TEST(ContainerSpec, Environment)
{
    json body = spec_of("image: i\nenvironment: [MODE, HTTP_PROXY, NO_PROXY, X=1, EMPTY=]\n").body;
    EXPECT_EQ(body["Env"], json::parse(R"(["MODE=web's", "HTTP_PROXY=http://proxy:3128", "X=1", "EMPTY="])"));
    config::KeyValueList files { { { "FROM_FILE", "1" }, { "X", "file" } } };
    auto spec
        = build_container_spec("web", service_from_yaml("image: i\nenvironment: {X: \"2\"}\n"), test_context(), files);
    ASSERT_FALSE(spec.is_error());
    EXPECT_EQ(spec->body["Env"], json::parse(R"(["FROM_FILE=1", "X=2"])"));
}

TEST(ContainerSpec, Volumes)
{
    json body = spec_of(R"(image: i
volumes:
  - /host:/container
  - /ro:/ro:ro
  - /m:/m:rshared,ro
  - ./data:/data
  - ../logs/./x/..:/logs:z
  - .:/conf
  - ~/cache:/cache
  - ~:/home
  - named_vol-1.0:/named:nocopy
  - /anonymous
)")
                    .body;
    EXPECT_EQ(body["HostConfig"]["Binds"], json::parse(R"([
        "/host:/container",
        "/ro:/ro:ro",
        "/m:/m:rshared,ro",
        "/var/lib/rancher/conf/data:/data",
        "/var/lib/rancher/logs:/logs:z",
        "/var/lib/rancher/conf:/conf",
        "/home/rancher/cache:/cache",
        "/home/rancher:/home",
        "named_vol-1.0:/named:nocopy"
    ])"));
    EXPECT_EQ(body["Volumes"], json::parse(R"({"/anonymous": {}})"));
    EXPECT_EQ(body["HostConfig"]["VolumeDriver"], "");
    EXPECT_EQ(host_of("image: i\nvolume_driver: local\n")["VolumeDriver"], "local");

    EXPECT_EQ(error_of("image: i\nvolumes: [/a:/a, data]\n"),
        R"(web.volumes[1]: the container path must be absolute, got "data")");
    EXPECT_EQ(
        error_of("image: i\nvolumes: [/a:b]\n"), R"(web.volumes[0]: the container path must be absolute, got "b")");
    EXPECT_EQ(error_of("image: i\nvolumes: [\"/a:/b:ro:x\"]\n"),
        R"(web.volumes[0]: expected [SOURCE:]TARGET[:MODE], got "/a:/b:ro:x")");
    EXPECT_EQ(error_of("image: i\nvolumes: [\"/a:/b:rx\"]\n"), R"(web.volumes[0]: unknown volume mode "rx" in "rx")");
    EXPECT_EQ(
        error_of("image: i\nvolumes: [\"/a:/b:ro,rw\"]\n"), R"(web.volumes[0]: conflicting volume modes "ro,rw")");
    EXPECT_EQ(error_of("image: i\nvolumes: [\"bad name:/b\"]\n"),
        R"(web.volumes[0]: invalid volume name "bad name" (expected an absolute path or [a-zA-Z0-9][a-zA-Z0-9_.-]+))");
    EXPECT_EQ(error_of("image: i\nvolumes: [\"~root/x:/b\"]\n"),
        R"(web.volumes[0]: another user's home directory ("~root/x") is not supported)");
    SpecContext bare = test_context();
    bare.base_directory.clear();
    bare.home_directory.clear();
    EXPECT_EQ(error_of("image: i\nvolumes: [./x:/x]\n", bare),
        R"(web.volumes[0]: the relative host path "./x" needs the directory of the service's file, and there is none)");
    EXPECT_EQ(error_of("image: i\nvolumes: [~/x:/x]\n", bare),
        R"(web.volumes[0]: the host path "~/x" needs a home directory, and there is none)");
}

TEST(ContainerSpec, ReferencesToOtherServicesUseTheirContainerNames)
{
    json host = host_of(R"(image: i
volumes_from: [db, "db:ro", "service:data:rw", "container:db", "plain:ro"]
links: [db, "db:database", "data"]
external_links: [outside, "outside:alias"]
pid: container:db
ipc: service:data
)");
    EXPECT_EQ(host["VolumesFrom"], json::parse(R"(["database-1", "database-1:ro", "data:rw", "db", "plain:ro"])"));
    EXPECT_EQ(host["Links"],
        json::parse(R"(["database-1:db", "database-1:database", "data:data", "outside:outside", "outside:alias"])"));
    EXPECT_EQ(host["PidMode"], "container:database-1");
    EXPECT_EQ(host["IpcMode"], "container:data");

    EXPECT_EQ(error_of("image: i\nvolumes_from: [\"service:nope\"]\n"),
        R"(web.volumes_from[0]: no service "nope" in the project)");
    EXPECT_EQ(error_of("image: i\nvolumes_from: [db, \"db:rx\"]\n"),
        R"(web.volumes_from[1]: expected the mode ro or rw, got "rx" in "db:rx")");
    EXPECT_EQ(error_of("image: i\nvolumes_from: [\"a:b:c\"]\n"),
        R"(web.volumes_from[0]: expected NAME[:ro|:rw], got "a:b:c")");
    EXPECT_EQ(error_of("image: i\nipc: service:nope\n"), R"(web.ipc: no service "nope" in the project)");
    EXPECT_EQ(error_of("image: i\npid: \"container:\"\n"), R"(web.pid: expected container:NAME, got "container:")");
}

TEST(ContainerSpec, NetworkMode)
{
    EXPECT_EQ(host_of("image: i")["NetworkMode"], "default");
    EXPECT_EQ(host_of("image: i\nnet: host")["NetworkMode"], "host");
    EXPECT_EQ(host_of("image: i\nnetwork_mode: none")["NetworkMode"], "none");
    EXPECT_EQ(host_of("image: i\nnet: bridge\nnetwork_mode: bridge")["NetworkMode"], "bridge");
    EXPECT_EQ(host_of("image: i\nnet: container:db")["NetworkMode"], "container:database-1");
    EXPECT_EQ(host_of("image: i\nnet: container:other")["NetworkMode"], "container:other");
    EXPECT_EQ(host_of("image: i\nnetwork_mode: service:vpn")["NetworkMode"], "container:vpn");
    EXPECT_EQ(error_of("image: i\nnet: host\nnetwork_mode: none\n"),
        R"(web.network_mode: conflicts with net: "none" and "host")");
    EXPECT_EQ(
        error_of("image: i\nnetwork_mode: service:nope\n"), R"(web.network_mode: no service "nope" in the project)");
    EXPECT_EQ(error_of("image: i\nnet: service:nope\n"), R"(web.net: no service "nope" in the project)");
}

TEST(ContainerSpec, Devices)
{
    EXPECT_EQ(host_of("image: i\ndevices: [/dev/fuse, \"/dev/kvm:rw\", \"/dev/sda:/dev/xvda\", \"/dev/a:/dev/b:r\"]\n")
                  ["Devices"],
        json::parse(R"([
            {"PathOnHost": "/dev/fuse", "PathInContainer": "/dev/fuse", "CgroupPermissions": "rwm"},
            {"PathOnHost": "/dev/kvm", "PathInContainer": "/dev/kvm", "CgroupPermissions": "rw"},
            {"PathOnHost": "/dev/sda", "PathInContainer": "/dev/xvda", "CgroupPermissions": "rwm"},
            {"PathOnHost": "/dev/a", "PathInContainer": "/dev/b", "CgroupPermissions": "r"}
        ])"));
    EXPECT_EQ(error_of("image: i\ndevices: [\"/dev/a:/dev/b:rwx\"]\n"),
        R"(web.devices[0]: expected permissions made of r, w and m, got "rwx")");
    EXPECT_EQ(error_of("image: i\ndevices: [\"/dev/a:/dev/b:rr\"]\n"),
        R"(web.devices[0]: expected permissions made of r, w and m, got "rr")");
    EXPECT_EQ(error_of("image: i\ndevices: [\"/dev/a:dev/b\"]\n"),
        R"(web.devices[0]: device paths must be absolute, got "/dev/a:dev/b")");
    EXPECT_EQ(error_of("image: i\ndevices: [\"a:b:c:d\"]\n"),
        R"(web.devices[0]: expected HOST[:CONTAINER][:PERMISSIONS], got "a:b:c:d")");
}

TEST(ContainerSpec, RestartPolicies)
{
    auto policy
        = [](const std::string& value) { return host_of("image: i\nrestart: " + value + "\n")["RestartPolicy"]; };
    EXPECT_EQ(host_of("image: i")["RestartPolicy"], json::parse(R"({"Name": "no", "MaximumRetryCount": 0})"));
    EXPECT_EQ(policy("\"no\""), json::parse(R"({"Name": "no", "MaximumRetryCount": 0})"));
    EXPECT_EQ(policy("always"), json::parse(R"({"Name": "always", "MaximumRetryCount": 0})"));
    EXPECT_EQ(policy("unless-stopped"), json::parse(R"({"Name": "unless-stopped", "MaximumRetryCount": 0})"));
    EXPECT_EQ(policy("on-failure"), json::parse(R"({"Name": "on-failure", "MaximumRetryCount": 0})"));
    EXPECT_EQ(policy("on-failure:5"), json::parse(R"({"Name": "on-failure", "MaximumRetryCount": 5})"));
    // The schema refuses these at load; a service built in code is checked again.
    config::ServiceConfig service = service_from_yaml("image: i");
    for (auto const* bad : { "sometimes", "always:3", "on-failure:", "on-failure:x" }) {
        service.restart = bad;
        auto spec = build_container_spec("web", service, test_context());
        ASSERT_TRUE(spec.is_error()) << bad;
        EXPECT_EQ(spec.error().message(),
            std::string("web.restart: expected no, always, unless-stopped or on-failure[:N], got \"") + bad + "\"");
    }
}

TEST(ContainerSpec, PortsAndExpose)
{
    json body = spec_of(R"(image: i
ports:
  - "3000"
  - "8080:80"
  - "127.0.0.1:5353:53/udp"
  - "127.0.0.1::9000"
  - "9090-9091:8080-8081"
  - "[::1]:8443:443"
  - "7000-7002:7000"
expose: ["4000", "5000-5001/udp"]
)")
                    .body;
    EXPECT_EQ(body["ExposedPorts"], json::parse(R"({
        "3000/tcp": {}, "80/tcp": {}, "53/udp": {}, "9000/tcp": {}, "8080/tcp": {}, "8081/tcp": {},
        "443/tcp": {}, "7000/tcp": {}, "4000/tcp": {}, "5000/udp": {}, "5001/udp": {}
    })"));
    EXPECT_EQ(body["HostConfig"]["PortBindings"], json::parse(R"({
        "3000/tcp": [{"HostIp": "", "HostPort": ""}],
        "80/tcp": [{"HostIp": "", "HostPort": "8080"}],
        "53/udp": [{"HostIp": "127.0.0.1", "HostPort": "5353"}],
        "9000/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}],
        "8080/tcp": [{"HostIp": "", "HostPort": "9090"}],
        "8081/tcp": [{"HostIp": "", "HostPort": "9091"}],
        "443/tcp": [{"HostIp": "::1", "HostPort": "8443"}],
        "7000/tcp": [{"HostIp": "", "HostPort": "7000-7002"}]
    })"));
    EXPECT_EQ(error_of("image: i\nports: [\"80:80/icmp\"]\n"),
        R"(web.ports[0]: expected the protocol tcp, udp or sctp, got "80:80/icmp")");
    EXPECT_EQ(error_of("image: i\nports: [\"70000\"]\n"),
        R"(web.ports[0]: expected [IP:][HOST:]CONTAINER[/PROTOCOL] with ports or ranges of 1-65535, got "70000")");
    EXPECT_EQ(error_of("image: i\nports: [\"1-3:1-2\"]\n"),
        R"(web.ports[0]: the host and container port ranges differ in length, got "1-3:1-2")");
    EXPECT_EQ(error_of("image: i\nexpose: [\"80:80\"]\n"),
        R"(web.expose[0]: expected PORT[/PROTOCOL] with a port or range of 1-65535, got "80:80")");
}

TEST(ContainerSpec, ResourcesAndSecurity)
{
    json body = spec_of(R"(image: i
mem_limit: 512m
memswap_limit: 1g
mem_reservation: 128m
shm_size: 64m
cpu_shares: 512
cpu_quota: 50000
cpuset: "0,1"
pids_limit: 100
cgroup_parent: /system
oom_score_adj: -500
oom_kill_disable: true
init: true
privileged: false
read_only: true
cap_add: [NET_ADMIN, SYS_MODULE]
cap_drop: [ALL]
security_opt: ["seccomp=unconfined"]
ulimits:
  nofile: {soft: 1024, hard: 4096}
  nproc: 512
sysctls: {net.ipv4.ip_forward: "1"}
tmpfs: [/run, "/tmp:rw,size=64m"]
)")
                    .body;
    json const& host = body["HostConfig"];
    EXPECT_EQ(host["Memory"], 512 << 20);
    EXPECT_EQ(host["MemorySwap"], 1 << 30);
    EXPECT_EQ(host["MemoryReservation"], 128 << 20);
    EXPECT_EQ(host["ShmSize"], 64 << 20);
    EXPECT_EQ(host["CpuShares"], 512);
    EXPECT_EQ(host["CpuQuota"], 50000);
    EXPECT_EQ(host["CpusetCpus"], "0,1");
    EXPECT_EQ(host["PidsLimit"], 100);
    EXPECT_EQ(host["CgroupParent"], "/system");
    EXPECT_EQ(host["OomScoreAdj"], -500);
    EXPECT_EQ(host["OomKillDisable"], true);
    EXPECT_EQ(host["Init"], true);
    EXPECT_EQ(host["Privileged"], false);
    EXPECT_EQ(host["ReadonlyRootfs"], true);
    EXPECT_EQ(host["CapAdd"], json::parse(R"(["NET_ADMIN", "SYS_MODULE"])"));
    EXPECT_EQ(host["CapDrop"], json::parse(R"(["ALL"])"));
    EXPECT_EQ(host["SecurityOpt"], json::parse(R"(["seccomp=unconfined"])"));
    EXPECT_EQ(host["Ulimits"], json::parse(R"([
        {"Name": "nofile", "Soft": 1024, "Hard": 4096},
        {"Name": "nproc", "Soft": 512, "Hard": 512}
    ])"));
    EXPECT_EQ(host["Sysctls"], json::parse(R"({"net.ipv4.ip_forward": "1"})"));
    EXPECT_EQ(host["Tmpfs"], json::parse(R"({"/run": "", "/tmp": "rw,size=64m"})"));
    EXPECT_FALSE(host_of("image: i").contains("Init"));
    EXPECT_FALSE(host_of("image: i").contains("Sysctls"));
    EXPECT_FALSE(host_of("image: i").contains("Tmpfs"));

    EXPECT_EQ(error_of("image: i\nulimits: {nofile: {soft: 10, hard: 5}}\n"),
        R"(web.ulimits: "nofile": the soft limit 10 is above the hard limit 5)");
    EXPECT_EQ(
        error_of("image: i\nsysctls: [net.ipv4.ip_forward]\n"), R"(web.sysctls: "net.ipv4.ip_forward" has no value)");
    EXPECT_EQ(error_of("image: i\ntmpfs: [/a, run]\n"), R"(web.tmpfs[1]: expected an absolute path, got "run")");
    EXPECT_EQ(error_of("image: i\noom_score_adj: 1001\n"),
        R"(web.oom_score_adj: expected a number from -1000 to 1000, got 1001)");
}

TEST(ContainerSpec, NetworkingExtras)
{
    json host = host_of(R"(image: i
dns: [1.1.1.1, 8.8.8.8]
dns_search: [example.com]
extra_hosts: ["somehost:162.242.195.82", "v6:::1"]
)");
    EXPECT_EQ(host["Dns"], json::parse(R"(["1.1.1.1", "8.8.8.8"])"));
    EXPECT_EQ(host["DnsSearch"], json::parse(R"(["example.com"])"));
    EXPECT_EQ(host["ExtraHosts"], json::parse(R"(["somehost:162.242.195.82", "v6:::1"])"));
    EXPECT_EQ(host_of("image: i\nextra_hosts: {a: 10.0.0.1, b: \"::1\"}\n")["ExtraHosts"],
        json::parse(R"(["a:10.0.0.1", "b:::1"])"));
    EXPECT_EQ(error_of("image: i\nextra_hosts: [lonely]\n"), R"(web.extra_hosts: expected HOST:ADDRESS, got "lonely")");
}

TEST(ContainerSpec, Logging)
{
    EXPECT_EQ(host_of("image: i\nlog_driver: json-file\nlog_opt: {max-size: 25m}\n")["LogConfig"],
        json::parse(R"({"Type": "json-file", "Config": {"max-size": "25m"}})"));
    // logging: (compose v2) wins over the v1 keys.
    EXPECT_EQ(host_of("image: i\nlog_driver: json-file\nlogging: {driver: syslog, options: {tag: x}}\n")["LogConfig"],
        json::parse(R"({"Type": "syslog", "Config": {"tag": "x"}})"));
}

TEST(ContainerSpec, ConfigFields)
{
    json body = spec_of(R"(image: i
hostname: box
domainname: example.com
user: "1000:1000"
working_dir: /srv
tty: true
stdin_open: true
mac_address: "02:42:ac:11:00:02"
stop_signal: SIGINT
stop_grace_period: 1m30s
)")
                    .body;
    EXPECT_EQ(body["Hostname"], "box");
    EXPECT_EQ(body["Domainname"], "example.com");
    EXPECT_EQ(body["User"], "1000:1000");
    EXPECT_EQ(body["WorkingDir"], "/srv");
    EXPECT_EQ(body["Tty"], true);
    EXPECT_EQ(body["OpenStdin"], true);
    EXPECT_EQ(body["MacAddress"], "02:42:ac:11:00:02");
    EXPECT_EQ(body["StopSignal"], "SIGINT");
    EXPECT_EQ(body["StopTimeout"], 90);
    EXPECT_EQ(spec_of("image: i\nstop_grace_period: 1500ms\n").body["StopTimeout"], 2);
    json plain = spec_of("image: i").body;
    EXPECT_FALSE(plain.contains("MacAddress"));
    EXPECT_FALSE(plain.contains("StopSignal"));
    EXPECT_FALSE(plain.contains("StopTimeout"));
    EXPECT_FALSE(plain.contains("Healthcheck"));
}

TEST(ContainerSpec, Healthcheck)
{
    EXPECT_EQ(spec_of(R"(image: i
healthcheck:
  test: ["CMD", "curl", "-f", "http://localhost"]
  interval: 1m30s
  timeout: 10s
  retries: 3
  start_period: 40s
)")
                  .body["Healthcheck"],
        json::parse(R"({"Test": ["CMD", "curl", "-f", "http://localhost"], "Interval": 90000000000,
            "Timeout": 10000000000, "Retries": 3, "StartPeriod": 40000000000})"));
    EXPECT_EQ(spec_of("image: i\nhealthcheck: {test: \"pgrep ntpd\"}\n").body["Healthcheck"],
        json::parse(R"({"Test": ["CMD-SHELL", "pgrep ntpd"]})"));
    EXPECT_EQ(spec_of("image: i\nhealthcheck: {disable: true, test: x}\n").body["Healthcheck"],
        json::parse(R"({"Test": ["NONE"]})"));
    EXPECT_EQ(spec_of("image: i\nhealthcheck: {interval: 5s}\n").body["Healthcheck"],
        json::parse(R"({"Interval": 5000000000})"));
    EXPECT_EQ(error_of("image: i\nhealthcheck: {test: [curl, x]}\n"),
        R"(web.healthcheck.test: the first item must be NONE, CMD or CMD-SHELL, got "curl")");
}
