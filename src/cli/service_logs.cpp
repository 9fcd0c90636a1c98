// ros service logs | ps: what the services' containers say and how they are.

#include "api/stream_frame.h"
#include "base/log.h"
#include "cli/config_common.h"
#include "cli/service_common.h"
#include "compose/container_spec.h"

#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace corral::cli {

using nlohmann::json;

namespace {

// Writes whole lines, each after the service's name, so that lines of
// several services following at once do not mix.
class PrefixedOutput {
public:
    PrefixedOutput(std::string prefix, std::mutex& mutex)
        : m_prefix(std::move(prefix))
        , m_mutex(mutex)
    {
    }

    void add(std::string_view text)
    {
        m_pending += text;
        size_t end;
        std::lock_guard lock(m_mutex);
        while ((end = m_pending.find('\n')) != std::string::npos) {
            std::string line = m_prefix + m_pending.substr(0, end + 1);
            std::fwrite(line.data(), 1, line.size(), stdout);
            m_pending.erase(0, end + 1);
        }
        std::fflush(stdout);
    }

    void finish()
    {
        if (!m_pending.empty())
            add("\n");
    }

private:
    std::string m_prefix;
    std::string m_pending;
    std::mutex& m_mutex;
};

// One container's log, demultiplexed when it has no terminal.
ErrorOr<void> stream_logs(api::Client& client, const std::string& container, const ServiceOptions& options,
    PrefixedOutput& out)
{
    auto inspected = TRY(client.request("GET", "/containers/" + api::path_escape(container) + "/json"));
    auto state = json::parse(inspected.body, nullptr, false);
    bool tty = state.is_object() && state.contains("Config") && state["Config"].value("Tty", false);
    api::Query query { { "stdout", "1" }, { "stderr", "1" }, { "tail", std::to_string(options.lines) } };
    if (options.follow)
        query.push_back({ "follow", "1" });
    api::FrameDecoder decoder;
    TRY(client.stream("GET", "/containers/" + api::path_escape(container) + "/logs", query, {},
        [&](std::string_view chunk) -> ErrorOr<void> {
            if (tty) {
                out.add(chunk);
                return {};
            }
            for (auto const& frame : TRY(decoder.feed(chunk)))
                out.add(frame.payload);
            return {};
        }));
    out.finish();
    return {};
}

} // namespace

int service_logs(const config::Paths& paths, const ServiceOptions& options)
{
    if (options.names.empty())
        return fail("service logs", Error::from_string("Must specify one or more services", EINVAL));
    auto machine = load_machine_services(paths, options.update);
    auto selected = select_services(machine.project, options.names);
    if (selected.is_error())
        return fail("service logs", selected.error());
    auto daemons = ServiceDaemons::open(paths);
    auto d = daemons.daemons();
    size_t width = 0;
    for (auto const* service : *selected)
        width = std::max(width, service->name.size());
    std::mutex output;
    std::vector<std::thread> followers;
    std::mutex status_mutex;
    int status = 0;
    for (auto const* service : *selected) {
        auto client = compose::daemon_for(*service, d);
        if (client.is_error()) {
            log::error("service logs " + service->name + ": " + client.error().message());
            status = 1;
            continue;
        }
        std::string prefix = service->name + std::string(width - service->name.size(), ' ') + " | ";
        // Each service is read on its own thread, so that following several
        // shows their lines as they come.
        followers.emplace_back([&, prefix, client = *client, service] {
            PrefixedOutput out(prefix, output);
            auto done = stream_logs(*client, compose::container_name(service->name, service->config), options, out);
            if (done.is_error()) {
                log::error("service logs " + service->name + ": " + done.error().message());
                std::lock_guard lock(status_mutex);
                status = 1;
            }
        });
    }
    for (auto& follower : followers)
        follower.join();
    return status;
}

int service_ps(const config::Paths& paths, const ServiceOptions& options)
{
    auto machine = load_machine_services(paths, options.update);
    std::vector<const compose::Service*> selected;
    if (options.names.empty()) {
        for (auto const& service : machine.project.services)
            selected.push_back(&service);
    } else {
        auto named = select_services(machine.project, options.names);
        if (named.is_error())
            return fail("service ps", named.error());
        selected = *named;
    }
    auto daemons = ServiceDaemons::open(paths);
    auto d = daemons.daemons();
    struct Row {
        std::string name, command, state;
    };
    std::vector<Row> rows;
    int status = 0;
    for (auto const* service : selected) {
        auto client = compose::daemon_for(*service, d);
        if (client.is_error())
            continue; // its engine is not there: it has no container to show
        std::string name = compose::container_name(service->name, service->config);
        auto inspected = (*client)->request("GET", "/containers/" + api::path_escape(name) + "/json");
        if (inspected.is_error()) {
            if (inspected.error().code() != ENOENT) {
                log::error("service ps " + service->name + ": " + inspected.error().message());
                status = 1;
            }
            continue;
        }
        auto c = json::parse(inspected->body, nullptr, false);
        if (!c.is_object())
            continue;
        if (options.quiet) {
            std::printf("%s\n", c.value("Id", std::string()).c_str());
            continue;
        }
        std::string command = c.value("Path", std::string());
        if (c.contains("Args") && c["Args"].is_array())
            for (auto const& arg : c["Args"])
                if (arg.is_string())
                    command += " " + arg.get<std::string>();
        auto const& st = c.contains("State") ? c["State"] : json::object();
        std::string state = st.value("Status", std::string());
        if (state == "exited")
            state = "Exit " + std::to_string(st.value("ExitCode", 0));
        else if (!state.empty())
            state[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(state[0])));
        rows.push_back({ name, command, state });
    }
    if (!options.quiet) {
        size_t name_width = 4, command_width = 7;
        for (auto const& row : rows) {
            name_width = std::max(name_width, row.name.size());
            command_width = std::max(command_width, row.command.size());
        }
        std::printf("%-*s   %-*s   %s\n", static_cast<int>(name_width), "Name", static_cast<int>(command_width),
            "Command", "State");
        for (auto const& row : rows)
            std::printf("%-*s   %-*s   %s\n", static_cast<int>(name_width), row.name.c_str(),
                static_cast<int>(command_width), row.command.c_str(), row.state.c_str());
    }
    return status;
}

} // namespace corral::cli
