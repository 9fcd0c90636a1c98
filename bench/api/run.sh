#!/usr/bin/env bash
# bench/api: our system-dockerd against Debian's dockerd through the same stock
# docker CLI (/usr/bin/docker), both daemons running side by side in one run:
#   1. `docker run --rm IMG true`, COUNT times one after another, alternating
#      the daemons (ours, dockerd, ours, dockerd, ...): ms per run;
#   2. PARALLEL `docker run -d IMG sleep 30` at once: wall time until every
#      command has returned, then `docker rm -f` of them; PARALLEL_ROUNDS
#      rounds, alternating the daemons;
#   3. `docker ps -a` and `docker ps -a -q` with PS_CONTAINERS created (not
#      started) containers, PS_RUNS calls each, alternating: ms per call;
#   4. the daemon's resident memory (VmRSS) when idle before any container
#      exists, ours against dockerd plus the containerd it starts, and again
#      after step 3.
# Step 2 runs before step 3 so that the stored containers of step 3 do not
# weigh on it. Every container runs with `--network none` on both daemons:
# ours has no bridge network, and dockerd's network setup would dominate.
# It prints each figure as it goes, then a table and the ratios ours/dockerd.
#   bench/api/run.sh [build-dir]
#   COUNT=30 PARALLEL=100 PARALLEL_ROUNDS=3 PS_CONTAINERS=1000 PS_RUNS=10 by default
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
count=${COUNT:-30}
parallel=${PARALLEL:-100}
parallel_rounds=${PARALLEL_ROUNDS:-3}
ps_containers=${PS_CONTAINERS:-1000}
ps_runs=${PS_RUNS:-10}
create_jobs=${CREATE_JOBS:-8}   # xargs -P for docker create
idle_seconds=${IDLE_SECONDS:-3} # how long a daemon sits idle before its RSS is read
work=${BENCH_DIR:-/var/tmp/corral-bench-api}
for var in COUNT PARALLEL PARALLEL_ROUNDS PS_CONTAINERS PS_RUNS CREATE_JOBS IDLE_SECONDS; do
    value=${!var:-1}
    [[ $value =~ ^[1-9][0-9]{0,5}$ ]] || { echo "$var must be a positive integer below 1000000, not '$value'" >&2; exit 2; }
done
for program in ros corral-supervisor corral-supervisor-monitor; do
    [ -x "$build/bin/$program" ] || { echo "build first: $build/bin/$program is missing" >&2; exit 1; }
done
build=$(cd "$build" && pwd)
if [ ! -x /usr/bin/docker ] || [ ! -x /usr/sbin/dockerd ]; then
    echo "needs docker.io: /usr/bin/docker and /usr/sbin/dockerd" >&2
    exit 1
fi
[ "$(id -u)" -eq 0 ] || { echo "run as root: both daemons make mounts and cgroups" >&2; exit 1; }
mkdir -p "$work"
work=$(cd "$work" && pwd)

image=corral-bench/busybox:latest # made by bench/container_start/make_image.py
samples="$work/samples"           # <metric>.<daemon>, read by summary.py
# Containers go in cgroups of their own, removed at the end: ours under
# /corral-bench-api, dockerd's under /corral-bench-api-docker.
ours_cgroup=corral-bench-api
docker_cgroup=corral-bench-api-docker
export DOCKER_CONFIG="$work/docker-cli" # not the user's CLI configuration
ours_pid=""
dockerd_pid=""
step_pid=""

# cli <daemon> <docker arguments>...: the stock CLI against "ours" or "dockerd",
# whose sockets are $work/<daemon>/sock.
cli() {
    /usr/bin/docker -H "unix://$work/$1/sock" "${@:2}"
}

