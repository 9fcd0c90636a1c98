#pragma once

// The start order of a set of services. RancherOS orders boot with labels and
// with compose's own references between services (reference §4.3, §1.6): a
// service starts once everything it depends on has started (or, for a one-shot,
// has exited). Independent services may start in parallel, so the graph answers
// "what may start now, given what is done" as well as giving one total order.
//
// A dependency cycle cannot be started in any order. Rather than refusing the
// whole set (one bad user service would then keep the console from coming up),
// the services in a cycle, and everything that depends on them, are "blocked":
// they never come out of ready(), waves() or order(), and each cycle is
// reported with every service on it. The rest of the set is unaffected.
//
// Dependencies on services outside the set are ignored for ordering, as
// RancherOS (libcompose) ignores them: `after: network` in a project that has
// no network service, or volumes_from naming a plain container. They are kept
// in external() for the caller to mention.

#include "base/error.h"
#include "config/model.h"

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace corral::compose {

// Why one service depends on another, in the order they are reported.
enum class DependencyKind {
    After, // io.rancher.os.after on the dependant
    Before, // io.rancher.os.before on the dependency
    Link, // links: (the service name before ":alias")
    VolumesFrom, // volumes_from: name, name:ro, service:name (not container:name)
    DependsOn, // depends_on:
    NetworkMode, // net / network_mode: container:x or service:x
    Pid, // pid: container:x or service:x
    Ipc, // ipc: container:x or service:x
    Syslog, // logging through the syslog driver needs the `syslog` service
    UserScope, // a service of the user engine needs the `docker` service
    MissingImage, // a system service whose image must be pulled needs `network`
};

// "io.rancher.os.after", "volumes_from", "syslog logging", …
std::string_view dependency_kind_name(DependencyKind kind);

struct Edge {
    std::string from; // the dependant: starts after `to`
    std::string to; // the dependency
    DependencyKind kind;
    std::string declared_by; // the service whose definition makes the edge

    // "a -> b: io.rancher.os.after of a"
    std::string describe() const;
    bool operator==(const Edge&) const = default;
};

// One service's own dependencies, as its definition states them: everything
// but Before, which the graph adds from the other side. `image_missing` says
// the image of a system service is not present and must be pulled. Targets are
// service names, not checked against any set; self references are kept.
// Duplicates are kept, in the order of DependencyKind and then as written.
std::vector<Edge> service_dependencies(
    std::string_view name, const config::ServiceConfig& service, bool image_missing = false);

struct GraphOptions {
    // System services whose image is not present locally; they depend on
    // `network` so that the image can be pulled once networking is up.
    std::set<std::string> missing_images;
};

struct Cycle {
    std::vector<std::string> services; // a, b, c for a -> b -> c -> a; starts at the smallest name
    std::vector<Edge> edges; // a -> b, b -> c, c -> a

    // "dependency cycle: a -> b -> c -> a (a -> b: io.rancher.os.after of a; b -> c: ...; c -> a: ...)"
    std::string describe() const;
};

class DependencyGraph {
public:
    // Never fails: cycles are found and reported by cycles() and check().
    static DependencyGraph build(
        const std::map<std::string, config::ServiceConfig>& services, const GraphOptions& options = {});

    const std::set<std::string>& services() const { return m_services; }
    // Every edge between two services of the set, without duplicates (the
    // first reason for a pair wins) and without self references, sorted by
    // (from, to).
    const std::vector<Edge>& edges() const { return m_edges; }
    // Edges to services outside the set, in the same order.
    const std::vector<Edge>& external() const { return m_external; }

    // Direct dependencies and dependants of a service, in name order.
    std::vector<std::string> dependencies(std::string_view service) const;
    std::vector<std::string> dependants(std::string_view service) const;

    // The cycles, one per strongly connected group of services, ordered by
    // their first service. Each names one cycle through that group's smallest
    // service, found by following the smallest names first.
    const std::vector<Cycle>& cycles() const { return m_cycles; }
    // The first cycle as an error (EINVAL), or success when there is none.
    ErrorOr<void> check() const;
    // The services in a cycle or depending, directly or not, on one.
    const std::set<std::string>& blocked() const { return m_blocked; }

    // For parallel start: the services, in name order, that are not blocked,
    // not in `done` and not in `started`, and whose dependencies are all in
    // `done`. Names in `done` or `started` that are not services are ignored.
    std::vector<std::string> ready(const std::set<std::string>& done, const std::set<std::string>& started = {}) const;
    // The services that are not blocked, in waves: the first wave depends on
    // nothing, each later wave only on earlier ones. Each wave in name order.
    std::vector<std::vector<std::string>> waves() const;
    // A total order of the services that are not blocked: each after all its
    // dependencies, and among those free to go next, the smallest name first.
    std::vector<std::string> order() const;

    // `roots` (those in the set) and everything they depend on, directly or
    // not: what `up <service>` must bring up.
    std::set<std::string> with_dependencies(const std::set<std::string>& roots) const;
    // Everything depending on `service`, directly or not (not the service
    // itself): what cannot start when it failed.
    std::set<std::string> transitive_dependants(std::string_view service) const;

private:
    void find_cycles();

    std::set<std::string> m_services;
    std::vector<Edge> m_edges;
    std::vector<Edge> m_external;
    std::map<std::string, std::set<std::string>, std::less<>> m_dependencies;
    std::map<std::string, std::set<std::string>, std::less<>> m_dependants;
    std::vector<Cycle> m_cycles;
    std::set<std::string> m_blocked;
};

} // namespace corral::compose
