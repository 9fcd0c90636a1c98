// What the cgroup layouts share: detection, directories, file access, joining,
// killing and removal. The layout-specific parts are in cgroup_v1.cpp and
// cgroup_v2.cpp.

#include "runtime/cgroup.h"

#include "base/file.h"
#include "base/scope_guard.h"
#include "base/strings.h"
#include "base/system.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <thread>
#include <unistd.h>

namespace corral::runtime {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

ErrorOr<CgroupLayout> detect_cgroup_layout(const std::string& root)
{
    struct statfs st { };
    if (::statfs(root.c_str(), &st) < 0)
        return Error::from_syscall("statfs '" + root + "'");
    if (st.f_type == CGROUP2_SUPER_MAGIC)
        return CgroupLayout::V2;
    std::string unified = path_join(root, "unified");
    if (::statfs(unified.c_str(), &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
        return CgroupLayout::Hybrid;
    return CgroupLayout::V1;
}

namespace {

// A cgroup path is relative to every hierarchy's root, and must stay below it.
ErrorOr<void> check_path(const std::string& path)
{
    if (path.empty() || path.front() == '/')
        return Error::from_string("cgroup path \"" + path + "\" must be relative to the cgroup root");
    for (const auto& part : split(path, '/')) {
        if (part.empty() || part == "." || part == "..")
            return Error::from_string("cgroup path \"" + path + "\" has an empty, \".\" or \"..\" component");
    }
    return {};
}

} // namespace

bool Cgroup::Hierarchy::has(std::string_view controller) const
{
    return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

std::string Cgroup::Hierarchy::file_path(std::string_view name) const
{
    return dir + "/" + std::string(name);
}

bool Cgroup::Hierarchy::exists(std::string_view name) const
{
    return ::faccessat(fd.get(), std::string(name).c_str(), F_OK, 0) == 0;
}

ErrorOr<std::string> Cgroup::Hierarchy::read(std::string_view name) const
{
    int raw = ::openat(fd.get(), std::string(name).c_str(), O_RDONLY | O_CLOEXEC);
    if (raw < 0)
        return Error::from_syscall("read '" + file_path(name) + "'");
    Fd file(raw);
    // cgroup.procs of a large cgroup is the biggest file read here.
    return TRY_CONTEXT(sys::read_all(file.get(), 16 * 1024 * 1024), "'" + file_path(name) + "'");
}

ErrorOr<void> Cgroup::Hierarchy::write(std::string_view name, std::string_view value) const
{
    auto call = [&] { return "write '" + file_path(name) + "' (\"" + std::string(value) + "\")"; };
    int raw = ::openat(fd.get(), std::string(name).c_str(), O_WRONLY | O_CLOEXEC);
    if (raw < 0)
        return Error::from_syscall(call());
    Fd file(raw);
    // One write: the kernel parses each write(2) to a cgroup file as one value.
    ssize_t written;
    do {
        written = ::write(file.get(), value.data(), value.size());
    } while (written < 0 && errno == EINTR);
    if (written < 0)
        return Error::from_syscall(call());
    if (static_cast<size_t>(written) != value.size())
        return Error::from_errno(EIO, call() + " (short write)");
    return {};
}

const Cgroup::Hierarchy* Cgroup::find(std::string_view controller) const
{
    if (m_layout == CgroupLayout::V2)
        return m_hierarchies.empty() ? nullptr : &m_hierarchies.front();
    for (const auto& hierarchy : m_hierarchies) {
        if (hierarchy.has(controller))
            return &hierarchy;
    }
    return nullptr;
}

std::vector<std::string> Cgroup::directories() const
{
    std::vector<std::string> out;
    for (const auto& hierarchy : m_hierarchies)
        out.push_back(hierarchy.dir);
    return out;
}

std::string Cgroup::directory_of(std::string_view controller) const
{
    const Hierarchy* hierarchy = find(controller);
    return hierarchy ? hierarchy->dir : std::string();
}

ErrorOr<Cgroup> Cgroup::create(const std::string& path, const Resources& resources, const std::string& root)
{
    TRY(check_path(path));
    CgroupLayout layout = TRY(detect_cgroup_layout(root));
    // The plan is made once here only to learn which controllers it needs; apply()
    // plans again with what the new directories offer.
    auto needed = plan_controllers(TRY(plan_writes(resources, layout)));

    std::vector<Hierarchy> hierarchies;
    if (layout == CgroupLayout::V2) {
        TRY(v2_enable_controllers(root, path, needed));
        Hierarchy leaf;
        leaf.mount_point = root;
        leaf.unified = true;
        hierarchies.push_back(std::move(leaf));
    } else {
        hierarchies = TRY(v1_hierarchies(layout, root));
        std::vector<std::string> missing;
        for (const auto& controller : needed) {
            bool mounted = std::any_of(
                hierarchies.begin(), hierarchies.end(), [&](const Hierarchy& h) { return h.has(controller); });
            if (!mounted)
                missing.push_back(controller);
        }
        if (!missing.empty())
            return Error::from_string("cgroup controllers the container's limits need are not mounted under '" + root
                    + "': " + join(missing, ", "),
                ENOTSUP);
    }

    std::vector<std::string> made;
    ScopeGuard undo([&] {
        for (auto it = made.rbegin(); it != made.rend(); ++it)
            (void)::rmdir(it->c_str()); // best effort: the error being returned matters more
    });
    for (auto& hierarchy : hierarchies) {
        hierarchy.dir = path_join(hierarchy.mount_point, path);
        bool existed = ::access(hierarchy.dir.c_str(), F_OK) == 0;
        TRY(mkdir_p(hierarchy.dir, 0755));
        if (!existed)
            made.push_back(hierarchy.dir);
        hierarchy.fd = TRY(sys::open(hierarchy.dir, O_RDONLY | O_DIRECTORY));
    }
    Cgroup cgroup(layout, root, path, std::move(hierarchies));
    if (layout != CgroupLayout::V2) {
        if (const Hierarchy* cpuset = cgroup.find("cpuset"))
            TRY(v1_init_cpuset(*cpuset, path));
    }
    TRY(cgroup.apply(resources));
    undo.disarm();
    return cgroup;
}

ErrorOr<Cgroup> Cgroup::open(const std::string& path, const std::string& root)
{
    TRY(check_path(path));
    CgroupLayout layout = TRY(detect_cgroup_layout(root));
    std::vector<Hierarchy> candidates;
    if (layout == CgroupLayout::V2) {
        Hierarchy leaf;
        leaf.mount_point = root;
        leaf.unified = true;
        candidates.push_back(std::move(leaf));
    } else {
        candidates = TRY(v1_hierarchies(layout, root));
    }
    std::vector<Hierarchy> found;
    for (auto& hierarchy : candidates) {
        hierarchy.dir = path_join(hierarchy.mount_point, path);
        auto fd = sys::open(hierarchy.dir, O_RDONLY | O_DIRECTORY);
        if (fd.is_error()) {
            if (fd.error().code() == ENOENT)
                continue;
            return fd.release_error();
        }
        hierarchy.fd = fd.release_value();
        found.push_back(std::move(hierarchy));
    }
    if (found.empty())
        return Error::from_errno(ENOENT, "open cgroup '" + path + "' under '" + root + "'");
    return Cgroup(layout, root, path, std::move(found));
}

ErrorOr<void> Cgroup::apply(const Resources& resources)
{
    if (m_layout == CgroupLayout::V2) {
        auto writes = TRY(plan_writes(resources, m_layout, v2_features()));
        return v2_apply(writes, resources);
    }
    auto writes = TRY(plan_writes(resources, m_layout, TRY(v1_features(resources))));
    return v1_apply(writes);
}

ErrorOr<void> Cgroup::update(const Resources& resources)
{
    return apply(resources);
}

ErrorOr<void> join_cgroup(const std::string& dir, pid_t pid)
{
    std::string text = std::to_string(pid);
    std::string path = path_join(dir, "cgroup.procs");
    Fd fd = TRY(sys::open(path, O_WRONLY | O_CLOEXEC));
    if (::write(fd.get(), text.data(), text.size()) >= 0)
        return {};
    if (errno != EBUSY)
        return Error::from_syscall("write '" + path + "' (" + text + ")");
    // cgroup v2 keeps processes out of a cgroup that hands controllers to
    // children ("no internal processes"): a container that runs an engine of
    // its own (the docker service) has moved its processes to a leaf and
    // enabled its controllers. A process joining it later (an exec) goes to
    // that leaf: "init", the name Docker's dind script and `ros user-docker`
    // use, made when missing.
    std::string leaf = path_join(dir, "init");
    if (::mkdir(leaf.c_str(), 0755) < 0 && errno != EEXIST)
        return Error::from_syscall("mkdir '" + leaf + "'");
    std::string leaf_procs = path_join(leaf, "cgroup.procs");
    Fd leaf_fd = TRY(sys::open(leaf_procs, O_WRONLY | O_CLOEXEC));
    if (::write(leaf_fd.get(), text.data(), text.size()) < 0)
        return Error::from_syscall("write '" + leaf_procs + "' (" + text + ")");
    return {};
}

ErrorOr<void> Cgroup::add_process(pid_t pid)
{
    for (const auto& hierarchy : m_hierarchies)
        TRY(join_cgroup(hierarchy.dir, pid));
    return {};
}

ErrorOr<void> Cgroup::freeze()
{
    if (m_layout == CgroupLayout::V2)
        return v2_set_frozen(true);
    return v1_set_freezer("FROZEN");
}

ErrorOr<void> Cgroup::thaw()
{
    if (m_layout == CgroupLayout::V2)
        return v2_set_frozen(false);
    return v1_set_freezer("THAWED");
}

bool Cgroup::frozen() const
{
    return m_layout == CgroupLayout::V2 ? v2_frozen() : v1_frozen();
}

ErrorOr<CgroupStats> Cgroup::stats() const
{
    if (m_hierarchies.empty())
        return Error::from_errno(ENOENT, "stats of cgroup '" + m_path + "': it has no directory left");
    return m_layout == CgroupLayout::V2 ? v2_stats() : v1_stats();
}

ErrorOr<std::vector<pid_t>> Cgroup::processes() const
{
    const Hierarchy* hierarchy = find("freezer");
    if (!hierarchy && !m_hierarchies.empty())
        hierarchy = &m_hierarchies.front();
    if (!hierarchy)
        return std::vector<pid_t> {}; // destroyed
    auto text = TRY(hierarchy->read("cgroup.procs"));
    return TRY_CONTEXT(parse_pid_list(text), "'" + hierarchy->file_path("cgroup.procs") + "'");
}

ErrorOr<void> Cgroup::wait_until_empty(int signal)
{
    // Ten seconds covers a task finishing a long uninterruptible sleep (a slow
    // disk, a hung NFS server cannot be waited out anyway).
    auto deadline = Clock::now() + 10s;
    auto resend = Clock::now() + 100ms;
    for (;;) {
        auto pids = TRY(processes());
        if (pids.empty())
            return {};
        if (Clock::now() > deadline)
            return Error::from_errno(ETIMEDOUT,
                std::to_string(pids.size()) + " processes remain in cgroup '" + m_path + "' after signal "
                    + std::to_string(signal));
        // A process forked between our read of cgroup.procs and the signal missed
        // it; signal again now and then.
        if (Clock::now() > resend) {
            for (pid_t pid : pids)
                (void)::kill(pid, signal); // it may have exited since the read (ESRCH)
            resend = Clock::now() + 100ms;
        }
        std::this_thread::sleep_for(2ms);
    }
}

ErrorOr<void> Cgroup::kill_all(int signal)
{
    if (m_layout == CgroupLayout::V2 && signal == SIGKILL && !m_hierarchies.empty()
        && m_hierarchies.front().exists("cgroup.kill")) {
        TRY(m_hierarchies.front().write("cgroup.kill", "1"));
        return wait_until_empty(signal);
    }

    // Freezing first means no process can fork a child we would not see.
    bool can_freeze = m_layout == CgroupLayout::V2 || find("freezer");
    bool was_frozen = can_freeze && frozen();
    if (can_freeze && !was_frozen)
        (void)freeze(); // best effort: a task stuck in the kernel must not prevent the kill
    auto pids = processes();
    if (!pids.is_error()) {
        for (pid_t pid : pids.value()) {
            if (::kill(pid, signal) < 0 && errno != ESRCH) {
                pids = Error::from_syscall("kill " + std::to_string(pid) + " (signal " + std::to_string(signal) + ")");
                break;
            }
        }
    }
    // Frozen tasks act on SIGKILL only once thawed (v1); other signals leave a
    // paused container paused.
    if (can_freeze && (!was_frozen || signal == SIGKILL))
        TRY(thaw());
    if (pids.is_error())
        return pids.release_error();
    if (signal != SIGKILL)
        return {};
    return wait_until_empty(signal);
}

namespace {

// rmdir, removing child cgroups first (a container with its own cgroup namespace
// may have made some). Only directories can be removed in cgroupfs; the files go
// with them.
int remove_cgroup_dir(const std::string& dir)
{
    if (DIR* stream = ::opendir(dir.c_str())) {
        std::vector<std::string> children;
        while (struct dirent* entry = ::readdir(stream)) {
            std::string name = entry->d_name;
            if (entry->d_type == DT_DIR && name != "." && name != "..")
                children.push_back(dir + "/" + name);
        }
        ::closedir(stream);
        for (const auto& child : children) {
            if (remove_cgroup_dir(child) < 0 && errno != ENOENT)
                return -1;
        }
    }
    return ::rmdir(dir.c_str());
}

} // namespace

ErrorOr<void> Cgroup::destroy()
{
    while (!m_hierarchies.empty()) {
        Hierarchy& hierarchy = m_hierarchies.back();
        auto deadline = Clock::now() + 2s;
        for (;;) {
            if (remove_cgroup_dir(hierarchy.dir) == 0 || errno == ENOENT)
                break;
            int code = errno;
            if (code == EBUSY && Clock::now() < deadline) {
                // Killed tasks leave the cgroup a moment after they are signalled.
                std::this_thread::sleep_for(10ms);
                continue;
            }
            auto error = Error::from_errno(code, "rmdir '" + hierarchy.dir + "'");
            if (code == EBUSY) {
                auto pids = processes();
                if (!pids.is_error())
                    error.context(std::to_string(pids->size()) + " processes remain");
            }
            return error;
        }
        m_hierarchies.pop_back();
    }
    return {};
}

} // namespace corral::runtime
