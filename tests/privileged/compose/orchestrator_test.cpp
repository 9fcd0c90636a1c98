// The orchestrator against a real daemon: our system-dockerd on a temporary
// socket, services written as RancherOS writes them, run on the test image.
// The order is read back from the containers' start and finish times.

#include "../../unit/compose/compose_test_support.h"
#include "api/client.h"
#include "base/file.h"
#include "base/strings.h"
#include "compose/labels.h"
#include "compose/orchestrator.h"
#include "test_daemon.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ctime>
#include <unistd.h>

using namespace corral;
using namespace corral::test;
using compose::Outcome;
using nlohmann::json;

namespace {

std::vector<compose::Service> services(const std::string& yaml)
{
    std::vector<compose::Service> out;
    for (auto& [name, config] : compose_test::services_from_yaml(yaml))
        out.push_back({ name, config, {}, "/" });
    return out;
}

// Seconds since the epoch of Go's RFC 3339 time ("…T03:44:02.237179723Z").
double seconds(const std::string& text)
{
    struct tm parts {};
    const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &parts);
    if (!rest)
        return 0;
    double fraction = *rest == '.' ? std::stod(std::string("0") + std::string(rest).substr(0, std::string(rest).find('Z'))) : 0;
    return static_cast<double>(::timegm(&parts)) + fraction;
}

class Orchestrator : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        if (::geteuid() != 0 || ::access(TestDaemon::DOCKER, X_OK) != 0)
            return;
        s_daemon = TestDaemon::start({ ROS_BINARY, "corral-compose-test", {} }).release();
    }

    static void TearDownTestSuite()
    {
        delete s_daemon;
        s_daemon = nullptr;
    }

    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (the daemon runs containers)";
        if (::access(TestDaemon::DOCKER, X_OK) != 0)
            GTEST_SKIP() << "no docker CLI at " << TestDaemon::DOCKER << " to load the test image with";
        ASSERT_NE(s_daemon, nullptr);
        m_client.emplace(api::Client::create("unix://" + s_daemon->socket()).release_value());
    }

    void TearDown() override
    {
        if (!s_daemon)
            return;
        auto ids = s_daemon->docker({ "ps", "-aq" });
        for (auto const& id : split(ids.out, '\n'))
            if (!id.empty())
                s_daemon->docker({ "rm", "-f", "-v", id });
    }

    compose::UpReport up(const std::vector<compose::Service>& list, compose::UpOptions options = {})
    {
        compose::Daemons daemons { &*m_client, nullptr };
        return compose::up(list, daemons, options);
    }

    json inspect(const std::string& name)
    {
        auto response = m_client->request("GET", "/containers/" + name + "/json");
        EXPECT_FALSE(response.is_error()) << name << ": " << response.error().message();
        return response.is_error() ? json::object() : json::parse(response->body);
    }

    double started(const std::string& name) { return seconds(inspect(name)["State"]["StartedAt"]); }
    double finished(const std::string& name) { return seconds(inspect(name)["State"]["FinishedAt"]); }

    static std::string describe(const compose::UpReport& report)
    {
        std::string out;
        for (auto const& s : report.services)
            out += s.name + ": " + std::string(compose::outcome_name(s.outcome)) + " " + s.message + "\n";
        for (auto const& e : report.errors)
            out += "error: " + e + "\n";
        return out;
    }

    static inline TestDaemon* s_daemon = nullptr;
    std::optional<api::Client> m_client;
};

constexpr const char* GRAPH = R"(
volumes:
  image: corral-test/busybox
  command: echo
  net: none
  volumes: [/shared]
  labels: {io.rancher.os.scope: system, io.rancher.os.createonly: "true"}
init:
  image: corral-test/busybox
  command: sh -c "echo init > /shared/init; sleep 0.3"
  net: none
  volumes_from: [volumes]
  labels: {io.rancher.os.scope: system, io.rancher.os.detach: "false"}
