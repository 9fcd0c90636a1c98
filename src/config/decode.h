#pragma once

// Reading a config tree into the typed model, checking it as we go.
//
// Each model struct lists its fields once, in a visit() member:
//     template<typename V> void visit(V& v) { v("mtu", mtu, check_mtu); v("dhcp", dhcp); }
// and that one list drives decoding with validation (this file), encoding back to a
// tree, and the schema look-ups `ros config get` uses (schema.h).

#include "config/diagnostic.h"
#include "config/node.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace corral::config {

// A field check: returns an error message for a bad value, nothing for a good one.
template<typename T>
using Check = std::optional<std::string> (*)(const T&);

template<typename T>
concept Visitable = requires(T& t, int& visitor) { t.visit(visitor); };

class DecodeContext {
public:
    explicit DecodeContext(Diagnostics& diagnostics)
        : m_diagnostics(diagnostics)
    {
    }

    // Reports a bad value. The value is dropped at load: the innermost list item
    // holding it if there is one (a write_files entry without its encoding would be
    // wrong, not merely incomplete), else the value itself.
    void error(const Node& at, std::string message);
    void unknown_key(const Node::Entry& entry);

    size_t error_count() const { return m_errors; }

    void push(std::string segment) { m_path.push_back(std::move(segment)); }
    void pop() { m_path.pop_back(); }
    void push_item(const Node& item, size_t index);
    void pop_item();

    // Nodes whose errors mean they should be removed from their source tree.
    const std::set<const Node*>& rejected() const { return m_rejected; }

private:
    Diagnostics& m_diagnostics;
    KeyPath m_path;
    std::vector<const Node*> m_items;
    std::set<const Node*> m_rejected;
    size_t m_errors { 0 };
};

void decode(const Node& node, bool& out, DecodeContext& context);
void decode(const Node& node, int64_t& out, DecodeContext& context);
void decode(const Node& node, double& out, DecodeContext& context);
void decode(const Node& node, std::string& out, DecodeContext& context);

template<typename T>
void decode(const Node& node, std::optional<T>& out, DecodeContext& context);
template<typename T>
void decode(const Node& node, std::vector<T>& out, DecodeContext& context);
template<typename T>
void decode(const Node& node, std::map<std::string, T>& out, DecodeContext& context);
template<Visitable T>
void decode(const Node& node, T& out, DecodeContext& context);

template<typename T>
void decode(const Node& node, std::optional<T>& out, DecodeContext& context)
{
    if (node.is_null()) {
        out.reset();
        return;
    }
    T value {};
    decode(node, value, context);
    out = std::move(value);
}

// A list; a single scalar is read as a one-item list (`host: unix:///x` from a
// kernel command line, where a one-item list cannot be written any other way).
template<typename T>
void decode(const Node& node, std::vector<T>& out, DecodeContext& context)
{
    out.clear();
    if (node.is_null())
        return;
    if (node.is_scalar()) {
        T value {};
        decode(node, value, context);
        out.push_back(std::move(value));
        return;
    }
    if (!node.is_list()) {
        context.error(node, "expected a list, got " + node.describe());
        return;
    }
    for (size_t i = 0; i < node.items().size(); ++i) {
        context.push_item(node.items()[i], i);
        T value {};
        decode(node.items()[i], value, context);
        out.push_back(std::move(value));
        context.pop_item();
    }
}

template<typename T>
void decode(const Node& node, std::map<std::string, T>& out, DecodeContext& context)
{
    out.clear();
    if (node.is_null())
        return;
    if (!node.is_map()) {
        context.error(node, "expected a map, got " + node.describe());
        return;
    }
    for (auto const& entry : node.entries()) {
        context.push(entry.key);
        T value {};
        decode(entry.value, value, context);
        out[entry.key] = std::move(value);
        context.pop();
    }
}

namespace detail {

class FieldDecoder {
public:
    FieldDecoder(const Node& map, DecodeContext& context)
        : m_map(map)
        , m_context(context)
    {
    }

    template<typename T>
    void operator()(std::string_view name, T& member)
    {
        m_known.insert(std::string(name));
        const Node* child = m_map.find(name);
        if (!child)
            return;
        m_context.push(std::string(name));
        decode(*child, member, m_context);
        m_context.pop();
    }

    template<typename T>
    void operator()(std::string_view name, T& member, Check<T> check)
    {
        m_known.insert(std::string(name));
        const Node* child = m_map.find(name);
        if (!child)
            return;
        m_context.push(std::string(name));
        size_t errors_before = m_context.error_count();
        decode(*child, member, m_context);
        // A value that did not decode has already been reported; checking the
        // default left in its place would only add a misleading second message.
        if (!child->is_null() && m_context.error_count() == errors_before) {
            if (auto problem = check(member))
                m_context.error(*child, *problem);
        }
        m_context.pop();
    }

    void report_unknown() const
    {
        for (auto const& entry : m_map.entries()) {
            if (!m_known.contains(entry.key))
                m_context.unknown_key(entry);
        }
    }

private:
    const Node& m_map;
    DecodeContext& m_context;
    std::set<std::string> m_known;
};

} // namespace detail

template<Visitable T>
void decode(const Node& node, T& out, DecodeContext& context)
{
    if (node.is_null())
        return;
    if (!node.is_map()) {
        context.error(node, "expected a map, got " + node.describe());
        return;
    }
    detail::FieldDecoder decoder(node, context);
    out.visit(decoder);
    decoder.report_unknown();
}

} // namespace corral::config
