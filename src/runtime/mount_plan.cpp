// The parts of the root file system decided before the fork (pure or
// read-only): mount options as flags, the overlay's mount data, and which
// host mount holds the root.

#include "runtime/executor_internal.h"
#include "runtime/mount_options.h"

#include "base/file.h"
#include "base/system.h"

#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

namespace corral::runtime::detail {

namespace {

// One page is what mount(2) copies of its data argument.
size_t mount_data_limit()
{
    return static_cast<size_t>(::sysconf(_SC_PAGESIZE)) - 1;
}

// overlayfs splits options at ',' and lower dirs at ':'; a backslash escapes
// either (fs/overlayfs/params.c).
std::string escape_overlay_path(std::string_view path)
{
    std::string out;
    for (char c : path) {
        if (c == ',' || c == ':' || c == '\\')
            out += '\\';
        out += c;
    }
    return out;
}

std::string build_overlay_data(const Spec& spec, const std::string& relative_to)
{
    auto shown = [&](const std::string& path) {
        if (relative_to.empty())
            return escape_overlay_path(path);
        std::string_view rest(path);
        rest.remove_prefix(relative_to == "/" ? 1 : relative_to.size() + 1);
        return escape_overlay_path(rest);
    };
    std::string data = "lowerdir=";
    for (size_t i = 0; i < spec.lower_dirs.size(); ++i) {
        if (i)
            data += ':';
        data += shown(spec.lower_dirs[i]);
    }
    if (!spec.upper_dir.empty()) {
        data += ",upperdir=" + shown(spec.upper_dir);
        data += ",workdir=" + shown(spec.work_dir);
    }
    return data;
}

// The deepest directory that holds every path (all absolute and clean).
std::string common_directory(const std::vector<std::string>& paths)
{
    std::string common = path_dirname(paths.front());
    for (auto const& path : paths) {
        while (
            common != "/" && !(path.starts_with(common) && path.size() > common.size() && path[common.size()] == '/'))
            common = path_dirname(common);
    }
    return common;
}

} // namespace

ErrorOr<std::vector<PreparedMount>> prepare_mounts(const std::vector<Mount>& mounts)
{
    std::vector<PreparedMount> out;
    for (auto const& m : mounts) {
        if (m.destination.empty() || m.destination.front() != '/')
            return Error::from_string("mount destination \"" + m.destination + "\" is not absolute");
        PreparedMount prepared { &m, parse_mount_options(m.options), true };
        if (m.type == "bind")
            prepared.parsed.bind = true;
        if (prepared.parsed.bind) {
            // The source is the host's; what it is decides the mount point.
            auto st = sys::stat(m.source);
            if (st.is_error())
                return std::move(st.release_error().context("mount " + m.source + " on " + m.destination));
            prepared.source_is_directory = S_ISDIR(st->st_mode);
        }
        out.push_back(std::move(prepared));
    }
    return out;
}

ErrorOr<OverlayData> overlay_data(const Spec& spec)
{
    if (spec.lower_dirs.empty())
        return Error::from_string("rootfs: no lower dirs to mount");
    if (spec.upper_dir.empty() != spec.work_dir.empty())
        return Error::from_string("rootfs: an upper dir needs a work dir and the other way round");
    std::vector<std::string> paths = spec.lower_dirs;
    if (!spec.upper_dir.empty()) {
        paths.push_back(spec.upper_dir);
        paths.push_back(spec.work_dir);
    }
    for (auto const& path : paths) {
        if (path.empty() || path.front() != '/' || path.find("/./") != std::string::npos
            || path.find("/../") != std::string::npos || path.ends_with('/'))
            return Error::from_string("rootfs: layer path \"" + path + "\" is not absolute and clean");
    }
    OverlayData out { build_overlay_data(spec, {}), {} };
    if (out.data.size() <= mount_data_limit())
        return out;
    // Too long for one page (many layers under long paths): chdir into their
    // common directory and name them relative to it, as Docker's overlay2 does
    // with its short "l/" links. Kernels from 6.8 on also accept one layer at
    // a time through fsconfig("lowerdir+"); the relative form works on all.
    out.relative_to = common_directory(paths);
    out.data = build_overlay_data(spec, out.relative_to);
    if (out.data.size() > mount_data_limit())
        return Error::from_errno(E2BIG,
            "rootfs: overlay mount options are " + std::to_string(out.data.size())
                + " bytes, more than a page even relative to " + out.relative_to);
    return out;
}

ErrorOr<std::string> containing_mount_point(const std::string& path)
{
    char real[PATH_MAX];
    if (!::realpath(path.c_str(), real))
        return Error::from_syscall("realpath '" + path + "'");
    std::string target = real;
    auto mountinfo = TRY(read_file("/proc/self/mountinfo"));
    std::string best;
    size_t start = 0;
    while (start < mountinfo.size()) {
        size_t end = mountinfo.find('\n', start);
        if (end == std::string::npos)
            end = mountinfo.size();
        std::string_view line(mountinfo.data() + start, end - start);
        start = end + 1;
        // Fields: id parent major:minor root mount-point …
        size_t field_start = 0;
        for (int i = 0; i < 4 && field_start != std::string_view::npos; ++i) {
            field_start = line.find(' ', field_start);
            if (field_start != std::string_view::npos)
                ++field_start;
        }
        if (field_start == std::string_view::npos)
            continue;
        size_t field_end = line.find(' ', field_start);
        std::string point = unescape_mountinfo(line.substr(field_start, field_end - field_start));
        bool holds = point == "/" || target == point || (target.starts_with(point) && target[point.size()] == '/');
        if (holds && point.size() >= best.size())
            best = point;
    }
    if (best.empty())
        return Error::from_errno(ENOENT, "no mount holds " + target);
    return best;
}

} // namespace corral::runtime::detail
