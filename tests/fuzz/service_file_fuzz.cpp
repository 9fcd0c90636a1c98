// Service files and repository indexes from the network or a user's disk:
// parsing, interpolating, typing, turning into create requests and ordering
// never crash or throw, whatever the bytes.

#include "compose/container_spec.h"
#include "compose/graph.h"
#include "compose/interpolate.h"
#include "compose/service_catalog.h"
#include "compose/service_file.h"

#include <cstdint>
#include <string_view>

using namespace corral;
using namespace corral::compose;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    Environment environment { { "A", "1" }, { "console/B", "2" }, { "HTTP_PROXY", "http://p:3128" } };
    (void)interpolate(text, variable_lookup(environment, "svc"));
    if (auto file = parse_service_file(text, "fuzz.yml"); !file.is_error()) {
        auto decoded = decode_services(*file, environment);
        SpecContext context;
        context.project = "os";
        context.environment = environment;
        context.base_directory = "/var/lib/rancher/conf";
        context.home_directory = "/root";
        for (auto const& [name, service] : decoded.services)
            context.container_names[name] = container_name(name, service);
        for (auto const& [name, service] : decoded.services)
            (void)build_container_spec(name, service, context);
        auto graph = DependencyGraph::build(decoded.services);
        (void)graph.order();
        (void)graph.check();
    }
    config::Diagnostics diagnostics;
    (void)parse_repository_index(text, "index.yml", diagnostics);
    return 0;
}
