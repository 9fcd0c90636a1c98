// ros config validate [-i FILE]: checks a cloud-config against the schema and
// prints every problem as file:line:column: key: what. Unknown keys count as
// problems here, though loading only warns about them.

#include "base/log.h"
#include "cli/config_common.h"
#include "cli/config_verbs.h"
#include "config/loader.h"
#include "config/yaml.h"

namespace corral::cli {

int config_validate(const std::string& input)
{
    auto text = read_input(input);
    if (text.is_error())
        return fail("config validate", text.error());
    auto tree = config::parse_yaml(text.value(), input_name(input));
    if (tree.is_error()) {
        log::error(tree.error().message());
        return 1;
    }
    config::Diagnostics diagnostics = config::validate_and_prune(tree.value());
    print_diagnostics(diagnostics);
    return diagnostics.empty() ? 0 : 1;
}

} // namespace corral::cli
