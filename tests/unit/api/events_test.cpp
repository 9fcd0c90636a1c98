#include "api/events.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <gtest/gtest.h>
#include <string>
#include <thread>
#include <vector>

namespace corral::api {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int64_t SECOND = 1'000'000'000;

Event container_event(std::string action, std::string id = "4f3c2b1a0e9d", std::string name = "web",
    std::string image = "busybox", int64_t time_nano = 1700000000123456789)
{
    Event event;
    event.type = "container";
    event.action = std::move(action);
    event.id = std::move(id);
    event.attributes = { { "image", std::move(image) }, { "name", std::move(name) } };
    event.time_nano = time_nano;
    return event;
}

Event typed_event(std::string type, std::string action, std::string id, std::map<std::string, std::string> attributes)
{
    Event event;
    event.type = std::move(type);
    event.action = std::move(action);
    event.id = std::move(id);
    event.attributes = std::move(attributes);
    event.time_nano = 1700000000 * SECOND;
    return event;
}

EventFilter filter_of(std::string_view json)
{
    auto filter = EventFilter::parse(json);
    EXPECT_FALSE(filter.is_error()) << json << ": " << (filter.is_error() ? filter.error().message() : "");
    return filter.is_error() ? EventFilter() : filter.release_value();
}

std::string filter_error(std::string_view json)
{
    auto filter = EventFilter::parse(json);
    EXPECT_TRUE(filter.is_error()) << json;
    if (!filter.is_error())
        return "";
    EXPECT_EQ(filter.error().code(), EINVAL);
    return filter.error().message();
}

// ---- wire format ----

TEST(EventJsonTest, ContainerEventsCarryTheLegacyFields)
{
    Event event = container_event("start");
    event.attributes["com.example.note"] = "a<b>&c";
    EXPECT_EQ(event_json(event),
        R"({"status":"start","id":"4f3c2b1a0e9d","from":"busybox","Type":"container","Action":"start",)"
        R"("Actor":{"ID":"4f3c2b1a0e9d","Attributes":{"com.example.note":"a\u003cb\u003e\u0026c",)"
        R"("image":"busybox","name":"web"}},"scope":"local","time":1700000000,"timeNano":1700000000123456789})");
}

TEST(EventJsonTest, ImageEventsHaveStatusAndIdButNoFrom)
{
    Event event = typed_event("image", "pull", "busybox:latest", { { "name", "busybox" } });
    EXPECT_EQ(event_json(event),
        R"({"status":"pull","id":"busybox:latest","Type":"image","Action":"pull",)"
        R"("Actor":{"ID":"busybox:latest","Attributes":{"name":"busybox"}},"scope":"local",)"
        R"("time":1700000000,"timeNano":1700000000000000000})");
}

TEST(EventJsonTest, OtherTypesHaveOnlyTheCurrentFields)
{
    Event event = typed_event(
        "network", "connect", "9a8b", { { "container", "4f3c" }, { "name", "bridge" }, { "type", "bridge" } });
    EXPECT_EQ(event_json(event),
        R"({"Type":"network","Action":"connect","Actor":{"ID":"9a8b","Attributes":)"
        R"({"container":"4f3c","name":"bridge","type":"bridge"}},"scope":"local",)"
        R"("time":1700000000,"timeNano":1700000000000000000})");
    Event bare;
    bare.type = "daemon";
    bare.action = "reload";
    EXPECT_EQ(
        event_json(bare), R"({"Type":"daemon","Action":"reload","Actor":{"ID":"","Attributes":{}},"scope":"local"})");
}

TEST(EventJsonTest, ContainerWithoutImageHasNoFrom)
{
    Event event = container_event("exec_start: sh -c \"echo hi\"");
    event.attributes.erase("image");
    event.attributes["execID"] = "e1";
    EXPECT_EQ(event_json(event),
        R"({"status":"exec_start: sh -c \"echo hi\"","id":"4f3c2b1a0e9d","Type":"container",)"
        R"("Action":"exec_start: sh -c \"echo hi\"","Actor":{"ID":"4f3c2b1a0e9d","Attributes":)"
        R"({"execID":"e1","name":"web"}},"scope":"local","time":1700000000,"timeNano":1700000000123456789})");
}

