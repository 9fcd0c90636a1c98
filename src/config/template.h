#pragma once

// The subset of Go's text/template that `ros config generate` needs to render
// RancherOS's os-config.tpl.yml: the "." of the template is a map of strings.
//
// Supported, with Go's semantics:
//   - text and actions {{ ... }}, with the trim markers "{{- " (drops all whitespace,
//     newlines included, before the action) and " -}}" (drops it after the action);
//   - {{.NAME}} (NAME is ASCII letters, digits and "_"), which prints the variable; a missing key prints "" (Go prints
//     "<no value>", which is never what a config file wants);
//   - {{/* comment */}};
//   - {{if X}} ... {{else if X}} ... {{else}} ... {{end}}, nestable;
//   - expressions: .NAME, "quoted" (Go escapes) and `raw` strings, (parentheses), and the
//     functions not, eq (true if the first argument equals any of the others), ne, and, or.
//     An expression may also be printed: {{or .A "default"}}, {{eq .A "x"}} prints
//     "true" or "false".
// Everything else (range, with, define, "|" pipelines, other functions, $variables,
// numbers, {{.}}) is refused with an error that names it, never ignored.
//
// The renderer is meant for untrusted input: it runs in time linear in the template
// (plus the size of the output) and refuses nesting deeper than 100 levels.

#include "base/error.h"

#include <map>
#include <string>
#include <string_view>

namespace corral::config {

// Renders `text` as a Go text/template against `vars` (the "." of the template is a map).
// Errors (Error::from_string, EINVAL) name the line and column in the template, e.g.
// "template:3:14: unterminated action" or "template:5:1: {{end}} without {{if}}".
// Lines and columns count from 1; columns count bytes. Nothing is returned on error.
ErrorOr<std::string> render_template(std::string_view text, const std::map<std::string, std::string>& vars);

}
