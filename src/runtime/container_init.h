#pragma once

// corral-init: a minimal PID 1 for containers started with `init: true`
// (docker run --init), in the manner of tini.
//
//   corral-init [--] COMMAND [ARG…]
//
// It forks COMMAND (looked up in PATH) into a process group of its own,
// forwards every asynchronous signal it receives to it (SIGTERM, SIGINT,
// SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT, SIGWINCH, …), reaps every process that
// ends in the container, and exits with COMMAND's status: its exit code, or
// 128 + the signal that killed it. Single-threaded, no allocation after
// start, a WNOHANG reap loop.
//
// When the environment has CORRAL_INIT_REPORT_FD (set by the executor, and
// removed before COMMAND runs), a failed exec of COMMAND is written to that
// descriptor as a ChildReport, so that start_container returns the error.
//
// It depends on the C library only, so that it can be linked statically on
// its own: a dynamically linked init would find none of the host's libraries
// inside the container.

namespace corral::runtime {

int container_init_main(int argc, char** argv);

} // namespace corral::runtime
