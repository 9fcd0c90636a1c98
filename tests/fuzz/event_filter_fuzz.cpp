// The query of GET /events from any client: filters (JSON), since and until
// (timestamps, dates or durations). Parsing never crashes; a filter that
// parses can be matched against events without crashing.

#include "api/events.h"

#include <cstdint>
#include <string_view>

using namespace corral::api;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    struct timespec now { 1700000000, 123456789 };
    (void)parse_event_time(text, now);
    // The input split three ways, as since, until and filters.
    auto first = text.find('\n');
    auto second = first == std::string_view::npos ? std::string_view::npos : text.find('\n', first + 1);
    std::string_view since = text.substr(0, first);
    std::string_view until = first == std::string_view::npos ? std::string_view() : text.substr(first + 1, second - first - 1);
    std::string_view filters = second == std::string_view::npos ? text : text.substr(second + 1);
    (void)parse_event_query(since, until, filters, now);
    if (auto filter = EventFilter::parse(filters); !filter.is_error()) {
        Event event { "container", "exec_start: sh -c x", std::string(64, 'a'),
            { { "name", "web" }, { "image", "busybox:latest" }, { "k", "v" } }, 1700000000000000000 };
        (void)filter->matches(event);
        event.type = "image";
        (void)filter->matches(event);
        (void)event_json(event);
    }
    return 0;
}
