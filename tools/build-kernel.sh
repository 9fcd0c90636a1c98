#!/usr/bin/env bash
# Fetches Debian's kernel (the package linux-image-amd64 depends on), writes its
# vmlinuz to <out>/vmlinuz and stages a module subset, closed over its dependencies
# and indexed by depmod, for the initrd:
#   tools/build-kernel.sh --work DIR --out DIR
#     <work>/modules/lib/modules/<kver>/...   the staged modules (depmod run on them)
#     <work>/modules/lib/modules/<kver>/corral.modules   the modules init loads at boot
#     <work>/modules.sqfs                     the same tree as a squashfs (zstd): the
#                                             ISO carries it and init mounts it on
#                                             /lib/modules/<kver>; the initrd holds only
#                                             the few modules needed to reach it
#     <work>/kernel.version                   <kver>
#     <work>/kernel.package                   "<package> <version>"
#     <out>/vmlinuz
#     <out>/vmlinux    the same kernel uncompressed (ELF, with a PVH entry): QEMU boots it
#                      with -kernel without running the bzImage's decompressor, which
#                      takes seconds under TCG (tools/qemu-run.sh prefers it)
# The .deb is cached in ${CORRAL_CACHE:-<work>/cache}. Nothing is redone when the
# package version and this script are unchanged.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work="" out=""
while [ $# -gt 0 ]; do
    case $1 in
        --work) work=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        *) echo "usage: $0 --work DIR --out DIR" >&2; exit 2 ;;
    esac
done
[ -n "$work" ] && [ -n "$out" ] || { echo "usage: $0 --work DIR --out DIR" >&2; exit 2; }
mkdir -p "$work" "$out"
work=$(cd "$work" && pwd)
out=$(cd "$out" && pwd)
cache=${CORRAL_CACHE:-$work/cache}
mkdir -p "$cache"

# The module subset, by group. Names are module names as modprobe takes them; a name
# the kernel has built in (=y in /boot/config) is accepted and skipped, a name it has
# neither built in nor as a module fails the build (a typo, or a config change to look
# at). In Debian 6.1 almost all of these are modules (=m); built in are af_packet
# (CONFIG_PACKET), unix, ipv6, the 8250 serial console, devtmpfs and the cgroups.
modules=(
    # Virtio: the devices QEMU/KVM and most clouds give a guest. CONFIG_VIRTIO=m, so the
    # disk and the NIC are invisible until these load.
    virtio_pci virtio_blk virtio_net virtio_scsi virtio_console virtio_rng virtio_balloon
    # Disks and CD-ROMs on PCs and hypervisors without virtio (the ISO is on a CD-ROM,
    # the state disk may be SATA or NVMe), and USB sticks the hybrid ISO is written to.
    ahci ata_piix sd_mod sr_mod cdrom nvme usb_storage uas xhci_pci ehci_pci
    # VMware and Hyper-V paravirtual disks and NICs, which those hosts offer instead.
    vmw_pvscsi vmxnet3 hv_storvsc hv_netvsc
    # NICs emulated by hypervisors without virtio (QEMU's default, VirtualBox, VMware).
    e1000 e1000e
    # File systems: ext4 for the state disk (crc32c is its checksum, a soft dependency
    # the kernel otherwise requests through /sbin/modprobe); vfat with its code pages for
    # config drives and OEM partitions; isofs for the boot ISO and config-2; squashfs and
    # erofs for the image store; overlay for Docker's overlay2; 9p over virtio and
    # virtiofs for shared folders; loop to mount images from files; fuse.
    ext4 crc32c_generic crc32c_intel vfat nls_cp437 nls_iso8859_1 nls_utf8 isofs squashfs
    erofs overlay 9p 9pnet_virtio virtiofs loop fuse
    # Netfilter for Docker (its check-config.sh "Generally Necessary" list and the
    # iptables rules dockerd writes), both legacy x_tables and nf_tables (Debian's
    # iptables is iptables-nft, whose matches go through nft_compat).
    nf_tables nft_compat nft_chain_nat nft_ct nft_masq nft_nat nft_reject_inet
    x_tables ip_tables iptable_nat iptable_filter iptable_mangle iptable_raw
    ip6_tables ip6table_nat ip6table_filter ip6table_mangle ip6table_raw
    nf_nat nf_conntrack nf_conntrack_netlink
    xt_MASQUERADE xt_conntrack xt_addrtype xt_nat xt_tcpudp xt_mark xt_comment
    xt_REDIRECT xt_multiport br_netfilter
    # Docker's optional features from check-config.sh: swarm's IPVS load balancing,
    # cgroup net classes.
    xt_ipvs ip_vs ip_vs_rr cls_cgroup
    # Links: Docker's bridge and veth pairs; rancher.network bonds, VLANs and bridges;
    # macvlan/ipvlan/overlay (vxlan) Docker networks; tun for VPNs; dummy interfaces.
    bridge veth bonding 8021q macvlan ipvlan vxlan tun dummy
    # Raw sockets for the DHCP client (built in as CONFIG_PACKET=y in Debian).
    af_packet
    # ACPI power button and input events, so acpid sees a power-off request.
    button evdev
)

