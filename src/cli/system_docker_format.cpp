#include "cli/system_docker_format.h"

#include "base/strings.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

namespace corral::cli {

namespace {

size_t utf8_length(std::string_view text)
{
    size_t count = 0;
    for (unsigned char c : text)
        count += (c & 0xc0) != 0x80;
    return count;
}

struct Cell {
    std::string text;
    size_t width { 0 };
};

// Go's tabwriter.format: lays out the column blocks of lines [line0, line1)
// recursively, one column at a time.
void format_block(const std::vector<std::vector<Cell>>& lines, std::vector<size_t>& widths, size_t line0, size_t line1,
    size_t min_width, size_t padding, std::string& out, size_t& printed)
{
    auto write_lines = [&](size_t from, size_t to) {
        for (size_t i = from; i < to; ++i) {
            auto const& line = lines[i];
            for (size_t j = 0; j < line.size(); ++j) {
                out += line[j].text;
                if (j < widths.size() && widths[j] > line[j].width)
                    out.append(widths[j] - line[j].width, ' ');
            }
            if (i + 1 < lines.size())
                out += '\n';
        }
        printed = to;
    };
    size_t column = widths.size();
    for (size_t current = line0; current < line1; ++current) {
        if (column + 1 >= lines[current].size())
            continue;
        write_lines(printed, current);
        line0 = current;
        size_t width = min_width;
        for (; current < line1; ++current) {
            if (column + 1 >= lines[current].size())
                break;
            width = std::max(width, lines[current][column].width + padding);
        }
        widths.push_back(width);
        format_block(lines, widths, line0, current, min_width, padding, out, printed);
        widths.pop_back();
        line0 = current;
        // As in Go, the loop's ++ then skips the line that ended the block: it
        // has no cell in this column.
        if (current >= line1)
            break;
    }
    write_lines(printed, line1);
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string zone_offset(long gmtoff, bool z_for_utc)
{
    if (gmtoff == 0 && z_for_utc)
        return "Z";
    char buffer[48];
    long magnitude = gmtoff < 0 ? -gmtoff : gmtoff;
    std::snprintf(
        buffer, sizeof buffer, "%c%02ld:%02ld", gmtoff < 0 ? '-' : '+', magnitude / 3600, (magnitude / 60) % 60);
    return buffer;
}

} // namespace

std::string tabwrite(std::string_view text, size_t min_width, size_t tab_width, size_t padding)
{
    (void)tab_width; // only matters for padchar '\t', which docker never uses
    std::vector<std::vector<Cell>> lines(1);
    Cell cell;
    for (char c : text) {
        if (c == '\t' || c == '\n') {
            cell.width = utf8_length(cell.text);
            lines.back().push_back(std::move(cell));
            cell = Cell {};
            if (c == '\n')
                lines.emplace_back();
            continue;
        }
        cell.text += c;
    }
    cell.width = utf8_length(cell.text);
    lines.back().push_back(std::move(cell));
    std::string out;
    std::vector<size_t> widths;
    size_t printed = 0;
    format_block(lines, widths, 0, lines.size(), min_width, padding, out, printed);
    return out;
}

ErrorOr<std::string> format_list(std::string_view format, const std::vector<TemplateData>& rows, const Json& header)
{
    bool table = format.starts_with("table");
    std::string final_format(table ? format.substr(5) : format);
    size_t first = final_format.find_first_not_of(' ');
    size_t last = final_format.find_last_not_of(' ');
    final_format = first == std::string::npos ? std::string() : final_format.substr(first, last - first + 1);
    std::string replaced;
    for (size_t i = 0; i < final_format.size(); ++i) {
        if (final_format[i] == '\\' && i + 1 < final_format.size()
            && (final_format[i + 1] == 't' || final_format[i + 1] == 'n')) {
            replaced += final_format[i + 1] == 't' ? '\t' : '\n';
            ++i;
        } else {
            replaced += final_format[i];
        }
    }
    auto parsed = Template::parse(replaced);
    if (parsed.is_error())
        return Error::from_string("template parsing error: " + parsed.error().message());
    std::string body;
    for (auto const& row : rows) {
        auto text = parsed->execute(row);
        if (text.is_error())
            return Error::from_string("template parsing error: " + text.error().message());
        body += *text;
        body += '\n';
    }
    if (!table)
        return body;
    TemplateData header_data;
    header_data.value = header;
    // SubHeaderContext.Label: the last dotted part, with - and _ as spaces.
    header_data.methods["Label"] = [](const std::vector<Json>& args) -> ErrorOr<Json> {
        if (args.size() != 1 || !args[0].is_string())
            return Error::from_string("Label takes one string");
        std::string name = args[0].get<std::string>();
        if (auto dot = name.rfind('.'); dot != std::string::npos)
            name = name.substr(dot + 1);
        for (char& c : name) {
            if (c == '-' || c == '_')
                c = ' ';
        }
        return name;
    };
    // Docker ignores errors rendering the header (a field it lacks prints as
    // "<no value>", a failure leaves what was written).
    std::string head;
    auto rendered = parsed->execute(header_data, &header_template_functions());
    if (!rendered.is_error())
        head = *rendered;
    return tabwrite(head + "\n" + body, 10, 1, 3);
}

std::string human_size(double size, int precision)
{
    static constexpr const char* units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" };
    size_t i = 0;
    while (size >= 1000.0 && i + 1 < std::size(units)) {
        size /= 1000.0;
        ++i;
    }
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*g%s", precision, size, units[i]);
    return buffer;
}

std::string bytes_size(double size)
{
    static constexpr const char* units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB" };
    size_t i = 0;
    while (size >= 1024.0 && i + 1 < std::size(units)) {
        size /= 1024.0;
        ++i;
    }
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.4g%s", size, units[i]);
    return buffer;
}

std::string human_duration(int64_t nanoseconds)
{
    double d = static_cast<double>(nanoseconds);
    int64_t seconds = static_cast<int64_t>(d / 1e9);
    if (seconds < 1)
        return "Less than a second";
    if (seconds == 1)
        return "1 second";
    if (seconds < 60)
        return std::to_string(seconds) + " seconds";
    int64_t minutes = static_cast<int64_t>(d / 60e9);
    if (minutes == 1)
        return "About a minute";
    if (minutes < 60)
        return std::to_string(minutes) + " minutes";
    int64_t hours = static_cast<int64_t>(d / 3600e9 + 0.5);
    if (hours == 1)
        return "About an hour";
    if (hours < 48)
        return std::to_string(hours) + " hours";
    if (hours < 24 * 7 * 2)
        return std::to_string(hours / 24) + " days";
    if (hours < 24 * 30 * 2)
        return std::to_string(hours / 24 / 7) + " weeks";
    if (hours < 24 * 365 * 2)
        return std::to_string(hours / 24 / 30) + " months";
    return std::to_string(static_cast<int64_t>(d / 3600e9) / 24 / 365) + " years";
}

ErrorOr<int64_t> ram_in_bytes(std::string_view text)
{
    // ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$
    auto invalid = [&] { return Error::from_string("invalid size: '" + std::string(text) + "'"); };
    size_t i = 0;
    std::string number;
    if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i])))
        return invalid();
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
        if (text[i] == '.' && (i + 1 >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i + 1]))))
            return invalid();
        number += text[i++];
    }
    if (i < text.size() && text[i] == ' ')
        ++i;
    double multiplier = 1;
    if (i < text.size()) {
        switch (std::tolower(static_cast<unsigned char>(text[i]))) {
        case 'k':
            multiplier = 1024.0;
            break;
        case 'm':
            multiplier = 1024.0 * 1024;
            break;
        case 'g':
            multiplier = 1024.0 * 1024 * 1024;
            break;
        case 't':
            multiplier = 1024.0 * 1024 * 1024 * 1024;
            break;
        case 'p':
            multiplier = 1024.0 * 1024 * 1024 * 1024 * 1024;
            break;
        default:
            multiplier = 0;
        }
        if (multiplier != 0)
            ++i;
        else
            multiplier = 1;
    }
    if (i < text.size() && (text[i] == 'i' || text[i] == 'I'))
        ++i;
    if (i < text.size() && (text[i] == 'b' || text[i] == 'B'))
        ++i;
    if (i != text.size())
        return invalid();
    // "1.2.3" passes the pattern but not ParseFloat.
    char* end = nullptr;
    double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size())
        return Error::from_string("strconv.ParseFloat: parsing \"" + number + "\": invalid syntax");
    return static_cast<int64_t>(value * multiplier);
}

