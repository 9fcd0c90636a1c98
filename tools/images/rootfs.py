"""A root filesystem assembled in memory from Debian packages.

A Tree maps paths ("usr/bin/ls", no leading slash) to Entries. Packages are
read with `dpkg-deb --fsys-tarfile`, never unpacked on disk and never
configured: no maintainer script runs, so whatever they would have done that
matters (users, alternatives, generated files) the image description does
itself. Owners and modes come from the package archives as they are, so the
result does not depend on who builds it.

The tree is merged-/usr, as a Debian system after usrmerge: what packages ship
under /bin, /sbin and /lib* lands under /usr, and the top-level names are
symlinks into /usr.
"""

import fnmatch
import os
import posixpath
import stat
import subprocess
import tarfile

MERGED_DIRS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
BIN_DIRS = ("usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin")


class Entry:
    """One file. kind is one of file, dir, symlink, char, block, fifo."""

    __slots__ = ("kind", "mode", "uid", "gid", "data", "target", "device", "origin")

    def __init__(self, kind, mode, uid=0, gid=0, data=b"", target="", device=(0, 0), origin=""):
        self.kind = kind
        self.mode = mode  # permission bits, with setuid, setgid and sticky
        self.uid = uid
        self.gid = gid
        self.data = data
        self.target = target
        self.device = device
        self.origin = origin  # the package (or "image") it came from, for messages

    def same_as(self, other):
        return (self.kind, self.mode, self.uid, self.gid, self.data, self.target, self.device) == \
            (other.kind, other.mode, other.uid, other.gid, other.data, other.target, other.device)


def merged(path):
    """The merged-/usr form of a normalized relative path."""
    head = path.split("/", 1)[0]
    return "usr/" + path if head in MERGED_DIRS else path


