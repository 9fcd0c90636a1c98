#pragma once

// The small JSON inputs of the API, read from untrusted clients: the bodies
// of exec create, exec start and volume create, and the `filters` query of
// the image and volume routes. Pure functions (no engine), so that one fuzz
// target covers every one of them. Errors are EINVAL with the field named,
// which the handlers answer with a 400.

#include "base/error.h"

#include <initializer_list>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace corral::api {

// POST /containers/{id}/exec
struct ExecCreateBody {
    std::vector<std::string> cmd;
    std::vector<std::string> env;
    std::string user;
    std::string working_dir;
    bool tty { false };
    bool attach_stdin { false };
    bool attach_stdout { false };
    bool attach_stderr { false };
    bool privileged { false };
    std::string detach_keys; // checked: parse_detach_keys() accepts it
};
ErrorOr<ExecCreateBody> parse_exec_create(const nlohmann::json& body);

// POST /exec/{id}/start: whether to detach (an empty body is {}).
ErrorOr<bool> parse_exec_start(const nlohmann::json& body);

// POST /volumes/create
struct VolumeCreateBody {
    std::string name; // empty: a generated name
    std::string driver { "local" };
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> driver_opts;
};
ErrorOr<VolumeCreateBody> parse_volume_create(const nlohmann::json& body);

// Docker's `filters` query: a JSON object of key → values, either
// {"k":["v",…]} or the older {"k":{"v":true}}. Keys outside `accepted` are
// refused as dockerd does ("invalid filter 'k'").
using FilterArgs = std::map<std::string, std::vector<std::string>>;
ErrorOr<FilterArgs> parse_filter_args(std::string_view raw, std::initializer_list<std::string_view> accepted);

} // namespace corral::api
