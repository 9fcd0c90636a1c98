#pragma once

// Datasource metadata (reference §5): what the loader's metadata layer reads back
// from /var/lib/rancher/conf/metadata (config/loader.cpp): the hostname (used only
// when the config sets none) and SSH public keys (appended to
// ssh_authorized_keys, sorted by name).

#include "base/error.h"

#include <map>
#include <string>
#include <string_view>

namespace corral::cloudinit {

struct Metadata {
    std::string hostname;
    std::map<std::string, std::string> ssh_public_keys; // name → key

    bool empty() const { return hostname.empty() && ssh_public_keys.empty(); }
};

// Reads an OpenStack meta_data.json: "hostname" and the "public_keys" map. Other
// fields are ignored; a field of the wrong type is an error naming it, as is text
// that is not a JSON object.
ErrorOr<Metadata> parse_openstack_metadata(std::string_view json, const std::string& source);

// The metadata file's YAML: `hostname:` and `sshpublickeys:` (the field names
// RancherOS's YAML marshalling gave them), each only when set; "{}\n" when empty.
std::string metadata_yaml(const Metadata& metadata);

} // namespace corral::cloudinit
