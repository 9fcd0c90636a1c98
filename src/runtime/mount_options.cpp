#include "runtime/mount_options.h"

#include <sys/mount.h>

namespace corral::runtime {

namespace {

struct FlagWord {
    std::string_view word;
    unsigned long set;
    unsigned long clear;
};

// runc's mountFlags table (libcontainer/specconv).
constexpr FlagWord FLAG_WORDS[] = {
    { "ro", MS_RDONLY, 0 },
    { "rw", 0, MS_RDONLY },
    { "nosuid", MS_NOSUID, 0 },
    { "suid", 0, MS_NOSUID },
    { "nodev", MS_NODEV, 0 },
    { "dev", 0, MS_NODEV },
    { "noexec", MS_NOEXEC, 0 },
    { "exec", 0, MS_NOEXEC },
    { "sync", MS_SYNCHRONOUS, 0 },
    { "async", 0, MS_SYNCHRONOUS },
    { "dirsync", MS_DIRSYNC, 0 },
    { "remount", MS_REMOUNT, 0 },
    { "mand", MS_MANDLOCK, 0 },
    { "nomand", 0, MS_MANDLOCK },
    { "atime", 0, MS_NOATIME },
    { "noatime", MS_NOATIME, 0 },
    { "diratime", 0, MS_NODIRATIME },
    { "nodiratime", MS_NODIRATIME, 0 },
    { "relatime", MS_RELATIME, 0 },
    { "norelatime", 0, MS_RELATIME },
    { "strictatime", MS_STRICTATIME, 0 },
    { "nostrictatime", 0, MS_STRICTATIME },
    { "defaults", 0, 0 },
};

struct PropagationWord {
    std::string_view word;
    unsigned long flags;
};

constexpr PropagationWord PROPAGATION_WORDS[] = {
    { "private", MS_PRIVATE },
    { "rprivate", MS_PRIVATE | MS_REC },
    { "shared", MS_SHARED },
    { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE },
    { "rslave", MS_SLAVE | MS_REC },
    { "unbindable", MS_UNBINDABLE },
    { "runbindable", MS_UNBINDABLE | MS_REC },
};

} // namespace

unsigned long propagation_flags(std::string_view word)
{
    for (auto const& p : PROPAGATION_WORDS) {
        if (p.word == word)
            return p.flags;
    }
    return 0;
}

MountFlags parse_mount_options(const std::vector<std::string>& options)
{
    MountFlags out;
    std::vector<std::string_view> data;
    for (auto const& option : options) {
        if (option == "bind" || option == "rbind") {
            out.bind = true;
            out.recursive = out.recursive || option == "rbind";
            continue;
        }
        if (option.empty())
            continue;
        if (auto p = propagation_flags(option)) {
            out.propagation = p;
            continue;
        }
        bool known = false;
        for (auto const& f : FLAG_WORDS) {
            if (f.word == option) {
                out.flags = (out.flags & ~f.clear) | f.set;
                known = true;
                break;
            }
        }
        if (!known)
            data.push_back(option);
    }
    for (size_t i = 0; i < data.size(); ++i) {
        if (i)
            out.data += ',';
        out.data += data[i];
    }
    return out;
}

std::string unescape_mountinfo(std::string_view field)
{
    auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
    std::string out;
    for (size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size() && is_octal(field[i + 1]) && is_octal(field[i + 2])
            && is_octal(field[i + 3])) {
            out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0'));
            i += 3;
            continue;
        }
        out += field[i];
    }
    return out;
}

} // namespace corral::runtime
