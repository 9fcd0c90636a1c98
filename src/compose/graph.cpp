#include "compose/graph.h"

#include "compose/labels.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <tuple>

namespace corral::compose {

namespace {

// "container:x" and "service:x" in net/network_mode, pid and ipc name another
// service (the first form is compose v1's, where x may be a service or a plain
// container; the graph keeps it only when x is a service of the set).
std::optional<std::string> namespace_target(std::string_view mode)
{
    for (std::string_view prefix : { "container:", "service:" }) {
        if (mode.starts_with(prefix) && mode.size() > prefix.size())
            return std::string(mode.substr(prefix.size()));
    }
    return std::nullopt;
}

// "name", "name:ro", "service:name[:mode]" name a service; "container:name"
// names a container explicitly and never a service (compose v2).
std::optional<std::string> volumes_from_target(std::string_view entry)
{
    if (entry.starts_with("container:"))
        return std::nullopt;
    if (entry.starts_with("service:"))
        entry.remove_prefix(8);
    std::string_view name = entry.substr(0, entry.find(':'));
    if (name.empty())
        return std::nullopt;
    return std::string(name);
}

bool by_pair_then_kind(const Edge& a, const Edge& b)
{
    return std::tie(a.from, a.to, a.kind) < std::tie(b.from, b.to, b.kind);
}

void sort_and_dedupe(std::vector<Edge>& edges)
{
    std::stable_sort(edges.begin(), edges.end(), by_pair_then_kind);
    auto same_pair = [](const Edge& a, const Edge& b) { return a.from == b.from && a.to == b.to; };
    edges.erase(std::unique(edges.begin(), edges.end(), same_pair), edges.end());
}

} // namespace

std::string_view dependency_kind_name(DependencyKind kind)
{
    switch (kind) {
    case DependencyKind::After:
        return "io.rancher.os.after";
    case DependencyKind::Before:
        return "io.rancher.os.before";
    case DependencyKind::Link:
        return "links";
    case DependencyKind::VolumesFrom:
        return "volumes_from";
    case DependencyKind::DependsOn:
        return "depends_on";
    case DependencyKind::NetworkMode:
        return "network_mode";
    case DependencyKind::Pid:
        return "pid";
    case DependencyKind::Ipc:
        return "ipc";
    case DependencyKind::Syslog:
        return "syslog logging";
    case DependencyKind::UserScope:
        return "user scope";
    case DependencyKind::MissingImage:
        return "missing image";
    }
    return "dependency";
}

std::string Edge::describe() const
{
    return from + " -> " + to + ": " + std::string(dependency_kind_name(kind)) + " of " + declared_by;
}

std::vector<Edge> service_dependencies(std::string_view name, const config::ServiceConfig& service, bool image_missing)
{
    std::vector<Edge> out;
    std::string self(name);
    auto add = [&](std::string target, DependencyKind kind) {
        out.push_back(Edge { self, std::move(target), kind, self });
    };

    for (auto& target : service_list_label(service.labels, AFTER_LABEL))
        add(std::move(target), DependencyKind::After);
    for (auto const& link : service.links) {
        std::string target = link.substr(0, link.find(':'));
        if (!target.empty())
            add(std::move(target), DependencyKind::Link);
    }
    for (auto const& entry : service.volumes_from) {
        if (auto target = volumes_from_target(entry))
            add(std::move(*target), DependencyKind::VolumesFrom);
    }
    for (auto const& target : service.depends_on)
        add(target, DependencyKind::DependsOn);
    const std::string& network = service.network_mode.empty() ? service.net : service.network_mode;
    if (auto target = namespace_target(network))
        add(std::move(*target), DependencyKind::NetworkMode);
    if (auto target = namespace_target(service.pid))
        add(std::move(*target), DependencyKind::Pid);
    if (auto target = namespace_target(service.ipc))
        add(std::move(*target), DependencyKind::Ipc);
    const std::string& log_driver = service.logging.driver.empty() ? service.log_driver : service.logging.driver;
    if (log_driver == "syslog")
        add("syslog", DependencyKind::Syslog);
    Scope scope = scope_of(service.labels);
    if (scope == Scope::User)
        add("docker", DependencyKind::UserScope);
    if (image_missing && scope == Scope::System)
        add("network", DependencyKind::MissingImage);
    return out;
}

std::string Cycle::describe() const
{
    std::string out = "dependency cycle: ";
    for (auto const& service : services)
        out += service + " -> ";
    out += services.empty() ? std::string() : services.front();
    out += " (";
    for (size_t i = 0; i < edges.size(); ++i) {
        if (i)
            out += "; ";
        out += edges[i].describe();
    }
    out += ")";
    return out;
}

DependencyGraph DependencyGraph::build(
    const std::map<std::string, config::ServiceConfig>& services, const GraphOptions& options)
{
    DependencyGraph graph;
    for (auto const& [name, service] : services) {
        graph.m_services.insert(name);
        graph.m_dependencies[name];
        graph.m_dependants[name];
    }

    std::vector<Edge> all;
    for (auto const& [name, service] : services) {
        for (auto& edge : service_dependencies(name, service, options.missing_images.contains(name)))
            all.push_back(std::move(edge));
        for (auto& dependant : service_list_label(service.labels, BEFORE_LABEL))
            all.push_back(Edge { std::move(dependant), name, DependencyKind::Before, name });
    }
    for (auto& edge : all) {
        if (edge.from == edge.to)
            continue;
        bool internal = graph.m_services.contains(edge.from) && graph.m_services.contains(edge.to);
        (internal ? graph.m_edges : graph.m_external).push_back(std::move(edge));
    }
    sort_and_dedupe(graph.m_edges);
    sort_and_dedupe(graph.m_external);
    for (auto const& edge : graph.m_edges) {
        graph.m_dependencies[edge.from].insert(edge.to);
        graph.m_dependants[edge.to].insert(edge.from);
    }
    graph.find_cycles();
    return graph;
}

void DependencyGraph::find_cycles()
{
    // Tarjan's strongly connected components. Recursion is as deep as the
    // longest dependency chain, which is bounded by the number of services.
    std::map<std::string, int, std::less<>> index;
    std::map<std::string, int, std::less<>> low;
    std::set<std::string, std::less<>> on_stack;
    std::vector<std::string> stack;
    std::vector<std::set<std::string>> components;
    int counter = 0;

    std::function<void(const std::string&)> visit = [&](const std::string& v) {
        index[v] = low[v] = counter++;
        stack.push_back(v);
        on_stack.insert(v);
        for (auto const& w : m_dependencies.at(v)) {
            if (!index.contains(w)) {
                visit(w);
                low[v] = std::min(low[v], low[w]);
            } else if (on_stack.contains(w)) {
                low[v] = std::min(low[v], index[w]);
            }
        }
        if (low[v] != index[v])
            return;
        std::set<std::string> component;
        std::string w;
        do {
            w = stack.back();
            stack.pop_back();
            on_stack.erase(w);
            component.insert(w);
        } while (w != v);
        if (component.size() > 1)
            components.push_back(std::move(component));
    };
    for (auto const& service : m_services) {
        if (!index.contains(service))
            visit(service);
    }

    std::map<std::pair<std::string, std::string>, const Edge*> edge_of;
    for (auto const& edge : m_edges)
        edge_of[{ edge.from, edge.to }] = &edge;

    for (auto const& component : components) {
        // The shortest way from the smallest service back to itself, trying
        // the smallest names first, within the component.
        const std::string& start = *component.begin();
        std::map<std::string, std::string> parent;
        std::deque<std::string> queue { start };
        std::string last;
        while (!queue.empty() && last.empty()) {
            std::string u = queue.front();
            queue.pop_front();
            for (auto const& v : m_dependencies.at(u)) {
                if (!component.contains(v))
                    continue;
                if (v == start) {
                    last = u;
                    break;
                }
                if (!parent.contains(v)) {
                    parent[v] = u;
                    queue.push_back(v);
                }
            }
        }
        Cycle cycle;
        for (std::string at = last; at != start; at = parent.at(at))
            cycle.services.push_back(at);
        cycle.services.push_back(start);
        std::reverse(cycle.services.begin(), cycle.services.end());
        for (size_t i = 0; i < cycle.services.size(); ++i) {
            auto const& from = cycle.services[i];
            auto const& to = cycle.services[(i + 1) % cycle.services.size()];
            cycle.edges.push_back(*edge_of.at({ from, to }));
        }
        m_cycles.push_back(std::move(cycle));

        for (auto const& service : component) {
            m_blocked.insert(service);
            for (auto const& dependant : transitive_dependants(service))
                m_blocked.insert(dependant);
        }
    }
    std::sort(m_cycles.begin(), m_cycles.end(),
        [](const Cycle& a, const Cycle& b) { return a.services.front() < b.services.front(); });
}

ErrorOr<void> DependencyGraph::check() const
{
    if (m_cycles.empty())
        return {};
    return Error::from_string(m_cycles.front().describe());
}

std::vector<std::string> DependencyGraph::dependencies(std::string_view service) const
{
    auto it = m_dependencies.find(service);
    if (it == m_dependencies.end())
        return {};
    return { it->second.begin(), it->second.end() };
}

std::vector<std::string> DependencyGraph::dependants(std::string_view service) const
{
    auto it = m_dependants.find(service);
    if (it == m_dependants.end())
        return {};
    return { it->second.begin(), it->second.end() };
}

std::vector<std::string> DependencyGraph::ready(
    const std::set<std::string>& done, const std::set<std::string>& started) const
{
    std::vector<std::string> out;
    for (auto const& service : m_services) {
        if (m_blocked.contains(service) || done.contains(service) || started.contains(service))
            continue;
        auto const& needs = m_dependencies.at(service);
        if (std::all_of(needs.begin(), needs.end(), [&](const std::string& d) { return done.contains(d); }))
            out.push_back(service);
    }
    return out;
}

std::vector<std::vector<std::string>> DependencyGraph::waves() const
{
    std::vector<std::vector<std::string>> out;
    std::set<std::string> done;
    for (;;) {
        auto wave = ready(done);
        if (wave.empty())
            break;
        done.insert(wave.begin(), wave.end());
        out.push_back(std::move(wave));
    }
    return out;
}

std::vector<std::string> DependencyGraph::order() const
{
    std::map<std::string, size_t> waiting; // service → dependencies not yet placed
    std::set<std::string> free;
    for (auto const& service : m_services) {
        if (m_blocked.contains(service))
            continue;
        size_t count = m_dependencies.at(service).size();
        waiting[service] = count;
        if (count == 0)
            free.insert(service);
    }
    std::vector<std::string> out;
    while (!free.empty()) {
        std::string next = *free.begin();
        free.erase(free.begin());
        for (auto const& dependant : m_dependants.at(next)) {
            auto it = waiting.find(dependant);
            if (it != waiting.end() && --it->second == 0)
                free.insert(dependant);
        }
        out.push_back(std::move(next));
    }
    return out;
}

std::set<std::string> DependencyGraph::with_dependencies(const std::set<std::string>& roots) const
{
    std::set<std::string> out;
    std::vector<std::string> pending;
    for (auto const& root : roots) {
        if (m_services.contains(root))
            pending.push_back(root);
    }
    while (!pending.empty()) {
        std::string service = std::move(pending.back());
        pending.pop_back();
        if (!out.insert(service).second)
            continue;
        for (auto const& dependency : m_dependencies.at(service))
            pending.push_back(dependency);
    }
    return out;
}

std::set<std::string> DependencyGraph::transitive_dependants(std::string_view service) const
{
    std::set<std::string> out;
    std::vector<std::string> pending = dependants(service);
    while (!pending.empty()) {
        std::string next = std::move(pending.back());
        pending.pop_back();
        if (!out.insert(next).second)
            continue;
        for (auto const& dependant : m_dependants.at(next))
            pending.push_back(dependant);
    }
    out.erase(std::string(service));
    return out;
}

} // namespace corral::compose
