#include "runtime/supervisor_args.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <string_view>

namespace corral::runtime::detail {

namespace {

ErrorOr<long> parse_number(const char* text, std::string_view flag)
{
    char* end = nullptr;
    errno = 0;
    long value = std::strtol(text, &end, 10);
    if (errno || !end || *end || end == text)
        return Error::from_string(std::string(flag) + ": not a number: " + text);
    return value;
}

} // namespace

ErrorOr<SupervisorArguments> parse_supervisor_arguments(int argc, char** argv, bool monitor)
{
    SupervisorArguments args;
    for (int i = 1; i < argc; ++i) {
        std::string_view flag = argv[i];
        if (flag == "--stdin-once") {
            args.stdin_once = true;
            continue;
        }
        if (i + 1 >= argc)
            return Error::from_string(std::string(flag) + ": missing value");
        const char* value = argv[++i];
        auto number = [&]() { return parse_number(value, flag); };
        if (flag == "--run-dir")
            args.run_dir = value;
        else if (flag == "--log")
            args.log_path = value;
        else if (flag == "--cgroup")
            args.cgroup_dirs.emplace_back(value);
        else if (flag == "--listen-fd")
            args.listen_fd = static_cast<int>(TRY(number()));
        else if (flag == "--result-fd")
            args.result_fd = static_cast<int>(TRY(number()));
        else if (flag == "--exec-pid")
            args.exec_pid = static_cast<pid_t>(TRY(number()));
        else if (flag == "--log-max-size")
            args.log_options.max_size = TRY(number());
        else if (flag == "--log-max-file")
            args.log_options.max_file = static_cast<int>(TRY(number()));
        else if (flag == "--pid")
            args.pid = static_cast<pid_t>(TRY(number()));
        else if (flag == "--pidfd")
            args.pidfd = static_cast<int>(TRY(number()));
        else if (flag == "--terminal-fd")
            args.terminal_fd = static_cast<int>(TRY(number()));
        else if (flag == "--stdin-fd")
            args.stdin_fd = static_cast<int>(TRY(number()));
        else if (flag == "--stdout-fd")
            args.stdout_fd = static_cast<int>(TRY(number()));
        else if (flag == "--stderr-fd")
            args.stderr_fd = static_cast<int>(TRY(number()));
        else
            return Error::from_string("unknown flag " + std::string(flag));
    }
    if (monitor) {
        if (args.run_dir.empty() || args.listen_fd < 0 || args.pid <= 0 || args.pidfd < 0)
            return Error::from_string("--run-dir, --listen-fd, --pid and --pidfd are required");
    } else if (args.run_dir.empty() || args.listen_fd < 0 || args.result_fd < 0) {
        return Error::from_string("--run-dir, --listen-fd and --result-fd are required");
    }
    return args;
}

void ignore_supervisor_signals()
{
    for (int sig : { SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGPIPE, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2 })
        ::signal(sig, SIG_IGN);
}

std::vector<std::string> monitor_arguments(const SupervisorArguments& args)
{
    std::vector<std::string> out { "--run-dir", args.run_dir, "--pid", std::to_string(args.pid) };
    auto fd = [&](const char* flag, int value) {
        if (value >= 0)
            out.insert(out.end(), { flag, std::to_string(value) });
    };
    fd("--listen-fd", args.listen_fd);
    fd("--pidfd", args.pidfd);
    fd("--terminal-fd", args.terminal_fd);
    fd("--stdin-fd", args.stdin_fd);
    fd("--stdout-fd", args.stdout_fd);
    fd("--stderr-fd", args.stderr_fd);
    if (!args.log_path.empty()) {
        out.insert(out.end(), { "--log", args.log_path });
        out.insert(out.end(), { "--log-max-size", std::to_string(args.log_options.max_size) });
        out.insert(out.end(), { "--log-max-file", std::to_string(args.log_options.max_file) });
    }
    for (auto const& dir : args.cgroup_dirs)
        out.insert(out.end(), { "--cgroup", dir });
    if (args.stdin_once)
        out.emplace_back("--stdin-once");
    return out;
}

} // namespace corral::runtime::detail
