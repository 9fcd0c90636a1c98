#!/usr/bin/env python3
"""Builds the CorralOS images described under os/images/ as `docker save`
archives, from Debian packages, without Docker and without running anything
inside an image.

usage: build.py --ros BINDIR --version VERSION --work DIR --out DIR [--force]

Writes <out>/<folder>.tar for each image folder and <out>/images.txt. An image
whose inputs (its folders, its package versions, the tools here, the reference,
SOURCE_DATE_EPOCH) are unchanged since the last run is not rebuilt. Images
built on a base share the base's layer, byte for byte.
"""

import argparse
import hashlib
import json
import os
import posixpath
import subprocess
import sys
import time

# No __pycache__ in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import apt as aptlib  # noqa: E402
import archive  # noqa: E402
import description  # noqa: E402
import elfcheck  # noqa: E402
import rootfs  # noqa: E402

TOOLS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(TOOLS_DIR))
IMAGES_DIR = os.path.join(REPO, "os", "images")
# Used when SOURCE_DATE_EPOCH is unset and git cannot say (2024-01-01).
FALLBACK_EPOCH = 1704067200


def log(message):
    print("build-images: " + message, file=sys.stderr, flush=True)


def source_date_epoch():
    """SOURCE_DATE_EPOCH, else the time of the last commit that changed an
    image input, so that unrelated commits do not rebuild the images."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return int(os.environ["SOURCE_DATE_EPOCH"])
    result = subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%ct", "--", "os/images", "tools/images",
                             "tools/build-images.sh"], capture_output=True, text=True)
    return int(result.stdout.strip()) if result.returncode == 0 and result.stdout.strip() else FALLBACK_EPOCH


def ros_library_packages(ros):
    """The Debian packages that hold the shared libraries `ros` loads."""
    output = subprocess.run(["ldd", ros], capture_output=True, text=True).stdout
    libraries = []
    for line in output.splitlines():
        fields = line.split()
        if "=>" in fields and fields.index("=>") + 1 < len(fields) and fields[fields.index("=>") + 1].startswith("/"):
            libraries.append(fields[fields.index("=>") + 1])
        elif fields and fields[0].startswith("/"):
            libraries.append(fields[0])  # the dynamic loader
    packages = set()
    for library in libraries:
        candidates = []
        for path in (library, os.path.realpath(library)):
            candidates += [path, path[4:] if path.startswith("/usr/") else "/usr" + path]
        for path in candidates:
            result = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
            if result.returncode == 0:
                packages.add(result.stdout.split(":", 1)[0].strip())
                break
        else:
            raise SystemExit("build-images: no Debian package holds %s, which %s needs" % (library, ros))
    return sorted(packages)


def busybox_applets(version):
    """`busybox --list-full` of the host's busybox, which must be the one the
    images get: the applets are read from it, never from the image."""
    banner = subprocess.run(["busybox"], capture_output=True, text=True).stdout.splitlines()[0]
    if "(Debian %s)" % version not in banner:
        raise SystemExit("build-images: the host's busybox is \"%s\", the images get busybox-static %s; "
                         "install that version (scripts/deps.sh)" % (banner, version))
    return subprocess.run(["busybox", "--list-full"], capture_output=True, text=True, check=True).stdout.split()


def assemble(desc, packages, debs, applets):
    """The image's whole root filesystem."""
    tree = rootfs.Tree()
    names = {name for name, _, _ in packages}
    for name, _, _ in packages:
        tree.add_deb(debs[name], name, desc.only.get(name))
    tree.merge_usr()
    if "busybox-static" in names:
        tree.add_busybox_applets(applets)
    for path, (mode, uid, gid) in sorted(desc.dirs.items()):
        tree.ensure_dir(path)
        entry = tree.entries[path]
        entry.mode, entry.uid, entry.gid, entry.origin = mode, uid, gid, "image"
    for path, target in sorted(desc.links.items()):
        tree.symlink(rootfs.merged(path), target)
    for directory in desc.rootfs_dirs():
        tree.add_directory(directory)
    for path, (mode, uid, gid) in sorted(desc.modes.items()):
        entry = tree.entries.get(rootfs.merged(path))
        if entry is None:
            raise SystemExit("build-images: %s: [modes] names %s, which is not in the image" % (desc.name, path))
        entry.mode, entry.uid, entry.gid = mode, uid, gid
    if "ca-certificates" in names:
        add_ca_bundle(tree)
    tree.prune(desc.remove, desc.keep)
    tree.drop_shadowed_applets()
    return tree


