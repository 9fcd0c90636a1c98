#include "runtime/spec_builder.h"

#include "runtime/paths.h"
#include "runtime/signals.h"
#include "runtime/spec_builder_internal.h"
#include "runtime/user_lookup.h"

#include <algorithm>

namespace corral::runtime {

namespace {

constexpr std::string_view DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr int DEFAULT_STOP_TIMEOUT = 10;

std::string_view env_key(std::string_view entry)
{
    return entry.substr(0, entry.find('='));
}

bool is_empty(const std::optional<std::vector<std::string>>& list)
{
    return !list || list->empty();
}

// Docker's ReplaceOrAppendEnvValues: an override replaces the default with its
// name or is appended; an override without "=" removes the default of that
// name (and is otherwise dropped).
std::vector<std::string> replace_or_append_env(
    std::vector<std::string> defaults, const std::vector<std::string>& overrides)
{
    std::vector<bool> removed(defaults.size(), false);
    size_t default_count = defaults.size();
    for (auto const& entry : overrides) {
        bool has_value = entry.find('=') != std::string::npos;
        auto key = env_key(entry);
        auto it = std::find_if(defaults.begin(), defaults.begin() + static_cast<ptrdiff_t>(default_count),
            [&](const std::string& d) { return env_key(d) == key; });
        bool exists = it != defaults.begin() + static_cast<ptrdiff_t>(default_count);
        if (!has_value) {
            if (exists)
                removed[static_cast<size_t>(it - defaults.begin())] = true;
            continue;
        }
        if (exists) {
            *it = entry;
            removed[static_cast<size_t>(it - defaults.begin())] = false;
        } else
            defaults.push_back(entry);
    }
    std::vector<std::string> out;
    for (size_t i = 0; i < defaults.size(); ++i) {
        if (i >= removed.size() || !removed[i])
            out.push_back(defaults[i]);
    }
    return out;
}

ErrorOr<std::vector<std::string>> command_line(const ContainerConfig& merged)
{
    std::vector<std::string> entrypoint = merged.entrypoint.value_or(std::vector<std::string> {});
    // [""] is how a client resets the image's entrypoint.
    if (entrypoint.size() == 1 && entrypoint[0].empty())
        entrypoint.clear();
    std::vector<std::string> cmd = merged.cmd.value_or(std::vector<std::string> {});
    if (entrypoint.empty() && cmd.empty())
        return Error::from_string("no command specified");
    std::vector<std::string> args = std::move(entrypoint);
    args.insert(args.end(), cmd.begin(), cmd.end());
    return args;
}

// The hostname and domain name the container sees, with Docker's checks.
ErrorOr<void> choose_hostname(const BuildInput& input, const ContainerConfig& merged, Spec& spec)
{
    auto const& host = input.host;
    if (detail::is_container_mode(host.network_mode)) {
        if (!merged.hostname.empty())
            return Error::from_string("conflicting options: hostname and the network mode");
        spec.hostname = input.inherited_hostname;
        spec.domainname = input.inherited_domainname;
        return {};
    }
    if (host.uts_mode == "host" && !merged.hostname.empty())
        return Error::from_string("conflicting options: hostname and the UTS mode");
    spec.hostname = merged.hostname;
    spec.domainname = merged.domainname;
    if (spec.hostname.empty()) {
        if (host.network_mode == "host" && !input.inherited_hostname.empty())
            spec.hostname = input.inherited_hostname;
        else
            spec.hostname = input.id.substr(0, 12);
    }
    return {};
}

ErrorOr<void> build_process(const BuildInput& input, const ContainerConfig& merged, Spec& spec)
{
    auto& process = spec.process;
    process.args = TRY(command_line(merged));
    process.terminal = merged.tty;
    process.open_stdin = merged.open_stdin;

    auto exec_user = TRY(resolve_user(merged.user, input.passwd, input.group));
    auto extra_gids = TRY(resolve_additional_groups(input.host.group_add, input.group));
    process.user.uid = exec_user.uid;
    process.user.gid = exec_user.gid;
    process.user.home = exec_user.home.empty() ? "/" : exec_user.home;
    // As Docker: the primary group first, then /etc/group membership, then
    // GroupAdd. Duplicates are dropped (setgroups would accept them).
    std::vector<gid_t> gids { exec_user.gid };
    gids.insert(gids.end(), exec_user.supplementary_gids.begin(), exec_user.supplementary_gids.end());
    gids.insert(gids.end(), extra_gids.begin(), extra_gids.end());
    for (gid_t gid : gids) {
        if (std::find(process.user.additional_gids.begin(), process.user.additional_gids.end(), gid)
            == process.user.additional_gids.end())
            process.user.additional_gids.push_back(gid);
    }

    // HOSTNAME is Config.Hostname even when the UTS namespace is the host's:
    // Docker's quirk, kept so that scripts see what they see under Docker.
    std::string env_hostname = spec.hostname;
    std::vector<std::string> defaults { "PATH=" + std::string(DEFAULT_PATH), "HOSTNAME=" + env_hostname };
    if (merged.tty)
        defaults.push_back("TERM=xterm");
    process.env = replace_or_append_env(std::move(defaults), merged.env);
    bool has_home = std::any_of(
        process.env.begin(), process.env.end(), [](const std::string& e) { return env_key(e) == "HOME"; });
    if (!has_home)
        process.env.push_back("HOME=" + process.user.home);

    std::string cwd = merged.working_dir.empty() ? "/" : merged.working_dir;
    if (!cwd.starts_with('/'))
        return Error::from_string("the working directory '" + cwd + "' is invalid, it needs to be an absolute path");
    process.cwd = clean_path(cwd);

    spec.stop_signal = merged.stop_signal.empty() ? "SIGTERM" : TRY(normalize_signal(merged.stop_signal));
    spec.stop_timeout = input.config.stop_timeout.value_or(DEFAULT_STOP_TIMEOUT);
    return {};
}

} // namespace

bool detail::has_namespace(const Spec& spec, NamespaceType type)
{
    return std::any_of(
        spec.namespaces.begin(), spec.namespaces.end(), [&](const Namespace& ns) { return ns.type == type; });
}

ContainerConfig merge_image_defaults(ContainerConfig config, const ImageDefaults& image)
{
    if (config.user.empty())
        config.user = image.user;
    if (config.env.empty()) {
        config.env = image.env;
    } else {
        std::vector<std::string> from_image;
        for (auto const& entry : image.env) {
            bool overridden = std::any_of(config.env.begin(), config.env.end(),
                [&](const std::string& mine) { return env_key(mine) == env_key(entry); });
            if (!overridden)
                from_image.push_back(entry);
        }
        config.env.insert(config.env.end(), from_image.begin(), from_image.end());
    }
    for (auto const& [key, value] : image.labels)
        config.labels.emplace(key, value); // keeps the container's value
    if (is_empty(config.entrypoint)) {
        if (is_empty(config.cmd))
            config.cmd = image.cmd;
        // Only an absent entrypoint inherits; [] and [""] reset the image's.
        if (!config.entrypoint)
            config.entrypoint = image.entrypoint;
    }
    if (config.working_dir.empty())
        config.working_dir = image.working_dir;
    for (auto const& volume : image.volumes) {
        if (std::find(config.volumes.begin(), config.volumes.end(), volume) == config.volumes.end())
            config.volumes.push_back(volume);
    }
    std::sort(config.volumes.begin(), config.volumes.end());
    if (config.stop_signal.empty())
        config.stop_signal = image.stop_signal;
    return config;
}

ErrorOr<Spec> build_spec(const BuildInput& input)
{
    TRY(validate_container_config(input.config));
    TRY(validate_host_config(input.host));
    ContainerConfig merged = merge_image_defaults(input.config, input.image);

    Spec spec;
    spec.id = input.id;
    spec.privileged = input.host.privileged;
    spec.lower_dirs = input.lower_dirs;
    spec.upper_dir = input.upper_dir;
    spec.work_dir = input.work_dir;
    spec.rootfs = input.rootfs;
    spec.readonly_rootfs = input.host.readonly_rootfs;

    TRY(choose_hostname(input, merged, spec));
    TRY(build_process(input, merged, spec));
    TRY(detail::build_namespaces(input, spec));
    TRY(detail::build_sysctls(input, spec));
    TRY(detail::build_mounts(input, spec));
    TRY(detail::build_devices(input, spec));
    TRY(detail::build_security(input, spec));
    TRY(detail::build_resources(input, spec));

    // As Docker: the init only where it would be PID 1, in a PID namespace of
    // the container's own.
    spec.init = input.host.init.value_or(false) && input.host.pid_mode.empty();
    return spec;
}

} // namespace corral::runtime
