// ros config generate: renders a Go text/template from standard input against the
// environment (how the build turns os-config.tpl.yml into os-config.yml).

#include "cli/config_common.h"
#include "cli/config_verbs.h"
#include "config/template.h"

#include <cstdio>
#include <map>

extern char** environ;

namespace corral::cli {

int config_generate()
{
    auto text = read_input("");
    if (text.is_error())
        return fail("config generate", text.error());
    std::map<std::string, std::string> variables;
    for (char** entry = environ; *entry; ++entry) {
        std::string_view pair = *entry;
        auto eq = pair.find('=');
        if (eq != std::string_view::npos)
            variables.emplace(std::string(pair.substr(0, eq)), std::string(pair.substr(eq + 1)));
    }
    auto rendered = config::render_template(text.value(), variables);
    if (rendered.is_error())
        return fail("config generate", rendered.error());
    fwrite(rendered->data(), 1, rendered->size(), stdout);
    return 0;
}

} // namespace corral::cli
