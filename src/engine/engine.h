#pragma once

// The system container engine: containers made from images in the store,
// started under a supervisor each (runtime/supervisor.h), stopped, killed,
// paused, restarted by policy, exec'd into, removed; state persisted under
// the data root, and found again when the engine starts (live restore).
//
// Layout:
//   <data-root>/image/                        the image store (image/store.h)
//   <data-root>/volumes/                      named volumes (volumes.h)
//   <data-root>/containers/<id>/container.json
//   <data-root>/containers/<id>/<id>-json.log the json-file log
//   <data-root>/containers/<id>/{hostname,hosts,resolv.conf}
//   <data-root>/containers/<id>/{upper,work,rootfs}   the overlay's dirs
//   <exec-root>/<id>/                         the supervisor's run directory
//   <exec-root>/<id>/exec/<exec-id>/          one per exec
//
// Every method is safe to call from several threads. Errors carry Docker's
// messages and an errno that the API maps to a status: ENOENT "No such
// container: x" (404), EEXIST/EBUSY conflicts (409), EINVAL bad requests (400).

#include "base/error.h"
#include "engine/container.h"
#include "engine/volumes.h"
#include "image/store.h"
#include "runtime/cgroup.h"
#include "runtime/spec_builder.h"
#include "runtime/supervisor.h"

#include <chrono>
#include <csignal>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace corral::engine {

struct EngineOptions {
    std::string data_root { "/var/lib/system-docker" };
    std::string exec_root { "/var/run/system-docker" };
    std::string cgroup_root { "/sys/fs/cgroup" };
    std::string cgroup_parent { "system-docker" };
    // The daemon's default log driver and options (dockerd --log-driver,
    // --log-opt): "json-file" or "none".
    std::string log_driver { "json-file" };
    std::map<std::string, std::string> log_options;
    std::string supervisor_binary; // empty: runtime::find_supervisor_binary()
    std::string host_resolv_conf { "/etc/resolv.conf" };
    std::string host_hosts { "/etc/hosts" };
    // Find running containers again and restart those whose policy says so.
    bool restore { true };
};

// A change the API's /events reports.
struct EngineEvent {
    std::string type { "container" };
    std::string action; // create, start, die, stop, kill, pause, unpause, restart, rename, destroy, exec_start, …
    std::string id;
    std::map<std::string, std::string> attributes;
    int64_t time_nano { 0 };
};

struct StopResult {
    bool was_running { true }; // false: nothing to stop (Docker's 304)
};

enum class WaitCondition {
    NotRunning, // "not-running": return at once if it is not running
    NextExit, // "next-exit"
    Removed, // "removed"
};

struct ExecOptions {
    std::vector<std::string> cmd;
    std::vector<std::string> env;
    std::string user;
    std::string working_dir;
    bool tty { false };
    bool attach_stdin { false };
    bool attach_stdout { true };
    bool attach_stderr { true };
    bool privileged { false };
    std::string detach_keys; // as the client gave them ("" for the default)
};

// An exec as `docker exec` makes it: created, then started once.
struct ExecRecord {
    std::string id;
    std::string container_id;
    ExecOptions options;
    bool started { false };
    bool running { false };
    std::optional<int> exit_code;
    pid_t pid { 0 };
    std::string run_dir;
    // A terminal size asked for before the process ran (docker exec -it
    // resizes as soon as it has its answer): applied once it runs.
    std::optional<std::pair<unsigned, unsigned>> pending_size;
};

struct ExecSession {
    std::string exec_id;
    std::string run_dir;
    pid_t pid { -1 };
    // Attached before the process started, so it sees all of its output,
    // and its exit.
    std::optional<runtime::SupervisorConnection> connection;
};

class Engine {
public:
    static ErrorOr<std::unique_ptr<Engine>> open(EngineOptions options);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    const EngineOptions& options() const { return m_options; }

    // Before the daemon exits: every call waiting (wait, an attach waiting
    // for a start) returns ESHUTDOWN, and no restart is started any more.
    // The containers keep running.
    void shutdown();
    image::Store& images() { return *m_images; }
    VolumeStore& volumes() { return *m_volumes; }

    // POST /containers/create. Returns the new id. The name is optional
    // ("" picks one); "/name" is accepted as Docker does.
    ErrorOr<std::string> create(const nlohmann::json& request, const std::string& name = {});
    // `streams` non-empty: an attach made before the process starts, as
    // `docker start -a` and `docker run` do.
    ErrorOr<void> start(const std::string& name_or_id,
        std::optional<runtime::SupervisorConnection>* attach = nullptr, std::string_view streams = {});
    // StopSignal, then SIGKILL after `timeout` (the container's StopTimeout, or
    // 10 s, when unset).
    ErrorOr<StopResult> stop(const std::string& name_or_id, std::optional<int> timeout_seconds = {});
    ErrorOr<void> restart(const std::string& name_or_id, std::optional<int> timeout_seconds = {});
    ErrorOr<void> kill(const std::string& name_or_id, int signal = SIGKILL);
    // The exit code, per Docker's wait conditions; nullopt timeout waits forever.
    // `registered`, when given, runs (without the engine's lock) once the
    // wait is in place and before it blocks: the API answers the HTTP headers
    // there, so that a client that starts the container on seeing them
    // cannot start it before the wait is counted (docker run).
    ErrorOr<int> wait(const std::string& name_or_id, WaitCondition condition = WaitCondition::NotRunning,
        std::optional<std::chrono::milliseconds> timeout = {}, const std::function<void()>& registered = {});
    ErrorOr<void> pause(const std::string& name_or_id);
    ErrorOr<void> unpause(const std::string& name_or_id);
    ErrorOr<void> rename(const std::string& name_or_id, const std::string& new_name);
    // force: kill a running one first; volumes: remove its anonymous volumes.
    ErrorOr<void> remove(const std::string& name_or_id, bool force = false, bool volumes = false);

