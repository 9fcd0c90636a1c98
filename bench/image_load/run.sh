#!/usr/bin/env bash
# bench/image_load: load and unpack a large multi-layer image archive (built here
# from Debian packages) with our store and with Debian's dockerd (`docker load`
# into a fresh data root), alternating the two, and print the medians, their ratio
# and the peak memory of each.
#   bench/image_load/run.sh [build-dir]      RUNS=3 SIZE_MB=500 by default
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
runs=${RUNS:-3}
work=${BENCH_DIR:-/var/tmp/corral-bench-image-load}
mkdir -p "$work"
loader="$build/bin/bench_image_load"
[ -x "$loader" ] || { echo "build first: $loader is missing" >&2; exit 1; }

archive="$work/archive.tar"
if [ ! -s "$archive" ]; then
    python3 "$here/make_archive.py" "$work" "${SIZE_MB:-500}"
fi
echo "archive: $(du -m "$archive" | cut -f1) MB, $(tar -tf "$archive" | grep -c layer.tar) layers"

dockerd_pid=""
cleanup() {
    if [ -n "$dockerd_pid" ]; then
        kill "$dockerd_pid" 2>/dev/null || true
        wait "$dockerd_pid" 2>/dev/null || true
    fi
    rm -rf "$work/ours" "$work/docker"
}
trap cleanup EXIT

now() { date +%s.%N; }

run_ours() {
    rm -rf "$work/ours"
    sync
    local start end
    start=$(now)
    /usr/bin/time -f "%M" -o "$work/ours.rss" "$loader" "$work/ours" "$archive" >/dev/null
    end=$(now)
    echo "$end - $start" | bc
}

run_docker() {
    rm -rf "$work/docker"
    mkdir -p "$work/docker"
    /usr/sbin/dockerd --data-root "$work/docker/data" --exec-root "$work/docker/exec" \
        --pidfile "$work/docker/pid" -H "unix://$work/docker/sock" --bridge=none --iptables=false \
        --storage-driver=overlay2 --log-level=error >/dev/null 2>&1 &
    dockerd_pid=$!
    for _ in $(seq 1 300); do
        /usr/bin/docker -H "unix://$work/docker/sock" version >/dev/null 2>&1 && break
        sleep 0.1
    done
    sync
    local start end
    start=$(now)
    /usr/bin/docker -H "unix://$work/docker/sock" load -i "$archive" >/dev/null
    end=$(now)
    # Peak resident memory of the daemon side: dockerd plus its containerd.
    local peak=0 pid
    for pid in $dockerd_pid $(pgrep -P "$dockerd_pid" || true); do
        local hwm
        hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        peak=$((peak + hwm))
    done
    echo "$peak" > "$work/docker.rss"
    kill "$dockerd_pid"
    wait "$dockerd_pid" 2>/dev/null || true
    dockerd_pid=""
    echo "$end - $start" | bc
}

ours=()
docker=()
ours_rss=()
docker_rss=()
run_ours >/dev/null # warm-up: page cache, first-touch costs
for i in $(seq 1 "$runs"); do
    ours+=("$(run_ours)")
    ours_rss+=("$(cat "$work/ours.rss")")
    docker+=("$(run_docker)")
    docker_rss+=("$(cat "$work/docker.rss")")
    echo "run $i: corralos ${ours[-1]} s (${ours_rss[-1]} KiB peak), dockerd ${docker[-1]} s (${docker_rss[-1]} KiB peak)"
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mo=$(median "${ours[@]}")
md=$(median "${docker[@]}")
ro=$(median "${ours_rss[@]}")
rd=$(median "${docker_rss[@]}")
echo
printf 'image_load: corralos %.2f s, dockerd %.2f s, time ratio corralos/dockerd = %.2f\n' "$mo" "$md" "$(echo "$mo / $md" | bc -l)"
printf 'image_load: peak memory corralos %d MiB, dockerd+containerd %d MiB\n' $((ro / 1024)) $((rd / 1024))
