#include "config/template.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <random>

using corral::config::render_template;
using Vars = std::map<std::string, std::string>;

namespace {

std::string render(std::string_view text, const Vars& vars = {})
{
    auto result = render_template(text, vars);
    EXPECT_FALSE(result.is_error()) << "template: " << text << "\nerror: " << result.error().message();
    return result.is_error() ? "<error>" : result.value();
}

// The message of the error that rendering must fail with.
std::string render_error(std::string_view text, const Vars& vars = {})
{
    auto result = render_template(text, vars);
    EXPECT_TRUE(result.is_error()) << "template: " << text;
    if (!result.is_error())
        return "<rendered: " + result.value() + ">";
    EXPECT_EQ(result.error().code(), EINVAL);
    return result.error().message();
}

}

TEST(Template, PlainTextIsCopied)
{
    EXPECT_EQ(render(""), "");
    EXPECT_EQ(render("no actions\n  here { } }} {\n"), "no actions\n  here { } }} {\n");
}

TEST(Template, SubstitutesVariables)
{
    Vars vars { { "A", "one" }, { "B_2", "two" }, { "_c", "three" } };
    EXPECT_EQ(render("a={{.A}}, b={{ .B_2 }}, c={{._c}}{{.A}}\n", vars), "a=one, b=two, c=threeone\n");
    EXPECT_EQ(render("{{\n.A\t}}", vars), "one");
}

TEST(Template, MissingVariableIsEmpty)
{
    EXPECT_EQ(render("[{{.MISSING}}]", { { "OTHER", "x" } }), "[]");
    EXPECT_EQ(render("[{{.EMPTY}}]", { { "EMPTY", "" } }), "[]");
}

TEST(Template, VariableValuesAreNotTemplates)
{
    EXPECT_EQ(render("{{.A}}", { { "A", "{{.B}}" }, { "B", "no" } }), "{{.B}}");
}

TEST(Template, TrimMarkers)
{
    Vars vars { { "X", "1" }, { "Y", "2" } };
    EXPECT_EQ(render("a \n\t {{- .X -}} \r\n b", vars), "a1b");
    EXPECT_EQ(render("a \n {{- .X}} \nb", vars), "a1 \nb");
    EXPECT_EQ(render("a \n {{.X -}} \n b", vars), "a \n 1b");
    // Any of Go's four space characters may follow or precede the dash.
    EXPECT_EQ(render("a\n{{-\n.X\t-}}\nb", vars), "a1b");
    EXPECT_EQ(render("a {{.X   -}}   b", vars), "a 1b");
    // Only the text right next to the action is trimmed, not text beyond another action.
    EXPECT_EQ(render("{{.X}} {{- .Y}} ", vars), "12 ");
    EXPECT_EQ(render(" {{.X -}} {{.Y}} ", vars), " 12 ");
    // Trimming everything, then nothing left to trim.
    EXPECT_EQ(render("  \n  {{- .X -}}", vars), "1");
    EXPECT_EQ(render("{{- .X -}}", vars), "1");
}

TEST(Template, TrimMarkersWithoutTheirSpaceAreErrors)
{
    EXPECT_EQ(render_error("a\n {{-.X}}"), "template:2:4: the trim marker needs a space after it, as in \"{{- \"");
    EXPECT_EQ(render_error("{{.X-}}"), "template:1:5: the trim marker needs a space before it, as in \" -}}\"");
}

TEST(Template, Comments)
{
    EXPECT_EQ(render("a{{/* a comment with }} and {{ */}}b"), "ab");
    EXPECT_EQ(render("a{{/* spanning\nlines */}}\nb"), "a\nb");
    EXPECT_EQ(render("a \n{{- /* trimmed */ -}}\n b"), "ab");
    EXPECT_EQ(render("{{if .A}}{{/* {{end}} */}}x{{end}}", { { "A", "y" } }), "x");
}

TEST(Template, IfElse)
{
    std::string_view text = "{{if .A}}a{{else if .B}}b{{else if .C}}c{{else}}none{{end}}";
    EXPECT_EQ(render(text, { { "A", "1" }, { "B", "1" } }), "a");
    EXPECT_EQ(render(text, { { "B", "1" }, { "C", "1" } }), "b");
    EXPECT_EQ(render(text, { { "C", "1" } }), "c");
    EXPECT_EQ(render(text, { { "A", "" } }), "none");
    EXPECT_EQ(render("[{{if .A}}a{{end}}]", {}), "[]");
    EXPECT_EQ(render("[{{if .A}}a{{end}}]", { { "A", "false" } }), "[a]"); // a non-empty string is true
}

