// ros config images [-i FILE]: the images of rancher.bootstrap and rancher.services,
// sorted, unique, space-separated; the image build uses it to know what to bake.

#include "cli/config_common.h"
#include "cli/config_verbs.h"
#include "config/loader.h"
#include "config/yaml.h"

#include <cstdio>
#include <set>

namespace corral::cli {

int config_images(const config::Paths& paths, const std::string& input)
{
    config::CloudConfig typed;
    if (input.empty()) {
        config::LoadedConfig loaded = config::load_config(paths);
        report_load_problems(loaded);
        typed = std::move(loaded.typed);
    } else {
        auto text = read_input(input);
        if (text.is_error())
            return fail("config images", text.error());
        auto tree = config::parse_yaml(text.value(), input_name(input));
        if (tree.is_error())
            return fail("config images", tree.error());
        config::Diagnostics diagnostics = config::validate_and_prune(tree.value());
        print_diagnostics(diagnostics);
        config::Diagnostics ignored;
        typed = config::decode_cloud_config(tree.value(), ignored);
    }
    std::set<std::string> images;
    for (auto const* services : { &typed.rancher.bootstrap, &typed.rancher.services }) {
        for (auto const& [name, service] : *services) {
            if (!service.image.empty())
                images.insert(service.image);
        }
    }
    std::string line;
    for (auto const& image : images) {
        if (!line.empty())
            line += ' ';
        line += image;
    }
    line += '\n';
    fwrite(line.data(), 1, line.size(), stdout);
    return 0;
}

} // namespace corral::cli
