#include "engine/volumes_internal.h"

#include "base/file.h"
#include "base/strings.h"

#include <algorithm>
#include <sys/mount.h>

namespace corral::engine {

namespace {

struct FlagWord {
    std::string_view word;
    bool clears; // "rw" clears what "ro" sets
    unsigned long flag;
};

// moby/sys/mount's table (flags_linux.go).
constexpr FlagWord FLAG_WORDS[] = {
    { "defaults", false, 0 },
    { "ro", false, MS_RDONLY },
    { "rw", true, MS_RDONLY },
    { "suid", true, MS_NOSUID },
    { "nosuid", false, MS_NOSUID },
    { "dev", true, MS_NODEV },
    { "nodev", false, MS_NODEV },
    { "exec", true, MS_NOEXEC },
    { "noexec", false, MS_NOEXEC },
    { "sync", false, MS_SYNCHRONOUS },
    { "async", true, MS_SYNCHRONOUS },
    { "dirsync", false, MS_DIRSYNC },
    { "remount", false, MS_REMOUNT },
    { "mand", false, MS_MANDLOCK },
    { "nomand", true, MS_MANDLOCK },
    { "atime", true, MS_NOATIME },
    { "noatime", false, MS_NOATIME },
    { "diratime", true, MS_NODIRATIME },
    { "nodiratime", false, MS_NODIRATIME },
    { "bind", false, MS_BIND },
    { "rbind", false, MS_BIND | MS_REC },
    { "relatime", false, MS_RELATIME },
    { "norelatime", true, MS_RELATIME },
    { "strictatime", false, MS_STRICTATIME },
    { "nostrictatime", true, MS_STRICTATIME },
};

struct PropagationWord {
    std::string_view word;
    unsigned long flag;
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

bool apply_word(MountOptions& out, std::string_view word)
{
    for (auto const& known : FLAG_WORDS) {
        if (known.word == word) {
            if (known.clears)
                out.flags &= ~known.flag;
            else
                out.flags |= known.flag;
            return true;
        }
    }
    for (auto const& known : PROPAGATION_WORDS) {
        if (known.word == word) {
            out.propagation |= known.flag;
            return true;
        }
    }
    return false;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(std::string_view field)
{
    std::string out;
    for (size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size()) {
            auto octal = field.substr(i + 1, 3);
            if (std::all_of(octal.begin(), octal.end(), [](char c) { return c >= '0' && c <= '7'; })) {
                out += static_cast<char>((octal[0] - '0') * 64 + (octal[1] - '0') * 8 + (octal[2] - '0'));
                i += 3;
                continue;
            }
        }
        out += field[i];
    }
    return out;
}

} // namespace

MountOptions parse_mount_options(std::string_view options)
{
    MountOptions out;
    std::vector<std::string> data;
    for (auto const& word : split(options, ',')) {
        if (word.empty())
            continue;
        if (!apply_word(out, word))
            data.push_back(word);
    }
    out.data = join(data, ",");
    return out;
}

ErrorOr<void> mount_volume(
    const std::string& device, const std::string& type, std::string_view options, const std::string& target)
{
    MountOptions parsed = parse_mount_options(options);
    // The error names the device and type but never the data, which may hold a
    // cifs password.
    std::string what = "mount '" + device + "' on '" + target + "' (type " + (type.empty() ? "none" : type) + ")";
    if (::mount(device.c_str(), target.c_str(), type.c_str(), parsed.flags, parsed.data.c_str()) < 0)
        return Error::from_syscall(what);
    if (parsed.propagation && ::mount("", target.c_str(), "", parsed.propagation, nullptr) < 0) {
        auto error = Error::from_syscall("mount --make-* '" + target + "'");
        (void)::umount2(target.c_str(), MNT_DETACH); // undoing our own mount; the first error is the one to report
        return error;
    }
    // The kernel ignores per-mount flags on a new bind mount (since 2.6.26); they
    // take a remount. moby/sys/mount remounts only for "ro"; any flag needs it.
    unsigned long per_mount = parsed.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if ((parsed.flags & MS_BIND) && per_mount) {
        if (::mount("", target.c_str(), "", MS_REMOUNT | MS_BIND | per_mount, nullptr) < 0) {
            auto error = Error::from_syscall("remount '" + target + "'");
            (void)::umount2(target.c_str(), MNT_DETACH); // as above
            return error;
        }
    }
    return {};
}

ErrorOr<void> unmount_all(const std::string& target)
{
    // Mounts can be stacked on one directory; each umount uncovers the next.
    // The bound keeps a kernel that keeps answering success from looping us.
    for (int i = 0; i < 64; ++i) {
        if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) == 0)
            continue;
        if (errno == EINVAL || errno == ENOENT)
            return {};
        return Error::from_syscall("umount '" + target + "'");
    }
    return Error::from_errno(EBUSY, "umount '" + target + "' (still mounted after 64 unmounts)");
}

ErrorOr<bool> has_mounts_at_or_below(const std::string& path)
{
    std::string table = TRY(read_file("/proc/self/mountinfo"));
    for (auto const& line : split(table, '\n')) {
        // "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw": the
        // fifth field is the mount point.
        auto fields = split(line, ' ');
        if (fields.size() < 5)
            continue;
        std::string mount_point = unescape_mountinfo(fields[4]);
        if (mount_point == path || mount_point.starts_with(path + "/"))
            return true;
    }
    return false;
}

} // namespace corral::engine
