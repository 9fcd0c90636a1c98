"""Layers and `docker save` archives, written byte for byte reproducibly.

A layer is an uncompressed tar of the paths in which a tree differs from the
tree below it (deletions as `.wh.` whiteouts), with the directories above each
path so that a layer unpacked alone keeps their modes. Members are sorted, every
mtime is SOURCE_DATE_EPOCH, owners are numeric and nothing of the build host
(user names, umask, file times) gets in, so the same packages always give the
same bytes and so the same diffID.
"""

import hashlib
import io
import json
import os
import posixpath
import tarfile
import time

KIND_TO_TYPE = {
    "file": tarfile.REGTYPE,
    "dir": tarfile.DIRTYPE,
    "symlink": tarfile.SYMTYPE,
    "char": tarfile.CHRTYPE,
    "block": tarfile.BLKTYPE,
    "fifo": tarfile.FIFOTYPE,
}


def difference(lower, upper):
    """{path: entry, or None for a whiteout} of what `upper` changes over `lower`
    (None as lower: the whole of upper)."""
    changed = {}
    for path, entry in upper.entries.items():
        if path and (lower is None or path not in lower.entries or not lower.entries[path].same_as(entry)):
            changed[path] = entry
    if lower is not None:
        for path in lower.entries:
            parent = posixpath.dirname(path)
            # Only the topmost removed path needs a whiteout: one for a
            # directory hides everything in it.
            if path and path not in upper.entries and (parent == "" or parent in upper.entries):
                changed[posixpath.join(parent, ".wh." + posixpath.basename(path))] = None
    for path in list(changed):
        parent = posixpath.dirname(path)
        while parent and parent not in changed:
            changed[parent] = upper.entries[parent]
            parent = posixpath.dirname(parent)
    return changed


def write_layer(changes, path, epoch):
    """Writes the layer tar; returns (sha256 hex of it, i.e. the diffID, and its size)."""
    with open(path, "wb") as out:
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name in sorted(changes):
                entry = changes[name]
                info = tarfile.TarInfo(name)
                info.mtime = epoch
                info.uname = info.gname = ""
                if entry is None:  # whiteout: an empty root-owned file
                    info.mode = 0o644
                    tar.addfile(info)
                    continue
                info.type = KIND_TO_TYPE[entry.kind]
                info.mode, info.uid, info.gid = entry.mode, entry.uid, entry.gid
                if entry.kind == "symlink":
                    info.linkname = entry.target
                elif entry.kind in ("char", "block"):
                    info.devmajor, info.devminor = entry.device
                if entry.kind == "file":
                    info.size = len(entry.data)
                    tar.addfile(info, io.BytesIO(entry.data))
                else:
                    tar.addfile(info)
    return sha256_file(path), os.path.getsize(path)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def image_config(config, diff_ids, history, epoch):
    """The image config blob (the image ID is its SHA-256)."""
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    return canonical_json({
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diff_ids]},
        "history": [{"created": created, "created_by": line} for line in history],
    })


def write_docker_archive(path, reference, config_blob, layer_files, epoch):
    """Writes a `docker save` archive: manifest.json, <config hex>.json and
    <diffID hex>/layer.tar for each (diffID, file) in layer_files."""
    config_name = hashlib.sha256(config_blob).hexdigest() + ".json"
    manifest = [{"Config": config_name, "RepoTags": [reference],
                 "Layers": ["%s/layer.tar" % diff_id for diff_id, _ in layer_files]}]
    members = [(config_name, config_blob, None), ("manifest.json", canonical_json(manifest), None)]
    members += [("%s/layer.tar" % diff_id, None, file) for diff_id, file in layer_files]
    temp = path + ".tmp"
    with tarfile.open(temp, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for directory in sorted({posixpath.dirname(name) for name, _, _ in members} - {""}):
            info = tarfile.TarInfo(directory)
            info.type, info.mode, info.mtime, info.uname, info.gname = tarfile.DIRTYPE, 0o755, epoch, "", ""
            tar.addfile(info)
        for name, data, file in sorted(members, key=lambda m: m[0]):
            info = tarfile.TarInfo(name)
            info.mode, info.mtime, info.uname, info.gname = 0o644, epoch, "", ""
            if file is None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                info.size = os.path.getsize(file)
                with open(file, "rb") as f:
                    tar.addfile(info, f)
    os.rename(temp, path)
