#pragma once

// What the `system-docker` verbs share: the client and the program's streams,
// docker's ways of reporting errors, and the pure builders the verbs use (list
// rows, request bodies), declared here so that the unit tests can reach them.

#include "api/client.h"
#include "base/error.h"
#include "cli/system_docker_flags.h"
#include "cli/system_docker_json.h"
#include "cli/system_docker_template.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::cli {

inline constexpr std::string_view SYSTEM_DOCKER = "system-docker";

struct Cli {
    api::Client client;
    std::string program { SYSTEM_DOCKER };
    int in { 0 };
    int out { 1 };
    int err { 2 };
};

using Args = std::vector<std::string>;
using Verb = int (*)(Cli&, const Args&);

// Writes everything to the program's stdout / stderr (EPIPE is ignored: a
// reader that went away, as `| head`, is not an error worth a message).
void write_out(const Cli& cli, std::string_view text);
void write_err(const Cli& cli, std::string_view text);

// An error as docker prints it: "Error response from daemon: <message>" when
// the daemon answered with it, else the message alone. Call it right after the
// failing call (it reads the client's last status).
std::string error_text(const Cli& cli, const Error& error);
// As error_text, but a 404 reads "Error: No such <object>: <id>", as docker's
// client words it for inspect, logs, rm and rmi.
std::string object_error_text(const Cli& cli, const Error& error, std::string_view object, std::string_view id);
// Prints `message` (if any) and a newline to stderr and returns `code`.
int fail(const Cli& cli, std::string_view message, int code = 1);

enum class ArgCount {
    None, // "accepts no arguments"
    AtLeast, // "requires at least N argument(s)"
    Exactly, // "requires exactly N argument(s)"
    AtMost, // "requires at most N argument(s)"
};

// Parses a verb's flags and checks its argument count, printing docker's
// messages: a flag error exits 125 ("unknown flag: --x\nSee 'system-docker ps
// --help'."), a wrong count 1, --help 0. Returns the exit code when the verb
// must stop there, else nothing and `positional` filled.
std::optional<int> parse_verb(
    Cli& cli, FlagSet& flags, std::string_view verb, const Args& args, ArgCount rule, size_t count, Args& positional);

// Registers -f/--filter, refusing a value without "=" when parsed, as docker's
// FilterOpt does.
void add_filter_flag(FlagSet& flags, std::vector<std::string>* filters);

// --filter values: "key=value" each, as the API's filters JSON
// ({"key":{"value":true}}). EINVAL "bad format of filter (expected name=value)".
ErrorOr<std::string> filters_json(const std::vector<std::string>& filters);

// The Go field names of Docker's API types whose JSON keys differ
// (HostConfig.DNS is "Dns", Version.APIVersion "ApiVersion", events' Status
// "status"), for TemplateData::field_aliases.
const std::map<std::string, std::string>& go_field_aliases();

// Nanoseconds since the epoch, now (CLOCK_REALTIME).
int64_t now_nanoseconds();

// ---- ps, images: one TemplateData per row, as docker's formatter contexts.

// A container of GET /containers/json as formatter.ContainerContext: the
// fields ID, Names, Image, Command, CreatedAt, RunningFor, Ports, State,
// Status, Size, Labels, Mounts, LocalVolumes, Networks, and the method Label.
TemplateData container_row(const Json& container, bool truncate, int64_t now_ns);
// Column titles for ps.
Json container_header();
// docker's DisplayablePorts of a container's Ports array.
std::string displayable_ports(const Json& ports);
// The image column of ps: a familiar name, a truncated ID, "<no image>".
std::string container_image_column(const Json& container, bool truncate);

// An image of GET /images/json as formatter.imageContext rows: one per
// repository:tag (and digest with --digests), or one "<none>" row.
std::vector<TemplateData> image_rows(
    const Json& image, bool truncate, bool show_digests, bool need_digest, int64_t now_ns);
Json image_header();

// The format ps uses: docker's NewContainerFormat.
std::string container_format(std::string_view format, bool quiet, bool size);
// The format images uses: docker's NewImageFormat.
std::string image_format(std::string_view format, bool quiet, bool digests);

// ---- run, create: the body of POST /containers/create.

