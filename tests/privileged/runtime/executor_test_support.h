#pragma once

// Helpers for the executor's privileged tests: a busybox root unpacked once,
// per-test container directories, a Spec with Docker's defaults for an
// unprivileged container on this (cgroup v1/hybrid) host, and running a
// container to completion with its output captured.

#include "runtime/executor.h"
#include "runtime/spec.h"
#include "test_image.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace corral::test {

// The image's layers, unpacked once per test program: busybox_layer() and a
// layer of extra applet links (touch, unshare, grep, …). Topmost first.
const std::vector<std::string>& image_lower_dirs();

// Upper, work and rootfs directories for one container, in a temporary
// directory. The destructor unmounts the rootfs if it is mounted (it never
// should be in the test's namespace) before the directory is removed.
class ContainerDirs {
public:
    ContainerDirs();
    ~ContainerDirs();
    const std::string& base() const { return m_dir.path(); }
    std::string upper() const { return base() + "/upper"; }
    std::string work() const { return base() + "/work"; }
    std::string rootfs() const { return base() + "/rootfs"; }

private:
    TempDir m_dir;
};

// Docker's plan for `docker run --hostname corral-test IMAGE args…` as root.
runtime::Spec default_spec(const ContainerDirs& dirs, std::vector<std::string> args);

// Docker's default capability set (CapEff 00000000a80425fb).
std::vector<std::string> docker_default_capabilities();

struct Outcome {
    int status { -1 }; // as from waitpid
    std::string out;
    std::string err;
};

// Starts the container with stdout and stderr to pipes and waits (at most
// `timeout_seconds`, then SIGKILL) for it to exit. A start error comes back as is.
ErrorOr<Outcome> run_container(
    const runtime::Spec& spec, const runtime::StartHooks& hooks = {}, int timeout_seconds = 30);

// Reads both pipes to their end and reaps `pid`.
Outcome collect(pid_t pid, int out_fd, int err_fd, int timeout_seconds = 30);

// The mount points in this process's mount namespace at or below `prefix`.
std::vector<std::string> mounts_under(const std::string& prefix);

// /proc/self/mountinfo without the mounts other test processes make in their
// own /tmp/corral-* directories (CTest runs tests in parallel).
std::string mount_table();

// A line of /proc/<pid>/status ("CapEff:\t…"), or "" when absent.
std::string status_line(const std::string& status, const std::string& key);

} // namespace corral::test
