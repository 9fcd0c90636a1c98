#include "compose/interpolate.h"

#include "base/strings.h"
#include "config/keypath.h"

namespace corral::compose {

namespace {

bool is_name_start(char c)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

bool is_valid_name(std::string_view name)
{
    if (name.empty() || !is_name_start(name[0]))
        return false;
    for (char c : name) {
        if (!is_name_char(c))
            return false;
    }
    return true;
}

Error format_error(std::string reason, std::string_view text, size_t offset)
{
    return Error::from_string(std::move(reason) + " in " + go_quote(text) + " at offset " + std::to_string(offset));
}

// What follows NAME inside "${NAME…}".
enum class Operator {
    None, // }
    DefaultIfUnsetOrEmpty, // :-
    DefaultIfUnset, // -
    RequireSetAndNonEmpty, // :?
    RequireSet, // ?
};

class Interpolator {
public:
    Interpolator(std::string_view text, const Lookup& lookup, std::set<std::string>* unset)
        : m_text(text)
        , m_lookup(lookup)
        , m_unset(unset)
    {
    }

    ErrorOr<std::string> run()
    {
        std::string out;
        size_t i = 0;
        while (i < m_text.size()) {
            size_t dollar = m_text.find('$', i);
            if (dollar == std::string_view::npos) {
                out.append(m_text.substr(i));
                break;
            }
            out.append(m_text.substr(i, dollar - i));
            i = TRY(expand_at(dollar, out));
        }
        return out;
    }

private:
    // Expands the "$" at `dollar` onto `out`; returns the offset just past it.
    ErrorOr<size_t> expand_at(size_t dollar, std::string& out)
    {
        size_t next = dollar + 1;
        if (next < m_text.size() && m_text[next] == '$') {
            out += '$';
            return next + 1;
        }
        if (next < m_text.size() && m_text[next] == '{')
            return expand_braced(dollar, out);
        if (next < m_text.size() && is_name_start(m_text[next])) {
            size_t end = next;
            while (end < m_text.size() && is_name_char(m_text[end]))
                ++end;
            out += value_or_empty(m_text.substr(next, end - next));
            return end;
        }
        return format_error(
            R"("$" must be followed by a name, "{" or "$" (write "$$" for a literal "$"))", m_text, dollar);
    }

    ErrorOr<size_t> expand_braced(size_t dollar, std::string& out)
    {
        size_t start = dollar + 2;
        size_t end = start;
        while (end < m_text.size() && is_name_char(m_text[end]))
            ++end;
        size_t close = m_text.find('}', end);
        if (close == std::string_view::npos)
            return format_error(R"(unterminated "${")", m_text, dollar);

        Operator op = Operator::None;
        size_t word_start = end;
        if (m_text.compare(end, 2, ":-") == 0) {
            op = Operator::DefaultIfUnsetOrEmpty;
            word_start = end + 2;
        } else if (m_text.compare(end, 2, ":?") == 0) {
            op = Operator::RequireSetAndNonEmpty;
            word_start = end + 2;
        } else if (m_text[end] == '-') {
            op = Operator::DefaultIfUnset;
            word_start = end + 1;
        } else if (m_text[end] == '?') {
            op = Operator::RequireSet;
            word_start = end + 1;
        } else if (end != close) {
            // Something other than a name character or an operator before the
            // "}": report the whole would-be name.
            return format_error(
                "invalid variable name " + go_quote(m_text.substr(start, close - start)), m_text, dollar);
        }

        std::string_view name = m_text.substr(start, end - start);
        if (name.empty())
            return format_error("empty variable name", m_text, dollar);
        if (!is_valid_name(name))
            return format_error("invalid variable name " + go_quote(name), m_text, dollar);

        std::string_view word = m_text.substr(word_start, close - word_start);
        std::optional<std::string> value = m_lookup(name);
        switch (op) {
        case Operator::None:
            out += value_or_empty(name, std::move(value));
            break;
        case Operator::DefaultIfUnsetOrEmpty:
            out += value && !value->empty() ? *value : std::string(word);
            break;
        case Operator::DefaultIfUnset:
            out += value ? *value : std::string(word);
            break;
        case Operator::RequireSetAndNonEmpty:
        case Operator::RequireSet:
            if (!value || (op == Operator::RequireSetAndNonEmpty && value->empty())) {
                std::string message = "required variable " + std::string(name) + " is not set";
                if (!word.empty())
                    message += ": " + std::string(word);
                return Error::from_string(message + " (in " + go_quote(m_text) + ")");
            }
            out += *value;
            break;
        }
        return close + 1;
    }

    std::string value_or_empty(std::string_view name) { return value_or_empty(name, m_lookup(name)); }

    std::string value_or_empty(std::string_view name, std::optional<std::string> value)
    {
        if (value)
            return std::move(*value);
        if (m_unset)
            m_unset->insert(std::string(name));
        return {};
    }

    std::string_view m_text;
    const Lookup& m_lookup;
    std::set<std::string>* m_unset;
};

ErrorOr<void> interpolate_node(
    config::Node& node, config::KeyPath& path, const Lookup& lookup, std::set<std::string>* unset)
{
    if (node.is_map()) {
        for (auto& entry : node.entries()) {
            path.push_back(entry.key);
            TRY(interpolate_node(entry.value, path, lookup, unset));
            path.pop_back();
        }
        return {};
    }
    if (node.is_list()) {
        for (size_t i = 0; i < node.items().size(); ++i) {
            // List positions belong to the last segment, as in the config
            // diagnostics: console.volumes[1].
            std::string saved = path.back();
            path.back() += "[" + std::to_string(i) + "]";
            auto result = interpolate_node(node.items()[i], path, lookup, unset);
            path.back() = std::move(saved);
            TRY(result);
        }
        return {};
    }
    if (node.kind() != config::ScalarKind::String || node.text().find('$') == std::string::npos)
        return {};
    auto result = interpolate(node.text(), lookup, unset);
    if (result.is_error())
        return Error::from_string(
            node.mark().describe() + ": " + config::format_key_path(path) + ": " + result.error().message());
    node = config::Node::scalar(result.release_value(), config::ScalarKind::String, node.mark());
    return {};
}

} // namespace

ErrorOr<std::string> interpolate(std::string_view text, const Lookup& lookup, std::set<std::string>* unset)
{
    return Interpolator(text, lookup, unset).run();
}

ErrorOr<void> interpolate_service(
    config::Node& service, std::string_view service_name, const Lookup& lookup, std::set<std::string>* unset)
{
    config::KeyPath path { std::string(service_name) };
    return interpolate_node(service, path, lookup, unset);
}

} // namespace corral::compose