def add_ca_bundle(tree):
    """What update-certificates (ca-certificates' maintainer script) makes that
    programs read: every certificate the package ships, in one file."""
    certificates = sorted(p for p in tree.entries if p.startswith("usr/share/ca-certificates/") and p.endswith(".crt"))
    bundle = b"".join(tree.entries[p].data.rstrip(b"\n") + b"\n" for p in certificates)
    tree.put("etc/ssl/certs/ca-certificates.crt", rootfs.Entry("file", 0o644, data=bundle, origin="ca-certificates"))


def check(desc, tree, ros):
    """Fails when a program misses a library; reports plugins that do."""
    problems = elfcheck.missing_libraries(tree)
    fatal = [(p, lib) for p, lib in problems if any(p.startswith(d + "/") for d in rootfs.BIN_DIRS)]
    for path, library in problems:
        log("%s: /%s needs %s, which is not in the image" % (desc.name, path, library))
    if desc.ros_libraries:
        with open(ros, "rb") as f:
            info = elfcheck.dynamic_info(f.read())
        if info:
            fatal += [("usr/bin/ros", lib) for lib in elfcheck.unresolved(tree, "usr/bin/ros", *info)]
    if fatal:
        raise SystemExit("build-images: %s: programs miss libraries: %s" % (
            desc.name, ", ".join("/%s: %s" % f for f in fatal)))


def check_tag(desc, versions):
    """An image tagged with a package's version must have that version."""
    if desc.tag_is_version_of:
        version = versions.get(desc.tag_is_version_of, "")
        upstream = version.split(":")[-1].split("+")[0].split("-")[0]
        if upstream != desc.tag:
            raise SystemExit("build-images: %s is tagged %s but %s is %s" % (
                desc.name, desc.tag, desc.tag_is_version_of, version or "not in it"))


def current_record(stamp, target, layers_dir, inputs, force):
    """The record of the last build, if its inputs were these and its outputs
    are still there as it wrote them; else None."""
    if force or not (os.path.exists(stamp) and os.path.exists(target)):
        return None
    with open(stamp) as f:
        record = json.load(f)
    if record["inputs"] != inputs or archive.sha256_file(target) != record["archive_sha256"]:
        return None
    if not all(os.path.exists(os.path.join(layers_dir, d + ".tar")) for d, _ in record["layers"]):
        return None
    return record


def write_image(desc, name, reference, packages, tree, lower, base, out, layers_dir, epoch):
    """Writes the image's own layer (what `tree` changes over `lower`, its
    base's tree) and its archive, which also holds the base's layers; returns
    its record."""
    temp = os.path.join(layers_dir, "tmp-%s.tar" % name)
    diff_id, size = archive.write_layer(archive.difference(lower, tree), temp, epoch)
    os.replace(temp, os.path.join(layers_dir, diff_id + ".tar"))
    layers = [tuple(layer) for layer in base["layers"]] if base else []
    layers.append((diff_id, size))
    own = [n for n, _, _ in packages if not (base and n in base["packages"])]
    history = (base["history"] if base else []) + [
        "corralos build-images %s: Debian packages %s" % (name, " ".join(own) or "(none)")]
    config_blob = archive.image_config(desc.config, [d for d, _ in layers], history, epoch)
    target = os.path.join(out, name + ".tar")
    archive.write_docker_archive(target, reference, config_blob,
                                 [(d, os.path.join(layers_dir, d + ".tar")) for d, _ in layers], epoch)
    return {
        "reference": reference, "user": desc.user, "base": desc.base,
        "id": "sha256:" + hashlib.sha256(config_blob).hexdigest(),
        "archive_sha256": archive.sha256_file(target), "archive_size": os.path.getsize(target),
        "layers": layers, "rootfs_size": tree.size(), "history": history,
        "packages": {n: v for n, v, _ in packages}, "own_packages": own,
    }