std::string ellipsis(std::string_view text, size_t width)
{
    if (width == 0)
        return "";
    std::vector<std::string_view> characters;
    for (size_t i = 0; i < text.size();) {
        size_t n = 1;
        while (i + n < text.size() && (static_cast<unsigned char>(text[i + n]) & 0xc0) == 0x80)
            ++n;
        characters.push_back(text.substr(i, n));
        i += n;
    }
    if (width == 1)
        return characters.empty() ? std::string() : std::string(characters[0]);
    if (characters.size() <= width)
        return std::string(text);
    std::string out;
    for (size_t i = 0; i + 1 < width; ++i)
        out += characters[i];
    return out + "…";
}

std::string truncate_id(std::string_view id)
{
    if (auto colon = id.find(':'); colon != std::string_view::npos)
        id = id.substr(colon + 1);
    return std::string(id.substr(0, 12));
}

std::string go_time_string(int64_t unix_seconds)
{
    time_t t = static_cast<time_t>(unix_seconds);
    struct tm local { };
    localtime_r(&t, &local);
    char date[64];
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &local);
    char offset[48];
    long gmtoff = local.tm_gmtoff;
    long magnitude = gmtoff < 0 ? -gmtoff : gmtoff;
    std::snprintf(
        offset, sizeof offset, "%c%02ld%02ld", gmtoff < 0 ? '-' : '+', magnitude / 3600, (magnitude / 60) % 60);
    std::string zone = local.tm_zone ? local.tm_zone : "";
    return std::string(date) + " " + offset + " " + zone;
}

