# A private system-dockerd for the image tools, sourced by pack-store.sh and
# check-images.sh. It runs from its own copies of the binaries (a rebuild of
# build/ cannot change them underneath), with its socket, data root, exec root
# and cgroup parent all its own, and everything it leaves is found by what is
# ours: its PID, processes running our copies of the binaries, our cgroup, and
# mounts under our directory. Nothing is ever ended by name.
#
#   daemon_start BINDIR DIR   copies the binaries into DIR/bin, starts the daemon
#   sd ARGS...                system-docker against it
#   daemon_stop               SIGTERM, wait (SIGKILL after 30 s)
#   daemon_cleanup DIR        the above, then stray processes, cgroups, mounts, DIR

DAEMON_PID=
DAEMON_DIR=
DAEMON_CGROUP=corral-images-$$

daemon_start() {
    local bin=$1 dir=$2 name
    DAEMON_DIR=$dir
    mkdir -p "$dir/bin"
    for name in ros corral-supervisor corral-supervisor-monitor corral-init; do
        cp "$bin/$name" "$dir/bin/$name"
    done
    # The daemon looks for the supervisor and init beside the binary it runs from.
    ln -sf ros "$dir/bin/system-dockerd"
    ln -sf ros "$dir/bin/system-docker"
    "$dir/bin/system-dockerd" -H "unix://$dir/sd.sock" --data-root "$dir/data" --exec-root "$dir/exec" \
        --pidfile "$dir/pid" --cgroup-parent "$DAEMON_CGROUP" >"$dir/daemon.log" 2>&1 &
    DAEMON_PID=$!
    local tries
    for tries in $(seq 100); do
        sd version >/dev/null 2>&1 && return 0
        kill -0 "$DAEMON_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "system-dockerd did not come up:" >&2
    cat "$dir/daemon.log" >&2
    return 1
}

sd() {
    "$DAEMON_DIR/bin/system-docker" -H "unix://$DAEMON_DIR/sd.sock" "$@"
}

daemon_stop() {
    [ -n "$DAEMON_PID" ] || return 0
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    local tries
    for tries in $(seq 300); do
        kill -0 "$DAEMON_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=
}

# PIDs of processes that run one of our copies of the binaries (supervisors
# outlive the daemon by design) or sit in our cgroup.
daemon_strays() {
    local dir=$1 proc exe
    for proc in /proc/[0-9]*; do
        exe=$(readlink "$proc/exe" 2>/dev/null) || continue
        case "$exe" in "$dir"/bin/*) echo "${proc#/proc/}" ;; esac
    done
    find /sys/fs/cgroup/*/"$DAEMON_CGROUP" -name cgroup.procs -exec cat {} + 2>/dev/null || true
}

daemon_cleanup() {
    local dir=$1 pid mount pids mounts
    daemon_stop
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    pids=$(daemon_strays "$dir" | sort -u)
    for pid in $pids; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    # Cgroups: deepest first; a cgroup goes once its processes have.
    [ -z "$pids" ] || sleep 0.2
    find /sys/fs/cgroup/*/"$DAEMON_CGROUP" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    # Mounts under our directory, deepest first, before anything is deleted.
    mounts=$(awk -v dir="$dir/" 'index($5, dir) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
    for mount in $mounts; do
        umount -l "$mount" 2>/dev/null || true
    done
    rm -rf --one-file-system "$dir"
}
