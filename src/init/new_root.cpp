#include "init/new_root.h"

#include "base/file.h"
#include "base/process.h"
#include "base/system.h"
#include "init/block_devices.h"
#include "init/filesystems.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace corral::init {

namespace {

ErrorOr<void> run_program(std::vector<std::string> argv)
{
    SpawnOptions options;
    options.argv = std::move(argv);
    std::string shown = options.argv.front();
    auto result = TRY(run(options));
    if (result.status.code() != 0) {
        std::string err = result.err.empty() ? result.out : result.err;
        while (!err.empty() && err.back() == '\n')
            err.pop_back();
        return Error::from_string(shown + ": " + result.status.describe() + (err.empty() ? "" : ": " + err), EIO);
    }
    return {};
}

ErrorOr<bool> try_autoformat(const std::vector<std::string>& candidates, std::string& message)
{
    for (auto const& device : candidates) {
        struct stat st {};
        if (::stat(device.c_str(), &st) < 0 || !S_ISBLK(st.st_mode))
            continue;
        auto zero = starts_with_zeros(device);
        if (zero.is_error()) {
            message += "autoformat: " + zero.error().message() + "; ";
            continue;
        }
        if (!zero.value()) {
            message += "autoformat: " + device + " is not blank, left alone; ";
            continue;
        }
        TRY_CONTEXT(run_program({ "mkfs.ext4", "-q", "-F", "-L", STATE_LABEL, device }), "formatting " + device);
        message += "formatted " + device + " as ext4 labelled " + STATE_LABEL + "; ";
        return true;
    }
    return false;
}

ErrorOr<void> ensure_symlink(const std::string& target, const std::string& path)
{
    char current[4096];
    ssize_t n = ::readlink(path.c_str(), current, sizeof current - 1);
    if (n >= 0 && std::string(current, static_cast<size_t>(n)) == target)
        return {};
    struct stat st {};
    if (n < 0 && ::lstat(path.c_str(), &st) == 0)
        return {}; // a real file or directory the user made: left alone
    std::string temp = path + ".tmp-" + random_suffix();
    if (::symlink(target.c_str(), temp.c_str()) < 0)
        return Error::from_syscall("symlink '" + target + "' '" + temp + "'");
    return sys::rename(temp, path);
}

// Copies the initramfs /usr to <root>/usr-<version> once: a later boot of the
// same release finds it and copies nothing (RancherOS §1.2 step 12.4).
ErrorOr<void> install_usr(const std::string& root, const std::string& version, bool fresh)
{
    std::string final_dir = root + "/usr-" + version;
    if (fresh || ::access(final_dir.c_str(), F_OK) != 0) {
        std::string temp = root + "/.usr-" + version + "-" + random_suffix();
        TRY_CONTEXT(run_program({ "cp", "-a", "/usr", temp }), "copying /usr to the new root");
        if (fresh)
            (void)remove_tree(final_dir); // rancher.rm_usr: replace it
        TRY(sys::rename(temp, final_dir));
    }
    return ensure_symlink("usr-" + version, root + "/usr");
}

} // namespace

ErrorOr<RootPlan> plan_root(const config::StateConfig& state)
{
    RootPlan plan;
    if (state.dev.empty()) {
        plan.message = "no state device configured (rancher.state.dev): running from memory";
        return plan;
    }
    auto wait = state.wait ? std::chrono::milliseconds(30000) : std::chrono::milliseconds(0);
    auto device = wait_for_device(state.dev, wait);
    if (!device && !state.autoformat.empty()) {
        auto formatted = try_autoformat(state.autoformat, plan.message);
        if (formatted.is_error()) {
            if (state.required)
                return formatted.release_error();
            plan.message += formatted.error().message() + "; ";
        } else if (formatted.value()) {
            // The new label is visible to libblkid at once.
            device = wait_for_device(state.dev, std::chrono::milliseconds(5000));
        }
    }
    if (!device) {
        std::string why = "state device " + state.dev + " not found";
        if (state.required)
            return Error::from_string(plan.message + why + " and rancher.state.required is set", ENODEV);
        plan.message += why + ": running from memory";
        return plan;
    }
    plan.kind = RootKind::StateDisk;
    plan.device = *device;
    plan.message += "state device " + state.dev + " is " + *device;
    return plan;
}

ErrorOr<void> enter_root(
    const RootPlan& plan, const config::StateConfig& state, const std::string& version, ReplaceUsr replace_usr)
{
    TRY(mkdir_p(NEW_ROOT, 0755));
    if (plan.kind == RootKind::StateDisk) {
        std::string type = state.fstype;
        if (type.empty() || type == "auto")
            type = TRY(filesystem_type(plan.device));
        TRY(mount_fs(plan.device, NEW_ROOT, type, 0));
        if (!state.directory.empty()) {
            std::string dir = std::string(NEW_ROOT) + "/" + state.directory;
            TRY(mkdir_p(dir, 0755));
            TRY(mount_fs(dir, NEW_ROOT, {}, MS_BIND));
        }
    } else {
        TRY(mount_fs("tmpfs", NEW_ROOT, "tmpfs", 0, "mode=0755"));
    }
    std::string root = NEW_ROOT;
    TRY(install_usr(root, version, replace_usr == ReplaceUsr::Yes && plan.kind == RootKind::StateDisk));
    for (auto const& [link, target] : { std::pair { "bin", "usr/bin" }, std::pair { "sbin", "usr/sbin" },
             std::pair { "lib", "usr/lib" }, std::pair { "lib64", "usr/lib64" } }) {
        if (::access(("/usr/" + std::string(target).substr(4)).c_str(), F_OK) == 0)
            TRY(ensure_symlink(target, root + "/" + link));
    }
    for (auto const* dir : { "/etc", "/var", "/home", "/opt", "/mnt", "/media", "/root", "/dev", "/proc", "/sys", "/run" })
        TRY(mkdir_p(root + dir, 0755));
    TRY(mkdir_p(root + "/tmp", 01777));
    (void)::chmod((root + "/tmp").c_str(), 01777);
    (void)::chmod((root + "/root").c_str(), 0700);
    // /etc from the initramfs where the root lacks it; what is there already
    // (a previous boot's, or the user's) is kept.
    TRY_CONTEXT(run_program({ "cp", "-a", "-n", "/etc/.", root + "/etc/" }), "copying /etc to the new root");
    return switch_root(NEW_ROOT);
}

} // namespace corral::init
