#!/usr/bin/env bash
# Builds the hybrid ISO (a CD-ROM and a USB-stick image at once), the iPXE script and
# the images cpio for network boots:
#   tools/build-iso.sh --dist DIR --version VERSION --images FILE --modules FILE \
#                      --user-image FILE --build-info FILE
# reads <dist>/vmlinuz and <dist>/initrd, and writes
#   <dist>/corralos.iso   label CorralOS; isolinux menu (default, autologin, debug,
#                         recovery) on VGA and serial, 1 s timeout
#       /boot/vmlinuz, /boot/initrd, /boot/isolinux/{isolinux.bin,*.c32,isolinux.cfg}
#       /corralos/images.sqfs, /corralos/modules.sqfs (the kernel modules),
#       /corralos/user-images/busybox.tar, /corralos/build-info
#   <dist>/images.cpio    uncompressed newc: corralos/images.sqfs, modules.sqfs and
#                         corralos/user-images/busybox.tar, a second initrd for PXE
#   <dist>/corralos.ipxe  kernel, initrd initrd, initrd images.cpio, boot
# Nothing is redone when none of the inputs changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dist="" version="" images="" modules="" user_image="" build_info=""
usage() {
    echo "usage: $0 --dist DIR --version VERSION --images FILE --modules FILE --user-image FILE --build-info FILE" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
        --dist) dist=$2; shift 2 ;;
        --version) version=$2; shift 2 ;;
        --images) images=$2; shift 2 ;;
        --modules) modules=$2; shift 2 ;;
        --user-image) user_image=$2; shift 2 ;;
        --build-info) build_info=$2; shift 2 ;;
        *) usage ;;
    esac
done
[ -n "$dist" ] && [ -n "$version" ] && [ -n "$images" ] && [ -n "$modules" ] && [ -n "$user_image" ] && [ -n "$build_info" ] || usage
for file in "$dist/vmlinuz" "$dist/initrd" "$images" "$modules" "$user_image" "$build_info"; do
    [ -f "$file" ] || { echo "build-iso: $file is missing" >&2; exit 1; }
done
isolinux=/usr/lib/ISOLINUX
syslinux=/usr/lib/syslinux/modules/bios
c32=(ldlinux.c32 libcom32.c32 libutil.c32 menu.c32)
for file in "$isolinux/isolinux.bin" "$isolinux/isohdpfx.bin" "${c32[@]/#/$syslinux/}"; do
    [ -f "$file" ] || { echo "build-iso: $file is missing (scripts/deps.sh installs isolinux and syslinux-common)" >&2; exit 1; }
done
# shellcheck source=isolinux/cmdline.env
. "$here/isolinux/cmdline.env"

epoch=${SOURCE_DATE_EPOCH:-0}
# Large inputs by size and mtime, as make would; small ones by content.
inputs=$({
    echo "$version $epoch"
    stat -L -c '%n %s %Y' "$dist/vmlinuz" "$dist/initrd" "$images" "$modules" "$user_image"
    sha256sum "$0" "$here/isolinux/isolinux.cfg" "$here/isolinux/cmdline.env" "$build_info" \
        "$isolinux/isolinux.bin" "${c32[@]/#/$syslinux/}"
} | sha256sum | cut -d' ' -f1)
if [ -f "$dist/corralos.iso" ] && [ -f "$dist/images.cpio" ] && [ -f "$dist/corralos.ipxe" ] \
    && [ "$(cat "$dist/.iso.stamp" 2>/dev/null)" = "$inputs" ]; then
    echo "build-iso: $dist/corralos.iso is up to date"
    exit 0
fi

tmp=$(mktemp -d "$dist/.iso.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# isolinux.cfg; '|' cannot occur in a kernel command line we write.
sed -e "s|@VERSION@|$version|g" -e "s|@APPEND@|$CORRAL_APPEND|g" \
    -e "s|@AUTOLOGIN@|$CORRAL_APPEND_AUTOLOGIN|g" -e "s|@DEBUG@|$CORRAL_APPEND_DEBUG|g" \
    -e "s|@RECOVERY@|$CORRAL_APPEND_RECOVERY|g" "$here/isolinux/isolinux.cfg" >"$tmp/isolinux.cfg"
if grep -q '@[A-Z]*@' "$tmp/isolinux.cfg"; then
    echo "build-iso: unfilled placeholder in isolinux.cfg" >&2
    exit 1
fi

# The ISO is assembled from the files where they are (graft points), without copies.
# isolinux.bin is patched in the image (-boot-info-table), not on disk. Volume dates
# come from SOURCE_DATE_EPOCH and file dates from --set_all_file_dates (whose "=0" means
# "not set", hence at least 1), so the same inputs give the same ISO.
grafts=(
    "/boot/vmlinuz=$dist/vmlinuz"
    "/boot/initrd=$dist/initrd"
    "/boot/isolinux/isolinux.bin=$isolinux/isolinux.bin"
    "/boot/isolinux/isolinux.cfg=$tmp/isolinux.cfg"
    "/corralos/images.sqfs=$images"
    "/corralos/modules.sqfs=$modules"
    "/corralos/user-images/busybox.tar=$user_image"
    "/corralos/build-info=$build_info"
)
for module in "${c32[@]}"; do
    grafts+=("/boot/isolinux/$module=$syslinux/$module")
done
SOURCE_DATE_EPOCH=$epoch xorriso -report_about WARNING -as mkisofs \
    -o "$tmp/corralos.iso" -V CorralOS -J -joliet-long -R --set_all_file_dates "=$((epoch > 0 ? epoch : 1))" \
    -isohybrid-mbr "$isolinux/isohdpfx.bin" -partition_cyl_align off -no-pad \
    -c /boot/isolinux/boot.cat -b /boot/isolinux/isolinux.bin \
    -no-emul-boot -boot-load-size 4 -boot-info-table \
    -graft-points "${grafts[@]}" 2> >(grep -v -e '^xorriso 1' -e '^$' -e 'volid text does not comply' >&2)

# The images cpio: uncompressed, because squashfs and tar compress themselves and the
# kernel then unpacks it at memory speed. Fixed metadata, so it is reproducible.
SOURCE_DATE_EPOCH=$epoch python3 "$here/initrd/newc.py" "corralos/images.sqfs=$images" "corralos/modules.sqfs=$modules" \
    "corralos/user-images/busybox.tar=$user_image" >"$tmp/images.cpio"

cat >"$tmp/corralos.ipxe" <<EOF
#!ipxe
# CorralOS $version over the network: serve vmlinuz, initrd and images.cpio next to
# this script (or set base-url). images.cpio carries the system images, which init
# looks for in the initramfs before it looks for a device labelled CorralOS.
isset \${base-url} || set base-url .
kernel \${base-url}/vmlinuz $CORRAL_APPEND
initrd \${base-url}/initrd
initrd \${base-url}/images.cpio
boot
EOF

mv "$tmp/corralos.iso" "$dist/corralos.iso"
mv "$tmp/images.cpio" "$dist/images.cpio"
mv "$tmp/corralos.ipxe" "$dist/corralos.ipxe"
echo "$inputs" >"$dist/.iso.stamp"
echo "build-iso: $dist/corralos.iso: $(stat -c %s "$dist/corralos.iso") bytes;" \
    "images.cpio: $(stat -c %s "$dist/images.cpio") bytes"