std::string rfc3339_nano_fixed_local(int64_t unix_nanoseconds)
{
    int64_t seconds = unix_nanoseconds / 1000000000;
    int64_t nanos = unix_nanoseconds % 1000000000;
    if (nanos < 0) {
        nanos += 1000000000;
        --seconds;
    }
    time_t t = static_cast<time_t>(seconds);
    struct tm local { };
    localtime_r(&t, &local);
    char date[64];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &local);
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%09lld", static_cast<long long>(nanos));
    return std::string(date) + fraction + zone_offset(local.tm_gmtoff, true);
}

ErrorOr<int64_t> parse_go_duration(std::string_view text)
{
    auto invalid = [&] { return Error::from_string("time: invalid duration " + go_quote(text)); };
    std::string_view s = text;
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0")
        return 0;
    if (s.empty())
        return invalid();
    double total = 0;
    while (!s.empty()) {
        size_t i = 0;
        while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.'))
            ++i;
        if (i == 0)
            return invalid();
        std::string number(s.substr(0, i));
        s.remove_prefix(i);
        size_t j = 0;
        while (j < s.size() && !std::isdigit(static_cast<unsigned char>(s[j])) && s[j] != '.')
            ++j;
        std::string_view unit = s.substr(0, j);
        s.remove_prefix(j);
        double scale;
        if (unit == "ns")
            scale = 1;
        else if (unit == "us" || unit == "µs" || unit == "μs")
            scale = 1e3;
        else if (unit == "ms")
            scale = 1e6;
        else if (unit == "s")
            scale = 1e9;
        else if (unit == "m")
            scale = 60e9;
        else if (unit == "h")
            scale = 3600e9;
        else if (unit.empty())
            return Error::from_string("time: missing unit in duration " + go_quote(text));
        else
            return Error::from_string("time: unknown unit " + go_quote(unit) + " in duration " + go_quote(text));
        char* end = nullptr;
        double value = std::strtod(number.c_str(), &end);
        if (end != number.c_str() + number.size())
            return invalid();
        total += value * scale;
    }
    if (total > 9.2e18)
        return invalid();
    return static_cast<int64_t>(negative ? -total : total);
}

