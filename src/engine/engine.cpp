// The engine's containers: opening the state, create, names, inspect, list,
// rename, remove, and live restore.

#include "engine/engine.h"

#include "base/file.h"
#include "base/linux_syscalls.h"
#include "base/log.h"
#include "base/system.h"
#include "base/time.h"
#include "runtime/cgroup.h"
#include "runtime/spec_builder.h"

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <random>
#include <regex>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace corral::engine {

namespace {

constexpr std::string_view ADJECTIVES[] = { "brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "keen",
    "lucid", "merry", "nimble", "proud", "quiet", "rapid", "sharp", "stoic", "tender", "vivid", "witty", "zen" };
constexpr std::string_view NOUNS[] = { "bison", "colt", "drover", "filly", "gaucho", "heifer", "lasso", "mustang",
    "pinto", "ranch", "rodeo", "saddle", "spur", "stallion", "steer", "stirrup", "trail", "wrangler", "yearling",
    "corral" };

std::string random_id()
{
    std::random_device device;
    std::string id;
    static constexpr char HEX[] = "0123456789abcdef";
    while (id.size() < 64) {
        unsigned value = device();
        for (int i = 0; i < 8 && id.size() < 64; ++i, value >>= 4)
            id.push_back(HEX[value & 0xf]);
    }
    return id;
}

bool valid_name(std::string_view name)
{
    static const std::regex pattern("[a-zA-Z0-9][a-zA-Z0-9_.-]+");
    return std::regex_match(name.begin(), name.end(), pattern);
}

ErrorOr<runtime::ImageDefaults> image_defaults(const image::Store& store, const image::ImageRecord& record)
{
    std::string text = TRY(store.read_blob(record.id));
    auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        return Error::from_string("image " + record.short_id() + ": config is not a JSON object");
    auto config = json.find("config");
    if (config == json.end() || config->is_null())
        return runtime::ImageDefaults {};
    return runtime::parse_image_defaults(*config);
}

} // namespace

Engine::Engine(EngineOptions options)
    : m_options(std::move(options))
{
}

void Engine::shutdown()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_changed.notify_all();
    if (m_wake >= 0) {
        uint64_t one = 1;
        (void)!::write(m_wake, &one, sizeof one);
    }
}

Engine::~Engine()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    if (m_wake >= 0) {
        uint64_t one = 1;
        (void)!::write(m_wake, &one, sizeof one);
    }
    if (m_watcher.joinable())
        m_watcher.join();
    if (m_epoll >= 0)
        ::close(m_epoll);
    if (m_wake >= 0)
        ::close(m_wake);
    // The containers keep running: their supervisors are not ours.
}

ErrorOr<std::unique_ptr<Engine>> Engine::open(EngineOptions options)
{
    std::unique_ptr<Engine> engine(new Engine(std::move(options)));
    auto const& o = engine->m_options;
    TRY(mkdir_p(o.data_root, 0711));
    TRY(mkdir_p(path_join(o.data_root, "containers"), 0710));
    TRY(mkdir_p(o.exec_root, 0700));
    engine->m_images = TRY(image::Store::open(path_join(o.data_root, "image")));
    engine->m_volumes = std::make_unique<VolumeStore>(TRY(VolumeStore::open(path_join(o.data_root, "volumes"))));
    engine->m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (engine->m_epoll < 0)
        return Error::from_syscall("epoll_create1");
    engine->m_wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (engine->m_wake < 0)
        return Error::from_syscall("eventfd");
    epoll_event event {};
    event.events = EPOLLIN;
    event.data.fd = engine->m_wake;
    if (::epoll_ctl(engine->m_epoll, EPOLL_CTL_ADD, engine->m_wake, &event) < 0)
        return Error::from_syscall("epoll_ctl");
    TRY(engine->restore());
    engine->m_watcher = std::thread([e = engine.get()] { e->watcher_loop(); });
    return engine;
}

std::string Engine::container_dir(const std::string& id) const
{
    return path_join(path_join(m_options.data_root, "containers"), id);
}

std::string Engine::run_dir(const std::string& id) const
{
    return path_join(m_options.exec_root, id);
}

