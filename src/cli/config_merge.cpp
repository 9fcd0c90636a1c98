// ros config merge [-i FILE]: merges a YAML document into cloud-config.yml (maps
// recurse, scalars and lists replace). Input with CRLF line ends, input that does
// not parse and values of the wrong type are refused, and the file is left as it was.

#include "base/log.h"
#include "cli/config_common.h"
#include "cli/config_verbs.h"
#include "config/loader.h"
#include "config/yaml.h"

#include <algorithm>

namespace corral::cli {

int config_merge(const config::Paths& paths, const std::string& input)
{
    auto text = read_input(input);
    if (text.is_error())
        return fail("config merge", text.error());
    std::string name = input_name(input);
    if (auto cr = text->find('\r'); cr != std::string::npos) {
        int line = 1 + static_cast<int>(std::count(text->begin(), text->begin() + static_cast<long>(cr), '\n'));
        return fail("config merge", Error::from_string(name + ":" + std::to_string(line)
            + ": file format shouldn't contain CRLF characters (convert the line ends to LF, e.g. with dos2unix)"));
    }
    auto incoming = config::parse_yaml(text.value(), name);
    if (incoming.is_error())
        return fail("config merge", incoming.error());
    if (incoming->is_null())
        return 0;

    config::Node checked = incoming.value();
    config::Diagnostics diagnostics = config::validate_and_prune(checked);
    print_diagnostics(diagnostics);
    if (config::has_errors(diagnostics)) {
        log::error("config merge: " + name + " has errors; nothing was merged");
        return 1;
    }

    auto tree = read_user_config(paths);
    if (tree.is_error())
        return fail("config merge", tree.error());
    config::merge(tree.value(), incoming.value());
    if (auto written = write_user_config(paths, tree.value()); written.is_error())
        return fail("config merge", written.error());
    return 0;
}

} // namespace corral::cli
