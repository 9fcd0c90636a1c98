// /containers/{id}/exec and /exec/…: docker exec.

#include "api/attach_pump.h"
#include "api/detach_keys.h"
#include "api/handlers.h"
#include "api/request_bodies.h"
#include "api/stream_frame.h"

#include "engine/engine.h"

#include <sys/socket.h>

namespace corral::api {

namespace {

std::optional<Response> create(Context& ctx, Request& request, const Params& params, Connection&)
{
    auto body = TRY_RESPONSE(parse_json_body(request));
    auto parsed = TRY_RESPONSE(parse_exec_create(body));
    engine::ExecOptions options;
    options.cmd = std::move(parsed.cmd);
    options.env = std::move(parsed.env);
    options.user = std::move(parsed.user);
    options.working_dir = std::move(parsed.working_dir);
    options.tty = parsed.tty;
    options.attach_stdin = parsed.attach_stdin;
    options.privileged = parsed.privileged;
    options.attach_stdout = parsed.attach_stdout;
    options.attach_stderr = parsed.attach_stderr;
    options.detach_keys = std::move(parsed.detach_keys);
    auto id = ctx.engine.create_exec(params.at("id"), options);
    if (id.is_error())
        return engine_error(id.error());
    return json_response(201, nlohmann::json { { "Id", *id } }.dump());
}

std::optional<Response> start(Context& ctx, Request& request, const Params& params, Connection& connection)
{
    auto body = TRY_RESPONSE(parse_json_body(request));
    bool detach = TRY_RESPONSE(parse_exec_start(body));
    auto record = ctx.engine.inspect_exec(params.at("id"));
    if (record.is_error())
        return engine_error(record.error());
    std::string streams = std::string(record->options.attach_stdout ? "o" : "") + (record->options.attach_stderr ? "e" : "");
    if (record->options.attach_stdin)
        streams += 'i';
    if (detach) {
        auto session = ctx.engine.start_exec(record->id, "");
        if (session.is_error())
            return engine_error(session.error());
        return Response { 200, "", "", {} };
    }
    // As dockerd: the connection is taken over first and the process started
    // after, so that its first output never travels with the 101 answer (a
    // client that reads the answer through a buffer, as python's http.client
    // does, would lose it). A failure to start is then written to the stream.
    bool tty = record->options.tty;
    auto hijacked = connection.hijack(tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream");
    if (hijacked.is_error())
        return std::nullopt;
    auto session = ctx.engine.start_exec(record->id, streams);
    if (session.is_error()) {
        std::string message = engine_error(session.error()).body;
        auto parsed = nlohmann::json::parse(message, nullptr, false);
        std::string text = parsed.is_object() ? parsed.value("message", message) : message;
        text += "\r\n";
        // As dockerd: on the process's stdout, so a multiplexed stream stays one.
        std::string out = tty ? text : frame(StreamType::Stdout, text);
        (void)!::send(hijacked->fd, out.data(), out.size(), MSG_NOSIGNAL);
        return std::nullopt;
    }
    // Checked when the exec was created.
    auto parsed_keys = parse_detach_keys(record->options.detach_keys);
    std::string keys = parsed_keys.is_error() ? std::string("\x10\x11") : *parsed_keys;
    pump(hijacked->fd, std::move(hijacked->early_input), *session->connection,
        { tty, record->options.attach_stdin, keys });
    return std::nullopt;
}

std::optional<Response> resize(Context& ctx, Request& request, const Params& params, Connection&)
{
    auto rows = TRY_RESPONSE(request.integer("h", 0));
    auto columns = TRY_RESPONSE(request.integer("w", 0));
    if (rows <= 0 || columns <= 0 || rows > 0xffff || columns > 0xffff)
        return error_response(400, "invalid terminal size");
    auto resized = ctx.engine.resize_exec(params.at("id"), static_cast<unsigned>(rows), static_cast<unsigned>(columns));
    if (resized.is_error())
        return engine_error(resized.error());
    return Response { 200, "", "", {} };
}

std::optional<Response> inspect(Context& ctx, Request&, const Params& params, Connection&)
{
    auto record = ctx.engine.inspect_exec(params.at("id"));
    if (record.is_error())
        return engine_error(record.error());
    auto const& o = record->options;
    nlohmann::json arguments = nlohmann::json::array();
    for (size_t i = 1; i < o.cmd.size(); ++i)
        arguments.push_back(o.cmd[i]);
    nlohmann::json body {
        { "ID", record->id },
        { "Running", record->running },
        { "ExitCode", record->exit_code ? nlohmann::json(*record->exit_code) : nlohmann::json(nullptr) },
        { "ProcessConfig",
            { { "tty", o.tty }, { "entrypoint", o.cmd.empty() ? "" : o.cmd[0] }, { "arguments", arguments },
                { "privileged", o.privileged }, { "user", o.user } } },
        { "OpenStdin", o.attach_stdin },
        { "OpenStderr", o.attach_stderr },
        { "OpenStdout", o.attach_stdout },
        { "CanRemove", false },
        { "ContainerID", record->container_id },
        { "DetachKeys", o.detach_keys },
        { "Pid", record->pid },
    };
    return json_response(200, body.dump());
}

} // namespace

void add_exec_routes(Router& router)
{
    router.add({ "POST", "/containers/{id}/exec", create });
    router.add({ "POST", "/exec/{id}/start", start });
    router.add({ "POST", "/exec/{id}/resize", resize });
    router.add({ "GET", "/exec/{id}/json", inspect });
}

} // namespace corral::api
