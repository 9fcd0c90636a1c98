// Archives cross between Debian's dockerd and our store in both directions, and
// the images stay identical by digest.

#include "base/file.h"
#include "base/process.h"
#include "base/system.h"
#include "image/archive.h"
#include "image/store.h"
#include "test_image.h"

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace corral;
using namespace corral::image;

namespace {

constexpr const char* DOCKERD = "/usr/sbin/dockerd";
constexpr const char* DOCKER = "/usr/bin/docker"; // Debian's CLI, not the machine's

class DockerdRoundTrip : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root to run dockerd";
        if (::access(DOCKERD, X_OK) != 0 || ::access(DOCKER, X_OK) != 0)
            GTEST_SKIP() << "needs Debian's docker.io (" << DOCKERD << ", " << DOCKER << ")";
        m_socket = m_dir.path() + "/docker.sock";
        SpawnOptions options;
        options.argv = { DOCKERD, "--data-root", m_dir.path() + "/data", "--exec-root", m_dir.path() + "/exec", "--pidfile",
            m_dir.path() + "/dockerd.pid", "-H", "unix://" + m_socket, "--bridge=none", "--iptables=false",
            "--storage-driver=overlay2", "--log-level=error" };
        options.out = Stdio::Null;
        options.err = Stdio::Null;
        auto child = Child::spawn(options);
        ASSERT_FALSE(child.is_error()) << child.error().message();
        m_dockerd = std::make_unique<Child>(child.release_value());
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < deadline) {
            if (docker({ "version", "--format", "{{.Server.Version}}" }).status.code() == 0)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        ASSERT_EQ(docker({ "version" }).status.code(), 0) << "dockerd did not come up";
        auto store = Store::open(m_dir.path() + "/store");
        ASSERT_FALSE(store.is_error()) << store.error().message();
        m_store = store.release_value();
    }

    void TearDown() override
    {
        if (m_dockerd) {
            // A clean stop unmounts dockerd's layers and stops its containerd.
            ::kill(m_dockerd->pid(), SIGTERM);
            for (int i = 0; i < 150 && ::waitpid(m_dockerd->pid(), nullptr, WNOHANG) == 0; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            m_dockerd.reset(); // SIGKILL and reap if it is still there
        }
    }

    RunResult docker(std::vector<std::string> args)
    {
        SpawnOptions options;
        options.argv = { DOCKER, "-H", "unix://" + m_socket };
        options.argv.insert(options.argv.end(), args.begin(), args.end());
        auto result = run(options);
        EXPECT_FALSE(result.is_error());
        return result.is_error() ? RunResult {} : result.release_value();
    }

    test::TempDir m_dir;
    std::string m_socket;
    std::unique_ptr<Child> m_dockerd;
    std::unique_ptr<Store> m_store;
};

} // namespace

TEST_F(DockerdRoundTrip, DockerSaveLoadsIdenticallyAndOurSaveLoadsIntoDockerd)
{
    std::string upper = test::make_tar({ { "etc/", test::TarEntry::Type::Directory, "", 0755 },
        { "etc/motd", test::TarEntry::Type::File, "from the upper layer\n", 0644 } });
    auto image = test::make_image({ test::plain_layer(test::busybox_layer()), test::plain_layer(upper) }, { "corral-test/busybox:v1" });
    std::string input = m_dir.path() + "/input.tar";
    ASSERT_FALSE(write_file_atomic(input, test::docker_save_archive({ image }), 0600).is_error());
    auto loaded = docker({ "load", "-i", input });
    ASSERT_EQ(loaded.status.code(), 0) << loaded.err;

    // dockerd's own `docker save` output into our store.
    std::string from_docker = m_dir.path() + "/from-docker.tar";
    auto saved = docker({ "save", "-o", from_docker, "corral-test/busybox:v1" });
    ASSERT_EQ(saved.status.code(), 0) << saved.err;
    Fd in = sys::open(from_docker, O_RDONLY).release_value();
    auto result = load_archive(*m_store, in.get());
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_EQ(result->messages, std::vector<std::string> { "Loaded image: corral-test/busybox:v1" });

    auto inspect = docker({ "image", "inspect", "corral-test/busybox:v1" });
    ASSERT_EQ(inspect.status.code(), 0);
    auto docker_view = nlohmann::json::parse(inspect.out)[0];
    ImageRecord ours = m_store->resolve("corral-test/busybox:v1").value();
    EXPECT_EQ(ours.id.str(), docker_view["Id"].get<std::string>());
    std::vector<std::string> docker_layers = docker_view["RootFS"]["Layers"].get<std::vector<std::string>>();
    ASSERT_EQ(ours.diff_ids.size(), docker_layers.size());
    for (size_t i = 0; i < docker_layers.size(); ++i)
        EXPECT_EQ(ours.diff_ids[i].str(), docker_layers[i]);
    EXPECT_EQ(ours.references, std::vector<std::string> { "docker.io/corral-test/busybox:v1" });

    // Our save, into a dockerd that no longer has the image.
    ASSERT_EQ(docker({ "rmi", "corral-test/busybox:v1" }).status.code(), 0);
    std::string from_us = m_dir.path() + "/from-us.tar";
    {
        Fd out = sys::open(from_us, O_WRONLY | O_CREAT | O_TRUNC, 0600).release_value();
        auto written = save_archive(*m_store, { "corral-test/busybox:v1" }, out.get());
        ASSERT_FALSE(written.is_error()) << written.error().message();
    }
    auto reloaded = docker({ "load", "-i", from_us });
    ASSERT_EQ(reloaded.status.code(), 0) << reloaded.err;
    EXPECT_EQ(reloaded.out, "Loaded image: corral-test/busybox:v1\n");
    auto again = docker({ "image", "inspect", "-f", "{{.Id}} {{json .RootFS.Layers}}", "corral-test/busybox:v1" });
    ASSERT_EQ(again.status.code(), 0);
    EXPECT_EQ(again.out.substr(0, 71), ours.id.str());
    for (auto const& diff_id : ours.diff_ids)
        EXPECT_NE(again.out.find(diff_id.str()), std::string::npos);
}
