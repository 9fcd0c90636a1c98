#pragma once

// What the engine and a container's supervisor say to each other.
//
// Each supervisor listens on a SOCK_SEQPACKET Unix socket in its run
// directory (supervisor.sock). Every message is one packet whose first byte
// says what it is; packets keep their boundaries, so no framing is needed.
//
// A client's first packet is its hello: HELLO followed by the streams it
// attaches to, any of 'i' (stdin), 'o' (stdout), 'e' (stderr). A hello with
// no streams is a control connection: it only learns of the exit. Then:
//   client → supervisor   STDIN + bytes, CLOSE_STDIN, RESIZE + "rows cols"
//   supervisor → client   STDOUT + bytes, STDERR + bytes, EXIT + exit JSON
// After EXIT the supervisor closes the connection, and once every output has
// been drained and the exit recorded, it exits. A closed connection without
// EXIT means the supervisor died.

#include "base/error.h"

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

namespace corral::runtime {

namespace supervisor_message {
constexpr char HELLO = 'h';
constexpr char STDIN = 'i';
constexpr char CLOSE_STDIN = 'c';
constexpr char RESIZE = 'w';
constexpr char STDOUT = '1';
constexpr char STDERR = '2';
constexpr char EXIT = 'x';
} // namespace supervisor_message

// The largest packet either side sends; a bigger one is cut by the kernel.
constexpr size_t SUPERVISOR_MAX_PACKET = 32 * 1024;

constexpr const char* SUPERVISOR_SOCKET_NAME = "supervisor.sock";
constexpr const char* SUPERVISOR_EXIT_NAME = "exit.json";
constexpr const char* SUPERVISOR_SPEC_NAME = "spec.json";
constexpr const char* SUPERVISOR_LOG_NAME = "supervisor.log";

// How a container's process ended, as the supervisor records it in exit.json.
struct ExitRecord {
    // Docker's exit code: the status, or 128 + the signal that killed it.
    int exit_code { 0 };
    int signal { 0 }; // 0 unless killed by a signal
    bool oom_killed { false };
    std::string finished_at; // RFC 3339 with nanoseconds, UTC
};

std::string exit_record_to_json(const ExitRecord& record);
// EINVAL naming the problem for text that is not an exit record.
ErrorOr<ExitRecord> exit_record_from_json(std::string_view text);

} // namespace corral::runtime