ErrorOr<void> Engine::save_locked(const Container& container)
{
    std::string text = container_to_json(container).dump();
    return write_file_atomic(path_join(container_dir(container.id), "container.json"), text, 0600);
}

ErrorOr<void> Engine::derive(Container& c)
{
    c.parsed = TRY(runtime::parse_create_request(c.request));
    auto record = m_images->resolve(c.image_id);
    if (!record.is_error())
        c.image_defaults = TRY(image_defaults(*m_images, *record));
    c.config = runtime::merge_image_defaults(c.parsed.config, c.image_defaults);
    c.restart_manager = RestartManager(c.parsed.host_config.restart_policy, c.restart_count);
    return {};
}

std::shared_ptr<Container> Engine::find_locked(const std::string& name_or_id) const
{
    std::string key = name_or_id.starts_with('/') ? name_or_id.substr(1) : name_or_id;
    if (auto it = m_containers.find(key); it != m_containers.end())
        return it->second;
    if (auto it = m_names.find(key); it != m_names.end())
        return m_containers.at(it->second);
    if (key.empty() || key.size() > 64 || key.find_first_not_of("0123456789abcdef") != std::string::npos)
        return nullptr;
    std::shared_ptr<Container> match;
    for (auto it = m_containers.lower_bound(key); it != m_containers.end() && it->first.starts_with(key); ++it) {
        if (match)
            return nullptr; // ambiguous
        match = it->second;
    }
    return match;
}

ErrorOr<std::shared_ptr<Container>> Engine::get_locked(const std::string& name_or_id) const
{
    auto container = find_locked(name_or_id);
    if (!container || container->removing)
        return Error::from_string("No such container: " + name_or_id, ENOENT);
    return container;
}

ErrorOr<std::string> Engine::resolve(const std::string& name_or_id) const
{
    std::lock_guard lock(m_mutex);
    return TRY(get_locked(name_or_id))->id;
}

namespace {

// What callers get of a container: its record without the live handles. The
// create request as the client sent it is for inspect; a listing keeps only
// its NetworkingConfig (docker ps shows the endpoints), so that listing
// thousands of containers does not copy them whole.
Container snapshot(const Container& container, bool with_request)
{
    Container copy;
    copy.id = container.id;
    copy.name = container.name;
    copy.created = container.created;
    copy.image = container.image;
    copy.image_id = container.image_id;
    if (with_request) {
        copy.request = container.request;
    } else if (container.request.is_object()) {
        if (auto networking = container.request.find("NetworkingConfig"); networking != container.request.end())
            copy.request["NetworkingConfig"] = *networking;
    }
    copy.mounts = container.mounts;
    copy.restart_count = container.restart_count;
    copy.manually_stopped = container.manually_stopped;
    copy.state = container.state;
    copy.log_path = container.log_path;
    copy.parsed = container.parsed;
    copy.image_defaults = container.image_defaults;
    copy.config = container.config;
    return copy;
}

} // namespace

ErrorOr<Container> Engine::inspect(const std::string& name_or_id) const
{
    std::lock_guard lock(m_mutex);
    auto container = TRY(get_locked(name_or_id));
    return snapshot(*container, true);
}

std::vector<Container> Engine::list() const
{
    std::vector<Container> out;
    {
        std::lock_guard lock(m_mutex);
        out.reserve(m_containers.size());
        for (auto const& [id, c] : m_containers) {
            if (!c->removing)
                out.push_back(snapshot(*c, false));
        }
    }
    // Newest first, as docker ps.
    std::sort(out.begin(), out.end(), [](auto const& a, auto const& b) { return a.created > b.created; });
    return out;
}

void Engine::set_event_sink(std::function<void(const EngineEvent&)> sink)
{
    std::lock_guard lock(m_sink_mutex);
    m_sink = std::move(sink);
}

void Engine::emit(const std::string& action, const Container& container, std::map<std::string, std::string> extra)
{
    EngineEvent event;
    event.action = action;
    event.id = container.id;
    event.attributes = std::move(extra);
    event.attributes["name"] = container.name;
    event.attributes["image"] = container.image;
    for (auto const& [k, v] : container.config.labels)
        event.attributes.emplace(k, v);
    timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    event.time_nano = static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
    std::lock_guard lock(m_sink_mutex);
    if (m_sink)
        m_sink(event);
}

