#include "config/node.h"

#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>

namespace corral::config {

std::string Mark::describe() const
{
    std::string out = file ? *file : std::string("<input>");
    if (line > 0)
        out += ":" + std::to_string(line) + ":" + std::to_string(column);
    return out;
}

std::optional<bool> parse_yaml_bool(std::string_view t)
{
    if (t == "true" || t == "True" || t == "TRUE" || t == "yes" || t == "Yes" || t == "YES" || t == "on" || t == "On"
        || t == "ON")
        return true;
    if (t == "false" || t == "False" || t == "FALSE" || t == "no" || t == "No" || t == "NO" || t == "off"
        || t == "Off" || t == "OFF")
        return false;
    return std::nullopt;
}

std::optional<int64_t> parse_yaml_int(std::string_view t)
{
    std::string digits;
    bool negative = false;
    if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
        negative = t[0] == '-';
        t.remove_prefix(1);
    }
    int base = 10;
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
        base = 16;
        t.remove_prefix(2);
    } else if (t.size() > 2 && t[0] == '0' && (t[1] == 'o' || t[1] == 'O')) {
        base = 8;
        t.remove_prefix(2);
    } else if (t.size() > 2 && t[0] == '0' && (t[1] == 'b' || t[1] == 'B')) {
        base = 2;
        t.remove_prefix(2);
    } else if (t.size() > 1 && t[0] == '0') {
        base = 8; // YAML 1.1 octal, as go-yaml v2 reads 0644
    }
    if (t.empty())
        return std::nullopt;
    for (char c : t) {
        if (c == '_')
            continue;
        bool ok = (base == 16 && std::isxdigit(static_cast<unsigned char>(c))) || (base == 10 && c >= '0' && c <= '9')
            || (base == 8 && c >= '0' && c <= '7') || (base == 2 && (c == '0' || c == '1'));
        if (!ok)
            return std::nullopt;
        digits += c;
    }
    if (digits.empty())
        return std::nullopt;
    errno = 0;
    char* end = nullptr;
    unsigned long long magnitude = std::strtoull(digits.c_str(), &end, base);
    if (errno == ERANGE || *end)
        return std::nullopt;
    if (!negative && magnitude > static_cast<unsigned long long>(INT64_MAX))
        return std::nullopt;
    if (negative && magnitude > static_cast<unsigned long long>(INT64_MAX) + 1)
        return std::nullopt;
    return negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
}

std::optional<double> parse_yaml_float(std::string_view t)
{
    if (t == ".inf" || t == ".Inf" || t == ".INF" || t == "+.inf" || t == "+.Inf" || t == "+.INF")
        return INFINITY;
    if (t == "-.inf" || t == "-.Inf" || t == "-.INF")
        return -INFINITY;
    if (t == ".nan" || t == ".NaN" || t == ".NAN")
        return NAN;
    // [-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?
    size_t i = 0;
    std::string clean;
    if (i < t.size() && (t[i] == '-' || t[i] == '+'))
        clean += t[i++];
    size_t mantissa_digits = 0;
    bool dot = false;
    while (i < t.size() && ((t[i] >= '0' && t[i] <= '9') || t[i] == '_' || (t[i] == '.' && !dot))) {
        if (t[i] == '.')
            dot = true;
        else if (t[i] != '_')
            ++mantissa_digits;
        if (t[i] != '_')
            clean += t[i];
        ++i;
    }
    if (mantissa_digits == 0)
        return std::nullopt;
    bool exponent = false;
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        exponent = true;
        clean += t[i++];
        if (i < t.size() && (t[i] == '-' || t[i] == '+'))
            clean += t[i++];
        size_t exp_digits = 0;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
            clean += t[i++];
            ++exp_digits;
        }
        if (!exp_digits)
            return std::nullopt;
    }
    if (i != t.size() || (!dot && !exponent))
        return std::nullopt;
    return std::strtod(clean.c_str(), nullptr);
}

