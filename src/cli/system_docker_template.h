#pragma once

// Go's text/template as the docker CLI uses it for --format, over JSON values.
//
// config/template.h renders `ros config generate` templates over a map of
// strings and deliberately refuses the rest of Go's language; docker's
// formats need that rest: nested fields ({{.State.Status}}), {{.}},
// {{json .}}, range, with, variables, pipelines, methods with arguments
// ({{.Label "k"}}) and functions (index, printf, join, …). Hence this one,
// over nlohmann JSON values.
//
// Supported with Go's semantics: text; {{- and -}} trims; comments; if / else
// if / else / end; range (with $i, $v :=, and else) over arrays and objects
// (keys sorted, as Go ranges over a map); with / else; break and continue;
// pipelines with "|"; parentheses; variables ($, $x :=, $x =); fields chained
// on ., on variables and on parenthesized pipelines; string, raw string,
// character, number, bool and nil constants; the functions and, or, not, len,
// index, slice, print, printf, println, eq, ne, lt, le, gt, ge, html, js,
// urlquery, and docker's json, split, join, title, lower, upper, pad,
// truncate. Not supported (refused when parsed): define, template, block.
//
// Values print as Go prints the decoded JSON: strings as they are, numbers in
// their JSON form, arrays as [a b], objects as map[k:v] with sorted keys, null
// as <nil>.
//
// A missing key: Go's typed values fail on an unknown struct field but print
// "<no value>" for a missing map key. Without Docker's Go types the engine
// guesses: an object whose keys all begin with a capital letter is taken for
// a struct, and asking it for a capitalized name it lacks is an error
// ("can't evaluate field Foo"); anything else is a map and gives <no value>.
//
// The engine is meant for input from the command line: recursion is bounded
// (nesting of 100 levels) and so is the output (64 MiB).

#include "base/error.h"
#include "cli/system_docker_json.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace corral::cli {

// A function callable from a template, with its arguments evaluated.
using TemplateFunction = std::function<ErrorOr<Json>(const std::vector<Json>& args)>;
using TemplateFunctions = std::map<std::string, TemplateFunction>;

struct TemplateData {
    Json value; // the "." of the template, and $
    // Methods of the root value, called as fields with arguments:
    // {{.Label "com.example"}}. Methods without arguments may be plain fields.
    TemplateFunctions methods;
    // How {{json .}} writes the root value: docker's list contexts go through
    // json.Marshal, which escapes <, > and &.
    EscapeHtml root_json_escape { EscapeHtml::No };
    // Go field names whose JSON key differs (APIVersion → ApiVersion, Status →
    // status; "Id|id" for either), looked up at any depth when the name itself
    // is not a key:
    // docker's templates see Go structs, the JSON has the keys.
    std::map<std::string, std::string> field_aliases {};
    // The Go type docker renders the root as, for the error when a template
    // asks it for a field it lacks ("can't evaluate field Foo in type
    // *formatter.ContainerContext"). Empty: the root is a map, as inspect's
    // raw fallback is ("map has no entry for key "Foo"").
    std::string root_type {};
};

struct TemplateNode;

class Template {
public:
    // Parses `text`; `extra` adds functions (or replaces built-in ones) for
    // every execution. Errors read like Go's: `template: :1: function "foo"
    // not defined`, `template: :1: unexpected EOF`.
    static ErrorOr<Template> parse(std::string_view text, TemplateFunctions extra = {});

    // Executes against `data`. `overrides` replaces functions for this run
    // (docker renders table headers with its HeaderFunctions). Errors read like
    // Go's: `template: :1:2: executing "" at <.Foo>: can't evaluate field Foo`.
    ErrorOr<std::string> execute(const TemplateData& data, const TemplateFunctions* overrides = nullptr) const;

    Template(Template&&) noexcept;
    Template& operator=(Template&&) noexcept;
    ~Template();

private:
    Template();
    std::string m_text;
    std::vector<TemplateNode> m_nodes;
    TemplateFunctions m_functions;
};

// The built-in functions other than and/or (which evaluate lazily): Go's and
// docker's. Exposed for tests and for the table-header overrides.
const TemplateFunctions& builtin_template_functions();
// Docker's HeaderFunctions: json, split, join, title, lower, upper and truncate
// give back their first argument unchanged.
const TemplateFunctions& header_template_functions();

// How Go's fmt prints a decoded JSON value with %v.
std::string go_print(const Json& value);
// The Go type of a decoded JSON value as fmt's %T names it ("string", "int",
// "float64", "[]interface {}", "map[string]interface {}"; "<nil>" for null).
std::string go_kind(const Json& value);
// Go's text/template truth: false, 0, "", null, empty arrays and objects are false.
bool go_truth(const Json& value);

} // namespace corral::cli
