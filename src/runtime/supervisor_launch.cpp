// The engine's side of the supervisor: its socket, its start, and talking
// to it afterwards.

#include "runtime/supervisor.h"

#include "base/file.h"
#include "base/linux_syscalls.h"
#include "base/strings.h"
#include "base/system.h"
#include "runtime/spec_json.h"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace corral::runtime {

namespace {

// The socket's address, through a descriptor of the run directory: a run
// directory may be deeper than the 108 bytes sun_path holds (an exec's, under
// its container's), but /proc/self/fd/N/supervisor.sock always fits.
struct SocketAddress {
    Fd dir;
    sockaddr_un address {};
    std::string path; // for messages
};

ErrorOr<SocketAddress> socket_address(const std::string& run_dir)
{
    SocketAddress out;
    out.dir = TRY(sys::open(run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC));
    out.path = path_join(run_dir, SUPERVISOR_SOCKET_NAME);
    out.address.sun_family = AF_UNIX;
    std::string short_path = "/proc/self/fd/" + std::to_string(out.dir.get()) + "/" + SUPERVISOR_SOCKET_NAME;
    std::memcpy(out.address.sun_path, short_path.c_str(), short_path.size() + 1);
    return out;
}

// The supervisor reports "ok <pid>" or "err <errno> <message>" on the result pipe.
ErrorOr<pid_t> parse_result(const std::string& text)
{
    if (text.starts_with("ok ")) {
        char* end = nullptr;
        long pid = std::strtol(text.c_str() + 3, &end, 10);
        if (pid > 0 && end && (*end == ' ' || *end == '\n' || *end == '\0'))
            return static_cast<pid_t>(pid);
    }
    if (text.starts_with("err ")) {
        char* end = nullptr;
        long code = std::strtol(text.c_str() + 4, &end, 10);
        std::string message = end && *end == ' ' ? std::string(end + 1) : text;
        if (!message.empty() && message.back() == '\n')
            message.pop_back();
        return Error::from_string(message, code > 0 ? static_cast<int>(code) : EIO);
    }
    if (text.empty())
        return Error::from_string("supervisor exited before it started the process (see supervisor.log)", EIO);
    return Error::from_string("supervisor: unexpected report: " + text, EIO);
}

} // namespace

ErrorOr<Fd> bind_supervisor_socket(const std::string& run_dir)
{
    auto address = TRY(socket_address(run_dir));
    int raw = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (raw < 0)
        return Error::from_syscall("socket");
    Fd fd(raw);
    (void)::unlinkat(address.dir.get(), SUPERVISOR_SOCKET_NAME, 0); // a stale socket of an earlier run
    int bound = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address.address), sizeof address.address);
    if (bound < 0)
        return Error::from_syscall("bind '" + address.path + "'");
    // Only root may talk to a supervisor, as only root may talk to the
    // engine. (fchmodat, not umask: the umask is the whole process's.)
    if (::fchmodat(address.dir.get(), SUPERVISOR_SOCKET_NAME, 0600, 0) < 0)
        return Error::from_syscall("chmod '" + address.path + "'");
    if (::listen(fd.get(), 64) < 0)
        return Error::from_syscall("listen '" + address.path + "'");
    return fd;
}

