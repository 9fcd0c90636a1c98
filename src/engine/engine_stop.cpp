// A running container's lifecycle: stop, kill, wait, pause, the end of a
// run (exit records, cleanup, restart policies), attach and exec.

#include "engine/engine.h"

#include "base/file.h"
#include "base/linux_syscalls.h"
#include "base/log.h"
#include "base/strings.h"
#include "base/scope_guard.h"
#include "base/system.h"
#include "base/time.h"
#include "engine/image_files.h"
#include "runtime/cgroup.h"
#include "runtime/signals.h"
#include "runtime/spec_json.h"
#include "runtime/capabilities.h"
#include "runtime/user_lookup.h"

#include <csignal>
#include <random>

namespace corral::engine {

namespace {

std::string cgroup_path_of(const EngineOptions& options, const Container& c)
{
    auto const& parent = c.parsed.host_config.cgroup_parent.empty() ? options.cgroup_parent
                                                                       : c.parsed.host_config.cgroup_parent;
    return path_join(parent, c.id);
}

std::chrono::milliseconds ran_for(const Container& c)
{
    auto started = parse_rfc3339(c.state.started_at);
    if (!started)
        return {};
    timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    int64_t ms = (now.tv_sec - started->tv_sec) * 1000 + (now.tv_nsec - started->tv_nsec) / 1000000;
    return std::chrono::milliseconds(ms < 0 ? 0 : ms);
}

} // namespace

ErrorOr<void> Engine::restart(const std::string& name_or_id, std::optional<int> timeout_seconds)
{
    std::unique_lock lock(m_mutex);
    auto container = TRY(get_locked(name_or_id));
    TRY(stop_locked(lock, container, timeout_seconds));
    if (container->removing)
        return Error::from_string("No such container: " + name_or_id, ENOENT);
    container->manually_stopped = false;
    container->restart_manager.reset();
    TRY(start_locked(lock, container, nullptr, {}));
    emit("restart", *container);
    return {};
}

ErrorOr<StopResult> Engine::stop(const std::string& name_or_id, std::optional<int> timeout_seconds)
{
    std::unique_lock lock(m_mutex);
    auto container = TRY(get_locked(name_or_id));
    return stop_locked(lock, container, timeout_seconds);
}

bool Engine::wait_not_running(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Container>& container,
    std::chrono::steady_clock::time_point deadline)
{
    return m_changed.wait_until(lock, deadline, [&] { return !container->state.running(); });
}

ErrorOr<StopResult> Engine::stop_locked(
    std::unique_lock<std::mutex>& lock, const std::shared_ptr<Container>& container, std::optional<int> timeout_seconds)
{
    auto& c = *container;
    if (c.state.status == "restarting") {
        // Stopping a container between restarts cancels the restart.
        c.manually_stopped = true;
        c.restart_pending = false;
        c.state.status = "exited";
        (void)save_locked(c);
        m_changed.notify_all();
        return StopResult { false };
    }
    if (!c.state.running())
        return StopResult { false };
    c.manually_stopped = true;
    (void)save_locked(c);

    int timeout = timeout_seconds.value_or(c.parsed.config.stop_timeout.value_or(10));
    std::string signal_name = c.config.stop_signal.empty() ? "SIGTERM" : c.config.stop_signal;
    auto parsed_signal = runtime::parse_signal(signal_name);
    int signal = parsed_signal.is_error() ? SIGTERM : *parsed_signal;
    auto cgroup = runtime::Cgroup::open(cgroup_path_of(m_options, c), m_options.cgroup_root);
    if (timeout != 0 && c.pidfd.valid()) {
        (void)sys::raw_pidfd_send_signal(c.pidfd.get(), signal);
        // A paused container gets the signal when it thaws, as Docker does.
        if (c.state.status == "paused" && cgroup)
            (void)cgroup->thaw();
        emit("kill", c, { { "signal", std::to_string(signal) } });
        auto deadline = timeout < 0 ? std::chrono::steady_clock::time_point::max()
                                    : std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
        if (wait_not_running(lock, container, deadline)) {
            emit("stop", c);
            return StopResult { true };
        }
    }
    if (cgroup) {
        // The unlocked kill could race a restart; the process is gone either way.
        lock.unlock();
        (void)cgroup->kill_all(SIGKILL);
        lock.lock();
    } else if (c.pidfd.valid()) {
        (void)sys::raw_pidfd_send_signal(c.pidfd.get(), SIGKILL);
    }
    emit("kill", c, { { "signal", "9" } });
    if (!wait_not_running(lock, container, std::chrono::steady_clock::now() + std::chrono::seconds(30)))
        return Error::from_string("container " + c.id + " did not stop after SIGKILL", ETIMEDOUT);
    emit("stop", c);
    return StopResult { true };
}

ErrorOr<void> Engine::kill(const std::string& name_or_id, int signal)
{
    std::unique_lock lock(m_mutex);
    auto container = TRY(get_locked(name_or_id));
    auto& c = *container;
    if (!c.state.running())
        return Error::from_string("Container " + c.id + " is not running", EBUSY);
    if (signal == SIGKILL) {
        // Like a stop, a kill by the user ends restarts.
        c.manually_stopped = true;
        (void)save_locked(c);
        auto cgroup = runtime::Cgroup::open(cgroup_path_of(m_options, c), m_options.cgroup_root);
        if (cgroup) {
            lock.unlock();
            auto killed = cgroup->kill_all(SIGKILL);
            lock.lock();
            // ENOENT: emptied, and already removed by the exit's cleanup.
            if (killed.is_error() && killed.error().code() != ENOENT)
                return killed.release_error();
        } else if (c.pidfd.valid() && sys::raw_pidfd_send_signal(c.pidfd.get(), SIGKILL) < 0) {
            return Error::from_syscall("kill container " + c.id);
        }
    } else if (!c.pidfd.valid() || sys::raw_pidfd_send_signal(c.pidfd.get(), signal) < 0) {
        return Error::from_syscall("signal container " + c.id);
    }
    emit("kill", c, { { "signal", std::to_string(signal) } });
    return {};
}

ErrorOr<int> Engine::wait(const std::string& name_or_id, WaitCondition condition,
    std::optional<std::chrono::milliseconds> timeout, const std::function<void()>& registered)
{
    std::unique_lock lock(m_mutex);
    auto container = TRY(get_locked(name_or_id));
    auto deadline = timeout ? std::chrono::steady_clock::now() + *timeout : std::chrono::steady_clock::time_point::max();
    uint64_t generation = container->generation;
    bool was_running = container->state.running() || container->state.status == "restarting";
    auto done = [&] {
        switch (condition) {
        case WaitCondition::NotRunning:
            return !container->state.running() && container->state.status != "restarting";
        case WaitCondition::NextExit:
            // An exit after this call: the run we saw ended, or a later one did.
            return (was_running && !container->state.running()) || container->generation != generation
                ? !container->state.running()
                : false;
        case WaitCondition::Removed:
            return container->removing && !m_containers.contains(container->id);
        }
        return true;
    };
    if (registered) {
        lock.unlock();
        registered();
        lock.lock();
    }
    if (!m_changed.wait_until(lock, deadline, [&] { return m_stopping || done(); }))
        return Error::from_string("timed out waiting for container " + container->id, ETIMEDOUT);
    if (m_stopping && !done())
        return Error::from_string("the daemon is shutting down", ESHUTDOWN);
    return container->state.exit_code;
}

ErrorOr<void> Engine::pause(const std::string& name_or_id)
{
    std::unique_lock lock(m_mutex);
    auto container = TRY(get_locked(name_or_id));
    auto& c = *container;
    if (!c.state.running())
        return Error::from_string("Container " + c.id + " is not running", EBUSY);
    if (c.state.status == "paused")
        return Error::from_string("Container " + c.id + " is already paused", EBUSY);
    auto cgroup = TRY(runtime::Cgroup::open(cgroup_path_of(m_options, c), m_options.cgroup_root));
    TRY(cgroup.freeze());
    c.state.status = "paused";
    (void)save_locked(c);
    emit("pause", c);
    return {};
}

ErrorOr<void> Engine::unpause(const std::string& name_or_id)
{
    std::unique_lock lock(m_mutex);
    auto container = TRY(get_locked(name_or_id));
    auto& c = *container;
    if (c.state.status != "paused")
        return Error::from_string("Container " + c.id + " is not paused", EBUSY);
    auto cgroup = TRY(runtime::Cgroup::open(cgroup_path_of(m_options, c), m_options.cgroup_root));
    TRY(cgroup.thaw());
    c.state.status = "running";
    (void)save_locked(c);
    emit("unpause", c);
    return {};
}

void Engine::cleanup_after_exit_locked(Container& c)
{
    // Whatever the process left (with pid: host, its children) goes with it.
    if (auto cgroup = runtime::Cgroup::open(cgroup_path_of(m_options, c), m_options.cgroup_root)) {
        (void)cgroup->kill_all(SIGKILL);
        if (auto destroyed = cgroup->destroy(); destroyed.is_error())
            log::warn("container " + c.id + ": " + destroyed.error().message());
    }
    for (auto const& m : c.mounts) {
        if (m.type == "volume")
            (void)m_volumes->unmount(m.name, c.id);
    }
    c.control.reset();
    c.pidfd.reset();
    (void)remove_tree(run_dir(c.id));
}

void Engine::handle_exit_locked(const std::shared_ptr<Container>& container, uint64_t generation)
{
    auto& c = *container;
    if (c.generation != generation || !c.state.running())
        return;
    auto record = runtime::read_exit_record(run_dir(c.id));
    if (!record.is_error() && record->has_value()) {
        c.state.exit_code = (*record)->exit_code;
        c.state.oom_killed = (*record)->oom_killed;
        c.state.finished_at = (*record)->finished_at;
    } else {
        // The supervisor died without recording the end (killed -9, out of
        // memory): the process's status is lost with it.
        c.state.exit_code = 255;
        c.state.error = "supervisor exited without recording the container's exit";
        c.state.finished_at = now_rfc3339_nano();
    }
    c.state.status = "exited";
    c.state.pid = 0;
    c.state.supervisor_pid = 0;
    cleanup_after_exit_locked(c);
    emit("die", c, { { "exitCode", std::to_string(c.state.exit_code) } });

    auto delay = c.restart_manager.should_restart(c.state.exit_code, c.manually_stopped, ran_for(c));
    if (delay) {
        c.restart_count = c.restart_manager.restart_count();
        c.state.status = "restarting";
        c.restart_pending = true;
        schedule_restart(container, *delay);
    } else if (c.parsed.host_config.auto_remove) {
        c.auto_remove_pending = true; // the watcher removes it (docker run --rm)
    }
    if (auto saved = save_locked(c); saved.is_error())
        log::warn("saving container " + c.id + ": " + saved.error().message());
    m_changed.notify_all();
}

void Engine::note_detach(const std::string& name_or_id)
{
    std::unique_lock lock(m_mutex);
    if (auto container = find_locked(name_or_id))
        emit("detach", *container);
}

ErrorOr<runtime::SupervisorConnection> Engine::attach(
    const std::string& name_or_id, std::string_view streams, const std::function<void()>& registered)
{
    std::unique_lock lock(m_mutex);
    auto container = TRY(get_locked(name_or_id));
    emit("attach", *container);
    if (container->state.running()) {
        auto connection = TRY(runtime::SupervisorConnection::connect(run_dir(container->id), streams));
        if (registered) {
            lock.unlock();
            registered();
        }
        return connection;
    }
    auto pending = std::make_shared<PendingAttach>();
    pending->streams = std::string(streams);
    container->pending_attaches.push_back(pending);
    if (registered) {
        lock.unlock();
        registered();
        lock.lock();
    }
    m_changed.wait(lock, [&] { return pending->done || container->removing || m_stopping; });
    if (!pending->done && m_stopping)
        return Error::from_string("the daemon is shutting down", ESHUTDOWN);
    if (!pending->done)
        return Error::from_string("No such container: " + name_or_id, ENOENT);
    if (pending->error)
        return *pending->error;
    return std::move(*pending->connection);
}

ErrorOr<std::vector<pid_t>> Engine::processes(const std::string& name_or_id)
{
    std::unique_lock lock(m_mutex);
    auto container = TRY(get_locked(name_or_id));
    if (!container->state.running())
        return Error::from_string("Container " + container->id + " is not running", EBUSY);
    auto cgroup = TRY(runtime::Cgroup::open(cgroup_path_of(m_options, *container), m_options.cgroup_root));
    return cgroup.processes();
}

ErrorOr<runtime::CgroupStats> Engine::stats(const std::string& name_or_id)
{
    std::unique_lock lock(m_mutex);
    auto container = TRY(get_locked(name_or_id));
    if (!container->state.running())
        return runtime::CgroupStats {};
    auto cgroup = TRY(runtime::Cgroup::open(cgroup_path_of(m_options, *container), m_options.cgroup_root));
    return cgroup.stats();
}

ErrorOr<void> Engine::resize(const std::string& name_or_id, unsigned rows, unsigned columns)
{
    std::unique_lock lock(m_mutex);
    auto container = TRY(get_locked(name_or_id));
    if (!container->state.running())
        return Error::from_string("Container " + container->id + " is not running", EBUSY);
    std::string run = run_dir(container->id);
    lock.unlock();
    auto connection = TRY(runtime::SupervisorConnection::connect(run, ""));
    return connection.resize(rows, columns);
}

ErrorOr<ExecSession> Engine::exec(const std::string& name_or_id, const ExecOptions& options, std::string_view streams)
{
    auto id = TRY(create_exec(name_or_id, options));
    return start_exec(id, streams);
}

ErrorOr<std::string> Engine::create_exec(const std::string& name_or_id, const ExecOptions& options)
{
    std::unique_lock lock(m_mutex);
    auto container = TRY(get_locked(name_or_id));
    auto& c = *container;
    if (!c.state.running())
        return Error::from_string("Container " + c.id + " is not running", EBUSY);
    if (c.state.status == "paused")
        return Error::from_string("Container " + c.id + " is paused, unpause the container before exec", EBUSY);
    if (options.cmd.empty())
        return Error::from_string("No exec command specified", EINVAL);
    ExecRecord record;
    std::random_device device;
    static constexpr char HEX[] = "0123456789abcdef";
    for (int i = 0; i < 64; ++i)
        record.id.push_back(HEX[device() & 0xf]);
    record.container_id = c.id;
    record.options = options;
    std::string id = record.id;
    m_execs[id] = std::move(record);
    emit("exec_create: " + join(options.cmd, " "), c, { { "execID", id } });
    return id;
}

ErrorOr<ExecRecord> Engine::inspect_exec(const std::string& exec_id)
{
    std::unique_lock lock(m_mutex);
    auto it = m_execs.find(exec_id);
    if (it == m_execs.end())
        return Error::from_string("No such exec instance: " + exec_id, ENOENT);
    auto& record = it->second;
    if (record.running && !record.exit_code) {
        auto exit = runtime::read_exit_record(record.run_dir);
        if (!exit.is_error() && exit->has_value()) {
            record.exit_code = (*exit)->exit_code;
            record.running = false;
        } else if (auto c = m_containers.find(record.container_id);
                   c == m_containers.end() || !c->second->state.running()) {
            record.running = false; // ended with its container
        }
    }
    return record;
}

ErrorOr<void> Engine::resize_exec(const std::string& exec_id, unsigned rows, unsigned columns)
{
    std::string run;
    {
        std::lock_guard lock(m_mutex);
        auto it = m_execs.find(exec_id);
        if (it == m_execs.end())
            return Error::from_string("No such exec instance: " + exec_id, ENOENT);
        if (!it->second.running) {
            if (it->second.exit_code)
                return Error::from_string("Exec " + exec_id + " is not running", EBUSY);
            it->second.pending_size = std::pair { rows, columns };
            return {};
        }
        run = it->second.run_dir;
    }
    auto connection = TRY(runtime::SupervisorConnection::connect(run, ""));
    return connection.resize(rows, columns);
}

ErrorOr<ExecSession> Engine::start_exec(const std::string& exec_id, std::string_view streams)
{
    std::unique_lock lock(m_mutex);
    auto exec_it = m_execs.find(exec_id);
    if (exec_it == m_execs.end())
        return Error::from_string("No such exec instance: " + exec_id, ENOENT);
    if (exec_it->second.started)
        return Error::from_string("Error: Exec command " + exec_id + " has already run", EBUSY);
    ExecOptions options = exec_it->second.options;
    auto container = TRY(get_locked(exec_it->second.container_id));
    auto& c = *container;
    if (!c.state.running())
        return Error::from_string("Container " + c.id + " is not running", EBUSY);
    if (c.state.status == "paused")
        return Error::from_string("Container " + c.id + " is paused, unpause the container before exec", EBUSY);
    std::string run = run_dir(c.id);
    std::string text = TRY(read_file(path_join(run, runtime::SUPERVISOR_SPEC_NAME), runtime::MAX_SPEC_JSON_SIZE));
    runtime::Spec spec = TRY(runtime::spec_from_json(text));
    pid_t target = c.state.pid;
    auto cgroup = TRY(runtime::Cgroup::open(cgroup_path_of(m_options, c), m_options.cgroup_root));

    // Docker's exec: the container's environment and user unless the exec
    // says otherwise.
    runtime::Process process = spec.process;
    process.args = options.cmd;
    for (auto const& entry : options.env) {
        auto key = entry.substr(0, entry.find('='));
        std::erase_if(process.env, [&](auto const& e) { return e.substr(0, e.find('=')) == key; });
        process.env.push_back(entry);
    }
    if (!options.working_dir.empty())
        process.cwd = options.working_dir;
    if (!options.user.empty()) {
        std::vector<std::string> etc_dirs { path_join(container_dir(c.id), "upper") };
        auto record = TRY(m_images->resolve(c.image_id));
        auto lowers = TRY(m_images->layer_dirs(record));
        etc_dirs.insert(etc_dirs.end(), lowers.begin(), lowers.end());
        auto user = TRY(runtime::resolve_user(
            options.user, image_file(etc_dirs, "etc/passwd"), image_file(etc_dirs, "etc/group")));
        process.user.uid = user.uid;
        process.user.gid = user.gid;
        process.user.additional_gids = user.supplementary_gids;
    }
    process.terminal = options.tty;
    process.open_stdin = options.attach_stdin;
    if (options.privileged) {
        std::vector<std::string> all;
        for (auto const& cap : runtime::all_capabilities())
            all.emplace_back(cap.name);
        process.capabilities = { all, all, all, all, {} };
    }
    spec.process = process;

    std::string exec_dir = path_join(path_join(run, "exec"), exec_id);
    TRY(mkdir_p(exec_dir, 0700));
    Fd listener = TRY(runtime::bind_supervisor_socket(exec_dir));
    ExecSession session;
    session.exec_id = exec_id;
    session.run_dir = exec_dir;
    session.connection.emplace(TRY(runtime::SupervisorConnection::connect(exec_dir, streams)));
    exec_it->second.started = true;
    exec_it->second.run_dir = exec_dir;

    runtime::SupervisorOptions supervisor;
    supervisor.binary = m_options.supervisor_binary;
    supervisor.run_dir = exec_dir;
    supervisor.spec = std::move(spec);
    supervisor.exec_target = target;
    supervisor.cgroup_dirs = cgroup.directories();
    lock.unlock();
    auto launched = runtime::launch_supervisor(supervisor, std::move(listener));
    lock.lock();
    auto again = m_execs.find(exec_id);
    if (launched.is_error()) {
        if (again != m_execs.end()) {
            again->second.exit_code = launched.error().code() == ENOENT ? 127 : 126;
        }
        return launched.release_error();
    }
    session.pid = launched->process_pid;
    std::optional<std::pair<unsigned, unsigned>> size;
    if (again != m_execs.end()) {
        again->second.running = true;
        again->second.pid = launched->process_pid;
        size = again->second.pending_size;
    }
    if (size) {
        if (auto control = runtime::SupervisorConnection::connect(exec_dir, ""); !control.is_error())
            (void)control->resize(size->first, size->second);
    }
    emit("exec_start: " + join(options.cmd, " "), c, { { "execID", exec_id } });
    return session;
}

} // namespace corral::engine
