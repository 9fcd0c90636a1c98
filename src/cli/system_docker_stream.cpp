#include "cli/system_docker_stream.h"

#include "base/system.h"

#include <cerrno>
#include <csignal>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace corral::cli {

namespace {

// For the signal handler: the terminal to restore before a fatal signal
// takes the process. Only one RawTerminal exists at a time.
int g_raw_fd = -1;
termios g_raw_saved {};

constexpr int FATAL_SIGNALS[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM };
// What docker's --sig-proxy forwards (it forwards every catchable signal but
// SIGCHLD, SIGPIPE and the Go runtime's SIGURG; these are the ones that occur).
constexpr int PROXIED_SIGNALS[] = { SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM, SIGALRM };

void restore_and_reraise(int signal)
{
    if (g_raw_fd >= 0)
        (void)::tcsetattr(g_raw_fd, TCSANOW, &g_raw_saved); // best effort in a signal handler
    struct sigaction action { };
    action.sa_handler = SIG_DFL;
    ::sigaction(signal, &action, nullptr);
    ::raise(signal);
}

} // namespace

ErrorOr<void> OutputWriter::feed(std::string_view bytes)
{
    if (m_tty) {
        write_out(m_cli, bytes);
        return {};
    }
    auto frames = TRY(m_decoder.feed(bytes));
    for (auto const& frame : frames) {
        switch (frame.stream) {
        case api::StreamType::Stdout:
        case api::StreamType::Stdin: // StdCopy writes stdin frames to stdout
            write_out(m_cli, frame.payload);
            break;
        case api::StreamType::Stderr:
            write_err(m_cli, frame.payload);
            break;
        case api::StreamType::Systemerr:
            return Error::from_string("error from daemon in stream: " + frame.payload, EIO);
        }
    }
    return {};
}

ErrorOr<std::optional<RawTerminal>> RawTerminal::enable(int fd)
{
    if (!::isatty(fd))
        return std::optional<RawTerminal> {};
    termios saved {};
    if (::tcgetattr(fd, &saved) != 0)
        return Error::from_syscall("tcgetattr");
    termios raw = saved;
    // moby/term MakeRaw.
    raw.c_iflag &= ~static_cast<tcflag_t>(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    raw.c_oflag &= ~static_cast<tcflag_t>(OPOST);
    raw.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    raw.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB);
    raw.c_cflag |= CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    g_raw_fd = fd;
    g_raw_saved = saved;
    struct sigaction action { };
    action.sa_handler = restore_and_reraise;
    sigemptyset(&action.sa_mask);
    for (int signal : FATAL_SIGNALS)
        ::sigaction(signal, &action, nullptr);
    if (::tcsetattr(fd, TCSANOW, &raw) != 0) {
        g_raw_fd = -1;
        return Error::from_syscall("tcsetattr");
    }
    return std::optional<RawTerminal>(RawTerminal(fd, saved));
}

RawTerminal::RawTerminal(RawTerminal&& other) noexcept
    : m_fd(other.m_fd)
    , m_saved(other.m_saved)
{
    other.m_fd = -1;
}

RawTerminal& RawTerminal::operator=(RawTerminal&& other) noexcept
{
    if (this != &other) {
        restore();
        m_fd = other.m_fd;
        m_saved = other.m_saved;
        other.m_fd = -1;
    }
    return *this;
}

RawTerminal::~RawTerminal()
{
    restore();
}

void RawTerminal::restore()
{
    if (m_fd < 0)
        return;
    (void)::tcsetattr(m_fd, TCSANOW, &m_saved); // nothing better to do if it fails
    struct sigaction action { };
    action.sa_handler = SIG_DFL;
    for (int signal : FATAL_SIGNALS)
        ::sigaction(signal, &action, nullptr);
    g_raw_fd = -1;
    m_fd = -1;
}

ErrorOr<std::string> parse_detach_keys(std::string_view keys)
{
    std::string out;
    size_t start = 0;
    while (start <= keys.size()) {
        size_t comma = keys.find(',', start);
        std::string_view key
            = keys.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (key.size() == 1) {
            out += key[0];
        } else if (key.size() == 6 && key.starts_with("ctrl-")) {
            char c = key[5];
            if (c >= 'a' && c <= 'z')
                out += static_cast<char>(c - 'a' + 1);
            else if (c == '@')
                out += '\0';
            else if (c >= '[' && c <= '_')
                out += static_cast<char>(c - '[' + 27);
            else
                return Error::from_string("Unknown character: '" + std::string(key) + "'");
        } else {
            return Error::from_string("Unknown character: '" + std::string(key) + "'");
        }
        if (comma == std::string_view::npos)
            break;
        start = comma + 1;
    }
    return out;
}

