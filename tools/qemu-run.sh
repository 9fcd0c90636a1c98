#!/usr/bin/env bash
# Boots CorralOS from dist/ in QEMU (`make run` runs it):
#   tools/qemu-run.sh [options] [-- extra QEMU arguments]
# By default the kernel and initrd are booted directly (-kernel, faster than isolinux;
# dist/vmlinux, the uncompressed PVH kernel, when it is there), with the ISO attached
# as a CD-ROM for the system images; the serial console is this terminal (Ctrl-A X
# quits QEMU, Ctrl-A C toggles the monitor). SSH is forwarded from 127.0.0.1:SSH_PORT.
# Options, each also an environment (make) variable:
#   --mem MB            MEM          memory (1024)
#   --ssh-port N        SSH_PORT     host port forwarded to the guest's port 22 (2222)
#   --cloud-config FILE CLOUD_CONFIG a config drive (ISO labelled config-2 holding
#                                    openstack/latest/user_data) as a second CD-ROM
#   --append "..."      APPEND       more kernel parameters (not with BOOT=iso)
#   --disk FILE         DISK         a persistent virtio disk (qcow2, made DISK_SIZE big
#                                    if missing, default 4G), formatted as
#                                    RANCHER_STATE on first boot
#   --disk-size SIZE    DISK_SIZE    the size of a new DISK (4G)
#   --boot iso          BOOT=iso     boot the ISO through isolinux instead
#   --accel kvm|tcg|auto CORRAL_ACCEL  auto (default): KVM if /dev/kvm is usable and a
#                                    5 s probe boot under it finishes (nested KVM can
#                                    hang), else TCG; the result is kept per host boot
#   --dist DIR          DIST         where the artifacts are (dist/)
#   --serial-log FILE                also write the serial output to FILE
#   --pidfile FILE                   QEMU's PID
#   --daemonize                      run in the background: serial on a Unix socket
#                                    <run-dir>/serial.sock and in the serial log
#                                    (<run-dir>/serial.log unless --serial-log), the
#                                    monitor on <run-dir>/monitor.sock
#   --run-dir DIR                    for the sockets and the config drive (a new
#                                    temporary folder by default; removed at exit in
#                                    the foreground, left for the caller with
#                                    --daemonize)
#   --no-reboot                      exit QEMU when the guest reboots or panics
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=isolinux/cmdline.env
. "$here/isolinux/cmdline.env"

mem=${MEM:-1024}
ssh_port=${SSH_PORT:-2222}
cloud_config=${CLOUD_CONFIG:-}
append=${APPEND:-}
disk=${DISK:-}
disk_size=${DISK_SIZE:-4G}
boot=${BOOT:-kernel}
accel=${CORRAL_ACCEL:-auto}
dist=${DIST:-$repo/dist}
serial_log="" pidfile="" daemonize=0 run_dir="" no_reboot=0
extra=()
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --mem) mem=$2; shift 2 ;;
        --ssh-port) ssh_port=$2; shift 2 ;;
        --cloud-config) cloud_config=$2; shift 2 ;;
        --append) append=$2; shift 2 ;;
        --disk) disk=$2; shift 2 ;;
        --disk-size) disk_size=$2; shift 2 ;;
        --boot) boot=$2; shift 2 ;;
        --accel) accel=$2; shift 2 ;;
        --dist) dist=$2; shift 2 ;;
        --serial-log) serial_log=$2; shift 2 ;;
        --pidfile) pidfile=$2; shift 2 ;;
        --daemonize) daemonize=1; shift ;;
        --run-dir) run_dir=$2; shift 2 ;;
        --no-reboot) no_reboot=1; shift ;;
        --) shift; extra=("$@"); break ;;
        -h | --help) usage ;;
        *) echo "qemu-run: unknown option $1" >&2; usage ;;
    esac
done
[[ $mem =~ ^[0-9]+$ ]] || { echo "qemu-run: MEM must be a number of MiB, not '$mem'" >&2; exit 2; }
[[ $ssh_port =~ ^[0-9]+$ ]] || { echo "qemu-run: SSH_PORT must be a port number, not '$ssh_port'" >&2; exit 2; }
case $boot in kernel | iso) ;; *) echo "qemu-run: BOOT must be kernel or iso" >&2; exit 2 ;; esac
if [ "$boot" = iso ] && [ -n "$append" ]; then
    echo "qemu-run: APPEND needs the direct kernel boot; BOOT=iso takes the menu's command line" >&2
    exit 2
fi
iso="$dist/corralos.iso"
for file in "$iso" "$dist/vmlinuz" "$dist/initrd"; do
    [ -f "$file" ] || { echo "qemu-run: $file is missing (make dist)" >&2; exit 1; }
done
if [ -n "$cloud_config" ] && [ ! -f "$cloud_config" ]; then
    echo "qemu-run: no cloud-config at $cloud_config" >&2
    exit 1
fi