TEST(Template, NestedIf)
{
    std::string_view text = "{{if .A}}A{{if .B}}B{{else}}!B{{end}}{{else}}!A{{if .B}}B{{else if .C}}C{{end}}{{end}}.";
    EXPECT_EQ(render(text, { { "A", "1" }, { "B", "1" } }), "AB.");
    EXPECT_EQ(render(text, { { "A", "1" } }), "A!B.");
    EXPECT_EQ(render(text, { { "B", "1" } }), "!AB.");
    EXPECT_EQ(render(text, { { "C", "1" } }), "!AC.");
    EXPECT_EQ(render(text, {}), "!A.");
}

TEST(Template, Eq)
{
    std::string_view text = "{{if eq .ARCH \"amd64\" \"arm64\" `arm`}}yes{{else}}no{{end}}";
    EXPECT_EQ(render(text, { { "ARCH", "amd64" } }), "yes");
    EXPECT_EQ(render(text, { { "ARCH", "arm64" } }), "yes");
    EXPECT_EQ(render(text, { { "ARCH", "arm" } }), "yes");
    EXPECT_EQ(render(text, { { "ARCH", "x86" } }), "no");
    EXPECT_EQ(render(text, {}), "no");
    EXPECT_EQ(render("{{if eq .MISSING \"\"}}empty{{end}}"), "empty");
    EXPECT_EQ(render("{{eq .A .B}} {{eq .A .C}}", { { "A", "x" }, { "B", "x" }, { "C", "y" } }), "true false");
    EXPECT_EQ(render("{{eq (eq .A \"x\") (ne .B \"y\")}}", { { "A", "x" } }), "true");
}

TEST(Template, NeNotAndOr)
{
    Vars vars { { "A", "a" }, { "E", "" } };
    EXPECT_EQ(render("{{ne .A \"a\"}} {{ne .A \"b\"}}", vars), "false true");
    EXPECT_EQ(render("{{not .A}} {{not .E}} {{not (eq .A \"a\")}}", vars), "false true false");
    // and/or return the argument that decides, as in Go.
    EXPECT_EQ(render("[{{and .A .E}}] [{{and .A \"last\"}}] [{{and .A}}]", vars), "[] [last] [a]");
    EXPECT_EQ(render("[{{or .E .A}}] [{{or .E \"\"}}] [{{or .MISSING \"default\"}}]", vars), "[a] [] [default]");
    EXPECT_EQ(render("{{if and .A (not .E)}}yes{{end}}{{if or .E .MISSING}}no{{end}}", vars), "yes");
    EXPECT_EQ(render("{{if and (eq .A \"a\") (or (eq .E \"x\") (ne .E \"y\"))}}yes{{end}}", vars), "yes");
}

TEST(Template, AndOrStopAtTheDecidingArgument)
{
    // The comparison of a bool with a string would fail; it is never evaluated.
    EXPECT_EQ(render("{{or .A (eq (not .A) \"x\")}}", { { "A", "a" } }), "a");
    EXPECT_EQ(render("[{{and .E (eq (not .A) \"x\")}}]", {}), "[]");
    EXPECT_EQ(render_error("{{or .E (eq (not .A) \"x\")}}"), "template:1:22: incompatible types for comparison");
}

TEST(Template, StringLiterals)
{
    EXPECT_EQ(render(R"({{"q\"b\\s\nn\tt"}})"), "q\"b\\s\nn\tt");
    EXPECT_EQ(render(R"({{"\x41\101\u00e9\U0001F600\a\r"}})"), "AA\xc3\xa9\xf0\x9f\x98\x80\a\r");
    EXPECT_EQ(render("{{`raw \\n \"q\" {{ }}\r\nline`}}"), "raw \\n \"q\" {{ }}\nline");
    EXPECT_EQ(render("{{\"\"}}|{{``}}"), "|");
    EXPECT_EQ(render("{{if eq .A \"x y\"}}ok{{end}}", { { "A", "x y" } }), "ok");
}

