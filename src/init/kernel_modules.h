#pragma once

// Loading kernel modules without modprobe (reference §1.2 step 6): PID 1 reads
// modules.dep itself, so that the initrd needs no kmod and no shell.

#include "base/error.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace corral::init {

// modules.dep as depmod writes it: "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko …",
// paths relative to /lib/modules/<release>.
class ModuleIndex {
public:
    static ModuleIndex parse(std::string_view modules_dep);

    // The name a module is known by: the file name without ".ko" (and a
    // compression suffix), with '-' as '_' as the kernel reports it in /proc/modules.
    static std::string canonical_name(std::string_view name_or_path);

    // The files to load for `name`, dependencies first, each once; ENOENT when
    // the index has no such module.
    ErrorOr<std::vector<std::string>> load_order(std::string_view name) const;

    size_t size() const { return m_deps.size(); }

private:
    struct Entry {
        std::string path;
        std::vector<std::string> deps; // paths
    };
    std::map<std::string, Entry> m_deps; // canonical name → entry
};

// The canonical names in /proc/modules (the first word of each line).
std::vector<std::string> parse_proc_modules(std::string_view text);

// Loads `name` (a module name, "ext4" or "virtio-net") and its dependencies
// from `module_dir` (/lib/modules/<release>) with finit_module(2), passing
// `params` ("key=value …") to the module itself. A module already loaded or
// built into the kernel (no file and listed in modules.builtin) is success.
class ModuleLoader {
public:
    static ErrorOr<ModuleLoader> open(const std::string& module_dir);
    ErrorOr<void> load(std::string_view name, std::string_view params = {});

private:
    std::string m_dir;
    ModuleIndex m_index;
    std::vector<std::string> m_builtin; // canonical names
    std::vector<std::string> m_loaded; // canonical names
};

} // namespace corral::init