TEST(EventJsonTest, EscapesStringsAsGoDoes)
{
    Event event = typed_event("volume", "create", "v", {});
    event.attributes["k"] = "tab\there\nnl\rcr\x01\x1f\x7f \\ \" \xc3\xa9 \xff \xe2\x80\xa8\xe2\x80\xa9 \xef\xbf\xbd";
    EXPECT_EQ(event_json(event),
        R"({"Type":"volume","Action":"create","Actor":{"ID":"v","Attributes":{"k":"tab\there\nnl\rcr\u0001\u001f)"
        "\x7f"
        R"( \\ \" )"
        "\xc3\xa9"
        R"( \ufffd \u2028\u2029 )"
        "\xef\xbf\xbd"
        R"("}},"scope":"local","time":1700000000,"timeNano":1700000000000000000})");
}

TEST(EventJsonTest, TimeRoundsDownBeforeTheEpoch)
{
    Event event = typed_event("daemon", "x", "d", {});
    event.time_nano = -1;
    EXPECT_NE(event_json(event).find(R"("time":-1,"timeNano":-1})"), std::string::npos);
    event.time_nano = 999999999;
    EXPECT_NE(event_json(event).find(R"("scope":"local","timeNano":999999999})"), std::string::npos);
}

// ---- filters ----

TEST(EventFilterTest, NoFilterPassesEverything)
{
    for (auto json : { "", "{}", "null" }) {
        auto filter = filter_of(json);
        EXPECT_TRUE(filter.matches(container_event("start")));
        EXPECT_TRUE(filter.matches(typed_event("volume", "create", "v", {})));
    }
    EXPECT_TRUE(filter_of(R"({"unknown":{"x":true}})").matches(container_event("start")));
}

TEST(EventFilterTest, TypeInBothForms)
{
    auto current = filter_of(R"({"type":{"container":true}})");
    EXPECT_TRUE(current.matches(container_event("start")));
    EXPECT_FALSE(current.matches(typed_event("image", "pull", "busybox", {})));
    auto legacy = filter_of(R"({"type":["image","volume"]})");
    EXPECT_FALSE(legacy.matches(container_event("start")));
    EXPECT_TRUE(legacy.matches(typed_event("image", "pull", "busybox", {})));
    EXPECT_TRUE(legacy.matches(typed_event("volume", "create", "v", {})));
    // Go keeps the bools: a false value matches nothing.
    EXPECT_FALSE(filter_of(R"({"type":{"container":false}})").matches(container_event("start")));
    // A key with no values does not filter.
    EXPECT_TRUE(filter_of(R"({"type":{}})").matches(container_event("start")));
    EXPECT_TRUE(filter_of(R"({"type":null})").matches(container_event("start")));
}

TEST(EventFilterTest, EventMatchesExactlyExceptForSuffixedActions)
{
    auto start = filter_of(R"({"event":{"start":true,"die":true}})");
    EXPECT_TRUE(start.matches(container_event("start")));
    EXPECT_TRUE(start.matches(container_event("die")));
    EXPECT_FALSE(start.matches(container_event("restart")));
    EXPECT_FALSE(start.matches(container_event("exec_start: sh -c x")));
    auto exec = filter_of(R"({"event":["exec_start"]})");
    EXPECT_TRUE(exec.matches(container_event("exec_start: sh -c x")));
    EXPECT_TRUE(exec.matches(container_event("exec_start")));
    EXPECT_FALSE(exec.matches(container_event("exec_create: sh")));
    EXPECT_TRUE(filter_of(R"({"event":["health_status"]})").matches(container_event("health_status: healthy")));
}

TEST(EventFilterTest, ContainerByIdPrefixOrName)
{
    EXPECT_TRUE(filter_of(R"({"container":["4f3c"]})").matches(container_event("start")));
    EXPECT_TRUE(filter_of(R"({"container":["4f3c2b1a0e9d"]})").matches(container_event("start")));
    EXPECT_TRUE(filter_of(R"({"container":["web"]})").matches(container_event("start")));
    EXPECT_TRUE(filter_of(R"({"container":["we"]})").matches(container_event("start")));
    EXPECT_FALSE(filter_of(R"({"container":["db"]})").matches(container_event("start")));
    EXPECT_TRUE(filter_of(R"({"container":["db","web"]})").matches(container_event("start")));
    // It also keeps out events of other actors.
    EXPECT_FALSE(filter_of(R"({"container":["web"]})").matches(typed_event("volume", "create", "data", {})));
    auto volume = filter_of(R"({"volume":["data"]})");
    EXPECT_TRUE(volume.matches(typed_event("volume", "mount", "data", { { "container", "4f3c" } })));
    EXPECT_FALSE(volume.matches(container_event("start")));
    auto network = filter_of(R"({"network":["bridge"]})");
    EXPECT_TRUE(network.matches(typed_event("network", "connect", "9a8b", { { "name", "bridge" } })));
    EXPECT_FALSE(network.matches(typed_event("network", "connect", "9a8b", { { "name", "host" } })));
    auto daemon = filter_of(R"({"daemon":["corral"]})");
    EXPECT_TRUE(daemon.matches(typed_event("daemon", "reload", "ID1", { { "name", "corral" } })));
    EXPECT_FALSE(daemon.matches(container_event("start")));
}

