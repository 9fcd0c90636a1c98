#pragma once

// system-dockerd for the API tests: the multicall binary started under its
// daemon name on a temporary socket, data root, exec root and cgroup parent,
// with corral-test/busybox loaded through the stock docker CLI; stopped with
// SIGTERM (bounded: a daemon that hangs on its way out is a failure and is
// killed), its containers, cgroups and files removed.

#include "base/process.h"
#include "test_image.h"

#include <memory>
#include <string>
#include <vector>

namespace corral::test {

struct CliResult {
    int code { -1 };
    std::string out, err;
};

class TestDaemon {
public:
    static constexpr const char* DOCKER = "/usr/bin/docker";

    struct Options {
        std::string ros_binary; // the multicall binary
        std::string cgroup_prefix; // the cgroup parent is <prefix>-<pid>
        std::vector<std::string> extra_args; // more system-dockerd flags
        bool load_image { true };
    };

    // Starts the daemon and waits for its socket; failures are reported to
    // the current test (gtest) and give nullptr.
    static std::unique_ptr<TestDaemon> start(Options options);
    // Removes every container, then stop() if not done yet, then the files.
    ~TestDaemon();

    // SIGTERM, and the daemon's exit code (-1 when it had to be killed).
    int stop();

    const std::string& root() const { return m_dir.path(); }
    const std::string& socket() const { return m_socket; }
    const std::string& cgroup_parent() const { return m_cgroup; }
    pid_t pid() const { return m_daemon ? m_daemon->pid() : -1; }

    // The environment every client gets: its own HOME and DOCKER_CONFIG.
    std::vector<std::string> client_env() const;
    // `program -H unix://<socket> args…` (global flags may lead `args`).
    CliResult run_client(const std::string& program, const std::vector<std::string>& args,
        const std::string& input = {}) const;
    // The stock docker CLI.
    CliResult docker(const std::vector<std::string>& args, const std::string& input = {}) const
    {
        return run_client(DOCKER, args, input);
    }
    // A link to the multicall binary under `name` in root() (it picks its
    // program by name); returns its path.
    std::string applet(const std::string& name) const;

private:
    TestDaemon() = default;

    Options m_options;
    TempDir m_dir;
    std::string m_socket;
    std::string m_cgroup;
    std::unique_ptr<Child> m_daemon;
};

} // namespace corral::test