class Tree:
    def __init__(self):
        self.entries = {"": Entry("dir", 0o755)}

    # ---- building ------------------------------------------------------------------

    def ensure_dir(self, path, mode=0o755, origin=""):
        """Creates `path` and its parents as directories where missing."""
        parts = path.split("/") if path else []
        for i in range(1, len(parts) + 1):
            sub = "/".join(parts[:i])
            existing = self.entries.get(sub)
            if existing is None:
                self.entries[sub] = Entry("dir", mode if i == len(parts) else 0o755, origin=origin)
            elif existing.kind != "dir":
                raise ValueError("%s: %s is a %s from %s, not a directory" % (path, sub, existing.kind, existing.origin))

    def put(self, path, entry):
        """Adds or replaces `path`; a directory replaces only another directory's metadata."""
        self.ensure_dir(posixpath.dirname(path), origin=entry.origin)
        old = self.entries.get(path)
        if old is not None and old.kind == "dir" and entry.kind != "dir":
            self.remove(path)
        self.entries[path] = entry

    def symlink(self, path, target, origin="image"):
        self.put(path, Entry("symlink", 0o777, target=target, origin=origin))

    def remove(self, path):
        """Removes `path` and everything below it."""
        prefix = path + "/"
        for name in [n for n in self.entries if n == path or n.startswith(prefix)]:
            del self.entries[name]

    def add_deb(self, deb_path, package, only=None):
        """Adds the files of a .deb; with `only` (glob patterns of merged paths),
        just those files and the directories leading to them."""
        reader = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb_path], stdout=subprocess.PIPE)
        with tarfile.open(fileobj=reader.stdout, mode="r|") as archive:
            hardlinks = {}
            for member in archive:
                original = member_path(member.name)
                if original == ".":
                    continue
                path = merged(original)
                if only is not None and not member.isdir() and not any(fnmatch.fnmatchcase(path, p) for p in only):
                    continue
                mode = member.mode & 0o7777
                entry = Entry("file", mode, member.uid, member.gid, origin=package)
                if member.isdir():
                    if only is not None:
                        continue  # created below as parents of what is kept
                    entry.kind = "dir"
                    existing = self.entries.get(path)
                    if existing is not None and existing.kind == "dir":
                        continue  # shared directories keep their first owner and mode
                elif member.issym():
                    entry.kind, entry.target = "symlink", relocated_link(original, path, member.linkname)
                elif member.islnk():
                    # A hard link is kept as a copy: the layer stays simple and the
                    # squashfs deduplicates identical files anyway.
                    entry.data = hardlinks[merged(member_path(member.linkname))]
                elif member.isfile():
                    entry.data = archive.extractfile(member).read()
                    hardlinks[path] = entry.data
                elif member.ischr() or member.isblk():
                    entry.kind = "char" if member.ischr() else "block"
                    entry.device = (member.devmajor, member.devminor)
                elif member.isfifo():
                    entry.kind = "fifo"
                else:
                    raise ValueError("%s: %s: unsupported member type" % (package, member.name))
                self.put(path, entry)
        if reader.wait() != 0:
            raise RuntimeError("dpkg-deb --fsys-tarfile %s failed" % deb_path)

    def merge_usr(self):
        """Makes /bin, /sbin, /lib* symlinks into /usr, as usrmerge does."""
        for name in MERGED_DIRS:
            if name in ("bin", "sbin", "lib", "lib64") or ("usr/" + name) in self.entries:
                self.ensure_dir("usr/" + name)
                self.entries[name] = Entry("symlink", 0o777, target="usr/" + name, origin="usrmerge")

    def add_directory(self, source, origin="image"):
        """Copies a directory of the repository on top: root-owned, 0755 for
        executables and directories, 0644 for the rest."""
        for root, dirs, files in os.walk(source):
            dirs.sort()
            relative = os.path.relpath(root, source)
            base = "" if relative == "." else merged(relative)
            for name in dirs:
                self.ensure_dir(merged(posixpath.join(base, name)), origin=origin)
            for name in sorted(files):
                full = os.path.join(root, name)
                path = merged(posixpath.join(base, name))
                st = os.lstat(full)
                if stat.S_ISLNK(st.st_mode):
                    self.symlink(path, os.readlink(full), origin)
                else:
                    with open(full, "rb") as f:
                        data = f.read()
                    self.put(path, Entry("file", 0o755 if st.st_mode & 0o100 else 0o644, data=data, origin=origin))

    # ---- shaping -------------------------------------------------------------------

    def prune(self, patterns, keep=()):
        """Removes paths that match a pattern (with everything below them),
        except those that match a `keep` pattern and the directories above them."""
        kept = set()
        for path in self.entries:
            if any(fnmatch.fnmatchcase(path, p) for p in keep):
                while path and path not in kept:
                    kept.add(path)
                    path = posixpath.dirname(path)
        doomed = [path for path in self.entries
                  if path not in kept and any(fnmatch.fnmatchcase(path, p) for p in patterns)]
        for path in doomed:
            prefix = path + "/"
            for name in [n for n in self.entries if (n == path or n.startswith(prefix)) and n not in kept]:
                del self.entries[name]

    def add_busybox_applets(self, applets, busybox="usr/bin/busybox"):
        """Links each applet (paths as `busybox --list-full` prints them) to
        busybox, unless a package already put a program there."""
        for applet in applets:
            path = merged(applet)
            if path not in self.entries:
                self.symlink(path, posixpath.relpath(busybox, posixpath.dirname(path)), "busybox")

    def drop_shadowed_applets(self):
        """Removes busybox applet links named like a real program in another
        bin directory, which they would otherwise hide or be confused with
        (busybox's /usr/sbin/ip against iproute2's /usr/bin/ip)."""
        real = set()
        for directory in BIN_DIRS:
            for path, entry in self.children(directory):
                if entry.origin != "busybox":
                    real.add(posixpath.basename(path))
        for directory in BIN_DIRS:
            for path, entry in list(self.children(directory)):
                if entry.origin == "busybox" and posixpath.basename(path) in real:
                    del self.entries[path]

    def children(self, directory):
        prefix = directory + "/"
        return [(p, e) for p, e in self.entries.items() if p.startswith(prefix) and "/" not in p[len(prefix):]]

    def resolve(self, path, depth=0):
        """Follows symlinks (within the tree) and returns the final path, or None."""
        if depth > 40:
            return None
        parts = [p for p in path.split("/") if p]
        current = ""
        for i, part in enumerate(parts):
            if part == "..":
                current = posixpath.dirname(current)
                continue
            candidate = posixpath.join(current, part) if current else part
            entry = self.entries.get(candidate)
            if entry is None:
                return None
            if entry.kind == "symlink":
                target = entry.target
                base = "" if target.startswith("/") else current
                resolved = self.resolve(posixpath.join(base, target.lstrip("/")), depth + 1)
                if resolved is None:
                    return None
                candidate = resolved
            current = candidate
        return current

    def size(self):
        return sum(len(e.data) for e in self.entries.values())


def member_path(name):
    """A tar member name ("./usr/bin/ls") as a normalized relative path."""
    return posixpath.normpath(name[2:] if name.startswith("./") else name.lstrip("/"))


def relocated_link(original, path, target):
    """A symlink's target after its own path moved from `original` to `path`
    (/sbin/foo → ../usr/sbin/bar must not become /usr/usr/sbin/bar)."""
    if target.startswith("/") or original == path:
        return target
    absolute = posixpath.normpath(posixpath.join(posixpath.dirname(original), target))
    return posixpath.relpath(merged(absolute), posixpath.dirname(path))
