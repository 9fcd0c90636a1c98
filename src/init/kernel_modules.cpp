#include "init/kernel_modules.h"

#include "base/file.h"
#include "base/fd.h"
#include "base/strings.h"
#include "base/system.h"

#include <algorithm>
#include <fcntl.h>
#include <set>
#include <sys/syscall.h>
#include <unistd.h>

namespace corral::init {

namespace {

// The non-empty words of a line: modules.dep and /proc/modules separate them
// with single spaces.
std::vector<std::string> words(std::string_view line)
{
    std::vector<std::string> out;
    for (auto& word : split(line, ' ')) {
        if (!word.empty())
            out.push_back(std::move(word));
    }
    return out;
}

bool contains(const std::vector<std::string>& list, const std::string& item)
{
    return std::find(list.begin(), list.end(), item) != list.end();
}

} // namespace

std::string ModuleIndex::canonical_name(std::string_view name_or_path)
{
    if (auto slash = name_or_path.rfind('/'); slash != std::string_view::npos)
        name_or_path.remove_prefix(slash + 1);
    for (std::string_view suffix : { ".xz", ".zst", ".gz" }) {
        if (name_or_path.ends_with(suffix))
            name_or_path.remove_suffix(suffix.size());
    }
    if (name_or_path.ends_with(".ko"))
        name_or_path.remove_suffix(3);
    std::string name(name_or_path);
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

ModuleIndex ModuleIndex::parse(std::string_view modules_dep)
{
    ModuleIndex index;
    for (auto const& line : split(modules_dep, '\n')) {
        size_t colon = line.find(':');
        if (colon == std::string::npos || colon == 0)
            continue;
        Entry entry;
        entry.path = line.substr(0, colon);
        entry.deps = words(std::string_view(line).substr(colon + 1));
        std::string name = canonical_name(entry.path);
        index.m_deps.emplace(std::move(name), std::move(entry));
    }
    return index;
}

ErrorOr<std::vector<std::string>> ModuleIndex::load_order(std::string_view name) const
{
    auto it = m_deps.find(canonical_name(name));
    if (it == m_deps.end())
        return Error::from_string("module " + std::string(name) + " is not in modules.dep", ENOENT);
    // depmod lists a module's dependencies already closed over and ordered so
    // that the last one is loaded first (modprobe loads them in reverse).
    std::vector<std::string> order;
    std::set<std::string> seen;
    for (auto dep = it->second.deps.rbegin(); dep != it->second.deps.rend(); ++dep) {
        if (seen.insert(*dep).second)
            order.push_back(*dep);
    }
    if (seen.insert(it->second.path).second)
        order.push_back(it->second.path);
    return order;
}

std::vector<std::string> parse_proc_modules(std::string_view text)
{
    std::vector<std::string> names;
    for (auto const& line : split(text, '\n')) {
        auto fields = words(line);
        if (!fields.empty())
            names.push_back(ModuleIndex::canonical_name(fields[0]));
    }
    return names;
}

ErrorOr<ModuleLoader> ModuleLoader::open(const std::string& module_dir)
{
    ModuleLoader loader;
    loader.m_dir = module_dir;
    std::string dep = TRY(read_file(module_dir + "/modules.dep"));
    loader.m_index = ModuleIndex::parse(dep);
    if (auto builtin = read_file(module_dir + "/modules.builtin"); !builtin.is_error()) {
        for (auto const& line : split(builtin.value(), '\n')) {
            if (!line.empty())
                loader.m_builtin.push_back(ModuleIndex::canonical_name(line));
        }
    }
    if (auto proc = read_file("/proc/modules"); !proc.is_error())
        loader.m_loaded = parse_proc_modules(proc.value());
    return loader;
}

ErrorOr<void> ModuleLoader::load(std::string_view name, std::string_view params)
{
    std::string canonical = ModuleIndex::canonical_name(name);
    if (contains(m_loaded, canonical) || contains(m_builtin, canonical))
        return {};
    auto order = TRY_CONTEXT(m_index.load_order(canonical), "loading module " + std::string(name));
    for (auto const& path : order) {
        std::string module = ModuleIndex::canonical_name(path);
        if (contains(m_loaded, module))
            continue;
        Fd fd = TRY(sys::open(m_dir + "/" + path, O_RDONLY));
        std::string args = module == canonical ? std::string(params) : std::string();
        if (::syscall(SYS_finit_module, fd.get(), args.c_str(), 0) < 0 && errno != EEXIST)
            return Error::from_syscall("finit_module '" + path + "'").context("loading module " + std::string(name));
        m_loaded.push_back(module);
    }
    return {};
}

} // namespace corral::init
