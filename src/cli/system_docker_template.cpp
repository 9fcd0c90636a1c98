// Executing Go templates (see system_docker_template.h).

#include "cli/system_docker_template.h"
#include "cli/system_docker_template_ast.h"

#include <algorithm>

namespace corral::cli {

namespace {

constexpr size_t MAX_OUTPUT = 64 * 1024 * 1024;
constexpr size_t MAX_DEPTH = 100;

// A value during execution: JSON, or Go's invalid value (a missing map key,
// printed "<no value>"). `root` marks the data's own root, which answers the
// data's methods.
struct Value {
    Json json;
    bool missing { false };
    bool root { false };
};

enum class Flow {
    Normal,
    Break,
    Continue,
};

bool looks_like_struct(const Json& object)
{
    if (object.empty())
        return false;
    for (auto const& [key, value] : object.items()) {
        if (key.empty() || !(key[0] >= 'A' && key[0] <= 'Z'))
            return false;
    }
    return true;
}

// The type a field was looked up in: go_kind(), except that a null is the
// interface{} holding it.
std::string go_type_name(const Json& value)
{
    return value.is_null() ? "interface {}" : go_kind(value);
}

class Executor {
public:
    Executor(std::string_view text, const TemplateFunctions& functions, const TemplateFunctions* overrides,
        const TemplateData& data)
        : m_text(text)
        , m_functions(functions)
        , m_overrides(overrides)
        , m_data(data)
    {
    }

    ErrorOr<std::string> run(const std::vector<TemplateNode>& nodes)
    {
        Value dot { m_data.value, false, true };
        m_variables.emplace_back("$", dot);
        TRY(walk_list(nodes, dot));
        return std::move(m_out);
    }

private:
    Error error_at(size_t pos, size_t end, std::string_view message) const { return error_at(pos, pos, end, message); }
    // `location` is where the line and column point; [pos, end) is the node quoted.
    Error error_at(size_t location, size_t pos, size_t end, std::string_view message) const
    {
        size_t line = 1;
        size_t line_start = 0;
        for (size_t i = 0; i < location && i < m_text.size(); ++i) {
            if (m_text[i] == '\n') {
                ++line;
                line_start = i + 1;
            }
        }
        std::string context(m_text.substr(pos, end > pos ? end - pos : 0));
        return Error::from_string("template: :" + std::to_string(line) + ":" + std::to_string(location - line_start)
            + ": executing \"\" at <" + context + ">: " + std::string(message));
    }

    ErrorOr<void> emit(std::string_view text)
    {
        if (m_out.size() + text.size() > MAX_OUTPUT)
            return Error::from_string("template output over " + std::to_string(MAX_OUTPUT) + " bytes", EFBIG);
        m_out.append(text);
        return {};
    }

    ErrorOr<Flow> walk_list(const std::vector<TemplateNode>& nodes, const Value& dot)
    {
        if (++m_depth > MAX_DEPTH)
            return Error::from_string("template: exceeded maximum template depth (100)");
        size_t mark = m_variables.size();
        Flow flow = Flow::Normal;
        for (auto const& node : nodes) {
            flow = TRY(walk(node, dot));
            if (flow != Flow::Normal)
                break;
        }
        m_variables.resize(mark);
        --m_depth;
        return flow;
    }

    ErrorOr<Flow> walk(const TemplateNode& node, const Value& dot)
    {
        switch (node.kind) {
        case TemplateNode::Kind::Text:
            TRY(emit(node.text));
            return Flow::Normal;
        case TemplateNode::Kind::Action: {
            Value value = TRY(eval_pipeline(dot, node.pipe));
            // An assignment prints nothing.
            if (node.pipe.declarations.empty())
                TRY(emit(value.missing ? "<no value>" : go_print(value.json)));
            return Flow::Normal;
        }
        case TemplateNode::Kind::Break:
            return Flow::Break;
        case TemplateNode::Kind::Continue:
            return Flow::Continue;
        case TemplateNode::Kind::If:
        case TemplateNode::Kind::With: {
            size_t mark = m_variables.size();
            Value value = TRY(eval_pipeline(dot, node.pipe));
            bool truth = !value.missing && go_truth(value.json);
            Flow flow = Flow::Normal;
            if (truth)
                flow = TRY(walk_list(node.list, node.kind == TemplateNode::Kind::With ? value : dot));
            else
                flow = TRY(walk_list(node.else_list, dot));
            m_variables.resize(mark);
            return flow;
        }
        case TemplateNode::Kind::Range:
            return walk_range(node, dot);
        }
        return Flow::Normal;
    }

