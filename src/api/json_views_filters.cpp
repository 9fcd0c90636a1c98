// The `filters` of GET /containers/json, as dockerd 20.10 reads and applies
// them (api/types/filters/parse.go, daemon/list.go, go-connections/nat).

#include "api/json_views.h"

#include "base/strings.h"
#include "base/time.h"

#include <algorithm>
#include <set>

namespace corral::api {

using nlohmann::json;

namespace {

constexpr std::string_view ACCEPTED_KEYS[] = { "ancestor", "before", "exited", "id", "isolation", "label", "name",
    "status", "health", "since", "volume", "network", "is-task", "publish", "expose" };

constexpr std::string_view STATES[] = { "paused", "restarting", "removing", "running", "dead", "created", "exited" };

constexpr std::string_view HEALTH_STATES[] = { "starting", "healthy", "unhealthy", "none" };

template<size_t N>
bool one_of(std::string_view value, const std::string_view (&set)[N])
{
    return std::find(std::begin(set), std::end(set), value) != std::end(set);
}

// The type names Go's encoding/json uses in its "cannot unmarshal" errors.
std::string go_json_type(const json& value)
{
    if (value.is_string())
        return "string";
    if (value.is_number())
        return "number";
    if (value.is_boolean())
        return "bool";
    if (value.is_array())
        return "array";
    if (value.is_object())
        return "object";
    return "null";
}

bool all_digits(std::string_view text)
{
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// strconv.Atoi on a 64-bit platform.
ErrorOr<int64_t> go_atoi(std::string_view text)
{
    std::string_view digits = text;
    bool negative = false;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
        negative = digits[0] == '-';
        digits.remove_prefix(1);
    }
    if (!all_digits(digits))
        return Error::from_string("strconv.Atoi: parsing " + go_quote(text) + ": invalid syntax");
    uint64_t value = 0;
    uint64_t limit = negative ? uint64_t(INT64_MAX) + 1 : uint64_t(INT64_MAX);
    for (char ch : digits) {
        unsigned digit = static_cast<unsigned>(ch - '0');
        if (value > (limit - digit) / 10)
            return Error::from_string("strconv.Atoi: parsing " + go_quote(text) + ": value out of range");
        value = value * 10 + digit;
    }
    return negative ? static_cast<int64_t>(0 - value) : static_cast<int64_t>(value);
}

// strconv.ParseUint(text, 10, 16).
ErrorOr<uint16_t> go_parse_port(std::string_view text)
{
    if (!all_digits(text))
        return Error::from_string("strconv.ParseUint: parsing " + go_quote(text) + ": invalid syntax");
    uint32_t value = 0;
    for (char ch : text) {
        value = value * 10 + static_cast<uint32_t>(ch - '0');
        if (value > 0xffff)
            return Error::from_string("strconv.ParseUint: parsing " + go_quote(text) + ": value out of range");
    }
    return static_cast<uint16_t>(value);
}

// nat.ParsePortRange.
ErrorOr<std::pair<uint16_t, uint16_t>> parse_port_range(std::string_view ports)
{
    if (ports.empty())
        return Error::from_string("Empty string specified for ports.");
    if (ports.find('-') == std::string_view::npos) {
        uint16_t port = TRY(go_parse_port(ports));
        return std::pair { port, port };
    }
    auto parts = split(ports, '-');
    uint16_t start = TRY(go_parse_port(parts[0]));
    uint16_t end = TRY(go_parse_port(parts[1]));
    if (end < start)
        return Error::from_string("Invalid range specified for the Port: " + std::string(ports));
    return std::pair { start, end };
}

// daemon/list.go portOp with nat.SplitProtoPort.
ErrorOr<PortRange> parse_port_filter(std::string_view key, const std::string& value)
{
    if (value.find(':') != std::string::npos)
        return Error::from_string("filter for '" + std::string(key) + "' should not contain ':': " + value);
    std::string proto;
    std::string port;
    auto parts = split(value, '/');
    if (!value.empty() && !parts[0].empty()) {
        port = parts[0];
        proto = parts.size() == 1 || parts[1].empty() ? "tcp" : parts[1];
    }
    auto range = parse_port_range(port);
    if (range.is_error())
        return Error::from_string(
            "error while looking up for " + std::string(key) + " " + value + ": " + range.error().message());
    return PortRange { proto, range->first, range->second };
}

// The values of one key: a JSON list of strings (the format before API 1.22,
// still accepted) or a set {"value": true}.
ErrorOr<std::vector<std::string>> filter_values(const json& values)
{
    std::set<std::string> out;
    if (values.is_object()) {
        for (auto const& [value, on] : values.items()) {
            if (!on.is_boolean())
                return Error::from_string("json: cannot unmarshal " + go_json_type(on) + " into Go value of type bool");
            out.insert(value);
        }
    } else if (values.is_array()) {
        for (auto const& value : values) {
            if (!value.is_string())
                return Error::from_string(
                    "json: cannot unmarshal " + go_json_type(value) + " into Go value of type string");
            out.insert(value.get<std::string>());
        }
    } else if (!values.is_null()) {
        return Error::from_string(
            "json: cannot unmarshal " + go_json_type(values) + " into Go value of type map[string]bool");
    }
    return std::vector<std::string>(out.begin(), out.end());
}

bool matches_pattern(const FilterPattern& pattern, const std::string& text)
{
    if (pattern.text == text)
        return true;
    return pattern.regex && std::regex_search(text, *pattern.regex);
}

// filters.Args.MatchKVList: every "key" or "key=value" must be among the labels.
bool matches_labels(const std::vector<std::string>& filters, const std::map<std::string, std::string>& labels)
{
    if (filters.empty())
        return true;
    if (labels.empty())
        return false;
    for (auto const& filter : filters) {
        auto equals = filter.find('=');
        auto it = labels.find(filter.substr(0, equals));
        if (it == labels.end())
            return false;
        if (equals != std::string::npos && it->second != filter.substr(equals + 1))
            return false;
    }
    return true;
}

bool before(const struct timespec& a, const struct timespec& b)
{
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

} // namespace

ErrorOr<ContainerFilters> parse_container_filters(std::string_view filters_json)
{
    ContainerFilters filters;
    if (filters_json.empty())
        return filters;
    json parsed;
    try {
        parsed = json::parse(filters_json);
    } catch (const json::parse_error& e) {
        return Error::from_string("invalid filters: not JSON (at byte " + std::to_string(e.byte) + ")");
    } catch (const json::exception& e) {
        return Error::from_string(std::string("invalid filters: ") + e.what()); // a number out of range
    }
    if (!parsed.is_object())
        return Error::from_string(
            "json: cannot unmarshal " + go_json_type(parsed) + " into Go value of type map[string]map[string]bool");

    std::map<std::string, std::vector<std::string>> fields;
    for (auto const& [key, values] : parsed.items())
        fields[key] = TRY(filter_values(values));
    for (auto const& [key, values] : fields) {
        if (!one_of(key, ACCEPTED_KEYS))
            return Error::from_string("Invalid filter '" + key + "'");
    }
    auto values_of = [&](const char* key) -> const std::vector<std::string>& {
        static const std::vector<std::string> NONE;
        auto it = fields.find(key);
        return it == fields.end() ? NONE : it->second;
    };

    // In foldFilter's order, so that the first error is dockerd's.
    for (auto const& value : values_of("exited"))
        filters.exit_codes.push_back(TRY(go_atoi(value)));
    for (auto const& value : values_of("status")) {
        if (!one_of(value, STATES))
            return Error::from_string("Invalid filter 'status=" + value + "'");
        filters.statuses.push_back(value);
        filters.implies_all = true;
    }
    if (fields.contains("is-task")) {
        auto const& values = values_of("is-task");
        if (std::find(values.begin(), values.end(), "true") != values.end())
            filters.is_task = true;
        else if (std::find(values.begin(), values.end(), "false") != values.end())
            filters.is_task = false;
        else
            return Error::from_string("Invalid filter 'is-task=[" + join(values, " ") + "]'");
    }
    for (auto const& value : values_of("health")) {
        if (!one_of(value, HEALTH_STATES))
            return Error::from_string("Unrecognised filter value for health: " + value);
        filters.health.push_back(value);
    }
    // dockerd keeps the last one it walks; its walk order is Go's map order.
    if (auto const& values = values_of("before"); !values.empty())
        filters.before = values.back();
    if (auto const& values = values_of("since"); !values.empty())
        filters.since = values.back();
    filters.ancestors = values_of("ancestor");
    for (auto const& value : values_of("publish"))
        filters.publish.push_back(TRY(parse_port_filter("publish", value)));
    for (auto const& value : values_of("expose"))
        filters.expose.push_back(TRY(parse_port_filter("expose", value)));

    filters.ids = values_of("id");
    for (auto const& value : values_of("name")) {
        FilterPattern pattern { value, std::nullopt };
        try {
            pattern.regex.emplace(value);
        } catch (const std::regex_error&) {
            // filters.Args.Match skips a value that does not compile.
        }
        filters.names.push_back(std::move(pattern));
    }
    filters.labels = values_of("label");
    filters.volumes = values_of("volume");
    filters.networks = values_of("network");
    // `isolation` is a Windows notion: dockerd on Linux accepts and ignores it.
    return filters;
}

ErrorOr<void> resolve_container_bounds(ContainerFilters& filters,
    const std::function<std::optional<std::string>(const std::string& name_or_id)>& created_of)
{
    auto resolve
        = [&](const std::optional<std::string>& which, std::optional<struct timespec>& created) -> ErrorOr<void> {
        if (!which)
            return {};
        auto text = created_of(*which);
        if (!text)
            return Error::from_string("No such container: " + *which, ENOENT);
        created = parse_rfc3339(*text);
        if (!created)
            return Error::from_string("container " + *which + ": Created is not an RFC 3339 time: " + *text);
        return {};
    };
    TRY(resolve(filters.before, filters.before_created));
    TRY(resolve(filters.since, filters.since_created));
    return {};
}

bool matches(const ContainerFilters& filters, const engine::Container& c, const ImageResolver& resolve_image)
{
    auto created = parse_rfc3339(c.created);
    if (filters.before) {
        if (!filters.before_created || !created || !before(*created, *filters.before_created))
            return false;
    }
    if (filters.since) {
        if (!filters.since_created || !created || !before(*filters.since_created, *created))
            return false;
    }
    if (!filters.names.empty()) {
        std::string slashed = "/" + c.name;
        bool any = std::any_of(filters.names.begin(), filters.names.end(),
            [&](auto const& pattern) { return matches_pattern(pattern, slashed) || matches_pattern(pattern, c.name); });
        if (!any)
            return false;
    }
    if (!filters.ids.empty()) {
        bool any = std::any_of(filters.ids.begin(), filters.ids.end(),
            [&](auto const& prefix) { return !prefix.empty() && c.id.starts_with(prefix); });
        if (!any)
            return false;
    }
    // No container of this engine is a swarm task.
    if (filters.is_task && *filters.is_task)
        return false;
    if (!matches_labels(filters.labels, c.config.labels))
        return false;

    auto const& state = c.state;
    if (!filters.exit_codes.empty()) {
        bool running = state.status == "running" || state.status == "paused" || state.status == "restarting";
        bool ran = parse_rfc3339(state.started_at).has_value() && state.started_at != engine::ZERO_TIME;
        bool any = std::any_of(filters.exit_codes.begin(), filters.exit_codes.end(),
            [&](int64_t code) { return code == state.exit_code && !running && ran; });
        if (!any)
            return false;
    }
    if (!filters.statuses.empty()
        && std::find(filters.statuses.begin(), filters.statuses.end(), state.status) == filters.statuses.end())
        return false;
    // The engine runs no health checks: every container's health is "none".
    if (!filters.health.empty()
        && std::find(filters.health.begin(), filters.health.end(), "none") == filters.health.end())
        return false;

    if (!filters.volumes.empty()) {
        std::set<std::string> names;
        std::set<std::string> destinations;
        for (auto const& m : c.mounts) {
            names.insert(m.name.empty() ? m.source : m.name);
            destinations.insert(m.destination);
        }
        for (auto const& spec : c.parsed.host_config.mounts) {
            if (spec.type == runtime::MountType::Tmpfs) {
                names.insert("");
                destinations.insert(spec.target);
            }
        }
        bool any = std::any_of(filters.volumes.begin(), filters.volumes.end(),
            [&](auto const& value) { return destinations.contains(value) || names.contains(value); });
        if (!any)
            return false;
    }

    if (!filters.ancestors.empty()) {
        std::set<std::string> images;
        for (auto const& ancestor : filters.ancestors) {
            if (auto id = resolve_image ? resolve_image(ancestor) : std::nullopt)
                images.insert(*id);
        }
        if (!images.contains(c.image_id))
            return false;
    }

    if (!filters.networks.empty()) {
        json networks = container_networks_json(c, true);
        bool any = std::any_of(filters.networks.begin(), filters.networks.end(),
            [&](auto const& name) { return networks.contains(name); });
        if (!any)
            return false;
    }

    // dockerd matches these against the container's published and exposed
    // ports at run time; the engine has none.
    if (!filters.publish.empty() || !filters.expose.empty())
        return false;
    return true;
}

} // namespace corral::api
