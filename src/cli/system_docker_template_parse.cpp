// Parsing Go templates (see system_docker_template.h) into TemplateNodes.

#include "cli/system_docker_template.h"
#include "cli/system_docker_template_ast.h"

#include <cstdint>
#include <optional>
#include <set>

namespace corral::cli {

namespace {

constexpr size_t MAX_DEPTH = 100;

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}
bool is_alpha(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || static_cast<unsigned char>(c) >= 0x80;
}
bool is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}

void append_utf8(std::string& out, uint32_t code_point)
{
    if (code_point < 0x80) {
        out += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
        out += static_cast<char>(0xc0 | (code_point >> 6));
        out += static_cast<char>(0x80 | (code_point & 0x3f));
    } else if (code_point < 0x10000) {
        out += static_cast<char>(0xe0 | (code_point >> 12));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (code_point & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (code_point >> 18));
        out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (code_point & 0x3f));
    }
}

enum class Terminator {
    Eof,
    End,
    Else,
    ElseIf,
};

class Parser {
public:
    Parser(std::string_view text, const TemplateFunctions& functions)
        : m_text(text)
        , m_functions(functions)
    {
    }

    ErrorOr<std::vector<TemplateNode>> run()
    {
        Terminator terminator;
        auto nodes = TRY(parse_list(terminator));
        if (terminator == Terminator::End)
            return error("unexpected {{end}}");
        if (terminator != Terminator::Eof)
            return error("unexpected {{else}}");
        return nodes;
    }

private:
    Error error(std::string_view message) const { return error_at(m_pos, message); }
    Error error_at(size_t pos, std::string_view message) const
    {
        size_t line = 1;
        for (size_t i = 0; i < pos && i < m_text.size(); ++i)
            line += m_text[i] == '\n';
        return Error::from_string("template: :" + std::to_string(line) + ": " + std::string(message));
    }
    bool starts_with(std::string_view prefix) const
    {
        return m_pos <= m_text.size() && m_text.substr(m_pos).starts_with(prefix);
    }
    char peek(size_t ahead = 0) const { return m_pos + ahead < m_text.size() ? m_text[m_pos + ahead] : '\0'; }

    void skip_space()
    {
        while (m_pos < m_text.size() && is_space(m_text[m_pos]) && !at_close())
            ++m_pos;
    }
    // At "}}", or at " -}}" (the space belongs to the trim marker).
    bool at_close() const
    {
        if (starts_with("}}"))
            return true;
        return m_pos < m_text.size() && is_space(m_text[m_pos]) && m_text.substr(m_pos + 1).starts_with("-}}");
    }
    ErrorOr<void> expect_close()
    {
        skip_space();
        if (starts_with("}}")) {
            m_pos += 2;
            return {};
        }
        if (at_close()) {
            m_pos += 4;
            m_trim_next = true;
            return {};
        }
        if (m_pos >= m_text.size())
            return error("unclosed action");
        return error("unexpected \"" + std::string(1, peek()) + "\" in command");
    }

