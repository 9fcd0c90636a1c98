// /images/…: list, inspect, history, tag, remove, prune, load, save (get)
// and pull (create).

#include "api/handlers.h"
#include "api/request_bodies.h"
#include "api/json_views.h"

#include "base/base64.h"
#include "base/strings.h"
#include "base/system.h"
#include "engine/engine.h"
#include "image/archive.h"
#include "image/reference.h"
#include "image/registry.h"

#include <fnmatch.h>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace corral::api {

namespace {

nlohmann::json image_config(engine::Engine& engine, const image::ImageRecord& record)
{
    auto text = engine.images().read_blob(record.id);
    if (text.is_error())
        return nlohmann::json::object();
    auto json = nlohmann::json::parse(*text, nullptr, false);
    return json.is_discarded() ? nlohmann::json::object() : json;
}

ErrorOr<image::ImageRecord> find_image(engine::Engine& engine, const std::string& name)
{
    auto record = engine.images().resolve(name);
    if (record.is_error())
        return Error::from_string("No such image: " + name, ENOENT);
    return record;
}

std::optional<Response> list(Context& ctx, Request& request, const Params&, Connection&)
{
    auto filters = TRY_RESPONSE(
        parse_filter_args(request.param("filters").value_or(""), { "dangling", "reference", "label" }));
    nlohmann::json out = nlohmann::json::array();
    for (auto const& record : ctx.engine.images().list()) {
        if (filters.contains("dangling") && !filters["dangling"].empty()) {
            bool want_dangling = filters["dangling"].front() == "true" || filters["dangling"].front() == "1";
            if (record.references.empty() != want_dangling)
                continue;
        }
        // As dockerd: only the names that match are listed, and an image
        // none of whose names match is left out. Patterns match as Go's
        // path.Match, where * stops at a slash.
        image::ImageRecord shown = record;
        if (filters.contains("reference")) {
            shown.references.clear();
            for (auto const& ref : record.references) {
                auto parsed = image::Reference::parse(ref);
                std::string familiar = parsed.is_error() ? ref : parsed->familiar();
                std::string familiar_name = parsed.is_error() ? ref : parsed->familiar_name();
                for (auto const& pattern : filters["reference"]) {
                    if (::fnmatch(pattern.c_str(), familiar.c_str(), FNM_PATHNAME) == 0
                        || ::fnmatch(pattern.c_str(), familiar_name.c_str(), FNM_PATHNAME) == 0) {
                        shown.references.push_back(ref);
                        break;
                    }
                }
            }
            if (shown.references.empty())
                continue;
        }
        auto config = image_config(ctx.engine, record);
        if (filters.contains("label")) {
            auto labels = config.contains("config") && config["config"].is_object() && config["config"].contains("Labels")
                    && config["config"]["Labels"].is_object()
                ? config["config"]["Labels"]
                : nlohmann::json::object();
            bool all = true;
            for (auto const& want : filters["label"]) {
                auto eq = want.find('=');
                std::string key = want.substr(0, eq);
                if (!labels.contains(key) || (eq != std::string::npos && labels[key] != want.substr(eq + 1)))
                    all = false;
            }
            if (!all)
                continue;
        }
        out.push_back(image_summary_json(shown, config));
    }
    return json_response(200, out.dump());
}

std::optional<Response> inspect(Context& ctx, Request&, const Params& params, Connection&)
{
    auto record = TRY_RESPONSE(find_image(ctx.engine, params.at("name")));
    return json_response(200, image_inspect_json(record, image_config(ctx.engine, record)).dump());
}

std::optional<Response> history(Context& ctx, Request&, const Params& params, Connection&)
{
    auto record = TRY_RESPONSE(find_image(ctx.engine, params.at("name")));
    std::vector<int64_t> sizes;
    for (auto const& chain_id : record.chain()) {
        auto layer = ctx.engine.images().layer(chain_id);
        sizes.push_back(layer.is_error() ? 0 : layer->size);
    }
    return json_response(200, image_history_json(record, image_config(ctx.engine, record), sizes).dump());
}

std::optional<Response> tag(Context& ctx, Request& request, const Params& params, Connection&)
{
    auto record = TRY_RESPONSE(find_image(ctx.engine, params.at("name")));
    std::string repo = request.param("repo").value_or("");
    std::string tag = request.param("tag").value_or("");
    if (repo.empty())
        return error_response(400, "repository name must have at least one component");
    auto reference = image::Reference::parse(repo + (tag.empty() ? "" : ":" + tag));
    if (reference.is_error())
        return error_response(400, reference.error().message());
    if (!reference->digest && reference->tag.empty())
        reference->tag = "latest";
    TRY_RESPONSE(ctx.engine.images().tag(*reference, record.id));
    ctx.events.publish(image_event("tag", record.id.str(), reference->familiar()));
    return Response { 201, "", "", {} };
}

std::optional<Response> remove(Context& ctx, Request& request, const Params& params, Connection&)
{
    auto deletion = ctx.engine.remove_image(params.at("name"), request.flag("force"));
    if (deletion.is_error()) {
        if (deletion.error().code() == ENOENT)
            return error_response(404, "No such image: " + params.at("name"));
        return engine_error(deletion.error());
    }
    nlohmann::json out = nlohmann::json::array();
    for (auto const& untagged : deletion->untagged) {
        auto parsed = image::Reference::parse(untagged);
        std::string shown = parsed.is_error() ? untagged : parsed->familiar();
        out.push_back({ { "Untagged", shown } });
        ctx.events.publish(image_event("untag", "", shown));
    }
    for (auto const& deleted : deletion->deleted) {
        out.push_back({ { "Deleted", deleted.str() } });
        ctx.events.publish(image_event("delete", deleted.str(), deleted.str()));
    }
    return json_response(200, out.dump());
}

std::optional<Response> prune(Context& ctx, Request& request, const Params&, Connection&)
{
    // dangling=false prunes every unused image, not only untagged ones.
    auto filters = TRY_RESPONSE(parse_filter_args(request.param("filters").value_or(""), { "dangling" }));
    bool all = false;
    for (auto const& value : filters["dangling"])
        all = all || value == "false" || value == "0";
    auto deletion = TRY_RESPONSE(ctx.engine.prune_images(all));
    nlohmann::json deleted = nlohmann::json::array();
    for (auto const& untagged : deletion.untagged)
        deleted.push_back({ { "Untagged", untagged } });
    for (auto const& id : deletion.deleted)
        deleted.push_back({ { "Deleted", id.str() } });
    return json_response(200,
        nlohmann::json { { "ImagesDeleted", deleted.empty() ? nlohmann::json(nullptr) : deleted },
            { "SpaceReclaimed", deletion.reclaimed } }
            .dump());
}

// docker load: the body (a tar stream, possibly gigabytes) goes through a
// pipe into the loader as it arrives.
std::optional<Response> load(Context& ctx, Request& request, const Params&, Connection& connection)
{
    auto pipe = sys::pipe();
    if (pipe.is_error())
        return engine_error(pipe.error());
    auto [read_end, write_end] = pipe.release_value();
    std::optional<Error> body_error;
    std::thread feeder([&, fd = std::move(write_end)]() mutable {
        std::string chunk;
        while (true) {
            chunk.clear();
            auto more = connection.read_body(chunk);
            if (more.is_error()) {
                body_error = more.release_error();
                break;
            }
            if (!chunk.empty() && sys::write_all(fd.get(), chunk).is_error())
                break; // the loader stopped reading: it has its error
            if (!*more)
                break;
        }
        fd.reset();
    });
    auto loaded = image::load_archive(ctx.engine.images(), read_end.get());
    read_end.reset(); // a feeder still writing gets EPIPE and stops
    feeder.join();
    if (loaded.is_error()) {
        std::string message = body_error ? body_error->message() : loaded.error().message();
        return error_response(status_for(loaded.error()) == 500 ? 500 : 400, message);
    }
    std::string body;
    // `quiet` hides progress bars, which a load here has none of; the
    // "Loaded image" lines are shown either way, as dockerd does.
    for (auto const& message : loaded->messages)
        body += nlohmann::json { { "stream", message + "\n" } }.dump() + "\n";
    for (auto const& image : loaded->images)
        ctx.events.publish(image_event("load", image.id.str(), image.references.empty() ? image.id.str() : image.references.front()));
    Response response;
    response.body = body;
    return response;
}

// docker save: the archive is written into a pipe by a thread and streamed
// to the client as it comes.
std::optional<Response> save(Context& ctx, Request& request, const Params& params, Connection& connection)
{
    std::vector<std::string> names;
    if (auto name = params.find("name"); name != params.end())
        names.push_back(name->second);
    for (auto [it, end] = request.query.equal_range("names"); it != end; ++it)
        names.push_back(it->second);
    if (names.empty())
        return error_response(400, "no images given");
    for (auto const& name : names)
        TRY_RESPONSE(find_image(ctx.engine, name));
    auto pipe = sys::pipe();
    if (pipe.is_error())
        return engine_error(pipe.error());
    auto [read_end, write_end] = pipe.release_value();
    std::optional<Error> save_error;
    std::thread writer([&, fd = std::move(write_end)]() mutable {
        auto saved = image::save_archive(ctx.engine.images(), names, fd.get());
        if (saved.is_error())
            save_error = saved.release_error();
        fd.reset();
    });
    bool ok = !connection.begin_stream(200, "application/x-tar").is_error();
    char buffer[64 * 1024];
    while (true) {
        ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (ok && connection.write_chunk(std::string_view(buffer, static_cast<size_t>(n))).is_error())
            ok = false; // keep draining so that the writer finishes
    }
    read_end.reset();
    writer.join();
    // An error midway can only cut the stream short: the status is gone.
    if (ok && !save_error)
        (void)connection.end_stream();
    return std::nullopt;
}

ErrorOr<image::RegistryCredentials> credentials_from_header(const Request& request)
{
    image::RegistryCredentials out;
    auto header = request.headers.find("x-registry-auth");
    if (header == request.headers.end() || header->second.empty())
        return out;
    // URL-safe base64 of a JSON AuthConfig, padding optional.
    std::string text = header->second;
    for (auto& c : text) {
        if (c == '-')
            c = '+';
        else if (c == '_')
            c = '/';
    }
    while (text.size() % 4)
        text += '=';
    auto decoded = base64_decode(text);
    if (decoded.is_error())
        return Error::from_string("invalid X-Registry-Auth header", EINVAL);
    auto json = nlohmann::json::parse(*decoded, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        return out; // docker sends "{}"-like placeholders; no credentials then
    out.username = json.value("username", "");
    out.password = json.value("password", "");
    out.auth = json.value("auth", "");
    out.identitytoken = json.value("identitytoken", "");
    return out;
}

std::optional<Response> pull(Context& ctx, Request& request, const Params&, Connection& connection)
{
    std::string from = request.param("fromImage").value_or("");
    std::string tag = request.param("tag").value_or("");
    if (from.empty())
        return error_response(400, "fromSrc (import) is not supported; give fromImage");
    std::string text = from;
    if (!tag.empty())
        text += (tag.starts_with("sha256:") ? "@" : ":") + tag;
    auto reference = image::Reference::parse(text);
    if (reference.is_error())
        return error_response(400, reference.error().message());
    if (reference->tag.empty() && !reference->digest)
        reference->tag = "latest";
    image::RegistryOptions options;
    if (!ctx.info.registry_mirrors.empty())
        options.mirrors["docker.io"] = ctx.info.registry_mirrors;
    for (auto const& r : ctx.info.insecure_registries)
        options.insecure.insert(r);
    auto credentials = TRY_RESPONSE(credentials_from_header(request));
    if (!credentials.username.empty() || !credentials.auth.empty() || !credentials.identitytoken.empty())
        options.credentials[reference->domain] = credentials;

    if (connection.begin_stream(200, "application/json").is_error())
        return std::nullopt;
    std::mutex write_mutex;
    bool client_ok = true;
    auto progress = [&](const image::PullProgress& p) {
        nlohmann::json line { { "status", p.status } };
        if (!p.id.empty())
            line["id"] = p.id;
        if (p.total > 0) {
            line["progressDetail"] = { { "current", p.current }, { "total", p.total } };
        } else {
            line["progressDetail"] = nlohmann::json::object();
        }
        std::lock_guard lock(write_mutex);
        if (client_ok && connection.write_chunk(line.dump() + "\r\n").is_error())
            client_ok = false;
    };
    auto pulled = image::pull(ctx.engine.images(), *reference, options, progress);
    if (pulled.is_error()) {
        // Mid-stream, errors are a JSON message, as dockerd's.
        nlohmann::json line { { "errorDetail", { { "message", pulled.error().message() } } },
            { "error", pulled.error().message() } };
        (void)connection.write_chunk(line.dump() + "\r\n");
    } else {
        ctx.events.publish(image_event("pull", pulled->id.str(), reference->familiar()));
    }
    (void)connection.end_stream();
    return std::nullopt;
}

} // namespace

void add_image_routes(Router& router)
{
    router.add({ "GET", "/images/json", list });
    router.add({ "POST", "/images/prune", prune });
    router.add({ "POST", "/images/load", load, true });
    router.add({ "GET", "/images/get", save });
    router.add({ "POST", "/images/create", pull });
    router.add({ "GET", "/images/{name*}/json", inspect });
    router.add({ "GET", "/images/{name*}/history", history });
    router.add({ "GET", "/images/{name*}/get", save });
    router.add({ "POST", "/images/{name*}/tag", tag });
    router.add({ "DELETE", "/images/{name*}", remove });
}

} // namespace corral::api