    ErrorOr<Flow> walk_range(const TemplateNode& node, const Value& dot)
    {
        size_t mark = m_variables.size();
        // The declarations are set per element, not to the pipeline's value.
        TemplatePipe pipe = node.pipe;
        auto declarations = std::move(pipe.declarations);
        pipe.declarations.clear();
        Value value = TRY(eval_pipeline(dot, pipe));
        auto one = [&](Json key, const Json& element) -> ErrorOr<Flow> {
            m_variables.resize(mark);
            if (declarations.size() == 1) {
                m_variables.emplace_back(declarations[0], Value { element });
            } else if (declarations.size() == 2) {
                m_variables.emplace_back(declarations[0], Value { std::move(key) });
                m_variables.emplace_back(declarations[1], Value { element });
            }
            return walk_list(node.list, Value { element });
        };
        size_t count = 0;
        if (!value.missing && value.json.is_array()) {
            for (size_t i = 0; i < value.json.size(); ++i, ++count) {
                Flow flow = TRY(one(Json(static_cast<int64_t>(i)), value.json[i]));
                if (flow == Flow::Break)
                    break;
            }
        } else if (!value.missing && value.json.is_object()) {
            std::vector<std::string> keys;
            for (auto const& [key, element] : value.json.items())
                keys.push_back(key);
            std::sort(keys.begin(), keys.end());
            for (auto const& key : keys) {
                ++count;
                Flow flow = TRY(one(Json(key), value.json.at(key)));
                if (flow == Flow::Break)
                    break;
            }
        } else if (!value.missing && !value.json.is_null()) {
            auto const& command = node.pipe.commands.back();
            return error_at(command.pos, command.end, "range can't iterate over " + go_print(value.json));
        }
        m_variables.resize(mark);
        if (count == 0)
            TRY(walk_list(node.else_list, dot));
        return Flow::Normal;
    }

    ErrorOr<Value> eval_pipeline(const Value& dot, const TemplatePipe& pipe)
    {
        std::optional<Value> final;
        for (auto const& command : pipe.commands)
            final = TRY(eval_command(dot, command, final));
        Value value = final ? std::move(*final) : Value {};
        for (auto const& name : pipe.declarations) {
            if (pipe.assign) {
                for (auto it = m_variables.rbegin(); it != m_variables.rend(); ++it) {
                    if (it->first == name) {
                        it->second = value;
                        break;
                    }
                }
            } else {
                m_variables.emplace_back(name, value);
            }
        }
        return value;
    }

    const TemplateFunction* find_function(const std::string& name) const
    {
        if (m_overrides) {
            if (auto it = m_overrides->find(name); it != m_overrides->end())
                return &it->second;
        }
        auto it = m_functions.find(name);
        return it == m_functions.end() ? nullptr : &it->second;
    }

    ErrorOr<Value> eval_command(const Value& dot, const TemplateCommand& command, const std::optional<Value>& final)
    {
        auto const& first = command.args[0];
        std::vector<const TemplateArg*> rest;
        for (size_t i = 1; i < command.args.size(); ++i)
            rest.push_back(&command.args[i]);
        switch (first.kind) {
        case TemplateArg::Kind::Field:
            return eval_chain(dot, dot, first.fields, rest, final, command, first.pos);
        case TemplateArg::Kind::Variable:
            return eval_chain(
                dot, TRY(variable(first)), first.fields, rest, final, command, first.pos + first.name.size());
        case TemplateArg::Kind::Pipe: {
            Value inner = TRY(eval_pipeline(dot, *first.pipe));
            if (first.fields.empty() && (!rest.empty() || final))
                return error_at(command.pos, command.end, "can't give argument to non-function " + source(first));
            return eval_chain(dot, inner, first.fields, rest, final, command, chain_start(first));
        }
        case TemplateArg::Kind::Function:
            return call_function(dot, first, rest, final, command);
        case TemplateArg::Kind::Dot:
        case TemplateArg::Kind::Constant:
            if (!rest.empty() || final)
                return error_at(command.pos, command.end, "can't give argument to non-function " + source(first));
            return eval_arg(dot, first);
        }
        return Value {};
    }

