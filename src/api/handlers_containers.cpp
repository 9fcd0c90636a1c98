// /containers/…: create, list, inspect, start, stop, restart, kill, wait,
// remove, rename, pause, unpause, resize, attach, logs, top, prune.

#include "api/attach_pump.h"
#include "api/detach_keys.h"
#include "api/handlers.h"
#include "api/json_views.h"
#include "api/log_follow.h"
#include "api/stream_frame.h"

#include "base/file.h"
#include "base/time.h"
#include "engine/engine.h"
#include "runtime/cgroup.h"
#include "runtime/signals.h"

#include <chrono>
#include <csignal>
#include <sys/socket.h>
#include <thread>

namespace corral::api {

namespace {

std::optional<Response> create(Context& ctx, Request& request, const Params&, Connection&)
{
    auto body = TRY_RESPONSE(parse_json_body(request));
    if (!body.is_object())
        return error_response(400, "config cannot be empty in order to create a container");
    auto id = ctx.engine.create(body, request.param("name").value_or(""));
    if (id.is_error())
        return engine_error(id.error());
    return json_response(201, nlohmann::json { { "Id", *id }, { "Warnings", nlohmann::json::array() } }.dump());
}

std::optional<Response> list(Context& ctx, Request& request, const Params&, Connection&)
{
    bool all = request.flag("all");
    auto limit = TRY_RESPONSE(request.integer("limit", -1));
    auto containers = ctx.engine.list();
    ContainerFilters filters;
    if (auto raw = request.param("filters"); raw && !raw->empty()) {
        filters = TRY_RESPONSE(parse_container_filters(*raw));
        TRY_RESPONSE(resolve_container_bounds(filters, [&](const std::string& name) -> std::optional<std::string> {
            for (auto const& c : containers) {
                if (c.id == name || c.name == name || ("/" + c.name) == name || (name.size() >= 3 && c.id.starts_with(name)))
                    return c.created;
            }
            return std::nullopt;
        }));
    }
    auto resolve = image_resolver(ctx.engine);
    nlohmann::json out = nlohmann::json::array();
    std::time_t now = std::time(nullptr);
    // As dockerd: restarting counts as running, and a limit lists stopped ones too.
    all = all || limit > 0 || filters_cover_stopped(filters);
    for (auto const& c : containers) {
        if (!all && !c.state.running() && c.state.status != "restarting")
            continue;
        if (!matches(filters, c, resolve))
            continue;
        if (limit > 0 && static_cast<int64_t>(out.size()) >= limit)
            break;
        out.push_back(container_summary_json(c, now, resolve));
    }
    return json_response(200, out.dump());
}

std::optional<Response> inspect(Context& ctx, Request&, const Params& params, Connection&)
{
    auto c = ctx.engine.inspect(params.at("id"));
    if (c.is_error())
        return engine_error(c.error());
    std::string dir = path_join(path_join(ctx.info.data_root, "containers"), c->id);
    InspectExtras extras;
    extras.default_log_options = ctx.engine.options().log_options;
    if (auto record = ctx.engine.images().resolve(c->image_id); !record.is_error()) {
        if (auto dirs = ctx.engine.images().layer_dirs(*record); !dirs.is_error())
            extras.lower_dirs = *dirs;
    }
    auto layout = runtime::detect_cgroup_layout(ctx.engine.options().cgroup_root);
    extras.cgroup_v2 = !layout.is_error() && *layout == runtime::CgroupLayout::V2;
    auto const& mode = c->parsed.host_config.network_mode;
    if (mode.starts_with("container:")) {
        if (auto peer = ctx.engine.resolve(mode.substr(10)); !peer.is_error())
            extras.etc_dir = path_join(path_join(ctx.info.data_root, "containers"), *peer);
    }
    return json_response(200, container_inspect_json(*c, dir, ctx.info.logging_driver, extras).dump());
}

std::optional<Response> start(Context& ctx, Request&, const Params& params, Connection&)
{
    auto started = ctx.engine.start(params.at("id"));
    if (started.is_error()) {
        if (started.error().code() == EALREADY)
            return Response { 304, "", "", {} };
        return engine_error(started.error());
    }
    return Response { 204, "", "", {} };
}

std::optional<Response> stop(Context& ctx, Request& request, const Params& params, Connection&)
{
    std::optional<int> timeout;
    if (auto t = request.param("t"); t && !t->empty())
        timeout = static_cast<int>(TRY_RESPONSE(request.integer("t", 10)));
    auto stopped = ctx.engine.stop(params.at("id"), timeout);
    if (stopped.is_error())
        return engine_error(stopped.error());
    return Response { stopped->was_running ? 204 : 304, "", "", {} };
}

std::optional<Response> restart(Context& ctx, Request& request, const Params& params, Connection&)
{
    std::optional<int> timeout;
    if (auto t = request.param("t"); t && !t->empty())
        timeout = static_cast<int>(TRY_RESPONSE(request.integer("t", 10)));
    auto restarted = ctx.engine.restart(params.at("id"), timeout);
    if (restarted.is_error())
        return engine_error(restarted.error());
    return Response { 204, "", "", {} };
}

std::optional<Response> kill(Context& ctx, Request& request, const Params& params, Connection&)
{
    int signal = SIGKILL;
    if (auto name = request.param("signal"); name && !name->empty()) {
        auto parsed = runtime::parse_signal(*name);
        if (parsed.is_error())
            return error_response(400, parsed.error().message());
        signal = *parsed;
    }
    auto killed = ctx.engine.kill(params.at("id"), signal);
    if (killed.is_error())
        return engine_error(killed.error());
    return Response { 204, "", "", {} };
}

std::optional<Response> wait(Context& ctx, Request& request, const Params& params, Connection& connection)
{
    engine::WaitCondition condition = engine::WaitCondition::NotRunning;
    auto name = request.param("condition").value_or("");
    if (name == "next-exit")
        condition = engine::WaitCondition::NextExit;
    else if (name == "removed")
        condition = engine::WaitCondition::Removed;
    else if (!name.empty() && name != "not-running")
        return error_response(400, "invalid condition: \"" + name + "\"");
    // The headers go out once the wait is in place (see Engine::wait).
    bool streaming = false;
    auto code = ctx.engine.wait(params.at("id"), condition, std::nullopt, [&] {
        streaming = connection.begin_stream(200, "application/json").is_error() == false;
    });
    if (!streaming) {
        if (code.is_error())
            return engine_error(code.error());
        return std::nullopt; // the client is gone
    }
    nlohmann::json body { { "StatusCode", code.is_error() ? -1 : *code }, { "Error", nullptr } };
    if (code.is_error())
        body["Error"] = { { "Message", code.error().message() } };
    (void)connection.write_chunk(body.dump() + "\n");
    (void)connection.end_stream();
    return std::nullopt;
}

std::optional<Response> remove(Context& ctx, Request& request, const Params& params, Connection&)
{
    auto removed = ctx.engine.remove(params.at("id"), request.flag("force"), request.flag("v"));
    if (removed.is_error())
        return engine_error(removed.error());
    return Response { 204, "", "", {} };
}

std::optional<Response> rename(Context& ctx, Request& request, const Params& params, Connection&)
{
    auto renamed = ctx.engine.rename(params.at("id"), request.param("name").value_or(""));
    if (renamed.is_error())
        return engine_error(renamed.error());
    return Response { 204, "", "", {} };
}

std::optional<Response> pause(Context& ctx, Request&, const Params& params, Connection&)
{
    auto paused = ctx.engine.pause(params.at("id"));
    if (paused.is_error())
        return engine_error(paused.error());
    return Response { 204, "", "", {} };
}

std::optional<Response> unpause(Context& ctx, Request&, const Params& params, Connection&)
{
    auto unpaused = ctx.engine.unpause(params.at("id"));
    if (unpaused.is_error())
        return engine_error(unpaused.error());
    return Response { 204, "", "", {} };
}

std::optional<Response> resize(Context& ctx, Request& request, const Params& params, Connection&)
{
    auto rows = TRY_RESPONSE(request.integer("h", 0));
    auto columns = TRY_RESPONSE(request.integer("w", 0));
    if (rows <= 0 || columns <= 0 || rows > 0xffff || columns > 0xffff)
        return error_response(400, "invalid terminal size");
    auto resized = ctx.engine.resize(params.at("id"), static_cast<unsigned>(rows), static_cast<unsigned>(columns));
    if (resized.is_error())
        return engine_error(resized.error());
    return Response { 200, "", "", {} };
}

std::string log_line(const runtime::LogEntry& entry, bool timestamps, bool tty)
{
    LogStreamFormat format;
    format.timestamps = timestamps ? Timestamps::Yes : Timestamps::No;
    format.multiplex = tty ? Multiplex::No : Multiplex::Yes;
    return encode_log_entry(entry, format);
}

std::optional<Response> logs(Context& ctx, Request& request, const Params& params, Connection& connection)
{
    runtime::ReadOptions options;
    options.show_stdout = request.flag("stdout");
    options.show_stderr = request.flag("stderr");
    if (!options.show_stdout && !options.show_stderr)
        return error_response(400, "Bad parameters: you must choose at least one stream");
    if (auto since = request.param("since"); since && !since->empty() && *since != "0")
        options.since = TRY_RESPONSE(parse_timestamp(*since));
    if (auto until = request.param("until"); until && !until->empty() && *until != "0")
        options.until = TRY_RESPONSE(parse_timestamp(*until));
    if (auto tail = request.param("tail"); tail && !tail->empty() && *tail != "all")
        options.tail = TRY_RESPONSE(request.integer("tail", -1));
    bool follow = request.flag("follow");
    bool timestamps = request.flag("timestamps");
    auto c = ctx.engine.inspect(params.at("id"));
    if (c.is_error())
        return engine_error(c.error());
    if (c->log_path.empty())
        return error_response(501, "configured logging driver does not support reading");
    bool tty = c->config.tty;
    auto max_file = runtime::parse_log_options(c->parsed.host_config.log_config.config);
    int files = max_file.is_error() ? 1 : max_file->max_file;

    auto follower = TRY_RESPONSE(LogFollower::open(c->log_path, files, options));
    auto first = TRY_RESPONSE(follower.initial());
    if (connection.begin_stream(200, "application/vnd.docker.raw-stream").is_error())
        return std::nullopt;
    for (auto const& entry : first) {
        if (connection.write_chunk(log_line(entry, timestamps, tty)).is_error())
            return std::nullopt;
    }
    while (follow && !connection.client_gone()) {
        auto state = ctx.engine.inspect(c->id);
        bool running = !state.is_error() && (state->state.running() || state->state.status == "restarting");
        auto more = follower.poll();
        if (more.is_error())
            break;
        for (auto const& entry : *more) {
            if (connection.write_chunk(log_line(entry, timestamps, tty)).is_error())
                return std::nullopt;
        }
        if (!running && more->empty())
            break;
        if (follower.done())
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    (void)connection.end_stream();
    return std::nullopt;
}

void replay_logs(const engine::Container& c, const std::string& streams, bool tty, int fd)
{
    runtime::ReadOptions options;
    options.show_stdout = streams.find('o') != std::string::npos;
    options.show_stderr = streams.find('e') != std::string::npos;
    auto max_file = runtime::parse_log_options(c.parsed.host_config.log_config.config);
    auto entries = runtime::read_json_logs(c.log_path, max_file.is_error() ? 1 : max_file->max_file, options);
    if (entries.is_error())
        return;
    for (auto const& entry : *entries) {
        auto line = log_line(entry, false, tty);
        if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) < 0)
            return;
    }
}

std::optional<Response> attach(Context& ctx, Request& request, const Params& params, Connection& connection)
{
    auto c = ctx.engine.inspect(params.at("id"));
    if (c.is_error())
        return engine_error(c.error());
    bool want_stdin = request.flag("stdin") && c->config.open_stdin;
    std::string streams;
    if (want_stdin)
        streams += 'i';
    if (request.flag("stdout"))
        streams += 'o';
    if (request.flag("stderr"))
        streams += 'e';
    bool tty = c->config.tty;
    std::string keys = TRY_RESPONSE(parse_detach_keys(request.param("detachKeys").value_or("")));
    std::string content_type = tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream";
    bool logs = request.flag("logs") && !c->log_path.empty();
    if (!request.flag("stream")) {
        auto hijacked = connection.hijack(content_type);
        if (!hijacked.is_error() && logs)
            replay_logs(*c, streams, tty, hijacked->fd);
        return std::nullopt;
    }
    // The answer goes out once the attach is in place (see Engine::attach):
    // the client starts the container when it has it.
    std::optional<Connection::Hijacked> hijacked;
    auto supervisor = ctx.engine.attach(c->id, streams, [&] {
        auto taken = connection.hijack(content_type);
        if (!taken.is_error()) {
            hijacked = taken.release_value();
            if (logs)
                replay_logs(*c, streams, tty, hijacked->fd);
        }
    });
    if (!hijacked) {
        if (supervisor.is_error())
            return engine_error(supervisor.error());
        return std::nullopt;
    }
    if (supervisor.is_error())
        return std::nullopt;
    if (pump(hijacked->fd, std::move(hijacked->early_input), *supervisor, { tty, want_stdin, keys }) == PumpEnd::Detached)
        ctx.engine.note_detach(c->id);
    return std::nullopt;
}

std::optional<Response> top(Context& ctx, Request& request, const Params& params, Connection&)
{
    auto listing = container_processes(ctx, params.at("id"), request.param("ps_args").value_or(""));
    if (listing.is_error())
        return engine_error(listing.error());
    return json_response(200, listing->dump());
}

std::optional<Response> prune(Context& ctx, Request&, const Params&, Connection&)
{
    nlohmann::json deleted = nlohmann::json::array();
    int64_t reclaimed = 0;
    for (auto const& c : ctx.engine.list()) {
        if (c.state.running() || c.state.status == "restarting")
            continue;
        auto size = tree_size(path_join(path_join(path_join(ctx.info.data_root, "containers"), c.id), "upper"));
        if (ctx.engine.remove(c.id).is_error())
            continue;
        deleted.push_back(c.id);
        if (!size.is_error())
            reclaimed += *size;
    }
    return json_response(200,
        nlohmann::json { { "ContainersDeleted", deleted.empty() ? nlohmann::json(nullptr) : deleted },
            { "SpaceReclaimed", reclaimed } }
            .dump());
}

} // namespace

void add_container_routes(Router& router)
{
    router.add({ "POST", "/containers/create", create });
    router.add({ "GET", "/containers/json", list });
    router.add({ "POST", "/containers/prune", prune });
    router.add({ "GET", "/containers/{id}/json", inspect });
    router.add({ "POST", "/containers/{id}/start", start });
    router.add({ "POST", "/containers/{id}/stop", stop });
    router.add({ "POST", "/containers/{id}/restart", restart });
    router.add({ "POST", "/containers/{id}/kill", kill });
    router.add({ "POST", "/containers/{id}/wait", wait });
    router.add({ "DELETE", "/containers/{id}", remove });
    router.add({ "POST", "/containers/{id}/rename", rename });
    router.add({ "POST", "/containers/{id}/pause", pause });
    router.add({ "POST", "/containers/{id}/unpause", unpause });
    router.add({ "POST", "/containers/{id}/resize", resize });
    router.add({ "GET", "/containers/{id}/logs", logs });
    router.add({ "POST", "/containers/{id}/attach", attach });
    router.add({ "GET", "/containers/{id}/top", top });
}

} // namespace corral::api
