#include "compose/orchestrator.h"

#include "base/file.h"
#include "base/log.h"
#include "base/strings.h"
#include "compose/container_spec.h"
#include "compose/graph.h"
#include "compose/labels.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace corral::compose {

namespace {

using nlohmann::json;

ErrorOr<json> get_json(api::Client& client, const std::string& path)
{
    auto response = TRY(client.request("GET", path));
    auto parsed = json::parse(response.body, nullptr, false);
    if (parsed.is_discarded())
        return Error::from_string("GET " + path + ": the daemon's answer is not JSON", EPROTO);
    return parsed;
}

std::vector<std::string> fields_of(const std::string& line)
{
    std::vector<std::string> fields;
    for (auto const& field : split(line, ' '))
        for (auto const& part : split(field, '\t'))
            if (!part.empty())
                fields.push_back(part);
    return fields;
}

// Whether the routing table has a default route: IPv4 destination 0 with
// the flags up and gateway (0003), or the IPv6 ::/0 route with up, gateway
// and default flags (00450003), as RancherOS checked.
bool has_default_route(const std::string& proc_net)
{
    if (auto routes = read_file(proc_net + "/route"); !routes.is_error()) {
        for (auto const& line : split(*routes, '\n')) {
            auto fields = fields_of(line);
            if (fields.size() > 3 && fields[1] == "00000000" && fields[3] == "0003")
                return true;
        }
    }
    if (auto routes = read_file(proc_net + "/ipv6_route"); !routes.is_error()) {
        for (auto const& line : split(*routes, '\n')) {
            auto fields = fields_of(line);
            if (fields.size() > 8 && fields[0] == std::string(32, '0') && fields[1] == "00" && fields[8] == "00450003")
                return true;
        }
    }
    return false;
}

std::map<std::string, std::string> labels_of(const json& container)
{
    std::map<std::string, std::string> labels;
    auto config = container.find("Config");
    if (config == container.end() || !config->is_object())
        return labels;
    auto found = config->find("Labels");
    if (found == config->end() || !found->is_object())
        return labels;
    for (auto const& [key, value] : found->items())
        if (value.is_string())
            labels[key] = value.get<std::string>();
    return labels;
}

// One service, from its definition to its container in the state asked for.
class ServiceRun {
public:
    ServiceRun(const Service& service, const ServiceLabels& labels, api::Client& client, const SpecContext& context,
        const UpOptions& options)
        : m_service(service)
        , m_labels(labels)
        , m_client(client)
        , m_context(context)
        , m_options(options)
    {
        m_report.name = service.name;
    }

    ServiceReport run()
    {
        auto done = bring_up();
        if (done.is_error()) {
            m_report.outcome = Outcome::Failed;
            m_report.message = done.error().message();
        }
        return m_report;
    }

private:
    ErrorOr<void> bring_up()
    {
        auto spec = TRY(build_container_spec(m_service.name, m_service.config, m_context, m_service.env_files));
        if (std::find(m_labels.after.begin(), m_labels.after.end(), "network") != m_labels.after.end())
            wait_for_network();
        std::string image_id = TRY(ensure_image(m_client, m_service.config.image, m_report.pulled));
        std::string id = TRY(existing_or_new(spec, image_id));
        m_report.container_id = id;
        if (m_labels.create_only || !m_options.start) {
            m_report.outcome = Outcome::Created;
            return {};
        }
        auto state = TRY(get_json(m_client, "/containers/" + id + "/json"));
        bool running = state.contains("State") && state["State"].value("Running", false);
        if (!running)
            TRY(m_client.request("POST", "/containers/" + id + "/start"));
        if (!m_labels.detach) {
            // A one-shot: it must end, and end well, before its dependants go.
            auto waited = TRY(m_client.request("POST", "/containers/" + id + "/wait"));
            auto result = json::parse(waited.body, nullptr, false);
            int64_t code = result.is_object() ? result.value("StatusCode", int64_t { -1 }) : -1;
            if (code != 0)
                return Error::from_string("exited with code " + std::to_string(code), ECHILD);
            m_report.outcome = Outcome::Completed;
            return {};
        }
        m_report.outcome = Outcome::Started;
        return {};
    }

