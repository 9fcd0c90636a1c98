#include "cloudinit/metadata.h"

#include "config/node.h"
#include "config/yaml.h"

#include <nlohmann/json.hpp>

namespace corral::cloudinit {

ErrorOr<Metadata> parse_openstack_metadata(std::string_view text, const std::string& source)
{
    auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded())
        return Error::from_string(source + ": not valid JSON");
    if (!json.is_object())
        return Error::from_string(source + ": expected a JSON object, got " + std::string(json.type_name()));
    Metadata out;
    if (auto it = json.find("hostname"); it != json.end() && !it->is_null()) {
        if (!it->is_string())
            return Error::from_string(source + ": hostname: expected a string, got " + std::string(it->type_name()));
        out.hostname = it->get<std::string>();
    }
    if (auto it = json.find("public_keys"); it != json.end() && !it->is_null()) {
        if (!it->is_object())
            return Error::from_string(
                source + ": public_keys: expected an object, got " + std::string(it->type_name()));
        for (auto const& [name, key] : it->items()) {
            if (!key.is_string())
                return Error::from_string(
                    source + ": public_keys." + name + ": expected a string, got " + std::string(key.type_name()));
            out.ssh_public_keys[name] = key.get<std::string>();
        }
    }
    return out;
}

std::string metadata_yaml(const Metadata& metadata)
{
    config::Node tree = config::Node::map();
    if (!metadata.hostname.empty())
        tree.set("hostname", config::Node::string(metadata.hostname));
    if (!metadata.ssh_public_keys.empty()) {
        config::Node keys = config::Node::map();
        for (auto const& [name, key] : metadata.ssh_public_keys)
            keys.set(name, config::Node::string(key));
        tree.set("sshpublickeys", std::move(keys));
    }
    return config::emit_yaml(tree);
}

} // namespace corral::cloudinit