TEST(EventFilterTest, ImageWithOrWithoutTagAndRegistry)
{
    auto busybox = filter_of(R"({"image":["busybox"]})");
    EXPECT_TRUE(busybox.matches(container_event("start", "id1", "web", "busybox")));
    EXPECT_TRUE(busybox.matches(container_event("start", "id1", "web", "busybox:1.36")));
    EXPECT_TRUE(busybox.matches(container_event("start", "id1", "web", "docker.io/library/busybox:latest")));
    EXPECT_FALSE(busybox.matches(container_event("start", "id1", "web", "busyboxx")));
    EXPECT_FALSE(busybox.matches(container_event("start", "id1", "web", "alpine")));
    EXPECT_TRUE(busybox.matches(typed_event("image", "tag", "sha256:0123", { { "name", "busybox:new" } })));
    EXPECT_TRUE(busybox.matches(typed_event("image", "delete", "busybox:latest", {})));
    auto tagged = filter_of(R"({"image":["busybox:1.36"]})");
    EXPECT_TRUE(tagged.matches(container_event("start", "id1", "web", "busybox:1.36")));
    EXPECT_FALSE(tagged.matches(container_event("start", "id1", "web", "busybox:latest")));
    auto registry = filter_of(R"({"image":["localhost:5000/app"]})");
    EXPECT_TRUE(registry.matches(container_event("start", "id1", "web", "localhost:5000/app:v2")));
}

TEST(EventFilterTest, EveryLabelMustBeThere)
{
    Event event = container_event("start");
    event.attributes["com.example.tier"] = "front";
    event.attributes["com.example.owner"] = "ops=team";
    EXPECT_TRUE(filter_of(R"({"label":["com.example.tier"]})").matches(event));
    EXPECT_TRUE(filter_of(R"({"label":["com.example.tier=front"]})").matches(event));
    EXPECT_TRUE(filter_of(R"({"label":["com.example.owner=ops=team"]})").matches(event));
    EXPECT_FALSE(filter_of(R"({"label":["com.example.tier=back"]})").matches(event));
    EXPECT_FALSE(filter_of(R"({"label":["com.example.tier","missing"]})").matches(event));
    EXPECT_TRUE(filter_of(R"({"label":["com.example.tier","name=web"]})").matches(event));
    EXPECT_FALSE(filter_of(R"({"label":["x"]})").matches(typed_event("daemon", "reload", "d", {})));
}

TEST(EventFilterTest, KeysCombine)
{
    auto filter = filter_of(R"({"type":["container"],"event":["die"],"container":["web"],"scope":["local"]})");
    EXPECT_TRUE(filter.matches(container_event("die")));
    EXPECT_FALSE(filter.matches(container_event("start")));
    EXPECT_FALSE(filter.matches(container_event("die", "id2", "db")));
    EXPECT_FALSE(filter_of(R"({"scope":["swarm"]})").matches(container_event("die")));
}

TEST(EventFilterTest, ReportsErrorsAsDocker)
{
    EXPECT_EQ(
        filter_error(R"({"type":"container"})"), "json: cannot unmarshal string into Go value of type map[string]bool");
    EXPECT_EQ(filter_error("[1]"), "json: cannot unmarshal array into Go value of type map[string]map[string]bool");
    EXPECT_EQ(filter_error("42"), "json: cannot unmarshal number into Go value of type map[string]map[string]bool");
    EXPECT_EQ(
        filter_error(R"({"type":{"container":"yes"}})"), "json: cannot unmarshal string into Go value of type bool");
    // Neither form: the error of the current one, at its first wrong value.
    EXPECT_EQ(filter_error(R"({"type":["container",1]})"),
        "json: cannot unmarshal array into Go value of type map[string]bool");
    EXPECT_EQ(filter_error(R"({"type":{"container":true},"event":["die"]})"),
        "json: cannot unmarshal array into Go value of type map[string]bool");
    EXPECT_EQ(filter_error(R"({"type":)"), "invalid filters: not JSON (at byte 9)");
}

