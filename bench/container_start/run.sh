#!/usr/bin/env bash
# bench/container_start: start (and remove) containers of a tiny busybox image
# that runs /bin/true, COUNT one after another and CONCURRENT at once, with our
# engine, with `runc run` of an equivalent bundle and with Debian's dockerd
# (`docker run --rm`), all in the same run, and print the time per container,
# the ratios to the peers and how much each gains from running containers at once.
#   bench/container_start/run.sh [build-dir]      COUNT=50 CONCURRENT=50 by default
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
count=${COUNT:-50}
concurrent=${CONCURRENT:-50}
work=${BENCH_DIR:-/var/tmp/corral-bench-container-start}
[[ $count =~ ^[1-9][0-9]*$ && $concurrent =~ ^[1-9][0-9]*$ ]] ||
    { echo "COUNT and CONCURRENT must be positive integers" >&2; exit 2; }
driver="$build/bin/bench_container_start"
[ -x "$driver" ] || { echo "build first: $driver is missing" >&2; exit 1; }
driver=$(cd "$(dirname "$driver")" && pwd)/$(basename "$driver")
mkdir -p "$work"
work=$(cd "$work" && pwd)

runc_state="$work/runc-state"
runc=(/usr/sbin/runc --root "$runc_state")
# The peers' containers go in cgroups of their own (Docker's default is /docker),
# removed at the end.
runc_cgroup=corral-bench-runc
docker_cgroup=corral-bench-docker
docker_sock="$work/docker/sock"
docker=(/usr/bin/docker -H "unix://$docker_sock")
export DOCKER_CONFIG="$work/docker-cli" # not the user's CLI configuration
dockerd_pid=""
step_pid=""

