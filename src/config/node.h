#pragma once

// The configuration tree: what a YAML file, a kernel command line or `ros config
// set` produces, and what the layers merge. Every node remembers where it came
// from (file, line, column) so that validation can point at the text.
//
// Scalars keep the text as written plus the YAML kind it resolves to. A field of
// the typed model decides how to read it: a plain `0644` is an Int to `ros config
// get` but the string "0644" to write_files.permissions, as in go-yaml.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corral::config {

struct Mark {
    std::shared_ptr<const std::string> file; // shared by every node of one source
    int line { 0 }; // 1-based; 0 when unknown
    int column { 0 }; // 1-based

    // "cloud-config.yml:12:9" (or just the file name when the position is unknown).
    std::string describe() const;
};

enum class ScalarKind {
    Null,
    Bool,
    Int,
    Float,
    String,
    Binary, // !!binary: text holds the base64 as written, whitespace removed
};

// The kind a plain (unquoted) YAML scalar resolves to, with go-yaml v2's YAML 1.1
// words for booleans (yes/no/on/off) so RancherOS configs read the same.
ScalarKind resolve_plain_scalar(std::string_view text);
// Parses an Int-kind text (decimal, 0x hex, 0o/0 octal, 0b binary, '_' separators).
std::optional<int64_t> parse_yaml_int(std::string_view text);
std::optional<bool> parse_yaml_bool(std::string_view text);
std::optional<double> parse_yaml_float(std::string_view text);

class Node {
public:
    enum class Type {
        Scalar, // including null
        List,
        Map,
    };

    struct Entry;

    // The special members are defined in node.cpp, where Entry is complete (a
    // vector of an incomplete type may be declared but not instantiated).
    Node(); // a null scalar
    ~Node();
    Node(const Node&);
    Node(Node&&) noexcept;
    Node& operator=(const Node&);
    Node& operator=(Node&&) noexcept;
    static Node scalar(std::string text, ScalarKind kind, Mark mark = {});
    static Node plain(std::string text, Mark mark = {}); // kind resolved from the text
    static Node string(std::string text, Mark mark = {});
    static Node boolean(bool value, Mark mark = {});
    static Node integer(int64_t value, Mark mark = {});
    static Node list(Mark mark = {});
    static Node map(Mark mark = {});

    Type type() const { return m_type; }
    bool is_null() const { return m_type == Type::Scalar && m_kind == ScalarKind::Null; }
    bool is_scalar() const { return m_type == Type::Scalar; }
    bool is_list() const { return m_type == Type::List; }
    bool is_map() const { return m_type == Type::Map; }
    ScalarKind kind() const { return m_kind; }
    const std::string& text() const { return m_text; }
    // "a map", "a list", "true", "\"abc\"", "null": for error messages.
    std::string describe() const;

    const Mark& mark() const { return m_mark; }
    void set_mark(Mark mark) { m_mark = std::move(mark); }

    // Lists.
    std::vector<Node>& items() { return m_items; }
    const std::vector<Node>& items() const { return m_items; }
    void push_back(Node node) { m_items.push_back(std::move(node)); }

    // Maps keep their keys in insertion order.
    std::vector<Entry>& entries() { return m_entries; }
    const std::vector<Entry>& entries() const { return m_entries; }
    const Node* find(std::string_view key) const;
    Node* find(std::string_view key);
    // Inserts or replaces; a replaced key keeps its position.
    Node& set(std::string key, Node value, Mark key_mark = {});
    bool erase(std::string_view key);

    bool operator==(const Node& other) const; // compares content, not marks

private:
    Type m_type { Type::Scalar };
    ScalarKind m_kind { ScalarKind::Null };
    std::string m_text;
    std::vector<Node> m_items;
    std::vector<Entry> m_entries;
    Mark m_mark;
};

struct Node::Entry {
    std::string key;
    Mark key_mark;
    Node value;
};

// Merges `overlay` into `base` the RancherOS way: maps merge recursively; scalars
// and lists replace wholesale; new keys are copied in.
void merge(Node& base, const Node& overlay);

} // namespace corral::config
