#!/usr/bin/env python3
"""Writes an uncompressed newc cpio archive to stdout from "ARCHIVE-PATH=FILE" arguments.

Unlike `cpio -o` it takes each member's data from a file named apart from its path in
the archive, and stores fixed metadata (owner 0:0, mode 0644 or 0755 for directories,
mtime $SOURCE_DATE_EPOCH or 0, inode numbers in order), so the same inputs always give
the same archive without copying large files first. Parent directories are added.
    newc.py corralos/images.sqfs=/path/to/images.sqfs ... > images.cpio
"""
import os
import shutil
import sys


def header(out, ino, mode, size, name, mtime):
    encoded = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, mtime, size, 0, 0, 0, 0, len(encoded), 0]
    head = b"070701" + b"".join(b"%08X" % f for f in fields) + encoded
    out.write(head + b"\0" * (-len(head) % 4))


def main(argv):
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    out = sys.stdout.buffer
    members = []
    for arg in argv[1:]:
        name, sep, path = arg.partition("=")
        if not sep or not name or name.startswith("/") or ".." in name.split("/"):
            sys.exit(f"newc.py: expected ARCHIVE-PATH=FILE, not {arg!r}")
        members.append((name, path))
    ino = 0
    seen = set()
    for name, path in members:
        parts = name.split("/")
        for depth in range(1, len(parts)):
            directory = "/".join(parts[:depth])
            if directory not in seen:
                seen.add(directory)
                ino += 1
                header(out, ino, 0o040755, 0, directory, mtime)
        size = os.stat(path).st_size
        ino += 1
        header(out, ino, 0o100644, size, name, mtime)
        with open(path, "rb") as source:
            shutil.copyfileobj(source, out, 1 << 20)
        out.write(b"\0" * (-size % 4))
    header(out, 0, 0, 0, "TRAILER!!!", 0)
    out.flush()


if __name__ == "__main__":
    main(sys.argv)
