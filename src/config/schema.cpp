#include "config/schema.h"

#include "config/model.h"

#include <type_traits>

namespace corral::config {

namespace {

Node encode(bool value) { return Node::boolean(value); }
Node encode(int64_t value) { return Node::integer(value); }
Node encode(const std::string& value) { return Node::string(value); }
Node encode(const StringOrList& value);
Node encode(const KeyValueList&) { return Node::map(); }
Node encode(const DottedMap&) { return Node::map(); }
Node encode(const ByteSize& value) { return Node::integer(value.bytes); }
Node encode(const Duration& value) { return Node::integer(value.milliseconds / 1000); }
Node encode(const Ulimit& value)
{
    Node out = Node::map();
    out.set("soft", Node::integer(value.soft));
    out.set("hard", Node::integer(value.hard));
    return out;
}
Node encode(const MountEntry&) { return Node::list(); }
template<typename T>
Node encode(const std::optional<T>& value);
template<typename T>
Node encode(const std::vector<T>& value);
template<typename T>
Node encode(const std::map<std::string, T>& value);
template<Visitable T>
Node encode(const T& value);

Node encode(const StringOrList& value)
{
    if (!value.is_list)
        return Node::string(value.string);
    return encode(value.list);
}

template<typename T>
Node encode(const std::optional<T>& value)
{
    return value ? encode(*value) : Node();
}

template<typename T>
Node encode(const std::vector<T>& value)
{
    Node out = Node::list();
    for (auto const& item : value)
        out.push_back(encode(item));
    return out;
}

template<typename T>
Node encode(const std::map<std::string, T>& value)
{
    Node out = Node::map();
    for (auto const& [key, item] : value)
        out.set(key, encode(item));
    return out;
}

struct FieldEncoder {
    Node out = Node::map();

    template<typename M>
    void operator()(std::string_view name, M& member)
    {
        out.set(std::string(name), encode(member));
    }
    template<typename M, typename C>
    void operator()(std::string_view name, M& member, C)
    {
        out.set(std::string(name), encode(member));
    }
};

template<Visitable T>
Node encode(const T& value)
{
    FieldEncoder encoder;
    const_cast<T&>(value).visit(encoder); // visit() only reads through the encoder
    return encoder.out;
}

template<typename T>
std::optional<Node> lookup(const KeyPath& path, size_t index);

template<typename T>
struct LookupTraits {
    static std::optional<Node> next(const KeyPath&, size_t) { return std::nullopt; }
};

template<typename T>
struct LookupTraits<std::optional<T>> {
    static std::optional<Node> next(const KeyPath& path, size_t index) { return lookup<T>(path, index); }
};

template<typename T>
struct LookupTraits<std::map<std::string, T>> {
    static std::optional<Node> next(const KeyPath& path, size_t index) { return lookup<T>(path, index + 1); }
};

// Maps of strings written as KEY=VALUE lists or dotted maps.
template<>
struct LookupTraits<KeyValueList> {
    static std::optional<Node> next(const KeyPath& path, size_t index)
    {
        return index + 1 == path.size() ? std::optional<Node>(Node::string("")) : std::nullopt;
    }
};
template<>
struct LookupTraits<DottedMap> : LookupTraits<KeyValueList> { };

template<typename T>
struct FieldFinder {
    const KeyPath& path;
    size_t index;
    std::optional<Node> result;

    template<typename M>
    void operator()(std::string_view name, M&)
    {
        if (name == path[index])
            result = lookup<M>(path, index + 1);
    }
    template<typename M, typename C>
    void operator()(std::string_view name, M& member, C)
    {
        (*this)(name, member);
    }
};

template<typename T>
std::optional<Node> lookup(const KeyPath& path, size_t index)
{
    if (index == path.size()) {
        if constexpr (std::is_default_constructible_v<T>)
            return encode(T {});
        else
            return std::nullopt;
    }
    if constexpr (Visitable<T>) {
        T value {};
        FieldFinder<T> finder { path, index, std::nullopt };
        value.visit(finder);
        return finder.result;
    } else {
        return LookupTraits<T>::next(path, index);
    }
}

} // namespace

std::optional<Node> schema_zero_value(const KeyPath& path)
{
    return lookup<CloudConfig>(path, 0);
}

} // namespace corral::config
