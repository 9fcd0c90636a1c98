// /volumes/… and /networks/….

#include "api/handlers.h"
#include "api/json_views.h"
#include "api/request_bodies.h"

#include "engine/engine.h"

namespace corral::api {

namespace {

std::optional<Response> list_volumes(Context& ctx, Request& request, const Params&, Connection&)
{
    auto filters = TRY_RESPONSE(
        parse_filter_args(request.param("filters").value_or(""), { "name", "label", "dangling", "driver" }));
    std::set<std::string> used;
    for (auto const& c : ctx.engine.list()) {
        for (auto const& m : c.mounts)
            if (m.type == "volume")
                used.insert(m.name);
    }
    std::vector<std::string> warnings;
    auto volumes = TRY_RESPONSE(ctx.engine.volumes().list(&warnings));
    nlohmann::json out = nlohmann::json::array();
    for (auto const& v : volumes) {
        bool keep = true;
        for (auto const& name : filters["name"])
            keep = keep && v.name.find(name) != std::string::npos;
        for (auto const& driver : filters["driver"])
            keep = keep && v.driver == driver;
        for (auto const& dangling : filters["dangling"])
            keep = keep && ((dangling == "true" || dangling == "1") == !used.contains(v.name));
        if (!filters["label"].empty()) {
            engine::VolumePruneFilter label_filter;
            label_filter.labels = filters["label"];
            keep = keep && engine::matches_labels(label_filter, v.labels);
        }
        if (keep)
            out.push_back(volume_json(v));
    }
    nlohmann::json body { { "Volumes", out }, { "Warnings", warnings.empty() ? nlohmann::json(nullptr) : nlohmann::json(warnings) } };
    return json_response(200, body.dump());
}

std::optional<Response> create_volume(Context& ctx, Request& request, const Params&, Connection&)
{
    auto body = TRY_RESPONSE(parse_json_body(request));
    auto parsed = TRY_RESPONSE(parse_volume_create(body));
    if (parsed.driver != "local")
        return error_response(404, "plugin \"" + parsed.driver + "\" not found");
    auto volume = ctx.engine.volumes().create(parsed.name, parsed.labels, parsed.driver_opts);
    if (volume.is_error())
        return engine_error(volume.error());
    ctx.events.publish(volume_event("create", volume->name));
    return json_response(201, volume_json(*volume).dump());
}

std::optional<Response> inspect_volume(Context& ctx, Request&, const Params& params, Connection&)
{
    auto volume = ctx.engine.volumes().get(params.at("name"));
    if (volume.is_error())
        return engine_error(volume.error());
    return json_response(200, volume_json(*volume).dump());
}

std::optional<Response> remove_volume(Context& ctx, Request& request, const Params& params, Connection&)
{
    auto removed = ctx.engine.remove_volume(params.at("name"), request.flag("force"));
    if (removed.is_error())
        return engine_error(removed.error());
    ctx.events.publish(volume_event("destroy", params.at("name")));
    return Response { 204, "", "", {} };
}

std::optional<Response> prune_volumes(Context& ctx, Request& request, const Params&, Connection&)
{
    engine::VolumePruneFilter filter;
    // API < 1.42 prunes every unused volume, anonymous or named.
    filter.all = !request.version_at_least("1.42");
    auto filters
        = TRY_RESPONSE(parse_filter_args(request.param("filters").value_or(""), { "label", "label!", "all" }));
    for (auto const& [key, values] : filters) {
        if (key == "label")
            filter.labels = values;
        else if (key == "label!")
            filter.labels_not = values;
        else if (key == "all")
            filter.all = !values.empty() && (values[0] == "true" || values[0] == "1");
    }
    auto report = TRY_RESPONSE(ctx.engine.prune_volumes(filter));
    nlohmann::json removed = nlohmann::json::array();
    for (auto const& name : report.removed) {
        removed.push_back(name);
        ctx.events.publish(volume_event("destroy", name));
    }
    return json_response(200,
        nlohmann::json { { "VolumesDeleted", removed.empty() ? nlohmann::json(nullptr) : removed },
            { "SpaceReclaimed", report.reclaimed } }
            .dump());
}

// The engine has no bridge: the networks are the host's and none.
nlohmann::json network_json(const std::string& name)
{
    std::string driver = name == "host" ? "host" : "null";
    // Stable IDs, as dockerd's are stable for the life of its data root.
    std::string id = name == "host" ? std::string(64, '1') : std::string(64, '0');
    return {
        { "Name", name }, { "Id", id }, { "Created", "0001-01-01T00:00:00Z" }, { "Scope", "local" },
        { "Driver", driver }, { "EnableIPv6", false },
        { "IPAM", { { "Driver", "default" }, { "Options", nullptr }, { "Config", nlohmann::json::array() } } },
        { "Internal", false }, { "Attachable", false }, { "Ingress", false },
        { "ConfigFrom", { { "Network", "" } } }, { "ConfigOnly", false }, { "Containers", nlohmann::json::object() },
        { "Options", nlohmann::json::object() }, { "Labels", nlohmann::json::object() },
    };
}

std::optional<Response> list_networks(Context&, Request&, const Params&, Connection&)
{
    return json_response(200, nlohmann::json::array({ network_json("host"), network_json("none") }).dump());
}

std::optional<Response> inspect_network(Context&, Request&, const Params& params, Connection&)
{
    auto const& name = params.at("id");
    if (name == "host" || name == std::string(64, '1'))
        return json_response(200, network_json("host").dump());
    if (name == "none" || name == std::string(64, '0'))
        return json_response(200, network_json("none").dump());
    return error_response(404, "network " + name + " not found");
}

} // namespace

void add_volume_routes(Router& router)
{
    router.add({ "GET", "/volumes", list_volumes });
    router.add({ "POST", "/volumes/create", create_volume });
    router.add({ "POST", "/volumes/prune", prune_volumes });
    router.add({ "GET", "/volumes/{name}", inspect_volume });
    router.add({ "DELETE", "/volumes/{name}", remove_volume });
}

void add_network_routes(Router& router)
{
    router.add({ "GET", "/networks", list_networks });
    router.add({ "GET", "/networks/{id}", inspect_network });
}

} // namespace corral::api
