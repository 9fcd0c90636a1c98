// `ros service` against our daemon: a machine root ($ROS_ROOT) with a
// built-in service in os-config.yml, a local repository with an index.yml,
// and a service file under /var/lib/rancher/conf; the verbs round trip
// through services_include in cloud-config.yml and act on the containers.

#include "base/file.h"
#include "base/process.h"
#include "base/strings.h"
#include "test_daemon.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

using namespace corral;
using namespace corral::test;

namespace {

class RosService : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        if (::geteuid() != 0 || ::access(TestDaemon::DOCKER, X_OK) != 0)
            return;
        s_daemon = TestDaemon::start({ ROS_BINARY, "corral-ros-service-test", {} }).release();
        if (!s_daemon)
            return;
        s_root = new TempDir();
        std::string root = s_root->path();
        auto put = [&](const std::string& path, const std::string& text) {
            ASSERT_FALSE(mkdir_p(root + path.substr(0, path.rfind('/')), 0755).is_error());
            ASSERT_FALSE(write_file_atomic(root + path, text, 0644).is_error());
        };
        put("/usr/share/ros/os-config.yml", R"(rancher:
  repositories:
    core:
      url: file:///usr/share/ros/repositories/core
  defaults:
    docker:
      engine: docker-base
  docker:
    engine: docker-base
  services:
    docker:
      image: corral-test/busybox
      command: sleep 60
      net: none
      labels:
        io.rancher.os.scope: system
    base-svc:
      image: corral-test/busybox
      command: sleep 60
      net: none
      labels:
        io.rancher.os.scope: system
)");
        put("/usr/share/ros/repositories/core/index.yml", "services: [extra, oneshot]\nengines: [docker-test]\n");
        put("/usr/share/ros/repositories/core/d/docker-test.yml", R"(docker:
  image: corral-test/busybox
  command: sleep 61
  net: none
  labels:
    io.rancher.os.scope: system
)");
        put("/usr/share/ros/repositories/core/e/extra.yml", R"(extra:
  image: corral-test/busybox
  command: sh -c "echo hello from ${GREETING}; sleep 60"
  net: none
  labels:
    io.rancher.os.scope: system
    io.rancher.os.after: base-svc
)");
        put("/usr/share/ros/repositories/core/o/oneshot.yml", R"(oneshot:
  image: corral-test/busybox
  command: "true"
  labels: {io.rancher.os.scope: system, io.rancher.os.detach: "false"}
)");
        put("/var/lib/rancher/conf/mine.yml", R"(mine:
  image: corral-test/busybox
  command: sleep 60
  net: none
  colour: red
  labels: {io.rancher.os.scope: system}
)");
        put("/var/lib/rancher/conf/cloud-config.yml", "rancher:\n  environment:\n    GREETING: corral\n");
        put("/var/lib/rancher/conf/unreachable.yml", "unreachable:\n  image: 127.0.0.1:1/none:1\n  labels: {io.rancher.os.scope: system}\n");
        put("/etc/evil.yml", "evil: {image: corral-test/busybox}\n");
        ASSERT_FALSE(mkdir_p(root + "/var/run", 0755).is_error());
        ASSERT_EQ(::symlink(s_daemon->socket().c_str(), (root + "/var/run/system-docker.sock").c_str()), 0);
    }

    static void TearDownTestSuite()
    {
        delete s_daemon;
        s_daemon = nullptr;
        delete s_root;
        s_root = nullptr;
    }

    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (the daemon runs containers)";
        if (::access(TestDaemon::DOCKER, X_OK) != 0)
            GTEST_SKIP() << "no docker CLI at " << TestDaemon::DOCKER << " to load the test image with";
        ASSERT_NE(s_daemon, nullptr);
    }

    static CliResult ros(std::vector<std::string> args)
    {
        SpawnOptions options;
        options.argv = { ROS_BINARY };
        options.argv.insert(options.argv.end(), args.begin(), args.end());
        options.env = { "ROS_ROOT=" + s_root->path(), "PATH=/usr/bin:/bin", "HOME=" + s_root->path() };
        auto result = run(options);
        if (result.is_error())
            return { -1, "", result.error().message() };
        return { result->status.code(), result->out, result->err };
    }

    static std::string state(const std::string& container)
    {
        auto inspected = s_daemon->docker({ "inspect", "-f", "{{.State.Status}}", container });
        return inspected.code == 0 ? std::string(trim(inspected.out)) : "absent";
    }

    static std::string user_config()
    {
        auto text = read_file(s_root->path() + "/var/lib/rancher/conf/cloud-config.yml");
        return text.is_error() ? std::string() : *text;
    }

    static inline TestDaemon* s_daemon = nullptr;
    static inline TempDir* s_root = nullptr;
};

