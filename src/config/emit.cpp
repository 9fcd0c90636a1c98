// The YAML writer behind emit_yaml(). Written by hand rather than with
// YAML::Emitter so that the quoting rules match how parse_yaml() resolves plain
// scalars: whatever we write reads back as the same node.

#include "config/yaml.h"

#include <cstdint>
#include <cstdio>

namespace corral::config {

namespace {

// The code point at text[i] (UTF-8), advancing i; input is valid UTF-8 because
// parse_yaml() refuses anything else and the other producers copy such text.
uint32_t next_code_point(std::string_view text, size_t& i)
{
    unsigned char c = static_cast<unsigned char>(text[i++]);
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    uint32_t cp = extra == 3 ? c & 0x07 : extra == 2 ? c & 0x0F : extra == 1 ? c & 0x1F : c;
    for (int k = 0; k < extra && i < text.size(); ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(text[i++]) & 0x3F);
    return cp;
}

// Characters YAML reads as line breaks or byte-order marks, or that are not
// printable: they may appear only escaped in double quotes.
bool needs_escape(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF
        || cp == 0xFFFE || cp == 0xFFFF;
}

bool has_escaped_characters(std::string_view text, bool allow_newline)
{
    for (size_t i = 0; i < text.size();) {
        uint32_t cp = next_code_point(text, i);
        if (needs_escape(cp) && !(allow_newline && cp == '\n'))
            return true;
    }
    return false;
}

bool is_indicator(char c)
{
    switch (c) {
    case '-': case '?': case ':': case ',': case '[': case ']': case '{': case '}':
    case '#': case '&': case '*': case '!': case '|': case '>': case '\'': case '"':
    case '%': case '@': case '`':
        return true;
    default:
        return false;
    }
}

// Whether `text` can be written as a plain scalar and read back as the string it is.
bool plain_safe_string(std::string_view text)
{
    if (text.empty())
        return false;
    if (resolve_plain_scalar(text) != ScalarKind::String)
        return false;
    // go-yaml v2 also reads y/n as booleans; quote them for other readers' sake.
    if (text == "y" || text == "Y" || text == "n" || text == "N")
        return false;
    char first = text.front();
    if (is_indicator(first)) {
        // "-x", "?x" and ":x" are plain when the next character is not a space.
        bool ok = (first == '-' || first == '?' || first == ':') && text.size() > 1 && text[1] != ' ' && text[1] != '\t';
        if (!ok)
            return false;
    }
    if (text.front() == ' ' || text.back() == ' ' || text.front() == '\t' || text.back() == '\t')
        return false;
    if (text.back() == ':')
        return false;
    // "---" and "..." at the start of a line mark documents.
    if (text.starts_with("---") || text.starts_with("..."))
        return false;
    if (has_escaped_characters(text, false))
        return false;
    for (size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == ':' && i + 1 < text.size() && (text[i + 1] == ' ' || text[i + 1] == '\t'))
            return false;
        if (c == '#' && i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t'))
            return false;
    }
    return true;
}

std::string double_quoted(std::string_view text)
{
    std::string out = "\"";
    for (size_t i = 0; i < text.size();) {
        size_t start = i;
        uint32_t cp = next_code_point(text, i);
        switch (cp) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default:
            if (needs_escape(cp)) {
                char buf[12];
                snprintf(buf, sizeof buf, cp < 0x100 ? "\\x%02x" : "\\u%04x", cp);
                out += buf;
            } else {
                out.append(text.substr(start, i - start));
            }
        }
    }
    out += '"';
    return out;
}

// A literal block keeps multi-line text (certificates, keys, scripts) readable. It
// cannot hold leading blank or indented first lines, carriage returns or trailing
// spaces before a newline without extra indicators, so those go double-quoted.
bool literal_block_safe(std::string_view text)
{
    if (text.find('\n') == std::string_view::npos)
        return false;
    if (text.front() == ' ' || text.front() == '\n' || text.front() == '\t')
        return false;
    if (has_escaped_characters(text, true))
        return false;
    for (size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == ' ' && (i + 1 == text.size() || text[i + 1] == '\n'))
            return false;
    }
    return true;
}

std::string key_text(std::string_view key)
{
    return plain_safe_string(key) ? std::string(key) : double_quoted(key);
}

