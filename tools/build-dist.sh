#!/usr/bin/env bash
# Builds everything that boots, from a finished build tree (`make dist` runs it):
#   tools/build-dist.sh [BUILDDIR]          (default build)
# into $DIST (default dist/ at the top of the repo):
#   vmlinuz, initrd, corralos.iso, corralos.ipxe, images.cpio, build-info
# Steps, each skipped when its inputs did not change:
#   1. the system images: tools/build-images.sh --ros <builddir>/bin --version <ver>
#      --work <builddir>/dist-work --out <builddir>/dist-work/images, which writes
#      images.sqfs, busybox.tar (the user test image) and images.txt (package versions).
#      CORRAL_IMAGES=DIR takes those three files from DIR instead.
#   2. the kernel and its modules (tools/build-kernel.sh; the .deb is cached in
#      ${CORRAL_CACHE:-<builddir>/dist-work/cache});
#   3. the initrd (tools/build-initrd.sh);
#   4. the ISO, the iPXE script and images.cpio (tools/build-iso.sh);
#   5. build-info: version, commit, kernel, image package versions and sizes.
# The version is rancher.environment.VERSION of <builddir>/share/ros/os-config.yml, or
# CORRAL_VERSION from the CMake cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${1:-$repo/build}
[ -d "$build" ] || { echo "build-dist: no build tree at $build (run make first)" >&2; exit 1; }
build=$(cd "$build" && pwd)
work="$build/dist-work"
dist=${DIST:-$repo/dist}
mkdir -p "$work" "$dist"
dist=$(cd "$dist" && pwd)
export CORRAL_CACHE=${CORRAL_CACHE:-$work/cache}

version=""
if [ -f "$build/share/ros/os-config.yml" ]; then
    # The one VERSION key under rancher.environment, quoted or not.
    version=$(awk '/^  environment:/ { env = 1; next } env && /^  [^ ]/ { env = 0 }
        env && /^    VERSION:/ { sub(/^    VERSION: */, ""); gsub(/"/, ""); print; exit }' \
        "$build/share/ros/os-config.yml")
fi
if [ -z "$version" ] && [ -f "$build/CMakeCache.txt" ]; then
    version=$(sed -n 's/^CORRAL_VERSION:[A-Z]*=//p' "$build/CMakeCache.txt")
fi
[ -n "$version" ] || { echo "build-dist: no version in $build/share/ros/os-config.yml or $build/CMakeCache.txt" >&2; exit 1; }
[[ $version =~ ^[A-Za-z0-9._+~-]+$ ]] || { echo "build-dist: odd version '$version'" >&2; exit 1; }
echo "build-dist: CorralOS $version from $build into $dist"

# 1. System images.
if [ -n "${CORRAL_IMAGES:-}" ]; then
    images=$CORRAL_IMAGES
    echo "build-dist: taking the images from $images (CORRAL_IMAGES)"
else
    images="$work/images"
    if [ ! -x "$repo/tools/build-images.sh" ]; then
        echo "build-dist: tools/build-images.sh is missing: the system images cannot be built." >&2
        echo "build-dist: set CORRAL_IMAGES=DIR to a folder with images.sqfs, busybox.tar and images.txt" >&2
        exit 1
    fi
    "$repo/tools/build-images.sh" --ros "$build/bin" --version "$version" --work "$work" --out "$images"
fi
for file in images.sqfs busybox.tar images.txt; do
    [ -f "$images/$file" ] || { echo "build-dist: $images/$file is missing" >&2; exit 1; }
done

# 2., 3. Kernel and initrd.
"$here/build-kernel.sh" --work "$work" --out "$dist"
"$here/build-initrd.sh" --build "$build" --work "$work" --version "$version" --out "$dist/initrd"

# 5. (first) build-info; written only when it changes, so that an unchanged one does
# not rebuild the ISO. The copy on the ISO cannot know the ISO's own size.
commit=$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    commit="$commit-dirty"
fi
write_build_info() { # <file> [iso]
    {
        echo "name: CorralOS"
        echo "version: $version"
        echo "commit: $commit"
        echo "kernel: $(cat "$work/kernel.version") ($(cat "$work/kernel.package"))"
        echo "images:"
        sed 's/^/  /' "$images/images.txt"
        echo "sizes:"
        echo "  vmlinuz: $(stat -c %s "$dist/vmlinuz")"
        echo "  initrd: $(stat -c %s "$dist/initrd")"
        echo "  images.sqfs: $(stat -L -c %s "$images/images.sqfs")"
        echo "  busybox.tar: $(stat -L -c %s "$images/busybox.tar")"
        [ -z "${2:-}" ] || echo "  corralos.iso: $(stat -c %s "$dist/corralos.iso")"
    } >"$1.tmp"
    if cmp -s "$1.tmp" "$1"; then rm "$1.tmp"; else mv "$1.tmp" "$1"; fi
}
write_build_info "$work/build-info"

# 4. ISO, iPXE, images.cpio.
"$here/build-iso.sh" --dist "$dist" --version "$version" --images "$images/images.sqfs" \
    --modules "$work/modules.sqfs" \
    --user-image "$images/busybox.tar" --build-info "$work/build-info"

# 5. build-info with the ISO's size.
write_build_info "$dist/build-info" iso
echo "build-dist: done:"
(cd "$dist" && ls -l vmlinuz initrd corralos.iso corralos.ipxe images.cpio build-info | awk '{ printf "  %-14s %12d\n", $9, $5 }')
