#include "api/events.h"

#include "base/json_string.h"
#include "base/strings.h"
#include "image/reference.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>

namespace corral::api {

namespace detail {

// The bus's shared state: the kept events, numbered from first_seq on. Readers
// keep their own position, so publishing never waits for one.
struct EventLog {
    explicit EventLog(size_t capacity)
        : capacity(std::max<size_t>(capacity, 1))
    {
    }

    std::mutex mutex;
    std::condition_variable published;
    std::deque<Event> events;
    uint64_t first_seq { 0 };
    size_t capacity;
    bool shut_down { false };
};

} // namespace detail

namespace {

constexpr int64_t NANOS_PER_SECOND = 1'000'000'000;

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

// ---- filters ----

// How Go's UnmarshalTypeError names a JSON value.
std::string go_kind(const nlohmann::ordered_json& value)
{
    if (value.is_string())
        return "string";
    if (value.is_number())
        return "number";
    if (value.is_boolean())
        return "bool";
    if (value.is_array())
        return "array";
    return "object";
}

std::string type_error(const nlohmann::ordered_json& value, std::string_view go_type)
{
    return "json: cannot unmarshal " + go_kind(value) + " into Go value of type " + std::string(go_type);
}

using Fields = std::map<std::string, std::map<std::string, bool>>;

// json.Unmarshal into map[string]map[string]bool; on failure, the message of the
// first type error, in document order, as Go reports it. A null stands for an
// empty map or a false, as Go leaves the zero value.
std::optional<Fields> decode_current(const nlohmann::ordered_json& json, std::string& error)
{
    Fields fields;
    if (json.is_null())
        return fields;
    if (!json.is_object()) {
        error = type_error(json, "map[string]map[string]bool");
        return std::nullopt;
    }
    for (const auto& [key, values] : json.items()) {
        auto& set = fields[key];
        if (values.is_null())
            continue;
        if (!values.is_object()) {
            error = type_error(values, "map[string]bool");
            return std::nullopt;
        }
        for (const auto& [value, flag] : values.items()) {
            if (!flag.is_boolean() && !flag.is_null()) {
                error = type_error(flag, "bool");
                return std::nullopt;
            }
            set[value] = flag.is_boolean() && flag.get<bool>();
        }
    }
    return fields;
}

// The legacy form, map[string][]string, every value true.
std::optional<Fields> decode_legacy(const nlohmann::ordered_json& json)
{
    Fields fields;
    if (!json.is_object())
        return std::nullopt;
    for (const auto& [key, values] : json.items()) {
        auto& set = fields[key];
        if (values.is_null())
            continue;
        if (!values.is_array())
            return std::nullopt;
        for (const auto& value : values) {
            if (value.is_string())
                set[value.get<std::string>()] = true;
            else if (value.is_null())
                set[""] = true;
            else
                return std::nullopt;
        }
    }
    return fields;
}

// Docker's stripTag: the repository in its familiar form, without tag, digest,
// the default registry or "library/"; a name that is no reference stays as is.
std::string strip_tag(const std::string& image)
{
    auto reference = image::Reference::parse(image);
    if (reference.is_error())
        return image;
    return reference->familiar_name();
}

// ---- times ----

// strconv.ParseInt(s, 10, 64).
std::optional<int64_t> parse_int64(std::string_view s)
{
    bool negative = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s.empty())
        return std::nullopt;
    uint64_t value = 0;
    const uint64_t limit = negative ? uint64_t { 1 } << 63 : (uint64_t { 1 } << 63) - 1;
    for (char c : s) {
        if (!is_digit(c))
            return std::nullopt;
        if (value > (limit - static_cast<uint64_t>(c - '0')) / 10)
            return std::nullopt;
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    if (negative)
        return value == (uint64_t { 1 } << 63) ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(value);
    return static_cast<int64_t>(value);
}

// timetypes.parseTimestamp: seconds, then an optional fraction scaled to
// nanoseconds (Go computes n * 10^(9-digits) in floating point; digits past the
// ninth are truncated here, the same for every fraction Go can parse). Unlike
// Go's ParseInt, a sign is not taken in the fraction: "1.-5" means nothing.
std::optional<struct timespec> parse_unix_time(std::string_view value)
{
    size_t dot = value.find('.');
    auto seconds = parse_int64(value.substr(0, dot));
    if (!seconds)
        return std::nullopt;
    struct timespec time { };
    time.tv_sec = static_cast<time_t>(*seconds);
    if (dot == std::string_view::npos)
        return time;
    std::string_view fraction = value.substr(dot + 1);
    if (fraction.empty() || fraction.size() > 18
        || !std::all_of(fraction.begin(), fraction.end(), [](char c) { return is_digit(c); }))
        return std::nullopt;
    long nanoseconds = 0;
    for (size_t i = 0; i < 9; ++i)
        nanoseconds = nanoseconds * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
    time.tv_nsec = nanoseconds;
    return time;
}

// Go's time.ParseDuration, in nanoseconds: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ with
// units ns, us, µs, μs, ms, s, m, h; "0" alone needs no unit.
std::optional<int64_t> parse_go_duration(std::string_view s)
{
    constexpr uint64_t MAX = uint64_t { 1 } << 63;
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0")
        return 0;
    if (s.empty())
        return std::nullopt;
    uint64_t total = 0;
    while (!s.empty()) {
        if (!(s[0] == '.' || is_digit(s[0])))
            return std::nullopt;
        uint64_t whole = 0;
        size_t i = 0;
        for (; i < s.size() && is_digit(s[i]); ++i) {
            if (whole > MAX / 10)
                return std::nullopt;
            whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
            if (whole > MAX)
                return std::nullopt;
        }
        bool digits_before = i > 0;
        s.remove_prefix(i);
        uint64_t fraction = 0;
        double scale = 1;
        bool digits_after = false;
        if (!s.empty() && s[0] == '.') {
            s.remove_prefix(1);
            bool overflow = false;
            size_t j = 0;
            for (; j < s.size() && is_digit(s[j]); ++j) {
                if (overflow)
                    continue;
                if (fraction > (MAX - 1) / 10) {
                    overflow = true;
                    continue;
                }
                uint64_t next = fraction * 10 + static_cast<uint64_t>(s[j] - '0');
                if (next > MAX) {
                    overflow = true;
                    continue;
                }
                fraction = next;
                scale *= 10;
            }
            digits_after = j > 0;
            s.remove_prefix(j);
        }
        if (!digits_before && !digits_after)
            return std::nullopt;
        size_t k = 0;
        while (k < s.size() && s[k] != '.' && !is_digit(s[k]))
            ++k;
        std::string_view unit_name = s.substr(0, k);
        s.remove_prefix(k);
        uint64_t unit;
        if (unit_name == "ns")
            unit = 1;
        else if (unit_name == "us" || unit_name == "\xC2\xB5s" || unit_name == "\xCE\xBCs")
            unit = 1000;
        else if (unit_name == "ms")
            unit = 1000 * 1000;
        else if (unit_name == "s")
            unit = NANOS_PER_SECOND;
        else if (unit_name == "m")
            unit = 60 * NANOS_PER_SECOND;
        else if (unit_name == "h")
            unit = 3600 * NANOS_PER_SECOND;
        else
            return std::nullopt; // missing or unknown unit
        if (whole > MAX / unit)
            return std::nullopt;
        whole *= unit;
        if (fraction > 0) {
            whole += static_cast<uint64_t>(static_cast<double>(fraction) * (static_cast<double>(unit) / scale));
            if (whole > MAX)
                return std::nullopt;
        }
        total += whole;
        if (total > MAX)
            return std::nullopt;
    }
    if (negative)
        return total == MAX ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(total);
    if (total > MAX - 1)
        return std::nullopt;
    return static_cast<int64_t>(total);
}

// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t year, int month, int day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

int days_in_month(int64_t year, int month)
{
    static constexpr int DAYS[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : DAYS[month - 1];
}

// The Go layouts GetTimestamp picks from, as what they contain.
struct GoLayout {
    const char* text;
    int time_parts; // -1 date only; 0 hour; 1 hour:minute; 2 hour:minute:second
    bool zone; // Z07:00 at the end; otherwise the local zone applies
};

// time.Parse (or ParseInLocation with a fixed offset) for those layouts: fixed
// two-digit month, day, minute and second, a one- or two-digit hour, a fraction of
// any length after the seconds ('.' or ','), "Z" or ±hh:mm.
ErrorOr<struct timespec> parse_go_layout(std::string_view value, const GoLayout& layout, long local_offset)
{
    std::string quoted = "\"" + std::string(value) + "\"";
    size_t pos = 0;
    // Go names the part of the value it stopped at and the layout element it wanted.
    auto cannot_parse = [&](const char* element) {
        return Error::from_string("parsing time " + quoted + " as \"" + layout.text + "\": cannot parse \""
            + std::string(value.substr(pos)) + "\" as \"" + element + "\"");
    };
    auto out_of_range = [&](const char* what) {
        return Error::from_string("parsing time " + quoted + ": " + what + " out of range");
    };
    auto number = [&](size_t min_digits, size_t max_digits, int& out) {
        size_t n = 0;
        out = 0;
        while (n < max_digits && pos + n < value.size() && is_digit(value[pos + n])) {
            out = out * 10 + (value[pos + n] - '0');
            ++n;
        }
        if (n < min_digits)
            return false;
        pos += n;
        return true;
    };
    auto literal = [&](char c) {
        if (pos >= value.size() || value[pos] != c)
            return false;
        ++pos;
        return true;
    };

    int year, month, day, hour = 0, minute = 0, second = 0;
    long nanoseconds = 0;
    if (!number(4, 4, year))
        return cannot_parse("2006");
    if (!literal('-'))
        return cannot_parse("-");
    if (!number(2, 2, month))
        return cannot_parse("01");
    if (!literal('-'))
        return cannot_parse("-");
    if (!number(2, 2, day))
        return cannot_parse("02");
    if (layout.time_parts >= 0) {
        if (!literal('T'))
            return cannot_parse("T");
        if (!number(1, 2, hour))
            return cannot_parse("15");
        if (layout.time_parts >= 1) {
            if (!literal(':'))
                return cannot_parse(":");
            if (!number(2, 2, minute))
                return cannot_parse("04");
        }
        if (layout.time_parts >= 2) {
            if (!literal(':'))
                return cannot_parse(":");
            if (!number(2, 2, second))
                return cannot_parse("05");
            if (pos + 1 < value.size() && (value[pos] == '.' || value[pos] == ',') && is_digit(value[pos + 1])) {
                ++pos;
                size_t digits = 0;
                for (; pos < value.size() && is_digit(value[pos]); ++pos, ++digits) {
                    if (digits < 9)
                        nanoseconds = nanoseconds * 10 + (value[pos] - '0');
                }
                for (size_t k = std::min<size_t>(digits, 9); k < 9; ++k)
                    nanoseconds *= 10;
            }
        }
    }
    long offset = local_offset;
    if (layout.zone) {
        if (literal('Z')) {
            offset = 0;
        } else {
            size_t zone_start = pos;
            bool negative = literal('-');
            bool sign = negative || literal('+');
            int offset_hours = 0, offset_minutes = 0;
            if (!sign || !number(2, 2, offset_hours) || !literal(':') || !number(2, 2, offset_minutes)) {
                pos = zone_start;
                return cannot_parse("Z07:00");
            }
            if (offset_hours > 24)
                return out_of_range("time zone offset hour");
            if (offset_minutes > 60)
                return out_of_range("time zone offset minute");
            offset = (offset_hours * 3600L + offset_minutes * 60L) * (negative ? -1 : 1);
        }
    }
    if (pos != value.size())
        return Error::from_string(
            "parsing time " + quoted + ": extra text: \"" + std::string(value.substr(pos)) + "\"");
    if (month < 1 || month > 12)
        return out_of_range("month");
    if (hour >= 24)
        return out_of_range("hour");
    if (minute >= 60)
        return out_of_range("minute");
    if (second >= 60)
        return out_of_range("second");
    if (day < 1 || day > days_in_month(year, month))
        return out_of_range("day");
    struct timespec time { };
    time.tv_sec = static_cast<time_t>(
        days_from_civil(year, month, day) * 86400 + hour * 3600L + minute * 60L + second - offset);
    time.tv_nsec = nanoseconds;
    return time;
}

int64_t to_nanos(const struct timespec& time)
{
    __int128 nanos = static_cast<__int128>(time.tv_sec) * NANOS_PER_SECOND + time.tv_nsec;
    nanos = std::clamp<__int128>(nanos, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
    return static_cast<int64_t>(nanos);
}

int64_t realtime_nanos()
{
    struct timespec now { };
    clock_gettime(CLOCK_REALTIME, &now);
    return to_nanos(now);
}

} // namespace

std::string event_json(const Event& event)
{
    std::string out = "{";
    auto key = [&](std::string_view name) {
        if (out.size() > 1)
            out += ',';
        out += '"';
        out += name;
        out += "\":";
    };
    auto string_field = [&](std::string_view name, std::string_view value) {
        key(name);
        append_go_json_string(out, value);
    };
    // dockerd's events.Log fills the deprecated fields for containers and images.
    bool legacy = event.type == "container" || event.type == "image";
    if (legacy && !event.action.empty())
        string_field("status", event.action);
    if (legacy && !event.id.empty())
        string_field("id", event.id);
    if (event.type == "container") {
        auto image = event.attributes.find("image");
        if (image != event.attributes.end() && !image->second.empty())
            string_field("from", image->second);
    }
    string_field("Type", event.type);
    string_field("Action", event.action);
    key("Actor");
    out += "{\"ID\":";
    append_go_json_string(out, event.id);
    out += ",\"Attributes\":{";
    bool first = true;
    for (const auto& [name, value] : event.attributes) {
        if (!first)
            out += ',';
        first = false;
        append_go_json_string(out, name);
        out += ':';
        append_go_json_string(out, value);
    }
    out += "}}";
    string_field("scope", "local");
    // Go's Unix(): seconds rounded down, also before the epoch.
    int64_t seconds = event.time_nano / NANOS_PER_SECOND;
    if (event.time_nano % NANOS_PER_SECOND < 0)
        --seconds;
    if (seconds != 0) {
        key("time");
        out += std::to_string(seconds);
    }
    if (event.time_nano != 0) {
        key("timeNano");
        out += std::to_string(event.time_nano);
    }
    out += '}';
    return out;
}

ErrorOr<EventFilter> EventFilter::parse(std::string_view filters_json)
{
    EventFilter filter;
    if (filters_json.empty())
        return filter;
    nlohmann::ordered_json json;
    try {
        json = nlohmann::ordered_json::parse(filters_json);
    } catch (const nlohmann::json::parse_error& e) {
        // Go's messages for syntax errors are not reproduced; the position is
        // given as the container filters do.
        return Error::from_string("invalid filters: not JSON (at byte " + std::to_string(e.byte) + ")");
    } catch (const nlohmann::json::exception& e) {
        return Error::from_string(std::string("invalid filters: ") + e.what()); // a number out of range
    }
    std::string error;
    if (auto fields = decode_current(json, error)) {
        filter.m_fields = std::move(*fields);
        return filter;
    }
    // dockerd falls back to the legacy form and, if that fails too, reports the
    // error of the current one.
    if (auto fields = decode_legacy(json)) {
        filter.m_fields = std::move(*fields);
        return filter;
    }
    return Error::from_string(error);
}

bool EventFilter::exact_match(const std::string& key, const std::string& source) const
{
    auto field = m_fields.find(key);
    if (field == m_fields.end() || field->second.empty())
        return true;
    auto value = field->second.find(source);
    return value != field->second.end() && value->second;
}

bool EventFilter::fuzzy_match(const std::string& key, const std::string& source) const
{
    if (exact_match(key, source))
        return true;
    for (const auto& [prefix, flag] : m_fields.at(key)) {
        if (source.starts_with(prefix))
            return true;
    }
    return false;
}

bool EventFilter::match_name(const std::string& key, const Event& event) const
{
    if (!m_fields.contains(key))
        return true;
    auto name = event.attributes.find("name");
    return fuzzy_match(key, event.id) || fuzzy_match(key, name == event.attributes.end() ? "" : name->second);
}

bool EventFilter::match_image(const Event& event) const
{
    if (!m_fields.contains("image"))
        return true;
    auto attribute = event.attributes.find(event.type == "image" ? "name" : "image");
    std::string image = attribute == event.attributes.end() ? "" : attribute->second;
    return exact_match("image", event.id) || exact_match("image", image) || exact_match("image", strip_tag(event.id))
        || exact_match("image", strip_tag(image));
}

bool EventFilter::match_labels(const Event& event) const
{
    auto field = m_fields.find("label");
    if (field == m_fields.end() || field->second.empty())
        return true;
    if (event.attributes.empty())
        return false;
    for (const auto& [label, flag] : field->second) {
        size_t equals = label.find('=');
        auto attribute = event.attributes.find(label.substr(0, equals));
        if (attribute == event.attributes.end())
            return false;
        if (equals != std::string::npos && attribute->second != label.substr(equals + 1))
            return false;
    }
    return true;
}

bool EventFilter::matches(const Event& event) const
{
    if (m_fields.empty())
        return true;
    // dockerd #25798: these actions carry a suffix ("exec_start: sh -c x"), so a
    // filter naming one matches by prefix.
    bool fuzzy_event = false;
    if (auto field = m_fields.find("event"); field != m_fields.end()) {
        for (const auto& [value, flag] : field->second)
            fuzzy_event = fuzzy_event || value == "exec_create" || value == "exec_start" || value == "health_status";
    }
    if (!(fuzzy_event ? fuzzy_match("event", event.action) : exact_match("event", event.action)))
        return false;
    if (!exact_match("type", event.type))
        return false;
    // Every event of ours is a local one.
    if (m_fields.contains("scope") && !exact_match("scope", "local"))
        return false;
    for (const char* key :
        { "daemon", "container", "plugin", "volume", "network", "node", "service", "secret", "config" }) {
        if (!match_name(key, event))
            return false;
    }
    return match_image(event) && match_labels(event);
}

ErrorOr<std::optional<struct timespec>> parse_event_time(std::string_view value, const struct timespec& now)
{
    if (value.empty())
        return std::optional<struct timespec> {};
    if (auto time = parse_unix_time(value))
        return time;
    if (auto duration = parse_go_duration(value)) {
        __int128 nanos = static_cast<__int128>(now.tv_sec) * NANOS_PER_SECOND + now.tv_nsec - *duration;
        __int128 seconds = nanos / NANOS_PER_SECOND - (nanos % NANOS_PER_SECOND < 0 ? 1 : 0);
        struct timespec time { };
        time.tv_sec = static_cast<time_t>(seconds);
        return std::optional<struct timespec> { time };
    }

    // GetTimestamp's choice of layout: with a "Z", a "+" or three dashes the value
    // carries its zone; the colons after the "T" tell how much of the time is there.
    bool has_zone
        = value.find_first_of("zZ+") != std::string_view::npos || std::count(value.begin(), value.end(), '-') == 3;
    GoLayout layout;
    if (value.find('.') != std::string_view::npos) {
        layout = has_zone ? GoLayout { "2006-01-02T15:04:05.999999999Z07:00", 2, true }
                          : GoLayout { "2006-01-02T15:04:05.999999999", 2, false };
    } else if (value.find('T') != std::string_view::npos) {
        auto colons = std::count(value.begin(), value.end(), ':');
        // A ±hh:mm zone has a colon of its own.
        if (has_zone && value.find_first_of("zZ") == std::string_view::npos && colons > 0)
            --colons;
        static constexpr GoLayout LOCAL[]
            = { { "2006-01-02T15", 0, false }, { "2006-01-02T15:04", 1, false }, { "2006-01-02T15:04:05", 2, false } };
        static constexpr GoLayout ZONED[] = { { "2006-01-02T15Z07:00", 0, true }, { "2006-01-02T15:04Z07:00", 1, true },
            { "2006-01-02T15:04:05Z07:00", 2, true } };
        size_t index = colons >= 2 ? 2 : static_cast<size_t>(colons);
        layout = has_zone ? ZONED[index] : LOCAL[index];
    } else {
        layout = has_zone ? GoLayout { "2006-01-02Z07:00", -1, true } : GoLayout { "2006-01-02", -1, false };
    }
    struct tm local { };
    time_t now_seconds = now.tv_sec;
    localtime_r(&now_seconds, &local);
    auto parsed = parse_go_layout(value, layout, local.tm_gmtoff);
    if (!parsed.is_error())
        return std::optional<struct timespec> { *parsed };
    // A dash means it was meant as a date: its own error says what is wrong.
    if (value.find('-') != std::string_view::npos)
        return parsed.release_error();
    return Error::from_string("failed to parse value as time or duration: " + go_quote(value));
}

ErrorOr<EventQuery> parse_event_query(
    std::string_view since, std::string_view until, std::string_view filters, const struct timespec& now)
{
    EventQuery query;
    query.since = TRY(parse_event_time(since, now));
    query.until = TRY(parse_event_time(until, now));
    if (query.since && query.until && to_nanos(*query.until) < to_nanos(*query.since))
        return Error::from_string(
            "`since` time (" + std::string(since) + ") cannot be after `until` time (" + std::string(until) + ")");
    query.filter = TRY(EventFilter::parse(filters));
    return query;
}

ErrorOr<std::optional<Event>> Subscription::next(std::chrono::steady_clock::time_point deadline)
{
    if (m_finished)
        return std::optional<Event> {};
    auto& log = *m_log;
    std::unique_lock lock(log.mutex);
    for (;;) {
        if (m_cursor < log.first_seq)
            return Error::from_string(
                "events reader fell more than " + std::to_string(log.capacity) + " events behind; some were dropped",
                ENOBUFS);
        uint64_t end = log.first_seq + log.events.size();
        while (m_cursor < end) {
            const Event& event = log.events[m_cursor - log.first_seq];
            ++m_cursor;
            if (m_until_nano && event.time_nano > *m_until_nano)
                continue;
            if (m_filter.matches(event))
                return std::optional<Event> { event };
        }
        if (log.shut_down) {
            m_finished = true;
            return std::optional<Event> {};
        }
        auto now = std::chrono::steady_clock::now();
        auto wake = deadline;
        if (m_until_nano) {
            int64_t wall = realtime_nanos();
            if (wall > *m_until_nano) {
                m_finished = true;
                return std::optional<Event> {};
            }
            wake = std::min(wake, now + std::chrono::nanoseconds(*m_until_nano - wall + 1));
        }
        if (now >= deadline)
            return std::optional<Event> {};
        log.published.wait_until(lock, wake);
    }
}

EventBus::EventBus(size_t history)
    : m_log(std::make_shared<detail::EventLog>(history))
{
}

EventBus::~EventBus()
{
    shutdown();
}

void EventBus::publish(Event event)
{
    {
        std::lock_guard lock(m_log->mutex);
        m_log->events.push_back(std::move(event));
        if (m_log->events.size() > m_log->capacity) {
            m_log->events.pop_front();
            ++m_log->first_seq;
        }
    }
    m_log->published.notify_all();
}

Subscription EventBus::subscribe(
    EventFilter filter, std::optional<struct timespec> since, std::optional<struct timespec> until)
{
    std::lock_guard lock(m_log->mutex);
    size_t start = m_log->events.size();
    if (since || until) {
        int64_t since_nano = since ? to_nanos(*since) : 0;
        while (start > 0 && m_log->events[start - 1].time_nano >= since_nano)
            --start;
    }
    std::optional<int64_t> until_nano;
    if (until)
        until_nano = to_nanos(*until);
    return Subscription(m_log, m_listener, std::move(filter), m_log->first_seq + start, until_nano);
}

void EventBus::shutdown()
{
    {
        std::lock_guard lock(m_log->mutex);
        m_log->shut_down = true;
    }
    m_log->published.notify_all();
}

} // namespace corral::api
