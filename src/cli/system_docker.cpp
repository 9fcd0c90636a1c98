// `system-docker`: global flags, the verb table, and docker's ways of
// reporting errors.

#include "cli/system_docker.h"

#include "base/system.h"
#include "cli/system_docker_cli.h"

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <unistd.h>

#ifndef CORRAL_VERSION
#define CORRAL_VERSION "dev"
#endif

namespace corral::cli {

namespace {

struct VerbEntry {
    std::string_view name;
    Verb main;
    std::string_view description;
};

constexpr VerbEntry VERBS[] = {
    { "create", create_main, "Create a new container" },
    { "events", events_main, "Get real time events from the server" },
    { "exec", exec_main, "Run a command in a running container" },
    { "images", images_main, "List images" },
    { "info", info_main, "Display system-wide information" },
    { "inspect", inspect_main, "Return low-level information on Docker objects" },
    { "kill", kill_main, "Kill one or more running containers" },
    { "load", load_main, "Load an image from a tar archive or STDIN" },
    { "logs", logs_main, "Fetch the logs of a container" },
    { "ps", ps_main, "List containers" },
    { "pull", pull_main, "Pull an image or a repository from a registry" },
    { "restart", restart_main, "Restart one or more containers" },
    { "rm", rm_main, "Remove one or more containers" },
    { "rmi", rmi_main, "Remove one or more images" },
    { "run", run_main, "Run a command in a new container" },
    { "save", save_main, "Save one or more images to a tar archive (streamed to STDOUT by default)" },
    { "start", start_main, "Start one or more stopped containers" },
    { "stats", stats_main, "Display a live stream of container(s) resource usage statistics" },
    { "stop", stop_main, "Stop one or more running containers" },
    { "tag", tag_main, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE" },
    { "top", top_main, "Display the running processes of a container" },
    { "version", version_main, "Show the Docker version information" },
    { "wait", wait_main, "Block until one or more containers stop, then print their exit codes" },
};

// docker's management commands: "container ls" is "ps", "image rm" is "rmi".
struct Alias {
    std::string_view group;
    std::string_view verb;
    std::string_view target;
};

constexpr Alias ALIASES[] = {
    { "container", "ls", "ps" },
    { "container", "list", "ps" },
    { "container", "ps", "ps" },
    { "container", "create", "create" },
    { "container", "exec", "exec" },
    { "container", "inspect", "inspect" },
    { "container", "kill", "kill" },
    { "container", "logs", "logs" },
    { "container", "restart", "restart" },
    { "container", "rm", "rm" },
    { "container", "remove", "rm" },
    { "container", "run", "run" },
    { "container", "start", "start" },
    { "container", "stats", "stats" },
    { "container", "stop", "stop" },
    { "container", "top", "top" },
    { "container", "wait", "wait" },
    { "image", "ls", "images" },
    { "image", "list", "images" },
    { "image", "inspect", "inspect" },
    { "image", "load", "load" },
    { "image", "pull", "pull" },
    { "image", "rm", "rmi" },
    { "image", "remove", "rmi" },
    { "image", "save", "save" },
    { "image", "tag", "tag" },
    { "system", "events", "events" },
    { "system", "info", "info" },
};

std::string usage_text(std::string_view program)
{
    std::string out = "\nUsage:  " + std::string(program) + " [OPTIONS] COMMAND\n\n"
        + "A client for the CorralOS system container engine\n\nOptions:\n"
        + "  -H, --host string        Daemon socket to connect to (default " + std::string(api::DEFAULT_DOCKER_HOST)
        + ")\n"
        + "      --tls                Use TLS; implied by --tlsverify\n"
        + "      --tlscacert string   Trust certs signed only by this CA\n"
        + "      --tlscert string     Path to TLS certificate file\n"
        + "      --tlskey string      Path to TLS key file\n"
        + "      --tlsverify          Use TLS and verify the remote\n"
        + "  -v, --version            Print version information and quit\n\nCommands:\n";
    for (auto const& verb : VERBS) {
        std::string name(verb.name);
        out += "  " + name + std::string(name.size() < 10 ? 10 - name.size() : 1, ' ') + std::string(verb.description)
            + "\n";
    }
    out += "\nRun '" + std::string(program) + " COMMAND --help' for more information on a command.\n";
    return out;
}

} // namespace

void write_out(const Cli& cli, std::string_view text)
{
    // A closed pipe (`| head`) is not worth a message; the data is lost anyway.
    (void)sys::write_all(cli.out, text);
}

void write_err(const Cli& cli, std::string_view text)
{
    (void)sys::write_all(cli.err, text); // nowhere left to report a failure
}

std::string error_text(const Cli& cli, const Error& error)
{
    if (cli.client.last_status() >= 400)
        return "Error response from daemon: " + error.message();
    return error.message();
}

std::string object_error_text(const Cli& cli, const Error& error, std::string_view object, std::string_view id)
{
    if (cli.client.last_status() == 404)
        return "Error: No such " + std::string(object) + ": " + std::string(id);
    return error_text(cli, error);
}

int fail(const Cli& cli, std::string_view message, int code)
{
    if (!message.empty())
        write_err(cli, std::string(message) + "\n");
    return code;
}

std::optional<int> parse_verb(
    Cli& cli, FlagSet& flags, std::string_view verb, const Args& args, ArgCount rule, size_t count, Args& positional)
{
    std::string see = "See '" + cli.program + " " + std::string(verb) + " --help'.";
    auto parsed = flags.parse(args);
    if (parsed.is_error())
        return fail(cli, parsed.error().message() + "\n" + see, 125);
    if (flags.help_requested()) {
        write_out(cli, flags.help_text(cli.program));
        return 0;
    }
    positional = parsed.release_value();
    std::string quoted = "\"" + cli.program + " " + std::string(verb) + "\"";
    std::string plural = count == 1 ? " argument." : " arguments.";
    std::string problem;
    switch (rule) {
    case ArgCount::None:
        if (!positional.empty())
            problem = quoted + " accepts no arguments.";
        break;
    case ArgCount::AtLeast:
        if (positional.size() < count)
            problem = quoted + " requires at least " + std::to_string(count) + plural;
        break;
    case ArgCount::Exactly:
        if (positional.size() != count)
            problem = quoted + " requires exactly " + std::to_string(count) + plural;
        break;
    case ArgCount::AtMost:
        if (positional.size() > count)
            problem = quoted + " requires at most " + std::to_string(count) + plural;
        break;
    }
    if (!problem.empty()) {
        std::string help = flags.help_text(cli.program);
        // The usage and description lines, without the options.
        auto options = help.find("\nOptions:");
        if (options != std::string::npos)
            help.resize(options);
        while (!help.empty() && help.back() == '\n')
            help.pop_back();
        return fail(cli, problem + "\n" + see + "\n" + help, 1);
    }
    return std::nullopt;
}

int64_t now_nanoseconds()
{
    struct timespec now { };
    clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

int system_docker_main(int argc, char** argv)
{
    std::string program(SYSTEM_DOCKER);
    Args args;
    for (int i = 1; i < argc; ++i)
        args.emplace_back(argv[i]);

    std::string host;
    if (const char* env = std::getenv("DOCKER_HOST"); env && *env)
        host = env;
    bool version = false, debug = false, tls = false, tls_verify = false;
    std::string config, context, log_level, tls_ca, tls_cert, tls_key;
    FlagSet global("[OPTIONS] COMMAND", "A client for the CorralOS system container engine", Interspersed::No);
    global.add_string("host", 'H', &host, "Daemon socket to connect to");
    global.add_bool("version", 'v', &version, "Print version information and quit");
    global.add_bool("debug", 'D', &debug, "Enable debug mode");
    global.add_string("config", 0, &config, "Location of client config files");
    global.add_string("context", 'c', &context, "Name of the context to use");
    global.add_string("log-level", 'l', &log_level, "Set the logging level");
    global.add_bool("tls", 0, &tls, "Use TLS");
    global.add_bool("tlsverify", 0, &tls_verify, "Use TLS and verify the remote");
    global.add_string("tlscacert", 0, &tls_ca, "Trust certs signed only by this CA");
    global.add_string("tlscert", 0, &tls_cert, "Path to TLS certificate file");
    global.add_string("tlskey", 0, &tls_key, "Path to TLS key file");

    Cli probe { api::Client::create(api::DEFAULT_DOCKER_HOST).release_value() };
    auto parsed = global.parse(args);
    if (parsed.is_error())
        return fail(probe, parsed.error().message() + "\nSee '" + program + " --help'.", 125);
    if (version) {
        write_out(
            probe, program + " version " + CORRAL_VERSION + ", API " + std::string(api::CLIENT_API_VERSION) + "\n");
        return 0;
    }
    Args rest = parsed.release_value();
    if (global.help_requested() || rest.empty() || rest[0] == "help") {
        write_out(probe, usage_text(program));
        return 0;
    }
    // TLS as the docker CLI: --tlsverify (or DOCKER_TLS_VERIFY) checks the
    // daemon against the CA; the files default to $DOCKER_CERT_PATH or
    // ~/.docker; a client certificate is presented when its files exist.
    // Only tcp:// hosts use it.
    if (const char* env = std::getenv("DOCKER_TLS_VERIFY"); env && *env)
        tls_verify = true;
    std::optional<api::TlsClientFiles> tls_files;
    if (tls || tls_verify) {
        std::string dir;
        if (const char* env = std::getenv("DOCKER_CERT_PATH"); env && *env)
            dir = env;
        else
            dir = std::string(std::getenv("HOME") ? std::getenv("HOME") : "/root") + "/.docker";
        api::TlsClientFiles files;
        files.verify = tls_verify;
        files.ca_cert = tls_ca.empty() ? dir + "/ca.pem" : tls_ca;
        std::string cert = tls_cert.empty() ? dir + "/cert.pem" : tls_cert;
        std::string key = tls_key.empty() ? dir + "/key.pem" : tls_key;
        if (!tls_cert.empty() || !tls_key.empty() || (::access(cert.c_str(), R_OK) == 0 && ::access(key.c_str(), R_OK) == 0)) {
            files.cert = cert;
            files.key = key;
        }
        tls_files = files;
    }
    if (!context.empty() && context != "default")
        return fail(probe, program + ": contexts are not supported; use -H unix:///path", 1);
    if (host.empty())
        host = std::string(api::DEFAULT_DOCKER_HOST);
    auto client = api::Client::create(host, host.starts_with("tcp://") ? tls_files : std::nullopt);
    if (client.is_error())
        return fail(probe, client.error().message(), 1);
    Cli cli { client.release_value() };

    std::string verb = rest[0];
    Args verb_args(rest.begin() + 1, rest.end());
    for (auto const& alias : ALIASES) {
        if (alias.group == verb && !verb_args.empty() && alias.verb == verb_args[0]) {
            verb = std::string(alias.target);
            verb_args.erase(verb_args.begin());
            break;
        }
    }
    for (auto const& entry : VERBS) {
        if (entry.name == verb)
            return entry.main(cli, verb_args);
    }
    return fail(cli, program + ": '" + verb + "' is not a " + program + " command.\nSee '" + program + " --help'", 1);
}

} // namespace corral::cli
