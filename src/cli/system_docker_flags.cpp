#include "cli/system_docker_flags.h"

#include "base/strings.h"
#include "cli/system_docker_format.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace corral::cli {

namespace {

std::string flag_title(char short_name, std::string_view name)
{
    std::string title;
    if (short_name)
        title = std::string("-") + short_name + ", ";
    return title + "--" + std::string(name);
}

// Go's strconv.ParseInt(text, 0, 64).
ErrorOr<int64_t> parse_go_int(std::string_view text)
{
    auto invalid
        = [&] { return Error::from_string("strconv.ParseInt: parsing " + go_quote(text) + ": invalid syntax"); };
    std::string s(text);
    size_t i = 0;
    bool negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-'))
        negative = s[i++] == '-';
    int base = 10;
    if (s.size() - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        base = 16;
        i += 2;
    } else if (s.size() - i > 2 && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B')) {
        base = 2;
        i += 2;
    } else if (s.size() - i > 2 && s[i] == '0' && (s[i + 1] == 'o' || s[i + 1] == 'O')) {
        base = 8;
        i += 2;
    } else if (s.size() - i > 1 && s[i] == '0') {
        base = 8;
        i += 1;
    }
    std::string digits;
    for (; i < s.size(); ++i) {
        if (s[i] != '_')
            digits += s[i];
    }
    if (digits.empty())
        return invalid();
    errno = 0;
    char* end = nullptr;
    long long value = std::strtoll(digits.c_str(), &end, base);
    if (end != digits.c_str() + digits.size() || digits[0] == '-' || digits[0] == '+')
        return invalid();
    if (errno == ERANGE)
        return Error::from_string("strconv.ParseInt: parsing " + go_quote(text) + ": value out of range");
    return negative ? -static_cast<int64_t>(value) : static_cast<int64_t>(value);
}

} // namespace

ErrorOr<bool> parse_go_bool(std::string_view text)
{
    for (std::string_view yes : { "1", "t", "T", "TRUE", "true", "True" }) {
        if (text == yes)
            return true;
    }
    for (std::string_view no : { "0", "f", "F", "FALSE", "false", "False" }) {
        if (text == no)
            return false;
    }
    return Error::from_string("strconv.ParseBool: parsing " + go_quote(text) + ": invalid syntax");
}

FlagSet::FlagSet(std::string usage, std::string description, Interspersed interspersed)
    : m_usage(std::move(usage))
    , m_description(std::move(description))
    , m_interspersed(interspersed)
{
}

void FlagSet::add(Flag flag)
{
    m_flags.push_back(std::move(flag));
}

void FlagSet::add_bool(std::string name, char short_name, bool* target, std::string help)
{
    add({ std::move(name), short_name, Kind::Bool, "", std::move(help), target, {}, false, false });
}

void FlagSet::add_string(std::string name, char short_name, std::string* target, std::string help)
{
    add({ std::move(name), short_name, Kind::String, "string", std::move(help), target, {}, false, false });
}

void FlagSet::add_list(std::string name, char short_name, std::vector<std::string>* target, std::string help)
{
    add({ std::move(name), short_name, Kind::List, "list", std::move(help), target, {}, false, false });
}

void FlagSet::add_int(std::string name, char short_name, int64_t* target, std::string help)
{
    add({ std::move(name), short_name, Kind::Int, "int", std::move(help), target, {}, false, false });
}

void FlagSet::add_value(std::string name, char short_name, std::string type, Setter setter, std::string help)
{
    add({ std::move(name), short_name, Kind::Value, std::move(type), std::move(help), nullptr, std::move(setter), false,
        false });
}

void FlagSet::hide(std::string_view name)
{
    if (auto* flag = find(name))
        flag->hidden = true;
}

FlagSet::Flag* FlagSet::find(std::string_view name)
{
    for (auto& flag : m_flags) {
        if (flag.name == name)
            return &flag;
    }
    return nullptr;
}

FlagSet::Flag* FlagSet::find_short(char c)
{
    for (auto& flag : m_flags) {
        if (flag.short_name == c)
            return &flag;
    }
    return nullptr;
}

bool FlagSet::changed(std::string_view name) const
{
    for (auto const& flag : m_flags) {
        if (flag.name == name)
            return flag.changed;
    }
    return false;
}

