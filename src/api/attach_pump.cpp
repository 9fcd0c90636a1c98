#include "api/attach_pump.h"

#include "api/detach_keys.h"
#include "api/stream_frame.h"

#include <cerrno>
#include <optional>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace corral::api {

namespace {

bool send_all(int fd, std::string_view data)
{
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

} // namespace

PumpEnd pump(int client_fd, std::string early_input, runtime::SupervisorConnection& supervisor, const PumpOptions& options)
{
    bool input_open = options.stdin_attached;
    DetachScanner detach(options.tty ? options.detach_keys : std::string());
    // Input on its way to the process, through the detach scanner.
    auto forward = [&](std::string_view input) -> std::optional<PumpEnd> {
        bool detached = false;
        std::string data = detach.feed(input, detached);
        if (!data.empty() && supervisor.send_stdin(data).is_error())
            return PumpEnd::ProcessEnded;
        if (detached)
            return PumpEnd::Detached;
        return std::nullopt;
    };
    if (input_open && !early_input.empty()) {
        if (auto end = forward(early_input))
            return *end;
    }
    while (true) {
        // Once the client's input has ended it may still be reading (docker
        // closes its writing side only), so it is watched no more: a client
        // gone for good shows as a failed send.
        pollfd fds[2] = { { supervisor.fd(), POLLIN, 0 }, { input_open ? client_fd : -1, POLLIN, 0 } };
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return PumpEnd::ClientGone;
        }
        if (fds[0].revents) {
            auto packet = supervisor.receive();
            if (packet.is_error() || !packet->has_value())
                return PumpEnd::ProcessEnded;
            auto const& p = **packet;
            if (p.type == runtime::supervisor_message::EXIT)
                return PumpEnd::ProcessEnded;
            if (p.type == runtime::supervisor_message::STDOUT || p.type == runtime::supervisor_message::STDERR) {
                std::string out = options.tty ? p.data
                                              : frame(p.type == runtime::supervisor_message::STDERR ? StreamType::Stderr : StreamType::Stdout, p.data);
                if (!send_all(client_fd, out))
                    return PumpEnd::ClientGone;
            }
        }
        if (fds[1].revents) {
            char buffer[32 * 1024];
            ssize_t n = ::recv(client_fd, buffer, sizeof buffer, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                // The client's end of input: the process's too. The client
                // may still be reading (docker attach < file), so go on.
                if (std::string held = detach.flush(); !held.empty())
                    (void)supervisor.send_stdin(held);
                (void)supervisor.close_stdin();
                input_open = false;
                if (n < 0)
                    return PumpEnd::ClientGone;
                continue;
            }
            if (auto end = forward(std::string_view(buffer, static_cast<size_t>(n))))
                return *end;
        }
    }
}

} // namespace corral::api
