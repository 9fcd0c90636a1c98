#pragma once

// Field types that YAML lets users write in more than one shape.

#include "config/decode.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace corral::config {

// A command or a list of words: `command: echo hi` or `command: [echo, hi]`. A
// string runs through `sh -c` where the reference says so; a list is exec'd.
struct StringOrList {
    bool is_list { false };
    std::string string;
    std::vector<std::string> list;

    bool empty() const { return is_list ? list.empty() : string.empty(); }
};
void decode(const Node& node, StringOrList& out, DecodeContext& context);

// `environment:`/`labels:` as a list of "K=V" (or bare "K") or as a map.
// Entries keep their order; a bare key has no value.
struct KeyValueList {
    std::vector<std::pair<std::string, std::optional<std::string>>> entries;

    const std::optional<std::string>* find(std::string_view key) const;
};
void decode(const Node& node, KeyValueList& out, DecodeContext& context);

// A map of strings whose keys contain dots (sysctl names). Nested maps, as a kernel
// command line produces from rancher.sysctl.net.ipv4.ip_forward=1, are flattened.
struct DottedMap {
    std::vector<std::pair<std::string, std::string>> entries;
};
void decode(const Node& node, DottedMap& out, DecodeContext& context);

// An integer that may also be written with a unit suffix ("512m", "1g"), as compose
// memory sizes. Kept as bytes.
struct ByteSize {
    int64_t bytes { 0 };
};
void decode(const Node& node, ByteSize& out, DecodeContext& context);

// A duration as compose writes it ("1m30s", "10s", "500ms") or seconds as a number.
struct Duration {
    int64_t milliseconds { 0 };
};
void decode(const Node& node, Duration& out, DecodeContext& context);

// A ulimit: one number (soft = hard) or {soft, hard}.
struct Ulimit {
    int64_t soft { 0 };
    int64_t hard { 0 };
};
void decode(const Node& node, Ulimit& out, DecodeContext& context);

// The field checks the model uses.
std::optional<std::string> check_cidr(const std::string& value);
std::optional<std::string> check_cidr_list(const std::vector<std::string>& value);
std::optional<std::string> check_ip(const std::string& value);
std::optional<std::string> check_mtu(const int64_t& value);
std::optional<std::string> check_port(const int64_t& value);
std::optional<std::string> check_non_negative(const int64_t& value);
std::optional<std::string> check_write_file_encoding(const std::string& value);
std::optional<std::string> check_permissions(const std::string& value);
std::optional<std::string> check_mount(const std::vector<std::string>& value);
std::optional<std::string> check_absolute_path(const std::string& value);
std::optional<std::string> check_restart_policy(const std::string& value);
std::optional<std::string> check_disable(const std::vector<std::string>& value);
std::optional<std::string> check_vlans(const std::string& value);

} // namespace corral::config
