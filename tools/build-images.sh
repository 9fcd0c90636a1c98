#!/usr/bin/env bash
# Builds the CorralOS container images from Debian packages and packs the
# system ones into the preloaded store.
#
# usage: tools/build-images.sh --ros BINDIR --version VERSION --work DIR --out DIR [--force] [--sizes] [--check]
#
#   --ros      the build's bin directory: ros (whose libraries os-base gets),
#              corral-supervisor, corral-supervisor-monitor, corral-init
#   --version  the tag of the system images (v0.1.0 gives corralos/os-base:v0.1.0)
#   --work     kept between runs: downloaded packages (unless CORRAL_CACHE names
#              another directory), layers, stamps
#   --out      gets <image>.tar for each folder of os/images (docker save
#              archives), images.txt (sizes and package versions) and images.sqfs
#   --force    rebuild what is up to date
#   --sizes    also report each system image's compressed size alone
#   --check    then run each image from images.sqfs (tools/images/check-images.sh)
#
# Needs root (the store is unpacked with real owners) and the packages of
# scripts/deps.sh. Packages come through the machine's own apt configuration.
# Nothing is rebuilt whose inputs have not changed. Times in every output are
# SOURCE_DATE_EPOCH, by default the time of the last commit that changed an
# image input.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin= version= work= out= force=() sizes=() check=0
while [ $# -gt 0 ]; do
    case "$1" in
        --ros) bin=$(cd "$2" && pwd); shift 2 ;;
        --version) version=$2; shift 2 ;;
        --work) mkdir -p "$2"; work=$(cd "$2" && pwd); shift 2 ;;
        --out) mkdir -p "$2"; out=$(cd "$2" && pwd); shift 2 ;;
        --force) force=(--force); shift ;;
        --sizes) sizes=(--sizes); shift ;;
        --check) check=1; shift ;;
        -h|--help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-images.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ -z "$bin" ] || [ -z "$version" ] || [ -z "$work" ] || [ -z "$out" ]; then
    echo "usage: build-images.sh --ros BINDIR --version VERSION --work DIR --out DIR [--force] [--sizes] [--check]" >&2
    exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "build-images.sh: run as root: the store is unpacked with the images' owners" >&2
    exit 1
fi

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git -C "$repo" log -1 --format=%ct -- os/images tools/images tools/build-images.sh 2>/dev/null || true)
    SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}
fi
export SOURCE_DATE_EPOCH

started=$(date +%s)
python3 "$repo/tools/images/build.py" --ros "$bin" --version "$version" --work "$work" --out "$out" "${force[@]}"
"$repo/tools/images/pack-store.sh" --ros "$bin" --work "$work" --out "$out" "${force[@]}" "${sizes[@]}"
echo "build-images: done in $(($(date +%s) - started)) s: $out" >&2
[ $check = 0 ] || "$repo/tools/images/check-images.sh" --ros "$bin" --out "$out" --version "$version"
