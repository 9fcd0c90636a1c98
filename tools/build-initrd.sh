#!/usr/bin/env bash
# Builds the initramfs, a deterministic newc cpio (sorted, mtimes SOURCE_DATE_EPOCH or 0,
# owners 0:0), compressed with lz4 (see COMPRESS below):
#   tools/build-initrd.sh --build BUILDDIR --work DIR --version VERSION --out FILE
# It needs tools/build-kernel.sh to have run with the same --work (the modules and the
# kernel version come from there). Layout (merged /usr, as RancherOS: /sbin -> usr/sbin
# -> bin):
#   /init -> usr/bin/ros
#   /usr/bin/ros, corral-supervisor, corral-supervisor-monitor, corral-init (stripped)
#   /usr/bin/{init,system-dockerd,system-docker,respawn,...,halt,poweroff,reboot,shutdown} -> ros
#   /usr/bin/busybox and its applets (a recovery shell; modprobe for the kernel's
#            request_module), never in place of one of ours
#   /usr/bin/mke2fs, mkfs.ext4 (e2fsprogs, for rancher.state.autoformat), /etc/mke2fs.conf
#   /usr/lib/x86_64-linux-gnu/... the shared libraries of ros and mke2fs, and ld.so
#   /usr/lib/modules/<kver>/...   the module subset, modules.dep, corral.modules
#   /usr/share/ros/os-config.yml, os-release, repositories/core/...
#   /etc/os-release -> ../usr/share/ros/os-release, /etc/ssl/certs/ca-certificates.crt,
#   /etc/mtab -> ../proc/self/mounts
#   empty /dev /proc /sys /run /tmp /var /etc /root /home /opt /mnt /media; /dev/console
# Nothing is redone when none of the inputs changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build="" work="" version="" out=""
while [ $# -gt 0 ]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --version) version=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        *) echo "usage: $0 --build BUILDDIR --work DIR --version VERSION --out FILE" >&2; exit 2 ;;
    esac
done
[ -n "$build" ] && [ -n "$work" ] && [ -n "$version" ] && [ -n "$out" ] \
    || { echo "usage: $0 --build BUILDDIR --work DIR --version VERSION --out FILE" >&2; exit 2; }
[ -f "$work/kernel.version" ] || { echo "build-initrd: run tools/build-kernel.sh --work $work first" >&2; exit 1; }
kver=$(cat "$work/kernel.version")
modules="$work/modules/lib/modules/$kver"
[ -f "$modules/corral.modules" ] || { echo "build-initrd: $modules/corral.modules is missing" >&2; exit 1; }

# Debian's 6.1 kernel has CONFIG_RD_GZIP/LZ4/ZSTD/XZ. Under TCG, with this initrd, lz4
# boots fastest: its larger file costs less than zstd's or gzip's slower decompression
# (see tools/README or the commit message for the numbers). The kernel only reads the
# legacy lz4 frame format (lz4 -l).
compress=${COMPRESS:-lz4}
case $compress in
    lz4) compressor=(lz4 -l -12 -q -c) ;;
    zstd) compressor=(zstd -19 -q -c -T1) ;;
    gzip) compressor=(gzip -9 -n -c) ;;
    gzip1) compressor=(gzip -1 -n -c) ;;
    *) echo "build-initrd: COMPRESS must be lz4, zstd, gzip or gzip1" >&2; exit 2 ;;
esac

# Programs from the build tree, and the applets ros answers to (argv[0] dispatch).
programs=(ros corral-supervisor corral-supervisor-monitor corral-init)
applets=(init system-dockerd system-docker respawn cloud-init-save cloud-init-execute netconf
    autologin recovery halt poweroff reboot shutdown)
for program in "${programs[@]}"; do
    [ -x "$build/bin/$program" ] || { echo "build-initrd: $build/bin/$program is missing (build first)" >&2; exit 1; }
