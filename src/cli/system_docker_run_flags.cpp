// The flags of run and create, as docker/cli's addFlags registers them
// (cli/command/container/opts.go), with the parsing docker does when a flag
// is set: sizes, durations, CPUs, environment variables.

#include "cli/system_docker_cli.h"
#include "cli/system_docker_format.h"

#include <cctype>
#include <cstdlib>

namespace corral::cli {

namespace {

// big.Rat of a decimal text times 1e9, which must be a whole number.
ErrorOr<int64_t> parse_nano_cpus(std::string_view text)
{
    std::string s(text);
    auto fail = [&] { return Error::from_string("failed to parse " + s + " as a rational number"); };
    if (s.empty())
        return fail();
    bool negative = s[0] == '-';
    size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    int64_t whole = 0;
    int64_t fraction = 0;
    int fraction_digits = 0;
    bool any = false;
    for (; i < s.size() && s[i] != '.'; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(s[i])) || whole > 1000000000)
            return fail();
        whole = whole * 10 + (s[i] - '0');
        any = true;
    }
    if (i < s.size()) {
        for (++i; i < s.size(); ++i) {
            if (!std::isdigit(static_cast<unsigned char>(s[i])))
                return fail();
            any = true;
            if (fraction_digits == 9) {
                if (s[i] != '0')
                    return Error::from_string("value is too precise");
                continue;
            }
            fraction = fraction * 10 + (s[i] - '0');
            ++fraction_digits;
        }
    }
    if (!any)
        return fail();
    while (fraction_digits < 9) {
        fraction *= 10;
        ++fraction_digits;
    }
    int64_t value = whole * 1000000000 + fraction;
    return negative ? -value : value;
}

} // namespace

// opts.ValidateEnv: "K=V" as is; "K" takes K's value here, if it has one.
ErrorOr<std::string> validate_env(const std::string& value)
{
    auto equals = value.find('=');
    if (equals == 0)
        return Error::from_string("invalid environment variable: " + value);
    if (equals != std::string::npos)
        return value;
    if (const char* set = std::getenv(value.c_str()))
        return value + "=" + set;
    return value;
}