# The modules init loads at boot, in order (init resolves modules.dep itself; soft
# dependencies are not in modules.dep, so crc32c_generic comes before ext4). Everything
# else in the subset loads on demand: udev by modalias, the kernel through
# /sbin/modprobe. A CPU without SSE4.2 (QEMU's TCG default) cannot load crc32c_intel,
# hence crc32c_generic here.
# Only what the boot itself needs: the disks, the file systems, the virtio NIC, and the
# netfilter modules the user engine's first iptables calls would otherwise have the
# kernel load one modprobe at a time. Other hardware (e1000, balloon, 9p, ...) is
# loaded by udev's coldplug from the modalias, when the machine has it.
boot_modules=(
    virtio_pci virtio_blk virtio_scsi virtio_net virtio_rng
    ata_piix ahci nvme sd_mod sr_mod
    isofs squashfs overlay crc32c_generic ext4 vfat nls_cp437 nls_iso8859_1 loop
    af_packet button bridge br_netfilter veth nf_conntrack iptable_nat iptable_filter
    xt_MASQUERADE xt_conntrack xt_addrtype nf_tables nft_compat nft_chain_nat nf_conntrack_netlink
)

# Resolve the versioned package linux-image-amd64 depends on, and its version.
package=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
[ -n "$package" ] || { echo "build-kernel: apt-cache does not know linux-image-amd64 (run apt-get update)" >&2; exit 1; }
version=$(apt-cache show --no-all-versions "$package" | awk '/^Version:/ { print $2; exit }')
[ -n "$version" ] || { echo "build-kernel: no version for $package" >&2; exit 1; }

stamp="$package $version $(sha256sum "$0" | cut -d' ' -f1)"
if [ -f "$work/kernel.stamp" ] && [ "$(cat "$work/kernel.stamp")" = "$stamp" ] && [ -f "$out/vmlinuz" ] \
    && [ -f "$work/modules.sqfs" ] && [ -f "$work/modules/lib/modules/$(cat "$work/kernel.version")/corral.modules" ]; then
    echo "build-kernel: $package $version is up to date"
    exit 0
fi

# (|| true: with pipefail, ls of a cache without the package would end the script.)
deb=$(ls "$cache/${package}_"*"_amd64.deb" 2>/dev/null | while read -r f; do
    [ "$(dpkg-deb -f "$f" Version)" = "$version" ] && echo "$f"; done | head -n1 || true)