    // docker rmi / image prune, refusing images that containers use (the
    // store knows no containers; the engine tells it which images are used).
    ErrorOr<image::Deletion> remove_image(const std::string& name_or_id, bool force = false);
    ErrorOr<image::Deletion> prune_images(bool all = false);
    // docker volume rm / prune, refusing volumes that containers reference.
    ErrorOr<void> remove_volume(const std::string& name, bool force = false);
    ErrorOr<VolumeStore::PruneReport> prune_volumes(const VolumePruneFilter& filter);

    // To a running container now; to one not yet started, when it starts
    // (the call waits), so that the client sees its output from the first byte.
    // `registered`, when given, runs (without the engine's lock) once the
    // attach is in place, before the call waits for the start: the API
    // answers the client there, and the client may start the container as
    // soon as it has that answer (docker run).
    ErrorOr<runtime::SupervisorConnection> attach(
        const std::string& name_or_id, std::string_view streams, const std::function<void()>& registered = {});
    ErrorOr<void> resize(const std::string& name_or_id, unsigned rows, unsigned columns);
    // The processes in a running container's cgroup (docker top).
    ErrorOr<std::vector<pid_t>> processes(const std::string& name_or_id);
    // Its cgroup's counters (docker stats).
    ErrorOr<runtime::CgroupStats> stats(const std::string& name_or_id);
    // create_exec + start_exec in one.
    ErrorOr<ExecSession> exec(const std::string& name_or_id, const ExecOptions& options, std::string_view streams);
    ErrorOr<std::string> create_exec(const std::string& name_or_id, const ExecOptions& options);
    ErrorOr<ExecSession> start_exec(const std::string& exec_id, std::string_view streams);
    ErrorOr<ExecRecord> inspect_exec(const std::string& exec_id);
    ErrorOr<void> resize_exec(const std::string& exec_id, unsigned rows, unsigned columns);

    // A copy of the container's record (derived fields included, live ones not).
    ErrorOr<Container> inspect(const std::string& name_or_id) const;
    // Every container, newest first, as inspect() gives them but with only
    // the NetworkingConfig of the create request as sent (Container::request).
    std::vector<Container> list() const;
    // The full id for a name, an id or a unique id prefix.
    ErrorOr<std::string> resolve(const std::string& name_or_id) const;

    // An attach the client left with the detach keys: the "detach" event.
    void note_detach(const std::string& name_or_id);

    // Every change, to the API's event stream. Called without locks held.
    void set_event_sink(std::function<void(const EngineEvent&)> sink);

private:
    explicit Engine(EngineOptions options);
    ErrorOr<void> restore();
    void restore_one(Container& container);

    std::shared_ptr<Container> find_locked(const std::string& name_or_id) const;
    ErrorOr<std::shared_ptr<Container>> get_locked(const std::string& name_or_id) const;
    ErrorOr<void> save_locked(const Container& container);
    std::string container_dir(const std::string& id) const;
    std::string run_dir(const std::string& id) const;
    ErrorOr<void> derive(Container& container);
    std::function<bool(const image::Digest&)> image_in_use() const;
    ErrorOr<void> remove_locked(
        std::unique_lock<std::mutex>& lock, const std::shared_ptr<Container>& container, bool force, bool volumes);

    // engine_start.cpp
    ErrorOr<void> start_locked(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Container>& container,
        std::optional<runtime::SupervisorConnection>* attach, std::string_view streams);
    ErrorOr<std::vector<runtime::VolumeMount>> prepare_volumes(Container& container, const std::vector<std::string>& lower_dirs);
    // engine_stop.cpp
    ErrorOr<StopResult> stop_locked(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Container>& container,
        std::optional<int> timeout_seconds);
    void handle_exit_locked(const std::shared_ptr<Container>& container, uint64_t generation);
    void cleanup_after_exit_locked(Container& container);
    bool wait_not_running(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Container>& container,
        std::chrono::steady_clock::time_point deadline);
    // engine_watch.cpp
    void watch(const std::shared_ptr<Container>& container);
    void watcher_loop();
    void schedule_restart(const std::shared_ptr<Container>& container, std::chrono::milliseconds delay);
    void emit(const std::string& action, const Container& container, std::map<std::string, std::string> extra = {});

    EngineOptions m_options;
    std::unique_ptr<image::Store> m_images;
    std::unique_ptr<VolumeStore> m_volumes;

    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::map<std::string, std::shared_ptr<Container>> m_containers; // by id
    std::map<std::string, std::string> m_names; // name → id

    // The watcher: one thread polling every supervisor's control connection
    // and the restart timers.
    int m_epoll { -1 };
    int m_wake { -1 }; // eventfd
    bool m_stopping { false };
    std::multimap<std::chrono::steady_clock::time_point, std::pair<std::string, uint64_t>> m_restarts;
    std::map<int, std::pair<std::string, uint64_t>> m_watched; // control fd → (id, generation)
    std::thread m_watcher;

    std::map<std::string, ExecRecord> m_execs; // by id; dropped with their container

    std::mutex m_sink_mutex;
    std::function<void(const EngineEvent&)> m_sink;
};

} // namespace corral::engine
