#pragma once

// The streams of attach, exec and logs: demultiplexing Docker's stream frames
// to stdout and stderr, the local terminal in raw mode, terminal resizing, and
// the pump that copies stdin to a hijacked connection and its output back.

#include "api/client.h"
#include "api/stream_frame.h"
#include "base/error.h"
#include "cli/system_docker_cli.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <termios.h>

namespace corral::cli {

// Writes a container's output: raw to stdout with a TTY, else split by frame
// into stdout and stderr. A "system error" frame ends the stream with
// "error from daemon in stream: <message>", as docker's StdCopy does.
class OutputWriter {
public:
    OutputWriter(const Cli& cli, bool tty)
        : m_cli(cli)
        , m_tty(tty)
    {
    }
    ErrorOr<void> feed(std::string_view bytes);

private:
    const Cli& m_cli;
    bool m_tty;
    api::FrameDecoder m_decoder;
};

// The terminal on stdin in raw mode (moby/term MakeRaw) until destroyed, or
// until a fatal signal arrives (the handler restores it, then the signal
// takes its course).
class RawTerminal {
public:
    static ErrorOr<std::optional<RawTerminal>> enable(int fd);
    RawTerminal(RawTerminal&& other) noexcept;
    RawTerminal& operator=(RawTerminal&& other) noexcept;
    ~RawTerminal();
    void restore();

private:
    RawTerminal(int fd, const termios& saved)
        : m_fd(fd)
        , m_saved(saved)
    {
    }
    int m_fd { -1 };
    termios m_saved {};
};

// docker's term.ToBytes: "ctrl-p,ctrl-q" → {16, 17}. EINVAL for a bad key.
ErrorOr<std::string> parse_detach_keys(std::string_view keys);

// The terminal size of `fd` as {height, width}, nothing when it is not a
// terminal.
std::optional<std::pair<unsigned, unsigned>> terminal_size(int fd);

struct PumpOptions {
    bool tty { false };
    bool attach_stdin { false };
    std::string detach_keys; // bytes; empty: none
    // SIGWINCH arrived (with a TTY): resize the remote terminal.
    std::function<void()> on_resize;
    // A signal to forward to the container (docker's --sig-proxy), or nothing:
    // then the signals keep their usual effect.
    std::function<void(int)> on_signal;
};

enum class PumpResult {
    Ended, // the output ended (the process exited or the stream closed)
    Detached, // the detach keys were typed
};

// Copies stdin (when attached) to the hijacked connection and its output to
// stdout and stderr until the output ends. At the end of stdin the write side
// of the connection is shut, as docker's CloseWrite does.
ErrorOr<PumpResult> pump(const Cli& cli, api::Hijacked& stream, const PumpOptions& options);

} // namespace corral::cli
