#include "api/request_bodies.h"

#include "api/detach_keys.h"

#include <nlohmann/json.hpp>

namespace corral::api {

namespace {

using nlohmann::json;

// Go's json.Unmarshal wording, which clients show as is.
Error type_error(std::string_view what, std::string_view field, std::string_view expected)
{
    return Error::from_string(std::string(what) + ": " + std::string(field) + " must be " + std::string(expected), EINVAL);
}

ErrorOr<void> read_bool(const json& body, std::string_view what, const char* field, bool& out)
{
    auto it = body.find(field);
    if (it == body.end() || it->is_null())
        return {};
    if (!it->is_boolean())
        return type_error(what, field, "a boolean");
    out = it->get<bool>();
    return {};
}

ErrorOr<void> read_string(const json& body, std::string_view what, const char* field, std::string& out)
{
    auto it = body.find(field);
    if (it == body.end() || it->is_null())
        return {};
    if (!it->is_string())
        return type_error(what, field, "a string");
    out = it->get<std::string>();
    return {};
}

ErrorOr<void> read_strings(const json& body, std::string_view what, const char* field, std::vector<std::string>& out)
{
    auto it = body.find(field);
    if (it == body.end() || it->is_null())
        return {};
    // The docker CLI sends a list; a single string is taken as one item, as
    // Go's strslice does.
    if (it->is_string()) {
        out = { it->get<std::string>() };
        return {};
    }
    if (!it->is_array())
        return type_error(what, field, "a list of strings");
    for (auto const& item : *it) {
        if (!item.is_string())
            return type_error(what, field, "a list of strings");
        out.push_back(item.get<std::string>());
    }
    return {};
}

ErrorOr<void> read_string_map(
    const json& body, std::string_view what, const char* field, std::map<std::string, std::string>& out)
{
    auto it = body.find(field);
    if (it == body.end() || it->is_null())
        return {};
    if (!it->is_object())
        return type_error(what, field, "an object of strings");
    for (auto const& [key, value] : it->items()) {
        if (!value.is_string())
            return type_error(what, std::string(field) + "." + key, "a string");
        out[key] = value.get<std::string>();
    }
    return {};
}

ErrorOr<void> expect_object(const json& body, std::string_view what)
{
    if (!body.is_object() && !body.is_null())
        return Error::from_string(std::string(what) + ": the body must be a JSON object", EINVAL);
    return {};
}

} // namespace

ErrorOr<ExecCreateBody> parse_exec_create(const nlohmann::json& body)
{
    constexpr std::string_view what = "invalid exec config";
    TRY(expect_object(body, what));
    ExecCreateBody out;
    if (body.is_null())
        return out;
    TRY(read_strings(body, what, "Cmd", out.cmd));
    TRY(read_strings(body, what, "Env", out.env));
    TRY(read_string(body, what, "User", out.user));
    TRY(read_string(body, what, "WorkingDir", out.working_dir));
    TRY(read_bool(body, what, "Tty", out.tty));
    TRY(read_bool(body, what, "AttachStdin", out.attach_stdin));
    TRY(read_bool(body, what, "AttachStdout", out.attach_stdout));
    TRY(read_bool(body, what, "AttachStderr", out.attach_stderr));
    TRY(read_bool(body, what, "Privileged", out.privileged));
    TRY(read_string(body, what, "DetachKeys", out.detach_keys));
    TRY(parse_detach_keys(out.detach_keys));
    return out;
}

ErrorOr<bool> parse_exec_start(const nlohmann::json& body)
{
    constexpr std::string_view what = "invalid exec start config";
    TRY(expect_object(body, what));
    bool detach = false;
    if (body.is_object())
        TRY(read_bool(body, what, "Detach", detach));
    return detach;
}

ErrorOr<VolumeCreateBody> parse_volume_create(const nlohmann::json& body)
{
    constexpr std::string_view what = "invalid volume config";
    TRY(expect_object(body, what));
    VolumeCreateBody out;
    if (body.is_null())
        return out;
    TRY(read_string(body, what, "Name", out.name));
    TRY(read_string(body, what, "Driver", out.driver));
    if (out.driver.empty())
        out.driver = "local";
    TRY(read_string_map(body, what, "Labels", out.labels));
    TRY(read_string_map(body, what, "DriverOpts", out.driver_opts));
    return out;
}

ErrorOr<FilterArgs> parse_filter_args(std::string_view raw, std::initializer_list<std::string_view> accepted)
{
    FilterArgs filters;
    if (raw.empty())
        return filters;
    auto parsed = json::parse(raw, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object())
        return Error::from_string("invalid filter: " + std::string(raw), EINVAL);
    for (auto const& [key, value] : parsed.items()) {
        bool known = false;
        for (auto name : accepted)
            known = known || name == key;
        if (!known)
            return Error::from_string("invalid filter '" + key + "'", EINVAL);
        auto& values = filters[key];
        if (value.is_array()) {
            for (auto const& v : value) {
                if (!v.is_string())
                    return Error::from_string("invalid filter '" + key + "': values must be strings", EINVAL);
                values.push_back(v.get<std::string>());
            }
        } else if (value.is_object()) {
            for (auto const& [v, on] : value.items())
                values.push_back(v);
        } else {
            return Error::from_string("invalid filter '" + key + "': expected a list of values", EINVAL);
        }
    }
    return filters;
}

} // namespace corral::api
