#!/usr/bin/env bash
# bench/boot: how long CorralOS takes to boot in QEMU, against the floor of the same
# kernel with a one-line busybox initrd, in one run with the same QEMU settings (TCG,
# -m 1024, -smp 2, virtio NIC and RNG, the ISO as a CD-ROM, -kernel/-initrd):
#   floor     Debian's vmlinuz + a busybox initrd whose /init prints a marker on
#             the serial console: QEMU start -> marker
#   started   CorralOS: QEMU start -> "CorralOS <version> started"
#   docker    CorralOS: QEMU start -> "user Docker ready"
# Runs alternate (floor, CorralOS, floor, ...) after one warm-up of each; it prints the
# median of RUNS, the ratios (targets: started/floor <= 2.5, docker/floor <= 4), then
# the smallest -m (MiB) at which CorralOS still reaches "user Docker ready", bisected
# on MEM_STEP from MEM_MIN to MEM_MAX, and the sizes of vmlinuz, initrd and the ISO.
#   bench/boot/run.sh [build-dir]
#   RUNS=3 BOOT_TIMEOUT=600 FLOOR_TIMEOUT=60 MEM_MIN=256 MEM_MAX=1024 MEM_STEP=32
#   MEM_BISECT=1 (0 skips it), KERNEL=vmlinuz (or vmlinux: the uncompressed PVH
#   kernel, for both), SKIP_DIST=1 uses dist/ as it is instead of running
#   tools/build-dist.sh first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-$repo/build}
runs=${RUNS:-3}
boot_timeout=${BOOT_TIMEOUT:-600}
floor_timeout=${FLOOR_TIMEOUT:-60}
mem_min=${MEM_MIN:-256}
mem_max=${MEM_MAX:-1024}
mem_step=${MEM_STEP:-32}
mem_bisect=${MEM_BISECT:-1}
kernel_name=${KERNEL:-vmlinuz}
dist=${DIST:-$repo/dist}
for var in RUNS BOOT_TIMEOUT FLOOR_TIMEOUT MEM_MIN MEM_MAX MEM_STEP; do
    value=${!var:-1}
    [[ $value =~ ^[1-9][0-9]{0,5}$ ]] || { echo "$var must be a positive integer, not '$value'" >&2; exit 2; }
done
case $kernel_name in vmlinuz | vmlinux) ;; *) echo "KERNEL must be vmlinuz or vmlinux" >&2; exit 2 ;; esac
command -v qemu-system-x86_64 >/dev/null || { echo "needs qemu-system-x86 (scripts/deps.sh)" >&2; exit 1; }
[ -x /usr/bin/busybox ] || { echo "needs busybox-static (scripts/deps.sh)" >&2; exit 1; }

if [ "${SKIP_DIST:-0}" != 1 ]; then
    "$repo/tools/build-dist.sh" "$build"
fi
for file in "$kernel_name" initrd corralos.iso; do
    [ -f "$dist/$file" ] || { echo "$dist/$file is missing (make dist)" >&2; exit 1; }
