#pragma once

// The JSON bodies of the Docker Engine API v1.41 as dockerd 20.10 writes them,
// built from the engine's and the image store's records.
//
// The shapes follow dockerd 20.10's Go types (api/types): every field is
// present, a nil Go slice or map is null and an empty one is [] or {}, and
// `omitempty` fields are left out when zero. Defaults that dockerd fills in
// when it creates a container (NetworkMode "default", the log driver, ShmSize,
// IpcMode, …) are filled in here, so that a record keeps the request as the
// client sent it and the view still reads like dockerd's.
//
// Pure functions: no file system, no clock (callers pass `now`), no locks;
// the one system call is gethostname(2), see InspectExtras::host_hostname.
// Whatever a record does not hold (exec IDs, layer sizes, image names) the
// caller passes in. Object keys come out sorted (nlohmann::json), not in Go's
// field order; clients decode by name.

#include "base/error.h"
#include "engine/container.h"
#include "engine/volumes.h"
#include "image/store.h"

#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace corral::api {

// The member `key` of `object` as Go's encoding/json finds it when it decodes
// into a struct: the exact name, else the first equal to it ignoring ASCII
// case. nullptr when it is absent or null, or `object` is not an object.
const nlohmann::json* go_field(const nlohmann::json& object, std::string_view key);

// Resolves an image reference or ID to the image's ID ("sha256:…"); nothing
// when no such image exists.
using ImageResolver = std::function<std::optional<std::string>(const std::string& name)>;

// What GET /containers/{id}/json shows that the container's record does not hold.
struct InspectExtras {
    // dockerd --log-opt: merged into HostConfig.LogConfig.Config when the
    // container uses the daemon's default driver, as dockerd does at create.
    std::map<std::string, std::string> default_log_options;
    // The image's layer directories, topmost first (Store::layer_dirs()), for
    // GraphDriver.Data.LowerDir; empty leaves LowerDir out.
    std::vector<std::string> lower_dirs;
    // The container's exec sessions; empty shows ExecIDs as null, as dockerd.
    std::vector<std::string> exec_ids;
    // The default of HostConfig.CgroupnsMode: "private" on cgroup v2, "host" on v1.
    bool cgroup_v2 { true };
    // Config.Hostname for NetworkMode "host" when the request set none (dockerd
    // takes os.Hostname() at create); empty: gethostname(2) now.
    std::string host_hostname;
    // Where ResolvConfPath, HostnamePath and HostsPath are: the container's own
    // directory, or (NetworkMode "container:<x>") the other container's.
    // Empty: the container_dir argument.
    std::string etc_dir;
};

// GET /containers/{id}/json (ContainerJSON). `container_dir` is
// <data-root>/containers/<id>, holding the /etc files and the overlay's upper,
// work and rootfs directories. `default_log_driver` is dockerd's --log-driver.
// As dockerd, a container never started shows empty ResolvConfPath,
// HostnamePath, HostsPath and LogPath (dockerd sets them at the first start).
nlohmann::json container_inspect_json(const engine::Container& c, const std::string& container_dir,
    const std::string& default_log_driver, const InspectExtras& extras = {});

// The HostConfig and Config parts of container_inspect_json(): the request's
// as dockerd decodes and keeps them, with dockerd's defaults at create
// (HostConfig) and the image's defaults merged in (Config).
nlohmann::json container_host_config_json(
    const engine::Container& c, const std::string& default_log_driver, const InspectExtras& extras = {});
nlohmann::json container_config_json(const engine::Container& c, const InspectExtras& extras = {});

// One entry of GET /containers/json (types.Container), without SizeRw and
// SizeRootFs. With `resolve_image`, Image becomes the image ID when the name the
// container was created from now names another image (or none), as dockerd.
nlohmann::json container_summary_json(
    const engine::Container& c, std::time_t now, const ImageResolver& resolve_image = {});

// go-units' HumanDuration, as `docker ps` shows ages: "Less than a second",
// "1 second", "N seconds", "About a minute", "N minutes", "About an hour",
// "N hours", "N days", "N weeks", "N months", "N years".
std::string human_duration(int64_t seconds);

// dockerd's State.String(), the Status column of `docker ps`: "Up 5 seconds",
// "Up 2 minutes (Paused)", "Restarting (1) 2 seconds ago", "Exited (3) 10
// seconds ago", "Created", "Dead", "Removal In Progress".
std::string container_status_text(const engine::ContainerState& state, std::time_t now);

// The Networks map of a container's NetworkSettings: one entry named after the
// network mode ("default" shows as "bridge"), or the request's
// NetworkingConfig.EndpointsConfig; none for NetworkMode "container:<x>" or
// NetworkDisabled. Addresses are empty: the engine attaches no networks of its
// own. `summary` gives the reduced form of GET /containers/json.
nlohmann::json container_networks_json(const engine::Container& c, bool summary = false);

// A value of the `name` filter: dockerd's filters.Args.Match tries an exact
// match, then the value as a regular expression anywhere in the text.
struct FilterPattern {
    std::string text;
    std::optional<std::regex> regex; // nothing when the text is not a valid expression
};

struct PortRange {
    std::string proto; // "tcp", "udp", …
    uint16_t first { 0 };
    uint16_t last { 0 };
};

