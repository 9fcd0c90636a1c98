// Go templates for `ros config generate`: never crash, and errors say where.

#include "config/template.h"

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const std::map<std::string, std::string> variables = { { "ARCH", "amd64" }, { "VERSION", "v1" }, { "EMPTY", "" } };
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto rendered = corral::config::render_template(text, variables);
    if (rendered.is_error() && rendered.error().message().rfind("template:", 0) != 0)
        abort();
    return 0;
}