ScalarKind resolve_plain_scalar(std::string_view t)
{
    if (t.empty() || t == "~" || t == "null" || t == "Null" || t == "NULL")
        return ScalarKind::Null;
    if (parse_yaml_bool(t))
        return ScalarKind::Bool;
    char first = t[0];
    bool numeric_start = (first >= '0' && first <= '9') || first == '-' || first == '+' || first == '.';
    if (!numeric_start)
        return ScalarKind::String;
    if (parse_yaml_int(t))
        return ScalarKind::Int;
    if (parse_yaml_float(t))
        return ScalarKind::Float;
    return ScalarKind::String;
}

Node::Node() = default;
Node::~Node() = default;
Node::Node(const Node&) = default;
Node::Node(Node&&) noexcept = default;
Node& Node::operator=(const Node&) = default;
Node& Node::operator=(Node&&) noexcept = default;

Node Node::scalar(std::string text, ScalarKind kind, Mark mark)
{
    Node node;
    node.m_kind = kind;
    node.m_text = std::move(text);
    node.m_mark = std::move(mark);
    return node;
}

Node Node::plain(std::string text, Mark mark)
{
    ScalarKind kind = resolve_plain_scalar(text);
    return scalar(std::move(text), kind, std::move(mark));
}

Node Node::string(std::string text, Mark mark) { return scalar(std::move(text), ScalarKind::String, std::move(mark)); }
Node Node::boolean(bool value, Mark mark) { return scalar(value ? "true" : "false", ScalarKind::Bool, std::move(mark)); }
Node Node::integer(int64_t value, Mark mark) { return scalar(std::to_string(value), ScalarKind::Int, std::move(mark)); }

Node Node::list(Mark mark)
{
    Node node;
    node.m_type = Type::List;
    node.m_mark = std::move(mark);
    return node;
}

Node Node::map(Mark mark)
{
    Node node;
    node.m_type = Type::Map;
    node.m_mark = std::move(mark);
    return node;
}

std::string Node::describe() const
{
    switch (m_type) {
    case Type::List:
        return "a list";
    case Type::Map:
        return "a map";
    case Type::Scalar:
        break;
    }
    switch (m_kind) {
    case ScalarKind::Null:
        return "null";
    case ScalarKind::String:
        return "\"" + m_text + "\"";
    default:
        return m_text;
    }
}

const Node* Node::find(std::string_view key) const
{
    for (auto const& entry : m_entries) {
        if (entry.key == key)
            return &entry.value;
    }
    return nullptr;
}

Node* Node::find(std::string_view key)
{
    for (auto& entry : m_entries) {
        if (entry.key == key)
            return &entry.value;
    }
    return nullptr;
}

Node& Node::set(std::string key, Node value, Mark key_mark)
{
    for (auto& entry : m_entries) {
        if (entry.key == key) {
            entry.value = std::move(value);
            return entry.value;
        }
    }
    m_entries.push_back(Entry { std::move(key), std::move(key_mark), std::move(value) });
    return m_entries.back().value;
}

bool Node::erase(std::string_view key)
{
    for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
        if (it->key == key) {
            m_entries.erase(it);
            return true;
        }
    }
    return false;
}

bool Node::operator==(const Node& other) const
{
    if (m_type != other.m_type)
        return false;
    switch (m_type) {
    case Type::Scalar:
        // "", "~" and "null" all spell the same null.
        return m_kind == other.m_kind && (m_kind == ScalarKind::Null || m_text == other.m_text);
    case Type::List:
        return m_items == other.m_items;
    case Type::Map:
        if (m_entries.size() != other.m_entries.size())
            return false;
        for (size_t i = 0; i < m_entries.size(); ++i) {
            if (m_entries[i].key != other.m_entries[i].key || !(m_entries[i].value == other.m_entries[i].value))
                return false;
        }
        return true;
    }
    return false;
}

void merge(Node& base, const Node& overlay)
{
    if (!base.is_map() || !overlay.is_map()) {
        base = overlay;
        return;
    }
    for (auto const& entry : overlay.entries()) {
        Node* existing = base.find(entry.key);
        if (existing && existing->is_map() && entry.value.is_map())
            merge(*existing, entry.value);
        else
            base.set(entry.key, entry.value, entry.key_mark);
    }
}

} // namespace corral::config