    ErrorOr<std::vector<TemplateNode>> parse_list(Terminator& terminator)
    {
        if (++m_depth > MAX_DEPTH)
            return error("nesting too deep");
        std::vector<TemplateNode> nodes;
        for (;;) {
            size_t open = m_text.find("{{", m_pos);
            std::string_view text
                = m_text.substr(m_pos, open == std::string_view::npos ? std::string_view::npos : open - m_pos);
            if (m_trim_next) {
                while (!text.empty() && is_space(text.front()))
                    text.remove_prefix(1);
                m_trim_next = false;
            }
            bool trim_left = open != std::string_view::npos && open + 3 < m_text.size() && m_text[open + 2] == '-'
                && is_space(m_text[open + 3]);
            if (trim_left) {
                while (!text.empty() && is_space(text.back()))
                    text.remove_suffix(1);
            }
            if (!text.empty()) {
                TemplateNode node;
                node.kind = TemplateNode::Kind::Text;
                node.pos = m_pos;
                node.text = std::string(text);
                nodes.push_back(std::move(node));
            }
            if (open == std::string_view::npos) {
                m_pos = m_text.size();
                terminator = Terminator::Eof;
                --m_depth;
                return nodes;
            }
            m_pos = open + 2 + (trim_left ? 2 : 0);
            size_t action = open;
            if (starts_with("/*")) {
                size_t close = m_text.find("*/", m_pos + 2);
                if (close == std::string_view::npos)
                    return error_at(action, "unclosed comment");
                m_pos = close + 2;
                if (starts_with("}}")) {
                    m_pos += 2;
                } else if (starts_with(" -}}")) {
                    m_pos += 4;
                    m_trim_next = true;
                } else {
                    return error_at(action, "comment ends before closing delimiter");
                }
                continue;
            }
            skip_space();
            size_t word_start = m_pos;
            std::string word;
            while (m_pos < m_text.size() && is_alnum(m_text[m_pos]))
                word += m_text[m_pos++];
            bool keyword_ends = m_pos >= m_text.size() || !is_alnum(m_text[m_pos]);
            if (keyword_ends && (word == "if" || word == "range" || word == "with")) {
                auto kind = word == "if" ? TemplateNode::Kind::If
                    : word == "range"    ? TemplateNode::Kind::Range
                                         : TemplateNode::Kind::With;
                nodes.push_back(TRY(parse_control(kind, action)));
                continue;
            }
            if (keyword_ends && word == "end") {
                TRY(expect_close());
                terminator = Terminator::End;
                --m_depth;
                return nodes;
            }
            if (keyword_ends && word == "else") {
                skip_space();
                size_t after = m_pos;
                std::string next;
                while (m_pos < m_text.size() && is_alnum(m_text[m_pos]))
                    next += m_text[m_pos++];
                if (next == "if") {
                    terminator = Terminator::ElseIf;
                } else {
                    m_pos = after;
                    TRY(expect_close());
                    terminator = Terminator::Else;
                }
                --m_depth;
                return nodes;
            }
            if (keyword_ends && (word == "break" || word == "continue")) {
                if (m_range_depth == 0)
                    return error_at(action, "{{" + word + "}} outside {{range}}");
                TRY(expect_close());
                TemplateNode node;
                node.kind = word == "break" ? TemplateNode::Kind::Break : TemplateNode::Kind::Continue;
                node.pos = word_start;
                nodes.push_back(std::move(node));
                continue;
            }
            if (keyword_ends && (word == "define" || word == "template" || word == "block"))
                return error_at(action, "{{" + word + "}} is not supported");
            m_pos = word_start;
            TemplateNode node;
            node.kind = TemplateNode::Kind::Action;
            node.pos = word_start;
            node.pipe = TRY(parse_pipeline(false, Close::Action));
            TRY(expect_close());
            nodes.push_back(std::move(node));
        }
    }

    // After "{{if", "{{range", "{{with" or "{{else if": the pipeline, the body,
    // and the else branch, through the {{end}}.
    ErrorOr<TemplateNode> parse_control(TemplateNode::Kind kind, size_t action)
    {
        TemplateNode node;
        node.kind = kind;
        node.pos = m_pos;
        skip_space();
        if (at_close())
            return error_at(action, "missing value for command");
        node.pipe = TRY(parse_pipeline(kind == TemplateNode::Kind::Range, Close::Action));
        TRY(expect_close());
        Terminator terminator;
        if (kind == TemplateNode::Kind::Range)
            ++m_range_depth;
        node.list = TRY(parse_list(terminator));
        if (kind == TemplateNode::Kind::Range)
            --m_range_depth;
        if (terminator == Terminator::Eof)
            return error_at(action, "unexpected EOF");
        if (terminator == Terminator::ElseIf) {
            if (kind != TemplateNode::Kind::If)
                return error_at(action, "{{else if}} after {{range}} or {{with}}");
            // {{else if}} is an {{if}} inside the else branch sharing our {{end}}.
            node.else_list.push_back(TRY(parse_control(TemplateNode::Kind::If, m_pos)));
            return node;
        }
        if (terminator == Terminator::Else) {
            node.else_list = TRY(parse_list(terminator));
            if (terminator == Terminator::Eof)
                return error_at(action, "unexpected EOF");
            if (terminator != Terminator::End)
                return error("expected end; found {{else}}");
        }
        return node;
    }

    enum class Close {
        Action, // "}}"
        Paren, // ")"
    };

    bool at_pipeline_end(Close close) const { return close == Close::Action ? at_close() : peek() == ')'; }