TEST_F(RosService, EnableListDisableDeleteThroughServicesInclude)
{
    auto list = ros({ "service", "list" });
    EXPECT_EQ(list.code, 0) << list.err;
    EXPECT_EQ(list.out, "disabled extra\ndisabled oneshot\n");

    auto enabled = ros({ "service", "enable", "extra" });
    EXPECT_EQ(enabled.code, 0) << enabled.err;
    EXPECT_NE(user_config().find("services_include:\n    extra: true"), std::string::npos) << user_config();
    EXPECT_EQ(ros({ "service", "list" }).out, "enabled  extra\ndisabled oneshot\n");
    EXPECT_EQ(ros({ "service", "list", "-a" }).out, "enabled  base-svc\nenabled  docker\nenabled  extra\ndisabled oneshot\n");
    struct stat st {};
    ASSERT_EQ(::stat((s_root->path() + "/var/lib/rancher/conf/cloud-config.yml").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);

    auto local = ros({ "service", "enable", "/var/lib/rancher/conf/mine.yml" });
    EXPECT_EQ(local.code, 0) << local.err;
    auto outside = ros({ "service", "enable", "/etc/evil.yml" });
    EXPECT_EQ(outside.code, 1);
    EXPECT_NE(outside.err.find("/var/lib/rancher/conf"), std::string::npos) << outside.err;
    auto unknown = ros({ "service", "enable", "nosuch" });
    EXPECT_EQ(unknown.code, 1);
    EXPECT_NE(unknown.err.find("no service named \"nosuch\""), std::string::npos) << unknown.err;
    auto none = ros({ "service", "enable" });
    EXPECT_EQ(none.code, 1);
    EXPECT_NE(none.err.find("Must specify one or more services"), std::string::npos) << none.err;

    EXPECT_EQ(ros({ "service", "disable", "extra" }).code, 0);
    EXPECT_NE(user_config().find("extra: false"), std::string::npos) << user_config();
    // Included files that no index lists come after the repositories' services.
    EXPECT_EQ(ros({ "service", "list" }).out, "disabled extra\ndisabled oneshot\nenabled  /var/lib/rancher/conf/mine.yml\n");
    EXPECT_EQ(ros({ "service", "delete", "extra" }).code, 0);
    EXPECT_EQ(user_config().find("extra:"), std::string::npos) << user_config();
    EXPECT_EQ(ros({ "service", "delete", "/var/lib/rancher/conf/mine.yml" }).code, 0);
    EXPECT_EQ(ros({ "service", "list" }).out, "disabled extra\ndisabled oneshot\n");
}

TEST_F(RosService, ContainerVerbs)
{
    ASSERT_EQ(ros({ "service", "enable", "extra" }).code, 0);
    ASSERT_EQ(ros({ "service", "enable", "/var/lib/rancher/conf/mine.yml" }).code, 0);

    // up brings what the service comes after along; variables are interpolated.
    auto up = ros({ "service", "up", "extra" });
    EXPECT_EQ(up.code, 0) << up.err;
    EXPECT_EQ(up.out, "started base-svc\nstarted extra\n");
    EXPECT_EQ(state("base-svc"), "running");
    EXPECT_EQ(state("extra"), "running");
    // An unknown key is named with its place, and the service still comes up.
    auto mine = ros({ "service", "up", "mine" });
    EXPECT_EQ(mine.code, 0) << mine.err;
    EXPECT_NE(mine.err.find("mine.yml:5:3: mine.colour: unknown key"), std::string::npos) << mine.err;
    // Unchanged: nothing is recreated.
    std::string id = s_daemon->docker({ "inspect", "-f", "{{.Id}}", "extra" }).out;
    EXPECT_EQ(ros({ "service", "up", "extra" }).out, "started base-svc\nstarted extra\n");
    EXPECT_EQ(s_daemon->docker({ "inspect", "-f", "{{.Id}}", "extra" }).out, id);

    for (int i = 0; i < 50; ++i) {
        if (ros({ "service", "logs", "extra" }).out.find("hello") != std::string::npos)
            break;
        ::usleep(100 * 1000);
    }
    EXPECT_EQ(ros({ "service", "logs", "extra" }).out, "extra | hello from corral\n");
    auto ps = ros({ "service", "ps" });
    EXPECT_EQ(ps.code, 0) << ps.err;
    EXPECT_NE(ps.out.find("extra      sh -c echo hello from corral; sleep 60   Running"), std::string::npos) << ps.out;
    auto quiet = ros({ "service", "ps", "-q", "extra" });
    EXPECT_EQ(quiet.out, id);

    EXPECT_EQ(ros({ "service", "stop", "-t", "0", "extra" }).code, 0);
    EXPECT_EQ(state("extra"), "exited");
    EXPECT_EQ(ros({ "service", "start", "extra" }).code, 0);
    EXPECT_EQ(state("extra"), "running");
    EXPECT_EQ(ros({ "service", "restart", "-t", "0", "extra" }).code, 0);
    EXPECT_EQ(state("extra"), "running");
    EXPECT_EQ(ros({ "service", "kill", "-s", "SIGKILL", "extra" }).code, 0);
    EXPECT_EQ(state("extra"), "exited");
    auto busy = ros({ "service", "rm", "base-svc" });
    EXPECT_EQ(busy.code, 1);
    EXPECT_EQ(ros({ "service", "rm", "extra" }).code, 0);
    EXPECT_EQ(state("extra"), "absent");

    auto create = ros({ "service", "create", "extra" });
    EXPECT_EQ(create.code, 0) << create.err;
    EXPECT_EQ(state("extra"), "created");
    // A registry that refuses connections: the pull fails, and is named.
    ASSERT_EQ(ros({ "service", "enable", "/var/lib/rancher/conf/unreachable.yml" }).code, 0);
    auto pull = ros({ "service", "pull", "unreachable" });
    EXPECT_EQ(pull.code, 1);
    EXPECT_NE(pull.err.find("service pull unreachable: "), std::string::npos) << pull.err;
    EXPECT_EQ(ros({ "service", "pull", "--ignore-pull-failures", "unreachable" }).code, 0);
    ros({ "service", "delete", "/var/lib/rancher/conf/unreachable.yml" });
    auto down = ros({ "service", "down", "-t", "0", "extra", "base-svc", "mine" });
    EXPECT_EQ(down.code, 0) << down.err;
    EXPECT_EQ(state("extra"), "absent");
    EXPECT_EQ(state("base-svc"), "absent");

    auto missing = ros({ "service", "stop", "nosuch" });
    EXPECT_EQ(missing.code, 1);
    EXPECT_NE(missing.err.find("no such service: nosuch"), std::string::npos) << missing.err;
    ros({ "service", "delete", "extra", "/var/lib/rancher/conf/mine.yml" });
}

TEST_F(RosService, EngineListEnableSwitch)
{
    auto up = ros({ "service", "up", "docker" });
    EXPECT_EQ(up.code, 0) << up.err;
    auto list = ros({ "engine", "list" });
    EXPECT_EQ(list.code, 0) << list.err;
    // The repositories' engines and the configured one, by name.
    EXPECT_EQ(list.out, "current  docker-base\ndisabled docker-test\n");

    auto bad = ros({ "engine", "enable", "nosuch" });
    EXPECT_EQ(bad.code, 1);
    EXPECT_NE(bad.err.find("no engine named \"nosuch\""), std::string::npos) << bad.err;

    auto switched = ros({ "engine", "switch", "docker-test" });
    EXPECT_EQ(switched.code, 0) << switched.err;
    EXPECT_EQ(switched.out, "started docker (recreated)\n");
    EXPECT_EQ(s_daemon->docker({ "inspect", "-f", "{{.Config.Cmd}} {{.State.Status}}", "docker" }).out, "[sleep 61] running\n");
    EXPECT_NE(user_config().find("engine: docker-test"), std::string::npos) << user_config();
    EXPECT_EQ(ros({ "engine", "list" }).out, "current  docker-test\n");

    // Back to the default: the built-in definition again.
    EXPECT_EQ(ros({ "engine", "switch", "docker-base" }).code, 1); // no repository defines it
    EXPECT_EQ(ros({ "engine", "enable", "docker-test" }).code, 0);
    s_daemon->docker({ "rm", "-f", "docker" });
}

} // namespace
