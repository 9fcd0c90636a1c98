#include "init/filesystems.h"

#include "base/fd.h"
#include "base/file.h"
#include "base/system.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace corral::init {

ErrorOr<void> mount_fs(const std::string& source, const std::string& target, const std::string& type,
    unsigned long flags, const std::string& data)
{
    if (::mount(source.c_str(), target.c_str(), type.empty() ? nullptr : type.c_str(), flags,
            data.empty() ? nullptr : data.c_str())
        < 0)
        return Error::from_syscall("mount " + (type.empty() ? std::string() : "-t " + type + " ") + "'" + source + "' on '"
            + target + "'" + (data.empty() ? std::string() : " (" + data + ")"));
    return {};
}

bool is_mount_point(const std::string& path)
{
    if (path == "/")
        return true;
    struct stat self {};
    struct stat parent {};
    if (::stat(path.c_str(), &self) < 0 || ::stat((path + "/..").c_str(), &parent) < 0)
        return false;
    return self.st_dev != parent.st_dev || self.st_ino == parent.st_ino;
}

namespace {

ErrorOr<void> ensure_dir(const std::string& path, mode_t mode)
{
    return mkdir_p(path, mode);
}

ErrorOr<void> mount_if_absent(const std::string& source, const std::string& target, const std::string& type,
    unsigned long flags, const std::string& data = {}, mode_t mode = 0755)
{
    TRY(ensure_dir(target, mode));
    if (is_mount_point(target))
        return {};
    return mount_fs(source, target, type, flags, data);
}

// Deletes everything below the directory `dirfd` on device `device`, leaving
// other file systems mounted inside it alone.
void delete_contents(int dirfd, dev_t device)
{
    DIR* dir = ::fdopendir(::fcntl(dirfd, F_DUPFD_CLOEXEC, 0));
    if (!dir)
        return;
    while (struct dirent* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name == "." || name == "..")
            continue;
        struct stat st {};
        if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != device)
            continue;
        if (S_ISDIR(st.st_mode)) {
            int child = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child >= 0) {
                delete_contents(child, device);
                ::close(child);
            }
            (void)::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR); // a mount point inside stays, busy
        } else {
            (void)::unlinkat(dirfd, name.c_str(), 0); // best effort: what remains only costs memory
        }
    }
    ::closedir(dir);
}

} // namespace

ErrorOr<void> mount_early_filesystems()
{
    TRY(mount_if_absent("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"));
    TRY(mount_if_absent("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666"));
    TRY(mount_if_absent("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=65536k", 01777));
    TRY(mount_if_absent("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC));
    TRY(mount_if_absent("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC));
    TRY(mount_if_absent("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC));
    TRY(mount_if_absent("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"));
    TRY(mount_if_absent("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate"));
    // Kernel interfaces that are there only when mounted.
    (void)mount_if_absent("securityfs", "/sys/kernel/security", "securityfs", MS_NOSUID | MS_NODEV | MS_NOEXEC);
    (void)mount_if_absent("debugfs", "/sys/kernel/debug", "debugfs", MS_NOSUID | MS_NODEV | MS_NOEXEC);
    (void)mount_if_absent("bpf", "/sys/fs/bpf", "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700");
    // /dev/fd and friends, which devtmpfs does not make.
    (void)::symlink("/proc/self/fd", "/dev/fd");
    (void)::symlink("/proc/self/fd/0", "/dev/stdin");
    (void)::symlink("/proc/self/fd/1", "/dev/stdout");
    (void)::symlink("/proc/self/fd/2", "/dev/stderr");
    return {};
}

ErrorOr<LoopDevice> attach_loop(const std::string& file)
{
    Fd control = TRY(sys::open("/dev/loop-control", O_RDWR));
    int number = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (number < 0)
        return Error::from_syscall("ioctl LOOP_CTL_GET_FREE");
    std::string device = "/dev/loop" + std::to_string(number);
    Fd backing = TRY(sys::open(file, O_RDONLY));
    Fd loop = TRY(sys::open(device, O_RDONLY));
    struct loop_config config {};
    config.fd = static_cast<uint32_t>(backing.get());
    config.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
    if (::ioctl(loop.get(), LOOP_CONFIGURE, &config) < 0)
        return Error::from_syscall("ioctl LOOP_CONFIGURE '" + device + "' '" + file + "'");
    // The loop device keeps its own reference to the file.
    return LoopDevice { device, std::move(loop) };
}

ErrorOr<void> switch_root(const std::string& new_root)
{
    for (auto const* dir : { "/dev", "/proc", "/sys", "/run" }) {
        std::string target = new_root + dir;
        TRY(ensure_dir(target, 0755));
        TRY(mount_fs(dir, target, {}, MS_MOVE));
    }
    struct stat root {};
    if (::stat("/", &root) < 0)
        return Error::from_syscall("stat '/'");
    Fd top = TRY(sys::open("/", O_RDONLY | O_DIRECTORY));
    delete_contents(top.get(), root.st_dev);
    if (::chdir(new_root.c_str()) < 0)
        return Error::from_syscall("chdir '" + new_root + "'");
    TRY(mount_fs(".", "/", {}, MS_MOVE));
    if (::chroot(".") < 0)
        return Error::from_syscall("chroot '" + new_root + "'");
    if (::chdir("/") < 0)
        return Error::from_syscall("chdir '/'");
    return {};
}

} // namespace corral::init