def save_json(path, value):
    with open(path + ".tmp", "w") as f:
        json.dump(value, f, indent=1, sort_keys=True)
    os.replace(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser(description="Build the CorralOS images from Debian packages.")
    parser.add_argument("--ros", required=True, help="the build's bin directory (with ros)")
    parser.add_argument("--version", required=True, help="the tag of the system images, e.g. v0.1.0")
    parser.add_argument("--work", required=True, help="work directory (kept between runs)")
    parser.add_argument("--out", required=True, help="where the archives and images.txt go")
    parser.add_argument("--force", action="store_true", help="rebuild even what is up to date")
    args = parser.parse_args()

    epoch = source_date_epoch()
    work, out = os.path.abspath(args.work), os.path.abspath(args.out)
    layers_dir, stamps_dir = os.path.join(work, "layers"), os.path.join(work, "stamps")
    for path in (out, layers_dir, stamps_dir):
        os.makedirs(path, exist_ok=True)
    apt = aptlib.Apt(work, os.environ.get("CORRAL_CACHE") or os.path.join(work, "cache"))
    ros = os.path.join(args.ros, "ros")
    descriptions = description.load_all(IMAGES_DIR)

    tools_digest = hashlib.sha256()
    for name in sorted(os.listdir(TOOLS_DIR)):
        if name.endswith(".py"):
            with open(os.path.join(TOOLS_DIR, name), "rb") as f:
                tools_digest.update(name.encode() + b"\0" + f.read())

    ros_packages = ros_library_packages(ros)
    bases = {d.base for d in descriptions.values() if d.base}
    trees = {}  # the trees of bases, once assembled
    records = {}
    for name, desc in descriptions.items():
        started = time.monotonic()
        install = desc.install + (ros_packages if desc.ros_libraries else [])
        packages = apt.resolve(sorted(set(install)), sorted(set(desc.skip) - set(install)))
        packages = sorted(set(packages) | set(apt.candidates(sorted(desc.only)) if desc.only else []))
        versions = {n: v for n, v, _ in packages}
        check_tag(desc, versions)
        reference = desc.reference(args.version)
        applets = busybox_applets(versions["busybox-static"]) if "busybox-static" in versions else []
        base = records.get(desc.base)
        inputs = hashlib.sha256(json.dumps([
            tools_digest.hexdigest(), desc.digest(), packages, applets, epoch, reference,
            base["inputs"] if base else None]).encode()).hexdigest()

        record = current_record(os.path.join(stamps_dir, name + ".json"), os.path.join(out, name + ".tar"),
                                layers_dir, inputs, args.force)
        if record is not None:
            log("%s: up to date" % reference)
        else:
            debs = apt.fetch(packages)
            tree = assemble(desc, packages, debs, applets)
            check(desc, tree, ros)
            lower = None
            if desc.base:
                if desc.base not in trees:  # the base was up to date: assemble it again to compare
                    base_packages = [p for p in packages if p[0] in base["packages"]]
                    trees[desc.base] = assemble(descriptions[desc.base], base_packages, debs, applets)
                lower = trees[desc.base]
            if name in bases:
                trees[name] = tree
            record = write_image(desc, name, reference, packages, tree, lower, base, out, layers_dir, epoch)
            record["inputs"] = inputs
            save_json(os.path.join(stamps_dir, name + ".json"), record)
            log("%s: built in %.1f s (%.1f MB)" % (reference, time.monotonic() - started,
                                                     record["archive_size"] / 1e6))
        records[name] = record

    write_summary(os.path.join(out, "images.txt"), records)
    # Layers no current image has (older versions of the images) go.
    current = {diff_id + ".tar" for r in records.values() for diff_id, _ in r["layers"]}
    for name in os.listdir(layers_dir):
        if name not in current:
            os.unlink(os.path.join(layers_dir, name))
    # What pack-store.sh loads into the store: the system images, bases first.
    with open(os.path.join(work, "system-archives"), "w") as f:
        f.writelines(os.path.join(out, name + ".tar") + "\n" for name, r in records.items() if not r["user"])


def write_summary(path, records):
    lines = ["# CorralOS images, built by tools/build-images.sh from Debian packages.",
             "# Sizes are uncompressed; an image's layers include its base's."]
    for name, r in records.items():
        lines += ["", r["reference"] + ("  (user image, not in images.sqfs)" if r["user"] else ""),
                  "  archive   %s.tar  %d bytes  sha256:%s" % (name, r["archive_size"], r["archive_sha256"]),
                  "  image ID  " + r["id"],
                  "  size      %.1f MB of files; its own layer tar %.1f MB%s" % (
                      r["rootfs_size"] / 1e6, r["layers"][-1][1] / 1e6, " (on %s)" % r["base"] if r["base"] else ""),
                  "  packages  " + " ".join("%s=%s" % (p, r["packages"][p]) for p in r["own_packages"])]
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