ErrorOr<std::string> Engine::create(const nlohmann::json& request, const std::string& requested_name)
{
    auto parsed = TRY(runtime::parse_create_request(request));
    TRY(runtime::validate_container_config(parsed.config));
    TRY(runtime::validate_host_config(parsed.host_config));
    if (parsed.config.image.empty())
        return Error::from_string("No image specified", EINVAL);
    auto record = m_images->resolve(parsed.config.image);
    if (record.is_error())
        return Error::from_string("No such image: " + parsed.config.image, ENOENT);
    auto defaults = TRY(image_defaults(*m_images, *record));
    auto merged = runtime::merge_image_defaults(parsed.config, defaults);
    if ((!merged.cmd || merged.cmd->empty()) && (!merged.entrypoint || merged.entrypoint->empty()))
        return Error::from_string("No command specified", EINVAL);
    auto const& log_type = parsed.host_config.log_config.type.empty() ? m_options.log_driver
                                                                        : parsed.host_config.log_config.type;
    if (log_type != "json-file" && log_type != "none")
        return Error::from_string("logger: no log driver named '" + log_type + "' is registered", EINVAL);
    if (log_type == "json-file") {
        auto opts = parsed.host_config.log_config.config.empty() ? m_options.log_options
                                                                 : parsed.host_config.log_config.config;
        TRY(runtime::parse_log_options(opts));
    }

    std::string name = requested_name.starts_with('/') ? requested_name.substr(1) : requested_name;
    if (!name.empty() && !valid_name(name))
        return Error::from_string(
            "Invalid container name (" + name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", EINVAL);

    auto container = std::make_shared<Container>();
    container->id = random_id();
    container->created = now_rfc3339_nano();
    container->image = parsed.config.image;
    container->image_id = record->id.str();
    container->request = request;

    std::unique_lock lock(m_mutex);
    if (name.empty()) {
        std::random_device device;
        do {
            name = std::string(ADJECTIVES[device() % std::size(ADJECTIVES)]) + "_"
                + std::string(NOUNS[device() % std::size(NOUNS)]) + "_" + std::to_string(device() % 1000);
        } while (m_names.contains(name));
    } else if (auto it = m_names.find(name); it != m_names.end()) {
        return Error::from_string("Conflict. The container name \"/" + name + "\" is already in use by container \""
                + it->second + "\". You have to remove (or rename) that container to be able to reuse that name.",
            EEXIST);
    }
    container->name = name;

    // Mounts: binds and volumes from Binds and Mounts, then VolumesFrom, then
    // an anonymous volume for each image or Config volume not yet covered.
    std::vector<MountPoint> mounts;
    auto covered = [&](const std::string& destination) {
        return std::any_of(mounts.begin(), mounts.end(), [&](auto const& m) { return m.destination == destination; });
    };
    for (auto const& raw : parsed.host_config.binds) {
        auto bind = TRY(runtime::parse_bind(raw));
        MountPoint m;
        m.destination = bind.destination;
        m.rw = !bind.read_only;
        m.propagation = bind.propagation;
        m.no_copy = bind.no_copy;
        auto colon = raw.rfind(':');
        m.mode = std::count(raw.begin(), raw.end(), ':') >= 2 && colon != std::string::npos ? raw.substr(colon + 1) : "";
        if (bind.is_volume) {
            m.type = "volume";
            m.name = bind.source;
        } else {
            m.type = "bind";
            m.source = bind.source;
        }
        if (covered(m.destination))
            return Error::from_string("Duplicate mount point: " + m.destination, EINVAL);
        mounts.push_back(std::move(m));
    }
    for (auto const& spec : parsed.host_config.mounts) {
        if (spec.type == runtime::MountType::Tmpfs)
            continue; // the spec builder's
        MountPoint m;
        m.destination = spec.target;
        m.rw = !spec.read_only;
        m.propagation = spec.propagation;
        m.no_copy = spec.no_copy;
        if (spec.type == runtime::MountType::Bind) {
            m.type = "bind";
            m.source = spec.source;
            if (m.propagation.empty())
                m.propagation = "rprivate";
            struct stat st {};
            if (::stat(spec.source.c_str(), &st) != 0)
                return Error::from_string("invalid mount config for type \"bind\": bind source path does not exist: "
                        + spec.source,
                    EINVAL);
        } else {
            m.type = "volume";
            m.name = spec.source;
        }
        if (covered(m.destination))
            return Error::from_string("Duplicate mount point: " + m.destination, EINVAL);
        mounts.push_back(std::move(m));
    }
    for (auto const& raw : parsed.host_config.volumes_from) {
        auto from = TRY(runtime::parse_volumes_from(raw));
        auto source = find_locked(from.container);
        if (!source || source->removing)
            return Error::from_string("No such container: " + from.container, ENOENT);
        for (auto m : source->mounts) {
            if (covered(m.destination))
                continue;
            if (from.read_only)
                m.rw = false;
            m.anonymous = false; // the other container's to remove
            mounts.push_back(std::move(m));
        }
    }
    for (auto const& destination : merged.volumes) {
        if (!covered(destination)) {
            MountPoint m;
            m.type = "volume";
            m.destination = destination;
            mounts.push_back(std::move(m));
        }
    }
    for (auto& m : mounts) {
        if (m.type != "volume" || !m.source.empty())
            continue;
        if (m.name.empty())
            m.anonymous = true;
        auto volume = TRY(m_volumes->create(m.name));
        m.name = volume.name;
        m.source = volume.mountpoint;
    }
    container->mounts = std::move(mounts);

    std::string dir = container_dir(container->id);
    TRY(mkdir_p(dir, 0710));
    if (log_type == "json-file")
        container->log_path = path_join(dir, container->id + "-json.log");
    auto derived = derive(*container);
    if (derived.is_error()) {
        (void)remove_tree(dir);
        return derived.release_error();
    }
    if (auto saved = save_locked(*container); saved.is_error()) {
        (void)remove_tree(dir);
        return saved.release_error();
    }
    m_containers[container->id] = container;
    m_names[container->name] = container->id;
    emit("create", *container);
    return container->id;
}

ErrorOr<void> Engine::rename(const std::string& name_or_id, const std::string& requested)
{
    std::unique_lock lock(m_mutex);
    auto container = TRY(get_locked(name_or_id));
    std::string name = requested.starts_with('/') ? requested.substr(1) : requested;
    if (!valid_name(name))
        return Error::from_string(
            "Invalid container name (" + name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", EINVAL);
    if (name == container->name)
        return Error::from_string("Renaming a container with the same name as its current name", EINVAL);
    if (auto it = m_names.find(name); it != m_names.end())
        return Error::from_string("Conflict. The container name \"/" + name + "\" is already in use by container \""
                + it->second + "\". You have to remove (or rename) that container to be able to reuse that name.",
            EEXIST);
    std::string old_name = container->name;
    container->name = name;
    if (auto saved = save_locked(*container); saved.is_error()) {
        container->name = old_name;
        return saved.release_error();
    }
    m_names.erase(old_name);
    m_names[name] = container->id;
    emit("rename", *container, { { "oldName", "/" + old_name } });
    return {};
}

ErrorOr<void> Engine::remove(const std::string& name_or_id, bool force, bool volumes)
{
    std::unique_lock lock(m_mutex);
    auto container = TRY(get_locked(name_or_id));
    return remove_locked(lock, container, force, volumes);
}

ErrorOr<void> Engine::remove_locked(
    std::unique_lock<std::mutex>& lock, const std::shared_ptr<Container>& container, bool force, bool volumes)
{
    if (container->starting)
        return Error::from_string("container " + container->id + " is being started; try again", EBUSY);
    if (container->removing)
        return Error::from_string("removal of container " + container->id + " is already in progress", EBUSY);
    if (container->state.running() || container->state.status == "restarting") {
        if (!force) {
            if (container->state.status == "paused")
                return Error::from_string("You cannot remove a paused container " + container->id
                        + ". Unpause and then stop the container before attempting removal or force remove",
                    EBUSY);
            return Error::from_string("You cannot remove a running container " + container->id
                    + ". Stop the container before attempting removal or force remove",
                EBUSY);
        }
        // Marked first: the exit this kill causes must not start an
        // AutoRemove (--rm) of its own while the lock is let go below.
        container->removing = true;
        container->manually_stopped = true;
        container->restart_pending = false;
        if (container->state.running()) {
            auto cgroup = runtime::Cgroup::open(container->parsed.host_config.cgroup_parent.empty()
                    ? path_join(m_options.cgroup_parent, container->id)
                    : path_join(container->parsed.host_config.cgroup_parent, container->id),
                m_options.cgroup_root);
            if (cgroup)
                (void)cgroup->kill_all(SIGKILL);
            else if (container->pidfd.valid())
                (void)sys::raw_pidfd_send_signal(container->pidfd.get(), SIGKILL);
            if (!wait_not_running(lock, container, std::chrono::steady_clock::now() + std::chrono::seconds(30))) {
                container->removing = false;
                return Error::from_string("could not kill running container " + container->id, EBUSY);
            }
        }
        container->state.status = "exited";
    }
    container->removing = true;
    for (auto const& m : container->mounts) {
        if (m.type == "volume")
            (void)m_volumes->unmount(m.name, container->id);
    }
    std::string dir = container_dir(container->id);
    // Into the trash first, so that a crash mid-way leaves no half container.
    std::string trash = dir + ".removing";
    if (::rename(dir.c_str(), trash.c_str()) == 0)
        dir = trash;
    auto removed = remove_tree(dir);
    (void)remove_tree(run_dir(container->id));
    if (volumes) {
        for (auto const& m : container->mounts) {
            if (m.type == "volume" && m.anonymous) {
                if (auto r = m_volumes->remove(m.name); r.is_error())
                    log::warn("removing volume " + m.name + ": " + r.error().message());
            }
        }
    }
    m_containers.erase(container->id);
    m_names.erase(container->name);
    std::erase_if(m_execs, [&](auto const& entry) { return entry.second.container_id == container->id; });
    emit("destroy", *container);
    m_changed.notify_all();
    if (removed.is_error())
        return removed.release_error().context("removing container " + container->id);
    return {};
}

} // namespace corral::engine

namespace corral::engine {

std::function<bool(const image::Digest&)> Engine::image_in_use() const
{
    std::set<std::string> used;
    {
        std::lock_guard lock(m_mutex);
        for (auto const& [id, c] : m_containers)
            used.insert(c->image_id);
    }
    return [used = std::move(used)](const image::Digest& id) { return used.contains(id.str()); };
}

ErrorOr<image::Deletion> Engine::remove_image(const std::string& name_or_id, bool force)
{
    image::RemoveOptions options;
    options.force = force;
    options.in_use = image_in_use();
    options.used_by = [this](const image::Digest& image_id) {
        std::lock_guard lock(m_mutex);
        for (auto const& [id, c] : m_containers) {
            if (c->image_id == image_id.str())
                return id;
        }
        return std::string();
    };
    return m_images->remove(name_or_id, options);
}

ErrorOr<image::Deletion> Engine::prune_images(bool all)
{
    image::PruneOptions options;
    options.all = all;
    options.in_use = image_in_use();
    return m_images->prune(options);
}

ErrorOr<void> Engine::remove_volume(const std::string& name, bool force)
{
    std::vector<std::string> users;
    {
        std::lock_guard lock(m_mutex);
        for (auto const& [id, c] : m_containers) {
            for (auto const& m : c->mounts) {
                if (m.type == "volume" && m.name == name) {
                    users.push_back(id);
                    break;
                }
            }
        }
    }
    auto removed = m_volumes->remove(name, users);
    if (removed.is_error() && force && removed.error().code() == ENOENT)
        return {}; // docker volume rm -f of a missing volume
    return removed;
}

ErrorOr<VolumeStore::PruneReport> Engine::prune_volumes(const VolumePruneFilter& filter)
{
    std::set<std::string> in_use;
    {
        std::lock_guard lock(m_mutex);
        for (auto const& [id, c] : m_containers) {
            for (auto const& m : c->mounts) {
                if (m.type == "volume")
                    in_use.insert(m.name);
            }
        }
    }
    return m_volumes->prune(in_use, filter);
}

} // namespace corral::engine
