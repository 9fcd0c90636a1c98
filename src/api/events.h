#pragma once

// The daemon's event stream, GET /events (Docker Engine API 1.41): the events
// themselves, their wire format, Docker's `filters` and `since`/`until`, and the
// bus that hands them from the engine to the HTTP connections that stream them.

#include "base/error.h"

#include <chrono>
#include <cstdint>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace corral::api {

// The shape of engine::EngineEvent, so that this library does not link the engine.
struct Event {
    std::string type; // container, image, volume, network, daemon
    std::string action; // create, start, die, …, "exec_start: sh -c x"
    std::string id;
    std::map<std::string, std::string> attributes; // name, image, labels, exitCode, …
    int64_t time_nano { 0 }; // wall clock, nanoseconds since the Unix epoch
};

// One event as dockerd encodes it (moby api/types/events.Message through Go's
// json.Encoder), without the newline the encoder writes after it:
//   {"status":"start","id":"…","from":"busybox","Type":"container","Action":"start",
//    "Actor":{"ID":"…","Attributes":{"image":"busybox","name":"x"}},
//    "scope":"local","time":1700000000,"timeNano":1700000000123456789}
// "status", "id" (both legacy) are present for container and image events, "from"
// for container events with an "image" attribute; empty values and a zero time are
// left out, as Go's omitempty does. Strings are escaped as Go escapes them (<, >
// and & as \u003c…, invalid UTF-8 as \ufffd); attributes are sorted by key.
std::string event_json(const Event& event);

// Docker's /events `filters`: a JSON object of key → values, in the current form
// {"type":{"container":true}} or the legacy {"type":["container"]}. An event
// passes when every key present matches (dockerd's daemon/events.Filter):
//   type            the event type, exactly;
//   event           the action, exactly; if any value is "exec_create",
//                   "exec_start" or "health_status", a prefix (so "exec_start"
//                   matches "exec_start: sh -c x");
//   container, volume, network, daemon, plugin, node, service, secret, config
//                   a prefix of the actor ID or of its "name" attribute, which also
//                   keeps out events of other types;
//   image           the actor ID or the "image" attribute ("name" for image
//                   events), exactly, with or without tag or registry
//                   ("busybox" matches "docker.io/library/busybox:latest");
//   label           every value, "k" or "k=v", is among the attributes;
//   scope           "local".
// Other keys are accepted and ignored, as dockerd does.
class EventFilter {
public:
    // Passes every event.
    EventFilter() = default;

    // An empty string is no filter. Errors (EINVAL), as the container filters
    // report them: dockerd 20.10's, Go's json error for a value of the wrong type
    // ("json: cannot unmarshal string into Go value of type map[string]bool"), and
    // "invalid filters: not JSON (at byte N)" for a syntax error.
    static ErrorOr<EventFilter> parse(std::string_view filters_json);

    bool matches(const Event& event) const;

private:
    // Each key's values; Go keeps them as map[string]bool and an exact match
    // looks at the bool, so {"type":{"container":false}} matches nothing.
    using Values = std::map<std::string, bool>;

    bool exact_match(const std::string& key, const std::string& source) const;
    bool fuzzy_match(const std::string& key, const std::string& source) const;
    bool match_name(const std::string& key, const Event& event) const;
    bool match_image(const Event& event) const;
    bool match_labels(const Event& event) const;

    std::map<std::string, Values> m_fields;
};

// A `since` or `until` query value. First as dockerd reads it (timetypes
// ParseTimestamps): Unix seconds with an optional fraction, "1700000000" or
// "1700000000.123" (the fraction is scaled to nanoseconds, so ".5" is half a
// second). Failing that, as the docker CLI would have converted it before sending
// (timetypes.GetTimestamp), with `now` as the reference:
//   a Go duration, "10m", "1h30m", "-5s": now minus it, truncated to the second;
//   RFC 3339 and its shortenings: "2024-01-02T03:04:05.5Z", "2024-01-02T03:04:05",
//   "2024-01-02T03:04", "2024-01-02T03", "2024-01-02", "2024-01-02+01:00" — without
//   a zone, in the local zone's offset at `now`.
// Nothing for an empty value. Errors (EINVAL): "failed to parse value as time or
// duration: \"x\"" as GetTimestamp, or "parsing time …" for a malformed date.
ErrorOr<std::optional<struct timespec>> parse_event_time(std::string_view value, const struct timespec& now);

