#pragma once

// Typed, path-naming access to the fields of a JSON object, for the Docker API
// structures. Internal to the runtime library.
//
// Docker's Go decoder is the model: a missing field or null is the zero value,
// a field of the wrong type is an error, names match exactly or else
// case-insensitively, and unknown fields are ignored. Errors name the field by
// its path: `HostConfig.Memory: expected an integer`.

#include "base/error.h"

#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral::runtime {

class JsonFields {
public:
    // `value` must be an object (or null, read as an empty object) and must
    // outlive the reader. `path` is the object's own path, "" at the top.
    static ErrorOr<JsonFields> open(const nlohmann::json& value, std::string path);

    // The field, or nullptr when it is absent or null.
    const nlohmann::json* find(std::string_view key) const;
    std::string path_of(std::string_view key) const;
    Error type_error(std::string_view key, std::string_view expected) const;

    ErrorOr<std::string> string(std::string_view key) const;
    ErrorOr<bool> boolean(std::string_view key) const;
    ErrorOr<std::optional<bool>> optional_boolean(std::string_view key) const;
    ErrorOr<int64_t> integer(std::string_view key, int64_t min = std::numeric_limits<int64_t>::min(),
        int64_t max = std::numeric_limits<int64_t>::max()) const;
    ErrorOr<std::optional<int64_t>> optional_integer(std::string_view key,
        int64_t min = std::numeric_limits<int64_t>::min(), int64_t max = std::numeric_limits<int64_t>::max()) const;
    // An array of strings; null is empty.
    ErrorOr<std::vector<std::string>> strings(std::string_view key) const;
    // Docker's StrSlice: an array of strings or a single string; null or absent
    // is nullopt, which callers keep apart from an empty array.
    ErrorOr<std::optional<std::vector<std::string>>> string_slice(std::string_view key) const;
    // An object of string values.
    ErrorOr<std::map<std::string, std::string>> string_map(std::string_view key) const;
    // An object used as a set ({"/data": {}}): its keys, sorted.
    ErrorOr<std::vector<std::string>> set_keys(std::string_view key) const;
    // A nested object, for reading its own fields.
    ErrorOr<JsonFields> object(std::string_view key) const;

private:
    JsonFields(const nlohmann::json* object, std::string path)
        : m_object(object)
        , m_path(std::move(path))
    {
    }

    const nlohmann::json* m_object; // nullptr: an empty object
    std::string m_path;
};

} // namespace corral::runtime
