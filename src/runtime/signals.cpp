#include "runtime/signals.h"

#include <array>
#include <cctype>
#include <charconv>
#include <csignal>
#include <optional>

namespace corral::runtime {

namespace {

struct NamedSignal {
    std::string_view name; // without "SIG"
    int number;
};

// moby/sys/signal SignalMap for Linux; aliases (CLD, IOT, POLL) map to the
// same numbers as their usual names and come after them, so that signal_name()
// finds the usual name first.
constexpr std::array<NamedSignal, 34> NAMED_SIGNALS { {
    { "HUP", SIGHUP },
    { "INT", SIGINT },
    { "QUIT", SIGQUIT },
    { "ILL", SIGILL },
    { "TRAP", SIGTRAP },
    { "ABRT", SIGABRT },
    { "BUS", SIGBUS },
    { "FPE", SIGFPE },
    { "KILL", SIGKILL },
    { "USR1", SIGUSR1 },
    { "SEGV", SIGSEGV },
    { "USR2", SIGUSR2 },
    { "PIPE", SIGPIPE },
    { "ALRM", SIGALRM },
    { "TERM", SIGTERM },
    { "STKFLT", SIGSTKFLT },
    { "CHLD", SIGCHLD },
    { "CONT", SIGCONT },
    { "STOP", SIGSTOP },
    { "TSTP", SIGTSTP },
    { "TTIN", SIGTTIN },
    { "TTOU", SIGTTOU },
    { "URG", SIGURG },
    { "XCPU", SIGXCPU },
    { "XFSZ", SIGXFSZ },
    { "VTALRM", SIGVTALRM },
    { "PROF", SIGPROF },
    { "WINCH", SIGWINCH },
    { "IO", SIGIO },
    { "PWR", SIGPWR },
    { "SYS", SIGSYS },
    { "CLD", SIGCHLD },
    { "IOT", SIGABRT },
    { "POLL", SIGIO },
} };

// Fixed like Docker's table, not read from SIGRTMIN at run time: glibc keeps
// 32 and 33, so user space sees real-time signals from 34.
constexpr int RTMIN = 34;
constexpr int RTMAX = 64;

Error invalid(std::string_view text)
{
    return Error::from_string("invalid signal: " + std::string(text));
}

std::optional<int> parse_int(std::string_view text)
{
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        return std::nullopt;
    return value;
}

} // namespace

ErrorOr<int> parse_signal(std::string_view text)
{
    if (auto number = parse_int(text)) {
        if (*number < 1 || *number > RTMAX)
            return invalid(text);
        return *number;
    }
    std::string name(text);
    for (char& c : name)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name.starts_with("SIG"))
        name.erase(0, 3);
    for (auto const& signal : NAMED_SIGNALS) {
        if (signal.name == name)
            return signal.number;
    }
    // RTMIN, RTMIN+1..RTMIN+15, RTMAX-14..RTMAX-1, RTMAX, as in Docker's table.
    struct RealTime {
        std::string_view prefix;
        int base;
        char sign;
        int max_offset;
    };
    for (auto const& rt : { RealTime { "RTMIN", RTMIN, '+', 15 }, RealTime { "RTMAX", RTMAX, '-', 14 } }) {
        std::string_view view(name);
        if (!view.starts_with(rt.prefix))
            continue;
        std::string_view rest = view.substr(rt.prefix.size());
        if (rest.empty())
            return rt.base;
        auto offset = parse_int(rest.substr(1));
        if (rest[0] != rt.sign || !offset || *offset < 1 || *offset > rt.max_offset)
            break;
        return rt.sign == '+' ? rt.base + *offset : rt.base - *offset;
    }
    return invalid(text);
}

std::string signal_name(int number)
{
    for (auto const& signal : NAMED_SIGNALS) {
        if (signal.number == number)
            return "SIG" + std::string(signal.name);
    }
    if (number == RTMIN)
        return "SIGRTMIN";
    if (number == RTMAX)
        return "SIGRTMAX";
    if (number > RTMIN && number <= RTMIN + 15)
        return "SIGRTMIN+" + std::to_string(number - RTMIN);
    if (number > RTMIN + 15 && number < RTMAX)
        return "SIGRTMAX-" + std::to_string(RTMAX - number);
    return {};
}

ErrorOr<std::string> normalize_signal(std::string_view text)
{
    int number = TRY(parse_signal(text));
    std::string name = signal_name(number);
    if (name.empty())
        return invalid(text);
    return name;
}

} // namespace corral::runtime
