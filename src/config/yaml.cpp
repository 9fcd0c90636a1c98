#include "config/yaml.h"

#include "base/base64.h"

#include <algorithm>
#include <yaml-cpp/yaml.h>

namespace corral::config {

namespace {

// The offset of the first byte that is not part of valid UTF-8 (overlong forms,
// surrogates and values past U+10FFFF included), or npos.
size_t invalid_utf8_at(std::string_view text)
{
    size_t i = 0;
    while (i < text.size()) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        int extra = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
        if (extra < 0)
            return i;
        uint32_t cp = extra == 1 ? c & 0x1F : extra == 2 ? c & 0x0F : c & 0x07;
        for (int k = 1; k <= extra; ++k) {
            if (i + static_cast<size_t>(k) >= text.size())
                return i;
            unsigned char next = static_cast<unsigned char>(text[i + static_cast<size_t>(k)]);
            if ((next & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (next & 0x3F);
        }
        static constexpr uint32_t MINIMUM[] = { 0, 0x80, 0x800, 0x10000 };
        if (cp < MINIMUM[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += static_cast<size_t>(extra) + 1;
    }
    return std::string_view::npos;
}

} // namespace

namespace {

class Converter {
public:
    explicit Converter(const std::string& file_name)
        : m_file(std::make_shared<const std::string>(file_name))
    {
    }

    ErrorOr<Node> convert(const YAML::Node& in, size_t depth)
    {
        Mark mark = mark_of(in);
        if (++m_count > MAX_YAML_NODES)
            return error_at(mark, "document expands to more than " + std::to_string(MAX_YAML_NODES) + " nodes");
        if (depth > MAX_YAML_DEPTH)
            return error_at(mark, "nesting deeper than " + std::to_string(MAX_YAML_DEPTH) + " levels");
        switch (in.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null:
            return Node::scalar(in.Scalar(), ScalarKind::Null, mark);
        case YAML::NodeType::Scalar:
            return convert_scalar(in, mark);
        case YAML::NodeType::Sequence: {
            Node out = Node::list(mark);
            for (auto const& item : in)
                out.push_back(TRY(convert(item, depth + 1)));
            return out;
        }
        case YAML::NodeType::Map: {
            Node out = Node::map(mark);
            for (auto const& pair : in) {
                Mark key_mark = mark_of(pair.first);
                if (!pair.first.IsScalar())
                    return error_at(key_mark, "a map key must be a scalar");
                std::string key = pair.first.Scalar();
                if (invalid_utf8_at(key) != std::string_view::npos)
                    return error_at(key_mark, "the key is not valid UTF-8 (write the character as \\u00XX)");
                if (out.find(key))
                    return error_at(key_mark, "duplicate key \"" + key + "\"");
                Node value = TRY(convert(pair.second, depth + 1));
                // A key with no value (`key:`) has no useful position of its own.
                if (value.is_null() && value.mark().line == 0)
                    value.set_mark(key_mark);
                out.set(std::move(key), std::move(value), key_mark);
            }
            return out;
        }
        }
        return error_at(mark, "unknown YAML node type");
    }

private:
    ErrorOr<Node> convert_scalar(const YAML::Node& in, const Mark& mark)
    {
        const std::string& tag = in.Tag();
        const std::string& text = in.Scalar();
        // yaml-cpp 0.7 turns some escapes ("\_", U+00A0) into a raw byte rather
        // than UTF-8; refuse what is then not UTF-8 rather than pass it on.
        if (invalid_utf8_at(text) != std::string_view::npos)
            return error_at(mark, "the string is not valid UTF-8 (write the character as \\u00XX)");
        if (tag == "?" || tag.empty())
            return Node::plain(text, mark);
        if (tag == "!" || tag == "tag:yaml.org,2002:str")
            return Node::string(text, mark);
        if (tag == "tag:yaml.org,2002:bool") {
            if (!parse_yaml_bool(text))
                return error_at(mark, "\"" + text + "\" is not a !!bool");
            return Node::scalar(text, ScalarKind::Bool, mark);
        }
        if (tag == "tag:yaml.org,2002:int") {
            if (!parse_yaml_int(text))
                return error_at(mark, "\"" + text + "\" is not an !!int");
            return Node::scalar(text, ScalarKind::Int, mark);
        }
        if (tag == "tag:yaml.org,2002:float") {
            if (!parse_yaml_float(text) && !parse_yaml_int(text))
                return error_at(mark, "\"" + text + "\" is not a !!float");
            return Node::scalar(text, ScalarKind::Float, mark);
        }
        if (tag == "tag:yaml.org,2002:binary") {
            std::string compact;
            for (char c : text) {
                if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
                    compact += c;
            }
            if (base64_decode(compact).is_error())
                return error_at(mark, "!!binary value is not valid base64");
            return Node::scalar(std::move(compact), ScalarKind::Binary, mark);
        }
        if (tag == "tag:yaml.org,2002:null")
            return Node::scalar(text, ScalarKind::Null, mark);
        return error_at(mark, "unsupported tag " + tag);
    }

    Mark mark_of(const YAML::Node& node) const
    {
        YAML::Mark m = node.Mark();
        if (m.is_null())
            return Mark { m_file, 0, 0 };
        return Mark { m_file, m.line + 1, m.column + 1 };
    }

    Error error_at(const Mark& mark, const std::string& what) const
    {
        return Error::from_string(mark.describe() + ": " + what);
    }

    std::shared_ptr<const std::string> m_file;
    size_t m_count { 0 };
};

} // namespace

ErrorOr<Node> parse_yaml(std::string_view text, const std::string& file_name)
{
    if (text.find('\0') != std::string_view::npos)
        return Error::from_string(file_name + ": contains a NUL byte; not a YAML file");
    if (size_t bad = invalid_utf8_at(text); bad != std::string_view::npos) {
        int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(bad), '\n'));
        size_t newline = bad == 0 ? std::string_view::npos : text.rfind('\n', bad - 1);
        size_t line_start = newline == std::string_view::npos ? 0 : newline + 1;
        int column = static_cast<int>(bad - line_start) + 1;
        return Error::from_string(file_name + ":" + std::to_string(line) + ":" + std::to_string(column) + ": not valid UTF-8");
    }
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        std::string where = file_name;
        if (!e.mark.is_null())
            where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
        return Error::from_string(where + ": " + e.msg);
    } catch (const std::exception& e) {
        return Error::from_string(file_name + ": " + e.what());
    }
    try {
        Converter converter(file_name);
        return converter.convert(root, 0);
    } catch (const std::exception& e) {
        // yaml-cpp can throw while walking a node (bad conversions, allocation).
        return Error::from_string(file_name + ": " + e.what());
    }
}

} // namespace corral::config
