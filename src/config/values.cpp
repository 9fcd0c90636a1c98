#include "config/values.h"

#include "base/strings.h"

#include <arpa/inet.h>
#include <cctype>

namespace corral::config {

void decode(const Node& node, StringOrList& out, DecodeContext& context)
{
    out = {};
    if (node.is_null())
        return;
    if (node.is_scalar()) {
        out.string = node.text();
        return;
    }
    out.is_list = true;
    decode(node, out.list, context);
}

const std::optional<std::string>* KeyValueList::find(std::string_view key) const
{
    for (auto const& [k, v] : entries) {
        if (k == key)
            return &v;
    }
    return nullptr;
}

void decode(const Node& node, KeyValueList& out, DecodeContext& context)
{
    out = {};
    if (node.is_null())
        return;
    if (node.is_map()) {
        for (auto const& entry : node.entries()) {
            if (entry.value.is_null()) {
                out.entries.emplace_back(entry.key, std::nullopt);
            } else if (entry.value.is_scalar()) {
                out.entries.emplace_back(entry.key, entry.value.text());
            } else {
                context.push(entry.key);
                context.error(entry.value, "expected a string, got " + entry.value.describe());
                context.pop();
            }
        }
        return;
    }
    if (!node.is_list()) {
        context.error(node, "expected a list of KEY=VALUE or a map, got " + node.describe());
        return;
    }
    for (size_t i = 0; i < node.items().size(); ++i) {
        const Node& item = node.items()[i];
        if (!item.is_scalar() || item.is_null()) {
            context.push_item(item, i);
            context.error(item, "expected KEY=VALUE, got " + item.describe());
            context.pop_item();
            continue;
        }
        const std::string& text = item.text();
        size_t eq = text.find('=');
        if (eq == std::string::npos)
            out.entries.emplace_back(text, std::nullopt);
        else
            out.entries.emplace_back(text.substr(0, eq), text.substr(eq + 1));
    }
}

namespace {

void flatten(const Node& node, const std::string& prefix, DottedMap& out, DecodeContext& context)
{
    for (auto const& entry : node.entries()) {
        std::string key = prefix.empty() ? entry.key : prefix + "." + entry.key;
        if (entry.value.is_map()) {
            flatten(entry.value, key, out, context);
        } else if (entry.value.is_scalar()) {
            out.entries.emplace_back(key, entry.value.text());
        } else {
            context.push(entry.key);
            context.error(entry.value, "expected a string, got " + entry.value.describe());
            context.pop();
        }
    }
}

std::optional<int64_t> parse_with_unit(std::string_view text, const std::vector<std::pair<std::string_view, int64_t>>& units)
{
    text = trim(text);
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
        ++digits;
    if (digits == 0)
        return std::nullopt;
    if (digits > 18)
        return std::nullopt; // would overflow int64
    std::optional<int64_t> number = std::stoll(std::string(text.substr(0, digits)));
    std::string unit(text.substr(digits));
    for (auto& c : unit)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto const& [name, factor] : units) {
        if (unit == name) {
            if (*number > INT64_MAX / factor)
                return std::nullopt;
            return *number * factor;
        }
    }
    return std::nullopt;
}

} // namespace

void decode(const Node& node, DottedMap& out, DecodeContext& context)
{
    out = {};
    if (node.is_null())
        return;
    if (!node.is_map()) {
        context.error(node, "expected a map, got " + node.describe());
        return;
    }
    flatten(node, "", out, context);
}

void decode(const Node& node, ByteSize& out, DecodeContext& context)
{
    out = {};
    if (node.is_null())
        return;
    if (node.is_scalar()) {
        static const std::vector<std::pair<std::string_view, int64_t>> units = {
            { "", 1 }, { "b", 1 }, { "k", 1LL << 10 }, { "kb", 1LL << 10 }, { "m", 1LL << 20 }, { "mb", 1LL << 20 },
            { "g", 1LL << 30 }, { "gb", 1LL << 30 }, { "t", 1LL << 40 }, { "tb", 1LL << 40 },
        };
        if (auto bytes = parse_with_unit(node.text(), units)) {
            out.bytes = *bytes;
            return;
        }
    }
    context.error(node, "expected a size such as 512m or 1073741824, got " + node.describe());
}

void decode(const Node& node, Duration& out, DecodeContext& context)
{
    out = {};
    if (node.is_null())
        return;
    if (node.is_scalar()) {
        // Go duration syntax: a sequence of number+unit ("1h30m", "1m30s", "250ms").
        static const std::vector<std::pair<std::string_view, int64_t>> units = {
            { "ms", 1 }, { "s", 1000 }, { "m", 60'000 }, { "h", 3'600'000 },
        };
        std::string_view text = node.text();
        if (auto seconds = parse_yaml_int(text)) {
            out.milliseconds = *seconds * 1000;
            return;
        }
        int64_t total = 0;
        bool ok = !text.empty();
        while (ok && !text.empty()) {
            size_t digits = 0;
            while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
                ++digits;
            size_t unit_end = digits;
            while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end])))
                ++unit_end;
            auto part = parse_with_unit(text.substr(0, unit_end), units);
            if (!digits || unit_end == digits || !part) {
                ok = false;
                break;
            }
            total += *part;
            text.remove_prefix(unit_end);
        }
        if (ok) {
            out.milliseconds = total;
            return;
        }
    }
    context.error(node, "expected a duration such as 30s or 1m30s, got " + node.describe());
}

