// The deciding part of `ros user-docker`: which dockerd, its command line,
// environment and TLS files, the socket group check and the quoting of
// --print. Running dockerd is tested in tests/privileged/compose.

#include "cli/user_docker.h"

#include <gtest/gtest.h>

#include <set>

using namespace corral;
using namespace corral::cli;

namespace {

config::Paths root_at(const std::string& root)
{
    config::Paths paths;
    paths.root = root;
    return paths;
}

config::DockerConfig tls_docker()
{
    config::DockerConfig docker;
    docker.host = { "unix:///var/run/docker.sock" };
    docker.group = "docker";
    docker.tls = true;
    docker.tls_args = { "--tlsverify", "-H=0.0.0.0:2376" };
    docker.ca_cert = "CA\n";
    docker.server_cert = "CERT\n";
    docker.server_key = "KEY\n";
    return docker;
}

} // namespace

TEST(UserDockerFind, OverrideWinsOverTheCandidates)
{
    auto found = find_dockerd("/srv/engine/dockerd", [](const std::string&) { return true; });
    ASSERT_FALSE(found.is_error()) << found.error().message();
    EXPECT_EQ(*found, "/srv/engine/dockerd");
}

TEST(UserDockerFind, AnOverrideThatIsNotExecutableIsAnErrorNotAFallBack)
{
    auto found = find_dockerd("/srv/typo/dockerd", [](const std::string& path) { return path == "/usr/sbin/dockerd"; });
    ASSERT_TRUE(found.is_error());
    EXPECT_EQ(found.error().code(), ENOEXEC);
    EXPECT_NE(found.error().message().find("CORRAL_DOCKERD=/srv/typo/dockerd"), std::string::npos)
        << found.error().message();
}

TEST(UserDockerFind, FirstExecutableCandidateInOrder)
{
    std::vector<std::string> asked;
    std::set<std::string> present { "/opt/bin/dockerd", "/usr/local/bin/dockerd" };
    auto found = find_dockerd("", [&](const std::string& path) {
        asked.push_back(path);
        return present.count(path) > 0;
    });
    ASSERT_FALSE(found.is_error()) << found.error().message();
    EXPECT_EQ(*found, "/usr/local/bin/dockerd");
    EXPECT_EQ(asked, (std::vector<std::string> { "/usr/sbin/dockerd", "/usr/bin/dockerd", "/usr/local/bin/dockerd" }));

    present = { "/var/lib/rancher/engine/dockerd" };
    found = find_dockerd("", [&](const std::string& path) { return present.count(path) > 0; });
    ASSERT_FALSE(found.is_error()) << found.error().message();
    EXPECT_EQ(*found, "/var/lib/rancher/engine/dockerd");
}

TEST(UserDockerFind, NoneIsENOENTNamingWhereItLooked)
{
    auto found = find_dockerd("", [](const std::string&) { return false; });
    ASSERT_TRUE(found.is_error());
    EXPECT_EQ(found.error().code(), ENOENT);
    EXPECT_NE(found.error().message().find("/usr/sbin/dockerd"), std::string::npos) << found.error().message();
    EXPECT_NE(found.error().message().find("/var/lib/rancher/engine/dockerd"), std::string::npos);
}

TEST(UserDockerCommand, DockerdThenTheDaemonArguments)
{
    config::DockerConfig docker;
    docker.host = { "unix:///var/run/docker.sock" };
    docker.group = "docker";
    docker.log_opts = { { "max-size", "25m" }, { "max-file", "2" } };
    docker.extra_args = { "--iptables=false" };
    docker.tls_args = { "--tlsverify" }; // tls is false: not used
    auto command = user_docker_command(docker, root_at("/"), "/usr/sbin/dockerd", {});
    EXPECT_EQ(command.argv,
        (std::vector<std::string> { "/usr/sbin/dockerd", "--group=docker", "--host=unix:///var/run/docker.sock",
            "--log-opt=max-file=2", "--log-opt=max-size=25m", "--iptables=false" }));
    EXPECT_TRUE(command.tls_dir.empty());
    EXPECT_TRUE(command.tls_files.empty());
    EXPECT_TRUE(command.errors.empty());
    EXPECT_TRUE(command.warnings.empty());
}

TEST(UserDockerCommand, TlsWritesTheMaterialUnderTheRootAndAddsTlsArgs)
{
    auto command = user_docker_command(tls_docker(), root_at("/tmp/ros"), "/usr/sbin/dockerd", {});
    EXPECT_EQ(command.argv,
        (std::vector<std::string> { "/usr/sbin/dockerd", "--group=docker", "--host=unix:///var/run/docker.sock",
            "--tlsverify", "-H=0.0.0.0:2376" }));
    EXPECT_EQ(command.tls_dir, "/tmp/ros/etc/docker/tls");
    ASSERT_EQ(command.tls_files.size(), 3u);
    EXPECT_EQ(command.tls_files[0].path, "/tmp/ros/etc/docker/tls/ca.pem");
    EXPECT_EQ(command.tls_files[0].content, "CA\n");
    EXPECT_EQ(command.tls_files[0].mode, 0644u);
    EXPECT_EQ(command.tls_files[1].path, "/tmp/ros/etc/docker/tls/server-cert.pem");
    EXPECT_EQ(command.tls_files[1].content, "CERT\n");
    EXPECT_EQ(command.tls_files[1].mode, 0644u);
    EXPECT_EQ(command.tls_files[2].path, "/tmp/ros/etc/docker/tls/server-key.pem");
    EXPECT_EQ(command.tls_files[2].content, "KEY\n");
    EXPECT_EQ(command.tls_files[2].mode, 0600u);
    EXPECT_TRUE(command.errors.empty());

    // On the real root, the paths the default tls_args of os-config.yml name.
    command = user_docker_command(tls_docker(), root_at("/"), "/usr/sbin/dockerd", {});
    EXPECT_EQ(command.tls_dir, "/etc/docker/tls");
    ASSERT_EQ(command.tls_files.size(), 3u);
    EXPECT_EQ(command.tls_files[2].path, "/etc/docker/tls/server-key.pem");
}

