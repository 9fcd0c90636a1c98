// The functions of Go's text/template and of docker's templates package, over
// JSON values (see system_docker_template.h).

#include "cli/system_docker_template.h"

#include "api/client.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <optional>

namespace corral::cli {

namespace {

using Args = std::vector<Json>;

Error bad_args(std::string_view name, size_t want, size_t got, bool at_least = false)
{
    return Error::from_string("wrong number of args for " + std::string(name) + ": want "
        + (at_least ? "at least " : "") + std::to_string(want) + " got " + std::to_string(got));
}

ErrorOr<std::string> string_arg(const Json& value)
{
    if (!value.is_string())
        return Error::from_string("wrong type for value; expected string; got " + go_kind(value));
    return value.get<std::string>();
}

ErrorOr<int64_t> int_arg(const Json& value)
{
    if (value.is_number_integer())
        return value.get<int64_t>();
    return Error::from_string("wrong type for value; expected int; got " + go_kind(value));
}

// fmt.Sprint: spaces between operands when neither side is a string.
std::string sprint(const Args& args)
{
    std::string out;
    for (size_t i = 0; i < args.size(); ++i) {
        if (i > 0 && !args[i].is_string() && !args[i - 1].is_string())
            out += ' ';
        out += go_print(args[i]);
    }
    return out;
}

std::string quote_go(std::string_view text)
{
    // strconv.Quote: like a JSON string, but Go escapes differ for a few bytes.
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\a':
            out += "\\a";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\v':
            out += "\\v";
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                out += "\\x";
                out += hex[c >> 4];
                out += hex[c & 15];
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

// fmt.Sprintf for the verbs templates use: %v %s %q %d %x %X %o %b %c %f %e %g
// %t %%, with flags - + space 0 #, width and precision.
std::string sprintf_go(std::string_view format, const Args& args)
{
    std::string out;
    size_t next = 0;
    for (size_t i = 0; i < format.size(); ++i) {
        char c = format[i];
        if (c != '%') {
            out += c;
            continue;
        }
        if (++i >= format.size()) {
            out += "%!(NOVERB)";
            break;
        }
        bool minus = false, plus = false, space = false, zero = false, sharp = false;
        for (; i < format.size(); ++i) {
            char f = format[i];
            if (f == '-')
                minus = true;
            else if (f == '+')
                plus = true;
            else if (f == ' ')
                space = true;
            else if (f == '0')
                zero = true;
            else if (f == '#')
                sharp = true;
            else
                break;
        }
        int width = -1, precision = -1;
        while (i < format.size() && format[i] >= '0' && format[i] <= '9')
            width = (width < 0 ? 0 : width * 10) + (format[i++] - '0');
        if (i < format.size() && format[i] == '.') {
            ++i;
            precision = 0;
            while (i < format.size() && format[i] >= '0' && format[i] <= '9')
                precision = precision * 10 + (format[i++] - '0');
        }
        if (i >= format.size()) {
            out += "%!(NOVERB)";
            break;
        }
        char verb = format[i];
        if (verb == '%') {
            out += '%';
            continue;
        }
        if (next >= args.size()) {
            out += std::string("%!") + verb + "(MISSING)";
            continue;
        }
        const Json& arg = args[next++];
        std::string text;
        bool numeric = false;
        auto bad = [&] { text = std::string("%!") + verb + "(" + go_kind(arg) + "=" + go_print(arg) + ")"; };
        switch (verb) {
        case 'v':
            text = go_print(arg);
            if (plus && arg.is_number())
                text = (text[0] == '-' ? "" : "+") + text;
            break;
        case 's':
            if (arg.is_string() || arg.is_array() || arg.is_object())
                text = go_print(arg);
            else
                bad();
            if (precision >= 0 && arg.is_string() && text.size() > static_cast<size_t>(precision))
                text.resize(static_cast<size_t>(precision));
            break;
        case 'q':
            if (arg.is_string())
                text = quote_go(arg.get<std::string>());
            else if (arg.is_number_integer())
                text = "'" + std::string(1, static_cast<char>(arg.get<int64_t>())) + "'";
            else
                bad();
            break;
        case 't':
            if (arg.is_boolean())
                text = go_print(arg);
            else
                bad();
            break;
        case 'd':
        case 'x':
        case 'X':
        case 'o':
        case 'b':
        case 'c': {
            if (verb == 'x' || verb == 'X') {
                if (arg.is_string()) {
                    static constexpr char lower[] = "0123456789abcdef";
                    static constexpr char upper[] = "0123456789ABCDEF";
                    for (unsigned char b : arg.get<std::string>()) {
                        text += (verb == 'x' ? lower : upper)[b >> 4];
                        text += (verb == 'x' ? lower : upper)[b & 15];
                    }
                    break;
                }
            }
            if (!arg.is_number_integer()) {
                bad();
                break;
            }
            numeric = true;
            int64_t value = arg.get<int64_t>();
            if (verb == 'c') {
                text = std::string(1, static_cast<char>(value));
                numeric = false;
                break;
            }
            uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
            int base = verb == 'd' ? 10 : verb == 'o' ? 8 : verb == 'b' ? 2 : 16;
            const char* digits = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            std::string body;
            do {
                body.insert(body.begin(), digits[magnitude % static_cast<uint64_t>(base)]);
                magnitude /= static_cast<uint64_t>(base);
            } while (magnitude);
            if (precision >= 0 && body.size() < static_cast<size_t>(precision))
                body.insert(0, static_cast<size_t>(precision) - body.size(), '0');
            if (sharp && base == 16)
                body.insert(0, verb == 'X' ? "0X" : "0x");
            if (sharp && base == 8)
                body.insert(0, "0");
            text = (value < 0 ? "-" : plus ? "+" : space ? " " : "") + body;
            break;
        }
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G': {
            if (!arg.is_number()) {
                bad();
                break;
            }
            numeric = true;
            double value = arg.get<double>();
            if ((verb == 'g' || verb == 'G') && precision < 0) {
                text = go_format_float(value);
                if (plus && value >= 0)
                    text = "+" + text;
                break;
            }
            std::string spec = "%";
            if (plus)
                spec += '+';
            if (space)
                spec += ' ';
            if (sharp)
                spec += '#';
            spec += "." + std::to_string(precision < 0 ? 6 : precision) + verb;
            char buffer[512];
            std::snprintf(buffer, sizeof buffer, spec.c_str(), value);
            text = buffer;
            break;
        }
        default:
            text = std::string("%!") + verb + "(" + go_kind(arg) + "=" + go_print(arg) + ")";
        }
        if (width > 0 && text.size() < static_cast<size_t>(width)) {
            size_t pad = static_cast<size_t>(width) - text.size();
            if (minus) {
                text.append(pad, ' ');
            } else if (zero && numeric) {
                size_t sign = !text.empty() && (text[0] == '-' || text[0] == '+' || text[0] == ' ') ? 1 : 0;
                text.insert(sign, pad, '0');
            } else {
                text.insert(0, pad, ' ');
            }
        }
        out += text;
    }
    if (next < args.size()) {
        out += "%!(EXTRA ";
        for (size_t k = next; k < args.size(); ++k) {
            if (k > next)
                out += ", ";
            out += go_kind(args[k]) + "=" + go_print(args[k]);
        }
        out += ")";
    }
    return out;
}

enum class Order {
    Less,
    Equal,
    Greater,
};

// Go's comparison of basic kinds: ints with ints (signed or not), floats with
// floats, strings with strings, bools only for equality.
ErrorOr<std::optional<Order>> compare(const Json& a, const Json& b, bool ordering)
{
    auto order = [](auto x, auto y) { return x < y ? Order::Less : x > y ? Order::Greater : Order::Equal; };
    if (a.is_number_integer() && b.is_number_integer()) {
        if (a.is_number_unsigned() || b.is_number_unsigned()) {
            if (a.is_number_unsigned() && b.is_number_unsigned())
                return std::optional(order(a.get<uint64_t>(), b.get<uint64_t>()));
            int64_t signed_value = a.is_number_unsigned() ? b.get<int64_t>() : a.get<int64_t>();
            if (signed_value < 0)
                return std::optional(a.is_number_unsigned() ? Order::Greater : Order::Less);
        }
        return std::optional(order(a.get<int64_t>(), b.get<int64_t>()));
    }
    if (a.is_number_float() && b.is_number_float())
        return std::optional(order(a.get<double>(), b.get<double>()));
    if (a.is_string() && b.is_string())
        return std::optional(order(a.get_ref<const std::string&>(), b.get_ref<const std::string&>()));
    if (ordering)
        return Error::from_string(a.type() == b.type() || (a.is_number() && b.is_number())
                ? "invalid type for comparison"
                : "incompatible types for comparison");
    if (a.is_boolean() && b.is_boolean())
        return std::optional(a.get<bool>() == b.get<bool>() ? Order::Equal : Order::Less);
    if (a.is_null() && b.is_null())
        return std::optional(Order::Equal);
    if (a.type() == b.type() && (a.is_array() || a.is_object()))
        return Error::from_string("non-comparable type " + go_print(a) + ": " + go_kind(a));
    return Error::from_string("incompatible types for comparison");
}

TemplateFunction comparison(std::string name, bool (*accept)(Order))
{
    return [name, accept](const Args& args) -> ErrorOr<Json> {
        if (args.size() != 2)
            return bad_args(name, 2, args.size());
        auto result = TRY(compare(args[0], args[1], true));
        return accept(*result);
    };
}

std::string html_escape(std::string_view text)
{
    std::string out;
    for (char c : text) {
        switch (c) {
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '&':
            out += "&amp;";
            break;
        case '\'':
            out += "&#39;";
            break;
        case '"':
            out += "&#34;";
            break;
        case '\0':
            out += "\xef\xbf\xbd";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string js_escape(std::string_view text)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '\'':
            out += "\\'";
            break;
        case '"':
            out += "\\\"";
            break;
        case '<':
            out += "\\u003C";
            break;
        case '>':
            out += "\\u003E";
            break;
        case '&':
            out += "\\u0026";
            break;
        case '=':
            out += "\\u003D";
            break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 15];
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out;
}

bool is_title_separator(unsigned char c)
{
    if (c >= 0x80)
        return false; // letters of other scripts: not a boundary
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
        return false;
    return true;
}

TemplateFunctions make_builtins()
{
    TemplateFunctions f;
    f["not"] = [](const Args& args) -> ErrorOr<Json> {
        if (args.size() != 1)
            return bad_args("not", 1, args.size());
        return !go_truth(args[0]);
    };
    f["len"] = [](const Args& args) -> ErrorOr<Json> {
        if (args.size() != 1)
            return bad_args("len", 1, args.size());
        if (args[0].is_string())
            return static_cast<int64_t>(args[0].get_ref<const std::string&>().size());
        if (args[0].is_array() || args[0].is_object())
            return static_cast<int64_t>(args[0].size());
        return Error::from_string("len of type " + go_kind(args[0]));
    };
    f["index"] = [](const Args& args) -> ErrorOr<Json> {
        if (args.empty())
            return bad_args("index", 1, 0, true);
        Json item = args[0];
        for (size_t i = 1; i < args.size(); ++i) {
            const Json& key = args[i];
            if (item.is_array() || item.is_string()) {
                if (!key.is_number_integer())
                    return Error::from_string("cannot index slice/array with type " + go_kind(key));
                int64_t k = key.get<int64_t>();
                size_t size = item.is_array() ? item.size() : item.get_ref<const std::string&>().size();
                if (k < 0 || static_cast<size_t>(k) >= size)
                    return Error::from_string("index out of range: " + std::to_string(k));
                if (item.is_array()) {
                    Json next = item[static_cast<size_t>(k)];
                    item = std::move(next);
                } else {
                    item = static_cast<int64_t>(
                        static_cast<unsigned char>(item.get<std::string>()[static_cast<size_t>(k)]));
                }
            } else if (item.is_object()) {
                if (!key.is_string())
                    return Error::from_string("value has type " + go_kind(key) + "; should be string");
                auto it = item.find(key.get<std::string>());
                if (it != item.end()) {
                    Json next = *it;
                    item = std::move(next);
                    continue;
                }
                // The zero value of the map's element type: "" for the string
                // maps (labels, options) it is used on.
                bool strings = true;
                for (auto const& [k, v] : item.items())
                    strings = strings && v.is_string();
                item = strings ? Json("") : Json();
            } else if (item.is_null()) {
                return Error::from_string("index of untyped nil");
            } else {
                return Error::from_string("can't index item of type " + go_kind(item));
            }
        }
        return item;
    };
    f["slice"] = [](const Args& args) -> ErrorOr<Json> {
        if (args.empty())
            return bad_args("slice", 1, 0, true);
        const Json& item = args[0];
        if (args.size() > 3 + (item.is_array() ? 1 : 0))
            return Error::from_string("too many slice indexes: " + std::to_string(args.size() - 1));
        size_t size = item.is_array() ? item.size() : item.is_string() ? item.get_ref<const std::string&>().size() : 0;
        if (!item.is_array() && !item.is_string())
            return Error::from_string("can't slice item of type " + go_kind(item));
        std::vector<size_t> index;
        for (size_t i = 1; i < args.size(); ++i) {
            int64_t k = TRY(int_arg(args[i]));
            if (k < 0 || static_cast<size_t>(k) > size)
                return Error::from_string("index out of range: " + std::to_string(k));
            index.push_back(static_cast<size_t>(k));
        }
        size_t from = index.size() > 0 ? index[0] : 0;
        size_t to = index.size() > 1 ? index[1] : size;
        if (from > to)
            return Error::from_string("invalid slice index: " + std::to_string(from) + " > " + std::to_string(to));
        if (item.is_string())
            return item.get<std::string>().substr(from, to - from);
        Json out = Json::array();
        for (size_t i = from; i < to; ++i)
            out.push_back(item[i]);
        return out;
    };
    f["print"] = [](const Args& args) -> ErrorOr<Json> { return sprint(args); };
    f["println"] = [](const Args& args) -> ErrorOr<Json> {
        std::string out;
        for (size_t i = 0; i < args.size(); ++i) {
            if (i > 0)
                out += ' ';
            out += go_print(args[i]);
        }
        return out + "\n";
    };
    f["printf"] = [](const Args& args) -> ErrorOr<Json> {
        if (args.empty())
            return bad_args("printf", 1, 0, true);
        std::string format = TRY(string_arg(args[0]));
        return sprintf_go(format, Args(args.begin() + 1, args.end()));
    };
    f["eq"] = [](const Args& args) -> ErrorOr<Json> {
        if (args.size() < 2)
            return Error::from_string("missing argument for comparison");
        for (size_t i = 1; i < args.size(); ++i) {
            auto result = TRY(compare(args[0], args[i], false));
            if (*result == Order::Equal)
                return true;
        }
        return false;
    };
    f["ne"] = [](const Args& args) -> ErrorOr<Json> {
        if (args.size() != 2)
            return bad_args("ne", 2, args.size());
        return *TRY(compare(args[0], args[1], false)) != Order::Equal;
    };
    f["lt"] = comparison("lt", [](Order o) { return o == Order::Less; });
    f["le"] = comparison("le", [](Order o) { return o != Order::Greater; });
    f["gt"] = comparison("gt", [](Order o) { return o == Order::Greater; });
    f["ge"] = comparison("ge", [](Order o) { return o != Order::Less; });
    f["html"] = [](const Args& args) -> ErrorOr<Json> { return html_escape(sprint(args)); };
    f["js"] = [](const Args& args) -> ErrorOr<Json> { return js_escape(sprint(args)); };
    f["urlquery"] = [](const Args& args) -> ErrorOr<Json> { return api::query_escape(sprint(args)); };

    // docker/cli templates.basicFunctions
    f["json"] = [](const Args& args) -> ErrorOr<Json> {
        if (args.size() != 1)
            return bad_args("json", 1, args.size());
        return go_json(args[0], EscapeHtml::No);
    };
    f["split"] = [](const Args& args) -> ErrorOr<Json> {
        if (args.size() != 2)
            return bad_args("split", 2, args.size());
        std::string text = TRY(string_arg(args[0]));
        std::string separator = TRY(string_arg(args[1]));
        Json out = Json::array();
        if (separator.empty()) {
            for (size_t i = 0; i < text.size();) {
                size_t n = 1;
                while (i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xc0) == 0x80)
                    ++n;
                out.push_back(text.substr(i, n));
                i += n;
            }
            return out;
        }
        size_t start = 0;
        for (;;) {
            size_t found = text.find(separator, start);
            if (found == std::string::npos) {
                out.push_back(text.substr(start));
                return out;
            }
            out.push_back(text.substr(start, found - start));
            start = found + separator.size();
        }
    };
    f["join"] = [](const Args& args) -> ErrorOr<Json> {
        if (args.size() != 2)
            return bad_args("join", 2, args.size());
        if (!args[0].is_array() && !args[0].is_null())
            return Error::from_string("wrong type for value; expected []string; got " + go_kind(args[0]));
        std::string separator = TRY(string_arg(args[1]));
        std::string out;
        bool first = true;
        for (auto const& element : args[0].is_null() ? Json::array() : args[0]) {
            if (!element.is_string())
                return Error::from_string("wrong type for value; expected []string; got " + go_kind(args[0]));
            if (!first)
                out += separator;
            first = false;
            out += element.get<std::string>();
        }
        return out;
    };
    f["title"] = [](const Args& args) -> ErrorOr<Json> {
        if (args.size() != 1)
            return bad_args("title", 1, args.size());
        std::string text = TRY(string_arg(args[0]));
        bool boundary = true;
        for (char& c : text) {
            if (boundary && c >= 'a' && c <= 'z')
                c = static_cast<char>(c - 'a' + 'A');
            boundary = is_title_separator(static_cast<unsigned char>(c));
        }
        return text;
    };
    f["lower"] = [](const Args& args) -> ErrorOr<Json> {
        if (args.size() != 1)
            return bad_args("lower", 1, args.size());
        std::string text = TRY(string_arg(args[0]));
        for (char& c : text) {
            if (c >= 'A' && c <= 'Z')
                c = static_cast<char>(c - 'A' + 'a');
        }
        return text;
    };
    f["upper"] = [](const Args& args) -> ErrorOr<Json> {
        if (args.size() != 1)
            return bad_args("upper", 1, args.size());
        std::string text = TRY(string_arg(args[0]));
        for (char& c : text) {
            if (c >= 'a' && c <= 'z')
                c = static_cast<char>(c - 'a' + 'A');
        }
        return text;
    };
    f["pad"] = [](const Args& args) -> ErrorOr<Json> {
        if (args.size() != 3)
            return bad_args("pad", 3, args.size());
        std::string text = TRY(string_arg(args[0]));
        int64_t prefix = TRY(int_arg(args[1]));
        int64_t suffix = TRY(int_arg(args[2]));
        if (text.empty())
            return text;
        if (prefix < 0 || suffix < 0 || prefix > 4096 || suffix > 4096)
            return Error::from_string("pad: negative or huge count");
        return std::string(static_cast<size_t>(prefix), ' ') + text + std::string(static_cast<size_t>(suffix), ' ');
    };
    f["truncate"] = [](const Args& args) -> ErrorOr<Json> {
        if (args.size() != 2)
            return bad_args("truncate", 2, args.size());
        std::string text = TRY(string_arg(args[0]));
        int64_t length = TRY(int_arg(args[1]));
        if (length < 0 || static_cast<size_t>(length) > text.size())
            return text;
        return text.substr(0, static_cast<size_t>(length));
    };
    return f;
}

} // namespace

std::string go_kind(const Json& value)
{
    switch (value.type()) {
    case Json::value_t::string:
        return "string";
    case Json::value_t::boolean:
        return "bool";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
        return "int";
    case Json::value_t::number_float:
        return "float64";
    case Json::value_t::array:
        return "[]interface {}";
    case Json::value_t::object:
        return "map[string]interface {}";
    default:
        return "<nil>";
    }
}

const TemplateFunctions& builtin_template_functions()
{
    static const TemplateFunctions functions = make_builtins();
    return functions;
}

const TemplateFunctions& header_template_functions()
{
    static const TemplateFunctions functions = [] {
        TemplateFunctions f;
        auto first = [](const Args& args) -> ErrorOr<Json> { return args.empty() ? Json("") : args[0]; };
        for (auto const* name : { "json", "split", "join", "title", "lower", "upper", "truncate" })
            f[name] = first;
        return f;
    }();
    return functions;
}

} // namespace corral::cli
