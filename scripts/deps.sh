#!/usr/bin/env bash
# Installs every Debian package the build and the tests need. Idempotent and silent
# when everything is already there; uses the machine's own apt configuration.
set -euo pipefail

packages=(
    # toolchain
    g++ cmake ninja-build ccache pkg-config make
    # libraries
    libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libarchive-dev libssl-dev libcurl4-openssl-dev libseccomp-dev libcap-dev libblkid-dev
    libboost-dev
    # test peers: the stock docker CLI and dockerd, a registry, skopeo, test images
    docker.io docker-registry skopeo busybox-static python3-docker runc
    # the registry tests' token server and certificates
    python3 python3-jwt python3-cryptography openssl
    # the TLS test's client that presents any certificate it is given
    curl
    # tests: GoogleTest, and clang with compiler-rt for the libFuzzer targets
    libgtest-dev libgmock-dev clang libclang-rt-14-dev
    # kernel, initrd, ISO, QEMU
    squashfs-tools isolinux syslinux-common xorriso qemu-system-x86 qemu-utils kmod cpio zstd lz4 e2fsprogs ca-certificates openssh-client
)

# The system images and the kernel are downloaded with apt-get (tools/), which needs
# package lists that match the archive: refresh them when they are a day old or absent.
if [ "$(id -u)" -eq 0 ] && [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
    echo "deps.sh: refreshing the package lists" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
fi

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
