#include "config/decode.h"

#include "base/base64.h"

namespace corral::config {

void DecodeContext::error(const Node& at, std::string message)
{
    m_diagnostics.push_back(Diagnostic { Diagnostic::Severity::Error, at.mark(), m_path, std::move(message) });
    m_rejected.insert(m_items.empty() ? &at : m_items.back());
    ++m_errors;
}

void DecodeContext::unknown_key(const Node::Entry& entry)
{
    KeyPath path = m_path;
    path.push_back(entry.key);
    m_diagnostics.push_back(Diagnostic { Diagnostic::Severity::Warning, entry.key_mark, std::move(path), "unknown key" });
}

void DecodeContext::push_item(const Node& item, size_t index)
{
    // List positions are part of the last segment: write_files[2].
    std::string label = "[" + std::to_string(index) + "]";
    if (m_path.empty())
        m_path.push_back(label);
    else
        m_path.back() += label;
    m_items.push_back(&item);
}

void DecodeContext::pop_item()
{
    std::string& last = m_path.back();
    last.erase(last.rfind('['));
    if (last.empty())
        m_path.pop_back();
    m_items.pop_back();
}

void decode(const Node& node, bool& out, DecodeContext& context)
{
    if (node.is_null()) {
        out = false;
        return;
    }
    if (node.is_scalar()) {
        // A quoted "true" is accepted too: the intent is plain, and refusing it would
        // drop a setting for a matter of spelling.
        if (auto value = parse_yaml_bool(node.text()); value && node.kind() != ScalarKind::Int) {
            out = *value;
            return;
        }
    }
    context.error(node, "expected a boolean, got " + node.describe());
}

void decode(const Node& node, int64_t& out, DecodeContext& context)
{
    if (node.is_null()) {
        out = 0;
        return;
    }
    if (node.is_scalar() && node.kind() != ScalarKind::Bool) {
        if (auto value = parse_yaml_int(node.text())) {
            out = *value;
            return;
        }
    }
    context.error(node, "expected an integer, got " + node.describe());
}

void decode(const Node& node, double& out, DecodeContext& context)
{
    if (node.is_null()) {
        out = 0;
        return;
    }
    if (node.is_scalar() && node.kind() != ScalarKind::Bool) {
        if (auto value = parse_yaml_int(node.text())) {
            out = static_cast<double>(*value);
            return;
        }
        if (auto value = parse_yaml_float(node.text())) {
            out = *value;
            return;
        }
    }
    context.error(node, "expected a number, got " + node.describe());
}

void decode(const Node& node, std::string& out, DecodeContext& context)
{
    if (node.is_null()) {
        out.clear();
        return;
    }
    if (node.kind() == ScalarKind::Binary) {
        // Validated when parsed, so decoding cannot fail here.
        out = base64_decode(node.text()).release_value();
        return;
    }
    if (node.is_scalar()) {
        out = node.text();
        return;
    }
    context.error(node, "expected a string, got " + node.describe());
}

} // namespace corral::config