    ErrorOr<TemplatePipe> parse_pipeline(bool range, Close close)
    {
        TemplatePipe pipe;
        pipe.pos = m_pos;
        skip_space();
        // Declarations: "$x :=", "$x =", and for range "$i, $v :=".
        if (peek() == '$') {
            size_t start = m_pos;
            std::vector<std::string> names { lex_variable() };
            skip_space();
            if (range && peek() == ',') {
                ++m_pos;
                skip_space();
                if (peek() == '$') {
                    names.push_back(lex_variable());
                    skip_space();
                } else {
                    return error("range can only initialize variables");
                }
            }
            if (starts_with(":=") || (peek() == '=' && peek(1) != '=')) {
                pipe.assign = peek() == '=';
                m_pos += pipe.assign ? 1 : 2;
                if (pipe.assign && names.size() > 1)
                    return error("too many declarations");
                pipe.declarations = std::move(names);
                for (auto const& name : pipe.declarations) {
                    if (pipe.assign && !m_declared.count(name) && name != "$")
                        return error("undefined variable \"" + name + "\"");
                    m_declared.insert(name);
                }
            } else if (names.size() > 1) {
                return error("too many declarations");
            } else {
                m_pos = start;
            }
        }
        for (;;) {
            skip_space();
            if (m_pos >= m_text.size())
                return error("unclosed action");
            if (at_pipeline_end(close)) {
                if (pipe.commands.empty())
                    return error("missing value for command");
                break;
            }
            pipe.commands.push_back(TRY(parse_command(close)));
            skip_space();
            if (peek() == '|') {
                ++m_pos;
                continue;
            }
            if (at_pipeline_end(close))
                break;
            if (m_pos >= m_text.size())
                return error("unclosed action");
            return error("unexpected \"" + std::string(1, peek()) + "\" in operand");
        }
        return pipe;
    }

    ErrorOr<TemplateCommand> parse_command(Close close)
    {
        TemplateCommand command;
        command.pos = m_pos;
        for (;;) {
            skip_space();
            if (m_pos >= m_text.size())
                return error("unclosed action");
            if (at_pipeline_end(close) || peek() == '|')
                break;
            if (peek() == ')')
                return error("unexpected right paren");
            size_t before = m_pos;
            if (!command.args.empty() && !is_space(m_text[before - 1]))
                return error("missing space?");
            command.args.push_back(TRY(parse_operand()));
            command.end = m_pos;
        }
        if (command.args.empty())
            return error("missing value for command");
        return command;
    }

    std::string lex_variable()
    {
        std::string name = "$";
        ++m_pos;
        while (m_pos < m_text.size() && is_alnum(m_text[m_pos]))
            name += m_text[m_pos++];
        return name;
    }

    // ".A.B" following a term, with no space before each dot.
    ErrorOr<void> lex_chain(std::vector<std::string>& fields)
    {
        while (peek() == '.' && is_alpha(peek(1))) {
            ++m_pos;
            std::string field;
            while (m_pos < m_text.size() && is_alnum(m_text[m_pos]))
                field += m_text[m_pos++];
            fields.push_back(std::move(field));
        }
        if (peek() == '.' && !is_space(peek(1)) && peek(1) != ')' && !starts_with(".}}"))
            return error("unexpected . after term");
        return {};
    }

