"""Resolving and downloading Debian packages with the machine's own apt.

apt runs against a private state directory: an empty dpkg status, so that it
resolves dependencies as for an empty root, and its own cache, so that nothing
of the host's changes. The package lists are the host's (/var/lib/apt/lists, as
`apt-get update` left them), so the sources, mirrors and keys are whatever the
machine is configured with and no mirror name is written anywhere here.

Packages an image leaves out on purpose (perl, debconf, dpkg, adduser: what
maintainer scripts need, never the services) are written into that dpkg status
as already installed, at the version apt would pick; apt then treats any
dependency on them as met and resolves the rest normally.
"""

import hashlib
import json
import os
import re
import subprocess
import sys

LISTS_DIR = "/var/lib/apt/lists"

# `apt-get -s install` prints one line per package it would unpack:
#   Inst libc6 (2.36-9+deb12u14 Debian:12.15/oldstable [amd64]) []
INST_LINE = re.compile(r"^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) .*\[([^\]]+)\]\)")


class AptError(Exception):
    pass


class Apt:
    def __init__(self, work_dir, cache_dir):
        self.state_dir = os.path.join(work_dir, "apt", "state")
        self.cache_dir = cache_dir
        self.resolved_dir = os.path.join(work_dir, "apt", "resolved")
        for path in (self.state_dir, os.path.join(self.state_dir, "lists"), self.resolved_dir,
                     os.path.join(cache_dir, "partial")):
            os.makedirs(path, exist_ok=True)

    def _options(self, status):
        return [
            "-o", "Dir::State=" + self.state_dir,
            "-o", "Dir::State::status=" + status,
            "-o", "Dir::State::Lists=" + LISTS_DIR,
            "-o", "Dir::Cache=" + os.path.join(self.state_dir, "cache"),
            "-o", "Dir::Cache::archives=" + self.cache_dir,
            # No binary caches: they would be rebuilt on every call anyway.
            "-o", "Dir::Cache::pkgcache=",
            "-o", "Dir::Cache::srcpkgcache=",
            "-o", "APT::Install-Recommends=false",
            "-o", "APT::Install-Suggests=false",
            # The host's apt may be busy (or run by someone else); we only read.
            "-o", "Debug::NoLocking=true",
        ]

    def _run(self, tool, args, status, cwd=None):
        command = [tool] + self._options(status) + args
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                                env=dict(os.environ, LC_ALL="C.UTF-8"))
        if result.returncode != 0:
            raise AptError("%s failed:\n%s" % (" ".join([tool] + args), result.stderr.strip()))
        return result.stdout

    def lists_fingerprint(self):
        """Changes whenever `apt-get update` brings new package lists."""
        digest = hashlib.sha256()
        for name in sorted(os.listdir(LISTS_DIR)):
            if "Packages" in name or name.endswith("Release"):
                st = os.stat(os.path.join(LISTS_DIR, name))
                digest.update(("%s %d %d\n" % (name, st.st_size, st.st_mtime_ns)).encode())
        return digest.hexdigest()

    def candidates(self, names):
        """[(name, version, arch)] that apt would install for `names`, without
        their dependencies."""
        empty = os.path.join(self.state_dir, "status-empty")
        open(empty, "w").close()
        shown = self._run("apt-cache", ["show", "--no-all-versions"] + sorted(names), empty)
        found = []
        for stanza in shown.split("\n\n"):
            fields = dict(re.findall(r"^(Package|Version|Architecture): (.*)$", stanza, re.M))
            if "Package" in fields:
                found.append((fields["Package"], fields["Version"], fields["Architecture"]))
        absent = set(names) - set(name for name, _, _ in found)
        if absent:
            raise AptError("no such packages: " + ", ".join(sorted(absent)))
        return sorted(found)

    def _write_status(self, path, skip):
        """A dpkg status that lists `skip` as installed at their candidate versions."""
        with open(path, "w") as status:
            status.write("\n".join("Package: %s\nStatus: install ok installed\nVersion: %s\nArchitecture: %s\n" % p
                                   for p in (self.candidates(skip) if skip else [])))

    def resolve(self, install, skip):
        """The packages (name, version, arch) that installing `install` unpacks,
        sorted by name. The answer is kept until the package lists change."""
        key = hashlib.sha256(json.dumps([sorted(install), sorted(skip), self.lists_fingerprint()]).encode()).hexdigest()
        saved = os.path.join(self.resolved_dir, key + ".json")
        if os.path.exists(saved):
            with open(saved) as f:
                return [tuple(p) for p in json.load(f)]
        overlap = set(install) & set(skip)
        if overlap:
            raise AptError("packages both installed and skipped: " + ", ".join(sorted(overlap)))
        status = os.path.join(self.state_dir, "status-" + key[:16])
        self._write_status(status, skip)
        output = self._run("apt-get", ["-s", "-q", "install"] + sorted(install), status)
        os.unlink(status)
        packages = sorted(m.groups() for m in map(INST_LINE.match, output.splitlines()) if m)
        with open(saved + ".tmp", "w") as f:
            json.dump(packages, f)
        os.rename(saved + ".tmp", saved)
        return packages

    def fetch(self, packages):
        """Downloads what the cache lacks (checked by SHA-256) and returns
        {name: path of its .deb}."""
        empty = os.path.join(self.state_dir, "status-empty")
        open(empty, "w").close()
        wanted = ["%s:%s=%s" % (name, arch, version) for name, version, arch in packages]
        # One line per package: 'URI' name_version_arch.deb size SHA256:hex
        uris = self._run("apt-get", ["download", "--print-uris"] + wanted, empty)
        found = {}
        missing = []
        for line in uris.splitlines():
            _uri, filename, _size, checksum = line.split()
            name = filename.split("_", 1)[0]
            path = os.path.join(self.cache_dir, filename)
            found[name] = path
            if not (os.path.exists(path) and self._sha256(path) == checksum.split(":", 1)[1]):
                missing.append(name)
        absent = set(name for name, _, _ in packages) - set(found)
        if absent:
            raise AptError("apt-get download knows no file for: " + ", ".join(sorted(absent)))
        missing = [w for w, (name, _, _) in zip(wanted, packages) if name in missing]
        if missing:
            print("apt: downloading %d packages" % len(missing), file=sys.stderr)
            # apt-get download writes into the current directory and checks the
            # hashes the signed lists give.
            self._run("apt-get", ["download", "-q"] + missing, empty, cwd=self.cache_dir)
        return found

    @staticmethod
    def _sha256(path):
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
