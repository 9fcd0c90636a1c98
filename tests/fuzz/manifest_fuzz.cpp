// Manifests, indexes, image configs and references from untrusted registries and
// archives: parse errors are errors, never crashes; what parses writes back and
// parses the same.

#include "image/manifest.h"
#include "image/reference.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace corral::image;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto manifest = parse_manifest(text); !manifest.is_error()) {
        auto again = parse_manifest(manifest_json(manifest.value()));
        if (again.is_error() || again->layers.size() != manifest->layers.size() || again->config.digest != manifest->config.digest)
            abort();
    }
    if (auto index = parse_index(text); !index.is_error())
        (void)select_platform(index.value(), Platform::host());
    if (auto config = parse_image_config(text); !config.is_error())
        (void)chain_ids(config->diff_ids);
    (void)peek_media_type(text);
    if (size < 512) {
        if (auto reference = Reference::parse(text); !reference.is_error()) {
            auto again = Reference::parse(reference->str());
            if (again.is_error() || again.value() != reference.value())
                abort();
        }
    }
    return 0;
}