// ---- since and until ----

class EventTimeTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        const char* tz = std::getenv("TZ");
        m_saved_tz = tz ? std::optional<std::string>(tz) : std::nullopt;
        set_tz("UTC");
    }
    void TearDown() override
    {
        if (m_saved_tz)
            ::setenv("TZ", m_saved_tz->c_str(), 1);
        else
            ::unsetenv("TZ");
        ::tzset();
    }
    static void set_tz(const char* tz)
    {
        ::setenv("TZ", tz, 1);
        ::tzset();
    }

    // 2024-01-02T03:04:05.5Z.
    static constexpr struct timespec NOW {
        1704164645, 500000000
    };

    static std::pair<long, long> parsed(std::string_view value)
    {
        auto time = parse_event_time(value, NOW);
        EXPECT_FALSE(time.is_error()) << value << ": " << (time.is_error() ? time.error().message() : "");
        if (time.is_error() || !*time)
            return { -1, -1 };
        return { static_cast<long>((*time)->tv_sec), (*time)->tv_nsec };
    }

    static std::string error_of(std::string_view value)
    {
        auto time = parse_event_time(value, NOW);
        EXPECT_TRUE(time.is_error()) << value;
        if (!time.is_error())
            return "";
        EXPECT_EQ(time.error().code(), EINVAL);
        return time.error().message();
    }

    std::optional<std::string> m_saved_tz;
};

using Parsed = std::pair<long, long>;

TEST_F(EventTimeTest, UnixSecondsWithFraction)
{
    EXPECT_EQ(parsed("1700000000"), Parsed(1700000000, 0));
    EXPECT_EQ(parsed("1700000000.123"), Parsed(1700000000, 123000000));
    EXPECT_EQ(parsed("1700000000.5"), Parsed(1700000000, 500000000));
    EXPECT_EQ(parsed("1700000000.000000001"), Parsed(1700000000, 1));
    EXPECT_EQ(parsed("1700000000.1234567891"), Parsed(1700000000, 123456789));
    EXPECT_EQ(parsed("0"), Parsed(0, 0));
    EXPECT_EQ(parsed("-5"), Parsed(-5, 0));
    EXPECT_EQ(parsed("+7"), Parsed(7, 0));
    auto empty = parse_event_time("", NOW);
    ASSERT_FALSE(empty.is_error());
    EXPECT_FALSE(empty->has_value());
}

TEST_F(EventTimeTest, DurationsCountBackFromNowInWholeSeconds)
{
    EXPECT_EQ(parsed("10m"), Parsed(1704164645 - 600, 0));
    EXPECT_EQ(parsed("1h30m"), Parsed(1704164645 - 5400, 0));
    EXPECT_EQ(parsed("1.5h"), Parsed(1704164645 - 5400, 0));
    EXPECT_EQ(parsed("500ms"), Parsed(1704164645, 0));
    EXPECT_EQ(parsed("501ms"), Parsed(1704164644, 0));
    EXPECT_EQ(parsed("-5s"), Parsed(1704164650, 0));
    EXPECT_EQ(parsed("2\xC2\xB5s"), Parsed(1704164645, 0));
    EXPECT_EQ(parsed(".5s"), Parsed(1704164645, 0));
}