void add_container_flags(FlagSet& flags, ContainerOptions& o)
{
    flags.add_value(
        "attach", 'a', "list",
        [&o](std::string_view value) -> ErrorOr<void> {
            std::string lower(value);
            for (char& c : lower)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (lower != "stdin" && lower != "stdout" && lower != "stderr")
                return Error::from_string("valid streams are STDIN, STDOUT and STDERR");
            o.attach.push_back(lower);
            return {};
        },
        "Attach to STDIN, STDOUT or STDERR");
    flags.add_list("device", 0, &o.devices, "Add a host device to the container");
    flags.add_list("device-cgroup-rule", 0, &o.device_cgroup_rules, "Add a rule to the cgroup allowed devices list");
    flags.add_value(
        "env", 'e', "list",
        [&o](std::string_view value) -> ErrorOr<void> {
            o.env.push_back(TRY(validate_env(std::string(value))));
            return {};
        },
        "Set environment variables");
    flags.add_list("env-file", 0, &o.env_file, "Read in a file of environment variables");
    flags.add_string("entrypoint", 0, &o.entrypoint, "Overwrite the default ENTRYPOINT of the image");
    flags.add_list("group-add", 0, &o.group_add, "Add additional groups to join");
    flags.add_string("hostname", 'h', &o.hostname, "Container host name");
    flags.add_string("domainname", 0, &o.domainname, "Container NIS domain name");
    flags.add_bool("interactive", 'i', &o.interactive, "Keep STDIN open even if not attached");
    flags.add_list("label", 'l', &o.labels, "Set meta data on a container");
    flags.add_list("label-file", 0, &o.label_file, "Read in a line delimited file of labels");
    flags.add_bool("read-only", 0, &o.read_only, "Mount the container's root filesystem as read only");
    flags.add_string("restart", 0, &o.restart, "Restart policy to apply when a container exits");
    flags.add_string("stop-signal", 0, &o.stop_signal, "Signal to stop a container");
    flags.add_int("stop-timeout", 0, &o.stop_timeout, "Timeout (in seconds) to stop a container");
    flags.add_list("sysctl", 0, &o.sysctls, "Sysctl options");
    flags.add_bool("tty", 't', &o.tty, "Allocate a pseudo-TTY");
    flags.add_list("ulimit", 0, &o.ulimits, "Ulimit options");
    flags.add_string("user", 'u', &o.user, "Username or UID (format: <name|uid>[:<group|gid>])");
    flags.add_string("workdir", 'w', &o.workdir, "Working directory inside the container");
    flags.add_bool("rm", 0, &o.rm, "Automatically remove the container when it exits");
    flags.add_list("cap-add", 0, &o.cap_add, "Add Linux capabilities");
    flags.add_list("cap-drop", 0, &o.cap_drop, "Drop Linux capabilities");
    flags.add_bool("privileged", 0, &o.privileged, "Give extended privileges to this container");
    flags.add_list("security-opt", 0, &o.security_opts, "Security Options");
    flags.add_string("userns", 0, &o.userns, "User namespace to use");
    flags.add_string("cgroupns", 0, &o.cgroupns, "Cgroup namespace to use (host|private)");
    flags.add_list("add-host", 0, &o.add_hosts, "Add a custom host-to-IP mapping (host:ip)");
    flags.add_list("dns", 0, &o.dns, "Set custom DNS servers");
    flags.add_list("dns-option", 0, &o.dns_options, "Set DNS options");
    flags.add_list("dns-opt", 0, &o.dns_options, "Set DNS options");
    flags.hide("dns-opt");
    flags.add_list("dns-search", 0, &o.dns_search, "Set custom DNS search domains");
    flags.add_list("expose", 0, &o.expose, "Expose a port or a range of ports");
    flags.add_string("ip", 0, &o.ip, "IPv4 address (e.g., 172.30.100.104)");
    flags.add_string("ip6", 0, &o.ip6, "IPv6 address (e.g., 2001:db8::33)");
    flags.add_list("link", 0, &o.links, "Add link to another container");
    flags.add_string("mac-address", 0, &o.mac_address, "Container MAC address (e.g., 92:d0:c6:0a:29:33)");
    flags.add_list("publish", 'p', &o.publish, "Publish a container's port(s) to the host");
    flags.add_bool("publish-all", 'P', &o.publish_all, "Publish all exposed ports to random ports");
    flags.add_string("network", 0, &o.network, "Connect a container to a network");
    flags.add_string("net", 0, &o.network, "Connect a container to a network");
    flags.hide("net");
    flags.add_string("log-driver", 0, &o.log_driver, "Logging driver for the container");
    flags.add_string("volume-driver", 0, &o.volume_driver, "Optional volume driver for the container");
    flags.add_list("log-opt", 0, &o.log_opts, "Log driver options");
    flags.add_list("storage-opt", 0, &o.storage_opts, "Storage driver options for the container");
    flags.add_list("tmpfs", 0, &o.tmpfs, "Mount a tmpfs directory");
    flags.add_list("volumes-from", 0, &o.volumes_from, "Mount volumes from the specified container(s)");
    flags.add_list("volume", 'v', &o.volumes, "Bind mount a volume");
    flags.add_list("mount", 0, &o.mounts, "Attach a filesystem mount to the container");
    flags.add_string("health-cmd", 0, &o.health_cmd, "Command to run to check health");
    auto duration = [](int64_t* target) {
        return [target](std::string_view value) -> ErrorOr<void> {
            *target = TRY(parse_go_duration(value));
            return {};
        };
    };
    flags.add_value("health-interval", 0, "duration", duration(&o.health_interval),
        "Time between running the check (ms|s|m|h) (default 0s)");
    flags.add_int("health-retries", 0, &o.health_retries, "Consecutive failures needed to report unhealthy");
    flags.add_value("health-timeout", 0, "duration", duration(&o.health_timeout),
        "Maximum time to allow one check to run (ms|s|m|h) (default 0s)");
    flags.add_value("health-start-period", 0, "duration", duration(&o.health_start_period),
        "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default "
        "0s)");
    flags.add_bool("no-healthcheck", 0, &o.no_healthcheck, "Disable any container-specified HEALTHCHECK");
    flags.add_int("blkio-weight", 0, &o.blkio_weight,
        "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)");
    flags.add_string("cidfile", 0, &o.cidfile, "Write the container ID to the file");
    flags.add_string("cpuset-cpus", 0, &o.cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
    flags.add_string("cpuset-mems", 0, &o.cpuset_mems, "MEMs in which to allow execution (0-3, 0,1)");
    flags.add_int("cpu-period", 0, &o.cpu_period, "Limit CPU CFS (Completely Fair Scheduler) period");
    flags.add_int("cpu-quota", 0, &o.cpu_quota, "Limit CPU CFS (Completely Fair Scheduler) quota");
    flags.add_int("cpu-rt-period", 0, &o.cpu_rt_period, "Limit CPU real-time period in microseconds");
    flags.add_int("cpu-rt-runtime", 0, &o.cpu_rt_runtime, "Limit CPU real-time runtime in microseconds");
    flags.add_int("cpu-shares", 'c', &o.cpu_shares, "CPU shares (relative weight)");
    flags.add_value(
        "cpus", 0, "decimal",
        [&o](std::string_view value) -> ErrorOr<void> {
            o.nano_cpus = TRY(parse_nano_cpus(value));
            return {};
        },
        "Number of CPUs");
    auto bytes = [](int64_t* target) {
        return [target](std::string_view value) -> ErrorOr<void> {
            *target = TRY(ram_in_bytes(value));
            return {};
        };
    };
    flags.add_value("kernel-memory", 0, "bytes", bytes(&o.kernel_memory), "Kernel memory limit");
    flags.add_value("memory", 'm', "bytes", bytes(&o.memory), "Memory limit");
    flags.add_value("memory-reservation", 0, "bytes", bytes(&o.memory_reservation), "Memory soft limit");
    flags.add_value(
        "memory-swap", 0, "bytes",
        [&o](std::string_view value) -> ErrorOr<void> {
            o.memory_swap = value == "-1" ? -1 : TRY(ram_in_bytes(value));
            return {};
        },
        "Swap limit equal to memory plus swap: '-1' to enable unlimited swap");
    flags.add_int("memory-swappiness", 0, &o.memory_swappiness, "Tune container memory swappiness (0 to 100)");
    flags.add_bool("oom-kill-disable", 0, &o.oom_kill_disable, "Disable OOM Killer");
    flags.add_int("oom-score-adj", 0, &o.oom_score_adj, "Tune host's OOM preferences (-1000 to 1000)");
    flags.add_int("pids-limit", 0, &o.pids_limit, "Tune container pids limit (set -1 for unlimited)");
    flags.add_string("cgroup-parent", 0, &o.cgroup_parent, "Optional parent cgroup for the container");
    flags.add_string("ipc", 0, &o.ipc, "IPC mode to use");
    flags.add_string("isolation", 0, &o.isolation, "Container isolation technology");
    flags.add_string("pid", 0, &o.pid, "PID namespace to use");
    flags.add_value("shm-size", 0, "bytes", bytes(&o.shm_size), "Size of /dev/shm");
    flags.add_string("uts", 0, &o.uts, "UTS namespace to use");
    flags.add_string("runtime", 0, &o.runtime, "Runtime to use for this container");
    flags.add_bool("init", 0, &o.init, "Run an init inside the container that forwards signals and reaps processes");
    flags.add_string("platform", 0, &o.platform, "Set platform if server is multi-platform capable");
    flags.add_string("pull", 0, &o.pull, "Pull image before running (\"always\"|\"missing\"|\"never\")");
}

void note_changed_flags(const FlagSet& flags, ContainerOptions& o)
{
    o.entrypoint_set = flags.changed("entrypoint");
    o.init_set = flags.changed("init");
    o.stop_signal_set = flags.changed("stop-signal");
    o.stop_timeout_set = flags.changed("stop-timeout");
}

} // namespace corral::cli
