#include "config/template.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

namespace corral::config {

namespace {

// Deeper nesting of {{if}} or of parentheses is refused: it bounds the recursion of the
// parser and the evaluator, which untrusted input must not control.
constexpr size_t MAX_DEPTH = 100;
// Error messages quote at most this much of the template.
constexpr size_t MAX_EXCERPT = 40;

// Go's space characters, for trim markers and between the words of an action.
bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}
bool is_identifier_start(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_identifier_char(char c)
{
    return is_identifier_start(c) || is_digit(c);
}

std::string_view trim_right(std::string_view text)
{
    while (!text.empty() && is_space(text.back()))
        text.remove_suffix(1);
    return text;
}

// A byte as it should appear in a message: itself if printable, else \xHH.
std::string printable(char c)
{
    if (c >= 0x20 && c < 0x7f)
        return std::string(1, c);
    constexpr char hex[] = "0123456789abcdef";
    auto byte = static_cast<unsigned char>(c);
    return std::string { '\\', 'x', hex[byte >> 4], hex[byte & 0xf] };
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

enum class Function { Not, Eq, Ne, And, Or };

std::optional<Function> find_function(std::string_view name)
{
    if (name == "not")
        return Function::Not;
    if (name == "eq")
        return Function::Eq;
    if (name == "ne")
        return Function::Ne;
    if (name == "and")
        return Function::And;
    if (name == "or")
        return Function::Or;
    return std::nullopt;
}

struct Token {
    enum class Kind { Field, String, Identifier, LeftParen, RightParen, RightDelim };
    Kind kind;
    size_t pos; // where it starts in the template
    size_t end; // one past its last byte
    bool after_space; // separated from the previous token by whitespace
    std::string text; // a field's name (without the dot), a string's value, an identifier
};

struct Expr {
    enum class Kind { Field, String, Call };
    Kind kind;
    size_t pos;
    std::string text; // a field's name, a string's value or a function's name
    Function function {};
    std::vector<Expr> args;
};

struct Value {
    enum class Kind { String, Bool };
    Kind kind { Kind::String };
    std::string_view string; // points into the variables or into an Expr
    bool boolean { false };

    static Value from_bool(bool b) { return { Kind::Bool, {}, b }; }
    bool truth() const { return kind == Kind::Bool ? boolean : !string.empty(); }
};

// Renders in a single pass: text and actions are parsed in order, and an {{if}} only
// decides whether what follows is emitted. Every action is parsed even where it is not
// emitted, so that a mistake in a branch not taken is still reported, as Go does; but
// only the taken branches are evaluated, as Go does too.
class Renderer {
public:
    Renderer(std::string_view text, const std::map<std::string, std::string>& vars)
        : m_text(text)
        , m_vars(vars)
    {
    }

    ErrorOr<std::string> run();

private:
    struct IfFrame {
        size_t pos; // of the {{if}}, for "without {{end}}"
        bool parent_active; // the enclosing text is emitted
        bool taken; // a branch of this {{if}} has been chosen already
        bool in_else; // {{else}} has been seen
        bool active; // the current branch is emitted
    };

    bool active() const { return m_frames.empty() || m_frames.back().active; }
    bool starts_with(size_t pos, std::string_view prefix) const
    {
        return pos <= m_text.size() && m_text.substr(pos).starts_with(prefix);
    }
    bool has_left_trim_marker(size_t pos) const
    {
        return pos + 1 < m_text.size() && m_text[pos] == '-' && is_space(m_text[pos + 1]);
    }
    bool has_right_trim_delim(size_t pos) const
    {
        return pos < m_text.size() && is_space(m_text[pos]) && starts_with(pos + 1, "-}}");
    }
    std::string excerpt(size_t pos, size_t end) const;
    Error error_at(size_t pos, std::string_view message) const;

    ErrorOr<void> action(size_t open);
    ErrorOr<void> comment();
    ErrorOr<void> if_action();
    ErrorOr<void> else_action();
    ErrorOr<void> end_action();
    ErrorOr<void> print_action(Token first);

    ErrorOr<Token> next_token();
    ErrorOr<Token> lex_field(Token token);
    ErrorOr<Token> lex_quoted(Token token);
    ErrorOr<Token> lex_raw(Token token);
    ErrorOr<void> lex_escape(size_t quote, std::string& out);
    Error unexpected_character(size_t pos) const;

    ErrorOr<Expr> parse_command(Token first, std::optional<size_t> open_paren);
    ErrorOr<Expr> parse_operand(Token token);
    Error identifier_error(const Token& token) const;
    ErrorOr<void> check_arity(const Expr& call) const;

    ErrorOr<Value> evaluate(const Expr& expr) const;
    ErrorOr<Value> call(const Expr& expr) const;

    std::string_view m_text;
    const std::map<std::string, std::string>& m_vars;
    size_t m_pos { 0 };
    size_t m_action_pos { 0 }; // the "{{" of the action being parsed
    size_t m_action_body { 0 }; // just after "{{" and its trim marker
    size_t m_paren_depth { 0 };
    std::vector<IfFrame> m_frames;
    std::string m_out;
};

ErrorOr<std::string> Renderer::run()
{
    while (m_pos < m_text.size()) {
        size_t open = m_text.find("{{", m_pos);
        if (open == std::string_view::npos) {
            if (active())
                m_out += m_text.substr(m_pos);
            break;
        }
        std::string_view text = m_text.substr(m_pos, open - m_pos);
        if (has_left_trim_marker(open + 2))
            text = trim_right(text);
        if (active())
            m_out += text;
        TRY(action(open));
    }
    if (!m_frames.empty())
        return error_at(m_frames.back().pos, "{{if}} without {{end}}");
    return std::move(m_out);
}

std::string Renderer::excerpt(size_t pos, size_t end) const
{
    pos = std::min(pos, m_text.size());
    std::string_view text = m_text.substr(pos, std::max(pos, end) - pos);
    if (text.size() <= MAX_EXCERPT)
        return std::string(text);
    return std::string(text.substr(0, MAX_EXCERPT)) + "...";
}

Error Renderer::error_at(size_t pos, std::string_view message) const
{
    // Counted only when an error happens, so that rendering stays a single pass.
    size_t line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < pos && i < m_text.size(); ++i) {
        if (m_text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    return Error::from_string(
        "template:" + std::to_string(line) + ":" + std::to_string(pos - line_start + 1) + ": " + std::string(message));
}

ErrorOr<void> Renderer::action(size_t open)
{
    m_action_pos = open;
    m_pos = open + 2;
    if (has_left_trim_marker(m_pos))
        m_pos += 2;
    m_action_body = m_pos;
    // As in Go, a comment must follow the delimiter (and trim marker) immediately.
    if (starts_with(m_pos, "/*"))
        return comment();

    Token first = TRY(next_token());
    if (first.kind == Token::Kind::RightDelim)
        return error_at(open, "empty action");
    if (first.kind == Token::Kind::Identifier) {
        if (first.text == "if")
            return if_action();
        if (first.text == "else")
            return else_action();
        if (first.text == "end")
            return end_action();
    }
    return print_action(std::move(first));
}

ErrorOr<void> Renderer::comment()
{
    size_t close = m_text.find("*/", m_pos + 2);
    if (close == std::string_view::npos)
        return error_at(m_action_pos, "unclosed comment");
    m_pos = close + 2;
    if (has_right_trim_delim(m_pos)) {
        m_pos += 4;
        while (m_pos < m_text.size() && is_space(m_text[m_pos]))
            ++m_pos;
        return {};
    }
    if (!starts_with(m_pos, "}}"))
        return error_at(m_pos, "comment ends before closing delimiter");
    m_pos += 2;
    return {};
}

ErrorOr<void> Renderer::if_action()
{
    size_t open = m_action_pos;
    if (m_frames.size() >= MAX_DEPTH)
        return error_at(open, "{{if}} nested too deeply");
    Token first = TRY(next_token());
    if (first.kind == Token::Kind::RightDelim)
        return error_at(open, "missing condition in {{if}}");
    Expr condition = TRY(parse_command(std::move(first), std::nullopt));
    bool parent_active = active();
    bool chosen = parent_active && TRY(evaluate(condition)).truth();
    m_frames.push_back({ open, parent_active, chosen, false, chosen });
    return {};
}

ErrorOr<void> Renderer::else_action()
{
    size_t open = m_action_pos;
    Token token = TRY(next_token());
    bool else_if = token.kind == Token::Kind::Identifier && token.text == "if";
    if (!else_if && token.kind != Token::Kind::RightDelim)
        return error_at(token.pos, "unexpected \"" + excerpt(token.pos, token.end) + "\" in {{else}}");
    std::string_view name = else_if ? "{{else if}}" : "{{else}}";
    if (m_frames.empty())
        return error_at(open, std::string(name) + " without {{if}}");
    IfFrame& frame = m_frames.back();
    if (frame.in_else)
        return error_at(open, std::string(name) + " after {{else}}");

    if (!else_if) {
        frame.in_else = true;
        frame.active = frame.parent_active && !frame.taken;
        frame.taken = true;
        return {};
    }
    Token first = TRY(next_token());
    if (first.kind == Token::Kind::RightDelim)
        return error_at(open, "missing condition in {{else if}}");
    Expr condition = TRY(parse_command(std::move(first), std::nullopt));
    bool chosen = frame.parent_active && !frame.taken && TRY(evaluate(condition)).truth();
    frame.active = chosen;
    frame.taken = frame.taken || chosen;
    return {};
}

ErrorOr<void> Renderer::end_action()
{
    Token token = TRY(next_token());
    if (token.kind != Token::Kind::RightDelim)
        return error_at(token.pos, "unexpected \"" + excerpt(token.pos, token.end) + "\" in {{end}}");
    if (m_frames.empty())
        return error_at(m_action_pos, "{{end}} without {{if}}");
    m_frames.pop_back();
    return {};
}

ErrorOr<void> Renderer::print_action(Token first)
{
    Expr expr = TRY(parse_command(std::move(first), std::nullopt));
    if (!active())
        return {};
    Value value = TRY(evaluate(expr));
    if (value.kind == Value::Kind::Bool)
        m_out += value.boolean ? "true" : "false";
    else
        m_out += value.string;
    return {};
}

ErrorOr<Token> Renderer::next_token()
{
    bool after_space = false;
    for (;;) {
        if (m_pos >= m_text.size())
            return error_at(m_action_pos, "unterminated action");
        if (has_right_trim_delim(m_pos)) {
            Token token { Token::Kind::RightDelim, m_pos, m_pos + 4, true, {} };
            m_pos += 4;
            while (m_pos < m_text.size() && is_space(m_text[m_pos]))
                ++m_pos;
            return token;
        }
        if (starts_with(m_pos, "}}")) {
            Token token { Token::Kind::RightDelim, m_pos, m_pos + 2, after_space, {} };
            m_pos += 2;
            return token;
        }
        if (!is_space(m_text[m_pos]))
            break;
        after_space = true;
        ++m_pos;
    }

    Token token { Token::Kind::Identifier, m_pos, m_pos + 1, after_space, {} };
    char c = m_text[m_pos];
    if (c == '(' || c == ')') {
        token.kind = c == '(' ? Token::Kind::LeftParen : Token::Kind::RightParen;
        ++m_pos;
        return token;
    }
    if (c == '.')
        return lex_field(std::move(token));
    if (c == '"')
        return lex_quoted(std::move(token));
    if (c == '`')
        return lex_raw(std::move(token));
    if (!is_identifier_start(c))
        return unexpected_character(m_pos);
    while (m_pos < m_text.size() && is_identifier_char(m_text[m_pos]))
        ++m_pos;
    token.end = m_pos;
    token.text = m_text.substr(token.pos, m_pos - token.pos);
    return token;
}

ErrorOr<Token> Renderer::lex_field(Token token)
{
    token.kind = Token::Kind::Field;
    m_pos = token.pos + 1;
    if (m_pos >= m_text.size() || is_space(m_text[m_pos]) || m_text[m_pos] == ')' || m_text[m_pos] == '}')
        return error_at(token.pos, "{{.}} is not supported: name a variable, as in {{.NAME}}");
    if (is_digit(m_text[m_pos]))
        return error_at(token.pos, "numbers are not supported");
    if (!is_identifier_start(m_text[m_pos]))
        return unexpected_character(m_pos);
    while (m_pos < m_text.size() && is_identifier_char(m_text[m_pos]))
        ++m_pos;
    token.text = m_text.substr(token.pos + 1, m_pos - token.pos - 1);
    // The variables are strings; a chain like .A.B could only ever fail.
    if (m_pos < m_text.size() && m_text[m_pos] == '.') {
        while (m_pos < m_text.size() && (m_text[m_pos] == '.' || is_identifier_char(m_text[m_pos])))
            ++m_pos;
        return error_at(token.pos, "nested field " + excerpt(token.pos, m_pos) + " is not supported");
    }
    token.end = m_pos;
    return token;
}

ErrorOr<Token> Renderer::lex_quoted(Token token)
{
    token.kind = Token::Kind::String;
    m_pos = token.pos + 1;
    for (;;) {
        if (m_pos >= m_text.size() || m_text[m_pos] == '\n')
            return error_at(token.pos, "unterminated quoted string");
        char c = m_text[m_pos];
        if (c == '"')
            break;
        if (c == '\\') {
            TRY(lex_escape(token.pos, token.text));
            continue;
        }
        token.text += c;
        ++m_pos;
    }
    ++m_pos;
    token.end = m_pos;
    return token;
}

// Decodes the escape sequence at m_pos as Go's strconv.Unquote does for a
// double-quoted string.
ErrorOr<void> Renderer::lex_escape(size_t quote, std::string& out)
{
    size_t backslash = m_pos++;
    if (m_pos >= m_text.size() || m_text[m_pos] == '\n')
        return error_at(quote, "unterminated quoted string");
    auto invalid = [&] {
        return error_at(backslash, "invalid escape sequence \"\\" + printable(m_text[backslash + 1]) + "\" in string");
    };
    auto read_digits = [&](size_t count, uint32_t base) -> std::optional<uint32_t> {
        uint32_t value = 0;
        for (size_t i = 0; i < count; ++i, ++m_pos) {
            if (m_pos >= m_text.size())
                return std::nullopt;
            char c = m_text[m_pos];
            uint32_t digit = base;
            if (is_digit(c))
                digit = c - '0';
            else if (c >= 'a' && c <= 'f')
                digit = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                digit = c - 'A' + 10;
            if (digit >= base)
                return std::nullopt;
            value = value * base + digit;
        }
        return value;
    };

    char c = m_text[m_pos++];
    constexpr std::string_view simple_from = "abfnrtv\\\"";
    constexpr std::string_view simple_to = "\a\b\f\n\r\t\v\\\"";
    if (size_t i = simple_from.find(c); i != std::string_view::npos) {
        out += simple_to[i];
        return {};
    }
    if (c == 'x') {
        auto byte = read_digits(2, 16);
        if (!byte)
            return invalid();
        out += static_cast<char>(*byte);
        return {};
    }
    if (c >= '0' && c <= '7') {
        --m_pos;
        auto byte = read_digits(3, 8);
        if (!byte || *byte > 0xff)
            return invalid();
        out += static_cast<char>(*byte);
        return {};
    }
    if (c == 'u' || c == 'U') {
        auto code_point = read_digits(c == 'u' ? 4 : 8, 16);
        if (!code_point || *code_point > 0x10ffff || (*code_point >= 0xd800 && *code_point <= 0xdfff))
            return invalid();
        append_utf8(out, *code_point);
        return {};
    }
    return invalid();
}

ErrorOr<Token> Renderer::lex_raw(Token token)
{
    token.kind = Token::Kind::String;
    size_t close = m_text.find('`', token.pos + 1);
    if (close == std::string_view::npos)
        return error_at(token.pos, "unterminated raw string");
    // Go drops carriage returns from raw strings, so that CRLF files mean the same.
    for (char c : m_text.substr(token.pos + 1, close - token.pos - 1)) {
        if (c != '\r')
            token.text += c;
    }
    m_pos = close + 1;
    token.end = m_pos;
    return token;
}

Error Renderer::unexpected_character(size_t pos) const
{
    char c = m_text[pos];
    // A "{{" inside an action almost always means the previous "}}" is missing.
    if (starts_with(pos, "{{"))
        return error_at(m_action_pos, "unterminated action");
    if (c == '-' && starts_with(pos + 1, "}}"))
        return error_at(pos, "the trim marker needs a space before it, as in \" -}}\"");
    if (c == '-' && pos == m_action_body && !(pos + 1 < m_text.size() && is_digit(m_text[pos + 1])))
        return error_at(pos, "the trim marker needs a space after it, as in \"{{- \"");
    if (c == '-' || c == '+' || is_digit(c))
        return error_at(pos, "numbers are not supported");
    if (c == '$') {
        size_t end = pos + 1;
        while (end < m_text.size() && is_identifier_char(m_text[end]))
            ++end;
        return error_at(pos, "variable " + excerpt(pos, end) + " is not supported");
    }
    if (c == '|')
        return error_at(pos, "pipelines (\"|\") are not supported");
    if (c == '\'')
        return error_at(pos, "character constants are not supported");
    return error_at(pos, "unexpected character \"" + printable(c) + "\" in action");
}

// Parses a command (a function call or a single operand) starting with `first`,
// through the token that closes it: ")" when `open_paren` is set, else "}}".
ErrorOr<Expr> Renderer::parse_command(Token first, std::optional<size_t> open_paren)
{
    size_t start = first.pos;
    bool is_call = first.kind == Token::Kind::Identifier;
    std::optional<Function> function;
    if (is_call) {
        function = find_function(first.text);
        if (!function)
            return identifier_error(first);
    }
    Expr expr = is_call ? Expr { Expr::Kind::Call, first.pos, std::move(first.text), *function, {} }
                        : TRY(parse_operand(std::move(first)));

    for (;;) {
        size_t before = m_pos;
        Token token = TRY(next_token());
        if (token.kind == Token::Kind::RightDelim) {
            if (open_paren)
                return error_at(*open_paren, "unclosed left parenthesis");
            break;
        }
        if (token.kind == Token::Kind::RightParen) {
            if (!open_paren)
                return error_at(token.pos, "unexpected \")\"");
            break;
        }
        // Go requires a space between words: "a""b" is an error, not two arguments.
        if (!token.after_space)
            return error_at(token.pos, "missing space before \"" + excerpt(token.pos, token.end) + "\"");
        if (!is_call) {
            return error_at(token.pos, "cannot give an argument to non-function " + excerpt(start, before));
        }
        expr.args.push_back(TRY(parse_operand(std::move(token))));
    }
    if (is_call)
        TRY(check_arity(expr));
    return expr;
}

ErrorOr<Expr> Renderer::parse_operand(Token token)
{
    switch (token.kind) {
    case Token::Kind::Field:
        return Expr { Expr::Kind::Field, token.pos, std::move(token.text), {}, {} };
    case Token::Kind::String:
        return Expr { Expr::Kind::String, token.pos, std::move(token.text), {}, {} };
    case Token::Kind::LeftParen: {
        if (++m_paren_depth > MAX_DEPTH)
            return error_at(token.pos, "expression nested too deeply");
        Token first = TRY(next_token());
        if (first.kind == Token::Kind::RightParen)
            return error_at(token.pos, "empty parentheses");
        if (first.kind == Token::Kind::RightDelim)
            return error_at(token.pos, "unclosed left parenthesis");
        Expr inner = TRY(parse_command(std::move(first), token.pos));
        --m_paren_depth;
        return inner;
    }
    case Token::Kind::Identifier:
        if (find_function(token.text))
            return error_at(
                token.pos, "function \"" + token.text + "\" must be in parentheses when used as an argument");
        return identifier_error(token);
    case Token::Kind::RightParen:
    case Token::Kind::RightDelim:
        break;
    }
    return error_at(token.pos, "unexpected \"" + excerpt(token.pos, token.end) + "\"");
}

Error Renderer::identifier_error(const Token& token) const
{
    const std::string& name = token.text;
    if (name == "if" || name == "else" || name == "end")
        return error_at(token.pos, "unexpected \"" + name + "\" inside an expression");
    for (std::string_view keyword : { "range", "with", "define", "template", "block", "break", "continue" }) {
        if (name == keyword)
            return error_at(token.pos, "{{" + name + "}} is not supported");
    }
    if (name == "true" || name == "false" || name == "nil")
        return error_at(token.pos, "constant \"" + name + "\" is not supported");
    return error_at(token.pos, "function \"" + excerpt(token.pos, token.end) + "\" is not supported");
}

// Checked while parsing rather than, as in Go, when executing: a mistake in a branch
// not taken is still a mistake.
ErrorOr<void> Renderer::check_arity(const Expr& call) const
{
    size_t want = 1;
    bool at_least = false;
    switch (call.function) {
    case Function::Not:
        break;
    case Function::Ne:
        want = 2;
        break;
    case Function::Eq:
        want = 2;
        at_least = true;
        break;
    case Function::And:
    case Function::Or:
        at_least = true;
        break;
    }
    size_t got = call.args.size();
    if (got == want || (at_least && got > want))
        return {};
    return error_at(call.pos,
        "wrong number of arguments for " + call.text + ": want " + (at_least ? "at least " : "") + std::to_string(want)
            + ", got " + std::to_string(got));
}

ErrorOr<Value> Renderer::evaluate(const Expr& expr) const
{
    switch (expr.kind) {
    case Expr::Kind::Field: {
        // A missing variable is the empty string, not Go's "<no value>".
        auto it = m_vars.find(expr.text);
        return Value { Value::Kind::String, it == m_vars.end() ? std::string_view {} : it->second, false };
    }
    case Expr::Kind::String:
        return Value { Value::Kind::String, expr.text, false };
    case Expr::Kind::Call:
        break;
    }
    return call(expr);
}

ErrorOr<Value> Renderer::call(const Expr& expr) const
{
    switch (expr.function) {
    case Function::Not:
        return Value::from_bool(!TRY(evaluate(expr.args[0])).truth());
    case Function::And:
    case Function::Or: {
        // As in Go 1.18 and later: stop at the first argument that decides the result,
        // and return that argument itself, so that {{or .A "default"}} works.
        bool stop_when = expr.function == Function::Or;
        Value value;
        for (const Expr& arg : expr.args) {
            value = TRY(evaluate(arg));
            if (value.truth() == stop_when)
                break;
        }
        return value;
    }
    case Function::Eq:
    case Function::Ne:
        break;
    }

    // Go evaluates every argument of eq and ne before comparing.
    std::vector<Value> values;
    values.reserve(expr.args.size());
    for (const Expr& arg : expr.args)
        values.push_back(TRY(evaluate(arg)));
    bool equal = false;
    for (size_t i = 1; i < values.size() && !equal; ++i) {
        if (values[i].kind != values[0].kind)
            return error_at(expr.args[i].pos, "incompatible types for comparison");
        equal = values[0].kind == Value::Kind::Bool ? values[i].boolean == values[0].boolean
                                                    : values[i].string == values[0].string;
    }
    return Value::from_bool(expr.function == Function::Eq ? equal : !equal);
}

}

ErrorOr<std::string> render_template(std::string_view text, const std::map<std::string, std::string>& vars)
{
    return Renderer(text, vars).run();
}

}