done
[ -f "$build/share/ros/os-config.yml" ] || { echo "build-initrd: $build/share/ros/os-config.yml is missing" >&2; exit 1; }
busybox=/usr/bin/busybox
mke2fs=/usr/sbin/mke2fs
for file in "$busybox" "$mke2fs" /etc/mke2fs.conf /etc/ssl/certs/ca-certificates.crt; do
    [ -e "$file" ] || { echo "build-initrd: $file is missing (scripts/deps.sh installs it)" >&2; exit 1; }
done
# busybox must be the static one: nothing else in the initrd would give it its libraries
# when ros itself is broken, which is when the recovery shell is needed.
file -L "$busybox" | grep -q 'statically linked' || { echo "build-initrd: $busybox is not busybox-static" >&2; exit 1; }

epoch=${SOURCE_DATE_EPOCH:-0}
inputs=$({
    echo "$version $compress $epoch $kver $out"
    sha256sum "$0" "${programs[@]/#/$build/bin/}" "$build/share/ros/os-config.yml" "$busybox" "$mke2fs" \
        /etc/mke2fs.conf /etc/ssl/certs/ca-certificates.crt
    (cd "$repo/os/repositories/core" && find . -type f | LC_ALL=C sort | xargs sha256sum)
    cat "$work/kernel.stamp" "$modules/corral.modules"
    ldd "$build/bin/ros" "$mke2fs" | awk '/=>/ { print $3 } /^\t\// { print $1 }' | LC_ALL=C sort -u \
        | xargs -r readlink -f | xargs -r sha256sum
} | sha256sum | cut -d' ' -f1)
if [ -f "$out" ] && [ -f "$work/initrd.stamp" ] && [ "$(cat "$work/initrd.stamp")" = "$inputs" ]; then
    echo "build-initrd: $out is up to date"
    exit 0
fi

umask 022
tmp=$(mktemp -d "$work/initrd.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"
mkdir -p "$root"/usr/{bin,lib,lib64,share/ros}
ln -s bin "$root/usr/sbin"
for dir in bin sbin lib lib64; do ln -s "usr/$dir" "$root/$dir"; done
mkdir -p "$root"/{dev,proc,sys,run,var,etc/ssl/certs,home,opt,mnt,media}
install -d -m 1777 "$root/tmp"
install -d -m 0700 "$root/root"
# The kernel's built-in initramfs has /dev/console too; this one makes the archive
# self-contained.
mknod -m 0600 "$root/dev/console" c 5 1

for program in "${programs[@]}"; do
    strip --strip-all -o "$root/usr/bin/$program" "$build/bin/$program"
done
ln -s usr/bin/ros "$root/init"

# busybox applets first, so that ours replace any it also has (init, halt, poweroff,
# reboot); mke2fs is the real one from e2fsprogs.
cp "$busybox" "$root/usr/bin/busybox"
for applet in $("$busybox" --list); do
    case $applet in busybox | linuxrc | mke2fs | mkfs.ext2) continue ;; esac
    ln -sf busybox "$root/usr/bin/$applet"
done
for applet in "${applets[@]}"; do
    ln -sfn ros "$root/usr/bin/$applet"
done
cp "$mke2fs" "$root/usr/bin/mke2fs"
ln -s mke2fs "$root/usr/bin/mkfs.ext4"
cp /etc/mke2fs.conf "$root/etc/mke2fs.conf"

