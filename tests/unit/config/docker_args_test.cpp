#include "config/docker_args.h"

#include <gtest/gtest.h>

using namespace corral::config;

TEST(DockerArgs, FlagsInKeyOrderThenExtraThenTls)
{
    DockerConfig docker;
    docker.args = { "daemon" };
    docker.host = { "unix:///var/run/docker.sock", "tcp://127.0.0.1:2376" };
    docker.group = "docker";
    docker.graph = "/var/lib/user-docker";
    docker.log_opts = { { "max-size", "25m" }, { "max-file", "2" } };
    docker.debug = false;
    docker.live_restore = true;
    docker.storage_driver = "overlay2";
    docker.insecure_registry = { "10.0.0.1:5000" };
    docker.extra_args = { "--iptables=false" };
    docker.tls_args = { "--tlsverify" };
    // --data-root stands where `graph` sorts.
    std::vector<std::string> expected { "daemon", "--debug=false", "--data-root=/var/lib/user-docker", "--group=docker",
        "--host=unix:///var/run/docker.sock", "--host=tcp://127.0.0.1:2376", "--insecure-registry=10.0.0.1:5000",
        "--live-restore", "--log-opt=max-file=2", "--log-opt=max-size=25m", "--storage-driver=overlay2",
        "--iptables=false" };
    EXPECT_EQ(docker_daemon_args(docker), expected);
    docker.tls = true;
    expected.push_back("--tlsverify");
    EXPECT_EQ(docker_daemon_args(docker), expected);
    EXPECT_EQ(docker_daemon_args(DockerConfig {}), std::vector<std::string> {});
}
