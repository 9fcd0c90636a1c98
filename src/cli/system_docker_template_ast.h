#pragma once

// The parse tree of a Go template (system_docker_template.h), shared by the
// parser and the executor.

#include "cli/system_docker_json.h"

#include <memory>
#include <string>
#include <vector>

namespace corral::cli {

struct TemplatePipe;

struct TemplateArg {
    enum class Kind {
        Dot, // .
        Field, // .A.B: `fields` holds A, B
        Variable, // $x.A: `name` is "$x", `fields` the chain
        Pipe, // (pipeline).A
        Constant, // "s", `raw`, 'c', 12, 1.5, true, nil: in `constant`
        Function, // an identifier: `name`
    };
    Kind kind { Kind::Dot };
    size_t pos { 0 }; // where it starts in the template
    size_t end { 0 };
    std::string name;
    std::vector<std::string> fields;
    Json constant;
    std::shared_ptr<TemplatePipe> pipe;
};

struct TemplateCommand {
    size_t pos { 0 };
    size_t end { 0 };
    std::vector<TemplateArg> args;
};

struct TemplatePipe {
    size_t pos { 0 };
    std::vector<std::string> declarations; // "$x", or "$i", "$v" for range
    bool assign { false }; // "=" rather than ":="
    std::vector<TemplateCommand> commands;
};

struct TemplateNode {
    enum class Kind {
        Text,
        Action,
        If,
        Range,
        With,
        Break,
        Continue,
    };
    Kind kind { Kind::Text };
    size_t pos { 0 };
    std::string text; // Text
    TemplatePipe pipe; // Action, If, Range, With
    std::vector<TemplateNode> list;
    std::vector<TemplateNode> else_list;
};

} // namespace corral::cli
