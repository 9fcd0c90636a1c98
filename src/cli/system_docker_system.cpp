// version, info, events, stats.

#include "cli/system_docker_cli.h"
#include "cli/system_docker_format.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <sys/utsname.h>
#include <thread>
#include <unistd.h>

#ifndef CORRAL_VERSION
#define CORRAL_VERSION "dev"
#endif

namespace corral::cli {

namespace {

// docker's version template, without the client's "Go version" line (this
// client is not written in Go).
constexpr std::string_view VERSION_TEMPLATE = R"({{with .Client -}}
Client:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 Version:	{{.Version}}
 API version:	{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Git commit:	{{.GitCommit}}
 Built:	{{.BuildTime}}
 OS/Arch:	{{.Os}}/{{.Arch}}
 Context:	{{.Context}}
 Experimental:	{{.Experimental}}
{{- end}}

{{- if .ServerOK}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:	{{.Version}}
  API version:	{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:	{{index .Details "GoVersion"}}
  Git commit:	{{index .Details "GitCommit"}}
  Built:	{{index .Details "BuildTime"}}
  OS/Arch:	{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:	{{index .Details "Experimental"}}
  {{- else }}
  Version:	{{$component.Version}}
  {{- $detailsOrder := getDetailsOrder $component}}
  {{- range $key := $detailsOrder}}
  {{$key}}:	{{index $component.Details $key}}
   {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}})";

// Go's time.ANSIC of an RFC 3339 time, as docker's reformatDate; the text
// itself when it does not parse.
std::string ansic_date(const std::string& text)
{
    struct timespec now { };
    clock_gettime(CLOCK_REALTIME, &now);
    auto stamp = api_timestamp(text, now);
    if (stamp.is_error() || text.find('T') == std::string::npos)
        return text;
    time_t seconds = static_cast<time_t>(std::stoll(*stamp));
    struct tm local { };
    localtime_r(&seconds, &local);
    char buffer[64];
    std::strftime(buffer, sizeof buffer, "%a %b %e %H:%M:%S %Y", &local);
    return buffer;
}

std::string machine_arch()
{
    struct utsname name { };
    if (::uname(&name) != 0)
        return "unknown";
    std::string machine = name.machine;
    if (machine == "x86_64")
        return "amd64";
    if (machine == "aarch64")
        return "arm64";
    if (machine.starts_with("armv"))
        return "arm";
    return machine;
}

} // namespace

int version_main(Cli& cli, const Args& args)
{
    std::string format;
    std::string kubeconfig;
    FlagSet flags("version [OPTIONS]", "Show the Docker version information");
    flags.add_string("format", 'f', &format, "Format the output using the given Go template");
    flags.add_string("kubeconfig", 0, &kubeconfig, "Kubernetes config file");
    flags.hide("kubeconfig");
    Args positional;
    if (auto code = parse_verb(cli, flags, "version", args, ArgCount::None, 0, positional))
        return *code;

    TemplateFunctions extra;
    extra["getDetailsOrder"] = [](const std::vector<Json>& a) -> ErrorOr<Json> {
        Json keys = Json::array();
        if (!a.empty() && a[0].is_object() && a[0].contains("Details") && a[0]["Details"].is_object()) {
            std::vector<std::string> sorted;
            for (auto const& [key, value] : a[0]["Details"].items())
                sorted.push_back(key);
            std::sort(sorted.begin(), sorted.end());
            for (auto const& key : sorted)
                keys.push_back(key);
        }
        return keys;
    };
    auto tmpl = Template::parse(format.empty() ? VERSION_TEMPLATE : std::string_view(format), extra);
    if (tmpl.is_error())
        return fail(cli, "template parsing error: " + tmpl.error().message(), 64);

    Json client = Json::object();
    client["Platform"] = Json { { "Name", "" } };
    client["Version"] = CORRAL_VERSION;
    client["ApiVersion"] = std::string(api::CLIENT_API_VERSION);
    client["DefaultAPIVersion"] = std::string(api::CLIENT_API_VERSION);
    client["GitCommit"] = "";
    client["GoVersion"] = "";
    client["Os"] = "linux";
    client["Arch"] = machine_arch();
    client["BuildTime"] = "";
    client["Context"] = "default";
    client["Experimental"] = true;

    Json data = Json::object();
    data["Client"] = client;
    std::string server_error;
    auto response = cli.client.request("GET", "/version");
    if (response.is_error()) {
        server_error = error_text(cli, response.error());
        data["Server"] = Json();
    } else {
        auto server = parse_json(response->body);
        if (server.is_error()) {
            server_error = server.error().message();
            data["Server"] = Json();
        } else {
            Json& s = *server;
            bool engine = false;
            if (s.contains("Components") && s["Components"].is_array()) {
                for (auto& component : s["Components"]) {
                    if (component.value("Name", "") == "Engine") {
                        engine = true;
                        if (component.contains("Details") && component["Details"].contains("BuildTime")
                            && component["Details"]["BuildTime"].is_string())
                            component["Details"]["BuildTime"]
                                = ansic_date(component["Details"]["BuildTime"].get<std::string>());
                    }
                }
            } else {
                s["Components"] = Json::array();
            }
            if (!engine) {
                s["Components"].push_back(Json { { "Name", "Engine" }, { "Version", s.value("Version", "") },
                    { "Details",
                        Json { { "ApiVersion", s.value("ApiVersion", "") },
                            { "MinAPIVersion", s.value("MinAPIVersion", "") },
                            { "GitCommit", s.value("GitCommit", "") }, { "GoVersion", s.value("GoVersion", "") },
                            { "Os", s.value("Os", "") }, { "Arch", s.value("Arch", "") },
                            { "BuildTime", ansic_date(s.value("BuildTime", "")) },
                            { "Experimental", s.value("Experimental", false) ? "true" : "false" } } } });
            }
            data["Server"] = s;
        }
    }
    TemplateData template_data { data, {}, EscapeHtml::No, go_field_aliases() };
    template_data.methods["ServerOK"]
        = [ok = server_error.empty()](const std::vector<Json>&) -> ErrorOr<Json> { return ok; };
    auto text = tmpl->execute(template_data);
    if (text.is_error()) {
        if (!server_error.empty())
            return fail(cli, server_error, 1);
        return fail(cli, "template parsing error: " + text.error().message(), 1);
    }
    // Rendered through tabwriter (minwidth 20, padding 1) with a final newline.
    write_out(cli, tabwrite(*text + "\n", 20, 1, 1));
    if (!server_error.empty())
        return fail(cli, server_error, 1);
    return 0;
}

int info_main(Cli& cli, const Args& args)
{
    std::string format;
    FlagSet flags("info [OPTIONS]", "Display system-wide information");
    flags.add_string("format", 'f', &format, "Format the output using the given Go template");
    Args positional;
    if (auto code = parse_verb(cli, flags, "info", args, ArgCount::None, 0, positional))
        return *code;
    auto response = cli.client.request("GET", "/info");
    std::string server_error;
    Json info;
    if (response.is_error()) {
        server_error = error_text(cli, response.error());
    } else {
        auto parsed = parse_json(response->body);
        if (parsed.is_error())
            server_error = parsed.error().message();
        else
            info = parsed.release_value();
    }
    Json client_info { { "Debug", false }, { "Context", "default" }, { "Plugins", Json::array() },
        { "Warnings", Json() } };

    if (!format.empty()) {
        auto tmpl = Template::parse(format);
        if (tmpl.is_error())
            return fail(cli, "template parsing error: " + tmpl.error().message(), 64);
        Json data = info.is_object() ? info : Json::object();
        data["ClientInfo"] = client_info;
        data["ClientErrors"] = Json();
        data["ServerErrors"] = server_error.empty() ? Json() : Json::array({ server_error });
        TemplateData template_data { data, {}, EscapeHtml::No, go_field_aliases() };
        auto text = tmpl->execute(template_data);
        if (text.is_error())
            return fail(cli, "template: " + text.error().message(), 1);
        write_out(cli, *text + "\n");
        if (!server_error.empty())
            return fail(cli, server_error, 1);
        return 0;
    }

    std::string out = "Client:\n Context:    default\n Debug Mode: false\n\nServer:\n";
    if (info.is_object()) {
        auto str = [&](const char* key) {
            return info.contains(key) && info[key].is_string() ? info[key].get<std::string>() : std::string();
        };
        auto num = [&](const char* key) {
            return info.contains(key) && info[key].is_number() ? std::to_string(info[key].get<int64_t>())
                                                               : std::string("0");
        };
        auto boolean = [&](const char* key) {
            return info.contains(key) && info[key].is_boolean() && info[key].get<bool>() ? std::string("true")
                                                                                         : std::string("false");
        };
        auto non_empty = [&](const std::string& label, const std::string& value) {
            if (!value.empty())
                out += label + " " + value + "\n";
        };
        auto join = [&](const Json& list) {
            std::string text;
            if (list.is_array()) {
                for (auto const& item : list)
                    text += (text.empty() ? "" : " ") + (item.is_string() ? item.get<std::string>() : go_print(item));
            }
            return text;
        };
        out += " Containers: " + num("Containers") + "\n";
        out += "  Running: " + num("ContainersRunning") + "\n";
        out += "  Paused: " + num("ContainersPaused") + "\n";
        out += "  Stopped: " + num("ContainersStopped") + "\n";
        out += " Images: " + num("Images") + "\n";
        non_empty(" Server Version:", str("ServerVersion"));
        non_empty(" Storage Driver:", str("Driver"));
        if (info.contains("DriverStatus") && info["DriverStatus"].is_array()) {
            for (auto const& pair : info["DriverStatus"]) {
                if (pair.is_array() && pair.size() == 2)
                    out += "  " + go_print(pair[0]) + ": " + go_print(pair[1]) + "\n";
            }
        }
        non_empty(" Logging Driver:", str("LoggingDriver"));
        non_empty(" Cgroup Driver:", str("CgroupDriver"));
        non_empty(" Cgroup Version:", str("CgroupVersion"));
        Json plugins = info.contains("Plugins") && info["Plugins"].is_object() ? info["Plugins"] : Json::object();
        out += " Plugins:\n";
        out += "  Volume: " + join(plugins.value("Volume", Json())) + "\n";
        out += "  Network: " + join(plugins.value("Network", Json())) + "\n";
        if (plugins.contains("Authorization") && !plugins["Authorization"].empty()
            && plugins["Authorization"].is_array())
            out += "  Authorization: " + join(plugins["Authorization"]) + "\n";
        out += "  Log: " + join(plugins.value("Log", Json())) + "\n";
        std::string swarm
            = info.contains("Swarm") && info["Swarm"].is_object() ? info["Swarm"].value("LocalNodeState", "") : "";
        out += " Swarm: " + swarm + "\n";
        if (info.contains("Runtimes") && info["Runtimes"].is_object() && !info["Runtimes"].empty()) {
            out += " Runtimes:";
            for (auto const& [name, value] : info["Runtimes"].items())
                out += " " + name;
            out += "\n Default Runtime: " + str("DefaultRuntime") + "\n";
        }
        if (str("OSType") == "linux") {
            out += " Init Binary: " + str("InitBinary") + "\n";
            for (auto const& [label, key] : { std::pair { "containerd", "ContainerdCommit" }, { "runc", "RuncCommit" },
                     { "init", "InitCommit" } }) {
                Json commit = info.contains(key) && info[key].is_object() ? info[key] : Json::object();
                std::string id = commit.value("ID", "");
                std::string expected = commit.value("Expected", "");
                out += " " + std::string(label) + " version: " + id;
                if (id != expected)
                    out += " (expected: " + expected + ")";
                out += "\n";
            }
            if (info.contains("SecurityOptions") && info["SecurityOptions"].is_array()
                && !info["SecurityOptions"].empty()) {
                out += " Security Options:\n";
                for (auto const& option : info["SecurityOptions"]) {
                    if (!option.is_string())
                        continue;
                    // "name=seccomp,profile=default"
                    std::string text = option.get<std::string>();
                    std::string name, profile;
                    size_t start = 0;
                    while (start <= text.size()) {
                        size_t comma = text.find(',', start);
                        std::string part
                            = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                        auto equals = part.find('=');
                        if (equals != std::string::npos) {
                            if (part.substr(0, equals) == "name")
                                name = part.substr(equals + 1);
                            else if (part.substr(0, equals) == "profile")
                                profile = part.substr(equals + 1);
                        } else if (name.empty()) {
                            name = part;
                        }
                        if (comma == std::string::npos)
                            break;
                        start = comma + 1;
                    }
                    out += "  " + name + "\n";
                    if (!profile.empty())
                        out += "   Profile: " + profile + "\n";
                }
            }
        }
        non_empty(" Kernel Version:", str("KernelVersion"));
        non_empty(" Operating System:", str("OperatingSystem"));
        non_empty(" OSType:", str("OSType"));
        non_empty(" Architecture:", str("Architecture"));
        out += " CPUs: " + num("NCPU") + "\n";
        double memory = info.contains("MemTotal") && info["MemTotal"].is_number() ? info["MemTotal"].get<double>() : 0;
        out += " Total Memory: " + bytes_size(memory) + "\n";
        non_empty(" Name:", str("Name"));
        non_empty(" ID:", str("ID"));
        out += " Docker Root Dir: " + str("DockerRootDir") + "\n";
        out += " Debug Mode: " + boolean("Debug") + "\n";
        non_empty(" HTTP Proxy:", str("HttpProxy"));
        non_empty(" HTTPS Proxy:", str("HttpsProxy"));
        non_empty(" No Proxy:", str("NoProxy"));
        if (!str("IndexServerAddress").empty())
            out += " Registry: " + str("IndexServerAddress") + "\n";
        if (info.contains("Labels") && info["Labels"].is_array()) {
            out += " Labels:\n";
            for (auto const& label : info["Labels"])
                out += "  " + go_print(label) + "\n";
        }
        out += " Experimental: " + boolean("ExperimentalBuild") + "\n";
        if (info.contains("RegistryConfig") && info["RegistryConfig"].is_object()) {
            Json const& registry = info["RegistryConfig"];
            Json insecure = registry.value("InsecureRegistryCIDRs", Json::array());
            Json indexes = registry.value("IndexConfigs", Json::object());
            if ((insecure.is_array() && !insecure.empty()) || (indexes.is_object() && !indexes.empty())) {
                out += " Insecure Registries:\n";
                if (indexes.is_object()) {
                    for (auto const& [name, config] : indexes.items()) {
                        if (config.is_object() && !config.value("Secure", false))
                            out += "  " + config.value("Name", name) + "\n";
                    }
                }
                if (insecure.is_array()) {
                    for (auto const& cidr : insecure)
                        out += "  " + go_print(cidr) + "\n";
                }
            }
            Json mirrors = registry.value("Mirrors", Json::array());
            if (mirrors.is_array() && !mirrors.empty()) {
                out += " Registry Mirrors:\n";
                for (auto const& mirror : mirrors)
                    out += "  " + go_print(mirror) + "\n";
            }
        }
        out += " Live Restore Enabled: " + boolean("LiveRestoreEnabled") + "\n";
        non_empty(" Product License:", str("ProductLicense"));
        out += "\n";
    }
    if (!server_error.empty())
        out += "ERROR: " + server_error + "\n";
    write_out(cli, out);
    if (info.is_object() && info.contains("Warnings") && info["Warnings"].is_array()) {
        for (auto const& warning : info["Warnings"])
            write_err(cli, go_print(warning) + "\n");
    }
    if (!server_error.empty())
        return fail(cli, "errors pretty printing info", 1);
    return 0;
}

int events_main(Cli& cli, const Args& args)
{
    std::string since, until, format;
    std::vector<std::string> filters;
    FlagSet flags("events [OPTIONS]", "Get real time events from the server");
    flags.add_string("since", 0, &since, "Show all events created since timestamp");
    flags.add_string("until", 0, &until, "Stream events until this timestamp");
    add_filter_flag(flags, &filters);
    flags.add_string("format", 0, &format, "Format the output using the given Go template");
    Args positional;
    if (auto code = parse_verb(cli, flags, "events", args, ArgCount::None, 0, positional))
        return *code;
    std::optional<Template> tmpl;
    if (!format.empty()) {
        auto parsed = Template::parse(format);
        if (parsed.is_error())
            return fail(cli, "Error parsing format: " + parsed.error().message(), 64);
        tmpl = parsed.release_value();
    }
    auto filter_json = filters_json(filters);
    if (filter_json.is_error())
        return fail(cli, filter_json.error().message());
    struct timespec now { };
    clock_gettime(CLOCK_REALTIME, &now);
    api::Query query;
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
    if (!filters.empty())
        query.emplace_back("filters", *filter_json);

    std::string buffer;
    auto handle = [&](const std::string& line) -> ErrorOr<void> {
        auto event = TRY(parse_json(line));
        if (tmpl) {
            TemplateData data { event, {}, EscapeHtml::No, go_field_aliases() };
            auto text = tmpl->execute(data);
            if (text.is_error())
                return text.release_error();
            write_out(cli, *text + "\n");
            return {};
        }
        std::string out;
        int64_t time_nano = event.value("timeNano", static_cast<int64_t>(0));
        int64_t time = event.value("time", static_cast<int64_t>(0));
        if (time_nano != 0)
            out += rfc3339_nano_fixed_local(time_nano) + " ";
        else if (time != 0)
            out += rfc3339_nano_fixed_local(time * 1000000000) + " ";
        Json actor = event.contains("Actor") && event["Actor"].is_object() ? event["Actor"] : Json::object();
        out += event.value("Type", "") + " " + event.value("Action", "") + " " + actor.value("ID", "");
        if (actor.contains("Attributes") && actor["Attributes"].is_object() && !actor["Attributes"].empty()) {
            std::vector<std::string> attributes;
            for (auto const& [key, value] : actor["Attributes"].items())
                attributes.push_back(key + "=" + (value.is_string() ? value.get<std::string>() : go_print(value)));
            std::sort(attributes.begin(), attributes.end());
            out += " (";
            for (size_t i = 0; i < attributes.size(); ++i)
                out += (i ? ", " : "") + attributes[i];
            out += ")";
        }
        write_out(cli, out + "\n");
        return {};
    };
    auto response = cli.client.stream("GET", "/events", query, {}, [&](std::string_view chunk) -> ErrorOr<void> {
        buffer.append(chunk);
        size_t newline;
        while ((newline = buffer.find('\n')) != std::string::npos) {
            std::string line = buffer.substr(0, newline);
            buffer.erase(0, newline + 1);
            if (line.find_first_not_of(" \r\t") == std::string::npos)
                continue;
            TRY(handle(line));
        }
        return {};
    });
    if (response.is_error())
        return fail(cli, error_text(cli, response.error()));
    if (buffer.find_first_not_of(" \r\t\n") != std::string::npos) {
        auto last = handle(buffer);
        if (last.is_error())
            return fail(cli, last.error().message());
    }
    return 0;
}

namespace {

// One line of `stats`, from GET /containers/{id}/stats?stream=0.
TemplateData stats_row(const std::string& id, const std::string& name, const Json& s, bool truncate)
{
    TemplateData row;
    Json& v = row.value;
    v = Json::object();
    auto number = [](const Json& object, std::initializer_list<const char*> path) -> double {
        const Json* at = &object;
        for (auto const* key : path) {
            if (!at->is_object() || !at->contains(key))
                return 0;
            at = &(*at)[key];
        }
        return at->is_number() ? at->get<double>() : 0;
    };
    double cpu = 0;
    double cpu_delta = number(s, { "cpu_stats", "cpu_usage", "total_usage" })
        - number(s, { "precpu_stats", "cpu_usage", "total_usage" });
    double system_delta
        = number(s, { "cpu_stats", "system_cpu_usage" }) - number(s, { "precpu_stats", "system_cpu_usage" });
    double online = number(s, { "cpu_stats", "online_cpus" });
    if (online == 0 && s.contains("cpu_stats") && s["cpu_stats"].contains("cpu_usage")
        && s["cpu_stats"]["cpu_usage"].contains("percpu_usage")
        && s["cpu_stats"]["cpu_usage"]["percpu_usage"].is_array())
        online = static_cast<double>(s["cpu_stats"]["cpu_usage"]["percpu_usage"].size());
    if (system_delta > 0 && cpu_delta > 0)
        cpu = cpu_delta / system_delta * online * 100.0;
    double usage = number(s, { "memory_stats", "usage" });
    // docker's calculateMemUsageUnixNoCache: cgroup v1 total_inactive_file, v2 inactive_file.
    double inactive = number(s, { "memory_stats", "stats", "total_inactive_file" });
    if (inactive == 0)
        inactive = number(s, { "memory_stats", "stats", "inactive_file" });
    if (inactive < usage)
        usage -= inactive;
    double limit = number(s, { "memory_stats", "limit" });
    double rx = 0, tx = 0;
    if (s.contains("networks") && s["networks"].is_object()) {
        for (auto const& [key, network] : s["networks"].items()) {
            rx += number(network, { "rx_bytes" });
            tx += number(network, { "tx_bytes" });
        }
    }
    double read = 0, write = 0;
    if (s.contains("blkio_stats") && s["blkio_stats"].is_object()
        && s["blkio_stats"].contains("io_service_bytes_recursive")
        && s["blkio_stats"]["io_service_bytes_recursive"].is_array()) {
        for (auto const& entry : s["blkio_stats"]["io_service_bytes_recursive"]) {
            std::string op = entry.value("op", "");
            if (!op.empty() && (op[0] == 'r' || op[0] == 'R'))
                read += number(entry, { "value" });
            else if (!op.empty() && (op[0] == 'w' || op[0] == 'W'))
                write += number(entry, { "value" });
        }
    }
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.2f%%", cpu);
    v["BlockIO"] = human_size(read, 3) + " / " + human_size(write, 3);
    v["CPUPerc"] = std::string(buffer);
    v["Container"] = name.empty() ? id : name;
    v["ID"] = truncate ? truncate_id(id) : id;
    v["MemPerc"] = limit != 0 ? [&] {
        std::snprintf(buffer, sizeof buffer, "%.2f%%", usage / limit * 100.0);
        return std::string(buffer);
    }()
                             : std::string("0.00%");
    v["MemUsage"] = bytes_size(usage) + " / " + bytes_size(limit);
    v["Name"] = name;
    v["NetIO"] = human_size(rx, 3) + " / " + human_size(tx, 3);
    v["PIDs"] = std::to_string(static_cast<int64_t>(number(s, { "pids_stats", "current" })));
    row.root_json_escape = EscapeHtml::Yes;
    row.root_type = "*container.statsContext";
    return row;
}

} // namespace

int stats_main(Cli& cli, const Args& args)
{
    bool all = false, no_stream = false, no_trunc = false;
    std::string format;
    FlagSet flags("stats [OPTIONS] [CONTAINER...]", "Display a live stream of container(s) resource usage statistics");
    flags.add_bool("all", 'a', &all, "Show all containers (default shows just running)");
    flags.add_bool("no-stream", 0, &no_stream, "Disable streaming stats and only pull the first result");
    flags.add_bool("no-trunc", 0, &no_trunc, "Do not truncate output");
    flags.add_string("format", 0, &format, "Pretty-print images using a Go template");
    Args names;
    if (auto code = parse_verb(cli, flags, "stats", args, ArgCount::AtLeast, 0, names))
        return *code;
    if (format.empty())
        format = "table "
                 "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";
    Json header { { "Container", "CONTAINER" }, { "ID", "CONTAINER ID" }, { "Name", "NAME" }, { "CPUPerc", "CPU %" },
        { "MemUsage", "MEM USAGE / LIMIT" }, { "MemPerc", "MEM %" }, { "NetIO", "NET I/O" }, { "BlockIO", "BLOCK I/O" },
        { "PIDs", "PIDS" } };
    bool terminal = ::isatty(cli.out);
    for (;;) {
        std::vector<std::pair<std::string, std::string>> targets; // id, name
        if (names.empty()) {
            auto list
                = cli.client.request("GET", "/containers/json", all ? api::Query { { "all", "1" } } : api::Query {});
            if (list.is_error())
                return fail(cli, error_text(cli, list.error()));
            auto containers = parse_json(list->body);
            if (containers.is_error() || !containers->is_array())
                return fail(cli, "Error: unexpected container list from the daemon");
            for (auto const& c : *containers) {
                std::string name;
                if (c.contains("Names") && c["Names"].is_array() && !c["Names"].empty() && c["Names"][0].is_string())
                    name = c["Names"][0].get<std::string>().substr(1);
                targets.emplace_back(c.value("Id", ""), name);
            }
        } else {
            for (auto const& name : names)
                targets.emplace_back(name, name);
        }
        std::vector<TemplateData> rows;
        std::string errors;
        for (auto const& [id, name] : targets) {
            auto response = cli.client.request("GET", "/containers/" + id + "/stats", { { "stream", "0" } });
            if (response.is_error()) {
                errors += (errors.empty() ? "" : "\n") + error_text(cli, response.error());
                continue;
            }
            auto stats = parse_json(response->body);
            if (stats.is_error())
                continue;
            std::string full_id = stats->value("id", id);
            std::string shown = stats->value("name", name);
            if (!shown.empty() && shown[0] == '/')
                shown.erase(0, 1);
            rows.push_back(stats_row(full_id, shown, *stats, !no_trunc));
        }
        if (!errors.empty() && rows.empty() && !names.empty())
            return fail(cli, errors, 1);
        auto text = format_list(format, rows, header);
        if (text.is_error())
            return fail(cli, text.error().message());
        if (!no_stream && terminal)
            write_out(cli, "\x1b[2J\x1b[H");
        write_out(cli, *text);
        if (no_stream)
            return errors.empty() ? 0 : fail(cli, errors, 1);
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
}

} // namespace corral::cli
