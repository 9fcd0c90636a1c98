#pragma once

// A container as the engine keeps it: what it was created from, what was
// resolved for it (image, mounts), and its state. Persisted as
// <data-root>/containers/<id>/container.json, replaced atomically on every
// change, so that a restarted engine (or a crashed one) finds it again.

#include "base/error.h"
#include "base/fd.h"
#include "engine/restart_policy.h"
#include "runtime/container_config.h"
#include "runtime/supervisor.h"

#include <nlohmann/json.hpp>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace corral::engine {

// Docker's zero time, which it shows for a container never started.
constexpr const char* ZERO_TIME = "0001-01-01T00:00:00Z";

// One entry of `docker inspect`'s Mounts, resolved at create.
struct MountPoint {
    std::string type; // "bind", "volume"
    std::string name; // the volume's name
    std::string source; // host path (for volumes, filled at start by the volume store)
    std::string destination;
    std::string mode; // as given: "ro", "z", "" …
    bool rw { true };
    std::string propagation;
    bool no_copy { false };
    bool anonymous { false }; // removed with the container when asked (docker rm -v)
};

struct ContainerState {
    // created, running, paused, restarting, exited, dead
    std::string status { "created" };
    pid_t pid { 0 };
    int exit_code { 0 };
    bool oom_killed { false };
    std::string error;
    std::string started_at { ZERO_TIME };
    std::string finished_at { ZERO_TIME };
    pid_t supervisor_pid { 0 };

    bool running() const { return status == "running" || status == "paused"; }
};

// An attach made before the container started: connected by the start.
struct PendingAttach {
    std::string streams;
    std::optional<runtime::SupervisorConnection> connection;
    std::optional<Error> error;
    bool done { false };
};

struct Container {
    std::string id;
    std::string name; // without the leading '/'
    std::string created;
    std::string image; // Config.Image as given
    std::string image_id; // "sha256:…"
    nlohmann::json request; // the create body, kept as received
    std::vector<MountPoint> mounts;
    int restart_count { 0 };
    bool manually_stopped { false };
    ContainerState state;
    std::string log_path;

    // Derived on create and load, not stored.
    runtime::CreateRequest parsed;
    runtime::ImageDefaults image_defaults;
    runtime::ContainerConfig config; // Config with the image's defaults merged (inspect's Config)
    RestartManager restart_manager;
    // Live only while the engine watches the container.
    Fd control; // a control connection to its supervisor
    Fd pidfd; // the container's process
    uint64_t generation { 0 }; // bumped by each start, so that stale exits are ignored
    bool restart_pending { false };
    bool removing { false };
    bool starting { false };
    bool auto_remove_pending { false };
    std::vector<std::shared_ptr<PendingAttach>> pending_attaches; // HostConfig.AutoRemove, once it has exited for good
};

nlohmann::json container_to_json(const Container& container);
// The stored fields; the derived ones are the engine's to fill.
ErrorOr<Container> container_from_json(const nlohmann::json& json);

} // namespace corral::engine
