// exec: a process in a running container, with or without a terminal.

#include "base/strings.h"
#include "cli/system_docker_cli.h"
#include "cli/system_docker_format.h"
#include "cli/system_docker_stream.h"

#include <chrono>
#include <thread>
#include <unistd.h>

namespace corral::cli {

int exec_main(Cli& cli, const Args& args)
{
    ExecOptions options;
    FlagSet flags(
        "exec [OPTIONS] CONTAINER COMMAND [ARG...]", "Run a command in a running container", Interspersed::No);
    flags.add_string("detach-keys", 0, &options.detach_keys, "Override the key sequence for detaching a container");
    flags.add_bool("interactive", 'i', &options.interactive, "Keep STDIN open even if not attached");
    flags.add_bool("tty", 't', &options.tty, "Allocate a pseudo-TTY");
    flags.add_bool("detach", 'd', &options.detach, "Detached mode: run command in the background");
    flags.add_string("user", 'u', &options.user, "Username or UID (format: <name|uid>[:<group|gid>])");
    flags.add_bool("privileged", 0, &options.privileged, "Give extended privileges to the command");
    flags.add_list("env", 'e', &options.env, "Set environment variables");
    flags.add_list("env-file", 0, &options.env_file, "Read in a file of environment variables");
    flags.add_string("workdir", 'w', &options.workdir, "Working directory inside the container");
    Args positional;
    if (auto code = parse_verb(cli, flags, "exec", args, ArgCount::AtLeast, 2, positional))
        return *code;
    std::string container = positional[0];
    options.command.assign(positional.begin() + 1, positional.end());
    for (auto const& value : options.env) {
        if (value.empty() || value[0] == '=')
            return fail(cli,
                "invalid argument " + go_quote(value) + " for \"-e, --env\" flag: invalid environment variable: "
                    + value + "\nSee '" + cli.program + " exec --help'.",
                125);
    }
    auto body = build_exec_body(options);
    if (body.is_error())
        return fail(cli, body.error().message(), 1);

    auto inspected = cli.client.request("GET", "/containers/" + container + "/json");
    if (inspected.is_error())
        return fail(cli, object_error_text(cli, inspected.error(), "container", container), 1);
    bool attach_stdin = (*body)["AttachStdin"].get<bool>();
    if (!options.detach && options.tty && attach_stdin && !::isatty(cli.in))
        return fail(cli, "the input device is not a TTY", 1);

    auto created = cli.client.request("POST", "/containers/" + container + "/exec", {}, body->dump());
    if (created.is_error())
        return fail(cli, error_text(cli, created.error()), 1);
    auto created_json = parse_json(created->body);
    std::string exec_id = created_json.is_error() ? std::string() : created_json->value("Id", "");
    if (exec_id.empty())
        return fail(cli, "exec ID empty", 1);

    Json start { { "Detach", options.detach }, { "Tty", options.tty } };
    if (options.detach) {
        auto started = cli.client.request("POST", "/exec/" + exec_id + "/start", {}, start.dump());
        if (started.is_error())
            return fail(cli, error_text(cli, started.error()), 1);
        return 0;
    }

    auto stream = cli.client.hijack("POST", "/exec/" + exec_id + "/start", {}, start.dump());
    if (stream.is_error()) {
        // dockerd hands the connection over and then reports a process that
        // cannot start in the stream, with exit code 126 or 127 in the exec's
        // record; a daemon that refuses the start instead still records the
        // code, and that is what the exit status must be.
        bool from_daemon = cli.client.last_status() >= 400;
        write_err(cli, error_text(cli, stream.error()) + "\n");
        if (from_daemon) {
            auto record = cli.client.request("GET", "/exec/" + exec_id + "/json");
            if (!record.is_error()) {
                auto parsed = parse_json(record->body);
                if (!parsed.is_error() && parsed->contains("ExitCode") && (*parsed)["ExitCode"].is_number()) {
                    int code = static_cast<int>((*parsed)["ExitCode"].get<int64_t>());
                    if (code != 0)
                        return code;
                }
            }
        }
        return 1;
    }

    std::optional<RawTerminal> raw;
    if (options.tty && attach_stdin) {
        auto enabled = RawTerminal::enable(cli.in);
        if (enabled.is_error())
            return fail(cli,
                "unable to setup input stream: unable to set IO streams as raw terminal: " + enabled.error().message(),
                1);
        raw = std::move(*enabled);
    }
    std::string resize_path = "/exec/" + exec_id + "/resize";
    PumpOptions pump_options;
    pump_options.tty = options.tty;
    pump_options.attach_stdin = attach_stdin;
    if (options.tty && attach_stdin) {
        auto keys = options.detach_keys.empty() ? ErrorOr<std::string>(std::string("\x10\x11"))
                                                : parse_detach_keys(options.detach_keys);
        if (keys.is_error())
            return fail(cli, keys.error().message(), 1);
        pump_options.detach_keys = *keys;
    }
    bool resize = options.tty && ::isatty(cli.in);
    if (resize) {
        auto send_size = [&cli, resize_path]() -> bool {
            auto size = terminal_size(cli.out);
            if (!size || (size->first == 0 && size->second == 0))
                return true;
            return !cli.client
                        .request("POST", resize_path,
                            { { "h", std::to_string(size->first) }, { "w", std::to_string(size->second) } })
                        .is_error();
        };
        // The process may not have its terminal yet: retry a little, as docker does.
        bool done = send_size();
        for (int attempt = 0; !done && attempt < 5; ++attempt) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            done = send_size();
        }
        if (!done)
            write_err(cli, "failed to resize tty, using default size\n");
        pump_options.on_resize = [send_size] { (void)send_size(); }; // a lost resize is harmless
    }
    auto result = pump(cli, *stream, pump_options);
    if (raw)
        raw->restore();
    if (result.is_error())
        return fail(cli, result.error().message(), 1);
    // docker's exec reports the detach keys as its error (run does not).
    if (*result == PumpResult::Detached)
        return fail(cli, "read escape sequence", 1);

    auto inspect = cli.client.request("GET", "/exec/" + exec_id + "/json");
    if (inspect.is_error()) {
        if (cli.client.last_status() == 0)
            return 255; // docker's StatusError{-1}: the daemon went away
        return fail(cli, error_text(cli, inspect.error()), 1);
    }
    auto status = parse_json(inspect->body);
    if (status.is_error())
        return fail(cli, status.error().message(), 1);
    auto code = status->find("ExitCode");
    if (code == status->end() || !code->is_number())
        return 0;
    return static_cast<int>(code->get<int64_t>());
}

} // namespace corral::cli
