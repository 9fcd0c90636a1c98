#!/usr/bin/env bash
# Packs the system images into images.sqfs, a read-only copy of system-dockerd's
# image store that the init mounts and seeds the real data root from.
#
# usage: pack-store.sh --ros BINDIR --work DIR --out DIR [--force] [--sizes]
#
# The system image archives (listed in <work>/system-archives by build.py) are
# loaded into a private daemon, which unpacks them exactly as it would at run
# time; then the daemon stops and its store (<data-root>/image: blobs/sha256,
# layers/<chain ID>/{layer.json,diff}, images/<ID>.json, repositories.json) is
# squashed without the layer tarballs, which the unpacked layers make
# redundant. Owners, modes and xattrs are kept; times are SOURCE_DATE_EPOCH,
# so the same archives give the same bytes. --sizes also squashes each image
# alone to report what it costs compressed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin= work= out= force=0 sizes=0
while [ $# -gt 0 ]; do
    case "$1" in
        --ros) bin=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --force) force=1; shift ;;
        --sizes) sizes=1; shift ;;
        *) echo "pack-store.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$bin" ] && [ -n "$work" ] && [ -n "$out" ] || { echo "usage: pack-store.sh --ros BINDIR --work DIR --out DIR" >&2; exit 2; }
: "${SOURCE_DATE_EPOCH:?pack-store.sh needs SOURCE_DATE_EPOCH}"

# zstd at 19 in 1 MiB blocks: a tenth smaller than 128 KiB blocks for these
# images, which are mostly Go binaries, and still fast to read.
squash_options=(-noappend -comp zstd -Xcompression-level 19 -b 1M -xattrs -all-time "$SOURCE_DATE_EPOCH"
    -mkfs-time "$SOURCE_DATE_EPOCH" -processors 2 -no-progress -quiet)
mapfile -t archives <"$work/system-archives"

# Up to date when the archives, this script and the options are.
stamp_file=$work/stamps/images.sqfs
stamp=$( { sha256sum "$0" "$here/daemon.sh"; sha256sum "${archives[@]}"; echo "${squash_options[*]}"; } \
    | sed 's|  .*/| |' | sha256sum | cut -d' ' -f1)
# One line for images.txt, which build.py has just rewritten.
summarize() {
    printf '\nimages.sqfs: %s bytes, the system images above as system-dockerd'"'"'s store\n' \
        "$(stat -c %s "$out/images.sqfs")" >>"$out/images.txt"
}
if [ $force = 0 ] && [ $sizes = 0 ] && [ -f "$out/images.sqfs" ] && [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp" ]; then
    echo "pack-store: images.sqfs: up to date" >&2
    summarize
    exit 0
fi

. "$here/daemon.sh"
tmp=$(mktemp -d "$work/store.XXXXXX")
trap 'daemon_cleanup "$tmp"' EXIT
trap 'exit 1' INT TERM

daemon_start "$bin" "$tmp"
for archive in "${archives[@]}"; do
    sd load -q -i "$archive" >&2
done
sd images >&2
daemon_stop

store=$tmp/data/image
# Keep only each image's config blob (its ID): the layer tarballs are unpacked
# under layers/ and the store never reads them again.
declare -A keep=()
for record in "$store"/images/*.json; do
    keep[$(basename "$record" .json)]=1
done
for blob in "$store"/blobs/sha256/*; do
    [ -n "${keep[$(basename "$blob")]:-}" ] || rm -f "$blob"
done
# The store records when it loaded each image; the epoch stands in for that
# moment, so that the squashfs does not depend on when it was built.
loaded=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
sed -i "s/^\(  \"loaded\": \"\)[^\"]*\"/\1$loaded\"/" "$store"/images/*.json

# mksquashfs reads SOURCE_DATE_EPOCH itself but refuses it beside the explicit
# time options, which say what is meant.
env -u SOURCE_DATE_EPOCH mksquashfs "$store" "$out/images.sqfs.tmp" "${squash_options[@]}"
mv "$out/images.sqfs.tmp" "$out/images.sqfs"
echo "$stamp" >"$stamp_file"
echo "pack-store: images.sqfs: $(stat -c %s "$out/images.sqfs") bytes" >&2
summarize

if [ $sizes = 1 ]; then
    # Each image alone, its layers as the store holds them.
    for record in "$store"/images/*.json; do
        reference=$(grep -o '"[^"]*:[^"]*": "sha256:'"$(basename "$record" .json)"'"' "$store/repositories.json" | cut -d'"' -f2)
        mkdir "$tmp/alone"
        for layer in $(python3 -c 'import hashlib, json, sys
ids = json.load(open(sys.argv[1]))["diff_ids"]
chain = ids[0]
print(chain.split(":")[1])
for d in ids[1:]:
    chain = "sha256:" + hashlib.sha256((chain + " " + d).encode()).hexdigest()
    print(chain.split(":")[1])' "$record"); do
            cp -a "$store/layers/$layer" "$tmp/alone/"
        done
        env -u SOURCE_DATE_EPOCH mksquashfs "$tmp/alone" "$tmp/alone.sqfs" "${squash_options[@]}"
        echo "pack-store: $reference alone: $(stat -c %s "$tmp/alone.sqfs") bytes compressed" >&2
        rm -rf "$tmp/alone" "$tmp/alone.sqfs"
    done
fi
