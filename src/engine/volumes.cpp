#include "engine/volumes.h"

#include "base/fd.h"
#include "base/file.h"
#include "base/log.h"
#include "base/scope_guard.h"
#include "base/strings.h"
#include "base/system.h"
#include "base/time.h"
#include "engine/volumes_internal.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace corral::engine {

using nlohmann::json;

namespace {

constexpr std::string_view CREATE_PREFIX = ".create-";
constexpr std::string_view REMOVE_PREFIX = ".remove-";
constexpr size_t MAX_METADATA_SIZE = 1024 * 1024;

Error no_such_volume(const std::string& name)
{
    return Error::from_string("get " + name + ": no such volume", ENOENT);
}

bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Docker's RestrictedNamePattern. It also keeps a name from leaving the root
// ("..", "/") and from colliding with the store's hidden working directories.
ErrorOr<void> validate_name(const std::string& name)
{
    if (name.size() == 1)
        return Error::from_string("volume name is too short, names should be at least two alphanumeric characters");
    bool valid = name.size() >= 2 && name.size() <= NAME_MAX && is_alnum(name[0])
        && std::all_of(
            name.begin() + 1, name.end(), [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; });
    if (!valid)
        return Error::from_string("\"" + name
            + "\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are "
              "allowed. If you intended to pass a host directory, use absolute path");
    return {};
}

// The local driver's options and the ones each needs (Docker's validOpts and
// mandatoryOpts), checked in a fixed order so that the message is stable.
ErrorOr<void> validate_options(const std::map<std::string, std::string>& options)
{
    for (auto const& [key, value] : options) {
        if (key != "type" && key != "device" && key != "o" && key != "size")
            return Error::from_string("invalid option: \"" + key + "\"");
    }
    // Docker implements `size` with XFS project quotas, which CorralOS does not set up.
    if (options.contains("size"))
        return Error::from_string("quota size requested but no quota support");
    struct Requirement {
        const char* option;
        std::vector<const char*> needs;
    };
    for (auto const& [option, needs] : { Requirement { "device", { "type" } }, Requirement { "type", { "device" } },
             Requirement { "o", { "device", "type" } } }) {
        if (!options.contains(option))
            continue;
        for (const char* needed : needs) {
            if (!options.contains(needed))
                return Error::from_string("missing required option: \"" + std::string(needed) + "\"");
        }
    }
    return {};
}

// Docker's needsMount: a type or a device means the data is a mount.
bool needs_mount(const Volume& volume)
{
    return volume.options.contains("type") || volume.options.contains("device");
}

std::string option(const Volume& volume, const std::string& key)
{
    auto found = volume.options.find(key);
    return found == volume.options.end() ? std::string() : found->second;
}

std::string to_json(const Volume& volume)
{
    json out = { { "name", volume.name }, { "driver", volume.driver }, { "labels", volume.labels },
        { "options", volume.options }, { "created_at", volume.created_at }, { "anonymous", volume.anonymous },
        { "copied", volume.copied } };
    // Labels come from API clients; bytes that are not UTF-8 must not abort the write.
    return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

ErrorOr<std::map<std::string, std::string>> string_map(const json& object, const char* key)
{
    std::map<std::string, std::string> out;
    auto found = object.find(key);
    if (found == object.end() || found->is_null())
        return out;
    if (!found->is_object())
        return Error::from_string(std::string("\"") + key + "\" is not an object");
    for (auto const& [name, value] : found->items()) {
        if (!value.is_string())
            return Error::from_string(std::string("\"") + key + "\"." + name + " is not a string");
        out[name] = value.get<std::string>();
    }
    return out;
}

// volume.json is our own file, but it is read back after crashes and hand edits,
// so it is parsed as carefully as any input.
ErrorOr<Volume> from_json(std::string_view text, const std::string& name)
{
    json in = json::parse(text, nullptr, false);
    if (in.is_discarded() || !in.is_object())
        return Error::from_string("not a JSON object");
    auto text_field = [&](const char* key) -> ErrorOr<std::string> {
        auto found = in.find(key);
        if (found == in.end() || !found->is_string())
            return Error::from_string(std::string("\"") + key + "\" is missing or not a string");
        return found->get<std::string>();
    };
    auto flag = [&](const char* key) {
        auto found = in.find(key);
        return found != in.end() && found->is_boolean() && found->get<bool>();
    };
    Volume volume;
    volume.name = TRY(text_field("name"));
    if (volume.name != name)
        return Error::from_string("it names volume \"" + volume.name + "\"");
    volume.driver = TRY(text_field("driver"));
    volume.created_at = TRY(text_field("created_at"));
    volume.labels = TRY(string_map(in, "labels"));
    volume.options = TRY(string_map(in, "options"));
    volume.anonymous = flag("anonymous");
    volume.copied = flag("copied");
    return volume;
}

// The sorted names in `dir`, with whether each is a directory (not following symlinks).
ErrorOr<std::vector<std::pair<std::string, bool>>> list_entries(const std::string& path)
{
    Fd fd = TRY(sys::open(path, O_RDONLY | O_DIRECTORY));
    DIR* dir = ::fdopendir(fd.get());
    if (!dir)
        return Error::from_syscall("fdopendir '" + path + "'");
    fd.release(); // the DIR owns it now
    std::unique_ptr<DIR, int (*)(DIR*)> guard(dir, ::closedir);
    std::vector<std::pair<std::string, bool>> entries;
    for (;;) {
        errno = 0;
        struct dirent* entry = ::readdir(dir);
        if (!entry) {
            if (errno != 0)
                return Error::from_syscall("readdir '" + path + "'");
            break;
        }
        std::string name = entry->d_name;
        if (name == "." || name == "..")
            continue;
        struct stat st { };
        bool is_dir = ::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        entries.emplace_back(std::move(name), is_dir);
    }
    std::sort(entries.begin(), entries.end());
    return entries;
}

ErrorOr<bool> is_empty_directory(int fd, const std::string& shown)
{
    int listing = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (listing < 0)
        return Error::from_syscall("fcntl F_DUPFD_CLOEXEC");
    DIR* dir = ::fdopendir(listing);
    if (!dir) {
        ::close(listing);
        return Error::from_syscall("fdopendir '" + shown + "'");
    }
    std::unique_ptr<DIR, int (*)(DIR*)> guard(dir, ::closedir);
    ::rewinddir(dir);
    while (struct dirent* entry = ::readdir(dir)) {
        std::string_view name = entry->d_name;
        if (name != "." && name != "..")
            return false;
    }
    return true;
}

ErrorOr<void> make_directory(const std::string& path, mode_t mode)
{
    TRY(sys::mkdir(path, mode));
    // mkdir applied the umask.
    if (::chmod(path.c_str(), mode) < 0)
        return Error::from_syscall("chmod '" + path + "'");
    return {};
}

std::string random_volume_name()
{
    std::string name;
    for (int i = 0; i < 4; ++i)
        name += random_suffix();
    return name;
}

} // namespace

bool matches_labels(const VolumePruneFilter& filter, const std::map<std::string, std::string>& labels)
{
    auto matches = [&](const std::string& condition) {
        size_t equals = condition.find('=');
        auto found = labels.find(condition.substr(0, equals));
        if (found == labels.end())
            return false;
        return equals == std::string::npos || found->second == condition.substr(equals + 1);
    };
    if (!std::all_of(filter.labels.begin(), filter.labels.end(), matches))
        return false;
    // Docker keeps a volume only when it matches every label!= condition at once.
    if (!filter.labels_not.empty() && std::all_of(filter.labels_not.begin(), filter.labels_not.end(), matches))
        return false;
    return true;
}

struct VolumeStore::State {
    std::string root; // as given, for the paths the engine shows and binds
    std::string real_root; // canonical, to compare with /proc/self/mountinfo
    mutable std::mutex mutex; // guards everything below and every change on disk
    // Volumes with mount options → the containers that hold them mounted.
    std::map<std::string, std::set<std::string>> users;
    std::set<std::string> mounted;