TEST_F(EventTimeTest, Rfc3339AndItsShortenings)
{
    EXPECT_EQ(parsed("2024-01-02T03:04:05Z"), Parsed(1704164645, 0));
    EXPECT_EQ(parsed("2024-01-02T03:04:05.123456789Z"), Parsed(1704164645, 123456789));
    EXPECT_EQ(parsed("2024-01-02T03:04:05.12Z"), Parsed(1704164645, 120000000));
    EXPECT_EQ(parsed("2024-01-02T03:04:05.1234567899Z"), Parsed(1704164645, 123456789));
    EXPECT_EQ(parsed("2024-01-02T03:04:05+01:00"), Parsed(1704164645 - 3600, 0));
    EXPECT_EQ(parsed("2024-01-02T03:04:05-01:30"), Parsed(1704164645 + 5400, 0));
    EXPECT_EQ(parsed("2024-01-02T03:04Z"), Parsed(1704164640, 0));
    EXPECT_EQ(parsed("2024-01-02T03:04+01:00"), Parsed(1704164640 - 3600, 0));
    EXPECT_EQ(parsed("2024-01-02T03Z"), Parsed(1704164400, 0));
    EXPECT_EQ(parsed("2024-01-02T3Z"), Parsed(1704164400, 0));
    EXPECT_EQ(parsed("2024-01-02Z"), Parsed(1704153600, 0));
    EXPECT_EQ(parsed("2024-01-02+02:00"), Parsed(1704153600 - 7200, 0));
    EXPECT_EQ(parsed("2024-02-29T00:00:00Z"), Parsed(1709164800, 0));
}

TEST_F(EventTimeTest, WithoutZoneInTheLocalOffset)
{
    EXPECT_EQ(parsed("2024-01-02T03:04:05"), Parsed(1704164645, 0));
    EXPECT_EQ(parsed("2024-01-02"), Parsed(1704153600, 0));
    set_tz("XST-2"); // two hours east of UTC
    EXPECT_EQ(parsed("2024-01-02T03:04:05"), Parsed(1704164645 - 7200, 0));
    EXPECT_EQ(parsed("2024-01-02T03:04:05.25"), Parsed(1704164645 - 7200, 250000000));
    EXPECT_EQ(parsed("2024-01-02T03:04"), Parsed(1704164640 - 7200, 0));
    EXPECT_EQ(parsed("2024-01-02T03"), Parsed(1704164400 - 7200, 0));
    EXPECT_EQ(parsed("2024-01-02"), Parsed(1704153600 - 7200, 0));
}

TEST_F(EventTimeTest, RefusesJunk)
{
    EXPECT_EQ(error_of("junk"), "failed to parse value as time or duration: \"junk\"");
    EXPECT_EQ(error_of("10x"), "failed to parse value as time or duration: \"10x\"");
    EXPECT_EQ(error_of("1700000000."), "failed to parse value as time or duration: \"1700000000.\"");
    EXPECT_EQ(error_of("99999999999999999999"), "failed to parse value as time or duration: \"99999999999999999999\"");
    EXPECT_EQ(error_of("2024-13-01"), "parsing time \"2024-13-01\": month out of range");
    EXPECT_EQ(error_of("2024-02-30"), "parsing time \"2024-02-30\": day out of range");
    EXPECT_EQ(error_of("2023-02-29"), "parsing time \"2023-02-29\": day out of range");
    EXPECT_EQ(error_of("2024-01-02T24:00Z"), "parsing time \"2024-01-02T24:00Z\": hour out of range");
    EXPECT_EQ(error_of("2024-01-02T03:04:05Zjunk"), "parsing time \"2024-01-02T03:04:05Zjunk\": extra text: \"junk\"");
    EXPECT_EQ(error_of("2024-1-02"), "parsing time \"2024-1-02\" as \"2006-01-02\": cannot parse \"1-02\" as \"01\"");
    EXPECT_EQ(error_of("2024-01-02T03:04:05+1:00"),
        "parsing time \"2024-01-02T03:04:05+1:00\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"+1:00\" as "
        "\"Z07:00\"");
    error_of("2024-01-02t03:04:05z");
    error_of("-");
    error_of("1.5.5");
}

TEST(EventQueryTest, ParsesTogetherAndRefusesSinceAfterUntil)
{
    struct timespec now {
        1704164645, 0
    };
    auto query = parse_event_query("1700000000", "10m", R"({"type":["container"]})", now);
    ASSERT_FALSE(query.is_error()) << query.error().message();
    EXPECT_EQ(query->since->tv_sec, 1700000000);
    EXPECT_EQ(query->until->tv_sec, 1704164045);
    EXPECT_FALSE(query->filter.matches(typed_event("image", "pull", "x", {})));

    auto backwards = parse_event_query("1700000010", "1700000000", "", now);
    ASSERT_TRUE(backwards.is_error());
    EXPECT_EQ(backwards.error().code(), EINVAL);
    EXPECT_EQ(backwards.error().message(), "`since` time (1700000010) cannot be after `until` time (1700000000)");

    auto bad_filter = parse_event_query("", "", "{", now);
    ASSERT_TRUE(bad_filter.is_error());
    EXPECT_EQ(bad_filter.error().code(), EINVAL);
}