constexpr size_t MAX_IMPLICIT_KEY = 1000;

class Writer {
public:
    std::string out;

    // Writes `node` as the value after "key:" or "- ". `indent` is the indentation
    // of the line that holds the key or dash.
    void value(const Node& node, int indent, bool after_dash)
    {
        switch (node.type()) {
        case Node::Type::Scalar:
            out += ' ';
            scalar(node, indent);
            out += '\n';
            return;
        case Node::Type::List:
            if (node.items().empty()) {
                out += " []\n";
                return;
            }
            if (after_dash) {
                // "- - a": nested lists continue on the dash line.
                out += ' ';
                list_body(node, indent + 2, true);
                return;
            }
            out += '\n';
            list_body(node, indent, false);
            return;
        case Node::Type::Map:
            if (node.entries().empty()) {
                out += " {}\n";
                return;
            }
            if (after_dash) {
                out += ' ';
                map_body(node, indent + 2, true);
                return;
            }
            out += '\n';
            map_body(node, indent + 2, false);
            return;
        }
    }

    void list_body(const Node& node, int indent, bool first_inline)
    {
        bool first = true;
        for (auto const& item : node.items()) {
            if (!(first && first_inline))
                pad(indent);
            first = false;
            out += '-';
            value(item, indent, true);
        }
    }

    void map_body(const Node& node, int indent, bool first_inline)
    {
        bool first = true;
        for (auto const& entry : node.entries()) {
            if (!(first && first_inline))
                pad(indent);
            first = false;
            std::string key = key_text(entry.key);
            if (key.size() > MAX_IMPLICIT_KEY) {
                // YAML limits implicit keys to 1024 characters; longer ones need
                // the explicit "? key" / ": value" form.
                out += "? " + key + "\n";
                pad(indent);
            } else {
                out += key;
            }
            out += ':';
            value(entry.value, indent, false);
        }
    }

    void scalar(const Node& node, int indent)
    {
        if (node.kind() == ScalarKind::Null) {
            out += "null";
            return;
        }
        if (node.kind() == ScalarKind::Binary) {
            // An empty plain scalar would read back as null; quotes keep it binary.
            out += "!!binary " + (node.text().empty() ? std::string("\"\"") : node.text());
            return;
        }
        if (node.kind() != ScalarKind::String) {
            out += node.text();
            return;
        }
        std::string_view text = node.text();
        if (plain_safe_string(text)) {
            out += text;
            return;
        }
        if (indent >= 0 && literal_block_safe(text)) {
            literal(text, indent + 2);
            return;
        }
        out += double_quoted(text);
    }

    void literal(std::string_view text, int indent)
    {
        // Chomping: "|" keeps exactly one final newline, "|-" none, "|+" all.
        size_t trailing = 0;
        while (trailing < text.size() && text[text.size() - 1 - trailing] == '\n')
            ++trailing;
        out += trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+";
        std::string_view body = text.substr(0, text.size() - trailing);
        size_t start = 0;
        for (;;) {
            size_t nl = body.find('\n', start);
            std::string_view line = body.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
            out += '\n';
            if (!line.empty()) {
                pad(indent);
                out += line;
            }
            if (nl == std::string_view::npos)
                break;
            start = nl + 1;
        }
        // With "|+" the extra newlines are content; they are written as empty lines.
        for (size_t i = 1; i < trailing; ++i)
            out += '\n';
    }

    void pad(int indent) { out.append(static_cast<size_t>(indent), ' '); }
};

} // namespace

std::string emit_yaml(const Node& node)
{
    Writer writer;
    switch (node.type()) {
    case Node::Type::Map:
        if (node.entries().empty())
            return "{}\n";
        writer.map_body(node, 0, false);
        return writer.out;
    case Node::Type::List:
        if (node.items().empty())
            return "[]\n";
        writer.list_body(node, 0, false);
        return writer.out;
    case Node::Type::Scalar:
        if (node.is_null())
            return "{}\n";
        writer.scalar(node, -1); // no literal block: it needs an indented line
        writer.out += '\n';
        return writer.out;
    }
    return {};
}

std::string scalar_text(const Node& node)
{
    return node.is_null() ? std::string() : node.text();
}

} // namespace corral::config