    std::string dir(const std::string& name) const { return root + "/" + name; }
    std::string data(const std::string& name) const { return root + "/" + name + "/_data"; }

    ErrorOr<Volume> read(const std::string& name) const;
    ErrorOr<void> write(const Volume& volume) const;
    ErrorOr<std::vector<Volume>> list(std::vector<std::string>& warnings) const;
    ErrorOr<void> remove(const std::string& name, const std::vector<std::string>& used_by);
    ErrorOr<void> copy_into(const std::string& name, const std::string& image_dir) const;
    ErrorOr<void> clean_up();
};

ErrorOr<Volume> VolumeStore::State::read(const std::string& name) const
{
    if (validate_name(name).is_error())
        return no_such_volume(name);
    auto st = sys::lstat(dir(name));
    if (st.is_error())
        return st.error().code() == ENOENT ? no_such_volume(name) : st.release_error();
    if (!S_ISDIR(st->st_mode))
        return no_such_volume(name);
    std::string path = dir(name) + "/volume.json";
    auto text = read_file(path, MAX_METADATA_SIZE);
    if (text.is_error()) {
        // The directory exists, so ENOENT here would wrongly tell callers that the
        // volume does not; to them the volume is damaged.
        if (text.error().code() == ENOENT)
            return Error::from_string("volume " + name + ": '" + path + "' is missing");
        return std::move(text.release_error().context("volume " + name));
    }
    Volume volume = TRY_CONTEXT(from_json(text.value(), name), "volume " + name + ": reading '" + path + "'");
    volume.mountpoint = data(name);
    return volume;
}

ErrorOr<void> VolumeStore::State::write(const Volume& volume) const
{
    return write_file_atomic(dir(volume.name) + "/volume.json", to_json(volume), 0600, KeepMode::No);
}

ErrorOr<std::vector<Volume>> VolumeStore::State::list(std::vector<std::string>& warnings) const
{
    std::vector<Volume> volumes;
    for (auto const& [name, is_dir] : TRY(list_entries(root))) {
        // Hidden names are the store's own work in progress; files are not volumes.
        if (name.starts_with('.') || !is_dir)
            continue;
        auto volume = read(name);
        if (volume.is_error()) {
            warnings.push_back(volume.error().message());
            continue;
        }
        volumes.push_back(volume.release_value());
    }
    return volumes;
}

ErrorOr<void> VolumeStore::State::remove(const std::string& name, const std::vector<std::string>& used_by)
{
    if (validate_name(name).is_error())
        return no_such_volume(name);
    auto st = sys::lstat(dir(name));
    if (st.is_error())
        return st.error().code() == ENOENT ? no_such_volume(name) : st.release_error();
    if (!S_ISDIR(st->st_mode))
        return no_such_volume(name);

    std::vector<std::string> holders = used_by;
    if (auto found = users.find(name); found != users.end()) {
        for (auto const& id : found->second) {
            if (std::find(holders.begin(), holders.end(), id) == holders.end())
                holders.push_back(id);
        }
    }
    if (!holders.empty())
        return Error::from_string("remove " + name + ": volume is in use - [" + join(holders, ", ") + "]", EBUSY);

    // A volume whose metadata cannot be read can still be removed; whether it
    // has options is then unknown, and the mount table decides alone.
    auto volume = read(name);
    if (mounted.contains(name) || (!volume.is_error() && needs_mount(volume.value())))
        TRY_CONTEXT(unmount_all(data(name)), "remove " + name);
    mounted.erase(name);
    // Removing the tree under a mount would delete the content of what is mounted
    // there (a bind-mounted host directory).
    if (TRY(has_mounts_at_or_below(real_root + "/" + name)))
        return Error::from_string("remove " + name + ": volume has active mounts", EBUSY);

    std::string aside = root + "/" + std::string(REMOVE_PREFIX) + random_suffix();
    TRY_CONTEXT(sys::rename(dir(name), aside), "remove " + name);
    TRY_CONTEXT(remove_tree(aside), "remove " + name);
    return {};
}

ErrorOr<void> VolumeStore::State::copy_into(const std::string& name, const std::string& image_dir) const
{
    Fd dest = TRY(sys::open(data(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
    if (!TRY(is_empty_directory(dest.get(), data(name))))
        return {};
    int source = ::open(image_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (source < 0) {
        // The image has nothing at the volume's path (or only a file or a symlink).
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
            return {};
        return Error::from_syscall("open '" + image_dir + "'");
    }
    Fd source_fd(source);
    TRY(copy_directory_contents(source_fd.get(), dest.get(), image_dir));
    return copy_directory_metadata(source_fd.get(), dest.get(), image_dir);
}

ErrorOr<void> VolumeStore::State::clean_up()
{
    for (auto const& [name, is_dir] : TRY(list_entries(root))) {
        if (!name.starts_with(CREATE_PREFIX) && !name.starts_with(REMOVE_PREFIX))
            continue;
        // A mount inside would make remove_tree delete what it shows; such a
        // leftover stays until someone looks at it.
        if (TRY(has_mounts_at_or_below(real_root + "/" + name)))
            continue;
        TRY(remove_tree(root + "/" + name));
    }
    std::vector<std::string> unreadable; // list() reports these; open() has no one to tell
    for (auto const& volume : TRY(list(unreadable))) {
        if (!needs_mount(volume))
            continue;
        // A mount that will not go away is remembered, so that mount() does not
        // stack a second one on it.
        if (unmount_all(volume.mountpoint).is_error())
            mounted.insert(volume.name);
    }
    return {};
}

VolumeStore::VolumeStore(std::unique_ptr<State> state)
    : m_state(std::move(state))
{
}

VolumeStore::VolumeStore(VolumeStore&&) noexcept = default;
VolumeStore& VolumeStore::operator=(VolumeStore&&) noexcept = default;
VolumeStore::~VolumeStore() = default;

const std::string& VolumeStore::root() const
{
    return m_state->root;
}

ErrorOr<VolumeStore> VolumeStore::open(std::string root)
{
    while (root.size() > 1 && root.back() == '/')
        root.pop_back();
    auto st = sys::stat(root);
    if (st.is_error()) {
        if (st.error().code() != ENOENT)
            return st.release_error();
        TRY(mkdir_p(path_dirname(root), 0700));
        // 0701 as Docker's: others (such as root remapped in a user namespace)
        // may pass through to a volume's _data but never list the names.
        TRY(make_directory(root, 0701));
    }
    char* real = ::realpath(root.c_str(), nullptr);
    if (!real)
        return Error::from_syscall("realpath '" + root + "'");
    auto state = std::make_unique<State>();
    state->root = root;
    state->real_root = real;
    ::free(real);
    TRY_CONTEXT(state->clean_up(), "opening volume store '" + root + "'");
    return VolumeStore(std::move(state));
}

ErrorOr<Volume> VolumeStore::create(const std::string& requested, const std::map<std::string, std::string>& labels,
    const std::map<std::string, std::string>& options)
{
    if (!requested.empty())
        TRY_CONTEXT(validate_name(requested), "create " + requested);
    TRY_CONTEXT(validate_options(options), "create " + requested);

    std::lock_guard lock(m_state->mutex);
    std::string name = requested;
    if (name.empty()) {
        do
            name = random_volume_name();
        while (::access(m_state->dir(name).c_str(), F_OK) == 0);
    } else if (::access(m_state->dir(name).c_str(), F_OK) == 0) {
        // Docker hands back the existing volume, so that `docker run -v name:/x`
        // and `docker volume create name` can come in either order.
        Volume existing = TRY_CONTEXT(m_state->read(name), "create " + name);
        if (!options.empty() && options != existing.options)
            return Error::from_string(
                "create " + name + ": volume already exists with different driver options", EEXIST);
        return existing;
    }

    Volume volume;
    volume.name = name;
    volume.mountpoint = m_state->data(name);
    struct timespec now { };
    ::clock_gettime(CLOCK_REALTIME, &now);
    now.tv_nsec = 0; // Docker shows CreatedAt to the second
    volume.created_at = format_rfc3339_nano(now);
    volume.labels = labels;
    volume.options = options;
    volume.anonymous = requested.empty();

    std::string temp = m_state->root + "/" + std::string(CREATE_PREFIX) + random_suffix();
    TRY_CONTEXT(make_directory(temp, 0755), "create " + name);
    ScopeGuard remove_temp([&] {
        (void)remove_tree(temp); /* best effort; open() clears what stays */
    });
    TRY_CONTEXT(make_directory(temp + "/_data", 0755), "create " + name);
    TRY_CONTEXT(write_file_atomic(temp + "/volume.json", to_json(volume), 0600, KeepMode::No), "create " + name);
    TRY_CONTEXT(sys::rename(temp, m_state->dir(name)), "create " + name);
    remove_temp.disarm();
    Fd root_fd = TRY(sys::open(m_state->root, O_RDONLY | O_DIRECTORY));
    TRY(sys::fsync(root_fd.get()));
    return volume;
}

ErrorOr<Volume> VolumeStore::get(const std::string& name) const
{
    std::lock_guard lock(m_state->mutex);
    return m_state->read(name);
}

ErrorOr<std::vector<Volume>> VolumeStore::list(std::vector<std::string>* warnings) const
{
    std::vector<std::string> found;
    std::vector<Volume> volumes;
    {
        std::lock_guard lock(m_state->mutex);
        volumes = TRY(m_state->list(found));
    }
    if (warnings) {
        warnings->insert(warnings->end(), found.begin(), found.end());
    } else {
        for (auto const& warning : found)
            log::warn("skipping volume: " + warning);
    }
    return volumes;
}

ErrorOr<std::string> VolumeStore::mount(const std::string& name, const std::string& container_id)
{
    std::lock_guard lock(m_state->mutex);
    Volume volume = TRY(m_state->read(name));
    if (!needs_mount(volume))
        return volume.mountpoint;
    if (!m_state->mounted.contains(name)) {
        TRY_CONTEXT(
            mount_volume(option(volume, "device"), option(volume, "type"), option(volume, "o"), volume.mountpoint),
            "failed to mount local volume " + name);
        m_state->mounted.insert(name);
    }
    m_state->users[name].insert(container_id);
    return volume.mountpoint;
}

ErrorOr<void> VolumeStore::unmount(const std::string& name, const std::string& container_id)
{
    std::lock_guard lock(m_state->mutex);
    auto found = m_state->users.find(name);
    if (found == m_state->users.end() || found->second.erase(container_id) == 0 || !found->second.empty())
        return {};
    m_state->users.erase(found);
    if (m_state->mounted.contains(name)) {
        TRY_CONTEXT(unmount_all(m_state->data(name)), "failed to unmount local volume " + name);
        m_state->mounted.erase(name);
    }
    return {};
}

ErrorOr<void> VolumeStore::copy_up(const std::string& name, const std::string& image_dir)
{
    // The lock is held through the copy: a second container starting on the same
    // new volume must wait for the content rather than see half of it. Image
    // directories under a VOLUME are small, and Docker copies synchronously too.
    std::lock_guard lock(m_state->mutex);
    Volume volume = TRY(m_state->read(name));
    bool mount_based = needs_mount(volume);
    if (volume.copied && !mount_based)
        return {};
    bool mounted_here = false;
    if (mount_based && !m_state->mounted.contains(name)) {
        TRY_CONTEXT(
            mount_volume(option(volume, "device"), option(volume, "type"), option(volume, "o"), volume.mountpoint),
            "failed to mount local volume " + name);
        mounted_here = true;
    }
    ScopeGuard unmount_after([&] {
        if (mounted_here) // should this fail, the next mount() stacks on it, which still works
            (void)unmount_all(volume.mountpoint);
    });
    TRY_CONTEXT(m_state->copy_into(name, image_dir), "copying image content into volume " + name);
    if (!volume.copied) {
        volume.copied = true;
        TRY(m_state->write(volume));
    }
    return {};
}

ErrorOr<void> VolumeStore::remove(const std::string& name, const std::vector<std::string>& used_by)
{
    std::lock_guard lock(m_state->mutex);
    return m_state->remove(name, used_by);
}

ErrorOr<VolumeStore::PruneReport> VolumeStore::prune(
    const std::set<std::string>& in_use, const VolumePruneFilter& filter)
{
    std::lock_guard lock(m_state->mutex);
    PruneReport report;
    std::vector<std::string> unreadable; // never pruned: what cannot be read is not known to be unused
    for (auto const& volume : TRY(m_state->list(unreadable))) {
        if (in_use.contains(volume.name) || m_state->users.contains(volume.name))
            continue;
        if (!filter.all && !volume.anonymous)
            continue;
        if (!matches_labels(filter, volume.labels))
            continue;
        auto bytes = tree_size(volume.mountpoint);
        auto removed = m_state->remove(volume.name, {});
        if (removed.is_error()) {
            report.warnings.push_back(removed.error().message());
            continue;
        }
        report.removed.push_back(volume.name);
        if (!bytes.is_error())
            report.reclaimed += static_cast<uint64_t>(bytes.value());
    }
    return report;
}

ErrorOr<uint64_t> VolumeStore::size(const std::string& name) const
{
    // No lock: measuring a large volume must not stall the others, and a volume
    // removed meanwhile is an error like any other.
    if (validate_name(name).is_error())
        return no_such_volume(name);
    auto bytes = tree_size(m_state->data(name));
    if (bytes.is_error())
        return bytes.error().code() == ENOENT ? no_such_volume(name) : bytes.release_error();
    return static_cast<uint64_t>(bytes.value());
}

} // namespace corral::engine
