#include "config/diagnostic.h"

namespace corral::config {

std::string Diagnostic::describe() const
{
    std::string out = mark.describe();
    out += ": ";
    if (!path.empty()) {
        out += format_key_path(path);
        out += ": ";
    }
    out += message;
    return out;
}

bool has_errors(const Diagnostics& diagnostics)
{
    for (auto const& d : diagnostics) {
        if (d.severity == Diagnostic::Severity::Error)
            return true;
    }
    return false;
}

} // namespace corral::config
