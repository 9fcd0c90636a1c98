// WWW-Authenticate values and token server answers come from any registry (and
// anything between): never crash, and errors say what was being parsed.

#include "image/registry_auth.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto challenges = corral::image::registry::parse_www_authenticate(text);
    if (challenges.is_error() && challenges.error().message().rfind("WWW-Authenticate", 0) != 0)
        abort();
    auto token = corral::image::registry::parse_token_response(text);
    if (token.is_error() && token.error().message().rfind("token response", 0) != 0)
        abort();
    return 0;
}