void decode(const Node& node, Ulimit& out, DecodeContext& context)
{
    out = {};
    if (node.is_null())
        return;
    if (node.is_scalar()) {
        decode(node, out.soft, context);
        out.hard = out.soft;
        return;
    }
    if (!node.is_map()) {
        context.error(node, "expected a number or {soft, hard}, got " + node.describe());
        return;
    }
    for (auto const& entry : node.entries()) {
        context.push(entry.key);
        if (entry.key == "soft")
            decode(entry.value, out.soft, context);
        else if (entry.key == "hard")
            decode(entry.value, out.hard, context);
        else
            context.unknown_key(entry);
        context.pop();
    }
}

std::optional<std::string> check_ip(const std::string& value)
{
    unsigned char buffer[16];
    if (inet_pton(AF_INET, value.c_str(), buffer) == 1 || inet_pton(AF_INET6, value.c_str(), buffer) == 1)
        return std::nullopt;
    return "expected an IP address, got \"" + value + "\"";
}

std::optional<std::string> check_cidr(const std::string& value)
{
    auto slash = value.find('/');
    std::string message = "expected an address in CIDR form such as 192.168.1.10/24, got \"" + value + "\"";
    if (slash == std::string::npos)
        return message;
    std::string address = value.substr(0, slash);
    std::string prefix = value.substr(slash + 1);
    unsigned char buffer[16];
    int max_prefix;
    if (inet_pton(AF_INET, address.c_str(), buffer) == 1)
        max_prefix = 32;
    else if (inet_pton(AF_INET6, address.c_str(), buffer) == 1)
        max_prefix = 128;
    else
        return message;
    if (prefix.empty() || prefix.size() > 3 || prefix.find_first_not_of("0123456789") != std::string::npos
        || std::stoi(prefix) > max_prefix)
        return message;
    return std::nullopt;
}

std::optional<std::string> check_cidr_list(const std::vector<std::string>& value)
{
    for (auto const& item : value) {
        if (auto problem = check_cidr(item))
            return problem;
    }
    return std::nullopt;
}

std::optional<std::string> check_mtu(const int64_t& value)
{
    if (value < 68 || value > 65535)
        return "expected an MTU between 68 and 65535, got " + std::to_string(value);
    return std::nullopt;
}

std::optional<std::string> check_port(const int64_t& value)
{
    if (value < 0 || value > 65535)
        return "expected a port between 1 and 65535 (0 for the default), got " + std::to_string(value);
    return std::nullopt;
}

std::optional<std::string> check_non_negative(const int64_t& value)
{
    if (value < 0)
        return "expected a number of zero or more, got " + std::to_string(value);
    return std::nullopt;
}

std::optional<std::string> check_write_file_encoding(const std::string& value)
{
    static const char* const known[] = { "", "b64", "base64", "gz", "gzip", "gz+base64", "gzip+base64", "gz+b64", "gzip+b64" };
    for (auto name : known) {
        if (value == name)
            return std::nullopt;
    }
    return "expected one of b64, base64, gz, gzip, gz+base64, gzip+base64, gz+b64, gzip+b64, got \"" + value + "\"";
}

std::optional<std::string> check_permissions(const std::string& value)
{
    bool octal = !value.empty() && value.size() <= 5 && value.find_first_not_of("01234567") == std::string::npos;
    if (!octal)
        return "expected octal permissions such as \"0644\", got \"" + value + "\"";
    return std::nullopt;
}

std::optional<std::string> check_mount(const std::vector<std::string>& value)
{
    if (value.size() != 4)
        return "expected 4 items [device, mountpoint, fstype, options], got " + std::to_string(value.size());
    return std::nullopt;
}

std::optional<std::string> check_absolute_path(const std::string& value)
{
    if (value.empty() || value[0] != '/')
        return "expected an absolute path, got \"" + value + "\"";
    return std::nullopt;
}

std::optional<std::string> check_restart_policy(const std::string& value)
{
    if (value == "no" || value == "always" || value == "unless-stopped" || value == "on-failure" || value == "false")
        return std::nullopt;
    if (value.starts_with("on-failure:") && value.size() > 11
        && value.find_first_not_of("0123456789", 11) == std::string::npos)
        return std::nullopt;
    return "expected no, always, unless-stopped or on-failure[:N], got \"" + value + "\"";
}

std::optional<std::string> check_disable(const std::vector<std::string>& value)
{
    for (auto const& item : value) {
        if (item != "password" && item != "autologin")
            return "expected password or autologin, got \"" + item + "\"";
    }
    return std::nullopt;
}

std::optional<std::string> check_vlans(const std::string& value)
{
    // "100,200:name": ids 1-4094, each optionally named.
    for (auto const& part : split(value, ',')) {
        std::string id = std::string(trim(part.substr(0, part.find(':'))));
        if (id.empty() || id.size() > 4 || id.find_first_not_of("0123456789") != std::string::npos || std::stoi(id) < 1
            || std::stoi(id) > 4094)
            return "expected VLAN ids 1-4094 as \"100,200:name\", got \"" + value + "\"";
    }
    return std::nullopt;
}

} // namespace corral::config
