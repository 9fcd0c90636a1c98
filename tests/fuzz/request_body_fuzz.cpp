// The API's small JSON inputs from untrusted clients (exec create and start,
// volume create, the `filters` query): never crash or throw, whatever the
// bytes; what parses reads back consistently.

#include "api/request_bodies.h"

#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

using namespace corral::api;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    nlohmann::json body = nlohmann::json::parse(text, nullptr, false);
    if (!body.is_discarded()) {
        (void)parse_exec_create(body);
        (void)parse_exec_start(body);
        if (auto volume = parse_volume_create(body); !volume.is_error() && volume->driver.empty())
            std::abort(); // an empty driver is the local one
    }
    auto filters = parse_filter_args(text, { "name", "label", "dangling" });
    if (!filters.is_error()) {
        for (auto const& [key, values] : *filters)
            if (key != "name" && key != "label" && key != "dangling")
                std::abort(); // only accepted keys come through
    }
    return 0;
}