// GET /containers/json?filters=… as dockerd 20.10 reads it. Within one key the
// values are alternatives; across keys all must hold (except `label`, whose
// values must all hold).
struct ContainerFilters {
    // Prefixes of the ID (dockerd looks them up in its ID index; a prefix it
    // finds ambiguous matches nothing there, and every candidate here).
    std::vector<std::string> ids;
    std::vector<FilterPattern> names; // against "/name" and "name"
    std::vector<std::string> statuses; // created, restarting, running, removing, paused, exited, dead
    std::vector<std::string> labels; // "key" or "key=value"
    std::vector<std::string> ancestors; // image references or IDs
    std::vector<int64_t> exit_codes; // `exited`: only containers that ran and stopped
    std::vector<std::string> volumes; // volume name, bind source or destination
    std::vector<std::string> networks; // network name
    std::vector<std::string> health; // starting, healthy, unhealthy, none
    std::optional<bool> is_task; // swarm tasks: the engine has none
    std::vector<PortRange> publish; // the engine publishes no ports
    std::vector<PortRange> expose;
    // `before` and `since`: a container's full ID or name, as given; their
    // creation times are filled in by resolve_container_bounds().
    std::optional<std::string> before;
    std::optional<std::string> since;
    std::optional<struct timespec> before_created;
    std::optional<struct timespec> since_created;
    // A `status` filter lists stopped containers too, as if `all` were given.
    bool implies_all { false };
};

// Whether the filters list stopped containers without `all` (a `status`
// filter does, as in dockerd; so does a `limit`, which is the caller's).
inline bool filters_cover_stopped(const ContainerFilters& filters)
{
    return filters.implies_all;
}

// Parses the `filters` query parameter: a JSON object of lists
// ({"status":["running"]}) or of sets ({"status":{"running":true}}); "" is no
// filter. EINVAL with dockerd 20.10's messages:
//   Invalid filter 'x'                      (an unknown key)
//   Invalid filter 'status=x'
//   Invalid filter 'is-task=[x]'
//   Unrecognised filter value for health: x
//   strconv.Atoi: parsing "x": invalid syntax   (exited)
//   filter for 'publish' should not contain ':': x
//   error while looking up for expose x: …
// and for a body that is not such an object, a message naming what is wrong.
ErrorOr<ContainerFilters> parse_container_filters(std::string_view filters_json);

// Looks up the `before` and `since` containers, as dockerd does when it reads
// the filters: `created_of` maps a container's full ID or name to its Created
// time (RFC 3339), nothing when there is no such container (ENOENT
// "No such container: x").
ErrorOr<void> resolve_container_bounds(ContainerFilters& filters,
    const std::function<std::optional<std::string>(const std::string& name_or_id)>& created_of);

// Whether the container passes every filter. The caller lists only running
// containers unless `all` was asked or filters.implies_all. An ancestor that
// does not resolve is ignored; when none resolves, nothing matches (dockerd's
// rule; images have no parents here, so only the image itself counts). A
// `before` or `since` not yet resolved matches nothing.
bool matches(const ContainerFilters& filters, const engine::Container& c, const ImageResolver& resolve_image);

// An image config's container config ("config" or "container_config") as
// dockerd renders a container.Config: every field, Go's zero values for those
// missing, omitempty ones left out. Names match as Go's decoder matches them
// (exactly, else ignoring case).
nlohmann::json docker_container_config(const nlohmann::json& object);

// One entry of GET /images/json (ImageSummary). `config` is the image's config
// blob, parsed. An image with neither tags nor digests shows "<none>:<none>"
// and "<none>@<none>", as dockerd 20.10.
nlohmann::json image_summary_json(const image::ImageRecord& record, const nlohmann::json& config);

// GET /images/{name}/json (ImageInspect). Metadata.LastTagTime is Go's zero
// time: dockerd sets it only on `docker tag`, which the store does not record.
nlohmann::json image_inspect_json(const image::ImageRecord& record, const nlohmann::json& config);

// GET /images/{name}/history: the config's history, newest first. The newest
// entry carries the image ID and its tags; the rest "<missing>" (dockerd walks
// parents, and pulled images have none). `layer_sizes` holds the unpacked size
// of each layer in diff_ids order (LayerRecord::size); a layer without one
// counts 0. Entries with empty_layer have Size 0.
nlohmann::json image_history_json(
    const image::ImageRecord& record, const nlohmann::json& config, const std::vector<int64_t>& layer_sizes = {});

// The tags and digests dockerd shows for an image, familiar and sorted by the
// full reference: the store's references, plus name@<manifest digest> for each
// repository the image was pulled into (dockerd records both at a pull).
struct ImageNames {
    std::vector<std::string> tags; // busybox:latest
    std::vector<std::string> digests; // busybox@sha256:…
};
ImageNames image_names(const image::ImageRecord& record);

// A volume (types.Volume) as GET /volumes and /volumes/{name} show it.
// CreatedAt is RFC 3339 to the second. Empty Labels and Options are {} for a
// named volume and null for an anonymous one (dockerd keeps what the client
// sent, and `docker volume create` sends {}; the volumes dockerd makes for a
// container get nil).
nlohmann::json volume_json(const engine::Volume& v);

} // namespace corral::api