    // Where the field chain after a parenthesized pipeline begins.
    static size_t chain_start(const TemplateArg& arg)
    {
        size_t length = 0;
        for (auto const& field : arg.fields)
            length += field.size() + 1;
        return arg.end - length;
    }

    std::string source(const TemplateArg& arg) const { return std::string(m_text.substr(arg.pos, arg.end - arg.pos)); }

    ErrorOr<Value> variable(const TemplateArg& arg) const
    {
        for (auto it = m_variables.rbegin(); it != m_variables.rend(); ++it) {
            if (it->first == arg.name)
                return it->second;
        }
        return error_at(arg.pos, arg.end, "undefined variable: " + arg.name);
    }

    // Evaluates receiver.F1.F2…; the arguments (and the pipeline's value) go to
    // the last field, which must then be a method.
    // `chain` is where ".F1" begins in the template (for error locations).
    ErrorOr<Value> eval_chain(const Value& dot, Value receiver, const std::vector<std::string>& fields,
        const std::vector<const TemplateArg*>& args, const std::optional<Value>& final, const TemplateCommand& command,
        size_t chain)
    {
        if (fields.empty()) {
            if (!args.empty() || final)
                return error_at(command.pos, command.end, "can't give argument to non-function");
            return receiver;
        }
        size_t field_pos = chain;
        for (size_t i = 0; i < fields.size(); ++i) {
            if (i > 0)
                field_pos += fields[i - 1].size() + 1;
            bool last = i + 1 == fields.size();
            auto const& name = fields[i];
            bool at_root = receiver.root;
            if (receiver.root) {
                if (auto it = m_data.methods.find(name); it != m_data.methods.end()) {
                    std::vector<Json> values;
                    if (last) {
                        for (auto const* arg : args)
                            values.push_back(TRY(eval_arg(dot, *arg)).json);
                        if (final)
                            values.push_back(final->json);
                    }
                    auto result = it->second(values);
                    if (result.is_error())
                        return error_at(
                            command.pos, command.end, "error calling " + name + ": " + result.error().message());
                    receiver = Value { result.release_value() };
                    continue;
                }
            }
            if (last && (!args.empty() || final))
                return error_at(command.pos, command.end, name + " has arguments but cannot be invoked as function");
            if (receiver.missing)
                return error_at(command.pos, command.end, "nil pointer evaluating interface {}." + name);
            const Json& json = receiver.json;
            if (json.is_object()) {
                auto it = json.find(name);
                if (it == json.end()) {
                    // An alias may name several keys: "Id|id".
                    if (auto alias = m_data.field_aliases.find(name); alias != m_data.field_aliases.end()) {
                        std::string_view keys = alias->second;
                        while (it == json.end() && !keys.empty()) {
                            size_t bar = keys.find('|');
                            it = json.find(std::string(keys.substr(0, bar)));
                            keys = bar == std::string_view::npos ? std::string_view {} : keys.substr(bar + 1);
                        }
                    }
                }
                if (it != json.end()) {
                    receiver = Value { *it };
                    continue;
                }
                if (at_root && !m_data.root_type.empty())
                    return error_at(
                        command.pos, command.end, "can't evaluate field " + name + " in type " + m_data.root_type);
                if (looks_like_struct(json) && name[0] >= 'A' && name[0] <= 'Z')
                    return error_at(field_pos, command.pos, command.end, "map has no entry for key \"" + name + "\"");
                receiver = Value { Json(), true };
                continue;
            }
            if (json.is_null())
                return error_at(command.pos, command.end, "nil pointer evaluating interface {}." + name);
            return error_at(
                command.pos, command.end, "can't evaluate field " + name + " in type " + go_type_name(json));
        }
        return receiver;
    }

    ErrorOr<Value> eval_arg(const Value& dot, const TemplateArg& arg)
    {
        TemplateCommand alone { arg.pos, arg.end, {} };
        switch (arg.kind) {
        case TemplateArg::Kind::Dot:
            return dot;
        case TemplateArg::Kind::Constant:
            return Value { arg.constant };
        case TemplateArg::Kind::Field:
            return eval_chain(dot, dot, arg.fields, {}, std::nullopt, alone, arg.pos);
        case TemplateArg::Kind::Variable:
            return eval_chain(dot, TRY(variable(arg)), arg.fields, {}, std::nullopt, alone, arg.pos + arg.name.size());
        case TemplateArg::Kind::Pipe:
            return eval_chain(
                dot, TRY(eval_pipeline(dot, *arg.pipe)), arg.fields, {}, std::nullopt, alone, chain_start(arg));
        case TemplateArg::Kind::Function:
            return call_function(dot, arg, {}, std::nullopt, alone);
        }
        return Value {};
    }

