// Kernel command lines and `ros config` keys: never crash, and every word that is
// kept becomes a value under a map.

#include "config/cmdline.h"
#include "config/keypath.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto result = corral::config::parse_cmdline(text, "/proc/cmdline");
    if (!result.tree.is_map())
        abort();
    auto path = corral::config::parse_key_path(text);
    if (!path.is_error()) {
        // Formatting a parsed key and parsing it again gives the same key.
        auto again = corral::config::parse_key_path(corral::config::format_key_path(path.value()));
        if (again.is_error() || again.value() != path.value())
            abort();
    }
    return 0;
}
