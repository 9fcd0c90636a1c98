#include "init/boot_chain.h"

#include "base/file.h"
#include "base/log.h"
#include "base/process.h"
#include "base/strings.h"
#include "base/system.h"
#include "config/docker_args.h"
#include "config/yaml.h"
#include "config/loader.h"
#include "init/block_devices.h"
#include "init/filesystems.h"
#include "init/kernel_modules.h"
#include "init/new_root.h"
#include "init/preload.h"
#include "init/system_setup.h"

#include <cstdio>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <functional>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace corral::init {

namespace {

constexpr const char* MEDIA_LABEL = "CorralOS";
constexpr const char* MEDIA_DIR = "/run/corral/media";
constexpr const char* PRELOAD_DIR = "/run/corral/preload";
constexpr const char* MODULES_DIR = "/run/corral/modules";
constexpr const char* INITRAMFS_IMAGES = "/corralos";
constexpr const char* USER_IMAGES_DIR = "/run/corral/user-images";
constexpr const char* SYSTEM_STORE = "/var/lib/system-docker/image";

std::string kernel_release()
{
    struct utsname u {};
    ::uname(&u);
    return u.release;
}

config::LoadedConfig load(const config::Paths& paths)
{
    auto loaded = config::load_config(paths);
    for (auto const& skipped : loaded.skipped)
        log::error("config: " + skipped);
    for (auto const& d : loaded.diagnostics)
        log::warn("config: " + d.describe());
    return loaded;
}

enum class WhenMissing {
    Warn,
    Defer, // the initrd has few modules: the rest load once modules.sqfs is mounted
};

void load_modules(const config::RancherConfig& rancher, WhenMissing missing = WhenMissing::Warn)
{
    std::string dir = "/lib/modules/" + kernel_release();
    if (::access((std::string(MODULES_DIR) + "/modules.dep").c_str(), F_OK) == 0)
        dir = MODULES_DIR;
    auto loader = ModuleLoader::open(dir);
    if (loader.is_error()) {
        log::warn("modules: " + loader.error().message());
        return;
    }
    std::vector<std::pair<std::string, std::string>> wanted;
    if (auto list = read_file(dir + "/corral.modules"); !list.is_error()) {
        for (auto const& line : split(list.value(), '\n')) {
            if (!line.empty() && line[0] != '#')
                wanted.push_back({ line, {} });
        }
    }
    // rancher.modules: "name [param=value …]" each.
    for (auto const& entry : rancher.modules) {
        auto space = entry.find(' ');
        wanted.push_back({ entry.substr(0, space), space == std::string::npos ? "" : entry.substr(space + 1) });
    }
    for (auto const& [name, params] : wanted) {
        auto loaded = loader.value().load(name, params);
        if (loaded.is_error() && !(missing == WhenMissing::Defer && loaded.error().code() == ENOENT))
            log::warn("modules: " + loaded.error().message());
    }
}

void mount_oem(const config::StateConfig& state)
{
    std::string spec = state.oem_dev.empty() ? "LABEL=RANCHER_OEM" : state.oem_dev;
    auto device = resolve_device(spec);
    if (!device)
        return; // most machines have none
    std::string target = "/usr/share/ros/oem";
    (void)mkdir_p(target, 0755);
    auto type = filesystem_type(*device);
    if (type.is_error()) {
        log::warn("OEM partition " + *device + ": " + type.error().message());
        return;
    }
    if (auto mounted = mount_fs(*device, target, type.value(), MS_RDONLY); mounted.is_error())
        log::warn("OEM partition: " + mounted.error().message());
}

// The preloaded system images: images.sqfs in the initramfs (PXE) or on the
// boot medium labelled CorralOS (the ISO), mounted read-only on PRELOAD_DIR.
ErrorOr<std::string> mount_preload()
{
    std::string images = std::string(INITRAMFS_IMAGES) + "/images.sqfs";
    std::string modules = std::string(INITRAMFS_IMAGES) + "/modules.sqfs";
    std::string user_images = std::string(INITRAMFS_IMAGES) + "/user-images";
    if (::access(images.c_str(), F_OK) != 0) {
        // The CD drive appears a moment after its driver loads.
        auto device = wait_for_device(std::string("LABEL=") + MEDIA_LABEL, std::chrono::milliseconds(10000));
        if (!device)
            return Error::from_string(std::string("no boot medium labelled ") + MEDIA_LABEL
                    + " and no /corralos/images.sqfs in the initramfs: the system images are missing",
                ENOENT);
        TRY(mkdir_p(MEDIA_DIR, 0755));
        if (!is_mount_point(MEDIA_DIR)) {
            auto type = filesystem_type(*device);
            TRY(mount_fs(*device, MEDIA_DIR, type.is_error() ? "iso9660" : type.value(), MS_RDONLY));
        }
        images = std::string(MEDIA_DIR) + "/corralos/images.sqfs";
        modules = std::string(MEDIA_DIR) + "/corralos/modules.sqfs";
        user_images = std::string(MEDIA_DIR) + "/corralos/user-images";
    }
    TRY(mkdir_p(PRELOAD_DIR, 0755));
    if (!is_mount_point(PRELOAD_DIR)) {
        LoopDevice loop = TRY(attach_loop(images));
        TRY(mount_fs(loop.path, PRELOAD_DIR, "squashfs", MS_RDONLY | MS_NODEV | MS_NOSUID));
    }
    // The kernel modules: without them the system still boots, with what the
    // initrd has (no netfilter, so the user engine will not start).
    TRY(mkdir_p(MODULES_DIR, 0755));
    if (!is_mount_point(MODULES_DIR)) {
        auto loop = attach_loop(modules);
        if (loop.is_error())
            log::error("kernel modules: " + loop.error().message());
        else if (auto mounted = mount_fs(loop.value().path, MODULES_DIR, "squashfs", MS_RDONLY | MS_NODEV | MS_NOSUID);
                 mounted.is_error())
            log::error("kernel modules: " + mounted.error().message());
    }
    // The user engine's test and preload images: links into the medium, or a
    // copy out of the initramfs, which the root switch empties.
    if (::access(user_images.c_str(), F_OK) == 0) {
        if (user_images.starts_with(MEDIA_DIR)) {
            (void)::symlink(user_images.c_str(), USER_IMAGES_DIR);
        } else {
            SpawnOptions copy;
            copy.argv = { "cp", "-a", user_images, USER_IMAGES_DIR };
            (void)run(copy); // without them the user engine only starts empty
        }
    }
    return images;
}

void link_user_images()
{
    std::string target_dir = "/var/lib/rancher/preload/docker";
    (void)mkdir_p(target_dir, 0755);
    for (auto const& name : list_dir(USER_IMAGES_DIR)) {
        std::string link = target_dir + "/" + name;
        (void)::unlink(link.c_str()); // replaced: the medium may have changed
        (void)::symlink((std::string(USER_IMAGES_DIR) + "/" + name).c_str(), link.c_str());
    }
}

void save_elided(const config::Paths& paths, const std::vector<std::string>& elided)
{
    std::string path = paths.cloud_config_dir() + "/init.yml";
    if (elided.empty()) {
        (void)::unlink(path.c_str()); // nothing to carry: no stale file either
        return;
    }
    std::string joined;
    for (auto const& word : elided)
        joined += (joined.empty() ? "" : " ") + word;
    config::Node tree = config::Node::map();
    tree.set("EXTRA_CMDLINE", config::Node::string(joined));
    (void)mkdir_p(paths.cloud_config_dir(), 0700);
    if (auto written = write_file_atomic(path, config::emit_yaml(tree), 0600, KeepMode::No); written.is_error())
        log::error("saving the elided kernel parameters: " + written.error().message());
}

} // namespace