# Shared libraries at their real paths under /usr (Debian's ld.so searches the multiarch
# directories without a cache), named by the soname the program asks for.
ldd "$build/bin/ros" "$mke2fs" | awk '/=> \// { print $1, $3 } /^\t\// { print $1, $1 }' | LC_ALL=C sort -u |
    while read -r soname path; do
        real=$(readlink -f "$path")
        dir=$(dirname "$real")
        dir=/usr${dir#/usr}
        mkdir -p "$root$dir"
        cp "$real" "$root$dir/$(basename "$soname")"
        # The dynamic loader is asked for as /lib64/ld-linux-x86-64.so.2.
        if [ "$soname" != "$(basename "$soname")" ] && [ ! -e "$root/usr${soname#/usr}" ]; then
            mkdir -p "$root/usr$(dirname "${soname#/usr}")"
            ln -s "$dir/$(basename "$soname")" "$root/usr${soname#/usr}"
        fi
    done
# The loader symlink is absolute on Debian; make it relative so it resolves under any root.
for link in "$root"/usr/lib64/*; do
    [ -L "$link" ] || continue
    target=$(readlink "$link")
    ln -sfn "../${target#/usr/}" "$link"
done

# Only the modules that reach the boot medium: disk and CD controllers and the file
# systems of the medium, of a state disk and of a config drive. The whole subset is in
# modules.sqfs on the medium (or in images.cpio), which init mounts next; keeping it
# out of the initrd keeps ~18 MB out of memory and the initrd quicker to unpack.
early=(virtio_pci virtio_blk virtio_scsi ata_piix ahci sd_mod sr_mod isofs squashfs loop ext4 vfat
    nls_cp437 nls_iso8859_1 nvme usb_storage uas xhci_pci ehci_pci ohci_pci uhci_hcd vmw_pvscsi hv_storvsc)
kmods="$root/usr/lib/modules/$kver"
mkdir -p "$kmods"
for module in "${early[@]}"; do
    lines=$(modprobe -d "$work/modules" -S "$kver" --show-depends "$module" 2>/dev/null) || continue
    while read -r kind path _; do
        [ "$kind" = insmod ] || continue
        rel=${path#"$modules/"}
        mkdir -p "$kmods/$(dirname "$rel")"
        cp -p "$path" "$kmods/$rel"
    done <<<"$lines"
done
for index in modules.order modules.builtin modules.builtin.modinfo corral.modules; do
    cp -p "$modules/$index" "$kmods/"
done
depmod -b "$root/usr" "$kver"

cp "$build/share/ros/os-config.yml" "$root/usr/share/ros/os-config.yml"
mkdir -p "$root/usr/share/ros/repositories"
cp -r "$repo/os/repositories/core" "$root/usr/share/ros/repositories/core"
version_id=${version#v}
cat >"$root/usr/share/ros/os-release" <<EOF
NAME="CorralOS"
VERSION="$version"
ID=corralos
ID_LIKE=rancheros
VERSION_ID="$version_id"
PRETTY_NAME="CorralOS $version"
EOF
ln -s ../usr/share/ros/os-release "$root/etc/os-release"
# mke2fs and mount look for the mount table here.
ln -s ../proc/self/mounts "$root/etc/mtab"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"

# Check that ros finds every library in the tree it will run in.
if ! missing=$(chroot "$root" /usr/bin/ros --help 2>&1 >/dev/null) && echo "$missing" | grep -q 'error while loading shared libraries'; then
    echo "build-initrd: ros does not start inside the initrd: $missing" >&2
    exit 1
fi

find "$root" -exec touch -h -d "@$epoch" {} +
mkdir -p "$(dirname "$out")"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) >"$tmp/initrd.cpio"
"${compressor[@]}" "$tmp/initrd.cpio" >"$out.tmp"
# A legacy lz4 stream has no end mark: the kernel stops at a zero chunk length. Zeros
# to a 4-byte boundary and one zero word more let a bootloader append another archive
# (iPXE's images.cpio) right after it, which the kernel finds past the zeros. (The lz4
# command reports the zero word as corrupted input, after it has written everything.)
size=$(stat -c %s "$out.tmp")
head -c $(( (4 - size % 4) % 4 + 4 )) /dev/zero >>"$out.tmp"
mv "$out.tmp" "$out"
echo "$inputs" >"$work/initrd.stamp"
echo "build-initrd: $out: $(stat -c %s "$out") bytes ($compress; $(stat -c %s "$tmp/initrd.cpio") uncompressed)"
