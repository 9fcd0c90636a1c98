#pragma once

// The per-container supervisor: one small process for each running container
// (and each exec) that starts it, owns its stdio and pty, writes its json-file
// log, serves attach clients and records how it ended. It runs in a session
// of its own and is not the engine's child, so the engine can die, restart or
// be upgraded while every container keeps running with nothing lost; the
// restarted engine finds each supervisor again through its socket (live
// restore).
//
// Files in a supervisor's run directory (the engine's, under its exec root):
//   spec.json          the plan (spec_json.h), written by launch_supervisor()
//   supervisor.sock    where clients connect (supervisor_protocol.h)
//   exit.json          how the process ended, written atomically before the
//                      supervisor exits
//   supervisor.log     the supervisor's own complaints (a log file it could
//                      not write, …)
//
// The program is `corral-supervisor`, linked statically so that it starts
// quickly and stays small (supervisor_main below).

#include "base/error.h"
#include "base/fd.h"
#include "runtime/json_log.h"
#include "runtime/spec.h"
#include "runtime/supervisor_protocol.h"

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace corral::runtime {

struct SupervisorOptions {
    // The corral-supervisor program; empty: find_supervisor_binary().
    std::string binary;
    // An existing directory for the files above.
    std::string run_dir;
    Spec spec;
    // > 0: run spec.process in this running container (exec_in_container)
    // instead of starting a container from spec.
    pid_t exec_target { -1 };
    // The json-file log; empty for none (log driver "none").
    std::string log_path;
    LogOptions log_options;
    // Directories of the container's cgroup (Cgroup::directories()); the
    // process joins each before it sets anything up.
    std::vector<std::string> cgroup_dirs;
    // Docker's StdinOnce: stdin closes when the first client attached to it
    // leaves.
    bool stdin_once { false };
};

// Makes the supervisor's listening socket (run_dir/supervisor.sock, mode
// 0600) before the supervisor exists, so that attach clients can connect
// first and miss no output: the supervisor takes every waiting connection
// before it reads anything from the container.
ErrorOr<Fd> bind_supervisor_socket(const std::string& run_dir);

struct LaunchedSupervisor {
    pid_t supervisor_pid { -1 };
    pid_t process_pid { -1 }; // the container's (or the exec's) process, in the host's PID namespace
};

// Writes spec.json, starts the supervisor detached (setsid, reparented away
// from the caller) with `listener`, and waits until it reports that the
// process has been exec'd, or why not, e.g. `exec "/bin/nope": No such file
// or directory`. Safe to call from a threaded program.
ErrorOr<LaunchedSupervisor> launch_supervisor(const SupervisorOptions& options, Fd listener);

// The corral-supervisor beside the running binary (as for corral-init), or
// $CORRAL_SUPERVISOR when set.
ErrorOr<std::string> find_supervisor_binary();

// A client connection to a supervisor.
class SupervisorConnection {
public:
    // `streams`: any of "i", "o", "e" (see supervisor_protocol.h); "" for a
    // control connection. ECONNREFUSED or ENOENT when no supervisor listens.
    static ErrorOr<SupervisorConnection> connect(const std::string& run_dir, std::string_view streams);

    int fd() const { return m_fd.get(); }

    ErrorOr<void> send_stdin(std::string_view data);
    ErrorOr<void> close_stdin();
    ErrorOr<void> resize(unsigned rows, unsigned columns);

    struct Packet {
        char type { 0 };
        std::string data;
    };
    // The next packet; nullopt once the supervisor has closed the connection.
    ErrorOr<std::optional<Packet>> receive();

private:
    explicit SupervisorConnection(Fd fd)
        : m_fd(std::move(fd))
    {
    }
    ErrorOr<void> send(char type, std::string_view data);

    Fd m_fd;
};

// exit.json of the run directory; nullopt when there is none yet.
ErrorOr<std::optional<ExitRecord>> read_exit_record(const std::string& run_dir);

// The program: `corral-supervisor --run-dir D --listen-fd N --result-fd N
// [--exec-pid P] [--log PATH [--log-max-size N] [--log-max-file N]]
// [--cgroup DIR]… [--stdin-once]`. launch_supervisor() is its only caller.
// Once the process runs, it execs its second stage, the program
// `corral-supervisor-monitor` beside it (supervisor_monitor_main), which
// holds only the loop and so stays small.
int supervisor_main(int argc, char** argv);
int supervisor_monitor_main(int argc, char** argv);

} // namespace corral::runtime