# KVM when it works. Nested KVM on some hosts accepts the guest and never runs it, so
# probe: the kernel without an initrd panics at once ("no root") and, with panic=-1 and
# -no-reboot, QEMU exits; under a hanging KVM it does not within 5 s.
kvm_works() {
    [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
    local key cache
    key=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
    cache="${TMPDIR:-/tmp}/corral-kvm-probe.$key"
    if [ ! -f "$cache" ]; then
        local result=no
        if timeout -s KILL 5 qemu-system-x86_64 -accel kvm -cpu host -m 256 -display none -serial stdio \
            -monitor none -no-reboot -nic none -kernel "$dist/vmlinuz" -append "console=ttyS0 panic=-1" \
            </dev/null 2>/dev/null | grep -q 'Kernel panic'; then
            result=yes
        fi
        echo "$result" >"$cache"
    fi
    [ "$(cat "$cache")" = yes ]
}
case $accel in
    kvm) accel_args=(-accel kvm -cpu host) ;;
    tcg) accel_args=(-accel tcg) ;;
    auto)
        if kvm_works; then accel=kvm; accel_args=(-accel kvm -cpu host); else accel=tcg; accel_args=(-accel tcg); fi ;;
    *) echo "qemu-run: CORRAL_ACCEL must be kvm, tcg or auto" >&2; exit 2 ;;
esac

own_run_dir=0
if [ -z "$run_dir" ]; then
    run_dir=$(mktemp -d "${TMPDIR:-/tmp}/corral-run.XXXXXX")
    own_run_dir=1
fi
mkdir -p "$run_dir"
if [ "$daemonize" -eq 0 ] && [ "$own_run_dir" -eq 1 ]; then
    trap 'rm -rf "$run_dir"' EXIT
fi

args=(-name CorralOS "${accel_args[@]}" -m "$mem" -smp 2 -machine pc
    -nic "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:$ssh_port-:22"
    -device virtio-rng-pci
    -drive "file=$iso,media=cdrom,if=ide,index=2,readonly=on")
cmdline="$CORRAL_APPEND"
# The state disk comes first among the virtio disks, so that it is /dev/vda.
if [ -n "$disk" ]; then
    if [ ! -e "$disk" ]; then
        qemu-img create -q -f qcow2 "$disk" "$disk_size"
        echo "qemu-run: created $disk ($disk_size, qcow2)" >&2
    fi
    format=$(qemu-img info --output=json "$disk" | sed -n 's/.*"format": *"\([a-z0-9]*\)".*/\1/p' | head -n1)
    args+=(-drive "file=$disk,format=${format:-qcow2},if=virtio,index=0")
    cmdline="$cmdline $CORRAL_APPEND_STATE"
fi
if [ -n "$cloud_config" ]; then
    mkdir -p "$run_dir/config-2/openstack/latest"
    cp "$cloud_config" "$run_dir/config-2/openstack/latest/user_data"
    xorriso -report_about FAILURE -as mkisofs -o "$run_dir/config-2.iso" -V config-2 -J -R \
        "$run_dir/config-2" 2>/dev/null
    args+=(-drive "file=$run_dir/config-2.iso,media=cdrom,if=ide,index=3,readonly=on")
fi
[ -z "$append" ] || cmdline="$cmdline $append"
if [ "$boot" = kernel ]; then
    kernel="$dist/vmlinuz"
    # The ELF vmlinux boots through PVH without the bzImage's decompression, seconds
    # faster under TCG.
    [ -f "$dist/vmlinux" ] && kernel="$dist/vmlinux"
    args+=(-kernel "$kernel" -initrd "$dist/initrd" -append "$cmdline")
else
    args+=(-boot d)
fi
[ "$no_reboot" -eq 0 ] || args+=(-no-reboot)
[ -z "$pidfile" ] || args+=(-pidfile "$pidfile")
log_opt=""
[ -z "$serial_log" ] || log_opt=",logfile=$serial_log,logappend=off"

if [ "$daemonize" -eq 1 ]; then
    [ -n "$serial_log" ] || { serial_log="$run_dir/serial.log"; log_opt=",logfile=$serial_log,logappend=off"; }
    args+=(-display none -daemonize
        -chardev "socket,id=serial0,path=$run_dir/serial.sock,server=on,wait=off$log_opt"
        -serial chardev:serial0
        -monitor "unix:$run_dir/monitor.sock,server=on,wait=off")
else
    args+=(-display none
        -chardev "stdio,id=serial0,mux=on,signal=off$log_opt"
        -serial chardev:serial0 -mon chardev=serial0)
fi

echo "qemu-run: CorralOS from $dist ($boot boot, $accel, ${mem} MiB)" >&2
[ "$boot" = iso ] || echo "qemu-run: kernel command line: $cmdline" >&2
echo "qemu-run: ssh: ssh -p $ssh_port rancher@127.0.0.1 (with a key from ssh_authorized_keys in the cloud-config)" >&2
if [ "$daemonize" -eq 1 ]; then
    qemu-system-x86_64 "${args[@]}" "${extra[@]}"
    echo "qemu-run: running in the background; serial log $serial_log, serial socket $run_dir/serial.sock," \
        "monitor $run_dir/monitor.sock${pidfile:+, pid in $pidfile}" >&2
else
    echo "qemu-run: Ctrl-A X quits, Ctrl-A C switches between the console and the QEMU monitor" >&2
    qemu-system-x86_64 "${args[@]}" "${extra[@]}"
fi
