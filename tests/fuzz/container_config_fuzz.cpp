// Container create requests and image configs, as untrusted JSON from API
// clients and images: never crash; every accepted request validates without
// crashing too, and bind and volumes-from strings parse or fail cleanly.

#include "runtime/container_config.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

using namespace corral::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    nlohmann::json body = nlohmann::json::parse(text, nullptr, false);
    if (!body.is_discarded()) {
        if (auto request = parse_create_request(body); !request.is_error()) {
            (void)validate_container_config(request->config);
            (void)validate_host_config(request->host_config);
        }
        (void)parse_image_defaults(body);
    }
    (void)parse_bind(text);
    (void)parse_volumes_from(text);
    return 0;
}
