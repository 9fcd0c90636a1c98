// The API's small JSON inputs from untrusted clients (exec create and start,
// volume create, the `filters` query, detach keys): never crash or throw, whatever the
// bytes; what parses reads back consistently.

#include "api/detach_keys.h"
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
    // Detach keys from ?detachKeys=, then a stream scanned for them: what
    // passes is never more than what came in.
    if (auto keys = parse_detach_keys(text); !keys.is_error() && !keys->empty()) {
        DetachScanner scanner(*keys);
        bool detached = false;
        size_t passed = 0;
        for (size_t at = 0; at < size && !detached; at += 7)
            passed += scanner.feed(text.substr(at, 7), detached).size();
        if (passed > size)
            std::abort();
    }
    return 0;
}