network:
  image: corral-test/busybox
  command: sleep 60
  net: none
  labels: {io.rancher.os.scope: system, io.rancher.os.after: init, io.rancher.os.reloadconfig: "true"}
ntp:
  image: corral-test/busybox
  command: sleep 60
  net: none
  labels: {io.rancher.os.scope: system, io.rancher.os.after: network}
console:
  image: corral-test/busybox
  command: sh -c "cat /shared/init; sleep 60"
  net: none
  volumes_from: [volumes]
  labels: {io.rancher.os.scope: system, io.rancher.os.after: ntp}
prepare:
  image: corral-test/busybox
  command: sh -c "sleep 0.2"
  net: none
  labels: {io.rancher.os.scope: system, io.rancher.os.detach: "false", io.rancher.os.before: network}
broken:
  image: corral-test/busybox
  command: sh -c "exit 3"
  net: none
  labels: {io.rancher.os.scope: system, io.rancher.os.detach: "false"}
needs-broken:
  image: corral-test/busybox
  command: sleep 60
  net: none
  labels: {io.rancher.os.scope: system, io.rancher.os.after: broken}
)";

TEST_F(Orchestrator, BringsAServiceGraphUpInOrder)
{
    compose::UpOptions options;
    int reloads = 0;
    // The reload after `network` enables a service that runs after it.
    options.reload = [&]() -> ErrorOr<std::vector<compose::Service>> {
        ++reloads;
        return services(R"(
late:
  image: corral-test/busybox
  command: sleep 60
  net: none
  labels: {io.rancher.os.scope: system, io.rancher.os.after: network}
)");
    };
    auto report = up(services(GRAPH), options);
    EXPECT_EQ(reloads, 1);
    auto outcome = [&](const std::string& name) {
        auto found = report.find(name);
        return found ? std::string(compose::outcome_name(found->outcome)) : "absent";
    };
    EXPECT_EQ(outcome("volumes"), "created") << describe(report);
    EXPECT_EQ(outcome("init"), "completed") << describe(report);
    EXPECT_EQ(outcome("prepare"), "completed") << describe(report);
    EXPECT_EQ(outcome("network"), "started") << describe(report);
    EXPECT_EQ(outcome("ntp"), "started") << describe(report);
    EXPECT_EQ(outcome("console"), "started") << describe(report);
    EXPECT_EQ(outcome("late"), "started") << describe(report);
    EXPECT_EQ(outcome("broken"), "failed") << describe(report);
    EXPECT_EQ(report.find("broken")->message, "exited with code 3");
    EXPECT_EQ(outcome("needs-broken"), "skipped") << describe(report);
    EXPECT_EQ(report.find("needs-broken")->message, "a dependency did not come up: broken");
    EXPECT_FALSE(report.ok());

    // The one-shot ended before what comes after it began; each `after`
    // started after what it names.
    EXPECT_LT(finished("init"), started("network"));
    EXPECT_LT(finished("prepare"), started("network")); // io.rancher.os.before: network
    EXPECT_LT(started("network"), started("ntp"));
    EXPECT_LT(started("ntp"), started("console"));
    EXPECT_LT(started("network"), started("late"));
    EXPECT_EQ(inspect("volumes")["State"]["Status"], "created");
    auto never = m_client->request("GET", "/containers/needs-broken/json");
    ASSERT_TRUE(never.is_error());
    EXPECT_EQ(never.error().code(), ENOENT);
    // The console sees what the one-shot wrote in the volume container's volume.
    auto logs = s_daemon->docker({ "logs", "console" });
    EXPECT_EQ(logs.out, "init\n") << logs.err;
    // Bookkeeping labels on every container.
    auto labels = inspect("ntp")["Config"]["Labels"];
    EXPECT_EQ(labels["io.docker.compose.project"], "os");
    EXPECT_EQ(labels["io.docker.compose.service"], "ntp");
    EXPECT_EQ(labels["io.docker.compose.config-hash"].get<std::string>().size(), 64u);
}

