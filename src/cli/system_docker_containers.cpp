// ps, inspect, logs, top, wait, stop, restart, kill, rm.

#include "cli/system_docker_cli.h"
#include "cli/system_docker_format.h"
#include "cli/system_docker_stream.h"

#include <ctime>

namespace corral::cli {

namespace {

// The verbs that act on each named container in turn and print its name:
// errors are collected and printed together, exit 1.
int for_each_container(Cli& cli, const Args& names, const std::function<ErrorOr<void>(const std::string&)>& act,
    const std::function<std::string(const Error&, const std::string&)>& describe)
{
    std::string errors;
    for (auto const& name : names) {
        auto result = act(name);
        if (result.is_error()) {
            errors += (errors.empty() ? "" : "\n") + describe(result.error(), name);
            continue;
        }
        write_out(cli, name + "\n");
    }
    if (!errors.empty())
        return fail(cli, errors, 1);
    return 0;
}

} // namespace

int ps_main(Cli& cli, const Args& args)
{
    bool quiet = false, size = false, all = false, no_trunc = false, latest = false;
    int64_t last = -1;
    std::string format;
    std::vector<std::string> filters;
    FlagSet flags("ps [OPTIONS]", "List containers");
    flags.add_bool("quiet", 'q', &quiet, "Only display container IDs");
    flags.add_bool("size", 's', &size, "Display total file sizes");
    flags.add_bool("all", 'a', &all, "Show all containers (default shows just running)");
    flags.add_bool("no-trunc", 0, &no_trunc, "Don't truncate output");
    flags.add_bool("latest", 'l', &latest, "Show the latest created container (includes all states)");
    flags.add_int("last", 'n', &last, "Show n last created containers (includes all states)");
    flags.add_string("format", 0, &format, "Pretty-print containers using a Go template");
    add_filter_flag(flags, &filters);
    Args positional;
    if (auto code = parse_verb(cli, flags, "ps", args, ArgCount::None, 0, positional))
        return *code;

    auto filter_json = filters_json(filters);
    if (filter_json.is_error())
        return fail(cli, filter_json.error().message());
    if (latest && last == -1)
        last = 1;
    // A format that uses .Size asks the daemon for sizes, as docker does; it
    // finds out by running the template once on an empty row, which also
    // reports a bad template before the daemon is asked anything.
    bool want_size = size;
    if (!format.empty() && !size) {
        auto probe = Template::parse(format);
        if (probe.is_error())
            return fail(cli, "failed to parse template: " + probe.error().message());
        TemplateData empty = container_row(Json::object(), true, 0);
        bool used_size = false;
        empty.methods["Size"] = [&used_size](const std::vector<Json>&) -> ErrorOr<Json> {
            used_size = true;
            return Json("0B");
        };
        auto probed = probe->execute(empty);
        if (probed.is_error())
            return fail(cli, "failed to execute template: " + probed.error().message());
        want_size = used_size || format.find("json .") != std::string::npos;
    }
    if (format.empty())
        format = "table";
    api::Query query;
    if (all)
        query.emplace_back("all", "1");
    if (last != -1)
        query.emplace_back("limit", std::to_string(last));
    if (want_size)
        query.emplace_back("size", "1");
    if (!filters.empty())
        query.emplace_back("filters", *filter_json);
    auto response = cli.client.request("GET", "/containers/json", query);
    if (response.is_error())
        return fail(cli, error_text(cli, response.error()));
    auto list = parse_json(response->body);
    if (list.is_error() || !list->is_array())
        return fail(cli, "Error: unexpected container list from the daemon");

    int64_t now = now_nanoseconds();
    std::vector<TemplateData> rows;
    for (auto const& container : *list)
        rows.push_back(container_row(container, !no_trunc, now));
    auto text = format_list(container_format(format, quiet, want_size), rows, container_header());
    if (text.is_error())
        return fail(cli, text.error().message());
    write_out(cli, *text);
    return 0;
}

int inspect_main(Cli& cli, const Args& args)
{
    std::string format, type;
    bool size = false;
    FlagSet flags("inspect [OPTIONS] NAME|ID [NAME|ID...]", "Return low-level information on Docker objects");
    flags.add_string("format", 'f', &format, "Format the output using the given Go template");
    flags.add_bool("size", 's', &size, "Display total file sizes if the type is container");
    flags.add_string("type", 0, &type, "Return JSON for specified type");
    Args names;
    if (auto code = parse_verb(cli, flags, "inspect", args, ArgCount::AtLeast, 1, names))
        return *code;
    if (!type.empty() && type != "container" && type != "image" && type != "network" && type != "volume")
        return fail(cli, "\"" + type + "\" is not a valid value for --type");

    std::optional<Template> tmpl;
    if (!format.empty()) {
        auto parsed = Template::parse(format);
        if (parsed.is_error())
            return fail(cli, "template parsing error: " + parsed.error().message(), 64);
        tmpl = parsed.release_value();
    }

    struct Kind {
        std::string_view type;
        std::string_view path; // {} is the name
    };
    static constexpr Kind KINDS[] = {
        { "container", "/containers/{}/json" },
        { "image", "/images/{}/json" },
        { "network", "/networks/{}" },
        { "volume", "/volumes/{}" },
    };
    std::vector<std::string> raws;
    std::string output, errors;
    for (auto const& name : names) {
        std::optional<std::string> raw;
        std::string error;
        for (auto const& kind : KINDS) {
            if (!type.empty() && kind.type != type)
                continue;
            std::string path(kind.path);
            path.replace(path.find("{}"), 2, name);
            api::Query query;
            if (size && kind.type == "container")
                query.emplace_back("size", "1");
            auto response = cli.client.request("GET", path, query);
            if (!response.is_error()) {
                if (size && kind.type != "container")
                    write_err(cli, "WARNING: --size ignored for " + std::string(kind.type) + "\n");
                raw = std::move(response->body);
                break;
            }
            int status = cli.client.last_status();
            std::string message = response.error().message();
            bool skippable = status == 404 || message.find("not supported") != std::string::npos
                || message.find("invalid reference format") != std::string::npos;
            if (type.empty() && skippable)
                continue;
            error = object_error_text(cli, response.error(), kind.type, name);
            break;
        }
        if (!raw) {
            errors += (errors.empty() ? "" : "\n") + (error.empty() ? "Error: No such object: " + name : error);
            continue;
        }
        if (!tmpl) {
            raws.push_back(std::move(*raw));
            continue;
        }
        auto value = parse_json(*raw);
        if (value.is_error()) {
            errors += (errors.empty() ? "" : "\n") + value.error().message();
            continue;
        }
        TemplateData data { value.release_value(), {}, EscapeHtml::No, go_field_aliases() };
        auto text = tmpl->execute(data);
        if (text.is_error()) {
            errors += (errors.empty() ? "" : "\n") + ("template parsing error: " + text.error().message());
            continue;
        }
        output += *text + "\n";
    }
    if (!tmpl) {
        if (raws.empty()) {
            write_out(cli, "[]\n");
        } else {
            std::string joined = "[";
            for (size_t i = 0; i < raws.size(); ++i)
                joined += (i ? "," : "") + raws[i];
            joined += "]";
            auto indented = json_indent(joined, "    ");
            if (indented.is_error())
                return fail(cli, indented.error().message());
            write_out(cli, *indented + "\n");
        }
    } else {
        write_out(cli, output.empty() ? std::string("\n") : output);
    }
    if (!errors.empty())
        return fail(cli, errors, 1);
    return 0;
}

int logs_main(Cli& cli, const Args& args)
{
    bool follow = false, timestamps = false, details = false;
    std::string since, until, tail = "all";
    FlagSet flags("logs [OPTIONS] CONTAINER", "Fetch the logs of a container");
    flags.add_bool("follow", 'f', &follow, "Follow log output");
    flags.add_string("since", 0, &since,
        "Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)");
    flags.add_string("until", 0, &until,
        "Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)");
    flags.add_bool("timestamps", 't', &timestamps, "Show timestamps");
    flags.add_bool("details", 0, &details, "Show extra details provided to logs");
    flags.add_string("tail", 'n', &tail, "Number of lines to show from the end of the logs");
    Args names;
    if (auto code = parse_verb(cli, flags, "logs", args, ArgCount::Exactly, 1, names))
        return *code;

    auto inspected = cli.client.request("GET", "/containers/" + names[0] + "/json");
    if (inspected.is_error())
        return fail(cli, object_error_text(cli, inspected.error(), "container", names[0]));
    auto container = parse_json(inspected->body);
    if (container.is_error())
        return fail(cli, container.error().message());
    std::string id = container->value("Id", names[0]);
    bool tty = container->contains("Config") && (*container)["Config"].is_object()
        && (*container)["Config"].value("Tty", false);

    struct timespec now { };
    clock_gettime(CLOCK_REALTIME, &now);
    api::Query query { { "stdout", "1" }, { "stderr", "1" } };
    if (!since.empty()) {
        auto ts = api_timestamp(since, now);
        if (ts.is_error())
            return fail(cli, ts.error().message());
        query.emplace_back("since", *ts);
    }
    if (!until.empty()) {
        auto ts = api_timestamp(until, now);
        if (ts.is_error())
            return fail(cli, ts.error().message());
        query.emplace_back("until", *ts);
    }
    if (timestamps)
        query.emplace_back("timestamps", "1");
    if (details)
        query.emplace_back("details", "1");
    if (follow)
        query.emplace_back("follow", "1");
    query.emplace_back("tail", tail);

    OutputWriter writer(cli, tty);
    auto response = cli.client.stream(
        "GET", "/containers/" + id + "/logs", query, {}, [&](std::string_view chunk) { return writer.feed(chunk); });
    if (response.is_error())
        return fail(cli, object_error_text(cli, response.error(), "container", id));
    return 0;
}

int top_main(Cli& cli, const Args& args)
{
    FlagSet flags("top CONTAINER [ps OPTIONS]", "Display the running processes of a container", Interspersed::No);
    Args positional;
    if (auto code = parse_verb(cli, flags, "top", args, ArgCount::AtLeast, 1, positional))
        return *code;
    api::Query query;
    if (positional.size() > 1) {
        std::string ps_args;
        for (size_t i = 1; i < positional.size(); ++i)
            ps_args += (i > 1 ? " " : "") + positional[i];
        query.emplace_back("ps_args", ps_args);
    }
    auto response = cli.client.request("GET", "/containers/" + positional[0] + "/top", query);
    if (response.is_error())
        return fail(cli, error_text(cli, response.error()));
    auto list = parse_json(response->body);
    if (list.is_error())
        return fail(cli, list.error().message());
    std::string text;
    auto join_row = [](const Json& row) {
        std::string line;
        bool first = true;
        for (auto const& cell : row) {
            line += (first ? "" : "\t") + (cell.is_string() ? cell.get<std::string>() : go_print(cell));
            first = false;
        }
        return line + "\n";
    };
    if (list->contains("Titles"))
        text += join_row((*list)["Titles"]);
    if (list->contains("Processes") && (*list)["Processes"].is_array()) {
        for (auto const& row : (*list)["Processes"])
            text += join_row(row);
    }
    write_out(cli, tabwrite(text, 20, 1, 3));
    return 0;
}

int wait_main(Cli& cli, const Args& args)
{
    FlagSet flags(
        "wait CONTAINER [CONTAINER...]", "Block until one or more containers stop, then print their exit codes");
    Args names;
    if (auto code = parse_verb(cli, flags, "wait", args, ArgCount::AtLeast, 1, names))
        return *code;
    std::string errors;
    for (auto const& name : names) {
        auto response = cli.client.request("POST", "/containers/" + name + "/wait");
        if (response.is_error()) {
            errors += (errors.empty() ? "" : "\n") + error_text(cli, response.error());
            continue;
        }
        auto result = parse_json(response->body);
        if (result.is_error()) {
            errors += (errors.empty() ? "" : "\n") + result.error().message();
            continue;
        }
        write_out(cli, std::to_string(result->value("StatusCode", static_cast<int64_t>(0))) + "\n");
    }
    if (!errors.empty())
        return fail(cli, errors, 1);
    return 0;
}

namespace {

int stop_or_restart(Cli& cli, const Args& args, std::string_view verb)
{
    int64_t seconds = 10;
    bool is_stop = verb == "stop";
    FlagSet flags(std::string(verb) + " [OPTIONS] CONTAINER [CONTAINER...]",
        is_stop ? "Stop one or more running containers" : "Restart one or more containers");
    flags.add_int("time", 't', &seconds,
        is_stop ? "Seconds to wait for stop before killing it"
                : "Seconds to wait for stop before killing the container");
    Args names;
    if (auto code = parse_verb(cli, flags, verb, args, ArgCount::AtLeast, 1, names))
        return *code;
    api::Query query;
    if (flags.changed("time"))
        query.emplace_back("t", std::to_string(seconds));
    return for_each_container(
        cli, names,
        [&](const std::string& name) -> ErrorOr<void> {
            TRY(cli.client.request("POST", "/containers/" + name + "/" + std::string(verb), query));
            return {};
        },
        [&](const Error& error, const std::string&) { return error_text(cli, error); });
}

} // namespace

int stop_main(Cli& cli, const Args& args)
{
    return stop_or_restart(cli, args, "stop");
}

int restart_main(Cli& cli, const Args& args)
{
    return stop_or_restart(cli, args, "restart");
}

int kill_main(Cli& cli, const Args& args)
{
    std::string signal = "KILL";
    FlagSet flags("kill [OPTIONS] CONTAINER [CONTAINER...]", "Kill one or more running containers");
    flags.add_string("signal", 's', &signal, "Signal to send to the container");
    Args names;
    if (auto code = parse_verb(cli, flags, "kill", args, ArgCount::AtLeast, 1, names))
        return *code;
    return for_each_container(
        cli, names,
        [&](const std::string& name) -> ErrorOr<void> {
            TRY(cli.client.request("POST", "/containers/" + name + "/kill", { { "signal", signal } }));
            return {};
        },
        [&](const Error& error, const std::string&) { return error_text(cli, error); });
}

int rm_main(Cli& cli, const Args& args)
{
    bool volumes = false, link = false, force = false;
    FlagSet flags("rm [OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers");
    flags.add_bool("volumes", 'v', &volumes, "Remove anonymous volumes associated with the container");
    flags.add_bool("link", 'l', &link, "Remove the specified link");
    flags.add_bool("force", 'f', &force, "Force the removal of a running container (uses SIGKILL)");
    Args names;
    if (auto code = parse_verb(cli, flags, "rm", args, ArgCount::AtLeast, 1, names))
        return *code;
    api::Query query;
    if (volumes)
        query.emplace_back("v", "1");
    if (link)
        query.emplace_back("link", "1");
    if (force)
        query.emplace_back("force", "1");
    std::string errors;
    for (auto name : names) {
        std::string original = name;
        while (!name.empty() && name.front() == '/')
            name.erase(0, 1);
        while (!name.empty() && name.back() == '/')
            name.pop_back();
        if (name.empty()) {
            errors += (errors.empty() ? "" : "\n") + std::string("Container name cannot be empty");
            continue;
        }
        auto response = cli.client.request("DELETE", "/containers/" + name, query);
        if (response.is_error()) {
            std::string text = object_error_text(cli, response.error(), "container", name);
            // -f: a container that is already gone is reported, not an error.
            if (force && cli.client.last_status() == 404) {
                write_err(cli, text + "\n");
                continue;
            }
            errors += (errors.empty() ? "" : "\n") + text;
            continue;
        }
        write_out(cli, original + "\n");
    }
    if (!errors.empty())
        return fail(cli, errors, 1);
    return 0;
}

} // namespace corral::cli