    ErrorOr<TemplateArg> parse_operand()
    {
        TemplateArg arg;
        arg.pos = m_pos;
        char c = peek();
        if (c == '.' && is_alpha(peek(1))) {
            arg.kind = TemplateArg::Kind::Field;
            TRY(lex_chain(arg.fields));
        } else if (c == '.') {
            arg.kind = TemplateArg::Kind::Dot;
            ++m_pos;
            if (is_digit(peek())) {
                m_pos = arg.pos;
                arg.kind = TemplateArg::Kind::Constant;
                arg.constant = TRY(lex_number());
            }
        } else if (c == '$') {
            arg.kind = TemplateArg::Kind::Variable;
            arg.name = lex_variable();
            if (!m_declared.count(arg.name) && arg.name != "$")
                return error("undefined variable \"" + arg.name + "\"");
            TRY(lex_chain(arg.fields));
        } else if (c == '(') {
            if (++m_depth > MAX_DEPTH)
                return error("nesting too deep");
            ++m_pos;
            arg.kind = TemplateArg::Kind::Pipe;
            arg.pipe = std::make_shared<TemplatePipe>(TRY(parse_pipeline(false, Close::Paren)));
            if (peek() != ')')
                return error("unclosed left paren");
            ++m_pos;
            --m_depth;
            TRY(lex_chain(arg.fields));
        } else if (c == '"') {
            arg.kind = TemplateArg::Kind::Constant;
            arg.constant = TRY(lex_quoted());
        } else if (c == '`') {
            size_t close = m_text.find('`', m_pos + 1);
            if (close == std::string_view::npos)
                return error("unterminated raw quoted string");
            std::string value;
            for (char ch : m_text.substr(m_pos + 1, close - m_pos - 1)) {
                if (ch != '\r')
                    value += ch;
            }
            arg.kind = TemplateArg::Kind::Constant;
            arg.constant = value;
            m_pos = close + 1;
        } else if (c == '\'') {
            arg.kind = TemplateArg::Kind::Constant;
            arg.constant = TRY(lex_char());
        } else if (is_digit(c) || ((c == '-' || c == '+') && (is_digit(peek(1)) || peek(1) == '.'))) {
            arg.kind = TemplateArg::Kind::Constant;
            arg.constant = TRY(lex_number());
        } else if (is_alpha(c)) {
            std::string word;
            while (m_pos < m_text.size() && is_alnum(m_text[m_pos]))
                word += m_text[m_pos++];
            if (word == "true" || word == "false") {
                arg.kind = TemplateArg::Kind::Constant;
                arg.constant = word == "true";
            } else if (word == "nil") {
                arg.kind = TemplateArg::Kind::Constant;
                arg.constant = nullptr;
            } else if (word == "if" || word == "else" || word == "end" || word == "range" || word == "with"
                || word == "define" || word == "template" || word == "block" || word == "break" || word == "continue") {
                return error_at(arg.pos, "unexpected <" + word + "> in command");
            } else {
                if (word != "and" && word != "or" && !m_functions.count(word))
                    return error_at(arg.pos, "function \"" + word + "\" not defined");
                arg.kind = TemplateArg::Kind::Function;
                arg.name = word;
            }
        } else {
            return error("unexpected \"" + std::string(1, c) + "\" in operand");
        }
        arg.end = m_pos;
        return arg;
    }

    ErrorOr<Json> lex_quoted()
    {
        size_t start = m_pos++;
        std::string value;
        for (;;) {
            if (m_pos >= m_text.size() || m_text[m_pos] == '\n')
                return error_at(start, "unterminated quoted string");
            char c = m_text[m_pos++];
            if (c == '"')
                return Json(value);
            if (c != '\\') {
                value += c;
                continue;
            }
            TRY(lex_escape(value, '"'));
        }
    }

    ErrorOr<Json> lex_char()
    {
        size_t start = m_pos++;
        std::string value;
        if (peek() == '\\') {
            ++m_pos;
            TRY(lex_escape(value, '\''));
        } else if (m_pos < m_text.size()) {
            value += m_text[m_pos++];
            // A multi-byte character.
            while (m_pos < m_text.size() && (static_cast<unsigned char>(m_text[m_pos]) & 0xc0) == 0x80)
                value += m_text[m_pos++];
        }
        if (peek() != '\'')
            return error_at(start, "unterminated character constant");
        ++m_pos;
        // The value of a character constant is its code point.
        uint32_t code_point = static_cast<unsigned char>(value[0]);
        if (value.size() > 1 && code_point >= 0x80) {
            int extra = code_point >= 0xf0 ? 3 : code_point >= 0xe0 ? 2 : 1;
            code_point &= extra == 3 ? 0x07 : extra == 2 ? 0x0f : 0x1f;
            for (size_t i = 1; i < value.size(); ++i)
                code_point = (code_point << 6) | (static_cast<unsigned char>(value[i]) & 0x3f);
        }
        return Json(static_cast<int64_t>(code_point));
    }

