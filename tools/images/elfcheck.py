"""Checks that every dynamically linked program in a tree finds its libraries.

Leaving out a package (the skip lists, the pruning) must never leave a program
without a library it needs, so each ELF file's DT_NEEDED entries are looked up
the way ld.so would without an ld.so.cache: the RUNPATH/RPATH directories, then
the default multiarch and /lib, /usr/lib directories. The files are parsed as
bytes; nothing is ever run.
"""

import posixpath
import struct

PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NEEDED, DT_STRTAB, DT_RPATH, DT_RUNPATH = 1, 5, 15, 29
DEFAULT_DIRS = ("usr/lib/x86_64-linux-gnu", "usr/lib", "usr/lib64")


def dynamic_info(data):
    """(interpreter, needed sonames, search dirs) of a 64-bit little-endian ELF
    file, or None when it is not one or is statically linked."""
    if data[:4] != b"\x7fELF" or len(data) < 64 or data[4] != 2 or data[5] != 1:
        return None
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads, dynamic, interp = [], None, None
    for i in range(phnum):
        p_type, _flags, offset, vaddr, _paddr, filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if p_type == PT_LOAD:
            loads.append((vaddr, offset, filesz))
        elif p_type == PT_DYNAMIC:
            dynamic = (offset, filesz)
        elif p_type == PT_INTERP:
            interp = data[offset:offset + filesz].rstrip(b"\0").decode()
    if dynamic is None:
        return None
    tags = []
    for at in range(dynamic[0], dynamic[0] + dynamic[1], 16):
        tag, value = struct.unpack_from("<qQ", data, at)
        if tag == 0:
            break
        tags.append((tag, value))
    strtab = next((v for t, v in tags if t == DT_STRTAB), None)
    strtab_offset = next((off + strtab - va for va, off, size in loads if va <= strtab < va + size), None)

    def string(index):
        end = data.index(b"\0", strtab_offset + index)
        return data[strtab_offset + index:end].decode()

    needed = [string(v) for t, v in tags if t == DT_NEEDED]
    paths = [p for t, v in tags if t in (DT_RUNPATH, DT_RPATH) for p in string(v).split(":") if p]
    return interp, needed, paths


def missing_libraries(tree, paths=None):
    """[(path, what is missing)] for the ELF files under `paths` (all files
    when None)."""
    problems = []
    for path, entry in sorted(tree.entries.items()):
        if entry.kind != "file" or (paths is not None and not any(path.startswith(p) for p in paths)):
            continue
        info = dynamic_info(entry.data)
        if info is None:
            continue
        problems += [(path, lib) for lib in unresolved(tree, path, *info)]
    return problems


def unresolved(tree, path, interp, needed, runpaths):
    missing = []
    if interp and not exists(tree, interp):
        missing.append(interp)
    origin = "/" + posixpath.dirname(path)
    dirs = [d.replace("$ORIGIN", origin).replace("${ORIGIN}", origin) for d in runpaths] + list(DEFAULT_DIRS)
    for soname in needed:
        if not any(exists(tree, posixpath.join(d, soname)) for d in dirs):
            missing.append(soname)
    return missing


def exists(tree, path):
    resolved = tree.resolve(path.lstrip("/"))
    return resolved is not None and tree.entries[resolved].kind == "file"
