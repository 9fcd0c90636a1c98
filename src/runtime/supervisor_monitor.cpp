// The supervisor's loop: one poll() over the listening socket, the clients,
// the process's output and its pidfd. Output goes to the log line by line
// (as dockerd's json-file driver cuts it) and to attached clients as it
// comes; when a client cannot keep up, the container's output is not read
// until it has (backpressure, as docker attach), so nothing is dropped.

#include "runtime/supervisor_internal.h"
#include "runtime/supervisor_protocol.h"

#include "base/file.h"
#include "base/time.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

namespace corral::runtime::detail {

namespace {

// dockerd's json-file driver writes a line at most this long as one entry;
// a longer one is cut into partial entries.
constexpr size_t MAX_LOG_LINE = 16 * 1024;
// Queued output per client above which the container's output waits.
constexpr size_t CLIENT_QUEUE_LIMIT = 1024 * 1024;
constexpr size_t MAX_CLIENTS = 128;
// Pending stdin above which clients' input waits.
constexpr size_t STDIN_QUEUE_LIMIT = 1024 * 1024;
// How long output may still arrive after the process has exited (from
// processes that outlive it and hold its stdout).
constexpr int DRAIN_MILLISECONDS = 2000;

struct Client {
    Fd fd;
    bool greeted { false };
    bool wants_stdin { false };
    bool wants_stdout { false };
    bool wants_stderr { false };
    std::deque<std::string> queue;
    size_t queued { 0 };
};

struct LineBuffer {
    std::string pending;
};

int64_t monotonic_ms()
{
    timespec now {};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

class Monitor {
public:
    explicit Monitor(MonitorSetup setup)
        : m(std::move(setup))
    {
        for (Fd* fd : { &m.terminal, &m.stdin_pipe, &m.stdout_pipe, &m.stderr_pipe }) {
            if (fd->valid())
                ::fcntl(fd->get(), F_SETFL, ::fcntl(fd->get(), F_GETFL) | O_NONBLOCK);
        }
        ::fcntl(m.listener.get(), F_SETFL, ::fcntl(m.listener.get(), F_GETFL) | O_NONBLOCK);
    }

    int run();

private:
    void accept_clients();
    void read_client(Client& client);
    void flush_client(Client& client);
    void drop_client(size_t index);
    void read_output(Fd& fd, char stream);
    void write_stdin();
    void close_stdin();
    void log_output(char stream, std::string_view data, bool flush);
    void reap();
    void finish();
    bool backpressure() const;
    int stdin_fd() const { return m.terminal.valid() ? m.terminal.get() : m.stdin_pipe.get(); }
    void complain(const std::string& what);

    MonitorSetup m;
    std::vector<Client> m_clients;
    LineBuffer m_stdout_line, m_stderr_line;
    std::string m_stdin_queue;
    bool m_stdin_close_pending { false }; // once m_stdin_queue has drained
    bool m_exited { false };
    int m_status { 0 };
    struct timespec m_finished_at { };
    int64_t m_drain_deadline { 0 };
    bool m_log_failed { false };
};

void Monitor::complain(const std::string& what)
{
    std::fprintf(stderr, "%s corral-supervisor[%d]: %s\n", now_rfc3339_nano().c_str(), ::getpid(), what.c_str());
}

bool Monitor::backpressure() const
{
    return std::any_of(m_clients.begin(), m_clients.end(), [](auto const& c) { return c.queued > CLIENT_QUEUE_LIMIT; });
}

void Monitor::accept_clients()
{
    while (true) {
        int raw = ::accept4(m.listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (raw < 0)
            return;
        if (m_clients.size() >= MAX_CLIENTS) {
            ::close(raw);
            continue;
        }
        Client client;
        client.fd = Fd(raw);
        m_clients.push_back(std::move(client));
    }
}

void Monitor::drop_client(size_t index)
{
    bool had_stdin = m_clients[index].wants_stdin;
    m_clients.erase(m_clients.begin() + static_cast<ptrdiff_t>(index));
    if (had_stdin && m.stdin_once)
        m_stdin_close_pending = true;
}

void Monitor::close_stdin()
{
    // A terminal has no end of input to give; Docker leaves it open too.
    if (m.stdin_pipe.valid()) {
        m_stdin_queue.clear();
        m.stdin_pipe.reset();
    }
}

void Monitor::read_client(Client& client)
{
    char buffer[SUPERVISOR_MAX_PACKET];
    ssize_t n = ::recv(client.fd.get(), buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        client.fd.reset(); // dropped by the loop
        return;
    }
    std::string_view body(buffer + 1, static_cast<size_t>(n) - 1);
    if (!client.greeted) {
        if (buffer[0] != supervisor_message::HELLO) {
            client.fd.reset();
            return;
        }
        client.greeted = true;
        client.wants_stdin = body.find('i') != std::string_view::npos;
        client.wants_stdout = body.find('o') != std::string_view::npos;
        client.wants_stderr = body.find('e') != std::string_view::npos;
        return;
    }
    switch (buffer[0]) {
    case supervisor_message::STDIN:
        if (client.wants_stdin && stdin_fd() >= 0)
            m_stdin_queue.append(body);
        break;
    case supervisor_message::CLOSE_STDIN:
        // After what the client sent before it.
        if (client.wants_stdin)
            m_stdin_close_pending = true;
        break;
    case supervisor_message::RESIZE: {
        std::string text(body);
        char* end = nullptr;
        unsigned long rows = std::strtoul(text.c_str(), &end, 10);
        unsigned long columns = end && *end == ' ' ? std::strtoul(end + 1, nullptr, 10) : 0;
        if (m.terminal.valid() && rows > 0 && columns > 0 && rows <= 0xffff && columns <= 0xffff) {
            struct winsize size {};
            size.ws_row = static_cast<unsigned short>(rows);
            size.ws_col = static_cast<unsigned short>(columns);
            ::ioctl(m.terminal.get(), TIOCSWINSZ, &size);
        }
        break;
    }
    default:
        break;
    }
}

void Monitor::flush_client(Client& client)
{
    while (!client.queue.empty()) {
        auto const& packet = client.queue.front();
        ssize_t n = ::send(client.fd.get(), packet.data(), packet.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                client.fd.reset();
            return;
        }
        client.queued -= packet.size();
        client.queue.pop_front();
    }
}

void Monitor::write_stdin()
{
    int fd = stdin_fd();
    if (fd < 0) {
        m_stdin_queue.clear();
        return;
    }
    while (!m_stdin_queue.empty()) {
        ssize_t n = ::write(fd, m_stdin_queue.data(), m_stdin_queue.size());
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            // The process closed its stdin: what is left can go nowhere.
            m_stdin_queue.clear();
            if (!m.terminal.valid())
                m.stdin_pipe.reset();
            return;
        }
        m_stdin_queue.erase(0, static_cast<size_t>(n));
    }
    if (m_stdin_close_pending)
        close_stdin();
}

void Monitor::log_output(char stream, std::string_view data, bool flush)
{
    if (!m.log)
        return;
    LineBuffer& line = stream == supervisor_message::STDERR ? m_stderr_line : m_stdout_line;
    const char* name = stream == supervisor_message::STDERR ? "stderr" : "stdout";
    line.pending.append(data);
    timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    size_t start = 0;
    while (start < line.pending.size()) {
        size_t newline = line.pending.find('\n', start);
        size_t end;
        if (newline != std::string::npos && newline - start < MAX_LOG_LINE)
            end = newline + 1;
        else if (line.pending.size() - start >= MAX_LOG_LINE)
            end = start + MAX_LOG_LINE;
        else if (flush)
            end = line.pending.size();
        else
            break;
        auto written = m.log->write(name, std::string_view(line.pending).substr(start, end - start), now);
        if (written.is_error() && !m_log_failed) {
            // Keep the container running; say so once.
            complain("log: " + written.error().message());
            m_log_failed = true;
        }
        start = end;
    }
    line.pending.erase(0, start);
}

void Monitor::read_output(Fd& fd, char stream)
{
    char buffer[SUPERVISOR_MAX_PACKET - 1];
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        // EOF, or EIO from a pty master once every slave is closed.
        log_output(stream, {}, true);
        if (&fd == &m.terminal) {
            m_stdin_queue.clear();
        }
        fd.reset();
        return;
    }
    std::string_view data(buffer, static_cast<size_t>(n));
    log_output(stream, data, false);
    std::string packet(1, stream);
    packet.append(data);
    for (auto& client : m_clients) {
        bool wanted = stream == supervisor_message::STDERR ? client.wants_stderr : client.wants_stdout;
        if (client.greeted && wanted) {
            client.queued += packet.size();
            client.queue.push_back(packet);
            flush_client(client);
        }
    }
}

void Monitor::reap()
{
    siginfo_t info {};
    if (::waitid(P_PIDFD, static_cast<id_t>(m.pidfd.get()), &info, WEXITED | WNOHANG) < 0 || info.si_pid == 0)
        return;
    m_exited = true;
    ::clock_gettime(CLOCK_REALTIME, &m_finished_at);
    // A negative status remembers a signal; see finish().
    m_status = info.si_code == CLD_EXITED ? (info.si_status & 0xff) : -info.si_status;
    m.pidfd.reset();
    m_drain_deadline = monotonic_ms() + DRAIN_MILLISECONDS;
}

uint64_t oom_kills(const std::vector<std::string>& dirs)
{
    uint64_t count = 0;
    for (auto const& dir : dirs) {
        for (const char* name : { "memory.events", "memory.oom_control" }) {
            auto text = read_file(path_join(dir, name), 64 * 1024);
            if (text.is_error())
                continue;
            auto at = text->find("oom_kill ");
            if (at != std::string::npos && (at == 0 || (*text)[at - 1] == '\n'))
                count += std::strtoull(text->c_str() + at + 9, nullptr, 10);
        }
    }
    return count;
}

void Monitor::finish()
{
    ExitRecord record;
    if (m_status < 0) {
        record.signal = -m_status;
        record.exit_code = 128 + record.signal;
    } else {
        record.exit_code = m_status;
    }
    record.oom_killed = oom_kills(m.cgroup_dirs) > 0;
    record.finished_at = format_rfc3339_nano(m_finished_at);
    std::string json = exit_record_to_json(record);
    auto written = write_file_atomic(path_join(m.run_dir, SUPERVISOR_EXIT_NAME), json, 0600);
    if (written.is_error())
        complain("exit record: " + written.error().message());

    // Tell every client, giving slow ones a moment to take what is queued.
    std::string packet(1, supervisor_message::EXIT);
    packet.append(json);
    int64_t deadline = monotonic_ms() + 1000;
    for (auto& client : m_clients) {
        if (!client.fd.valid())
            continue;
        client.queue.push_back(packet);
        client.queued += packet.size();
        while (client.fd.valid() && !client.queue.empty() && monotonic_ms() < deadline) {
            flush_client(client);
            if (!client.queue.empty()) {
                pollfd wait { client.fd.get(), POLLOUT, 0 };
                ::poll(&wait, 1, 50);
            }
        }
    }
    m_clients.clear();
}

int Monitor::run()
{
    // Connections made before the start are taken, with their hellos,
    // before any output is read.
    accept_clients();
    for (auto& client : m_clients)
        read_client(client);
    std::vector<pollfd> fds;
    while (true) {
        bool outputs_open = m.terminal.valid() || m.stdout_pipe.valid() || m.stderr_pipe.valid();
        if (m_exited && (!outputs_open || monotonic_ms() >= m_drain_deadline))
            break;
        for (size_t i = m_clients.size(); i-- > 0;) {
            if (!m_clients[i].fd.valid())
                drop_client(i);
        }
        // A client that left may have asked for stdin to close (stdin_once):
        // act on it now, not after the next event, which may never come.
        if (m_stdin_close_pending)
            write_stdin();

        fds.clear();
        bool paused = backpressure();
        auto add = [&](int fd, short events) {
            fds.push_back({ fd, events, 0 });
        };
        add(m.listener.get(), POLLIN);
        add(m.pidfd.valid() ? m.pidfd.get() : -1, POLLIN);
        short output_events = paused ? 0 : POLLIN;
        short terminal_events = output_events;
        if (m.terminal.valid() && !m_stdin_queue.empty())
            terminal_events |= POLLOUT;
        add(m.terminal.valid() ? m.terminal.get() : -1, terminal_events);
        add(m.stdout_pipe.valid() ? m.stdout_pipe.get() : -1, output_events);
        add(m.stderr_pipe.valid() ? m.stderr_pipe.get() : -1, output_events);
        add(m.stdin_pipe.valid() && !m_stdin_queue.empty() ? m.stdin_pipe.get() : -1, POLLOUT);
        constexpr size_t FIRST_CLIENT = 6;
        bool stdin_full = m_stdin_queue.size() > STDIN_QUEUE_LIMIT;
        for (auto& client : m_clients) {
            short events = stdin_full ? 0 : POLLIN;
            if (!client.queue.empty())
                events |= POLLOUT;
            add(client.fd.get(), events);
        }

        int timeout = m_exited ? static_cast<int>(std::max<int64_t>(0, m_drain_deadline - monotonic_ms())) : -1;
        int ready = ::poll(fds.data(), fds.size(), timeout);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            complain(std::string("poll: ") + std::strerror(errno));
            break;
        }
        if (fds[0].revents)
            accept_clients();
        if (fds[1].revents)
            reap();
        if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
            read_output(m.terminal, supervisor_message::STDOUT);
        if (fds[3].revents & (POLLIN | POLLHUP | POLLERR))
            read_output(m.stdout_pipe, supervisor_message::STDOUT);
        if (fds[4].revents & (POLLIN | POLLHUP | POLLERR))
            read_output(m.stderr_pipe, supervisor_message::STDERR);
        if ((fds[2].revents & POLLOUT) || (fds[5].revents & (POLLOUT | POLLERR | POLLHUP)))
            write_stdin();
        // Clients accepted during this round are not in fds yet.
        size_t polled = std::min(m_clients.size(), fds.size() - FIRST_CLIENT);
        for (size_t i = 0; i < polled; ++i) {
            auto& client = m_clients[i];
            short revents = fds[FIRST_CLIENT + i].revents;
            if (!client.fd.valid())
                continue;
            if (revents & POLLOUT)
                flush_client(client);
            if (client.fd.valid() && (revents & (POLLIN | POLLHUP | POLLERR)))
                read_client(client);
        }
        if (!m_stdin_queue.empty() || m_stdin_close_pending)
            write_stdin();
    }
    log_output(supervisor_message::STDOUT, {}, true);
    log_output(supervisor_message::STDERR, {}, true);
    if (!m_exited) {
        // The loop broke on an error: the process is still ours to wait for.
        siginfo_t info {};
        ::waitid(P_PIDFD, static_cast<id_t>(m.pidfd.get()), &info, WEXITED);
        m_status = info.si_code == CLD_EXITED ? (info.si_status & 0xff) : -info.si_status;
        ::clock_gettime(CLOCK_REALTIME, &m_finished_at);
    }
    finish();
    return 0;
}

} // namespace

int run_monitor(MonitorSetup setup)
{
    Monitor monitor(std::move(setup));
    return monitor.run();
}

} // namespace corral::runtime::detail
