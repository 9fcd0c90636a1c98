// The dependency graph: where edges come from (§4.3), cycles and what they
// block, parallel readiness, waves and the total order, and the default
// services in the order of reference §1.6.

#include "compose/graph.h"

#include "compose_test_support.h"

#include <gtest/gtest.h>

using namespace corral;
using namespace corral::compose;
using compose_test::services_from_yaml;
using Strings = std::vector<std::string>;
using Names = std::set<std::string>;

namespace {

std::vector<std::string> described(const std::vector<Edge>& edges)
{
    std::vector<std::string> out;
    for (auto const& edge : edges)
        out.push_back(edge.describe());
    return out;
}

} // namespace

TEST(Dependencies, EverySourceOfOneService)
{
    auto services = services_from_yaml(R"(
web:
  image: busybox
  labels:
    io.rancher.os.after: "cloud-init, udev"
    io.rancher.os.before: "never-listed-here"
  links: [db, "cache:memcached"]
  volumes_from: [data, "logs:ro", "service:conf:rw", "container:plain"]
  depends_on: [migrate]
  net: container:vpn
  pid: service:tracer
  ipc: host
  log_driver: syslog
)");
    EXPECT_EQ(described(service_dependencies("web", services.at("web"))),
        (Strings {
            "web -> cloud-init-execute: io.rancher.os.after of web",
            "web -> udev: io.rancher.os.after of web",
            "web -> db: links of web",
            "web -> cache: links of web",
            "web -> data: volumes_from of web",
            "web -> logs: volumes_from of web",
            "web -> conf: volumes_from of web",
            "web -> migrate: depends_on of web",
            "web -> vpn: network_mode of web",
            "web -> tracer: pid of web",
            "web -> syslog: syslog logging of web",
            "web -> docker: user scope of web",
        }));
}

TEST(Dependencies, ScopeLoggingAndMissingImages)
{
    auto services = services_from_yaml(R"(
system:
  image: busybox
  labels: {io.rancher.os.scope: system}
  logging: {driver: syslog}
  network_mode: service:vpn
  ipc: container:shm
user:
  image: busybox
  logging: {driver: json-file}
  log_driver: syslog
)");
    EXPECT_EQ(described(service_dependencies("system", services.at("system"), true)),
        (Strings {
            "system -> vpn: network_mode of system",
            "system -> shm: ipc of system",
            "system -> syslog: syslog logging of system",
            "system -> network: missing image of system",
        }));
    // logging: wins over log_driver; a missing image matters for system services only.
    EXPECT_EQ(described(service_dependencies("user", services.at("user"), true)),
        Strings { "user -> docker: user scope of user" });
}

TEST(Graph, BeforeExternalSelfAndDuplicateEdges)
{
    auto services = services_from_yaml(R"(
logrotate:
  image: i
  labels: {io.rancher.os.scope: system, io.rancher.os.before: "system-cron, absent"}
system-cron:
  image: i
  labels: {io.rancher.os.scope: system, io.rancher.os.after: "network"}
  volumes_from: [logrotate, outside]
  links: [logrotate]
syslog:
  image: i
  labels: {io.rancher.os.scope: system}
  log_driver: syslog
  volumes_from: [syslog]
)");
    auto graph = DependencyGraph::build(services);
    EXPECT_EQ(graph.services(), (Names { "logrotate", "syslog", "system-cron" }));
    // One edge per pair, the earliest kind winning; no self edge for syslog.
    EXPECT_EQ(described(graph.edges()), Strings { "system-cron -> logrotate: io.rancher.os.before of logrotate" });
    EXPECT_EQ(described(graph.external()),
        (Strings {
            "absent -> logrotate: io.rancher.os.before of logrotate",
            "system-cron -> network: io.rancher.os.after of system-cron",
            "system-cron -> outside: volumes_from of system-cron",
        }));
    EXPECT_EQ(graph.dependencies("system-cron"), Strings { "logrotate" });
    EXPECT_EQ(graph.dependants("logrotate"), Strings { "system-cron" });
    EXPECT_EQ(graph.dependencies("nothing"), Strings {});
    EXPECT_FALSE(graph.check().is_error());
    EXPECT_EQ(graph.order(), (Strings { "logrotate", "syslog", "system-cron" }));
}