if [ -z "$deb" ]; then
    echo "build-kernel: downloading $package $version"
    # apt-get download drops privileges to _apt, which needs to write there.
    (cd "$cache" && apt-get download -q "$package=$version" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
    deb=$(ls "$cache/${package}_"*"_amd64.deb" 2>/dev/null | while read -r f; do
        [ "$(dpkg-deb -f "$f" Version)" = "$version" ] && echo "$f"; done | head -n1 || true)
    [ -n "$deb" ] || { echo "build-kernel: apt-get download $package=$version failed" >&2; exit 1; }
fi

tmp=$(mktemp -d "$work/kernel.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "build-kernel: unpacking $(basename "$deb")"
dpkg-deb -x "$deb" "$tmp/pkg"
# Bookworm ships /lib/modules; later releases /usr/lib/modules. modprobe -d and
# depmod -b look under <root>/lib/modules.
if [ ! -d "$tmp/pkg/lib/modules" ] && [ -d "$tmp/pkg/usr/lib/modules" ]; then
    ln -s usr/lib "$tmp/pkg/lib"
fi
kver=$(ls "$tmp/pkg/lib/modules")
[ "$(echo "$kver" | wc -l)" -eq 1 ] || { echo "build-kernel: expected one kernel in $deb, found: $kver" >&2; exit 1; }
vmlinuz=$(ls "$tmp/pkg/boot/vmlinuz-$kver")
depmod -b "$tmp/pkg" "$kver"

# Close the subset over its dependencies, soft ones included: modprobe --show-depends
# prints one "insmod <file>" line per module to load, dependencies first, or
# "builtin <name>".
declare -A files=()
declare -A builtin=()
for module in "${modules[@]}"; do
    if ! lines=$(modprobe -d "$tmp/pkg" -S "$kver" --show-depends "$module" 2>&1); then
        echo "build-kernel: $module is neither a module nor built into $kver:" >&2
        echo "$lines" >&2
        exit 1
    fi
    while read -r kind path _; do
        case $kind in
            insmod) files[${path#"$tmp/pkg/lib/modules/$kver/"}]=1 ;;
            builtin) builtin[$path]=1 ;;
        esac
    done <<<"$lines"
done

stage="$tmp/modules"
moddir="$stage/lib/modules/$kver"
mkdir -p "$moddir"
for file in "${!files[@]}"; do
    mkdir -p "$moddir/$(dirname "$file")"
    cp -p "$tmp/pkg/lib/modules/$kver/$file" "$moddir/$file"
done
for index in modules.order modules.builtin modules.builtin.modinfo; do
    cp -p "$tmp/pkg/lib/modules/$kver/$index" "$moddir/"
done
depmod -b "$stage" "$kver"

# corral.modules: the boot list without what is built in (init would find no file).
for module in "${boot_modules[@]}"; do
    [ -n "${builtin[$module]:-}" ] && continue
    modprobe -d "$stage" -S "$kver" --show-depends "$module" >/dev/null 2>&1 \
        || { echo "build-kernel: boot module $module is not in the subset" >&2; exit 1; }
    echo "$module"
done >"$moddir/corral.modules"

# vmlinux: the payload of the bzImage, found by its compression's magic, as the
# kernel's scripts/extract-vmlinux does (Debian compresses with xz).
vmlinux=""
for magic in $'\xfd7zXZ:xz -dc' $'\x28\xb5\x2f\xfd:zstd -dcq' $'\x1f\x8b\x08:gzip -dc'; do
    offset=$(LC_ALL=C grep -abo -m1 "${magic%%:*}" "$vmlinuz" | head -n1 | cut -d: -f1 || true)
    [ -n "$offset" ] || continue
    tail -c "+$((offset + 1))" "$vmlinuz" | ${magic#*:} >"$tmp/vmlinux" 2>/dev/null || true
    if [ "$(head -c 4 "$tmp/vmlinux" | od -An -c | tr -d ' ')" = 177ELF ]; then
        vmlinux="$tmp/vmlinux"
        break
    fi
done
[ -n "$vmlinux" ] || echo "build-kernel: no ELF kernel found inside $vmlinuz; no vmlinux" >&2

# Reproducible: fixed times, owners 0:0 (modules are root's anyway).
epoch=${SOURCE_DATE_EPOCH:-0}
mksquashfs "$moddir" "$tmp/modules.sqfs" -noappend -quiet -no-progress -comp zstd -Xcompression-level 19 \
    -all-root -mkfs-time "$epoch" -all-time "$epoch" >/dev/null
rm -rf "$work/modules"
mv "$stage" "$work/modules"
mv "$tmp/modules.sqfs" "$work/modules.sqfs"
cp "$vmlinuz" "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"
if [ -n "$vmlinux" ]; then mv "$vmlinux" "$out/vmlinux"; else rm -f "$out/vmlinux"; fi
echo "$kver" >"$work/kernel.version"
echo "$package $version" >"$work/kernel.package"
echo "$stamp" >"$work/kernel.stamp"
echo "build-kernel: $kver: vmlinuz $(stat -c %s "$out/vmlinuz") bytes, ${#files[@]} modules" \
    "($(du -sk "$work/modules" | cut -f1) KiB), built in: ${!builtin[*]}"
