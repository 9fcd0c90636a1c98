#pragma once

// Command-line flags as the docker CLI (spf13/pflag) parses them: --name=value,
// --name value, -n value, -nvalue, -n=value, grouped short booleans (-it),
// --bool=false, "--" to end the flags, and, for commands that run another
// command (run, exec, top), flags only up to the first argument. Errors carry
// pflag's words: "unknown flag: --foo", "unknown shorthand flag: 'x' in -x",
// "flag needs an argument: --name", `invalid argument "x" for "-n, --last"
// flag: …`.

#include "base/error.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::cli {

enum class Interspersed {
    Yes, // flags may follow arguments (ps -a, rm x -f)
    No, // the first argument ends the flags (run IMAGE CMD -x)
};

class FlagSet {
public:
    // A value flag's setter: takes the text, refuses it with an error message.
    using Setter = std::function<ErrorOr<void>(std::string_view)>;

    FlagSet(std::string usage, std::string description, Interspersed interspersed = Interspersed::Yes);

    // `short_name` 0 for none. Each flag may be given several times: lists
    // collect every value, the others keep the last.
    void add_bool(std::string name, char short_name, bool* target, std::string help);
    void add_string(std::string name, char short_name, std::string* target, std::string help);
    void add_list(std::string name, char short_name, std::vector<std::string>* target, std::string help);
    void add_int(std::string name, char short_name, int64_t* target, std::string help);
    // A flag with its own parsing; `type` names the value in the help ("bytes").
    void add_value(std::string name, char short_name, std::string type, Setter setter, std::string help);
    // Accepted but not listed in the help (docker's --net beside --network).
    void hide(std::string_view name);

    // Parses `args` (without the command name) and returns the arguments that
    // are not flags. Sets help_requested() for -h/--help (unless -h is a flag
    // of the command, as in run's --hostname).
    ErrorOr<std::vector<std::string>> parse(const std::vector<std::string>& args);

    bool changed(std::string_view name) const;
    bool help_requested() const { return m_help; }
    // "Usage:  system-docker ps [OPTIONS]\n\nList containers\n\nOptions:\n…"
    std::string help_text(std::string_view program) const;
    const std::string& usage() const { return m_usage; }

private:
    enum class Kind {
        Bool,
        String,
        List,
        Int,
        Value,
    };
    struct Flag {
        std::string name;
        char short_name { 0 };
        Kind kind { Kind::Bool };
        std::string type;
        std::string help;
        void* target { nullptr };
        Setter setter;
        bool hidden { false };
        bool changed { false };
    };

    Flag* find(std::string_view name);
    Flag* find_short(char c);
    ErrorOr<void> set(Flag& flag, std::string_view value, bool from_short);
    void add(Flag flag);

    std::string m_usage;
    std::string m_description;
    Interspersed m_interspersed;
    std::vector<Flag> m_flags;
    bool m_help { false };
};

// Go's strconv.ParseBool.
ErrorOr<bool> parse_go_bool(std::string_view text);

} // namespace corral::cli