std::optional<std::pair<unsigned, unsigned>> terminal_size(int fd)
{
    winsize size {};
    if (::ioctl(fd, TIOCGWINSZ, &size) != 0)
        return std::nullopt;
    return std::pair<unsigned, unsigned> { size.ws_row, size.ws_col };
}

ErrorOr<PumpResult> pump(const Cli& cli, api::Hijacked& stream, const PumpOptions& options)
{
    OutputWriter writer(cli, options.tty);
    if (!stream.early_output.empty())
        TRY(writer.feed(stream.early_output));

    // The signals this pump handles arrive through a signalfd, so that they
    // wake the poll() below rather than interrupt a write half done.
    sigset_t mask;
    sigemptyset(&mask);
    if (options.on_resize)
        sigaddset(&mask, SIGWINCH);
    if (options.on_signal) {
        for (int signal : PROXIED_SIGNALS)
            sigaddset(&mask, signal);
    }
    sigset_t old_mask;
    ::sigprocmask(SIG_BLOCK, &mask, &old_mask);
    Fd signals(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
    struct MaskGuard {
        sigset_t old;
        ~MaskGuard() { ::sigprocmask(SIG_SETMASK, &old, nullptr); }
    } guard { old_mask };
    if (!signals)
        return Error::from_syscall("signalfd");

    bool stdin_open = options.attach_stdin;
    std::string pending; // stdin bytes not yet sent
    std::string held; // a prefix of the detach keys typed so far
    std::string buffer(64 * 1024, '\0');

    auto close_write = [&] {
        (void)::shutdown(stream.fd.get(), SHUT_WR); // the daemon may have gone; the output tells
    };

    for (;;) {
        std::vector<pollfd> fds;
        fds.push_back({ stream.fd.get(), static_cast<short>(POLLIN | (pending.empty() ? 0 : POLLOUT)), 0 });
        fds.push_back({ signals.get(), POLLIN, 0 });
        if (stdin_open && pending.empty())
            fds.push_back({ cli.in, POLLIN, 0 });
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR)
                continue;
            return Error::from_syscall("poll");
        }
        if (fds[1].revents & POLLIN) {
            signalfd_siginfo info {};
            while (::read(signals.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
                int signal = static_cast<int>(info.ssi_signo);
                if (signal == SIGWINCH && options.on_resize)
                    options.on_resize();
                else if (options.on_signal)
                    options.on_signal(signal);
            }
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::read(stream.fd.get(), buffer.data(), buffer.size());
            if (n < 0 && errno != EINTR && errno != EAGAIN) {
                if (errno == ECONNRESET)
                    return PumpResult::Ended;
                return Error::from_syscall("read the attached stream");
            }
            if (n == 0) {
                if (!options.tty)
                    (void)writer.feed({}); // a cut frame is ignored, as StdCopy does
                return PumpResult::Ended;
            }
            if (n > 0)
                TRY(writer.feed(std::string_view(buffer.data(), static_cast<size_t>(n))));
        }
        if (!pending.empty() && (fds[0].revents & POLLOUT)) {
            ssize_t n = ::send(stream.fd.get(), pending.data(), pending.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                pending.erase(0, static_cast<size_t>(n));
                if (pending.empty() && !stdin_open)
                    close_write();
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                // The container closed its stdin: drop the rest of ours.
                pending.clear();
                stdin_open = false;
            }
        }
        if (fds.size() > 2 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = ::read(cli.in, buffer.data(), buffer.size());
            if (n < 0 && errno != EINTR && errno != EAGAIN)
                return Error::from_syscall("read stdin");
            if (n == 0) {
                stdin_open = false;
                pending += held;
                held.clear();
                if (pending.empty())
                    close_write();
            } else if (n > 0) {
                std::string_view input(buffer.data(), static_cast<size_t>(n));
                if (options.detach_keys.empty()) {
                    pending.append(input);
                } else {
                    // docker's EscapeProxy: hold back what may begin the keys.
                    for (char c : input) {
                        held += c;
                        if (options.detach_keys.starts_with(held)) {
                            if (held.size() == options.detach_keys.size())
                                return PumpResult::Detached;
                            continue;
                        }
                        pending += held;
                        held.clear();
                    }
                }
            }
        }
    }
}

} // namespace corral::cli