    ErrorOr<Value> call_function(const Value& dot, const TemplateArg& function,
        const std::vector<const TemplateArg*>& args, const std::optional<Value>& final, const TemplateCommand& command)
    {
        size_t count = args.size() + (final ? 1 : 0);
        // and, or: evaluated lazily, returning the argument that decided.
        if (function.name == "and" || function.name == "or") {
            if (count == 0)
                return error_at(
                    command.pos, command.end, "wrong number of args for " + function.name + ": want at least 1 got 0");
            bool stop_on = function.name == "or";
            Value value;
            for (size_t i = 0; i < count; ++i) {
                value = i < args.size() ? TRY(eval_arg(dot, *args[i])) : *final;
                if ((!value.missing && go_truth(value.json)) == stop_on)
                    break;
            }
            return value;
        }
        auto const* callable = find_function(function.name);
        if (!callable)
            return error_at(command.pos, command.end, "function \"" + function.name + "\" not defined");
        std::vector<Json> values;
        for (auto const* arg : args) {
            Value value = TRY(eval_arg(dot, *arg));
            // {{json .}} of the root: the way the data says its root marshals.
            if (function.name == "json" && value.root && m_data.root_json_escape == EscapeHtml::Yes)
                return Value { Json(go_json(value.json, EscapeHtml::Yes)) };
            values.push_back(value.missing ? Json() : std::move(value.json));
        }
        if (final)
            values.push_back(final->missing ? Json() : final->json);
        auto result = (*callable)(values);
        if (result.is_error())
            return error_at(
                command.pos, command.end, "error calling " + function.name + ": " + result.error().message());
        return Value { result.release_value() };
    }

    std::string_view m_text;
    const TemplateFunctions& m_functions;
    const TemplateFunctions* m_overrides;
    const TemplateData& m_data;
    std::vector<std::pair<std::string, Value>> m_variables;
    std::string m_out;
    size_t m_depth { 0 };
};

} // namespace

ErrorOr<std::string> Template::execute(const TemplateData& data, const TemplateFunctions* overrides) const
{
    Executor executor(m_text, m_functions, overrides, data);
    return executor.run(m_nodes);
}

bool go_truth(const Json& value)
{
    switch (value.type()) {
    case Json::value_t::boolean:
        return value.get<bool>();
    case Json::value_t::number_integer:
        return value.get<int64_t>() != 0;
    case Json::value_t::number_unsigned:
        return value.get<uint64_t>() != 0;
    case Json::value_t::number_float:
        return value.get<double>() != 0;
    case Json::value_t::string:
        return !value.get_ref<const std::string&>().empty();
    case Json::value_t::array:
    case Json::value_t::object:
        return !value.empty();
    default:
        return false;
    }
}

std::string go_print(const Json& value)
{
    switch (value.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded:
    case Json::value_t::binary:
        return "<nil>";
    case Json::value_t::boolean:
        return value.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer:
        return std::to_string(value.get<int64_t>());
    case Json::value_t::number_unsigned:
        return std::to_string(value.get<uint64_t>());
    case Json::value_t::number_float:
        return go_format_float(value.get<double>());
    case Json::value_t::string:
        return value.get<std::string>();
    case Json::value_t::array: {
        std::string out = "[";
        bool first = true;
        for (auto const& element : value) {
            if (!first)
                out += ' ';
            first = false;
            out += go_print(element);
        }
        return out + "]";
    }
    case Json::value_t::object: {
        std::vector<std::string> keys;
        for (auto const& [key, element] : value.items())
            keys.push_back(key);
        std::sort(keys.begin(), keys.end());
        std::string out = "map[";
        bool first = true;
        for (auto const& key : keys) {
            if (!first)
                out += ' ';
            first = false;
            out += key + ":" + go_print(value.at(key));
        }
        return out + "]";
    }
    }
    return {};
}

} // namespace corral::cli