TEST(Template, BadStringLiterals)
{
    EXPECT_EQ(render_error(R"({{"a\qb"}})"), R"(template:1:5: invalid escape sequence "\q" in string)");
    EXPECT_EQ(render_error(R"({{"\x4"}})"), R"(template:1:4: invalid escape sequence "\x" in string)");
    EXPECT_EQ(render_error(R"({{"\400"}})"), R"(template:1:4: invalid escape sequence "\4" in string)");
    EXPECT_EQ(render_error(R"({{"\ud800"}})"), R"(template:1:4: invalid escape sequence "\u" in string)");
    EXPECT_EQ(render_error("{{\"\\'\"}}"), R"(template:1:4: invalid escape sequence "\'" in string)");
    EXPECT_EQ(render_error("x\n {{eq .A \"abc}}"), "template:2:10: unterminated quoted string");
    EXPECT_EQ(render_error("{{\"abc\nd\"}}"), "template:1:3: unterminated quoted string");
    EXPECT_EQ(render_error("{{\"abc\\"), "template:1:3: unterminated quoted string");
    EXPECT_EQ(render_error("{{`abc}}"), "template:1:3: unterminated raw string");
}

TEST(Template, UnterminatedAction)
{
    EXPECT_EQ(render_error("a\nb {{.X"), "template:2:3: unterminated action");
    EXPECT_EQ(render_error("a {{.X "), "template:1:3: unterminated action");
    EXPECT_EQ(render_error("a {{.X }"), "template:1:8: unexpected character \"}\" in action");
    EXPECT_EQ(render_error("{{"), "template:1:1: unterminated action");
    EXPECT_EQ(render_error("{{- "), "template:1:1: unterminated action");
    // A missing "}}" is found at the next "{{", not reported at whatever follows it.
    EXPECT_EQ(render_error("line\n  {{.X\n  {{.Y}}\n"), "template:2:3: unterminated action");
}

TEST(Template, UnknownFunctionsAndKeywords)
{
    EXPECT_EQ(render_error("{{printf \"%s\" .X}}"), "template:1:3: function \"printf\" is not supported");
    EXPECT_EQ(render_error("a\n{{if lt .X .Y}}{{end}}"), "template:2:6: function \"lt\" is not supported");
    EXPECT_EQ(render_error("{{range .X}}{{end}}"), "template:1:3: {{range}} is not supported");
    EXPECT_EQ(render_error("{{ with .X }}{{end}}"), "template:1:4: {{with}} is not supported");
    EXPECT_EQ(render_error("{{define \"x\"}}{{end}}"), "template:1:3: {{define}} is not supported");
    EXPECT_EQ(render_error("{{template \"x\"}}"), "template:1:3: {{template}} is not supported");
    EXPECT_EQ(render_error("{{if true}}{{end}}"), "template:1:6: constant \"true\" is not supported");
    EXPECT_EQ(render_error("{{.X | printf}}"), "template:1:6: pipelines (\"|\") are not supported");
    EXPECT_EQ(render_error("{{$x := .X}}"), "template:1:3: variable $x is not supported");
    EXPECT_EQ(render_error("{{if eq .X 1}}{{end}}"), "template:1:12: numbers are not supported");
    EXPECT_EQ(render_error("{{.5}}"), "template:1:3: numbers are not supported");
    EXPECT_EQ(render_error("{{'a'}}"), "template:1:3: character constants are not supported");
    EXPECT_EQ(render_error("{{.}}"), "template:1:3: {{.}} is not supported: name a variable, as in {{.NAME}}");
    EXPECT_EQ(render_error("{{eq . .X}}"), "template:1:6: {{.}} is not supported: name a variable, as in {{.NAME}}");
    EXPECT_EQ(render_error("{{.A.B}}"), "template:1:3: nested field .A.B is not supported");
    EXPECT_EQ(render_error("{{.A = \"x\"}}"), "template:1:6: unexpected character \"=\" in action");
    EXPECT_EQ(render_error("{{.A \x01}}"), "template:1:6: unexpected character \"\\x01\" in action");
}

TEST(Template, StructureErrors)
{
    EXPECT_EQ(render_error("a\nb\n\n\n{{end}}"), "template:5:1: {{end}} without {{if}}");
    EXPECT_EQ(render_error("{{if .A}}{{end}}{{end}}"), "template:1:17: {{end}} without {{if}}");
    EXPECT_EQ(render_error("x\n  {{if .A}}y"), "template:2:3: {{if}} without {{end}}");
    EXPECT_EQ(render_error("{{if .A}}{{if .B}}{{end}}"), "template:1:1: {{if}} without {{end}}");
    EXPECT_EQ(render_error("{{if .A}}{{else}}{{else}}{{end}}"), "template:1:18: {{else}} after {{else}}");
    EXPECT_EQ(render_error("{{if .A}}{{else}}{{else if .B}}{{end}}"), "template:1:18: {{else if}} after {{else}}");
    EXPECT_EQ(render_error("a {{else}}"), "template:1:3: {{else}} without {{if}}");
    EXPECT_EQ(render_error("{{else if .A}}"), "template:1:1: {{else if}} without {{if}}");
    EXPECT_EQ(render_error("{{if .A}}{{else .B}}{{end}}"), "template:1:17: unexpected \".B\" in {{else}}");
    EXPECT_EQ(render_error("{{if .A}}{{end .A}}"), "template:1:16: unexpected \".A\" in {{end}}");
    EXPECT_EQ(render_error("{{if}}{{end}}"), "template:1:1: missing condition in {{if}}");
    EXPECT_EQ(render_error("{{if .A}}{{else if -}}{{end}}"), "template:1:10: missing condition in {{else if}}");
    EXPECT_EQ(render_error("a{{}}"), "template:1:2: empty action");
    EXPECT_EQ(render_error("{{-  -}}"), "template:1:1: empty action");
}

TEST(Template, ExpressionErrors)
{
    EXPECT_EQ(render_error("{{not .A .B}}"), "template:1:3: wrong number of arguments for not: want 1, got 2");
    EXPECT_EQ(render_error("{{eq .A}}"), "template:1:3: wrong number of arguments for eq: want at least 2, got 1");
    EXPECT_EQ(render_error("{{ne .A .B .C}}"), "template:1:3: wrong number of arguments for ne: want 2, got 3");
    EXPECT_EQ(render_error("{{and}}"), "template:1:3: wrong number of arguments for and: want at least 1, got 0");
    EXPECT_EQ(render_error("{{.A .B}}"), "template:1:6: cannot give an argument to non-function .A");
    EXPECT_EQ(render_error("{{(eq .A .B) .C}}"), "template:1:14: cannot give an argument to non-function (eq .A .B)");
    EXPECT_EQ(render_error("{{eq .A\"x\"}}"), "template:1:8: missing space before \"\"x\"\"");
    EXPECT_EQ(render_error("{{eq not .A}}"),
        "template:1:6: function \"not\" must be in parentheses when used as an argument");
    EXPECT_EQ(render_error("{{if (eq .A .B}}{{end}}"), "template:1:6: unclosed left parenthesis");
    EXPECT_EQ(render_error("{{.A)}}"), "template:1:5: unexpected \")\"");
    EXPECT_EQ(render_error("{{eq () .A}}"), "template:1:6: empty parentheses");
    EXPECT_EQ(render_error("{{(if .A)}}"), "template:1:4: unexpected \"if\" inside an expression");
    EXPECT_EQ(render_error("{{eq (not .A) \"true\"}}"), "template:1:15: incompatible types for comparison");
}

TEST(Template, CommentErrors)
{
    EXPECT_EQ(render_error("a\n{{/* never closed }}"), "template:2:1: unclosed comment");
    EXPECT_EQ(render_error("{{/* c */ }}"), "template:1:10: comment ends before closing delimiter");
    // As in Go, a comment must start right after the delimiter.
    EXPECT_EQ(render_error("{{ /* c */}}"), "template:1:4: unexpected character \"/\" in action");
}

TEST(Template, BranchesNotTakenAreParsedButNotEvaluated)
{
    // A syntax error is reported wherever it is, as Go does...
    EXPECT_EQ(render_error("{{if .NO}}{{range .X}}{{end}}{{end}}"), "template:1:13: {{range}} is not supported");
    // ...but only the branch taken is evaluated, as Go does.
    EXPECT_EQ(render("[{{if .NO}}{{eq (not .A) \"x\"}}{{end}}]"), "[]");
}

TEST(Template, NestingIsBounded)
{
    auto nested_ifs = [](size_t depth) {
        std::string text;
        for (size_t i = 0; i < depth; ++i)
            text += "{{if .A}}";
        text += "x";
        for (size_t i = 0; i < depth; ++i)
            text += "{{end}}";
        return text;
    };
    EXPECT_EQ(render(nested_ifs(100), { { "A", "1" } }), "x");
    EXPECT_EQ(render_error(nested_ifs(101)), "template:1:901: {{if}} nested too deeply");
    EXPECT_EQ(render_error(nested_ifs(100000)), "template:1:901: {{if}} nested too deeply");

    auto nested_parens
        = [](size_t depth) { return "{{not " + std::string(depth, '(') + "not .A" + std::string(depth, ')') + "}}"; };
    EXPECT_EQ(render(nested_parens(100)), "false");
    EXPECT_EQ(render_error(nested_parens(101)), "template:1:107: expression nested too deeply");
    EXPECT_EQ(render_error(nested_parens(1000000)), "template:1:107: expression nested too deeply");
}

TEST(Template, ErrorPositionsCountLinesAndBytes)
{
    std::string text(1000, '\n');
    text += "\t{{.A}} {{nope}}";
    EXPECT_EQ(render_error(text), "template:1001:11: function \"nope\" is not supported");
    EXPECT_EQ(render_error("a\r\nb {{end}}"), "template:2:3: {{end}} without {{if}}");
}

// Random splices of template fragments: whatever the input, rendering returns a value
// or a positioned error, and never crashes (this runs under ASan/UBSan too).
TEST(Template, SurvivesGarbage)
{
    const std::vector<std::string_view> pieces { "{{", "}}", "{{- ", " -}}", "if", "else", "end", " ", "\n", ".A", ".",
        "(", ")", "\"", "\\", "`", "eq", "not", "and", "or", "/*", "*/", "-", "x", "\"s\"", "$", "|", "\xff" };
    std::mt19937 random(12345);
    size_t errors = 0;
    size_t rendered = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string text;
        size_t length = random() % 24;
        for (size_t i = 0; i < length; ++i)
            text += pieces[random() % pieces.size()];
        auto result = render_template(text, { { "A", "a" } });
        if (result.is_error()) {
            ++errors;
            ASSERT_EQ(result.error().message().rfind("template:", 0), 0u) << text;
        } else {
            ++rendered;
        }
    }
    // Both outcomes must be common, or the test explores too little.
    EXPECT_GT(errors, 1000u);
    EXPECT_GT(rendered, 1000u);
}

