// The watcher thread: it learns of every container's end from its
// supervisor's control connection and starts containers again when their
// restart policy's delay is over. And live restore: the containers a
// previous engine left, found again through their supervisors.

#include "engine/engine.h"

#include "base/file.h"
#include "base/linux_syscalls.h"
#include "base/log.h"
#include "base/system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace corral::engine {

void Engine::watch(const std::shared_ptr<Container>& container)
{
    // Called with m_mutex held.
    int fd = container->control.get();
    if (fd < 0)
        return;
    m_watched[fd] = { container->id, container->generation };
    epoll_event event {};
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.fd = fd;
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) < 0)
        log::warn("watching container " + container->id + ": " + std::strerror(errno));
}

void Engine::schedule_restart(const std::shared_ptr<Container>& container, std::chrono::milliseconds delay)
{
    // Called with m_mutex held.
    m_restarts.emplace(std::chrono::steady_clock::now() + delay, std::make_pair(container->id, container->generation));
    uint64_t one = 1;
    (void)!::write(m_wake, &one, sizeof one);
}

void Engine::watcher_loop()
{
    epoll_event events[32];
    while (true) {
        int timeout = -1;
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping)
                return;
            if (!m_restarts.empty()) {
                auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
                    m_restarts.begin()->first - std::chrono::steady_clock::now());
                timeout = static_cast<int>(std::max<int64_t>(0, wait.count()));
            }
        }
        int n = ::epoll_wait(m_epoll, events, 32, timeout);
        if (n < 0 && errno != EINTR) {
            log::error(std::string("engine watcher: epoll_wait: ") + std::strerror(errno));
            return;
        }
        std::unique_lock lock(m_mutex);
        if (m_stopping)
            return;
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == m_wake) {
                uint64_t value;
                (void)!::read(m_wake, &value, sizeof value);
                continue;
            }
            // The control connection only ever carries the exit, then closes.
            char buffer[512];
            ssize_t got = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (got < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            auto watched = m_watched.find(fd);
            if (watched == m_watched.end())
                continue;
            auto [id, generation] = watched->second;
            ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
            m_watched.erase(watched);
            auto it = m_containers.find(id);
            if (it == m_containers.end())
                continue;
            auto container = it->second;
            handle_exit_locked(container, generation);
            if (container->auto_remove_pending && !container->removing) {
                container->auto_remove_pending = false;
                // Docker's --rm takes the anonymous volumes with it.
                if (auto removed = remove_locked(lock, container, false, true); removed.is_error())
                    log::warn("removing container " + id + ": " + removed.error().message());
            }
        }
        auto now = std::chrono::steady_clock::now();
        while (!m_restarts.empty() && m_restarts.begin()->first <= now) {
            auto [id, generation] = m_restarts.begin()->second;
            m_restarts.erase(m_restarts.begin());
            auto it = m_containers.find(id);
            if (it == m_containers.end())
                continue;
            auto container = it->second;
            if (container->generation != generation || !container->restart_pending || container->removing)
                continue;
            container->restart_pending = false;
            auto started = start_locked(lock, container, nullptr, {});
            if (started.is_error()) {
                log::warn("restarting container " + id + ": " + started.error().message());
                container->state.status = "exited";
                auto delay = container->restart_manager.should_restart(
                    container->state.exit_code, container->manually_stopped, std::chrono::milliseconds(0));
                if (delay) {
                    container->restart_count = container->restart_manager.restart_count();
                    container->state.status = "restarting";
                    container->restart_pending = true;
                    schedule_restart(container, *delay);
                }
                (void)save_locked(*container);
                m_changed.notify_all();
            } else {
                emit("restart", *container);
            }
        }
    }
}

ErrorOr<void> Engine::restore()
{
    std::string root = path_join(m_options.data_root, "containers");
    DIR* dir = ::opendir(root.c_str());
    if (!dir)
        return Error::from_syscall("opendir '" + root + "'");
    std::vector<std::string> ids;
    while (auto* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name.ends_with(".removing")) {
            // A remove that did not finish.
            (void)remove_tree(path_join(root, name));
            continue;
        }
        if (name.size() == 64)
            ids.push_back(name);
    }
    ::closedir(dir);

    std::unique_lock lock(m_mutex);
    for (auto const& id : ids) {
        std::string path = path_join(container_dir(id), "container.json");
        auto text = read_file(path);
        if (text.is_error()) {
            log::warn("container " + id + ": " + text.error().message() + "; skipped");
            continue;
        }
        auto json = nlohmann::json::parse(*text, nullptr, false);
        auto loaded = container_from_json(json);
        if (loaded.is_error()) {
            log::warn(path + ": " + loaded.error().message() + "; skipped");
            continue;
        }
        auto container = std::make_shared<Container>(loaded.release_value());
        if (auto derived = derive(*container); derived.is_error()) {
            log::warn(path + ": " + derived.error().message() + "; skipped");
            continue;
        }
        m_names[container->name] = container->id;
        m_containers[container->id] = container;
        if (m_options.restore)
            restore_one(*container);
    }
    if (m_options.restore) {
        // --rm containers that ended while no engine ran.
        std::vector<std::shared_ptr<Container>> ended;
        for (auto& [id, container] : m_containers) {
            if (container->parsed.host_config.auto_remove && container->state.status == "exited")
                ended.push_back(container);
        }
        for (auto& container : ended) {
            if (auto removed = remove_locked(lock, container, false, true); removed.is_error())
                log::warn("removing container " + container->id + ": " + removed.error().message());
        }
        // Docker's restart of stopped containers when the daemon starts.
        for (auto& [id, container] : m_containers) {
            auto& c = *container;
            if (c.state.running())
                continue;
            bool restart = c.state.status == "restarting"
                || (c.state.status != "created"
                    && RestartManager::restart_on_daemon_start(
                        c.parsed.host_config.restart_policy, c.manually_stopped, c.state.exit_code));
            if (restart) {
                c.restart_pending = true;
                c.state.status = "restarting";
                schedule_restart(container, std::chrono::milliseconds(0));
            }
        }
    }
    return {};
}

void Engine::restore_one(Container& c)
{
    if (!c.state.running() && c.state.status != "restarting")
        return;
    std::string run = run_dir(c.id);
    auto control = runtime::SupervisorConnection::connect(run, "");
    if (control.is_error()) {
        // The supervisor has gone: the container ended while no engine ran.
        auto record = runtime::read_exit_record(run);
        if (!record.is_error() && record->has_value()) {
            c.state.exit_code = (*record)->exit_code;
            c.state.oom_killed = (*record)->oom_killed;
            c.state.finished_at = (*record)->finished_at;
        } else if (c.state.running()) {
            c.state.exit_code = 255;
            c.state.error = "supervisor exited without recording the container's exit";
        }
        c.state.status = "exited";
        c.state.pid = 0;
        c.state.supervisor_pid = 0;
        cleanup_after_exit_locked(c);
        (void)save_locked(c);
        return;
    }
    c.generation++;
    int pidfd = sys::raw_pidfd_open(c.state.pid, 0);
    c.pidfd = pidfd >= 0 ? Fd(pidfd) : Fd();
    c.control = Fd(::dup(control->fd()));
    (void)::fcntl(c.control.get(), F_SETFD, FD_CLOEXEC);
    auto it = m_containers.find(c.id);
    if (it != m_containers.end())
        watch(it->second);
}

} // namespace corral::engine