// ---- the bus ----

Event numbered(int n, int64_t time_nano)
{
    Event event = container_event("start", "id" + std::to_string(n));
    event.time_nano = time_nano;
    return event;
}

std::vector<std::string> drain(Subscription& subscription)
{
    std::vector<std::string> ids;
    for (;;) {
        auto event = subscription.next(Clock::now());
        EXPECT_FALSE(event.is_error()) << (event.is_error() ? event.error().message() : "");
        if (event.is_error() || !*event)
            return ids;
        ids.push_back((*event)->id);
    }
}

std::optional<struct timespec> at_second(time_t seconds)
{
    struct timespec time { };
    time.tv_sec = seconds;
    return time;
}

TEST(EventBusTest, WithoutSinceOnlyNewEvents)
{
    EventBus bus;
    bus.publish(numbered(1, 1 * SECOND));
    auto subscription = bus.subscribe({}, std::nullopt, std::nullopt);
    EXPECT_EQ(drain(subscription), std::vector<std::string> {});
    bus.publish(numbered(2, 2 * SECOND));
    bus.publish(numbered(3, 3 * SECOND));
    EXPECT_EQ(drain(subscription), (std::vector<std::string> { "id2", "id3" }));
    EXPECT_FALSE(subscription.finished());
}

TEST(EventBusTest, SinceReplaysKeptEventsThenFollows)
{
    EventBus bus;
    for (int n = 1; n <= 5; ++n)
        bus.publish(numbered(n, n * SECOND));
    auto subscription = bus.subscribe({}, at_second(3), std::nullopt);
    EXPECT_EQ(drain(subscription), (std::vector<std::string> { "id3", "id4", "id5" }));
    bus.publish(numbered(6, 6 * SECOND));
    EXPECT_EQ(drain(subscription), (std::vector<std::string> { "id6" }));
    EXPECT_FALSE(subscription.finished());
}

TEST(EventBusTest, PastUntilReplaysAndFinishes)
{
    EventBus bus;
    for (int n = 1; n <= 5; ++n)
        bus.publish(numbered(n, n * SECOND));
    // Without since, until alone replays everything kept up to it (dockerd does).
    auto subscription = bus.subscribe({}, std::nullopt, at_second(4));
    EXPECT_EQ(drain(subscription), (std::vector<std::string> { "id1", "id2", "id3", "id4" }));
    EXPECT_TRUE(subscription.finished());
    bus.publish(numbered(6, 2 * SECOND));
    auto after = subscription.next(Clock::now() + 1s);
    ASSERT_FALSE(after.is_error());
    EXPECT_FALSE(after->has_value());

    auto window = bus.subscribe({}, at_second(2), at_second(3));
    EXPECT_EQ(drain(window), (std::vector<std::string> { "id2", "id3", "id6" }));
    EXPECT_TRUE(window.finished());
}

TEST(EventBusTest, FiltersReplayedAndNewEvents)
{
    EventBus bus;
    bus.publish(numbered(1, 1 * SECOND));
    bus.publish(typed_event("volume", "create", "v1", {}));
    auto subscription = bus.subscribe(filter_of(R"({"type":["volume"]})"), at_second(0), std::nullopt);
    EXPECT_EQ(drain(subscription), (std::vector<std::string> { "v1" }));
    bus.publish(numbered(2, 2 * SECOND));
    bus.publish(typed_event("volume", "destroy", "v2", {}));
    EXPECT_EQ(drain(subscription), (std::vector<std::string> { "v2" }));
}

TEST(EventBusTest, KeepsTheLastEventsOnlyAndReportsAReaderLeftBehind)
{
    EventBus bus(3);
    auto slow = bus.subscribe({}, std::nullopt, std::nullopt);
    for (int n = 1; n <= 5; ++n)
        bus.publish(numbered(n, n * SECOND));
    auto replay = bus.subscribe({}, at_second(0), std::nullopt);
    EXPECT_EQ(drain(replay), (std::vector<std::string> { "id3", "id4", "id5" }));
    auto behind = slow.next(Clock::now());
    ASSERT_TRUE(behind.is_error());
    EXPECT_EQ(behind.error().code(), ENOBUFS);
}

