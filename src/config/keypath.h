#pragma once

// Dotted keys such as rancher.network.dns.nameservers. A segment that itself holds
// dots is written in quotes or with the dots escaped:
//   rancher.sysctl."net.ipv4.ip_forward"   rancher.sysctl.net\.ipv4\.ip_forward

#include "base/error.h"
#include "config/node.h"

#include <string>
#include <string_view>
#include <vector>

namespace corral::config {

using KeyPath = std::vector<std::string>;

ErrorOr<KeyPath> parse_key_path(std::string_view text);
// The inverse: quotes segments that need it.
std::string format_key_path(const KeyPath& path);

const Node* find_path(const Node& root, const KeyPath& path);
// Sets the value, creating maps on the way. Fails (EINVAL) when a segment on the
// way holds something other than a map, naming it.
ErrorOr<void> set_path(Node& root, const KeyPath& path, Node value);
// Removes the key; returns whether it was there.
bool erase_path(Node& root, const KeyPath& path);

} // namespace corral::config
