#!/usr/bin/env bash
# Checks the built images as the booted system will use them: images.sqfs is
# mounted read-only and a data root is seeded from it the way the init does
# (metadata copied, layers symlinked into the squashfs), a private
# system-dockerd runs on it, and each image runs its service's program with
# /usr/bin/ros bind-mounted, privileged. The user image is loaded into Debian's
# dockerd running inside os-docker, which runs it.
#
# usage: check-images.sh --ros BINDIR --out DIR [--version VERSION]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin= out= version=v0.1.0
while [ $# -gt 0 ]; do
    case "$1" in
        --ros) bin=$(cd "$2" && pwd); shift 2 ;;
        --out) out=$(cd "$2" && pwd); shift 2 ;;
        --version) version=$2; shift 2 ;;
        *) echo "check-images.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$bin" ] && [ -n "$out" ] || { echo "usage: check-images.sh --ros BINDIR --out DIR [--version V]" >&2; exit 2; }

. "$here/daemon.sh"
tmp=$(mktemp -d /tmp/corral-check-images.XXXXXX)
udhcpd=
netns_server=corral-images-dhcp-server-$$
netns_client=corral-images-dhcp-client-$$
cleanup() {
    [ -z "$udhcpd" ] || kill "$udhcpd" 2>/dev/null || true
    ip netns del "$netns_server" 2>/dev/null || true
    ip netns del "$netns_client" 2>/dev/null || true
    daemon_cleanup "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Seed a data root from the squashfs, as the init does at boot.
mkdir -p "$tmp/sqfs" "$tmp/data/image/blobs/sha256" "$tmp/data/image/layers" "$tmp/data/image/images" \
    "$tmp/data/image/ingest"
mount -t squashfs -o loop,ro "$out/images.sqfs" "$tmp/sqfs"
cp -a "$tmp/sqfs/repositories.json" "$tmp/data/image/"
cp -a "$tmp/sqfs/images/." "$tmp/data/image/images/"
cp -a "$tmp/sqfs/blobs/sha256/." "$tmp/data/image/blobs/sha256/"
for layer in "$tmp"/sqfs/layers/*; do
    ln -s "$layer" "$tmp/data/image/layers/$(basename "$layer")"
done
daemon_start "$bin" "$tmp"
sd images

failures=0
extra=()
# check IMAGE EXPECTED COMMAND...: runs COMMAND (no entrypoint; with the run
# options in $extra) and wants EXPECTED (a grep -E pattern) in its output.
check() {
    local image=$1 expected=$2 output
    shift 2
    if output=$(sd run --rm --privileged --net host -v "$tmp/bin/ros:/usr/bin/ros:ro" "${extra[@]}" \
        --entrypoint "" "$image" "$@" 2>&1) && grep -Eq "$expected" <<<"$output"; then
        echo "ok    $image: $*"
    else
        echo "FAIL  $image: $*"
        sed 's/^/      /' <<<"$output"
        failures=$((failures + 1))
    fi
}

base=corralos/os-base:$version
check "$base" '^ok$' sh -c 'echo ok'
check "$base" 'uid=0\(root\)' id
check "$base" '^/usr/bin/ros /usr/bin/ros$' sh -c 'echo $(readlink /sbin/poweroff) $(readlink /usr/bin/netconf)'
check "$base" 'ros' sh -c 'ros --help || ros help'
# The image's own entrypoint: ros entrypoint, then the command.
if output=$(sd run --rm --privileged -v "$tmp/bin/ros:/usr/bin/ros:ro" "$base" echo ok 2>&1) && [ "$output" = ok ]; then
    echo "ok    $base: entrypoint ros entrypoint, echo ok"
else
    echo "note  $base: with its entrypoint (ros entrypoint): $output"
fi

console=corralos/os-console:$version
# console-init makes /run/sshd and the host keys.
check "$console" 'sshd -t passed' sh -c \
    'mkdir -p /run/sshd && ssh-keygen -q -t ed25519 -N "" -f /tmp/k && /usr/sbin/sshd -t -h /tmp/k && echo "sshd -t passed"'
# A key login as rancher (PAM account and session, AllowGroups, the "*"
# password), then passwordless sudo, over loopback on a port of our own.
port=$((20000 + $$ % 10000))
check "$console" '^rancher root$' sh -c '
    mkdir -p /run/sshd /home/rancher/.ssh
    ssh-keygen -q -t ed25519 -N "" -f /tmp/host && ssh-keygen -q -t ed25519 -N "" -f /tmp/user
    cp /tmp/user.pub /home/rancher/.ssh/authorized_keys && chown -R rancher:rancher /home/rancher/.ssh
    /usr/sbin/sshd -D -h /tmp/host -p '$port' -o ListenAddress=127.0.0.1 -E /tmp/sshd.log & sshd=$!
    sleep 1
    ssh -i /tmp/user -p '$port' -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
        rancher@127.0.0.1 "echo \$(id -un) \$(sudo -n whoami)" || cat /tmp/sshd.log
    kill $sshd'
check "$console" 'NOPASSWD: ALL' sudo -l -U rancher
check "$console" 'NOPASSWD: ALL' sudo -l -U docker
check "$console" 'uid=1100\(rancher\) gid=1100\(rancher\) groups=1100\(rancher\),27\(sudo\),1101\(docker\)' id rancher
check "$console" 'uid=1101\(docker\) gid=1101\(docker\) groups=1101\(docker\),27\(sudo\)' id docker
check "$console" '^root$' su rancher -c 'sudo -n whoami'
check "$console" 'rancher:\$' sh -c 'echo rancher:secret | chpasswd && grep ^rancher: /etc/shadow'
check "$console" 'Docker version 20\.10\.24' docker --version
check "$console" 'GNU bash' bash --version
check "$console" 'agetty from util-linux' /sbin/agetty --version
check "$console" 'nf_tables' iptables --version
check "$console" 'kmod version' modprobe --version
check "$console" 'procps-ng' ps --version

docker=corralos/os-docker:20.10.24
check "$docker" 'Docker version 20\.10\.24' dockerd --version
check "$docker" 'containerd .*1\.6' containerd --version
check "$docker" 'runc version 1\.1' runc --version
check "$docker" 'nf_tables' iptables --version
check "$docker" 'nf_tables' ip6tables-save --version
check "$docker" 'tini version' docker-init --version
check "$docker" 'BEGIN CERTIFICATE' head -1 /etc/ssl/certs/ca-certificates.crt
check "$docker" 'docker:x:1101' grep ^docker: /etc/group

check "corralos/os-network:$version" 'dhcpcd 9\.' dhcpcd --version
check "corralos/os-udev:$version" '^252' udevadm --version
check "corralos/os-udev:$version" '^252' udevd --version
check "corralos/os-udev:$version" 'kmod version' modprobe --version
check "corralos/os-syslog:$version" 'rsyslogd  ?8\.' rsyslogd -v
check "corralos/os-syslog:$version" 'End of config validation run' rsyslogd -N1
check "corralos/os-acpid:$version" 'acpid-2\.' acpid -v
check "corralos/os-acpid:$version" 'action=/sbin/poweroff' cat /etc/acpi/events/powerbtn
# start_ntp.sh runs a stand-in ntpd that prints its arguments (the real one
# would adjust this machine's clock); the real one then checks the config.
ntp_started='mkdir /tmp/fake && printf "#!/bin/sh\necho ntpd \"\$@\"\n" >/tmp/fake/ntpd && chmod +x /tmp/fake/ntpd
    echo $(PATH=/tmp/fake:$PATH /bin/start_ntp.sh "$@") / $(cat /etc/openntpd/ntpd.conf) / $(ntpd -n -f /etc/openntpd/ntpd.conf 2>&1)'
check "corralos/os-ntp:$version" \
    '^ntpd -d -s -f /etc/openntpd/ntpd.conf / servers 192\.0\.2\.1 servers 192\.0\.2\.2 / configuration OK$' \
    sh -c "$ntp_started" - 192.0.2.1 192.0.2.2
extra=(-e NTP_SERVERS=192.0.2.3,192.0.2.4)
check "corralos/os-ntp:$version" '/ servers 192\.0\.2\.3 servers 192\.0\.2\.4 / configuration OK$' sh -c "$ntp_started"
extra=()

# DHCP: dhcpcd (privilege separation as its own user, its hooks under busybox
# sh) leases an address from busybox udhcpd across a veth pair between two
# network namespaces of our own.
ip netns add "$netns_server"
ip netns add "$netns_client"
ip link add vcheck0 netns "$netns_server" type veth peer name vcheck1 netns "$netns_client"
ip -n "$netns_server" addr add 198.51.100.1/24 dev vcheck0
ip -n "$netns_server" link set vcheck0 up
ip -n "$netns_client" link set vcheck1 up
printf '%s\n' "start 198.51.100.10" "end 198.51.100.20" "interface vcheck0" "lease_file $tmp/udhcpd.leases" \
    "option subnet 255.255.255.0" "option router 198.51.100.1" "option dns 198.51.100.1" >"$tmp/udhcpd.conf"
touch "$tmp/udhcpd.leases"
ip netns exec "$netns_server" busybox udhcpd -f "$tmp/udhcpd.conf" >"$tmp/udhcpd.log" 2>&1 &
udhcpd=$!
extra=(-v /run/netns:/run/netns)
check "corralos/os-network:$version" 'inet 198\.51\.100\.[0-9]+/24.*nameserver 198\.51\.100\.1' \
    nsenter --net="/run/netns/$netns_client" sh -c \
    'dhcpcd -1 -4 --noipv4ll -t 20 vcheck1 >/dev/null 2>&1; echo $(ip -4 addr show vcheck1) $(cat /etc/resolv.conf); dhcpcd -x vcheck1 >/dev/null 2>&1 || true'
extra=()

# The user engine: Debian's dockerd inside os-docker loads the user test image
# and runs it.
mkdir -p "$tmp/user"
cp "$out/busybox.tar" "$tmp/user/"
extra=(-v "$tmp/user:/tmp/user")
check "$docker" 'hello from the user engine' sh -c '
    dockerd --data-root /tmp/user/data --exec-root /tmp/user/exec -H unix:///tmp/user/d.sock \
        --pidfile /tmp/user/d.pid --iptables=false --bridge=none >/tmp/user/dockerd.log 2>&1 &
    for i in $(seq 100); do docker -H unix:///tmp/user/d.sock version >/dev/null 2>&1 && break; sleep 0.2; done
    docker -H unix:///tmp/user/d.sock load -i /tmp/user/busybox.tar &&
    docker -H unix:///tmp/user/d.sock run --rm --net none corralos/busybox echo hello from the user engine
    status=$?
    kill $(cat /tmp/user/d.pid); wait
    [ $status = 0 ] || tail -20 /tmp/user/dockerd.log
    exit $status'
extra=()

echo "$failures failure(s)"
[ "$failures" = 0 ]