TEST(Graph, UserScopeAndMissingImagesPointAtDockerAndNetwork)
{
    auto services = services_from_yaml(R"(
docker: {image: d, labels: {io.rancher.os.scope: system}}
network: {image: n, labels: {io.rancher.os.scope: system}}
app: {image: a}
tools: {image: t, labels: {io.rancher.os.scope: system}}
)");
    GraphOptions options;
    options.missing_images = { "tools", "network", "app" };
    auto graph = DependencyGraph::build(services, options);
    EXPECT_EQ(described(graph.edges()),
        (Strings { "app -> docker: user scope of app", "tools -> network: missing image of tools" }));
    EXPECT_EQ(graph.waves(), (std::vector<Strings> { { "docker", "network" }, { "app", "tools" } }));
}

TEST(Graph, CycleNamesEveryServiceOnItAndBlocksOnlyWhatDependsOnIt)
{
    auto services = services_from_yaml(R"(
c: {image: i, labels: {io.rancher.os.scope: system}, links: [a]}
a: {image: i, labels: {io.rancher.os.scope: system, io.rancher.os.after: b}}
b: {image: i, labels: {io.rancher.os.scope: system}, volumes_from: [c]}
d: {image: i, labels: {io.rancher.os.scope: system, io.rancher.os.after: b}}
e: {image: i, labels: {io.rancher.os.scope: system, io.rancher.os.before: a}}
free: {image: i, labels: {io.rancher.os.scope: system}}
after-free: {image: i, labels: {io.rancher.os.scope: system}, depends_on: [free]}
)");
    auto graph = DependencyGraph::build(services);
    ASSERT_EQ(graph.cycles().size(), 1u);
    EXPECT_EQ(graph.cycles()[0].services, (Strings { "a", "b", "c" }));
    auto check = graph.check();
    ASSERT_TRUE(check.is_error());
    EXPECT_EQ(check.error().code(), EINVAL);
    EXPECT_EQ(check.error().message(),
        "dependency cycle: a -> b -> c -> a (a -> b: io.rancher.os.after of a; b -> c: volumes_from of b; "
        "c -> a: links of c)");
    EXPECT_EQ(graph.blocked(), (Names { "a", "b", "c", "d" }));
    // e comes before a, so it is not held up by the cycle.
    EXPECT_EQ(graph.order(), (Strings { "e", "free", "after-free" }));
    EXPECT_EQ(graph.waves(), (std::vector<Strings> { { "e", "free" }, { "after-free" } }));
    EXPECT_EQ(graph.ready({}), (Strings { "e", "free" }));
}

TEST(Graph, SeveralCyclesAreEachReported)
{
    auto services = services_from_yaml(R"(
x: {image: i, labels: {io.rancher.os.scope: system}, depends_on: [y]}
y: {image: i, labels: {io.rancher.os.scope: system}, depends_on: [x]}
p: {image: i, labels: {io.rancher.os.scope: system}, depends_on: [q]}
q: {image: i, labels: {io.rancher.os.scope: system}, depends_on: [r]}
r: {image: i, labels: {io.rancher.os.scope: system}, depends_on: [p, q]}
)");
    auto graph = DependencyGraph::build(services);
    ASSERT_EQ(graph.cycles().size(), 2u);
    // The shortest cycle through p, the smallest name of its group.
    EXPECT_EQ(graph.cycles()[0].describe(),
        "dependency cycle: p -> q -> r -> p (p -> q: depends_on of p; q -> r: depends_on of q; r -> p: depends_on of "
        "r)");
    EXPECT_EQ(graph.cycles()[1].describe(),
        "dependency cycle: x -> y -> x (x -> y: depends_on of x; y -> x: depends_on of y)");
    EXPECT_EQ(graph.order(), Strings {});
}

TEST(Graph, ReadyWavesAndOrderForParallelStart)
{
    auto services = services_from_yaml(R"(
top: {image: i, labels: {io.rancher.os.scope: system}, depends_on: [left, right]}
left: {image: i, labels: {io.rancher.os.scope: system}, depends_on: [base]}
right: {image: i, labels: {io.rancher.os.scope: system}, depends_on: [base]}
base: {image: i, labels: {io.rancher.os.scope: system}}
alone: {image: i, labels: {io.rancher.os.scope: system}}
)");
    auto graph = DependencyGraph::build(services);
    EXPECT_EQ(graph.ready({}), (Strings { "alone", "base" }));
    EXPECT_EQ(graph.ready({}, { "base" }), Strings { "alone" });
    EXPECT_EQ(graph.ready({ "base" }, { "alone" }), (Strings { "left", "right" }));
    EXPECT_EQ(graph.ready({ "base", "left" }, { "right", "alone" }), Strings {});
    EXPECT_EQ(graph.ready({ "base", "left", "right", "alone", "unknown" }), Strings { "top" });
    EXPECT_EQ(graph.ready({ "base", "left", "right", "alone", "top" }), Strings {});
    EXPECT_EQ(graph.waves(), (std::vector<Strings> { { "alone", "base" }, { "left", "right" }, { "top" } }));
    EXPECT_EQ(graph.order(), (Strings { "alone", "base", "left", "right", "top" }));
    EXPECT_EQ(graph.with_dependencies({ "left", "nope" }), (Names { "base", "left" }));
    EXPECT_EQ(graph.with_dependencies({ "top" }), (Names { "base", "left", "right", "top" }));
    EXPECT_EQ(graph.transitive_dependants("base"), (Names { "left", "right", "top" }));
    EXPECT_EQ(graph.transitive_dependants("top"), Names {});
}