ErrorOr<BootResult> run_boot_chain(const BootOptions& options)
{
    config::Paths paths = config::Paths::from_environment();
    BootResult result;
    config::LoadedConfig cfg;
    ErrorOr<void> failed = {};

    struct Step {
        const char* name;
        std::function<ErrorOr<void>()> run;
    };
    std::vector<Step> steps = {
        { "mount file systems", [&]() -> ErrorOr<void> { return mount_early_filesystems(); } },
        { "read the configuration", [&]() -> ErrorOr<void> {
             save_elided(paths, options.elided);
             cfg = load(paths);
             result.debug = cfg.typed.rancher.debug;
             if (result.debug)
                 log::set_level(LogLevel::Debug);
             return {};
         } },
        { "load modules", [&]() -> ErrorOr<void> {
             load_modules(cfg.typed.rancher, WhenMissing::Defer);
             return {};
         } },
        { "mount OEM", [&]() -> ErrorOr<void> {
             mount_oem(cfg.typed.rancher.state);
             return {};
         } },
        { "mount the system images and modules", [&]() -> ErrorOr<void> {
             TRY(mount_preload());
             load_modules(cfg.typed.rancher);
             return {};
         } },
        { "mount the state disk and switch root", [&]() -> ErrorOr<void> {
             auto const& state = cfg.typed.rancher.state;
             RootPlan plan = TRY(plan_root(state));
             log::info(plan.message);
             return enter_root(plan, state, options.version,
                 cfg.typed.rancher.rm_usr ? ReplaceUsr::Yes : ReplaceUsr::No);
         } },
        { "prepare the root", [&]() -> ErrorOr<void> {
             TRY(prepare_root());
             if (is_mount_point(MODULES_DIR)) {
                 // udev, modprobe and the engines look in /lib/modules.
                 std::string target = "/lib/modules/" + kernel_release();
                 TRY(mkdir_p(target, 0755));
                 TRY(mount_fs(MODULES_DIR, target, {}, MS_BIND));
             }
             (void)mkdir_p("/var/log/boot", 0755);
             if (auto opened = log::open_file("/var/log/boot/init.log"); opened.is_error())
                 log::warn(opened.error().message());
             save_elided(paths, options.elided);
             return {};
         } },
        { "cloud-init", [&]() -> ErrorOr<void> {
             run_cloud_init_save();
             cfg = load(paths);
             result.debug = result.debug || cfg.typed.rancher.debug;
             load_modules(cfg.typed.rancher);
             return {};
         } },
        { "recovery console", [&]() -> ErrorOr<void> {
             result.recovery = cfg.typed.rancher.recovery;
             return {};
         } },
        { "apply kernel settings and hostname", [&]() -> ErrorOr<void> {
             apply_system_settings(cfg.typed);
             return {};
         } },
        { "preload the system images", [&]() -> ErrorOr<void> {
             SeedReport seeded = TRY(seed_store(PRELOAD_DIR, SYSTEM_STORE));
             log::info("system images: " + std::to_string(seeded.images.size()) + " images, "
                 + std::to_string(seeded.layers_linked) + " layers linked from " + PRELOAD_DIR);
             link_user_images();
             return {};
         } },
        { "configure the system engine", [&]() -> ErrorOr<void> {
             auto args = config::docker_daemon_args(cfg.typed.rancher.system_docker);
             result.system_dockerd_args = { "system-dockerd" };
             result.system_dockerd_args.insert(result.system_dockerd_args.end(), args.begin(), args.end());
             result.system_docker_log = result.debug ? "" : cfg.typed.rancher.defaults.system_docker_logs;
             result.shutdown_timeout = cfg.typed.rancher.shutdown_timeout;
             return prepare_engine_paths(cfg.typed.rancher.system_docker);
         } },
    };

    size_t total = steps.size();
    for (size_t i = 0; i < total; ++i) {
        struct timespec now {};
        ::clock_gettime(CLOCK_BOOTTIME, &now);
        char at[32];
        std::snprintf(at, sizeof at, " (%.2f s)", static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9);
        log::info("[" + std::to_string(i + 1) + "/" + std::to_string(total) + "] " + steps[i].name + at);
        auto done = steps[i].run();
        if (done.is_error())
            return done.release_error().context(steps[i].name);
        if (result.recovery)
            break;
    }
    return result;
}

} // namespace corral::init
