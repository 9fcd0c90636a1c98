#include "api/handlers.h"
#include "base/process.h"

#include "base/file.h"
#include "base/strings.h"
#include "engine/engine.h"

#include <cstring>
#include <ctime>
#include <pwd.h>
#include <unistd.h>

namespace corral::api {

Response engine_error(const Error& error)
{
    // Go spells errno texts in lower case ("no such file or directory"), and
    // clients match on them: docker run exits 127 or 126 by them.
    std::string message = error.message();
    std::string text = std::strerror(error.code());
    if (!text.empty() && message.ends_with(text))
        message[message.size() - text.size()] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return error_response(status_for(error), message);
}

ErrorOr<nlohmann::json> parse_json_body(const Request& request)
{
    if (request.body.empty())
        return nlohmann::json::object();
    auto json = nlohmann::json::parse(request.body, nullptr, false);
    if (json.is_discarded())
        return Error::from_string("invalid JSON body", EINVAL);
    return json;
}

std::function<std::optional<std::string>(const std::string&)> image_resolver(engine::Engine& engine)
{
    return [&engine](const std::string& name) -> std::optional<std::string> {
        auto record = engine.images().resolve(name);
        if (record.is_error())
            return std::nullopt;
        return record->id.str();
    };
}

namespace {

int64_t now_nano()
{
    struct timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

} // namespace

Event image_event(const std::string& action, const std::string& id, const std::string& name)
{
    return Event { "image", action, id.empty() ? name : id, { { "name", name } }, now_nano() };
}

Event volume_event(const std::string& action, const std::string& name)
{
    return Event { "volume", action, name, { { "driver", "local" } }, now_nano() };
}

ErrorOr<struct timespec> parse_timestamp(const std::string& text)
{
    struct timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    auto parsed = TRY(parse_event_time(text, now));
    if (!parsed)
        return Error::from_string("invalid timestamp \"" + text + "\"", EINVAL);
    return *parsed;
}

namespace {

std::string user_name(uid_t uid)
{
    struct passwd entry {};
    struct passwd* found = nullptr;
    char buffer[4096];
    if (::getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found)
        return found->pw_name;
    return std::to_string(uid);
}

std::string clock_time(uint64_t ticks)
{
    long hz = ::sysconf(_SC_CLK_TCK);
    uint64_t seconds = ticks / static_cast<uint64_t>(hz > 0 ? hz : 100);
    char text[32];
    std::snprintf(text, sizeof text, "%02llu:%02llu:%02llu", static_cast<unsigned long long>(seconds / 3600),
        static_cast<unsigned long long>(seconds / 60 % 60), static_cast<unsigned long long>(seconds % 60));
    return text;
}

std::string start_time(uint64_t start_ticks)
{
    long hz = ::sysconf(_SC_CLK_TCK);
    auto uptime = read_file("/proc/uptime");
    double up = uptime.is_error() ? 0 : std::strtod(uptime->c_str(), nullptr);
    std::time_t started = std::time(nullptr) - static_cast<std::time_t>(up) + static_cast<std::time_t>(start_ticks / static_cast<uint64_t>(hz > 0 ? hz : 100));
    struct tm local {};
    ::localtime_r(&started, &local);
    char text[32];
    // As ps: the time of day when today, else the date.
    std::time_t now = std::time(nullptr);
    std::strftime(text, sizeof text, now - started < 24 * 3600 ? "%H:%M" : "%b%d", &local);
    return text;
}

} // namespace

// docker top with ps arguments other than the default: as dockerd, the
// host's ps with those arguments (first limited to the container's PIDs with
// -q, then, for options that cannot go with -q, without), keeping the rows
// whose PID column is one of the container's.
ErrorOr<nlohmann::json> ps_processes(const std::vector<pid_t>& pids, const std::string& ps_args)
{
    std::vector<std::string> args;
    for (auto const& word : split(ps_args, ' '))
        if (!word.empty())
            args.push_back(word);
    std::string pid_list;
    for (pid_t pid : pids)
        pid_list += (pid_list.empty() ? "" : ",") + std::to_string(pid);
    SpawnOptions options;
    options.argv = { "ps" };
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    options.argv.push_back("-q");
    options.argv.push_back(pid_list);
    auto result = run(options);
    if (result.is_error() || !result->status.exited() || result->status.code() != 0) {
        options.argv.resize(options.argv.size() - 2);
        result = run(options);
    }
    if (result.is_error())
        return Error::from_string("ps: " + result.error().message(), EIO);
    if (result->status.code() != 0)
        return Error::from_string("ps: " + result->status.describe() + ": " + std::string(trim(result->err)), EIO);
    auto lines = split(result->out, '\n');
    if (lines.empty())
        return Error::from_string("ps: no output", EIO);
    std::vector<std::string> titles;
    for (auto const& title : split(lines[0], ' '))
        if (!title.empty())
            titles.push_back(title);
    auto pid_column = std::find(titles.begin(), titles.end(), "PID");
    if (pid_column == titles.end())
        return Error::from_string("Couldn't find PID field in ps output", EINVAL);
    size_t pid_index = static_cast<size_t>(pid_column - titles.begin());
    std::set<std::string> wanted;
    for (pid_t pid : pids)
        wanted.insert(std::to_string(pid));
    nlohmann::json processes = nlohmann::json::array();
    for (size_t i = 1; i < lines.size(); ++i) {
        std::vector<std::string> fields;
        for (auto const& field : split(lines[i], ' '))
            if (!field.empty())
                fields.push_back(field);
        if (fields.size() <= pid_index || !wanted.contains(fields[pid_index]))
            continue;
        // The last column (the command) may hold spaces: the rest of the line.
        while (fields.size() > titles.size()) {
            fields[fields.size() - 2] += " " + fields.back();
            fields.pop_back();
        }
        processes.push_back(fields);
    }
    return nlohmann::json { { "Titles", titles }, { "Processes", processes } };
}

ErrorOr<nlohmann::json> container_processes(Context& ctx, const std::string& name_or_id, const std::string& ps_args)
{
    auto pids = TRY(ctx.engine.processes(name_or_id));
    if (!ps_args.empty() && ps_args != "-ef")
        return ps_processes(pids, ps_args);
    nlohmann::json processes = nlohmann::json::array();
    for (pid_t pid : pids) {
        std::string base = "/proc/" + std::to_string(pid);
        auto stat = read_file(base + "/stat");
        auto status = read_file(base + "/status");
        if (stat.is_error() || status.is_error())
            continue; // gone meanwhile
        auto close = stat->rfind(')');
        auto open = stat->find('(');
        std::string comm = stat->substr(open + 1, close - open - 1);
        auto fields = split(stat->substr(close + 2), ' ');
        if (fields.size() < 20)
            continue;
        // Fields after the name, from 0: state ppid pgrp session tty_nr … utime(11) stime(12) … starttime(19)
        uint64_t ticks = std::strtoull(fields[11].c_str(), nullptr, 10) + std::strtoull(fields[12].c_str(), nullptr, 10);
        int tty = std::atoi(fields[4].c_str());
        std::string tty_name = tty == 0 ? "?" : ((tty >> 8) == 136 ? "pts/" + std::to_string(((tty >> 12) & 0xfff00) | (tty & 0xff)) : "tty");
        auto uid_at = status->find("\nUid:");
        uid_t uid = uid_at == std::string::npos ? 0 : static_cast<uid_t>(std::strtoul(status->c_str() + uid_at + 5, nullptr, 10));
        auto cmdline = read_file(base + "/cmdline");
        std::string command;
        if (!cmdline.is_error() && !cmdline->empty()) {
            for (char c : *cmdline)
                command += c == '\0' ? ' ' : c;
            while (!command.empty() && command.back() == ' ')
                command.pop_back();
        } else {
            command = "[" + comm + "]";
        }
        processes.push_back({ user_name(uid), std::to_string(pid), fields[1], "0",
            start_time(std::strtoull(fields[19].c_str(), nullptr, 10)), tty_name, clock_time(ticks), command });
    }
    return nlohmann::json { { "Titles", { "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD" } },
        { "Processes", processes } };
}

} // namespace corral::api