# Undoes whatever a run that stopped half-way left behind: the step it was in,
# runc containers and their cgroups, dockerd's containers and dockerd itself,
# and mounts under $work.
cleanup() {
    local id pid
    if [ -n "$step_pid" ]; then
        # A step asked to stop lets the containers it has started finish (they
        # run /bin/true), so that none is cut off half-way through its setup.
        kill -TERM "$step_pid" 2>/dev/null || true
        for _ in $(seq 1 300); do
            kill -0 "$step_pid" 2>/dev/null || break # bash reaps its children itself
            sleep 0.1
        done
        # Still there after 30 s: something hangs; end it and what it started.
        for pid in $(pgrep -P "$step_pid" || true); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        kill -KILL "$step_pid" 2>/dev/null || true
        wait "$step_pid" 2>/dev/null || true
        step_pid=""
    fi
    if [ -d "$runc_state" ]; then
        for id in $("${runc[@]}" list -q 2>/dev/null); do
            "${runc[@]}" delete -f "$id" >/dev/null 2>&1 || true
        done
    fi
    if [ -n "$dockerd_pid" ]; then
        "${docker[@]}" ps -aq 2>/dev/null | xargs -r "${docker[@]}" rm -f >/dev/null 2>&1 || true
        stop_dockerd
    fi
    find /sys/fs/cgroup -mindepth 1 -maxdepth 2 -type d \( -name "$runc_cgroup" -o -name "$docker_cgroup" \) 2>/dev/null |
        while read -r dir; do
            find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
        done
    # Deepest first; only mounts under our own work directory.
    findmnt -rn -o TARGET | awk -v p="$work/" 'index($0, p) == 1' | sort -r | while read -r mnt; do
        umount -l "$mnt" 2>/dev/null || true
    done
    rm -rf "$runc_state" "$work/runc-bundles" "$work/runc-spec" "$work/ours" "$work/ours.json" "$work/elapsed" \
        "$work/docker" "$work/docker-cli"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# step <output-file> <command>...: runs the command in the background and waits
# for it, so that a signal to this script ends the wait at once and cleanup
# can stop the command by its PID.
step() {
    local out=$1
    shift
    "$@" >"$out" &
    step_pid=$!
    wait "$step_pid" || { local status=$?; step_pid=""; return "$status"; }
    step_pid=""
}

stop_dockerd() {
    kill "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
        kill -0 "$dockerd_pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$dockerd_pid" 2>/dev/null || true
    wait "$dockerd_pid" 2>/dev/null || true
    dockerd_pid=""
}

# $EPOCHREALTIME (bash 5) rather than date(1): no process to start per reading.
now() { echo "${EPOCHREALTIME/,/.}"; }

# run_sequential <start-one-function> <n> <id-prefix>: prints the seconds taken.
# On SIGTERM both wait for the containers under way and exit.
run_sequential() {
    local start_one=$1 n=$2 prefix=$3 start end i
    trap 'wait; exit 143' TERM
    start=$(now)
    for i in $(seq 1 "$n"); do
        "$start_one" "$prefix-$i" || { echo "$start_one $prefix-$i failed" >&2; return 1; }
    done
    end=$(now)
    echo "$end - $start" | bc -l
}

# run_concurrent <start-one-function> <n> <id-prefix>: starts all n at once, waits
# for every one, prints the wall-clock seconds; fails if any of them failed.
run_concurrent() {
    local start_one=$1 n=$2 prefix=$3 start end i pid failed=0 pids=()
    trap 'wait; exit 143' TERM
    start=$(now)
    for i in $(seq 1 "$n"); do
        "$start_one" "$prefix-$i" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || failed=$((failed + 1))
    done
    end=$(now)
    [ "$failed" -eq 0 ] || { echo "$start_one: $failed of $n concurrent containers failed" >&2; return 1; }
    echo "$end - $start" | bc -l
}

echo "container_start: $count sequential and $concurrent concurrent containers of /bin/true, $(nproc) CPUs, kernel $(uname -r)"
cleanup # whatever an earlier run that was killed left behind
python3 "$here/make_image.py" "$work" >/dev/null

# runc: one bundle directory per container, each config.json pointing at the one
# shared rootfs. Nothing writes to it: every mount point is in the image, and
# runc's mounts are made in each container's own mount namespace.
mkdir -p "$work/runc-spec" "$runc_state"
/usr/sbin/runc spec --bundle "$work/runc-spec"
python3 - "$work" "$runc_cgroup" "$count" "$concurrent" <<'EOF'
import json, os, sys
work, cgroup, count, concurrent = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with open(os.path.join(work, "runc-spec", "config.json")) as f:
    spec = json.load(f)
# What `docker run --rm --network none busybox true` asks of runc, less
# Docker's seccomp profile; runc's default capabilities, masked and read-only
# paths and mounts stay as `runc spec` wrote them.
spec["process"]["terminal"] = False
spec["process"]["args"] = ["/bin/true"]
spec["process"]["env"] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
spec["root"] = {"path": os.path.join(work, "bundle", "rootfs"), "readonly": False}
spec["hostname"] = "corral-bench"
spec["linux"]["namespaces"] = [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")]
ids = ["warm-1"] + ["seq-%d" % i for i in range(1, count + 1)] + ["conc-%d" % i for i in range(1, concurrent + 1)]
for id in ids:
    spec["linux"]["cgroupsPath"] = "/%s/%s" % (cgroup, id)
    bundle = os.path.join(work, "runc-bundles", id)
    os.makedirs(bundle)
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(spec, f)
EOF
runc_one() {
    "${runc[@]}" run --bundle "$work/runc-bundles/$1" "bench-$1" </dev/null >/dev/null
}
step /dev/null run_sequential runc_one 1 warm # page cache, first-touch costs
step "$work/elapsed" run_sequential runc_one "$count" seq
runc_seq=$(<"$work/elapsed")
step "$work/elapsed" run_concurrent runc_one "$concurrent" conc
runc_conc=$(<"$work/elapsed")
printf 'runc:     sequential %.3f s, concurrent %.3f s\n' "$runc_seq" "$runc_conc"

# Ours, in-process; the driver loads the archive into a fresh root and warms up itself.
step "$work/ours.json" "$driver" --root "$work/ours" --image-archive "$work/image.tar" \
    --image corral-bench/busybox:latest --count "$count" --concurrent "$concurrent" ||
    { echo "$driver failed" >&2; exit 1; }
ours_json=$(<"$work/ours.json")
read -r ours_seq ours_conc ours_rss < <(python3 -c '
import json, sys
try:
    lines = [l for l in sys.stdin.read().splitlines() if l.strip()]
    assert len(lines) == 1, "%d lines, expected one JSON line" % len(lines)
    d = json.loads(lines[0])
    print(float(d["sequential_seconds"]), float(d["concurrent_seconds"]), int(d["supervisor_rss_kib"]))
except Exception as e:
    sys.exit("%s: %s" % (type(e).__name__, e))
' <<<"$ours_json") || { echo "cannot parse the output of $driver: $ours_json" >&2; exit 1; }
printf 'corralos: sequential %.3f s, concurrent %.3f s\n' "$ours_seq" "$ours_conc"
rm -rf "$work/ours"

# dockerd on its own data and exec roots, configuration and socket.
mkdir -p "$work/docker" "$DOCKER_CONFIG"
# deprecated-key-path keeps dockerd 20.10 from writing its trust key to /etc/docker.
echo "{\"deprecated-key-path\": \"$work/docker/key.json\"}" >"$work/docker/daemon.json"
/usr/sbin/dockerd --config-file "$work/docker/daemon.json" \
    --data-root "$work/docker/data" --exec-root "$work/docker/exec" --pidfile "$work/docker/pid" \
    -H "unix://$docker_sock" --bridge=none --iptables=false --storage-driver=overlay2 --cgroup-parent="/$docker_cgroup" \
    --log-level=error >"$work/docker/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 1 300); do
    "${docker[@]}" version >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || { echo "dockerd exited:" >&2; cat "$work/docker/dockerd.log" >&2; exit 1; }
    sleep 0.1
done
"${docker[@]}" load -q -i "$work/image.tar" >/dev/null
docker_one() {
    "${docker[@]}" run --rm --pull never --network none corral-bench/busybox true </dev/null >/dev/null
}
step /dev/null run_sequential docker_one 1 warm
step "$work/elapsed" run_sequential docker_one "$count" seq
docker_seq=$(<"$work/elapsed")
step "$work/elapsed" run_concurrent docker_one "$concurrent" conc
docker_conc=$(<"$work/elapsed")
printf 'dockerd:  sequential %.3f s, concurrent %.3f s\n' "$docker_seq" "$docker_conc"
# Peak resident memory of the daemon side, dockerd plus its containerd, for
# comparison with our supervisor's.
docker_rss=0
for pid in $dockerd_pid $(pgrep -P "$dockerd_pid" || true); do
    docker_rss=$((docker_rss + $(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
done
left=$("${docker[@]}" ps -aq | wc -l)
[ "$left" -eq 0 ] || echo "warning: dockerd still has $left containers after --rm" >&2
stop_dockerd

echo
awk -v n="$count" -v m="$concurrent" -v rss="$ours_rss" -v drss="$docker_rss" \
    -v os="$ours_seq" -v oc="$ours_conc" -v rs="$runc_seq" -v rc="$runc_conc" -v ds="$docker_seq" -v dc="$docker_conc" '
function row(name, s, c) {
    printf "%-10s %12.2f %12.1f %12.2f %12.1f %11.2fx\n", name, s, 1000 * s / n, c, 1000 * c / m, (s / n) / (c / m)
}
BEGIN {
    printf "sequential: %d containers one after another; concurrent: %d started at once\n", n, m
    printf "%-10s %12s %12s %12s %12s %12s\n", "peer", "seq total s", "seq ms/ctr", "conc wall s", "conc ms/ctr", "speed-up"
    row("corralos", os, oc)
    row("runc", rs, rc)
    row("dockerd", ds, dc)
    print ""
    printf "container_start: corralos/runc    sequential %.2f, concurrent %.2f (target < 1.5)\n", os / rs, oc / rc
    printf "container_start: corralos/dockerd sequential %.2f, concurrent %.2f (target < 0.25)\n", os / ds, oc / dc
    printf "container_start: supervisor RSS %d KiB (%.1f MiB); dockerd+containerd peak %.1f MiB\n", rss, rss / 1024, drss / 1024
}'
