#pragma once

// What validation finds: a place in the text, the key path, and what was wrong.

#include "config/keypath.h"
#include "config/node.h"

#include <string>
#include <vector>

namespace corral::config {

struct Diagnostic {
    enum class Severity {
        Warning, // an unknown key: loading goes on, `ros config validate` fails
        Error, // a value of the wrong type or form: the value is dropped
    };

    Severity severity { Severity::Error };
    Mark mark;
    KeyPath path;
    std::string message;

    // "cloud-config.yml:12:9: rancher.network.interfaces.eth0.mtu: expected an integer, got \"abc\""
    std::string describe() const;
};

using Diagnostics = std::vector<Diagnostic>;

bool has_errors(const Diagnostics& diagnostics);

} // namespace corral::config