TEST_F(Orchestrator, RecreatesOnlyWhatChanged)
{
    constexpr const char* yaml = R"(
steady:
  image: corral-test/busybox
  command: sleep 60
  net: none
  labels: {io.rancher.os.scope: system}
changing:
  image: corral-test/busybox
  command: sleep 60
  net: none
  labels: {io.rancher.os.scope: system}
always:
  image: corral-test/busybox
  command: sleep 60
  net: none
  labels: {io.rancher.os.scope: system, io.docker.compose.rebuild: always}
)";
    auto first = up(services(yaml));
    ASSERT_TRUE(first.ok()) << describe(first);
    std::string steady = inspect("steady")["Id"], changing = inspect("changing")["Id"], always = inspect("always")["Id"];

    auto again = up(services(yaml));
    ASSERT_TRUE(again.ok()) << describe(again);
    EXPECT_EQ(inspect("steady")["Id"], steady);
    EXPECT_FALSE(again.find("steady")->recreated);
    EXPECT_EQ(inspect("changing")["Id"], changing);
    EXPECT_NE(inspect("always")["Id"], always);
    EXPECT_TRUE(again.find("always")->recreated);

    std::string changed = yaml;
    changed.replace(changed.find("sleep 60", changed.find("changing:")), 8, "sleep 61");
    auto third = up(services(changed));
    ASSERT_TRUE(third.ok()) << describe(third);
    EXPECT_EQ(inspect("steady")["Id"], steady);
    EXPECT_NE(inspect("changing")["Id"], changing);
    EXPECT_TRUE(third.find("changing")->recreated);
    EXPECT_EQ(inspect("changing")["Config"]["Cmd"], json({ "sleep", "61" }));
    EXPECT_EQ(inspect("changing")["State"]["Status"], "running");

    // A container stopped since is started again, not recreated.
    s_daemon->docker({ "stop", "-t", "0", "steady" });
    auto fourth = up(services(yaml));
    EXPECT_EQ(inspect("steady")["Id"], steady);
    EXPECT_EQ(inspect("steady")["State"]["Status"], "running");
}

TEST_F(Orchestrator, CyclesMissingImagesAndMissingDaemonsAreReported)
{
    auto report = up(services(R"(
aa:
  image: corral-test/busybox
  command: sleep 60
  net: none
  labels: {io.rancher.os.scope: system, io.rancher.os.after: bb}
bb:
  image: corral-test/busybox
  command: sleep 60
  net: none
  labels: {io.rancher.os.scope: system, io.rancher.os.after: aa}
cc:
  image: corral-test/busybox
  command: sleep 60
  net: none
  labels: {io.rancher.os.scope: system}
ghost:
  image: 127.0.0.1:1/no-such:1
  command: sleep 60
  labels: {io.rancher.os.scope: system}
user:
  image: corral-test/busybox
  command: sleep 60
)"));
    ASSERT_EQ(report.errors.size(), 1u) << describe(report);
    EXPECT_EQ(report.errors[0],
        "dependency cycle: aa -> bb -> aa (aa -> bb: io.rancher.os.after of aa; bb -> aa: io.rancher.os.after of bb)");
    EXPECT_EQ(report.find("aa")->outcome, Outcome::Skipped);
    EXPECT_EQ(report.find("bb")->outcome, Outcome::Skipped);
    EXPECT_EQ(report.find("cc")->outcome, Outcome::Started) << describe(report);
    EXPECT_EQ(report.find("ghost")->outcome, Outcome::Failed);
    EXPECT_EQ(report.find("ghost")->message.rfind("pulling 127.0.0.1:1/no-such:1: ", 0), 0u)
        << report.find("ghost")->message;
    EXPECT_EQ(report.find("user")->outcome, Outcome::Failed);
    EXPECT_EQ(report.find("user")->message, "the user Docker is not available");
}

} // namespace

