// The YAML loader and writer: never crash, never exceed the bounds, and whatever
// parses is written out so that it reads back as the same tree.

#include "config/loader.h"
#include "config/yaml.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto tree = corral::config::parse_yaml(text, "fuzz.yml");
    if (tree.is_error())
        return 0;
    std::string written = corral::config::emit_yaml(tree.value());
    auto again = corral::config::parse_yaml(written, "again.yml");
    bool same = !again.is_error()
        && (again.value() == tree.value() || (tree->is_null() && again->is_map() && again->entries().empty()));
    if (!same) {
        fprintf(stderr, "round trip failed\n--- written:\n%s\n--- error: %s\n", written.c_str(),
            again.is_error() ? again.error().message().c_str() : "(parsed, but differs)");
        abort();
    }
    corral::config::Node copy = tree.value();
    (void)corral::config::validate_and_prune(copy); // must not crash on any shape
    return 0;
}
