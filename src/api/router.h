#pragma once

// Docker Engine API v1.41 routes over the engine: which handler answers
// which method and path, with the version rules (versions 1.24 to 1.41,
// with or without a /vX.Y prefix).

#include "api/http_connection.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace corral::engine {
class Engine;
}

namespace corral::api {

class EventBus;

// What the handlers know of the daemon around them.
struct DaemonInfo {
    std::string version { "20.10.24" }; // what `docker version` shows as the server's version
    std::string product_version; // CorralOS's own version
    std::string name; // the daemon's name in `docker info` (the hostname)
    std::string id; // a stable daemon ID
    std::string data_root;
    std::string exec_root;
    std::string logging_driver { "json-file" };
    bool live_restore { true };
    bool debug { false };
    std::vector<std::string> registry_mirrors;
    std::vector<std::string> insecure_registries;
};

using Params = std::map<std::string, std::string>;

struct Context {
    engine::Engine& engine;
    EventBus& events;
    const DaemonInfo& info;
};

using RouteHandler = std::function<std::optional<Response>(Context&, Request&, const Params&, Connection&)>;

struct Route {
    std::string method;
    std::string pattern; // "/containers/{id}/json"; "{name*}" takes one or more segments
    RouteHandler handler;
    bool streams_body { false };
};

class Router {
public:
    Router(engine::Engine& engine, EventBus& events, DaemonInfo info);

    void add(Route route) { m_routes.push_back(std::move(route)); }
    HttpHandler http_handler();

    // Exposed for tests: the route for a request, with its parameters.
    const Route* match(const std::string& method, const std::string& path, Params& params) const;

private:
    std::optional<Response> dispatch(Request& request, Connection& connection);

    engine::Engine& m_engine;
    EventBus& m_events;
    DaemonInfo m_info;
    std::vector<Route> m_routes;
};

// The handlers, grouped as the API reference groups them; each adds its routes.
void add_system_routes(Router& router);
void add_container_routes(Router& router);
void add_stats_routes(Router& router);
void add_exec_routes(Router& router);
void add_image_routes(Router& router);
void add_volume_routes(Router& router);
void add_network_routes(Router& router);

// A router with every route.
std::unique_ptr<Router> make_router(engine::Engine& engine, EventBus& events, DaemonInfo info);

} // namespace corral::api