ErrorOr<std::string> find_supervisor_binary()
{
    if (const char* override_path = ::getenv("CORRAL_SUPERVISOR"); override_path && *override_path)
        return std::string(override_path);
    char self[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        return Error::from_syscall("supervisor: readlink /proc/self/exe");
    std::string sibling = path_join(path_dirname(std::string(self, static_cast<size_t>(n))), "corral-supervisor");
    if (::access(sibling.c_str(), X_OK) != 0)
        return Error::from_syscall("supervisor: access '" + sibling + "'");
    return sibling;
}

ErrorOr<LaunchedSupervisor> launch_supervisor(const SupervisorOptions& options, Fd listener)
{
    std::string binary = options.binary.empty() ? TRY(find_supervisor_binary()) : options.binary;
    std::string spec_text = TRY(spec_to_json(options.spec));
    TRY(write_file_atomic(path_join(options.run_dir, SUPERVISOR_SPEC_NAME), spec_text, 0600));
    Fd log = TRY(sys::open(path_join(options.run_dir, SUPERVISOR_LOG_NAME),
        O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    Fd null = TRY(sys::open("/dev/null", O_RDWR | O_CLOEXEC));
    auto [result_read, result_write] = TRY(sys::pipe());

    // Fixed descriptor numbers in the supervisor: 0 and 1 /dev/null, 2 its
    // log, 3 the listening socket, 4 the result pipe.
    std::vector<std::string> args { binary, "--run-dir", options.run_dir, "--listen-fd", "3", "--result-fd", "4" };
    if (options.exec_target > 0)
        args.insert(args.end(), { "--exec-pid", std::to_string(options.exec_target) });
    if (!options.log_path.empty()) {
        args.insert(args.end(), { "--log", options.log_path });
        args.insert(args.end(), { "--log-max-size", std::to_string(options.log_options.max_size) });
        args.insert(args.end(), { "--log-max-file", std::to_string(options.log_options.max_file) });
    }
    for (auto const& dir : options.cgroup_dirs)
        args.insert(args.end(), { "--cgroup", dir });
    if (options.stdin_once)
        args.emplace_back("--stdin-once");
    std::vector<char*> argv;
    for (auto& arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    char* envp[] = { nullptr };

    // fork, setsid, fork again: the supervisor leads no session's terminal
    // and its parent is init (or the nearest subreaper), never the engine.
    // Only async-signal-safe calls after fork: the engine has threads.
    int fds[] = { null.get(), null.get(), log.get(), listener.get(), result_write.get() };
    pid_t middle = ::fork();
    if (middle < 0)
        return Error::from_syscall("fork");
    if (middle == 0) {
        ::setsid();
        pid_t supervisor = ::fork();
        if (supervisor != 0)
            ::_exit(supervisor < 0 ? 1 : 0);
        // Move the five descriptors above everything they could collide
        // with, then down to 0…4.
        int high[5];
        for (int i = 0; i < 5; ++i) {
            high[i] = ::fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
            if (high[i] < 0)
                ::_exit(127);
        }
        for (int i = 0; i < 5; ++i) {
            if (::dup2(high[i], i) < 0)
                ::_exit(127);
        }
        sys::raw_close_range(5, ~0U, 0);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        for (int sig = 1; sig < NSIG; ++sig)
            ::signal(sig, SIG_DFL);
        ::execve(argv[0], argv.data(), envp);
        char message[512];
        int length = std::snprintf(message, sizeof message, "err %d exec \"%s\": %s", errno, argv[0],
            std::strerror(errno));
        if (length > 0)
            (void)!::write(4, message, static_cast<size_t>(length));
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) { }
    result_write.reset();
    listener.reset();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return Error::from_string("supervisor: fork failed", EAGAIN);

    std::string report = TRY(sys::read_all(result_read.get(), 64 * 1024));
    // "ok <process pid> <supervisor pid>"
    pid_t process = TRY(parse_result(report));
    LaunchedSupervisor launched;
    launched.process_pid = process;
    auto fields = split(trim(report), ' ');
    if (fields.size() == 3)
        launched.supervisor_pid = static_cast<pid_t>(std::strtol(fields[2].c_str(), nullptr, 10));
    return launched;
}

ErrorOr<SupervisorConnection> SupervisorConnection::connect(const std::string& run_dir, std::string_view streams)
{
    auto address = TRY(socket_address(run_dir));
    int raw = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (raw < 0)
        return Error::from_syscall("socket");
    Fd fd(raw);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address.address), sizeof address.address) < 0)
        return Error::from_syscall("connect '" + address.path + "'");
    SupervisorConnection connection(std::move(fd));
    TRY(connection.send(supervisor_message::HELLO, streams));
    return connection;
}

ErrorOr<void> SupervisorConnection::send(char type, std::string_view data)
{
    // Large stdin writes go as several packets.
    do {
        size_t chunk = std::min(data.size(), SUPERVISOR_MAX_PACKET - 1);
        std::string packet(1, type);
        packet.append(data.substr(0, chunk));
        data.remove_prefix(chunk);
        ssize_t sent;
        do {
            sent = ::send(m_fd.get(), packet.data(), packet.size(), MSG_NOSIGNAL);
        } while (sent < 0 && errno == EINTR);
        if (sent < 0)
            return Error::from_syscall("send to supervisor");
    } while (!data.empty());
    return {};
}

ErrorOr<void> SupervisorConnection::send_stdin(std::string_view data)
{
    if (data.empty())
        return {};
    return send(supervisor_message::STDIN, data);
}

ErrorOr<void> SupervisorConnection::close_stdin()
{
    return send(supervisor_message::CLOSE_STDIN, {});
}

ErrorOr<void> SupervisorConnection::resize(unsigned rows, unsigned columns)
{
    return send(supervisor_message::RESIZE, std::to_string(rows) + " " + std::to_string(columns));
}

ErrorOr<std::optional<SupervisorConnection::Packet>> SupervisorConnection::receive()
{
    std::string buffer(SUPERVISOR_MAX_PACKET, '\0');
    ssize_t n;
    do {
        n = ::recv(m_fd.get(), buffer.data(), buffer.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == ECONNRESET)
            return std::optional<Packet> {};
        return Error::from_syscall("recv from supervisor");
    }
    if (n == 0)
        return std::optional<Packet> {};
    Packet packet;
    packet.type = buffer[0];
    packet.data.assign(buffer.data() + 1, static_cast<size_t>(n) - 1);
    return std::optional<Packet>(std::move(packet));
}

ErrorOr<std::optional<ExitRecord>> read_exit_record(const std::string& run_dir)
{
    std::string path = path_join(run_dir, SUPERVISOR_EXIT_NAME);
    auto text = read_file(path, 64 * 1024);
    if (text.is_error()) {
        if (text.error().code() == ENOENT)
            return std::optional<ExitRecord> {};
        return text.release_error();
    }
    auto record = TRY_CONTEXT(exit_record_from_json(*text), path);
    return std::optional<ExitRecord>(std::move(record));
}

} // namespace corral::runtime