struct ContainerOptions {
    // Set by the flags (run and create).
    std::vector<std::string> attach, env, env_file, labels, label_file, volumes, volumes_from, tmpfs, devices, cap_add,
        cap_drop, log_opts, publish, expose, dns, dns_search, dns_options, add_hosts, links, group_add, security_opts,
        sysctls, ulimits, mounts, storage_opts, device_cgroup_rules;
    std::string name, entrypoint, hostname, domainname, user, workdir, restart { "no" }, network, pid, ipc, uts, userns,
        cgroupns, log_driver, stop_signal, cgroup_parent, runtime, mac_address, ip, ip6, cpuset_cpus, cpuset_mems,
        health_cmd, platform, pull { "missing" }, cidfile, isolation, volume_driver;
    bool interactive { false }, tty { false }, rm { false }, privileged { false }, read_only { false },
        publish_all { false }, oom_kill_disable { false }, no_healthcheck { false }, init { false }, detach { false },
        sig_proxy { true };
    int64_t memory { 0 }, memory_reservation { 0 }, memory_swap { 0 }, kernel_memory { 0 }, shm_size { 0 },
        nano_cpus { 0 }, cpu_shares { 0 }, cpu_period { 0 }, cpu_quota { 0 }, cpu_rt_period { 0 }, cpu_rt_runtime { 0 },
        pids_limit { 0 }, memory_swappiness { -1 }, oom_score_adj { 0 }, stop_timeout { 0 }, blkio_weight { 0 },
        health_retries { 0 };
    int64_t health_interval { 0 }, health_timeout { 0 }, health_start_period { 0 }; // nanoseconds
    // Which flags were given (docker sends some fields only then).
    bool entrypoint_set { false }, init_set { false }, stop_signal_set { false }, stop_timeout_set { false };

    std::string image;
    std::vector<std::string> command;
};

// docker's opts.ValidateEnv: "K=V" as it is; "K" alone takes K's value from
// this process's environment when it has one. EINVAL for "=V".
ErrorOr<std::string> validate_env(const std::string& value);

// Registers the flags of run and create (docker's addFlags) on `flags`.
void add_container_flags(FlagSet& flags, ContainerOptions& options);
// Records which flags were given, after parsing.
void note_changed_flags(const FlagSet& flags, ContainerOptions& options);

// The JSON body docker's ContainerCreate sends for these options: the fields
// of container.Config, then HostConfig and NetworkingConfig, in the order and
// with the defaults Go's encoding gives them. `detach` is run's -d (which
// clears the attach fields). Errors (EINVAL) carry docker's words, e.g.
// "invalid restart policy format", "Conflicting options: --restart and --rm".
ErrorOr<Json> build_create_body(const ContainerOptions& options, bool detach);

// ---- exec: the body of POST /containers/{id}/exec.
struct ExecOptions {
    bool interactive { false }, tty { false }, detach { false }, privileged { false };
    std::string user, workdir, detach_keys;
    std::vector<std::string> env, env_file;
    std::vector<std::string> command;
};
ErrorOr<Json> build_exec_body(const ExecOptions& options);

// Pulls `image` (POST /images/create), showing docker's progress output on
// `out_fd` (a progress bar on a terminal, one line per message elsewhere).
// Errors: the daemon's, or the first error message in the stream.
ErrorOr<void> pull_image(Cli& cli, const std::string& image, int out_fd, bool quiet);

// ---- verbs (one group per file).
int ps_main(Cli&, const Args&);
int inspect_main(Cli&, const Args&);
int logs_main(Cli&, const Args&);
int top_main(Cli&, const Args&);
int wait_main(Cli&, const Args&);
int stop_main(Cli&, const Args&);
int restart_main(Cli&, const Args&);
int kill_main(Cli&, const Args&);
int rm_main(Cli&, const Args&);
int run_main(Cli&, const Args&);
int create_main(Cli&, const Args&);
int start_main(Cli&, const Args&);
int exec_main(Cli&, const Args&);
int images_main(Cli&, const Args&);
int rmi_main(Cli&, const Args&);
int pull_main(Cli&, const Args&);
int load_main(Cli&, const Args&);
int save_main(Cli&, const Args&);
int tag_main(Cli&, const Args&);
int version_main(Cli&, const Args&);
int info_main(Cli&, const Args&);
int events_main(Cli&, const Args&);
int stats_main(Cli&, const Args&);

} // namespace corral::cli
