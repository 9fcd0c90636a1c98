#include "base/time.h"

#include <cstdio>

namespace corral {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool parse_fixed(std::string_view s, size_t pos, size_t count, int& value)
{
    if (pos + count > s.size())
        return false;
    value = 0;
    for (size_t i = pos; i < pos + count; ++i) {
        if (!is_digit(s[i]))
            return false;
        value = value * 10 + (s[i] - '0');
    }
    return true;
}

} // namespace

std::string format_rfc3339_nano(const struct timespec& time)
{
    struct tm tm { };
    time_t seconds = time.tv_sec;
    gmtime_r(&seconds, &tm);
    char buffer[64];
    int n = std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    std::string out(buffer, static_cast<size_t>(n));
    if (time.tv_nsec > 0) {
        char fraction[16];
        std::snprintf(fraction, sizeof(fraction), "%09ld", static_cast<long>(time.tv_nsec));
        std::string digits = fraction;
        while (!digits.empty() && digits.back() == '0')
            digits.pop_back();
        out += '.';
        out += digits;
    }
    out += 'Z';
    return out;
}

std::string now_rfc3339_nano()
{
    struct timespec now { };
    clock_gettime(CLOCK_REALTIME, &now);
    return format_rfc3339_nano(now);
}

std::optional<struct timespec> parse_rfc3339(std::string_view s)
{
    struct tm tm { };
    int year, month, day, hour, minute, second;
    if (s.size() < 20 || !parse_fixed(s, 0, 4, year) || s[4] != '-' || !parse_fixed(s, 5, 2, month) || s[7] != '-'
        || !parse_fixed(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') || !parse_fixed(s, 11, 2, hour) || s[13] != ':'
        || !parse_fixed(s, 14, 2, minute) || s[16] != ':' || !parse_fixed(s, 17, 2, second))
        return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return std::nullopt;
    size_t pos = 19;
    long nanoseconds = 0;
    if (s[pos] == '.') {
        size_t start = ++pos;
        while (pos < s.size() && is_digit(s[pos]) && pos - start < 9) {
            nanoseconds = nanoseconds * 10 + (s[pos] - '0');
            ++pos;
        }
        if (pos == start || (pos < s.size() && is_digit(s[pos])))
            return std::nullopt;
        for (size_t k = pos - start; k < 9; ++k)
            nanoseconds *= 10;
    }
    long offset = 0;
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int oh, om;
        if (!parse_fixed(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':'
            || !parse_fixed(s, pos + 4, 2, om))
            return std::nullopt;
        offset = (oh * 3600L + om * 60L) * (s[pos] == '-' ? -1 : 1);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size())
        return std::nullopt;
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    struct timespec result { };
    result.tv_sec = timegm(&tm) - offset;
    result.tv_nsec = nanoseconds;
    return result;
}

} // namespace corral