namespace {

// The default services of os-config.yml with the test image standing in for
// the OS images: one-shots run `true`, long-running services sleep, and host
// binds are left out (their sources are the OS image's, not this machine's).
std::vector<compose::Service> default_services_on_test_image()
{
    auto config = compose_test::default_os_config();
    std::vector<compose::Service> out;
    for (auto [name, service] : config.rancher.services) {
        auto labels = compose::parse_labels(service.labels, name);
        EXPECT_FALSE(labels.is_error()) << name;
        service.image = "corral-test/busybox";
        service.entrypoint = {};
        service.volumes.clear();
        service.command = config::StringOrList { true, "", { "sleep", "60" } };
        if (labels.is_error() || labels->create_only)
            service.command.list = { "echo" };
        else if (!labels->detach)
            service.command.list = { "true" };
        out.push_back({ name, service, {}, "/" });
    }
    return out;
}

} // namespace

TEST_F(Orchestrator, TheDefaultServicesComeUpInBootOrder)
{
    auto list = default_services_on_test_image();
    ASSERT_GE(list.size(), 15u);
    compose::UpOptions options;
    options.reload = [] { return ErrorOr<std::vector<compose::Service>>(std::vector<compose::Service> {}); };
    options.network_wait = std::chrono::milliseconds(0); // whether this machine has a default route is not the point here
    auto report = up(list, options);
    EXPECT_TRUE(report.ok()) << describe(report);
    for (auto const& service : list) {
        auto found = report.find(service.name);
        ASSERT_NE(found, nullptr) << service.name;
        auto labels = compose::parse_labels(service.config.labels, service.name).release_value();
        Outcome expected = labels.create_only ? Outcome::Created : !labels.detach ? Outcome::Completed : Outcome::Started;
        EXPECT_EQ(found->outcome, expected) << service.name << ": " << found->message;
    }
    // §1.6: udev-cold → udev → network → ntp → cloud-init-execute → console → docker, preload-user-images.
    EXPECT_LT(finished("udev-cold"), started("udev"));
    EXPECT_LT(started("udev"), started("network"));
    EXPECT_LT(started("network"), started("ntp"));
    EXPECT_LT(started("ntp"), started("cloud-init-execute"));
    EXPECT_LT(finished("cloud-init-execute"), started("console"));
    EXPECT_LT(started("console"), started("docker"));
    EXPECT_LT(started("console"), started("preload-user-images"));
    EXPECT_EQ(inspect("all-volumes")["State"]["Status"], "created");
    EXPECT_EQ(inspect("console")["HostConfig"]["RestartPolicy"]["Name"], "always");
    EXPECT_EQ(inspect("console")["HostConfig"]["NetworkMode"], "host");
}

TEST_F(Orchestrator, ServicesAfterNetworkWaitForADefaultRoute)
{
    TempDir proc;
    std::string header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";
    ASSERT_FALSE(write_file_atomic(proc.path() + "/route", header + "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n", 0644).is_error());
    constexpr const char* yaml = R"(
needs-net:
  image: corral-test/busybox
  command: sleep 60
  net: none
  labels: {io.rancher.os.scope: system, io.rancher.os.after: network}
)";
    compose::UpOptions options;
    options.proc_net = proc.path();
    options.network_wait = std::chrono::milliseconds(400);
    auto start = std::chrono::steady_clock::now();
    auto report = up(services(yaml), options);
    auto waited = std::chrono::steady_clock::now() - start;
    ASSERT_NE(report.find("needs-net"), nullptr);
    EXPECT_EQ(report.find("needs-net")->outcome, Outcome::Started);
    EXPECT_EQ(report.find("needs-net")->message, "no default route after waiting; started anyway");
    EXPECT_GE(waited, std::chrono::milliseconds(400));

    // With a default route (flags 0003 to 0.0.0.0) there is no wait.
    ASSERT_FALSE(write_file_atomic(proc.path() + "/route", header + "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n", 0644).is_error());
    options.network_wait = std::chrono::milliseconds(5000);
    start = std::chrono::steady_clock::now();
    auto again = up(services(yaml), options);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(3000));
    EXPECT_EQ(again.find("needs-net")->message, "");
}