TEST(EventBusTest, NextWaitsForAPublisherOrTheDeadline)
{
    EventBus bus;
    auto subscription = bus.subscribe({}, std::nullopt, std::nullopt);
    auto start = Clock::now();
    auto nothing = subscription.next(start + 50ms);
    ASSERT_FALSE(nothing.is_error());
    EXPECT_FALSE(nothing->has_value());
    EXPECT_GE(Clock::now() - start, 50ms);

    std::thread publisher([&] {
        std::this_thread::sleep_for(50ms);
        bus.publish(numbered(1, 1 * SECOND));
    });
    start = Clock::now();
    auto event = subscription.next(start + 10s);
    publisher.join();
    ASSERT_FALSE(event.is_error());
    ASSERT_TRUE(event->has_value());
    EXPECT_EQ((*event)->id, "id1");
    EXPECT_LT(Clock::now() - start, 5s);
}

TEST(EventBusTest, FinishesWhenUntilComesOrOnShutdown)
{
    EventBus bus;
    struct timespec now { };
    clock_gettime(CLOCK_REALTIME, &now);
    struct timespec until = now;
    until.tv_nsec += 100'000'000;
    if (until.tv_nsec >= 1'000'000'000) {
        until.tv_sec += 1;
        until.tv_nsec -= 1'000'000'000;
    }
    auto subscription = bus.subscribe({}, std::nullopt, until);
    auto start = Clock::now();
    auto end = subscription.next(start + 10s);
    ASSERT_FALSE(end.is_error());
    EXPECT_FALSE(end->has_value());
    EXPECT_TRUE(subscription.finished());
    EXPECT_LT(Clock::now() - start, 5s);

    auto waiting = bus.subscribe({}, std::nullopt, std::nullopt);
    std::thread stopper([&] {
        std::this_thread::sleep_for(50ms);
        bus.publish(numbered(1, 1 * SECOND));
        bus.shutdown();
    });
    std::vector<std::string> seen;
    start = Clock::now();
    while (!waiting.finished() && Clock::now() - start < 10s) {
        auto event = waiting.next(Clock::now() + 10s);
        ASSERT_FALSE(event.is_error());
        if (*event)
            seen.push_back((*event)->id);
    }
    stopper.join();
    EXPECT_EQ(seen, (std::vector<std::string> { "id1" }));
    EXPECT_TRUE(waiting.finished());
}

TEST(EventBusTest, ConcurrentPublishersLoseNothing)
{
    constexpr int PUBLISHERS = 4;
    constexpr int EACH = 500;
    EventBus bus(PUBLISHERS * EACH);
    auto subscription = bus.subscribe({}, std::nullopt, std::nullopt);
    std::vector<std::thread> publishers;
    for (int p = 0; p < PUBLISHERS; ++p) {
        publishers.emplace_back([&bus, p] {
            for (int n = 0; n < EACH; ++n) {
                Event event = numbered(n, 1);
                event.attributes["publisher"] = std::to_string(p);
                bus.publish(std::move(event));
            }
        });
    }
    std::vector<int> next_of(PUBLISHERS, 0);
    int received = 0;
    auto start = Clock::now();
    while (received < PUBLISHERS * EACH && Clock::now() - start < 30s) {
        auto event = subscription.next(Clock::now() + 1s);
        ASSERT_FALSE(event.is_error()) << event.error().message();
        if (!*event)
            continue;
        int p = std::stoi((*event)->attributes.at("publisher"));
        ASSERT_EQ((*event)->id, "id" + std::to_string(next_of[p])) << "publisher " << p;
        ++next_of[p];
        ++received;
    }
    for (auto& publisher : publishers)
        publisher.join();
    EXPECT_EQ(received, PUBLISHERS * EACH);
}

} // namespace
} // namespace corral::api

TEST(EventBusListeners, CountsLiveSubscriptions)
{
    using corral::api::EventBus;
    using corral::api::EventFilter;
    EventBus bus;
    EXPECT_EQ(bus.listeners(), 0u);
    auto first = bus.subscribe(EventFilter {}, std::nullopt, std::nullopt);
    {
        auto second = bus.subscribe(EventFilter {}, std::nullopt, std::nullopt);
        EXPECT_EQ(bus.listeners(), 2u);
        auto moved = std::move(second);
        EXPECT_EQ(bus.listeners(), 2u);
    }
    EXPECT_EQ(bus.listeners(), 1u);
}
