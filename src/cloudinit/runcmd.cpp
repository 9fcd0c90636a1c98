#include "cloudinit/runcmd.h"

#include "base/process.h"
#include "base/strings.h"

namespace corral::cloudinit {

std::vector<std::string> command_argv(const config::StringOrList& command)
{
    if (command.is_list)
        return command.list;
    if (trim(command.string).empty())
        return {};
    return { "/bin/sh", "-c", command.string };
}

void run_commands(const std::vector<config::StringOrList>& commands, const std::string& what, Report& report)
{
    size_t index = 0;
    for (auto const& command : commands) {
        std::string label = what + "[" + std::to_string(index++) + "]";
        auto argv = command_argv(command);
        if (argv.empty()) {
            report.warn(label + ": empty command, skipped");
            continue;
        }
        std::string shown = command.is_list ? join(argv, " ") : command.string;
        report.info(label + ": running " + go_quote(shown));
        SpawnOptions options;
        options.argv = std::move(argv);
        options.in = Stdio::Null;
        auto child = Child::spawn(options);
        if (child.is_error()) {
            report.error(label + ": " + child.error().message());
            continue;
        }
        auto status = child->wait();
        if (status.is_error()) {
            report.error(label + ": " + status.error().message());
            continue;
        }
        if (status->code() == 0)
            report.info(label + ": " + status->describe());
        else
            report.error(label + ": " + go_quote(shown) + " failed: " + status->describe());
    }
}

} // namespace corral::cloudinit