ErrorOr<void> FlagSet::set(Flag& flag, std::string_view value, bool from_short)
{
    auto invalid = [&](const Error& error) {
        return Error::from_string("invalid argument " + go_quote(value) + " for "
            + go_quote(flag_title(flag.short_name, flag.name)) + " flag: " + error.message());
    };
    (void)from_short; // pflag names the flag the same way either way
    flag.changed = true;
    switch (flag.kind) {
    case Kind::Bool: {
        auto parsed = parse_go_bool(value);
        if (parsed.is_error())
            return invalid(parsed.error());
        *static_cast<bool*>(flag.target) = *parsed;
        return {};
    }
    case Kind::String:
        *static_cast<std::string*>(flag.target) = std::string(value);
        return {};
    case Kind::List:
        static_cast<std::vector<std::string>*>(flag.target)->emplace_back(value);
        return {};
    case Kind::Int: {
        auto parsed = parse_go_int(value);
        if (parsed.is_error())
            return invalid(parsed.error());
        *static_cast<int64_t*>(flag.target) = *parsed;
        return {};
    }
    case Kind::Value: {
        auto result = flag.setter(value);
        if (result.is_error())
            return invalid(result.error());
        return {};
    }
    }
    return {};
}

ErrorOr<std::vector<std::string>> FlagSet::parse(const std::vector<std::string>& args)
{
    std::vector<std::string> positional;
    bool short_help = !find_short('h');
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (arg == "--") {
            positional.insert(positional.end(), args.begin() + static_cast<long>(i) + 1, args.end());
            break;
        }
        if (arg.size() < 2 || arg[0] != '-') {
            if (m_interspersed == Interspersed::No) {
                positional.insert(positional.end(), args.begin() + static_cast<long>(i), args.end());
                break;
            }
            positional.emplace_back(arg);
            continue;
        }
        if (arg.starts_with("--")) {
            std::string_view body = arg.substr(2);
            size_t equals = body.find('=');
            std::string_view name = body.substr(0, equals);
            Flag* flag = find(name);
            if (!flag) {
                if (name == "help") {
                    m_help = true;
                    continue;
                }
                return Error::from_string("unknown flag: --" + std::string(name));
            }
            if (equals != std::string_view::npos) {
                TRY(set(*flag, body.substr(equals + 1), false));
            } else if (flag->kind == Kind::Bool) {
                TRY(set(*flag, "true", false));
            } else if (i + 1 < args.size()) {
                TRY(set(*flag, args[++i], false));
            } else {
                return Error::from_string("flag needs an argument: --" + std::string(name));
            }
            continue;
        }
        // Shorthands: "-it", "-e X", "-eX", "-e=X".
        std::string_view shorts = arg.substr(1);
        while (!shorts.empty()) {
            char c = shorts[0];
            Flag* flag = find_short(c);
            if (!flag) {
                if (c == 'h' && short_help) {
                    m_help = true;
                    shorts.remove_prefix(1);
                    continue;
                }
                return Error::from_string(
                    "unknown shorthand flag: '" + std::string(1, c) + "' in -" + std::string(arg.substr(1)));
            }
            std::string_view rest = shorts.substr(1);
            if (rest.starts_with("=")) {
                TRY(set(*flag, rest.substr(1), true));
                break;
            }
            if (flag->kind == Kind::Bool) {
                TRY(set(*flag, "true", true));
                shorts = rest;
                continue;
            }
            if (!rest.empty()) {
                TRY(set(*flag, rest, true));
                break;
            }
            if (i + 1 >= args.size())
                return Error::from_string(
                    "flag needs an argument: '" + std::string(1, c) + "' in -" + std::string(arg.substr(1)));
            TRY(set(*flag, args[++i], true));
            break;
        }
    }
    return positional;
}

std::string FlagSet::help_text(std::string_view program) const
{
    std::string out = "\nUsage:  " + std::string(program) + " " + m_usage + "\n\n" + m_description + "\n";
    std::vector<std::pair<std::string, std::string>> rows;
    for (auto const& flag : m_flags) {
        if (flag.hidden)
            continue;
        std::string left
            = flag.short_name ? std::string("  -") + flag.short_name + ", --" + flag.name : "      --" + flag.name;
        if (flag.kind != Kind::Bool)
            left += " " + flag.type;
        rows.emplace_back(left, flag.help);
    }
    if (rows.empty())
        return out;
    std::sort(rows.begin(), rows.end(), [](auto const& a, auto const& b) {
        auto key = [](const std::string& s) { return s.substr(s.find("--") + 2); };
        return key(a.first) < key(b.first);
    });
    size_t width = 0;
    for (auto const& row : rows)
        width = std::max(width, row.first.size());
    out += "\nOptions:\n";
    for (auto const& [left, help] : rows)
        out += left + std::string(width - left.size() + 3, ' ') + help + "\n";
    return out;
}

} // namespace corral::cli