    ErrorOr<void> lex_escape(std::string& out, char quote)
    {
        if (m_pos >= m_text.size())
            return error("unterminated quoted string");
        char c = m_text[m_pos++];
        auto digits = [&](size_t count, int base) -> ErrorOr<uint32_t> {
            uint32_t value = 0;
            for (size_t i = 0; i < count; ++i) {
                char d = peek();
                int digit = is_digit(d)    ? d - '0'
                    : d >= 'a' && d <= 'f' ? d - 'a' + 10
                    : d >= 'A' && d <= 'F' ? d - 'A' + 10
                                           : 99;
                if (digit >= base)
                    return error("invalid syntax in escape");
                value = value * static_cast<uint32_t>(base) + static_cast<uint32_t>(digit);
                ++m_pos;
            }
            return value;
        };
        switch (c) {
        case 'a':
            out += '\a';
            return {};
        case 'b':
            out += '\b';
            return {};
        case 'f':
            out += '\f';
            return {};
        case 'n':
            out += '\n';
            return {};
        case 'r':
            out += '\r';
            return {};
        case 't':
            out += '\t';
            return {};
        case 'v':
            out += '\v';
            return {};
        case '\\':
            out += '\\';
            return {};
        case 'x':
            out += static_cast<char>(TRY(digits(2, 16)));
            return {};
        case 'u':
            append_utf8(out, TRY(digits(4, 16)));
            return {};
        case 'U':
            append_utf8(out, TRY(digits(8, 16)));
            return {};
        default:
            break;
        }
        if (c == quote) {
            out += c;
            return {};
        }
        if (c >= '0' && c <= '7') {
            --m_pos;
            uint32_t value = TRY(digits(3, 8));
            if (value > 255)
                return error("invalid syntax in escape");
            out += static_cast<char>(value);
            return {};
        }
        return error("invalid syntax in escape");
    }

    ErrorOr<Json> lex_number()
    {
        size_t start = m_pos;
        if (peek() == '+' || peek() == '-')
            ++m_pos;
        while (m_pos < m_text.size()
            && (is_alnum(m_text[m_pos]) || m_text[m_pos] == '.'
                || ((m_text[m_pos] == '+' || m_text[m_pos] == '-')
                    && (m_text[m_pos - 1] == 'e' || m_text[m_pos - 1] == 'E'))))
            ++m_pos;
        std::string text;
        for (char c : m_text.substr(start, m_pos - start)) {
            if (c != '_')
                text += c;
        }
        std::string body = text;
        bool negative = false;
        if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
            negative = body[0] == '-';
            body.erase(0, 1);
        }
        int base = 10;
        if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X'))
            base = 16;
        else if (body.size() > 2 && body[0] == '0' && (body[1] == 'o' || body[1] == 'O'))
            base = 8;
        else if (body.size() > 2 && body[0] == '0' && (body[1] == 'b' || body[1] == 'B'))
            base = 2;
        std::string digits = base == 10 ? body : body.substr(2);
        bool integer = !digits.empty();
        uint64_t value = 0;
        for (char c : digits) {
            int digit = is_digit(c)    ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : 99;
            if (digit >= base) {
                integer = false;
                break;
            }
            value = value * static_cast<uint64_t>(base) + static_cast<uint64_t>(digit);
        }
        if (integer) {
            // Go's octal literal "0755".
            if (base == 10 && digits.size() > 1 && digits[0] == '0') {
                value = 0;
                for (char c : digits) {
                    if (c > '7')
                        return error_at(start, "bad number syntax: \"" + text + "\"");
                    value = value * 8 + static_cast<uint64_t>(c - '0');
                }
            }
            return negative ? Json(-static_cast<int64_t>(value)) : Json(static_cast<int64_t>(value));
        }
        if (base != 10)
            return error_at(start, "bad number syntax: \"" + text + "\"");
        char* end = nullptr;
        double parsed = std::strtod(text.c_str(), &end);
        if (end != text.c_str() + text.size() || text.empty())
            return error_at(start, "bad number syntax: \"" + text + "\"");
        return Json(parsed);
    }

    std::string_view m_text;
    const TemplateFunctions& m_functions;
    size_t m_pos { 0 };
    size_t m_depth { 0 };
    size_t m_range_depth { 0 };
    bool m_trim_next { false };
    std::set<std::string> m_declared { "$" };
};

} // namespace

Template::Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

ErrorOr<Template> Template::parse(std::string_view text, TemplateFunctions extra)
{
    Template tmpl;
    tmpl.m_text = std::string(text);
    tmpl.m_functions = builtin_template_functions();
    for (auto& [name, function] : extra)
        tmpl.m_functions[name] = std::move(function);
    Parser parser(tmpl.m_text, tmpl.m_functions);
    tmpl.m_nodes = TRY(parser.run());
    return tmpl;
}

} // namespace corral::cli
