#pragma once

// `ros user-docker`: the command of the `docker` system service. It runs the
// user's Docker engine (Debian's dockerd) with the arguments rancher.docker
// gives (config/docker_args.h), the TLS material of rancher.docker written
// out first when rancher.docker.tls is set, and the environment of
// rancher.docker.environment; /var/run/docker.sock belongs to group docker.
//
// Unlike RancherOS, which ran dockerd inside the console container through
// runc exec (storage_context), the docker service container runs dockerd
// itself: `ros user-docker` execs it, so that the container's main process is
// dockerd and the engine's stop signal reaches it.

#include "base/error.h"
#include "config/model.h"
#include "config/paths.h"

#include <functional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace corral::cli {

struct UserDockerOptions {
    bool print_only { false }; // --print: show the command line instead of running it
};

// Execs dockerd; returns only on failure (with the exit code to use), or
// after printing with --print.
int user_docker(const config::Paths& paths, const UserDockerOptions& options);

// The deciding part of user_docker(), pure so that it can be tested without
// root or a dockerd.

// Where dockerd is looked for, in this order, on the real file system (never
// under ROS_ROOT: the engine is a program of the container that runs it).
inline constexpr const char* DOCKERD_CANDIDATES[] = {
    "/usr/sbin/dockerd",
    "/usr/bin/dockerd",
    "/usr/local/bin/dockerd",
    "/opt/bin/dockerd",
    "/var/lib/rancher/engine/dockerd",
};

// `override_path` (the environment variable CORRAL_DOCKERD) when it is not
// empty, else the first candidate `is_executable` accepts. An override that is
// not executable is an error (ENOEXEC) rather than a fall back, so that a typo
// does not quietly start another engine; no candidate is ENOENT.
ErrorOr<std::string> find_dockerd(
    std::string_view override_path, const std::function<bool(const std::string&)>& is_executable);

struct TlsFile {
    std::string path; // under ROS_ROOT
    std::string content;
    mode_t mode { 0600 };
};

struct UserDockerCommand {
    std::vector<std::string> argv; // dockerd, then its arguments
    std::vector<std::string> env; // the whole environment, "K=V" each
    std::string tls_dir; // to make (0700) before writing tls_files; empty when there are none
    std::vector<TlsFile> tls_files;
    // Problems the operator must hear about; none of them stops the engine.
    std::vector<std::string> errors;
    std::vector<std::string> warnings;
};

// The command line, environment and TLS files for `docker` (rancher.docker).
// `environment` is the process environment; an entry of docker.environment
// replaces a variable of the same name, the others are appended. With tls
// set, the certificate and keys go to <ROS_ROOT>/etc/docker/tls (the paths
// the default tls_args name); when any of them is empty the engine starts
// without tls_args, so that it stays reachable on its local socket, and
// `errors` says which keys are missing.
UserDockerCommand user_docker_command(const config::DockerConfig& docker, const config::Paths& paths,
    const std::string& dockerd, const std::vector<std::string>& environment);

// Whether the text of an /etc/group file lists `group`. A number counts as
// present: dockerd takes a gid for --group as well as a name.
bool group_listed(std::string_view group_file, std::string_view group);

// One word as a POSIX shell reads it: unchanged when it needs no quoting, in
// single quotes otherwise ('' for the empty word).
std::string shell_quote(std::string_view word);
// The words quoted and joined by spaces.
std::string shell_command_line(const std::vector<std::string>& words);

} // namespace corral::cli
