"""Reading an image folder (os/images/<name>/): image.conf and rootfs/.

An image with `base = <folder>` inherits everything its base describes and adds
to it: packages, skips and prune patterns accumulate, directories, links and
modes are merged (its own win), and config keys replace the base's. The format
is described in os/images/README.md.
"""

import configparser
import hashlib
import json
import os

SECTIONS = {"image", "packages", "prune", "dirs", "links", "modes", "config"}


class DescriptionError(Exception):
    pass


def parse_mode(text, where):
    """"0755 [uid gid]" → (mode, uid, gid)."""
    fields = text.split()
    try:
        if len(fields) == 1:
            return int(fields[0], 8), 0, 0
        if len(fields) == 3:
            return int(fields[0], 8), int(fields[1]), int(fields[2])
    except ValueError:
        pass
    raise DescriptionError("%s: \"%s\" is not \"mode [uid gid]\"" % (where, text))


class Description:
    def __init__(self, images_dir, name, descriptions):
        self.name = name
        self.folder = os.path.join(images_dir, name)
        path = os.path.join(self.folder, "image.conf")
        conf = configparser.ConfigParser(delimiters=("=",), interpolation=None, comment_prefixes=("#",),
                                         empty_lines_in_values=False)
        conf.optionxform = str  # keys are paths and config names: keep their case
        if not conf.read(path):
            raise DescriptionError("%s: cannot read" % path)
        unknown = set(conf.sections()) - SECTIONS
        if unknown:
            raise DescriptionError("%s: unknown sections %s" % (path, ", ".join(sorted(unknown))))

        image = conf["image"] if conf.has_section("image") else {}
        self.base = image.get("base")
        base = descriptions[self.base] if self.base else None
        if self.base and base is None:
            raise DescriptionError("%s: base %s is not described (or comes later)" % (path, self.base))
        self.repository = image.get("name") or self._missing(path, "image", "name")
        self.tag = image.get("tag") or self._missing(path, "image", "tag")
        self.tag_is_version_of = image.get("tag-is-version-of")
        self.user = image.get("user", "no") == "yes"

        self.chain = (base.chain if base else []) + [self.folder]
        packages = conf["packages"] if conf.has_section("packages") else {}
        self.install = (base.install if base else []) + packages.get("install", "").split()
        self.skip = (base.skip if base else []) + packages.get("skip", "").split()
        self.ros_libraries = (base.ros_libraries if base else False) or packages.get("ros-libraries") == "yes"
        self.only = dict(base.only) if base else {}
        for line in packages.get("only", "").splitlines():
            if line.strip():
                package, _, patterns = line.partition(":")
                self.only[package.strip()] = patterns.split()

        prune = conf["prune"] if conf.has_section("prune") else {}
        self.remove = (base.remove if base else []) + prune.get("remove", "").split()
        self.keep = (base.keep if base else []) + prune.get("keep", "").split()

        self.dirs = dict(base.dirs) if base else {}
        self.modes = dict(base.modes) if base else {}
        for section, target in (("dirs", self.dirs), ("modes", self.modes)):
            if conf.has_section(section):
                for key, value in conf[section].items():
                    target[key] = parse_mode(value, "%s [%s] %s" % (path, section, key))
        self.links = dict(base.links) if base else {}
        if conf.has_section("links"):
            self.links.update(conf["links"].items())

        self.config = dict(base.config) if base else {}
        if conf.has_section("config"):
            for key, value in conf["config"].items():
                try:
                    self.config[key] = json.loads(value)
                except ValueError as e:
                    raise DescriptionError("%s [config] %s: not JSON: %s" % (path, key, e))

    @staticmethod
    def _missing(path, section, key):
        raise DescriptionError("%s: [%s] needs %s" % (path, section, key))

    def reference(self, version):
        return "%s:%s" % (self.repository, self.tag.replace("{VERSION}", version))

    def rootfs_dirs(self):
        return [os.path.join(f, "rootfs") for f in self.chain if os.path.isdir(os.path.join(f, "rootfs"))]

    def digest(self):
        """Changes with anything in the folders this image is made from."""
        digest = hashlib.sha256()
        for folder in self.chain:
            for root, dirs, files in os.walk(folder):
                dirs.sort()
                for name in sorted(files):
                    full = os.path.join(root, name)
                    st = os.lstat(full)
                    digest.update(("%s %o\n" % (os.path.relpath(full, folder), st.st_mode)).encode())
                    if os.path.islink(full):
                        digest.update(os.readlink(full).encode())
                    else:
                        with open(full, "rb") as f:
                            digest.update(f.read())
        return digest.hexdigest()


def load_all(images_dir):
    """Every image folder, bases before the images built on them."""
    pending = sorted(n for n in os.listdir(images_dir) if os.path.exists(os.path.join(images_dir, n, "image.conf")))
    descriptions = {}
    while pending:
        progress = False
        for name in list(pending):
            conf = configparser.ConfigParser(delimiters=("=",), interpolation=None)
            conf.read(os.path.join(images_dir, name, "image.conf"))
            base = conf.get("image", "base", fallback=None)
            if base is None or base in descriptions:
                descriptions[name] = Description(images_dir, name, descriptions)
                pending.remove(name)
                progress = True
        if not progress:
            raise DescriptionError("images with a missing or circular base: " + ", ".join(pending))
    return descriptions
