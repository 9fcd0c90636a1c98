// Finding the corral-init to bind into a container. It runs inside the
// container's root, where the host's dynamic loader and libraries are not,
// so only a statically linked binary will do (Docker's docker-init, tini, is
// static for the same reason).

#include "runtime/executor_internal.h"

#include "base/file.h"
#include "base/system.h"

#include <climits>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

namespace corral::runtime::detail {

namespace {

template<typename Header, typename ProgramHeader>
ErrorOr<bool> has_interpreter(int fd, const std::string& path)
{
    Header header {};
    if (::pread(fd, &header, sizeof header, 0) != static_cast<ssize_t>(sizeof header))
        return Error::from_string(path + ": not an ELF file");
    for (unsigned i = 0; i < header.e_phnum; ++i) {
        ProgramHeader program {};
        off_t at = static_cast<off_t>(header.e_phoff + i * static_cast<uint64_t>(header.e_phentsize));
        if (::pread(fd, &program, sizeof program, at) != static_cast<ssize_t>(sizeof program))
            return Error::from_string(path + ": truncated ELF program headers");
        if (program.p_type == PT_INTERP)
            return true;
    }
    return false;
}

// Whether `path` is an ELF executable without a program interpreter.
ErrorOr<bool> is_static_elf(const std::string& path)
{
    Fd fd = TRY(sys::open(path, O_RDONLY));
    unsigned char ident[EI_NIDENT] {};
    if (::pread(fd.get(), ident, sizeof ident, 0) != static_cast<ssize_t>(sizeof ident)
        || std::memcmp(ident, ELFMAG, SELFMAG) != 0)
        return Error::from_string(path + ": not an ELF file");
    bool dynamic = ident[EI_CLASS] == ELFCLASS64 ? TRY((has_interpreter<Elf64_Ehdr, Elf64_Phdr>(fd.get(), path)))
                                                 : TRY((has_interpreter<Elf32_Ehdr, Elf32_Phdr>(fd.get(), path)));
    return !dynamic;
}

} // namespace

ErrorOr<std::string> find_init_binary()
{
    char self[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        return Error::from_syscall("init: readlink /proc/self/exe");
    std::string running(self, static_cast<size_t>(n));
    std::string sibling = path_join(path_dirname(running), "corral-init");

    if (::access(sibling.c_str(), X_OK) == 0) {
        if (!TRY_CONTEXT(is_static_elf(sibling), "init"))
            return Error::from_string(
                "init: " + sibling + " is dynamically linked; it must be static to run inside a container");
        return sibling;
    }
    if (TRY_CONTEXT(is_static_elf("/proc/self/exe"), "init"))
        return running;
    return Error::from_string("init: no statically linked corral-init: " + sibling + " does not exist and " + running
        + " is dynamically linked");
}

} // namespace corral::runtime::detail
