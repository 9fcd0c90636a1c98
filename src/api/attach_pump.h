#pragma once

// The raw stream of a hijacked attach or exec: the process's output from its
// supervisor to the client (Docker's multiplexed frames without a terminal,
// the bytes as they are with one), and the client's input to the process.

#include "runtime/supervisor.h"

#include <string>

namespace corral::api {

struct PumpOptions {
    bool tty { false };
    bool stdin_attached { false };
    // The detach sequence (parse_detach_keys()), watched for on a terminal's
    // input; empty: none.
    std::string detach_keys;
};

enum class PumpEnd {
    ProcessEnded,
    ClientGone,
    Detached, // the client typed the detach keys; the process runs on
};

// Runs until the process has ended (its supervisor sent EXIT or closed) or
// the client has gone. Input the client sent before the hijack is
// `early_input`. When the client closes its side, the process's stdin is
// closed (docker attach's end of input).
PumpEnd pump(int client_fd, std::string early_input, runtime::SupervisorConnection& supervisor, const PumpOptions& options);

} // namespace corral::api