TEST(Template, RancherOsConfig)
{
    std::string_view text = "rancher:\n"
                            "  environment:\n"
                            "    VERSION: {{.VERSION}}\n"
                            "  defaults:\n"
                            "    {{if eq \"amd64\" .ARCH -}}\n"
                            "    docker:\n"
                            "      engine: a\n"
                            "    {{else -}}\n"
                            "    docker:\n"
                            "      engine: b\n"
                            "    {{end -}}\n"
                            "    network: {}\n";
    // The " -}}" of each action eats the newline and the indentation that follow it, and
    // the indentation before each action is kept: so every line comes out indented once.
    EXPECT_EQ(render(text, { { "VERSION", "v1.5.8" }, { "ARCH", "amd64" } }),
        "rancher:\n"
        "  environment:\n"
        "    VERSION: v1.5.8\n"
        "  defaults:\n"
        "    docker:\n"
        "      engine: a\n"
        "    network: {}\n");
    EXPECT_EQ(render(text, { { "VERSION", "v1.5.8" }, { "ARCH", "arm64" } }),
        "rancher:\n"
        "  environment:\n"
        "    VERSION: v1.5.8\n"
        "  defaults:\n"
        "    docker:\n"
        "      engine: b\n"
        "    network: {}\n");
}

TEST(Template, RancherOsConfigUnterminatedAction)
{
    std::string_view text = "rancher:\n"
                            "  environment:\n"
                            "    VERSION: {{.VERSION\n";
    EXPECT_EQ(render_error(text), "template:3:14: unterminated action");
}
