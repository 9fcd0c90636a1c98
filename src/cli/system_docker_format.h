#pragma once

// The pure parts of the docker CLI's output: Go's text/tabwriter, docker's
// list formatter (table headers, --format, -q), go-units' human sizes and
// durations, Go's time formats, and the timestamps --since/--until take.

#include "base/error.h"
#include "cli/system_docker_template.h"

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace corral::cli {

// Go's text/tabwriter with padchar ' ' and no flags: cells end with '\t',
// columns are as wide as their widest cell plus `padding` (at least
// `min_width`), the last cell of a line is not aligned. Widths count UTF-8
// characters.
std::string tabwrite(std::string_view text, size_t min_width, size_t tab_width, size_t padding);

// docker's formatter.Context.Write: `format` is "table …" or a plain template
// (the caller has already turned "table" alone into the default table format
// and applied -q). `\t` and `\n` written as two characters become tab and
// newline. Each row is rendered and ended with "\n"; a table gets a header
// line rendered from `header` (field → column title, with docker's Label
// method) and goes through tabwrite(…, 10, 1, 3).
// Errors: "template parsing error: …".
ErrorOr<std::string> format_list(std::string_view format, const std::vector<TemplateData>& rows, const Json& header);

// go-units HumanSizeWithPrecision: decimal units, "%.*g" ("1.23MB", "0B").
std::string human_size(double size, int precision = 4);
// go-units BytesSize: binary units, "%.4g" ("1.5GiB").
std::string bytes_size(double size);
// go-units HumanDuration of `nanoseconds` ("Less than a second", "About a
// minute", "3 hours", "2 weeks").
std::string human_duration(int64_t nanoseconds);
// go-units RAMInBytes: "512m", "1g", "100" (bytes); EINVAL for junk.
ErrorOr<int64_t> ram_in_bytes(std::string_view text);

// docker's formatter.Ellipsis: at most `width` characters, the last one "…"
// when cut.
std::string ellipsis(std::string_view text, size_t width);
// stringid.TruncateID: drops an algorithm prefix, keeps 12 characters.
std::string truncate_id(std::string_view id);

// Go's time.Time.String() of a Unix time in the local zone:
// "2024-01-02 03:04:05 +0000 UTC".
std::string go_time_string(int64_t unix_seconds);
// jsonmessage.RFC3339NanoFixed in the local zone:
// "2024-01-02T03:04:05.000000000Z" (or "+01:00").
std::string rfc3339_nano_fixed_local(int64_t unix_nanoseconds);

// docker's timetypes.GetTimestamp: the value --since/--until send. A Go
// duration ("10m", "1h30m") is taken back from `now`; RFC 3339 dates and
// times (with or without zone; local when absent) become "seconds.nanos"; a
// number is sent as it is. EINVAL for anything else.
ErrorOr<std::string> api_timestamp(std::string_view value, const struct timespec& now);

// Go's time.ParseDuration ("1h2m3.5s", "300ms"): nanoseconds.
ErrorOr<int64_t> parse_go_duration(std::string_view text);

} // namespace corral::cli