// The query of GET /events parsed: the filter, and since/until. Errors as
// parse_event_time and EventFilter::parse, and dockerd's "`since` time (X) cannot
// be after `until` time (Y)" (EINVAL).
struct EventQuery {
    EventFilter filter;
    std::optional<struct timespec> since;
    std::optional<struct timespec> until;
};
ErrorOr<EventQuery> parse_event_query(
    std::string_view since, std::string_view until, std::string_view filters, const struct timespec& now);

namespace detail {
struct EventLog;
}

// A reader of the bus. Move-only; it holds no registration, so dropping it is
// all it takes to unsubscribe. Not thread-safe itself: one reader per
// subscription.
class Subscription {
public:
    // The next event that passes the filter, waiting for one until `deadline`
    // (std::nullopt then, so that the caller can check its client is still
    // there). Also std::nullopt, with finished() true, once the stream is over:
    // `until` has passed on the wall clock and every event up to it was returned,
    // or the bus was shut down and every event published was returned. Events
    // later than `until` are never returned.
    // Errors: ENOBUFS if the reader fell so far behind that events it had not
    // read were dropped from the bus's history; the stream cannot go on
    // without a gap, so it should end.
    ErrorOr<std::optional<Event>> next(std::chrono::steady_clock::time_point deadline);

    bool finished() const { return m_finished; }

private:
    friend class EventBus;
    Subscription(std::shared_ptr<detail::EventLog> log, std::shared_ptr<const int> listener, EventFilter filter,
        uint64_t cursor, std::optional<int64_t> until_nano)
        : m_log(std::move(log))
        , m_listener(std::move(listener))
        , m_filter(std::move(filter))
        , m_cursor(cursor)
        , m_until_nano(until_nano)
    {
    }

    std::shared_ptr<detail::EventLog> m_log;
    std::shared_ptr<const int> m_listener; // counts the bus's subscriptions (EventBus::listeners)
    EventFilter m_filter;
    uint64_t m_cursor; // the sequence number of the next event to look at
    std::optional<int64_t> m_until_nano;
    bool m_finished { false };
};

// Hands events from publishers (the engine's threads) to subscribers (the HTTP
// connections). Keeps the last `history` events: those are what `since` can
// replay, and how far a subscriber may fall behind. Every member is thread-safe;
// subscriptions stay valid after the bus is destroyed (they finish).
class EventBus {
public:
    static constexpr size_t DEFAULT_HISTORY = 1000;

    explicit EventBus(size_t history = DEFAULT_HISTORY);
    ~EventBus();
    EventBus(const EventBus&) = delete;
    EventBus& operator=(const EventBus&) = delete;

    void publish(Event event);

    // As dockerd's SubscribeTopic: with neither since nor until, only events
    // published from now on; with either, first the kept events from the newest
    // back to the first one older than `since` (all of them without since), those
    // later than `until` left out, then the new ones.
    Subscription subscribe(
        EventFilter filter, std::optional<struct timespec> since, std::optional<struct timespec> until);

    // Makes every subscription finish once it has read what was published.
    void shutdown();

    // How many subscriptions exist (/info's NEventsListener).
    size_t listeners() const { return static_cast<size_t>(m_listener.use_count() - 1); }

private:
    std::shared_ptr<detail::EventLog> m_log;
    // Every subscription holds a copy; the count of owners tells how many.
    std::shared_ptr<const int> m_listener { std::make_shared<const int>(0) };
};

} // namespace corral::api