ErrorOr<std::string> api_timestamp(std::string_view value, const struct timespec& now)
{
    if (value != "0") {
        if (auto duration = parse_go_duration(value); !duration.is_error()) {
            int64_t then = now.tv_sec - *duration / 1000000000;
            // reference.Add(-d).Unix(): the nanoseconds carry into the seconds.
            int64_t nanos = now.tv_nsec - *duration % 1000000000;
            if (nanos < 0)
                --then;
            else if (nanos >= 1000000000)
                ++then;
            return std::to_string(then);
        }
    }
    // YYYY-MM-DD[THH[:MM[:SS[.fraction]]]][Z|±hh:mm]
    auto digits = [&](size_t& i, size_t count, int& out) {
        if (i + count > value.size())
            return false;
        out = 0;
        for (size_t k = 0; k < count; ++k) {
            char c = value[i + k];
            if (c < '0' || c > '9')
                return false;
            out = out * 10 + (c - '0');
        }
        i += count;
        return true;
    };
    size_t i = 0;
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    int64_t nanos = 0;
    bool parsed = digits(i, 4, year) && i < value.size() && value[i++] == '-' && digits(i, 2, month) && i < value.size()
        && value[i++] == '-' && digits(i, 2, day);
    std::optional<long> offset;
    if (parsed && i < value.size() && value[i] == 'T') {
        ++i;
        parsed = digits(i, 2, hour);
        if (parsed && i < value.size() && value[i] == ':') {
            ++i;
            parsed = digits(i, 2, minute);
            if (parsed && i < value.size() && value[i] == ':') {
                ++i;
                parsed = digits(i, 2, second);
                if (parsed && i < value.size() && value[i] == '.') {
                    ++i;
                    int64_t scale = 100000000;
                    size_t start = i;
                    while (i < value.size() && std::isdigit(static_cast<unsigned char>(value[i]))) {
                        nanos += (value[i] - '0') * scale;
                        scale /= 10;
                        ++i;
                    }
                    parsed = i > start;
                }
            }
        }
    }
    if (parsed && i < value.size()) {
        if (value[i] == 'Z' || value[i] == 'z') {
            offset = 0;
            ++i;
        } else if (value[i] == '+' || value[i] == '-') {
            int sign = value[i] == '-' ? -1 : 1;
            ++i;
            int hh = 0, mm = 0;
            parsed = digits(i, 2, hh) && i < value.size() && value[i++] == ':' && digits(i, 2, mm);
            offset = sign * (hh * 3600L + mm * 60L);
        }
    }
    parsed = parsed && i == value.size() && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour < 24
        && minute < 60 && second < 60;
    if (!parsed) {
        if (value.find('-') != std::string_view::npos)
            return Error::from_string("parsing time " + go_quote(value) + ": cannot parse as a time");
        // A Unix timestamp "seconds[.nanoseconds]" goes to the daemon as it is.
        std::string_view seconds = value.substr(0, value.find('.'));
        std::string_view fraction = value.find('.') == std::string_view::npos ? "" : value.substr(value.find('.') + 1);
        auto all_digits = [](std::string_view s) {
            for (char c : s) {
                if (c < '0' || c > '9')
                    return false;
            }
            return true;
        };
        if (seconds.empty() || !all_digits(seconds) || !all_digits(fraction))
            return Error::from_string("failed to parse value as time or duration: " + go_quote(value));
        return std::string(value);
    }
    int64_t local_seconds = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400
        + hour * 3600 + minute * 60 + second;
    int64_t unix_seconds;
    if (offset) {
        unix_seconds = local_seconds - *offset;
    } else {
        // In the zone of `now`, as docker parses in time.FixedZone(reference.Zone()).
        time_t reference = now.tv_sec;
        struct tm local { };
        localtime_r(&reference, &local);
        unix_seconds = local_seconds - local.tm_gmtoff;
    }
    char buffer[48];
    std::snprintf(
        buffer, sizeof buffer, "%lld.%09lld", static_cast<long long>(unix_seconds), static_cast<long long>(nanos));
    return std::string(buffer);
}

} // namespace corral::cli
