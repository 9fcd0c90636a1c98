#pragma once

// What the route handlers share.

#include "api/events.h"
#include "api/http.h"
#include "api/router.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace corral::engine {
class Engine;
}

namespace corral::api {

// TRY for handlers: an error becomes the response for it.
#define TRY_RESPONSE(expression)                                                    \
    ({                                                                              \
        auto _try_result = (expression);                                            \
        if (_try_result.is_error()) [[unlikely]]                                    \
            return ::corral::api::engine_error(_try_result.error());                \
        _try_result.release_value();                                                \
    })

// The response for an engine error: Docker's status for its errno and its
// message.
Response engine_error(const Error& error);

// The request body as JSON; an empty body is an empty object. EINVAL with
// Go's words for what does not parse.
ErrorOr<nlohmann::json> parse_json_body(const Request& request);

// Resolves an image name or ID to its ID ("sha256:…"), for filters.
std::function<std::optional<std::string>(const std::string&)> image_resolver(engine::Engine& engine);

// Image and volume events, which come from the API rather than the engine.
Event image_event(const std::string& action, const std::string& id, const std::string& name);
Event volume_event(const std::string& action, const std::string& name);

// Docker's timestamps for logs' since and until (unix seconds with an
// optional fraction, RFC 3339, or a duration back from now).
ErrorOr<struct timespec> parse_timestamp(const std::string& text);

// `docker top`: the container's processes as ps -ef shows them.
ErrorOr<nlohmann::json> container_processes(Context& ctx, const std::string& name_or_id, const std::string& ps_args);

} // namespace corral::api
