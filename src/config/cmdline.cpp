#include "config/cmdline.h"

#include "base/strings.h"
#include "config/keypath.h"

#include <array>
#include <memory>

namespace corral::config {

namespace {

// Quotation marks that group words, as RancherOS's parser (Go's unicode.Quotation_Mark
// set, the ones seen in practice). Each is matched by itself.
constexpr std::array<std::string_view, 9> QUOTES = {
    "\"", "'", "\xE2\x80\x9C", "\xE2\x80\x9D", "\xE2\x80\x98", "\xE2\x80\x99", "\xC2\xAB", "\xC2\xBB", "\xE2\x80\x9E",
};

size_t quote_at(std::string_view text, size_t i)
{
    for (auto q : QUOTES) {
        if (text.substr(i, q.size()) == q)
            return q.size();
    }
    return 0;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Keys whose repetition on the command line accumulates instead of replacing.
bool is_repeatable(const KeyPath& path)
{
    return path.size() == 2 && path[0] == "rancher" && path[1] == "autologin";
}

} // namespace

std::vector<std::string> split_cmdline(std::string_view input)
{
    std::string text;
    text.reserve(input.size());
    for (size_t i = 0; i < input.size(); ++i) {
        if (input[i] == '\\' && i + 1 < input.size() && (input[i + 1] == '"' || input[i + 1] == '\''))
            continue;
        text += input[i];
    }

    std::vector<std::string> words;
    std::string word;
    std::string_view open_quote;
    int bracket_depth = 0;
    for (size_t i = 0; i < text.size();) {
        if (!open_quote.empty()) {
            if (std::string_view(text).substr(i, open_quote.size()) == open_quote
                || (open_quote.size() > 1 && quote_at(text, i) > 1)) {
                size_t n = quote_at(text, i);
                word.append(text, i, n);
                i += n;
                open_quote = {};
                continue;
            }
            word += text[i++];
            continue;
        }
        if (size_t n = quote_at(text, i)) {
            open_quote = std::string_view(text).substr(i, n);
            word.append(text, i, n);
            i += n;
            continue;
        }
        char c = text[i];
        if (c == '[')
            ++bracket_depth;
        else if (c == ']' && bracket_depth > 0)
            --bracket_depth;
        if (is_blank(c) && bracket_depth == 0) {
            if (!word.empty())
                words.push_back(std::move(word));
            word.clear();
            ++i;
            continue;
        }
        word += c;
        ++i;
    }
    if (!word.empty())
        words.push_back(std::move(word));
    return words;
}

namespace {

// Removes one pair of matching surrounding quotes; returns whether it did.
bool unquote(std::string_view& value)
{
    if (value.size() < 2)
        return false;
    size_t open = quote_at(value, 0);
    if (!open)
        return false;
    for (auto q : QUOTES) {
        if (q.size() <= value.size() - open && value.substr(value.size() - q.size()) == q) {
            // ASCII quotes must pair with themselves; typographic ones with any closer.
            bool ascii_open = open == 1;
            if (ascii_open && q != value.substr(0, 1))
                continue;
            if (!ascii_open && q.size() == 1)
                continue;
            value = value.substr(open, value.size() - open - q.size());
            return true;
        }
    }
    return false;
}

} // namespace

Node type_value(std::string_view value, const Mark& mark)
{
    if (value.empty())
        return Node::string("", mark);
    std::string_view inner = value;
    if (unquote(inner))
        return Node::string(std::string(inner), mark);
    if (value.front() == '[' && value.back() == ']') {
        Node list = Node::list(mark);
        std::string_view body = trim(value.substr(1, value.size() - 2));
        if (body.empty())
            return list;
        for (auto const& part : split(body, ',')) {
            std::string_view item = trim(part);
            std::string_view unquoted = item;
            if (unquote(unquoted))
                list.push_back(Node::string(std::string(unquoted), mark));
            else
                list.push_back(Node::plain(std::string(item), mark));
        }
        return list;
    }
    return Node::plain(std::string(value), mark);
}

CmdlineResult parse_cmdline(std::string_view cmdline, const std::string& source)
{
    CmdlineResult result;
    result.tree = Node::map();
    auto file = std::make_shared<const std::string>(source);
    size_t search_from = 0;
    for (auto const& word : split_cmdline(cmdline)) {
        // The column is where the word starts in the original text, for messages.
        size_t at = cmdline.find(word.substr(0, std::min<size_t>(word.size(), 8)), search_from);
        int column = at == std::string_view::npos ? 0 : static_cast<int>(at) + 1;
        if (at != std::string_view::npos)
            search_from = at + 1;
        Mark mark { file, 1, column };

        std::string_view key = word;
        std::string_view value;
        bool has_value = false;
        if (size_t eq = key.find('='); eq != std::string_view::npos) {
            value = key.substr(eq + 1);
            key = key.substr(0, eq);
            has_value = true;
        }
        KeyPath path;
        if (key.starts_with("rancher."))
            path = split(key, '.');
        else if (key.starts_with("cc."))
            path = split(key.substr(3), '.');
        else
            continue;
        bool empty_segment = false;
        for (auto const& segment : path)
            empty_segment |= segment.empty();
        if (empty_segment) {
            result.warnings.push_back(mark.describe() + ": ignoring \"" + word + "\": empty key segment");
            continue;
        }
        Node node = has_value ? type_value(value, mark) : Node::boolean(true, mark);

        if (is_repeatable(path)) {
            if (const Node* existing = find_path(result.tree, path)) {
                Node list = existing->is_list() ? *existing : Node::list(mark);
                if (!existing->is_list())
                    list.push_back(*existing);
                if (node.is_list()) {
                    for (auto const& item : node.items())
                        list.push_back(item);
                } else {
                    list.push_back(node);
                }
                node = std::move(list);
            }
        }
        auto set = set_path(result.tree, path, std::move(node));
        if (set.is_error())
            result.warnings.push_back(mark.describe() + ": ignoring \"" + word + "\": " + set.error().message());
    }
    return result;
}

} // namespace corral::config