TEST(UserDockerCommand, MissingTlsMaterialStartsWithoutTlsArgsAndSaysWhich)
{
    auto docker = tls_docker();
    docker.server_key.clear();
    docker.ca_cert.clear();
    auto command = user_docker_command(docker, root_at("/"), "/usr/sbin/dockerd", {});
    EXPECT_EQ(command.argv,
        (std::vector<std::string> { "/usr/sbin/dockerd", "--group=docker", "--host=unix:///var/run/docker.sock" }));
    EXPECT_TRUE(command.tls_dir.empty());
    EXPECT_TRUE(command.tls_files.empty());
    ASSERT_EQ(command.errors.size(), 1u);
    EXPECT_EQ(command.errors[0],
        "rancher.docker.tls is true but rancher.docker.ca_cert, rancher.docker.server_key are empty "
        "(\"ros tls gen --server\" makes them); starting without tls_args");

    docker = tls_docker();
    docker.server_cert.clear();
    command = user_docker_command(docker, root_at("/"), "/usr/sbin/dockerd", {});
    ASSERT_EQ(command.errors.size(), 1u);
    EXPECT_NE(command.errors[0].find("rancher.docker.server_cert is empty"), std::string::npos) << command.errors[0];
    EXPECT_EQ(command.argv.size(), 3u);
}

TEST(UserDockerCommand, ConfigEnvironmentReplacesOrAppends)
{
    config::DockerConfig docker;
    docker.environment = { "HTTP_PROXY=http://proxy:3128", "FOO=bar", "NOVALUE", "=x", "EMPTY=", "FOO=baz" };
    std::vector<std::string> process { "PATH=/usr/bin:/bin", "HTTP_PROXY=http://old:1", "HOME=/root", "FOOD=apple" };
    auto command = user_docker_command(docker, root_at("/"), "/usr/sbin/dockerd", process);
    // Replaced in place, appended in order, the later of two entries winning.
    EXPECT_EQ(command.env,
        (std::vector<std::string> {
            "PATH=/usr/bin:/bin", "HTTP_PROXY=http://proxy:3128", "HOME=/root", "FOOD=apple", "FOO=baz", "EMPTY=" }));
    EXPECT_EQ(command.warnings,
        (std::vector<std::string> {
            "rancher.docker.environment: ignoring \"NOVALUE\", which is not NAME=VALUE",
            "rancher.docker.environment: ignoring \"=x\", which is not NAME=VALUE",
        }));
}

TEST(UserDockerGroup, ListedByNameOrTakenAsAGid)
{
    std::string group_file = "root:x:0:\nstaff:x:50:\ndocker:x:106:rancher,docker\nlast:x:7:";
    EXPECT_TRUE(group_listed(group_file, "docker"));
    EXPECT_TRUE(group_listed(group_file, "root"));
    EXPECT_TRUE(group_listed(group_file, "last"));
    EXPECT_FALSE(group_listed(group_file, "dock"));
    EXPECT_FALSE(group_listed(group_file, "rancher")); // a member, not a group
    EXPECT_FALSE(group_listed(group_file, "x"));
    EXPECT_FALSE(group_listed(group_file, ""));
    EXPECT_TRUE(group_listed(group_file, "106"));
    EXPECT_TRUE(group_listed("", "1234"));
    EXPECT_FALSE(group_listed("", "docker"));
    EXPECT_FALSE(group_listed("docker", "docker")); // no colon: not an entry
}

TEST(UserDockerPrint, QuotesOnlyWhatTheShellWouldSplitOrExpand)
{
    EXPECT_EQ(shell_quote("--host=unix:///var/run/docker.sock"), "--host=unix:///var/run/docker.sock");
    EXPECT_EQ(shell_quote("--log-opt=max-size=25m"), "--log-opt=max-size=25m");
    EXPECT_EQ(shell_quote("-H=0.0.0.0:2376"), "-H=0.0.0.0:2376");
    EXPECT_EQ(shell_quote(""), "''");
    EXPECT_EQ(shell_quote("a b"), "'a b'");
    EXPECT_EQ(shell_quote("$HOME"), "'$HOME'");
    EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
    EXPECT_EQ(shell_quote("*"), "'*'");
    EXPECT_EQ(shell_quote("~root"), "'~root'");
    EXPECT_EQ(shell_command_line({ "/usr/sbin/dockerd", "--label=a b", "" }), "/usr/sbin/dockerd '--label=a b' ''");
    EXPECT_EQ(shell_command_line({}), "");
}
