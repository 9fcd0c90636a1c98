// run, create, start: creating containers and attaching to them.

#include "base/file.h"
#include "cli/system_docker_cli.h"
#include "cli/system_docker_stream.h"
#include "image/reference.h"

#include <cstring>
#include <thread>
#include <unistd.h>

namespace corral::cli {

namespace {

// docker's reportError: "system-docker: <message>." and, with help, a hint.
void report_error(const Cli& cli, std::string_view verb, std::string message, bool with_help)
{
    while (!message.empty() && message.back() == '.')
        message.pop_back();
    message += ".";
    if (with_help)
        message += "\nSee '" + cli.program + " " + std::string(verb) + " --help'.";
    write_err(cli, cli.program + ": " + message + "\n");
}

// docker's runStartContainerErr: 127 for a missing program, 126 for one that
// cannot run, 125 for anything else the daemon refused.
int start_error_code(const std::string& message)
{
    if (message.find("executable file not found") != std::string::npos
        || message.find("no such file or directory") != std::string::npos
        || message.find("No such file or directory") != std::string::npos
        || message.find("system cannot find the file specified") != std::string::npos)
        return 127;
    if (message.find("permission denied") != std::string::npos
        || message.find("Permission denied") != std::string::npos)
        return 126;
    return 125;
}

struct Created {
    std::string id;
};

// POST /containers/create, pulling the image first when it is missing (as
// docker's --pull=missing does) and printing the daemon's warnings.
ErrorOr<Created> create_container(Cli& cli, const ContainerOptions& options, const Json& body)
{
    api::Query query;
    if (!options.name.empty())
        query.emplace_back("name", options.name);
    if (!options.platform.empty())
        query.emplace_back("platform", options.platform);
    std::string text = body.dump();
    if (options.pull == "always")
        TRY(pull_image(cli, options.image, cli.err, false));
    auto response = cli.client.request("POST", "/containers/create", query, text);
    if (response.is_error() && cli.client.last_status() == 404 && options.pull == "missing") {
        auto reference = image::Reference::parse(options.image);
        if (!reference.is_error()) {
            std::string familiar = reference->familiar();
            write_err(cli, "Unable to find image '" + familiar + "' locally\n");
            TRY(pull_image(cli, options.image, cli.err, false));
            response = cli.client.request("POST", "/containers/create", query, text);
        }
    }
    if (response.is_error())
        return response.release_error();
    auto created = TRY(parse_json(response->body));
    if (created.contains("Warnings") && created["Warnings"].is_array()) {
        for (auto const& warning : created["Warnings"]) {
            if (warning.is_string())
                write_err(cli, "WARNING: " + warning.get<std::string>() + "\n");
        }
    }
    std::string id = created.value("Id", "");
    if (!options.cidfile.empty()) {
        // docker refuses an existing file before creating; here the ID is
        // written once the container exists.
        auto written = write_file_atomic(options.cidfile, id, 0644);
        if (written.is_error())
            return Error::from_string("Failed to write the container ID to the file: " + written.error().message());
    }
    return Created { id };
}

std::function<void()> resizer(Cli& cli, const std::string& path)
{
    return [&cli, path] {
        auto size = terminal_size(cli.out);
        if (!size || (size->first == 0 && size->second == 0))
            return;
        // A resize that fails is not worth stopping for (docker logs it).
        (void)cli.client.request(
            "POST", path, { { "h", std::to_string(size->first) }, { "w", std::to_string(size->second) } });
    };
}

// The initial resize, retried a few times as docker does for a process that
// is not quite started yet.
void initial_resize(Cli& cli, const std::string& path)
{
    auto size = terminal_size(cli.out);
    if (!size || (size->first == 0 && size->second == 0))
        return;
    for (int attempt = 0; attempt < 5; ++attempt) {
        auto result = cli.client.request(
            "POST", path, { { "h", std::to_string(size->first) }, { "w", std::to_string(size->second) } });
        if (!result.is_error())
            return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    write_err(cli, "failed to resize tty, using default size\n");
}

struct AttachPlan {
    bool stdin { false }, stdout { false }, stderr { false };
    bool tty { false };
    std::string detach_keys; // as given (--detach-keys)
};

ErrorOr<api::Hijacked> attach(Cli& cli, const std::string& id, const AttachPlan& plan)
{
    api::Query query { { "stream", "1" } };
    if (plan.stdin)
        query.emplace_back("stdin", "1");
    if (plan.stdout)
        query.emplace_back("stdout", "1");
    if (plan.stderr)
        query.emplace_back("stderr", "1");
    if (!plan.detach_keys.empty())
        query.emplace_back("detachKeys", plan.detach_keys);
    return cli.client.hijack("POST", "/containers/" + id + "/attach", query);
}

// Pumps an attached container's streams; the raw terminal (with a TTY and
// stdin) is restored when this returns.
ErrorOr<PumpResult> stream_attached(
    Cli& cli, api::Hijacked& stream, const std::string& id, const AttachPlan& plan, bool sig_proxy, bool resize)
{
    std::optional<RawTerminal> raw;
    if (plan.tty && plan.stdin)
        raw = TRY(RawTerminal::enable(cli.in));
    PumpOptions options;
    options.tty = plan.tty;
    options.attach_stdin = plan.stdin;
    if (plan.tty && plan.stdin)
        options.detach_keys
            = plan.detach_keys.empty() ? std::string("\x10\x11") : TRY(parse_detach_keys(plan.detach_keys));
    if (resize)
        options.on_resize = resizer(cli, "/containers/" + id + "/resize");
    if (sig_proxy) {
        options.on_signal = [&cli, id](int signal) {
            // Forwarding is best effort, as in docker (which only logs failures).
            (void)cli.client.request("POST", "/containers/" + id + "/kill", { { "signal", std::to_string(signal) } });
        };
    }
    return pump(cli, stream, options);
}

int read_exit_status(Cli& cli, api::PendingResponse& pending)
{
    auto response = pending.finish();
    if (response.is_error()) {
        write_err(cli, "error waiting for container: " + error_text(cli, response.error()) + "\n");
        return 125;
    }
    auto result = parse_json(response->body);
    if (result.is_error())
        return 125;
    if (result->contains("Error") && (*result)["Error"].is_object()) {
        write_err(cli, "Error waiting for container: " + (*result)["Error"].value("Message", "") + "\n");
        return 125;
    }
    return static_cast<int>(result->value("StatusCode", static_cast<int64_t>(125)));
}

int run_or_create(Cli& cli, const Args& args, bool run)
{
    std::string verb = run ? "run" : "create";
    ContainerOptions options;
    std::string detach_keys;
    FlagSet flags(run ? "run [OPTIONS] IMAGE [COMMAND] [ARG...]" : "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
        run ? "Run a command in a new container" : "Create a new container", Interspersed::No);
    if (run) {
        flags.add_bool("detach", 'd', &options.detach, "Run container in background and print container ID");
        flags.add_bool("sig-proxy", 0, &options.sig_proxy, "Proxy received signals to the process");
        flags.add_string("detach-keys", 0, &detach_keys, "Override the key sequence for detaching a container");
    }
    flags.add_string("name", 0, &options.name, "Assign a name to the container");
    add_container_flags(flags, options);
    Args positional;
    if (auto code = parse_verb(cli, flags, verb, args, ArgCount::AtLeast, 1, positional))
        return *code;
    note_changed_flags(flags, options);
    options.image = positional[0];
    options.command.assign(positional.begin() + 1, positional.end());

    auto body = build_create_body(options, options.detach);
    if (body.is_error()) {
        report_error(cli, verb, body.error().message(), true);
        return 125;
    }
    AttachPlan plan;
    plan.stdin = (*body)["AttachStdin"].get<bool>();
    plan.stdout = (*body)["AttachStdout"].get<bool>();
    plan.stderr = (*body)["AttachStderr"].get<bool>();
    plan.tty = options.tty;
    plan.detach_keys = detach_keys;
    if (run && !options.detach && plan.tty && plan.stdin && !::isatty(cli.in))
        return fail(cli, "the input device is not a TTY", 1);

    auto created = create_container(cli, options, *body);
    if (created.is_error()) {
        std::string message = error_text(cli, created.error());
        report_error(cli, verb, message, true);
        return run ? start_error_code(message) : 125;
    }
    std::string id = created->id;
    if (!run) {
        write_out(cli, id + "\n");
        return 0;
    }

    bool attached = plan.stdin || plan.stdout || plan.stderr;
    std::optional<api::Hijacked> stream;
    if (attached) {
        auto hijacked = attach(cli, id, plan);
        if (hijacked.is_error())
            return fail(cli, error_text(cli, hijacked.error()), 1);
        stream = hijacked.release_value();
    }
    // Asked before the start, so that a quick exit (or --rm's removal) is not missed.
    std::optional<api::PendingResponse> waiting;
    if (attached || options.rm) {
        auto pending = cli.client.send(
            "POST", "/containers/" + id + "/wait", { { "condition", options.rm ? "removed" : "next-exit" } });
        if (!pending.is_error())
            waiting = pending.release_value();
    }
    auto started = cli.client.request("POST", "/containers/" + id + "/start");
    if (started.is_error()) {
        std::string message = error_text(cli, started.error());
        report_error(cli, "run", message, false);
        // docker cancels its wait here (its context ends with the attach); a
        // daemon that leaves the container must not make this hang.
        return start_error_code(message);
    }
    if (!attached) {
        write_out(cli, id + "\n");
        return 0;
    }
    if (plan.tty && ::isatty(cli.out))
        initial_resize(cli, "/containers/" + id + "/resize");
    auto result = stream_attached(cli, *stream, id, plan, options.sig_proxy, plan.tty && ::isatty(cli.out));
    if (result.is_error())
        return fail(cli, result.error().message(), 1);
    if (*result == PumpResult::Detached)
        return 0;
    if (!plan.stdout && !plan.stderr)
        return 0;
    if (!waiting)
        return 125;
    return read_exit_status(cli, *waiting);
}

} // namespace

int run_main(Cli& cli, const Args& args)
{
    return run_or_create(cli, args, true);
}

int create_main(Cli& cli, const Args& args)
{
    return run_or_create(cli, args, false);
}

int start_main(Cli& cli, const Args& args)
{
    bool attach_output = false, interactive = false;
    std::string detach_keys, checkpoint, checkpoint_dir;
    FlagSet flags("start [OPTIONS] CONTAINER [CONTAINER...]", "Start one or more stopped containers");
    flags.add_bool("attach", 'a', &attach_output, "Attach STDOUT/STDERR and forward signals");
    flags.add_bool("interactive", 'i', &interactive, "Attach container's STDIN");
    flags.add_string("detach-keys", 0, &detach_keys, "Override the key sequence for detaching a container");
    flags.add_string("checkpoint", 0, &checkpoint, "Restore from this checkpoint");
    flags.add_string("checkpoint-dir", 0, &checkpoint_dir, "Use a custom checkpoint storage directory");
    Args names;
    if (auto code = parse_verb(cli, flags, "start", args, ArgCount::AtLeast, 1, names))
        return *code;
    if (!checkpoint.empty())
        return fail(cli, "checkpoints are not supported", 1);

    if (!attach_output && !interactive) {
        std::vector<std::string> failed;
        for (auto const& name : names) {
            auto response = cli.client.request("POST", "/containers/" + name + "/start");
            if (response.is_error()) {
                write_err(cli, error_text(cli, response.error()) + "\n");
                failed.push_back(name);
                continue;
            }
            write_out(cli, name + "\n");
        }
        if (!failed.empty()) {
            std::string list;
            for (size_t i = 0; i < failed.size(); ++i)
                list += (i ? ", " : "") + failed[i];
            return fail(cli, "Error: failed to start containers: " + list, 1);
        }
        return 0;
    }

    if (names.size() > 1)
        return fail(cli, "you cannot start and attach multiple containers at once", 1);
    auto inspected = cli.client.request("GET", "/containers/" + names[0] + "/json");
    if (inspected.is_error())
        return fail(cli, object_error_text(cli, inspected.error(), "container", names[0]), 1);
    auto container = parse_json(inspected->body);
    if (container.is_error())
        return fail(cli, container.error().message(), 1);
    std::string id = container->value("Id", names[0]);
    Json config = container->contains("Config") ? (*container)["Config"] : Json::object();
    Json host_config = container->contains("HostConfig") ? (*container)["HostConfig"] : Json::object();
    AttachPlan plan;
    plan.tty = config.value("Tty", false);
    plan.stdin = interactive && config.value("OpenStdin", false);
    plan.stdout = true;
    plan.stderr = true;
    plan.detach_keys = detach_keys;
    bool auto_remove = host_config.value("AutoRemove", false);

    auto hijacked = attach(cli, id, plan);
    if (hijacked.is_error())
        return fail(cli, error_text(cli, hijacked.error()), 1);
    auto pending = cli.client.send(
        "POST", "/containers/" + id + "/wait", { { "condition", auto_remove ? "removed" : "next-exit" } });
    auto started = cli.client.request("POST", "/containers/" + id + "/start");
    if (started.is_error()) {
        return fail(cli, error_text(cli, started.error()), 1);
    }
    if (plan.tty && ::isatty(cli.out))
        initial_resize(cli, "/containers/" + id + "/resize");
    auto result = stream_attached(cli, *hijacked, id, plan, !plan.tty, plan.tty && ::isatty(cli.out));
    if (result.is_error())
        return fail(cli, result.error().message(), 1);
    if (*result == PumpResult::Detached || pending.is_error())
        return 0;
    return read_exit_status(cli, *pending);
}

} // namespace corral::cli
