#include "cli/user_docker.h"

#include "base/fd.h"
#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/system.h"
#include "cli/config_common.h"
#include "config/docker_args.h"
#include "config/loader.h"

#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

extern char** environ;

namespace corral::cli {

namespace {

// dockerd's own default for --group.
constexpr std::string_view DEFAULT_SOCKET_GROUP = "docker";

std::string_view variable_name(std::string_view entry)
{
    return entry.substr(0, entry.find('='));
}

// `base` with the entries of `additions` set in it: a variable already there
// is replaced in place, a new one appended.
std::vector<std::string> merge_environment(
    std::vector<std::string> base, const std::vector<std::string>& additions, std::vector<std::string>& warnings)
{
    for (auto const& entry : additions) {
        size_t equals = entry.find('=');
        if (equals == std::string::npos || equals == 0) {
            warnings.push_back("rancher.docker.environment: ignoring \"" + entry + "\", which is not NAME=VALUE");
            continue;
        }
        std::string_view name = variable_name(entry);
        bool replaced = false;
        for (auto& existing : base) {
            if (existing.find('=') != std::string::npos && variable_name(existing) == name) {
                existing = entry;
                replaced = true;
            }
        }
        if (!replaced)
            base.push_back(entry);
    }
    return base;
}

bool is_executable_file(const std::string& path)
{
    struct stat st { };
    // access() says yes to any file with an x bit, even a directory, for root.
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::vector<std::string> process_environment()
{
    std::vector<std::string> out;
    for (char** entry = environ; *entry; ++entry)
        out.emplace_back(*entry);
    return out;
}

// Makes `dir` (its parents 0755) and sets it to 0700 even when it existed with
// a looser mode: it holds the server's private key.
ErrorOr<void> make_private_directory(const std::string& dir)
{
    TRY(mkdir_p(path_dirname(dir), 0755));
    TRY(mkdir_p(dir, 0700));
    Fd fd = TRY(sys::open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    TRY_CONTEXT(sys::fchmod(fd.get(), 0700), dir);
    return {};
}

ErrorOr<void> write_tls_files(const UserDockerCommand& command)
{
    if (command.tls_dir.empty())
        return {};
    TRY(make_private_directory(command.tls_dir));
    for (auto const& file : command.tls_files)
        TRY(write_file_atomic(file.path, file.content, file.mode, KeepMode::No));
    return {};
}

// Reads /etc/group of the container this runs in (not under ROS_ROOT: it is
// the file dockerd itself will read) and warns when the socket group is not
// there. /etc/group is read as a file and not through NSS, as dockerd does.
void check_socket_group(const config::DockerConfig& docker)
{
    std::string_view group = docker.group.empty() ? DEFAULT_SOCKET_GROUP : std::string_view(docker.group);
    auto text = read_file("/etc/group");
    if (text.is_error()) {
        log::warn("cannot check the socket group \"" + std::string(group) + "\": " + text.error().message());
        return;
    }
    if (group_listed(*text, group))
        return;
    // dockerd forgives a missing group only when it is its default.
    if (group == DEFAULT_SOCKET_GROUP)
        log::warn("no group \"docker\" in /etc/group: dockerd will leave its socket to root's group");
    else
        log::warn("rancher.docker.group: no group \"" + std::string(group)
            + "\" in /etc/group: dockerd will refuse to start");
}

int failed(const Error& error)
{
    log::error(error.message());
    return 1;
}

} // namespace

ErrorOr<std::string> find_dockerd(
    std::string_view override_path, const std::function<bool(const std::string&)>& is_executable)
{
    if (!override_path.empty()) {
        std::string path(override_path);
        if (!is_executable(path))
            return Error::from_string("CORRAL_DOCKERD=" + path + " is not an executable file", ENOEXEC);
        return path;
    }
    for (const char* candidate : DOCKERD_CANDIDATES) {
        if (is_executable(candidate))
            return std::string(candidate);
    }
    std::string tried;
    for (const char* candidate : DOCKERD_CANDIDATES)
        tried += std::string(tried.empty() ? "" : ", ") + candidate;
    return Error::from_string("no dockerd found (looked for " + tried + "; CORRAL_DOCKERD names another)", ENOENT);
}

UserDockerCommand user_docker_command(const config::DockerConfig& docker, const config::Paths& paths,
    const std::string& dockerd, const std::vector<std::string>& environment)
{
    UserDockerCommand command;
    config::DockerConfig effective = docker;
    if (docker.tls) {
        std::vector<std::string> missing;
        if (docker.ca_cert.empty())
            missing.push_back("rancher.docker.ca_cert");
        if (docker.server_cert.empty())
            missing.push_back("rancher.docker.server_cert");
        if (docker.server_key.empty())
            missing.push_back("rancher.docker.server_key");
        if (missing.empty()) {
            command.tls_dir = paths.under_root("/etc/docker/tls");
            command.tls_files = {
                { command.tls_dir + "/ca.pem", docker.ca_cert, 0644 },
                { command.tls_dir + "/server-cert.pem", docker.server_cert, 0644 },
                { command.tls_dir + "/server-key.pem", docker.server_key, 0600 },
            };
        } else {
            // Without the key material dockerd would refuse to start and the
            // machine would lose its local engine too; start it without TLS.
            command.errors.push_back("rancher.docker.tls is true but " + join(missing, ", ")
                + (missing.size() == 1 ? " is" : " are")
                + " empty (\"ros tls gen --server\" makes them); starting without tls_args");
            effective.tls = false;
        }
    }
    command.argv.push_back(dockerd);
    for (auto& arg : config::docker_daemon_args(effective))
        command.argv.push_back(std::move(arg));
    command.env = merge_environment(environment, docker.environment, command.warnings);
    return command;
}

bool group_listed(std::string_view group_file, std::string_view group)
{
    if (group.empty())
        return false;
    bool numeric = true;
    for (char c : group)
        numeric = numeric && c >= '0' && c <= '9';
    if (numeric)
        return true;
    // name:password:gid:members
    for (auto const& line : split(group_file, '\n')) {
        size_t colon = line.find(':');
        if (colon != std::string::npos && std::string_view(line).substr(0, colon) == group)
            return true;
    }
    return false;
}

std::string shell_quote(std::string_view word)
{
    if (word.empty())
        return "''";
    bool plain = true;
    for (char c : word) {
        bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || std::string_view("_-+=:,./@%").find(c) != std::string_view::npos;
        plain = plain && safe;
    }
    if (plain)
        return std::string(word);
    return shell_single_quote(word);
}

std::string shell_command_line(const std::vector<std::string>& words)
{
    std::string out;
    for (auto const& word : words) {
        if (!out.empty())
            out += ' ';
        out += shell_quote(word);
    }
    return out;
}

namespace {

// dockerd in a container with a cgroup v2 namespace of its own (the docker
// service) sees its container's cgroup as the root. It can only hand
// controllers to the containers it makes once no process is left in that
// cgroup itself (cgroup v2's "no internal processes" rule), so, as Docker's
// dind script does, the processes move to a leaf "init" and every controller
// is enabled for the children. Skipped on the host's real root cgroup, which
// has no cgroup.type file, and on cgroup v1.
void delegate_cgroup_v2()
{
    auto self = read_file("/proc/self/cgroup");
    if (self.is_error() || !self.value().starts_with("0::"))
        return;
    std::string path = self.value().substr(3);
    while (!path.empty() && path.back() == '\n')
        path.pop_back();
    std::string dir = "/sys/fs/cgroup" + (path == "/" ? std::string() : path);
    if (::access((dir + "/cgroup.type").c_str(), F_OK) != 0 || ::access((dir + "/cgroup.controllers").c_str(), F_OK) != 0)
        return;
    auto controllers = read_file(dir + "/cgroup.controllers");
    if (controllers.is_error())
        return;
    (void)::mkdir((dir + "/init").c_str(), 0755);
    if (auto procs = read_file(dir + "/cgroup.procs"); !procs.is_error()) {
        for (auto const& pid : split(procs.value(), '\n')) {
            if (pid.empty())
                continue;
            if (auto fd = sys::open(dir + "/init/cgroup.procs", O_WRONLY); !fd.is_error())
                (void)sys::write_all(fd.value().get(), pid); // a process that ended meanwhile: nothing to move
        }
    }
    std::string enable;
    for (auto const& name : split(std::string(trim(controllers.value())), ' ')) {
        if (!name.empty())
            enable += (enable.empty() ? "+" : " +") + name;
    }
    if (auto fd = sys::open(dir + "/cgroup.subtree_control", O_WRONLY); !fd.is_error()) {
        if (auto written = sys::write_all(fd.value().get(), enable); written.is_error())
            log::warn("enabling cgroup controllers for the user engine: " + written.error().message());
    }
}

} // namespace

int user_docker(const config::Paths& paths, const UserDockerOptions& options)
{
    log::set_program("ros user-docker");
    config::LoadedConfig loaded = config::load_config(paths);
    // A bad value is dropped by the loader and the engine starts with the rest:
    // the user's engine must come up even from a flawed cloud-config.
    report_load_problems(loaded);
    const config::DockerConfig& docker = loaded.typed.rancher.docker;

    const char* override_path = std::getenv("CORRAL_DOCKERD");
    auto dockerd = find_dockerd(override_path ? override_path : "", is_executable_file);
    if (dockerd.is_error())
        return failed(dockerd.error());

    UserDockerCommand command = user_docker_command(docker, paths, *dockerd, process_environment());
    for (auto const& message : command.errors)
        log::error(message);
    for (auto const& message : command.warnings)
        log::warn(message);
    check_socket_group(docker);

    if (options.print_only) {
        std::string line = shell_command_line(command.argv) + "\n";
        if (auto written = sys::write_all(STDOUT_FILENO, line); written.is_error())
            return failed(written.release_error().context("writing the command line"));
        return 0;
    }

    if (auto written = write_tls_files(command); written.is_error())
        return failed(written.release_error().context("writing the TLS files"));

    delegate_cgroup_v2();

    std::vector<char*> argv;
    for (auto& arg : command.argv)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& entry : command.env)
        envp.push_back(entry.data());
    envp.push_back(nullptr);
    log::close_sinks();
    // stdio is inherited as it is: the service's log is dockerd's output.
    ::execve(argv[0], argv.data(), envp.data());
    int code = errno;
    return failed(Error::from_errno(code, "exec \"" + command.argv[0] + "\""));
}

} // namespace corral::cli
