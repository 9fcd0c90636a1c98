#include "api/router.h"

#include "base/strings.h"

#include <cstdlib>

namespace corral::api {

namespace {

constexpr std::pair<int, int> MIN_VERSION { 1, 24 };
constexpr std::pair<int, int> MAX_VERSION { 1, 41 };

std::optional<std::pair<int, int>> parse_version(std::string_view text)
{
    auto dot = text.find('.');
    if (dot == std::string_view::npos)
        return std::nullopt;
    std::string major(text.substr(0, dot)), minor(text.substr(dot + 1));
    if (major.empty() || minor.empty() || major.find_first_not_of("0123456789") != std::string::npos
        || minor.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    return std::pair { std::atoi(major.c_str()), std::atoi(minor.c_str()) };
}

std::vector<std::string> segments(const std::string& path)
{
    std::vector<std::string> out;
    for (auto& part : split(path, '/')) {
        if (!part.empty())
            out.push_back(std::move(part));
    }
    return out;
}

bool match_segments(const std::vector<std::string>& pattern, size_t p, const std::vector<std::string>& path, size_t i,
    Params& params)
{
    if (p == pattern.size())
        return i == path.size();
    auto const& want = pattern[p];
    if (want.size() > 3 && want.front() == '{' && want.ends_with("*}")) {
        // Greedy but fair: as many segments as leave the rest matching.
        std::string name = want.substr(1, want.size() - 3);
        for (size_t end = path.size(); end > i; --end) {
            std::string joined;
            for (size_t k = i; k < end; ++k)
                joined += (k > i ? "/" : "") + path[k];
            params[name] = joined;
            if (match_segments(pattern, p + 1, path, end, params))
                return true;
        }
        params.erase(name);
        return false;
    }
    if (i == path.size())
        return false;
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        params[want.substr(1, want.size() - 2)] = path[i];
        return match_segments(pattern, p + 1, path, i + 1, params);
    }
    return want == path[i] && match_segments(pattern, p + 1, path, i + 1, params);
}

} // namespace

Router::Router(engine::Engine& engine, EventBus& events, DaemonInfo info)
    : m_engine(engine)
    , m_events(events)
    , m_info(std::move(info))
{
}

const Route* Router::match(const std::string& method, const std::string& path, Params& params) const
{
    auto parts = segments(path);
    for (auto const& route : m_routes) {
        // HEAD is answered as GET (dockerd does so for /_ping).
        if (route.method != method && !(method == "HEAD" && route.method == "GET"))
            continue;
        params.clear();
        if (match_segments(segments(route.pattern), 0, parts, 0, params))
            return &route;
    }
    return nullptr;
}

HttpHandler Router::http_handler()
{
    HttpHandler handler;
    handler.streams_body = [this](const Request& request) {
        Params params;
        auto const* route = match(request.method, request.path, params);
        return route && route->streams_body;
    };
    handler.handle = [this](Request& request, Connection& connection) { return dispatch(request, connection); };
    return handler;
}

std::optional<Response> Router::dispatch(Request& request, Connection& connection)
{
    auto version = parse_version(request.api_version);
    if (!version)
        return error_response(400, "invalid API version " + request.api_version);
    if (*version > MAX_VERSION)
        return error_response(400,
            "client version " + request.api_version + " is too new. Maximum supported API version is 1.41");
    if (*version < MIN_VERSION)
        return error_response(400, "client version " + request.api_version
                + " is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version");
    Params params;
    auto const* route = match(request.method, request.path, params);
    if (!route) {
        // 405 when the path exists under another method, as Go's mux does not;
        // dockerd answers 404 "page not found" for both.
        return error_response(404, "page not found");
    }
    Context context { m_engine, m_events, m_info };
    auto response = route->handler(context, request, params, connection);
    if (response && request.method == "HEAD")
        response->body.clear();
    return response;
}

std::unique_ptr<Router> make_router(engine::Engine& engine, EventBus& events, DaemonInfo info)
{
    auto router = std::make_unique<Router>(engine, events, std::move(info));
    add_system_routes(*router);
    add_container_routes(*router);
    add_stats_routes(*router);
    add_exec_routes(*router);
    add_image_routes(*router);
    add_volume_routes(*router);
    add_network_routes(*router);
    return router;
}

} // namespace corral::api