# stop_daemon <pid>: SIGTERM, then SIGKILL after 30 s. Our daemon leaves its
# containers running when it stops (they live under their supervisors), so
# callers remove the containers first.
stop_daemon() {
    local pid=$1
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# remove_all <daemon>: removes every container of that daemon, 4 `docker rm
# -f` at a time, 50 containers each. The CLI removes the containers it is
# given 50 at once, each on a connection of its own; 4 x 50 keeps well inside
# system-dockerd's bound on connections (server.h max_connections).
remove_all() {
    cli "$1" ps -aq --no-trunc | xargs -r -n 50 -P 4 /usr/bin/docker -H "unix://$work/$1/sock" rm -f >/dev/null
}

# Undoes whatever a run that stopped half-way left behind, also one that was
# killed before it could clean up: the step it was in, both daemons' containers
# and the daemons, any supervisor, shim or container process still running
# from our work directory, mounts under $work and our cgroups.
cleanup() {
    local pid dir
    if [ -n "$step_pid" ]; then
        # A step asked to stop waits for the docker commands under way, so
        # that the daemons are not left with half-made containers.
        kill -TERM "$step_pid" 2>/dev/null || true
        for _ in $(seq 1 300); do
            kill -0 "$step_pid" 2>/dev/null || break
            sleep 0.1
        done
        for pid in $(pgrep -P "$step_pid" || true); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        kill -KILL "$step_pid" 2>/dev/null || true
        wait "$step_pid" 2>/dev/null || true
        step_pid=""
    fi
    if [ -n "$ours_pid" ]; then
        remove_all ours 2>/dev/null || true
        stop_daemon "$ours_pid"
        ours_pid=""
    fi
    if [ -n "$dockerd_pid" ]; then
        remove_all dockerd 2>/dev/null || true
        stop_daemon "$dockerd_pid" # and with it its containerd
        dockerd_pid=""
    fi
    # Left only when a daemon died or an earlier run was killed. Container
    # processes are those in our cgroups; supervisors, containerd and its
    # shims are the processes whose command line names our daemons' own
    # directories. All of them were started by this script; each is ended by
    # its PID.
    {
        cat /sys/fs/cgroup/*/"$ours_cgroup"/*/cgroup.procs /sys/fs/cgroup/*/"$docker_cgroup"/*/cgroup.procs 2>/dev/null || true
        # The patterns come through a file so that grep's own command line
        # does not match them.
        grep -lsF -f <(printf '%s\n' "$work/ours/" "$work/dockerd/") /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 || true
    } | sort -un | while read -r pid; do
        if [ "$pid" != "$$" ] && [ "$pid" != "$BASHPID" ]; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    # Deepest first; only mounts under our own work directory.
    findmnt -rn -o TARGET | awk -v p="$work/" 'index($0, p) == 1' | sort -r | while read -r dir; do
        umount -l "$dir" 2>/dev/null || true
    done
    # A cgroup goes only once its last process has been reaped, which for a
    # process just killed above can take a moment.
    for _ in $(seq 1 50); do
        find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d \( -name "$ours_cgroup" -o -name "$docker_cgroup" \) 2>/dev/null |
            while read -r dir; do
                find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
            done
        compgen -G "/sys/fs/cgroup/*/$ours_cgroup" >/dev/null || compgen -G "/sys/fs/cgroup/*/$docker_cgroup" >/dev/null || break
        sleep 0.1
    done
    if findmnt -rn -o TARGET | awk -v p="$work/" 'index($0, p) == 1 { found = 1 } END { exit !found }'; then
        echo "warning: mounts remain under $work; not removing it" >&2
        return
    fi
    # --one-file-system: never descend into a mount that slipped through.
    rm -rf --one-file-system "$work/ours" "$work/dockerd" "$work/docker-cli" "$samples" "$work/bundle" \
        "$work/image.tar" "$work/system-dockerd" "$work/out"
    rmdir "$work" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

# step <command>...: runs the command in the background and waits for it, so
# that a signal to this script ends the wait at once and cleanup can stop the
# command by its PID.
step() {
    "$@" &
    step_pid=$!
    wait "$step_pid" || { local status=$?; step_pid=""; return "$status"; }
    step_pid=""
}

# The clock in microseconds, from $EPOCHREALTIME (bash 5) rather than date(1):
# no process to start per reading. Used inline as ${EPOCHREALTIME/[.,]/}.

# wait_ready <daemon> <pid> <log>: until `docker version` answers.
wait_ready() {
    for _ in $(seq 1 300); do
        cli "$1" version >/dev/null 2>&1 && return 0
        kill -0 "$2" 2>/dev/null || { echo "$1 exited:" >&2; cat "$3" >&2; return 1; }
        sleep 0.1
    done
    echo "$1 did not answer within 30 s:" >&2
    cat "$3" >&2
    return 1
}

# rss_kib <pid>...: the sum of their VmRSS.
rss_kib() {
    local pid total=0
    for pid in "$@"; do
        total=$((total + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")))
    done
    echo "$total"
}

# dockerd_rss_kib: the VmRSS of dockerd and of the containerd it started (its
# child, since it was given no --containerd). Shims are not its children, and
# there are none while no container runs.
dockerd_rss_kib() {
    local pids
    mapfile -t pids < <(echo "$dockerd_pid"; pgrep -P "$dockerd_pid" || true)
    rss_kib "${pids[@]}"
}

# Step 1: COUNT `docker run --rm` alternating the daemons, each timed alone.
phase_run() {
    trap 'wait; exit 143' TERM
    local d t0 t1
    for _ in $(seq 1 "$count"); do
        for d in ours dockerd; do
            t0=${EPOCHREALTIME/[.,]/}
            cli "$d" run --rm --pull never --network none "$image" true </dev/null >/dev/null ||
                { echo "$d: docker run --rm failed" >&2; return 1; }
            t1=${EPOCHREALTIME/[.,]/}
            echo $((t1 - t0)) >>"$samples/run.$d"
        done
    done
}

# Step 2 for one daemon: PARALLEL `docker run -d ... sleep 30` started at
# once; the wall time until all have returned; then all removed at once.
phase_parallel() {
    trap 'wait; exit 143' TERM
    local d=$1 pid t0 t1 failed=0 pids=() created running
    t0=${EPOCHREALTIME/[.,]/}
    for _ in $(seq 1 "$parallel"); do
        cli "$d" run -d --pull never --network none "$image" sleep 30 </dev/null >/dev/null 2>>"$work/out/parallel.$d.err" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || failed=$((failed + 1))
    done
    t1=${EPOCHREALTIME/[.,]/}
    echo $((t1 - t0)) >>"$samples/parallel.$d"
    created=$(cli "$d" ps -aq | wc -l)
    running=$(cli "$d" ps -q | wc -l)
    if [ "$failed" -ne 0 ] || [ "$created" -ne "$parallel" ]; then
        echo "$d: $failed of $parallel docker run -d failed, $created containers exist; first errors:" >&2
        head -5 "$work/out/parallel.$d.err" >&2
        return 1
    fi
    # sleep 30: a daemon that took longer than that has some exited already.
    [ "$running" -eq "$parallel" ] || echo "warning: $d: only $running of $parallel containers still running" >&2
    local ids
    mapfile -t ids < <(cli "$d" ps -aq)
    t0=${EPOCHREALTIME/[.,]/}
    cli "$d" rm -f "${ids[@]}" >/dev/null
    t1=${EPOCHREALTIME/[.,]/}
    echo $((t1 - t0)) >>"$samples/parallel_rm.$d"
    created=$(cli "$d" ps -aq | wc -l)
    [ "$created" -eq 0 ] || { echo "$d: $created containers left after docker rm -f" >&2; return 1; }
}

# Step 3, first half, for one daemon: PS_CONTAINERS `docker create`,
# CREATE_JOBS at a time, timed as a whole.
phase_create() {
    trap 'wait; exit 143' TERM
    local d=$1 t0 t1 created
    t0=${EPOCHREALTIME/[.,]/}
    seq 1 "$ps_containers" | xargs -P "$create_jobs" -I{} \
        /usr/bin/docker -H "unix://$work/$d/sock" create --pull never --network none --name "bench-ps-{}" "$image" true \
        >/dev/null 2>"$work/out/create.$d.err" ||
        { echo "$d: docker create failed:" >&2; head -5 "$work/out/create.$d.err" >&2; return 1; }
    t1=${EPOCHREALTIME/[.,]/}
    echo $((t1 - t0)) >>"$samples/create.$d"
    created=$(cli "$d" ps -aq | wc -l)
    [ "$created" -eq "$ps_containers" ] || { echo "$d: $created containers, expected $ps_containers" >&2; return 1; }
}

# Step 3, second half: PS_RUNS calls of `docker ps -a` and of `docker ps -a
# -q`, alternating the daemons, after one untimed call of each that checks
# that the listing is complete.
phase_ps() {
    trap 'wait; exit 143' TERM
    local d metric t0 t1 lines
    for d in ours dockerd; do
        lines=$(cli "$d" ps -a | wc -l)
        [ "$lines" -eq $((ps_containers + 1)) ] ||
            { echo "$d: docker ps -a printed $lines lines, expected $((ps_containers + 1))" >&2; return 1; }
        lines=$(cli "$d" ps -a -q | wc -l)
        [ "$lines" -eq "$ps_containers" ] ||
            { echo "$d: docker ps -a -q printed $lines lines, expected $ps_containers" >&2; return 1; }
    done
    for _ in $(seq 1 "$ps_runs"); do
        for d in ours dockerd; do
            for metric in ps psq; do
                t0=${EPOCHREALTIME/[.,]/}
                if [ "$metric" = ps ]; then
                    cli "$d" ps -a >/dev/null
                else
                    cli "$d" ps -a -q >/dev/null
                fi || { echo "$d: docker ps failed" >&2; return 1; }
                t1=${EPOCHREALTIME/[.,]/}
                echo $((t1 - t0)) >>"$samples/$metric.$d"
            done
        done
    done
}

# Step 3, cleanup, for one daemon, timed: every container removed.
phase_remove() {
    trap 'wait; exit 143' TERM
    local d=$1 t0 t1 left
    t0=${EPOCHREALTIME/[.,]/}
    remove_all "$d"
    t1=${EPOCHREALTIME/[.,]/}
    echo $((t1 - t0)) >>"$samples/rm_all.$d"
    left=$(cli "$d" ps -aq | wc -l)
    [ "$left" -eq 0 ] || { echo "$d: $left containers left after docker rm -f" >&2; return 1; }
}

echo "api: system-dockerd ($build/bin/ros) against Debian's dockerd $(/usr/sbin/dockerd --version | awk '{print $3}' | tr -d ,)" \
    "through /usr/bin/docker; $(nproc) CPUs, kernel $(uname -r)"
echo "api: COUNT=$count PARALLEL=$parallel PARALLEL_ROUNDS=$parallel_rounds PS_CONTAINERS=$ps_containers PS_RUNS=$ps_runs CREATE_JOBS=$create_jobs;" \
    "every container --network none on both daemons"
cleanup # whatever an earlier run that was killed left behind
mkdir -p "$work/ours" "$work/dockerd" "$DOCKER_CONFIG" "$samples" "$work/out"
printf '%s\n' "count=$count" "parallel=$parallel" "parallel_rounds=$parallel_rounds" "ps_containers=$ps_containers" "ps_runs=$ps_runs" \
    "create_jobs=$create_jobs" >"$samples/params"
python3 "$here/../container_start/make_image.py" "$work" >/dev/null

# Our daemon: the multicall ros binary picks system-dockerd by the name it is
# run as, hence the symlink. It finds corral-supervisor (and the supervisor
# corral-supervisor-monitor) beside /proc/self/exe, which resolves the symlink
# to $build/bin/ros, so the build's own helpers are the ones used.
ln -sfn "$build/bin/ros" "$work/system-dockerd"
"$work/system-dockerd" -H "unix://$work/ours/sock" --data-root "$work/ours/data" --exec-root "$work/ours/exec" \
    --pidfile "$work/ours/pid" --cgroup-parent "$ours_cgroup" >"$work/ours/daemon.log" 2>&1 &
ours_pid=$!
wait_ready ours "$ours_pid" "$work/ours/daemon.log"

# dockerd on its own data and exec roots, configuration and socket, as in
# bench/container_start. --bridge=none --iptables=false --ip-forward=false
# --ip-masq=false: it makes no bridge and touches neither iptables nor the
# host's forwarding sysctl. deprecated-key-path keeps dockerd 20.10 from
# writing its trust key to /etc/docker.
echo "{\"deprecated-key-path\": \"$work/dockerd/key.json\"}" >"$work/dockerd/daemon.json"
/usr/sbin/dockerd --config-file "$work/dockerd/daemon.json" \
    --data-root "$work/dockerd/data" --exec-root "$work/dockerd/exec" --pidfile "$work/dockerd/pid" \
    -H "unix://$work/dockerd/sock" --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
    --storage-driver=overlay2 --cgroup-parent="/$docker_cgroup" --log-level=error >"$work/dockerd/daemon.log" 2>&1 &
dockerd_pid=$!
wait_ready dockerd "$dockerd_pid" "$work/dockerd/daemon.log"

# Step 4, idle: both started, no image and no container yet; let them settle.
sleep "$idle_seconds"
rss_kib "$ours_pid" >"$samples/rss_idle.ours"
dockerd_rss_kib >"$samples/rss_idle.dockerd"
# VmRSS split into anonymous memory (the daemon's own data) and file-backed
# pages (the ros binary and the shared libraries it links, mapped and touched
# at load), for where to look when the figure is high.
echo "idle RSS: system-dockerd $(awk '/^(VmRSS|RssAnon|RssFile):/ {printf "%s %s KiB  ", $1, $2}' "/proc/$ours_pid/status");" \
    "dockerd+containerd $(<"$samples/rss_idle.dockerd") KiB (dockerd $dockerd_pid and its children:" \
    "$(pgrep -P "$dockerd_pid" -l | tr '\n' ' '))"

for d in ours dockerd; do
    cli "$d" load -q -i "$work/image.tar" >/dev/null
done

# Step 1. One untimed run each first: page cache, first-touch costs.
for d in ours dockerd; do
    cli "$d" run --rm --pull never --network none "$image" true </dev/null >/dev/null
done
step phase_run
python3 "$here/summary.py" "$samples" row run

# Step 2: ours, dockerd, ours, dockerd, ...
for _ in $(seq 1 "$parallel_rounds"); do
    for d in ours dockerd; do
        step phase_parallel "$d"
    done
done
python3 "$here/summary.py" "$samples" row parallel parallel_rm

# Step 3.
for d in ours dockerd; do
    step phase_create "$d"
done
python3 "$here/summary.py" "$samples" row create
step phase_ps
python3 "$here/summary.py" "$samples" row ps psq
rss_kib "$ours_pid" >"$samples/rss_ps.ours"
dockerd_rss_kib >"$samples/rss_ps.dockerd"
python3 "$here/summary.py" "$samples" row rss_ps
for d in ours dockerd; do
    step phase_remove "$d"
done
python3 "$here/summary.py" "$samples" row rm_all
echo "system-dockerd peak RSS over the run (VmHWM): $(awk '/^VmHWM:/ {print $2}' "/proc/$ours_pid/status") KiB"

# What the daemons logged, for a look at errors the figures would hide.
for d in ours dockerd; do
    n=$(grep -ciE 'error|warn|fail' "$work/$d/daemon.log" || true)
    if [ "$n" -gt 0 ]; then
        echo "$d logged $n lines of errors or warnings; the first:"
        grep -iE 'error|warn|fail' "$work/$d/daemon.log" | head -5 | cut -c1-300 | sed 's/^/  /'
    fi
done

echo
python3 "$here/summary.py" "$samples" final