    void wait_for_network()
    {
        auto deadline = std::chrono::steady_clock::now() + m_options.network_wait;
        while (!has_default_route(m_options.proc_net)) {
            if (std::chrono::steady_clock::now() >= deadline) {
                if (m_options.network_wait.count() > 0)
                    m_report.message = "no default route after waiting; started anyway";
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }

    // The container to use: the existing one when it still matches its
    // definition (or may not be recreated), else a new one.
    ErrorOr<std::string> existing_or_new(const ContainerSpec& spec, const std::string& image_id)
    {
        auto existing = get_json(m_client, "/containers/" + api::path_escape(spec.name) + "/json");
        if (existing.is_error() && existing.error().code() != ENOENT)
            return existing.error();
        if (!existing.is_error()) {
            auto labels = labels_of(*existing);
            auto hash = labels.find(std::string(CONFIG_HASH_LABEL));
            bool out_of_sync = hash == labels.end() || hash->second != spec.config_hash
                || existing->value("Image", std::string()) != image_id;
            auto decision = m_options.force_recreate
                ? RecreateDecision::Recreate
                : decide_recreate(m_service.name, m_labels, labels, out_of_sync, m_options.force_console_rebuild);
            std::string id = existing->value("Id", std::string());
            if (decision == RecreateDecision::KeepOutOfSync)
                m_report.message = "the container is out of date, but io.docker.compose.rebuild is false: kept";
            if (decision != RecreateDecision::Recreate)
                return id;
            TRY(m_client.request("DELETE", "/containers/" + id, { { "force", "1" } }));
            m_report.recreated = true;
        }
        auto created = TRY(m_client.request("POST", "/containers/create", { { "name", spec.name } }, spec.body.dump()));
        auto body = json::parse(created.body, nullptr, false);
        if (!body.is_object() || !body.contains("Id") || !body["Id"].is_string())
            return Error::from_string("creating " + spec.name + ": no Id in the daemon's answer", EPROTO);
        return body["Id"].get<std::string>();
    }

    const Service& m_service;
    const ServiceLabels& m_labels;
    api::Client& m_client;
    const SpecContext& m_context;
    const UpOptions& m_options;
    ServiceReport m_report;
};

// The state of one up: which services there are, which have finished and
// how, and what is running now.
class Run {
public:
    Run(const Daemons& daemons, const UpOptions& options)
        : m_daemons(daemons)
        , m_options(options)
    {
        m_context.project = options.project;
        m_context.environment = options.environment;
        m_context.home_directory = options.home_directory;
    }

    void add(std::vector<Service> services)
    {
        for (auto& service : services) {
            if (m_services.contains(service.name))
                continue;
            m_context.container_names[service.name] = container_name(service.name, service.config);
            m_services.emplace(service.name, std::move(service));
        }
        std::map<std::string, config::ServiceConfig> configs;
        for (auto const& [name, service] : m_services)
            configs.emplace(name, service.config);
        m_graph = DependencyGraph::build(configs);
        if (m_options.only.empty()) {
            m_wanted = m_graph.services();
        } else {
            std::set<std::string> roots = m_options.only;
            roots.insert(m_joined.begin(), m_joined.end());
            m_wanted = m_graph.with_dependencies(roots);
        }
        for (auto const& cycle : m_graph.cycles()) {
            std::string text = cycle.describe();
            if (std::find(m_report.errors.begin(), m_report.errors.end(), text) == m_report.errors.end())
                m_report.errors.push_back(text);
        }
        for (auto const& name : m_graph.blocked()) {
            if (m_wanted.contains(name) && !m_finished.contains(name))
                finish_locked(skipped(name, "it is on or depends on a dependency cycle"));
        }
    }

    UpReport run()
    {
        std::unique_lock lock(m_mutex);
        while (true) {
            bool launched = false;
            for (auto const& name : m_graph.ready(m_succeeded, m_started)) {
                if (!m_wanted.contains(name) || m_finished.contains(name))
                    continue;
                if (m_running >= std::max<size_t>(1, m_options.parallel))
                    break;
                launch_locked(name);
                launched = true;
            }
            if (m_running == 0 && !launched)
                break;
            m_changed.wait(lock, [&] { return m_changes > 0; });
            m_changes = 0;
        }
        // Whatever never became ready waits on something that failed.
        for (auto const& name : m_wanted) {
            if (!m_finished.contains(name))
                finish_locked(skipped(name, "a dependency did not come up: " + failed_dependencies(name)));
        }
        for (auto& thread : m_threads)
            thread.join();
        return m_report;
    }

private:
    ServiceReport skipped(const std::string& name, std::string why)
    {
        ServiceReport report;
        report.name = name;
        report.outcome = Outcome::Skipped;
        report.message = std::move(why);
        return report;
    }

    std::string failed_dependencies(const std::string& name) const
    {
        std::string names;
        for (auto const& dependency : m_graph.dependencies(name)) {
            if (m_finished.contains(dependency) && !m_succeeded.contains(dependency))
                names += (names.empty() ? "" : ", ") + dependency;
        }
        return names.empty() ? "(none finished)" : names;
    }

    void finish_locked(ServiceReport report)
    {
        m_finished.insert(report.name);
        if (report.outcome != Outcome::Failed && report.outcome != Outcome::Skipped)
            m_succeeded.insert(report.name);
        if (report.outcome == Outcome::Failed)
            log::warn("service " + report.name + " failed: " + report.message);
        if (m_options.progress)
            m_options.progress(report);
        m_report.services.push_back(std::move(report));
    }

    void launch_locked(const std::string& name)
    {
        m_started.insert(name);
        m_running++;
        m_threads.emplace_back([this, name] {
            ServiceReport report = bring_up(name);
            std::vector<Service> added;
            bool reload = false;
            {
                std::lock_guard lock(m_mutex);
                reload = report.outcome == Outcome::Started && m_labels.at(name).reload_config && m_options.reload;
            }
            // The reload reads configuration and maybe the network: outside the lock.
            if (reload) {
                auto fresh = m_options.reload();
                if (fresh.is_error())
                    report.message = "reloading the configuration: " + fresh.error().message();
                else
                    added = fresh.release_value();
            }
            std::lock_guard lock(m_mutex);
            if (!added.empty()) {
                // Services a reload brings in were enabled for this run:
                // they are wanted whatever `only` said.
                for (auto const& service : added)
                    if (!m_services.contains(service.name))
                        m_joined.insert(service.name);
                add(std::move(added));
            }
            finish_locked(std::move(report));
            m_running--;
            m_changes++;
            m_changed.notify_all();
        });
    }

    ServiceReport bring_up(const std::string& name)
    {
        const Service* service = nullptr;
        api::Client* client = nullptr;
        const ServiceLabels* labels = nullptr;
        {
            std::lock_guard lock(m_mutex);
            service = &m_services.at(name);
            auto parsed = parse_labels(service->config.labels, name);
            if (parsed.is_error()) {
                ServiceReport report;
                report.name = name;
                report.message = parsed.error().message();
                m_labels[name] = ServiceLabels {};
                return report;
            }
            m_labels[name] = parsed.release_value();
            labels = &m_labels.at(name);
        }
        auto found = daemon_for(*service, m_daemons);
        if (found.is_error()) {
            ServiceReport report;
            report.name = name;
            report.message = found.error().message();
            return report;
        }
        client = *found;
        // The context is only read here; add() changes it under the lock
        // while no service reads it (a copy keeps the two apart).
        SpecContext context;
        {
            std::lock_guard lock(m_mutex);
            context = m_context;
        }
        return ServiceRun(*service, *labels, *client, context, m_options).run();
    }

    const Daemons& m_daemons;
    const UpOptions& m_options;
    SpecContext m_context;
    std::map<std::string, Service> m_services; // node-based: references stay valid as services join
    std::map<std::string, ServiceLabels> m_labels;
    DependencyGraph m_graph;
    std::set<std::string> m_wanted;
    std::set<std::string> m_joined; // services a reload brought in
    std::set<std::string> m_started, m_finished, m_succeeded;
    size_t m_running { 0 };
    size_t m_changes { 0 };
    std::vector<std::thread> m_threads;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    UpReport m_report;
};

} // namespace

std::string_view outcome_name(Outcome outcome)
{
    switch (outcome) {
    case Outcome::Started:
        return "started";
    case Outcome::Created:
        return "created";
    case Outcome::Completed:
        return "completed";
    case Outcome::Failed:
        return "failed";
    case Outcome::Skipped:
        return "skipped";
    }
    return "unknown";
}

bool UpReport::ok() const
{
    if (!errors.empty())
        return false;
    for (auto const& service : services)
        if (service.outcome == Outcome::Failed || service.outcome == Outcome::Skipped)
            return false;
    return true;
}

const ServiceReport* UpReport::find(std::string_view name) const
{
    for (auto const& service : services)
        if (service.name == name)
            return &service;
    return nullptr;
}

ErrorOr<void> pull_image(api::Client& client, const std::string& image)
{
    // The progress stream reports a failed pull inside a 200 answer, as an
    // {"error": …} message.
    std::string pending, failure;
    auto streamed = client.stream("POST", "/images/create", { { "fromImage", image } }, {},
        [&](std::string_view chunk) -> ErrorOr<void> {
            pending += chunk;
            for (size_t end; (end = pending.find('\n')) != std::string::npos; pending.erase(0, end + 1)) {
                auto message = json::parse(pending.substr(0, end), nullptr, false);
                if (message.is_object() && message.contains("error") && failure.empty())
                    failure = message["error"].is_string() ? message["error"].get<std::string>() : message["error"].dump();
            }
            return {};
        });
    if (streamed.is_error())
        return Error::from_string("pulling " + image + ": " + streamed.error().message(), streamed.error().code());
    if (!failure.empty())
        return Error::from_string("pulling " + image + ": " + failure, EIO);
    return {};
}

ErrorOr<std::string> ensure_image(api::Client& client, const std::string& image, bool& pulled)
{
    std::string path = "/images/" + api::path_escape(image) + "/json";
    auto found = get_json(client, path);
    if (found.is_error() && found.error().code() == ENOENT) {
        TRY(pull_image(client, image));
        pulled = true;
        found = get_json(client, path);
    }
    if (found.is_error())
        return found.error();
    return found->value("Id", std::string());
}

ErrorOr<api::Client*> daemon_for(const Service& service, const Daemons& daemons)
{
    bool system = scope_of(service.config.labels) == Scope::System;
    api::Client* client = system ? daemons.system : daemons.user;
    if (!client)
        return Error::from_string(std::string("the ") + (system ? "system" : "user") + " Docker is not available", ENOTCONN);
    return client;
}

UpReport up(std::vector<Service> services, const Daemons& daemons, const UpOptions& options)
{
    Run run(daemons, options);
    run.add(std::move(services));
    return run.run();
}

} // namespace corral::compose
