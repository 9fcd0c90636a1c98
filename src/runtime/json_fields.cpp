#include "runtime/json_fields.h"

#include <cctype>

namespace corral::runtime {

using nlohmann::json;

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return true;
}

} // namespace

ErrorOr<JsonFields> JsonFields::open(const json& value, std::string path)
{
    if (value.is_null())
        return JsonFields(nullptr, std::move(path));
    if (!value.is_object())
        return Error::from_string((path.empty() ? std::string("body") : path) + ": expected an object");
    return JsonFields(&value, std::move(path));
}

const json* JsonFields::find(std::string_view key) const
{
    if (!m_object)
        return nullptr;
    const json* found = nullptr;
    if (auto it = m_object->find(key); it != m_object->end()) {
        found = &*it;
    } else {
        // Go's encoding/json falls back to a case-insensitive match.
        for (auto const& [name, value] : m_object->items()) {
            if (equal_ignoring_case(name, key)) {
                found = &value;
                break;
            }
        }
    }
    if (!found || found->is_null())
        return nullptr;
    return found;
}

std::string JsonFields::path_of(std::string_view key) const
{
    if (m_path.empty())
        return std::string(key);
    return m_path + "." + std::string(key);
}

Error JsonFields::type_error(std::string_view key, std::string_view expected) const
{
    return Error::from_string(path_of(key) + ": expected " + std::string(expected));
}

ErrorOr<std::string> JsonFields::string(std::string_view key) const
{
    const json* value = find(key);
    if (!value)
        return std::string();
    if (!value->is_string())
        return type_error(key, "a string");
    return value->get<std::string>();
}

ErrorOr<bool> JsonFields::boolean(std::string_view key) const
{
    auto value = TRY(optional_boolean(key));
    return value.value_or(false);
}

ErrorOr<std::optional<bool>> JsonFields::optional_boolean(std::string_view key) const
{
    const json* value = find(key);
    if (!value)
        return std::optional<bool>();
    if (!value->is_boolean())
        return type_error(key, "a boolean");
    return std::optional<bool>(value->get<bool>());
}

ErrorOr<int64_t> JsonFields::integer(std::string_view key, int64_t min, int64_t max) const
{
    auto value = TRY(optional_integer(key, min, max));
    return value.value_or(0);
}

ErrorOr<std::optional<int64_t>> JsonFields::optional_integer(std::string_view key, int64_t min, int64_t max) const
{
    const json* value = find(key);
    if (!value)
        return std::optional<int64_t>();
    if (!value->is_number_integer())
        return type_error(key, "an integer");
    bool in_range = false;
    int64_t number = 0;
    if (value->is_number_unsigned()) {
        uint64_t u = value->get<uint64_t>();
        in_range = u <= static_cast<uint64_t>(max);
        number = static_cast<int64_t>(u);
    } else {
        number = value->get<int64_t>();
        in_range = number >= min && number <= max;
    }
    if (!in_range || number < min)
        return type_error(key, "an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return std::optional<int64_t>(number);
}

ErrorOr<std::vector<std::string>> JsonFields::strings(std::string_view key) const
{
    std::vector<std::string> out;
    const json* value = find(key);
    if (!value)
        return out;
    if (!value->is_array())
        return type_error(key, "an array of strings");
    for (auto const& item : *value) {
        if (!item.is_string())
            return type_error(key, "an array of strings");
        out.push_back(item.get<std::string>());
    }
    return out;
}

ErrorOr<std::optional<std::vector<std::string>>> JsonFields::string_slice(std::string_view key) const
{
    const json* value = find(key);
    if (!value)
        return std::optional<std::vector<std::string>>();
    if (value->is_string())
        return std::optional<std::vector<std::string>>(std::vector<std::string> { value->get<std::string>() });
    if (!value->is_array())
        return type_error(key, "a string or an array of strings");
    return std::optional<std::vector<std::string>>(TRY(strings(key)));
}

ErrorOr<std::map<std::string, std::string>> JsonFields::string_map(std::string_view key) const
{
    std::map<std::string, std::string> out;
    const json* value = find(key);
    if (!value)
        return out;
    if (!value->is_object())
        return type_error(key, "an object of strings");
    for (auto const& [name, item] : value->items()) {
        if (!item.is_string())
            return Error::from_string(path_of(key) + "." + name + ": expected a string");
        out[name] = item.get<std::string>();
    }
    return out;
}

ErrorOr<std::vector<std::string>> JsonFields::set_keys(std::string_view key) const
{
    std::vector<std::string> out;
    const json* value = find(key);
    if (!value)
        return out;
    if (!value->is_object())
        return type_error(key, "an object");
    for (auto const& [name, item] : value->items())
        out.push_back(name);
    return out;
}

ErrorOr<JsonFields> JsonFields::object(std::string_view key) const
{
    const json* value = find(key);
    if (!value)
        return JsonFields(nullptr, path_of(key));
    if (!value->is_object())
        return type_error(key, "an object");
    return JsonFields(value, path_of(key));
}

} // namespace corral::runtime
