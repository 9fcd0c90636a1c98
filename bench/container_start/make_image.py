#!/usr/bin/env python3
"""Builds the tiny image that bench/container_start starts: one layer holding the
static /bin/busybox (Debian package busybox-static) and the applet links
/bin/sh, /bin/true, /bin/sleep and /bin/echo, with Cmd ["/bin/true"]. Writes it
as a `docker save` archive to <work-dir>/image.tar, tagged
corral-bench/busybox:latest, and unpacks the same layer into
<work-dir>/bundle/rootfs for runc. Usage: make_image.py <work-dir>"""
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

BUSYBOX = "/bin/busybox"
REPO, TAG = "corral-bench/busybox", "latest"
APPLETS = ["sh", "true", "sleep", "echo"]
# The mount points every engine needs, present in the image so that none of
# them has to create them in a shared rootfs while containers start.
DIRS = [("bin", 0o755), ("dev", 0o755), ("etc", 0o755), ("proc", 0o555), ("sys", 0o555), ("tmp", 0o1777)]
MTIME = 1700000000  # fixed, so the image ID is the same from run to run


def layer_bytes():
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, mode in DIRS:
            info = tarfile.TarInfo(name + "/")
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, MTIME
            tar.addfile(info)
        with open(BUSYBOX, "rb") as f:
            data = f.read()
        info = tarfile.TarInfo("bin/busybox")
        info.size, info.mode, info.mtime = len(data), 0o755, MTIME
        tar.addfile(info, io.BytesIO(data))
        for applet in APPLETS:
            info = tarfile.TarInfo("bin/" + applet)
            info.type, info.linkname, info.mode, info.mtime = tarfile.SYMTYPE, "busybox", 0o777, MTIME
            tar.addfile(info)
    return out.getvalue()


def add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, MTIME
    tar.addfile(info, io.BytesIO(data))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_image.py <work-dir>")
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    layer = layer_bytes()
    diff_hex = hashlib.sha256(layer).hexdigest()
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {"Cmd": ["/bin/true"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_hex]},
        "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "busybox-static " + BUSYBOX}],
    }, sort_keys=True).encode()
    config_hex = hashlib.sha256(config).hexdigest()

    archive = os.path.join(work, "image.tar")
    with tarfile.open(archive + ".tmp", "w", format=tarfile.PAX_FORMAT) as out:
        add_bytes(out, config_hex + ".json", config)
        add_bytes(out, diff_hex + "/layer.tar", layer)
        add_bytes(out, "manifest.json", json.dumps([{
            "Config": config_hex + ".json", "RepoTags": ["%s:%s" % (REPO, TAG)],
            "Layers": [diff_hex + "/layer.tar"]}]).encode())
        add_bytes(out, "repositories", json.dumps({REPO: {TAG: diff_hex}}).encode())
    os.rename(archive + ".tmp", archive)

    # The runc bundle's rootfs: the same layer, unpacked by tar as root keeps
    # owners, modes and the symlinks exactly as in the archive.
    rootfs = os.path.join(work, "bundle", "rootfs")
    shutil.rmtree(rootfs, ignore_errors=True)
    os.makedirs(rootfs)
    subprocess.run(["tar", "-x", "--numeric-owner", "-p", "-C", rootfs, "-f", "-"], input=layer, check=True)
    print("built %s (image sha256:%s) and %s" % (archive, config_hex, rootfs))


if __name__ == "__main__":
    main()
