#include "config/keypath.h"

namespace corral::config {

ErrorOr<KeyPath> parse_key_path(std::string_view text)
{
    KeyPath path;
    std::string segment;
    bool segment_started = false;
    size_t i = 0;
    auto fail = [&](const std::string& what) {
        return Error::from_string("key \"" + std::string(text) + "\": " + what);
    };
    while (i <= text.size()) {
        if (i == text.size() || text[i] == '.') {
            if (!segment_started)
                return fail(i == text.size() && path.empty() ? "empty key" : "empty segment at offset " + std::to_string(i));
            path.push_back(std::move(segment));
            segment.clear();
            segment_started = false;
            ++i;
            if (i > text.size())
                break;
            if (i == text.size())
                return fail("ends with '.'");
            continue;
        }
        char c = text[i];
        if ((c == '"' || c == '\'') && !segment_started) {
            size_t close = text.find(c, i + 1);
            if (close == std::string_view::npos)
                return fail(std::string("unterminated ") + c + " quote");
            segment.assign(text.substr(i + 1, close - i - 1));
            segment_started = true;
            i = close + 1;
            if (i < text.size() && text[i] != '.')
                return fail("expected '.' after the quoted segment at offset " + std::to_string(i));
            continue;
        }
        if (c == '\\' && i + 1 < text.size()) {
            segment += text[i + 1];
            segment_started = true;
            i += 2;
            continue;
        }
        segment += c;
        segment_started = true;
        ++i;
    }
    return path;
}

std::string format_key_path(const KeyPath& path)
{
    std::string out;
    for (size_t i = 0; i < path.size(); ++i) {
        if (i)
            out += '.';
        const std::string& segment = path[i];
        bool needs_quoting = segment.empty() || segment.find_first_of(".\"'\\") != std::string::npos;
        if (!needs_quoting) {
            out += segment;
        } else if (segment.find('"') == std::string::npos) {
            // The readable form: rancher.sysctl."net.ipv4.ip_forward".
            out += "\"" + segment + "\"";
        } else {
            // Anything else: escape each character that would end or split the segment.
            for (size_t j = 0; j < segment.size(); ++j) {
                char c = segment[j];
                if (c == '.' || c == '\\' || (j == 0 && (c == '"' || c == '\'')))
                    out += '\\';
                out += c;
            }
        }
    }
    return out;
}

const Node* find_path(const Node& root, const KeyPath& path)
{
    const Node* node = &root;
    for (auto const& segment : path) {
        if (!node->is_map())
            return nullptr;
        node = node->find(segment);
        if (!node)
            return nullptr;
    }
    return node;
}

ErrorOr<void> set_path(Node& root, const KeyPath& path, Node value)
{
    if (path.empty()) {
        root = std::move(value);
        return {};
    }
    if (root.is_null())
        root = Node::map();
    Node* node = &root;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
        if (!node->is_map()) {
            KeyPath prefix(path.begin(), path.begin() + static_cast<long>(i));
            return Error::from_string(format_key_path(prefix) + " holds " + node->describe() + ", not a map, so "
                + format_key_path(path) + " cannot be set");
        }
        Node* child = node->find(path[i]);
        if (!child || child->is_null())
            child = &node->set(path[i], Node::map());
        node = child;
    }
    if (!node->is_map()) {
        KeyPath prefix(path.begin(), path.end() - 1);
        return Error::from_string(format_key_path(prefix) + " holds " + node->describe() + ", not a map, so "
            + format_key_path(path) + " cannot be set");
    }
    node->set(path.back(), std::move(value));
    return {};
}

bool erase_path(Node& root, const KeyPath& path)
{
    if (path.empty())
        return false;
    Node* node = &root;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
        if (!node->is_map())
            return false;
        node = node->find(path[i]);
        if (!node)
            return false;
    }
    return node->is_map() && node->erase(path.back());
}

} // namespace corral::config
