#pragma once

// Bringing a set of services up against Docker API daemons, as RancherOS's
// boot and `ros service up` do: in dependency order (graph.h), independent
// services in parallel, each one's image pulled when missing, its container
// created or kept or recreated by its definition hash and the rebuild rules
// (labels.h), then started, or only created (createonly), or started and
// waited for (a one-shot: detach=false, whose failure fails its dependants).
//
// A failing service is reported and does not stop the others: only what
// depends on it is skipped, with the reason. A dependency cycle blocks the
// services on it (and their dependants) and is reported the same way.
//
// A service labelled reloadconfig asks, once it has started, for the
// services as they are now (the network service makes remote service files
// and images reachable): new ones join the run, and are ordered with the rest.
// A service that comes after `network` also waits, for a while, for a
// default route, since an address may come some time after the network
// service has started.

#include "api/client.h"
#include "compose/environment.h"
#include "config/model.h"

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace corral::compose {

// A service as a source gave it: its definition after interpolation.
struct Service {
    std::string name;
    config::ServiceConfig config;
    config::KeyValueList env_files; // the entries of its env_file: files, read
    std::string base_directory; // for relative host paths in volumes
};

// Where services go: scope system to `system`, the others to `user`.
struct Daemons {
    api::Client* system { nullptr };
    api::Client* user { nullptr }; // none: user services fail, saying so
};

enum class Outcome {
    Started, // running (started now, or found running and kept)
    Created, // createonly: the container exists, not started
    Completed, // a one-shot that ran and exited 0
    Failed, // see message
    Skipped, // not tried: a dependency failed or is in a cycle (message says which)
};

std::string_view outcome_name(Outcome outcome); // "started", "created", …

struct ServiceReport {
    std::string name;
    Outcome outcome { Outcome::Failed };
    std::string container_id;
    bool recreated { false }; // an existing container was replaced
    bool pulled { false }; // its image was pulled
    std::string message; // why it failed or was skipped; a warning otherwise
};

struct UpOptions {
    std::string project { "os" };
    Environment environment; // rancher_environment()
    std::string home_directory { "/root" };
    // Only these services and what they depend on; empty: all.
    std::set<std::string> only;
    bool force_recreate { false };
    bool force_console_rebuild { false }; // rancher.force_console_rebuild
    bool start { true }; // false: create only (ros service create)
    size_t parallel { 8 }; // services brought up at once
    // How long a service that comes after `network` waits for a default
    // route before it starts anyway (RancherOS: 20 s); 0: no wait.
    std::chrono::milliseconds network_wait { 20000 };
    // Where the routes are read (tests point it elsewhere).
    std::string proc_net { "/proc/net" };
    // Called after a reloadconfig service has started. Services it returns
    // that are not in the run yet join it.
    std::function<ErrorOr<std::vector<Service>>()> reload;
    // Told each result as it comes (boot logs, `ros service up` output).
    std::function<void(const ServiceReport&)> progress;
};

struct UpReport {
    std::vector<ServiceReport> services; // in the order they finished
    std::vector<std::string> errors; // dependency cycles and other whole-run problems

    bool ok() const;
    const ServiceReport* find(std::string_view name) const;
};

UpReport up(std::vector<Service> services, const Daemons& daemons, const UpOptions& options);

// Pulls `image` on `client` (again, when it is there already). A failure,
// also one the daemon reports inside its progress stream, is an error naming
// the image.
ErrorOr<void> pull_image(api::Client& client, const std::string& image);

// The image's ID on `client`, pulling it first when the daemon does not have
// it (`pulled` says so). A failed pull is an error naming the image.
ErrorOr<std::string> ensure_image(api::Client& client, const std::string& image, bool& pulled);

// The daemon a service belongs to, or an error (ENOTCONN) when that daemon is
// not available.
ErrorOr<api::Client*> daemon_for(const Service& service, const Daemons& daemons);

} // namespace corral::compose
