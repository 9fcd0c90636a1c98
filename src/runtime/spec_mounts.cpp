#include "runtime/paths.h"
#include "runtime/spec_builder_internal.h"

#include "base/strings.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

namespace corral::runtime {

namespace {

constexpr int64_t DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

// Mount flags as moby/sys/mount names them. Options that set or clear the
// same flag (ro/rw, exec/noexec, …) collide in merge_tmpfs_options(), and
// all propagation options collide with each other.
struct MountFlag {
    std::string_view name;
    int key; // equal keys collide; PROPAGATION for the propagation options
};

constexpr int PROPAGATION = -1;

constexpr MountFlag MOUNT_FLAGS[] = {
    { "ro", 1 },
    { "rw", 1 },
    { "suid", 2 },
    { "nosuid", 2 },
    { "dev", 3 },
    { "nodev", 3 },
    { "exec", 4 },
    { "noexec", 4 },
    { "sync", 5 },
    { "async", 5 },
    { "dirsync", 6 },
    { "remount", 7 },
    { "mand", 8 },
    { "nomand", 8 },
    { "atime", 9 },
    { "noatime", 9 },
    { "diratime", 10 },
    { "nodiratime", 10 },
    { "relatime", 11 },
    { "norelatime", 11 },
    { "strictatime", 12 },
    { "nostrictatime", 12 },
    { "bind", PROPAGATION },
    { "rbind", PROPAGATION },
    { "unbindable", PROPAGATION },
    { "runbindable", PROPAGATION },
    { "private", PROPAGATION },
    { "rprivate", PROPAGATION },
    { "shared", PROPAGATION },
    { "rshared", PROPAGATION },
    { "slave", PROPAGATION },
    { "rslave", PROPAGATION },
};

constexpr std::string_view TMPFS_DATA_OPTIONS[] = { "size", "mode", "uid", "gid", "nr_inodes", "nr_blocks", "mpol" };

std::optional<int> flag_key(std::string_view option)
{
    for (auto const& flag : MOUNT_FLAGS) {
        if (flag.name == option)
            return flag.key;
    }
    return std::nullopt;
}

bool has_option(const Mount& m, std::string_view option)
{
    return std::find(m.options.begin(), m.options.end(), option) != m.options.end();
}

void clear_read_only(Mount& m)
{
    std::erase(m.options, "ro");
}

std::vector<Mount> default_mounts(const BuildInput& input, const Spec& spec)
{
    auto const& host = input.host;
    std::vector<Mount> mounts {
        { "/proc", "proc", "proc", { "nosuid", "noexec", "nodev" } },
        { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k" } },
        { "/dev/pts", "devpts", "devpts",
            { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" } },
        { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro" } },
    };
    if (input.cgroup_version == CgroupVersion::V2) {
        Mount cgroup { "/sys/fs/cgroup", "cgroup2", "cgroup", { "ro", "nosuid", "noexec", "nodev" } };
        // nsdelegate makes cgroup namespaces delegation boundaries. The kernel
        // applies it system-wide from the initial cgroup namespace and ignores
        // it in any other (Documentation/admin-guide/cgroup-v2.rst), so it is
        // asked for only in a namespace of the container's own, where it
        // cannot change the host's hierarchy.
        if (detail::has_namespace(spec, NamespaceType::Cgroup))
            cgroup.options.push_back("nsdelegate");
        mounts.push_back(std::move(cgroup));
    } else {
        // cgroup v1 (and hybrid): runc builds a tmpfs with one bind per
        // controller; a read-only recursive bind of the host's hierarchy is the
        // simpler equivalent chosen here. It shows other cgroups' names and
        // limits, read-only, which runc's layout does not.
        mounts.push_back(
            { "/sys/fs/cgroup", "bind", "/sys/fs/cgroup", { "rbind", "ro", "nosuid", "noexec", "nodev" } });
    }
    mounts.push_back({ "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" } });
    if (host.ipc_mode != "none") {
        int64_t size = host.shm_size > 0 ? host.shm_size : DEFAULT_SHM_SIZE;
        mounts.push_back({ "/dev/shm", "tmpfs", "shm",
            { "nosuid", "noexec", "nodev", "mode=1777", "size=" + std::to_string(size) } });
    }
    return mounts;
}

Mount bind_mount(
    const std::string& source, const std::string& destination, bool read_only, const std::string& propagation)
{
    Mount m { destination, "bind", source, { "rbind" } };
    if (read_only)
        m.options.push_back("ro");
    if (!propagation.empty())
        m.options.push_back(propagation);
    return m;
}

// Docker's ConvertTmpfsOptions for a Mounts entry of type tmpfs.
std::string tmpfs_data(const MountSpec& m)
{
    std::vector<std::string> options;
    if (m.read_only)
        options.push_back("ro");
    if (m.tmpfs_mode != 0) {
        char mode[16];
        snprintf(mode, sizeof mode, "mode=%o", m.tmpfs_mode);
        options.push_back(mode);
    }
    if (m.tmpfs_size_bytes != 0) {
        int64_t size = m.tmpfs_size_bytes;
        std::string suffix;
        for (auto [unit, divisor] : { std::pair { "g", int64_t(1) << 30 }, std::pair { "m", int64_t(1) << 20 },
                 std::pair { "k", int64_t(1) << 10 } }) {
            if (size % divisor == 0) {
                size /= divisor;
                suffix = unit;
                break;
            }
        }
        options.push_back("size=" + std::to_string(size) + suffix);
    }
    return join(options, ",");
}

ErrorOr<Mount> tmpfs_mount(const std::string& destination, const std::string& data)
{
    std::vector<std::string> options { "noexec", "nosuid", "nodev", "rprivate" };
    if (!data.empty()) {
        for (auto& option : split(data, ','))
            options.push_back(std::move(option));
    }
    auto merged = TRY(merge_tmpfs_options(options));
    return Mount { clean_path(destination), "tmpfs", "tmpfs", std::move(merged) };
}

bool covers(const std::vector<Mount>& mounts, std::string_view destination)
{
    return std::any_of(mounts.begin(), mounts.end(), [&](const Mount& m) { return m.destination == destination; });
}

// Mounts asked for by the container (Docker's "user mounts"), in Docker's
// order before sorting: volumes, /etc files, shared /dev/shm, tmpfs.
ErrorOr<std::vector<Mount>> user_mounts(const BuildInput& input)
{
    auto const& host = input.host;
    std::vector<Mount> tmpfs;
    for (auto const& [destination, data] : host.tmpfs)
        tmpfs.push_back(TRY(tmpfs_mount(destination, data)));
    for (auto const& m : host.mounts) {
        if (m.type == MountType::Tmpfs)
            tmpfs.push_back(TRY(tmpfs_mount(m.target, tmpfs_data(m))));
    }

    std::vector<Mount> volumes;
    for (auto const& v : input.volumes) {
        std::string destination = clean_path(v.destination);
        if (covers(tmpfs, destination)) // a tmpfs wins over a volume, as in Docker
            continue;
        volumes.push_back(bind_mount(v.source, destination, v.read_only, v.propagation));
    }
    std::stable_sort(volumes.begin(), volumes.end(),
        [](const Mount& a, const Mount& b) { return path_depth(a.destination) < path_depth(b.destination); });

    std::vector<Mount> out = volumes;
    // The /etc files are read-only with a read-only root, unless a volume
    // replaces them.
    for (auto [path, destination] : { std::pair { &input.resolv_conf_path, "/etc/resolv.conf" },
             std::pair { &input.hostname_path, "/etc/hostname" }, std::pair { &input.hosts_path, "/etc/hosts" } }) {
        if (!path->empty() && !covers(volumes, destination))
            out.push_back(bind_mount(*path, destination, host.readonly_rootfs, "rprivate"));
    }
    // Sharing /dev/shm with the host or another container, unless a volume or
    // tmpfs takes its place.
    std::string shm_source;
    if (host.ipc_mode == "host")
        shm_source = "/dev/shm";
    else if (detail::is_container_mode(host.ipc_mode))
        shm_source = input.shared_shm_path;
    if (!shm_source.empty() && !covers(volumes, "/dev/shm") && !covers(tmpfs, "/dev/shm"))
        out.push_back(bind_mount(shm_source, "/dev/shm", false, "rprivate"));
    out.insert(out.end(), tmpfs.begin(), tmpfs.end());

    std::stable_sort(out.begin(), out.end(),
        [](const Mount& a, const Mount& b) { return path_depth(a.destination) < path_depth(b.destination); });
    return out;
}

} // namespace

ErrorOr<std::vector<std::string>> merge_tmpfs_options(const std::vector<std::string>& options)
{
    std::vector<std::string> reversed;
    std::vector<int> seen_flags;
    std::vector<std::string> seen_data;
    for (auto it = options.rbegin(); it != options.rend(); ++it) {
        auto const& option = *it;
        if (option == "defaults")
            continue;
        if (auto key = flag_key(option)) {
            if (std::find(seen_flags.begin(), seen_flags.end(), *key) == seen_flags.end()) {
                seen_flags.push_back(*key);
                reversed.push_back(option);
            }
            continue;
        }
        auto equals = option.find('=');
        std::string name = option.substr(0, equals);
        bool known = std::find(std::begin(TMPFS_DATA_OPTIONS), std::end(TMPFS_DATA_OPTIONS), name)
            != std::end(TMPFS_DATA_OPTIONS);
        if (equals == std::string::npos || !known)
            return Error::from_string("invalid tmpfs option \"" + name + "\"");
        if (std::find(seen_data.begin(), seen_data.end(), name) == seen_data.end()) {
            seen_data.push_back(name);
            reversed.push_back(option);
        }
    }
    return std::vector<std::string>(reversed.rbegin(), reversed.rend());
}

namespace detail {

ErrorOr<void> build_mounts(const BuildInput& input, Spec& spec)
{
    auto const& host = input.host;
    auto mine = TRY(user_mounts(input));
    bool covers_dev = covers(mine, "/dev");

    for (auto& m : default_mounts(input, spec)) {
        if (covers(mine, m.destination))
            continue;
        if (covers_dev && m.destination.starts_with("/dev/"))
            continue;
        // A read-only root makes the remaining defaults read-only too, except
        // those a process needs to write to.
        static constexpr std::string_view WRITABLE[] = { "/proc", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev" };
        bool writable = std::find(std::begin(WRITABLE), std::end(WRITABLE), m.destination) != std::end(WRITABLE);
        if (host.readonly_rootfs && !writable && !has_option(m, "ro"))
            m.options.push_back("ro");
        spec.mounts.push_back(std::move(m));
    }

    // Privileged: a writable /sys and cgroup file system.
    auto security = TRY(parse_security_options(host.security_opt));
    bool writable_cgroups = security.writable_cgroups.value_or(host.privileged);
    for (auto& m : spec.mounts) {
        if (host.privileged && m.destination == "/sys")
            clear_read_only(m);
        if (writable_cgroups && m.destination == "/sys/fs/cgroup")
            clear_read_only(m);
    }
    spec.mounts.insert(spec.mounts.end(), mine.begin(), mine.end());

    // Docker makes the root mount shared (or a slave) when a volume needs its
    // mounts to propagate that way.
    for (auto const& v : input.volumes) {
        if (v.propagation == "shared" || v.propagation == "rshared")
            spec.rootfs_propagation = "shared";
        else if ((v.propagation == "slave" || v.propagation == "rslave") && spec.rootfs_propagation.empty())
            spec.rootfs_propagation = "rslave";
    }
    return {};
}

} // namespace detail

} // namespace corral::runtime
