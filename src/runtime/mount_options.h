#pragma once

// Mount options as words (OCI's, fstab's, `docker volume create -o o=…`)
// and as mount(2) wants them; and the escaping of /proc/self/mountinfo.

#include <string>
#include <string_view>
#include <vector>

namespace corral::runtime {

struct MountFlags {
    unsigned long flags { 0 }; // MS_RDONLY, MS_NOSUID, …; never MS_BIND, MS_REC or propagation
    unsigned long propagation { 0 }; // one of MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE, maybe | MS_REC
    bool bind { false };
    bool recursive { false }; // rbind
    std::string data; // what the file system itself reads: "mode=755,size=65536k"
};

// Splits mount options into mount(2) flags, propagation and file system
// data, by runc's table. "bind"/"rbind" make a bind mount; of opposite words
// ("ro", "rw") the later wins. Unknown words go to the data, in their order,
// where the file system refuses them if it must (as runc). Empty words are
// skipped.
MountFlags parse_mount_options(const std::vector<std::string>& options);

// A propagation word ("rshared", "slave", …) as mount flags, or 0.
unsigned long propagation_flags(std::string_view word);

// /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(std::string_view field);

} // namespace corral::runtime