TEST(Graph, OrderPrefersSmallestNameAmongTheFree)
{
    // z is free from the start but sorts last; b becomes free after a and
    // sorts before z.
    auto services = services_from_yaml(R"(
z: {image: i, labels: {io.rancher.os.scope: system}}
b: {image: i, labels: {io.rancher.os.scope: system, io.rancher.os.after: a}}
a: {image: i, labels: {io.rancher.os.scope: system}}
)");
    auto graph = DependencyGraph::build(services);
    EXPECT_EQ(graph.order(), (Strings { "a", "b", "z" }));
    EXPECT_EQ(graph.waves(), (std::vector<Strings> { { "a", "z" }, { "b" } }));
}

TEST(Graph, DefaultServicesStartInTheReferenceOrder)
{
    auto config = compose_test::default_os_config();
    auto graph = DependencyGraph::build(config.rancher.services);
    ASSERT_FALSE(graph.check().is_error()) << graph.check().error().message();
    EXPECT_EQ(graph.external(), std::vector<Edge> {});
    // §1.6: udev-cold → udev → network → ntp → cloud-init-execute → console →
    // docker and preload-user-images; syslog and acpid depend on nothing but
    // the volume containers, which come first.
    EXPECT_EQ(graph.waves(),
        (std::vector<Strings> {
            { "command-volumes", "container-data-volumes", "media-volumes", "system-volumes", "user-volumes" },
            { "acpid", "all-volumes", "syslog", "udev-cold" },
            { "udev" },
            { "network" },
            { "ntp" },
            { "cloud-init-execute" },
            { "console" },
            { "docker", "preload-user-images" },
        }));
    EXPECT_EQ(graph.order(),
        (Strings { "command-volumes", "container-data-volumes", "media-volumes", "system-volumes", "acpid", "syslog",
            "udev-cold", "udev", "network", "ntp", "cloud-init-execute", "user-volumes", "all-volumes", "console",
            "docker", "preload-user-images" }));
    EXPECT_EQ(graph.dependencies("console"), (Strings { "all-volumes", "cloud-init-execute" }));
    EXPECT_EQ(graph.with_dependencies({ "network" }),
        (Names { "command-volumes", "network", "system-volumes", "udev", "udev-cold" }));
    // If udev-cold fails, everything from udev to docker cannot start.
    EXPECT_EQ(graph.transitive_dependants("udev-cold"),
        (Names { "cloud-init-execute", "console", "docker", "network", "ntp", "preload-user-images", "udev" }));
}

TEST(Graph, AUserServiceWithACycleDoesNotHoldUpTheSystem)
{
    auto config = compose_test::default_os_config();
    auto extra = services_from_yaml(R"(
loop-a: {image: i, labels: {io.rancher.os.scope: system, io.rancher.os.after: "loop-b,network"}}
loop-b: {image: i, labels: {io.rancher.os.scope: system, io.rancher.os.after: loop-a}}
)");
    auto services = config.rancher.services;
    services.insert(extra.begin(), extra.end());
    auto graph = DependencyGraph::build(services);
    ASSERT_TRUE(graph.check().is_error());
    EXPECT_EQ(graph.check().error().message(),
        "dependency cycle: loop-a -> loop-b -> loop-a (loop-a -> loop-b: io.rancher.os.after of loop-a; "
        "loop-b -> loop-a: io.rancher.os.after of loop-b)");
    EXPECT_EQ(graph.blocked(), (Names { "loop-a", "loop-b" }));
    EXPECT_EQ(graph.order().size(), config.rancher.services.size());
}
