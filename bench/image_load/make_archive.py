#!/usr/bin/env python3
"""Builds a multi-layer `docker save` archive of about SIZE_MB from Debian
packages: each layer is the unpacked files of a few packages (apt-get download +
dpkg-deb -x), written as a plain tar. Usage: make_archive.py <work-dir> <size-mb>"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile

# Large, common packages; taken in order until the size is reached.
PACKAGES = [
    "libllvm14", "openjdk-17-jre-headless", "gcc-12", "cpp-12", "g++-12", "containerd",
    "docker.io", "libicu72", "perl-modules-5.36", "libpython3.11-stdlib", "python3.11-minimal",
    "libgl1-mesa-dri", "libz3-4", "libclang-cpp14", "libstdc++-12-dev",
]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return "sha256:" + h.hexdigest()


def tree_size(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            p = os.path.join(root, name)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


def main():
    work, size_mb = sys.argv[1], int(sys.argv[2])
    debs = os.path.join(work, "debs")
    os.makedirs(debs, exist_ok=True)
    layers_dir = os.path.join(work, "layers")
    shutil.rmtree(layers_dir, ignore_errors=True)
    os.makedirs(layers_dir)
    target = size_mb * 1024 * 1024
    per_layer = max(target // 5, 32 * 1024 * 1024)
    total, layer, layer_bytes, layer_roots = 0, 0, 0, []
    current = None
    for package in PACKAGES:
        if total >= target:
            break
        if not any(f.startswith(package + "_") for f in os.listdir(debs)):
            subprocess.run(["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", package], cwd=debs, check=True, stdout=subprocess.DEVNULL)
        deb = [f for f in os.listdir(debs) if f.startswith(package + "_")][0]
        if current is None:
            current = os.path.join(layers_dir, "layer%d" % layer)
            os.makedirs(current)
            layer_roots.append(current)
        subprocess.run(["dpkg-deb", "-x", os.path.join(debs, deb), current], check=True)
        grown = tree_size(current)
        total += grown - layer_bytes
        layer_bytes = grown
        if layer_bytes >= per_layer:
            layer, layer_bytes, current = layer + 1, 0, None

    entries, diff_ids = [], []
    for i, root in enumerate(layer_roots):
        tar_path = os.path.join(work, "layer%d.tar" % i)
        subprocess.run(["tar", "--sort=name", "--numeric-owner", "--owner=0", "--group=0", "--mtime=@1700000000",
                        "-C", root, "-cf", tar_path, "."], check=True)
        diff_ids.append(sha256_file(tar_path))
        entries.append(tar_path)
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "layer %d" % i} for i in range(len(diff_ids))],
    }).encode()
    config_hex = hashlib.sha256(config).hexdigest()
    archive = os.path.join(work, "archive.tar")
    with tarfile.open(archive + ".tmp", "w", format=tarfile.PAX_FORMAT) as out:
        def add_bytes(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1700000000
            import io
            out.addfile(info, io.BytesIO(data))
        add_bytes(config_hex + ".json", config)
        layer_names = []
        for i, tar_path in enumerate(entries):
            name = "%064x/layer.tar" % (i + 1)
            out.add(tar_path, arcname=name)
            layer_names.append(name)
        add_bytes("manifest.json", json.dumps([{"Config": config_hex + ".json", "RepoTags": ["bench/large:latest"],
                                                "Layers": layer_names}]).encode())
    os.rename(archive + ".tmp", archive)
    for tar_path in entries:
        os.unlink(tar_path)
    shutil.rmtree(layers_dir)
    print("built %s: %d layers, %d MB unpacked" % (archive, len(entries), total // (1024 * 1024)))


if __name__ == "__main__":
    main()
