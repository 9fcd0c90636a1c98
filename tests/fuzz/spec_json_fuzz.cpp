// Container plans as untrusted JSON (the supervisor's input file): never
// crash, and every accepted plan writes out, reads back and writes out again
// to the same text. The one write error allowed is EFBIG: defaults written
// for absent fields can make an accepted document's JSON form outgrow
// MAX_SPEC_JSON_SIZE ([{},{},…] in "mounts").

#include "runtime/spec_json.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace corral::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto spec = spec_from_json(text);
    if (spec.is_error())
        return 0;
    auto written = spec_to_json(*spec);
    if (written.is_error()) {
        if (written.error().code() == EFBIG)
            return 0;
        abort();
    }
    auto reread = spec_from_json(*written);
    if (reread.is_error())
        abort();
    auto rewritten = spec_to_json(*reread);
    if (rewritten.is_error() || *rewritten != *written)
        abort();
    return 0;
}