done
# shellcheck source=../../tools/isolinux/cmdline.env
. "$repo/tools/isolinux/cmdline.env"
version=$(sed -n 's/^version: //p' "$dist/build-info" 2>/dev/null || true)
[ -n "$version" ] || { echo "$dist/build-info has no version" >&2; exit 1; }
started_marker="CorralOS $version started"
docker_marker="user Docker ready"
floor_marker="corral-bench-floor: userspace reached"
# init prints this when it gives up (then it starts the recovery shell); waiting for
# the markers would be pointless after it.
failed_markers=("did not boot" "Kernel panic")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/corral-bench-boot.XXXXXX")
qemu_pid=""
stop_qemu() {
    if [ -n "$qemu_pid" ]; then
        kill "$qemu_pid" 2>/dev/null || true
        wait "$qemu_pid" 2>/dev/null || true
        qemu_pid=""
    fi
}
cleanup() {
    stop_qemu
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The floor's initrd: busybox-static and an /init that prints the marker on the
# console (ttyS0, the last console= on the same command line) and powers off.
mkdir -p "$tmp/floor/bin"
cp /usr/bin/busybox "$tmp/floor/bin/busybox"
ln -s busybox "$tmp/floor/bin/sh"
cat >"$tmp/floor/init" <<EOF
#!/bin/sh
echo "$floor_marker"
/bin/busybox poweroff -f
EOF
chmod 0755 "$tmp/floor/init"
(cd "$tmp/floor" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1 -n) >"$tmp/floor.cpio.gz"

# boot <log> <mem MiB> <timeout s> <initrd> <marker>...: boots under TCG and sets
# times[i] to the milliseconds from QEMU's start to the first serial line holding
# marker i, or to "-" when it did not come (timeout, a failure line, QEMU exited).
# It runs in this shell, not a subshell, so that the EXIT trap knows QEMU's PID.
times=()
boot() {
    local log=$1 mem=$2 timeout=$3 initrd=$4
    shift 4
    local markers=("$@") index=0 line now start fd
    times=()
    rm -f "$tmp/serial.fifo"
    mkfifo "$tmp/serial.fifo"
    start=$EPOCHREALTIME
    qemu-system-x86_64 -accel tcg -m "$mem" -smp 2 -machine pc -display none -no-reboot \
        -serial stdio -monitor none \
        -nic user,model=virtio-net-pci -device virtio-rng-pci \
        -drive "file=$dist/corralos.iso,media=cdrom,if=ide,index=2,readonly=on" \
        -kernel "$dist/$kernel_name" -initrd "$initrd" -append "$CORRAL_APPEND" \
        </dev/null >"$tmp/serial.fifo" 2>"$log.qemu" &
    qemu_pid=$!
    exec {fd}<"$tmp/serial.fifo"
    local deadline=$(( ${start/./} + timeout * 1000000 ))
    : >"$log"
    while [ "$index" -lt "${#markers[@]}" ]; do
        now=$EPOCHREALTIME
        local left=$(( deadline - ${now/./} ))
        [ "$left" -gt 0 ] || break
        IFS= read -r -t "$(( left / 1000000 )).$(printf '%06d' $(( left % 1000000 )))" -u "$fd" line || break
        printf '%s\n' "$line" >>"$log"
        while [ "$index" -lt "${#markers[@]}" ] && [[ $line == *"${markers[$index]}"* ]]; do
            now=$EPOCHREALTIME
            times+=($(( (${now/./} - ${start/./}) / 1000 )))
            index=$((index + 1))
        done
        local failed
        for failed in "${failed_markers[@]}"; do
            [[ $line == *"$failed"* ]] && break 2
        done
    done
    exec {fd}<&-
    stop_qemu
    while [ "${#times[@]}" -lt "${#markers[@]}" ]; do times+=(-); done
}

median() { # numbers or "-": the median of the numbers, or "-" when there are none
    printf '%s\n' "$@" | { grep -v '^-$' || true; } | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
seconds() { [ "$1" = - ] && echo "-" || awk -v ms="$1" 'BEGIN { printf "%.2f s", ms / 1000 }'; }
ratio() { { [ "$1" = - ] || [ "$2" = - ]; } && echo "n/a" || awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "bench/boot: CorralOS $version, kernel $dist/$kernel_name, TCG, -m 1024 -smp 2; $runs runs each, alternating"
floor_ms=() started_ms=() docker_ms=()
corral_boots=1 # 0 once the warm-up showed that CorralOS does not start at all
for run in $(seq 0 "$runs"); do
    boot "$tmp/floor.$run.log" 1024 "$floor_timeout" "$tmp/floor.cpio.gz" "$floor_marker"
    floor=${times[0]}
    started=- docker=-
    if [ "$corral_boots" -eq 1 ]; then
        boot "$tmp/corral.$run.log" 1024 "$boot_timeout" "$dist/initrd" "$started_marker" "$docker_marker"
        started=${times[0]} docker=${times[1]}
    fi
    if [ "$run" -eq 0 ]; then
        echo "  warm-up: floor $(seconds "$floor"), started $(seconds "$started"), user Docker ready $(seconds "$docker")"
        if [ "$floor" = - ]; then
            echo "bench/boot: the floor did not reach userspace; its serial log:" >&2
            tail -n 20 "$tmp/floor.0.log" "$tmp/floor.0.log.qemu" >&2
            exit 1
        fi
        if [ "$started" = - ]; then
            echo "  CorralOS did not print \"$started_marker\", so only the floor runs; the end of its serial log:"
            tail -n 15 "$tmp/corral.0.log" | sed 's/^/    /'
            corral_boots=0
        fi
        continue
    fi
    echo "  run $run: floor $(seconds "$floor"), started $(seconds "$started"), user Docker ready $(seconds "$docker")"
    floor_ms+=("$floor")
    started_ms+=("$started")
    docker_ms+=("$docker")
done
floor_median=$(median "${floor_ms[@]}")
started_median=$(median "${started_ms[@]}")
docker_median=$(median "${docker_ms[@]}")

# Smallest memory that still gets to "user Docker ready": bisection over multiples of
# MEM_STEP, assuming that more memory never hurts. Each try may take as long as the
# median boot twice over, plus a minute.
smallest="-"
if [ "$mem_bisect" = 1 ] && [ "$docker_median" != - ]; then
    try_timeout=$(( docker_median * 2 / 1000 + 60 ))
    low=$(( (mem_min + mem_step - 1) / mem_step ))  # in steps; may fail
    high=$(( mem_max / mem_step ))                  # known to work (the runs above)
    if [ "$(( high * mem_step ))" -ne 1024 ]; then
        boot "$tmp/mem.log" $(( high * mem_step )) "$try_timeout" "$dist/initrd" "$started_marker" "$docker_marker"
        docker=${times[1]}
        [ "$docker" != - ] || high=-1
    fi
    if [ "$high" -gt 0 ]; then
        # high works. Try low first: if it works it is the answer; if not, the answer
        # lies in (low, high], which halves on each try.
        boot "$tmp/mem.log" $(( low * mem_step )) "$try_timeout" "$dist/initrd" "$started_marker" "$docker_marker"
        docker=${times[1]}
        echo "  -m $(( low * mem_step )): $([ "$docker" != - ] && echo "user Docker ready after $(seconds "$docker")" || echo "no")"
        if [ "$docker" != - ]; then
            high=$low
        else
            while [ $(( high - low )) -gt 1 ]; do
                middle=$(( (low + high) / 2 ))
                boot "$tmp/mem.log" $(( middle * mem_step )) "$try_timeout" "$dist/initrd" "$started_marker" "$docker_marker"
                docker=${times[1]}
                echo "  -m $(( middle * mem_step )): $([ "$docker" != - ] && echo "user Docker ready after $(seconds "$docker")" || echo "no")"
                if [ "$docker" != - ]; then high=$middle; else low=$middle; fi
            done
        fi
        smallest=$(( high * mem_step ))
    fi
fi

echo
printf '%-34s %10s %8s\n' "" median ratio
printf '%-34s %10s %8s\n' "floor (busybox initrd)" "$(seconds "$floor_median")" 1.00
printf '%-34s %10s %8s\n' "CorralOS started" "$(seconds "$started_median")" "$(ratio "$started_median" "$floor_median")"
printf '%-34s %10s %8s\n' "CorralOS user Docker ready" "$(seconds "$docker_median")" "$(ratio "$docker_median" "$floor_median")"
echo "targets: started/floor <= 2.5, docker/floor <= 4"
echo "smallest -m reaching user Docker ready: $smallest MiB (bisected from $mem_min to $mem_max, step $mem_step)"
echo "sizes: vmlinuz $(stat -c %s "$dist/vmlinuz"), initrd $(stat -c %s "$dist/initrd"), corralos.iso $(stat -c %s "$dist/corralos.iso") bytes"
