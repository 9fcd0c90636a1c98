#pragma once

// Carrying out a container plan (spec.h): the namespaces, the root file
// system, mounts and devices, credentials, capabilities and seccomp, then the
// exec of the container's process. cgroups are the caller's, through
// StartHooks::before_setup.
//
// How a start runs. The caller forks (glibc's fork(), so that the child may
// allocate even when the caller has threads); the child joins or creates the
// namespaces and, when a PID namespace is involved, clones once more with
// CLONE_PARENT so that the container process is still the caller's child
// (waitpid works) and sits inside that namespace. The container process waits
// on a sync pipe until before_setup has run, then sets everything up inside a
// mount namespace of its own and execs. Every failure on the way is reported
// through a close-on-exec pipe as an Error and the child _exit()s; the
// caller's stack is never unwound in a child. Because the root file system and
// every mount live only in the container's mount namespace (whose root is
// made a slave of the host's first), nothing is left mounted on the host when
// a start fails or the container ends.

#include "base/error.h"
#include "base/fd.h"
#include "runtime/spec.h"

#include <functional>
#include <sys/types.h>

namespace corral::runtime {

// The container's standard input, output and error, given to it as 0, 1 and 2
// (the executor duplicates them; the caller keeps its descriptors). -1 gives
// /dev/null. With process.terminal the caller passes the pty slave for all
// three; the executor makes it the controlling terminal (setsid + TIOCSCTTY)
// and binds it on /dev/console.
struct StdioFds {
    int in = -1, out = -1, err = -1;
};

struct StartHooks {
    // Runs in the caller after the container process exists and before it
    // sets anything up (the place to put it into its cgroup). An error aborts
    // the start: the process is killed and reaped, and the error is returned.
    std::function<ErrorOr<void>(pid_t)> before_setup;
};

// The container's process: a child of the caller (waitpid() it), and a pidfd
// for it. With spec.init it is the init, whose child is spec.process.
struct Started {
    pid_t pid { -1 };
    Fd pidfd;
};

// Creates the container and execs spec.process in it. Returns once the exec
// has happened, or an error naming the step and the errno:
//   exec "/bin/nope": No such file or directory
//   chdir "/nope": No such file or directory
//   mount tmpfs on /x: Invalid argument
// On error nothing stays mounted or running (the process is reaped).
//
// Requirements on the spec: a new mount namespace (joining one is refused),
// at least one lower dir, an existing rootfs directory.
//
// With spec.init, PID 1 is corral-init (container_init.h), bound read-only on
// /sbin/docker-init as Docker binds its docker-init. It runs inside the
// container's root, where the host's shared libraries are absent, so it must
// be statically linked: the executor uses a file named "corral-init" beside
// the running binary when there is one, else the running binary itself when
// that is static, and fails otherwise (`init: no statically linked corral-init
// …`).
ErrorOr<Started> start_container(const Spec& spec, const StdioFds& stdio, const StartHooks& hooks = {});

// `docker exec`: joins the namespaces of the running container
// `container_pid` (those spec.namespaces lists: pid, mnt, uts, ipc, net,
// cgroup), then applies process' user, groups, cwd, env, rlimits,
// capabilities, no_new_privileges and the container's seccomp filter
// (spec.seccomp with spec.process's bounding set), and execs. The caller puts
// it into the container's cgroup through hooks.before_setup. Errors as for
// start_container.
ErrorOr<Started> exec_in_container(
    pid_t container_pid, const Spec& spec, const Process& process, const StdioFds& stdio, const StartHooks& hooks = {});

} // namespace corral::runtime
