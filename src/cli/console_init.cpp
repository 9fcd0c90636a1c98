#include "cli/console_init.h"

#include "base/file.h"
#include "base/log.h"
#include "base/process.h"
#include "base/strings.h"
#include "base/system.h"
#include "cli/config_common.h"
#include "cloudinit/accounts.h"
#include "cloudinit/apply_console.h"
#include "cloudinit/console_setup.h"
#include "cloudinit/files.h"
#include "config/keypath.h"

#include <algorithm>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CORRAL_VERSION
#    define CORRAL_VERSION "dev"
#endif

namespace corral::cli {

namespace {

constexpr int SYSLOG_ACTION_CONSOLE_OFF = 6; // klogctl(2)
constexpr const char* START_SCRIPT = "/opt/rancher/bin/start.sh";
constexpr const char* RC_LOCAL = "/etc/rc.local";
constexpr const char* CONSOLE_DONE = "/run/console-done";
constexpr const char* RESPAWN_CONF = "/etc/respawn.conf";

bool exists(const std::string& path)
{
    struct stat st { };
    return ::stat(path.c_str(), &st) == 0;
}

bool is_real_root(const config::Paths& paths)
{
    return paths.root == "/";
}

void console_off(const config::Paths& paths, cloudinit::Report& report)
{
    if (!is_real_root(paths))
        return;
    // The kernel's messages would otherwise land on top of the login prompts.
    if (::klogctl(SYSLOG_ACTION_CONSOLE_OFF, nullptr, 0) < 0)
        report.warn(std::string("klogctl SYSLOG_ACTION_CONSOLE_OFF: ") + std::strerror(errno));
}

void make_homes(const config::Paths& paths, const cloudinit::Accounts& accounts, cloudinit::Report& report)
{
    for (const char* name : { "rancher", "docker" }) {
        auto const* user = accounts.user(name);
        if (!user) {
            report.error(std::string("no user ") + name + " in /etc/passwd: not making its home");
            continue;
        }
        if (user->home.empty() || user->home[0] != '/')
            continue;
        std::string home = paths.under_root(user->home);
        if (exists(home))
            continue;
        auto made = mkdir_p(home, 0755);
        if (made.is_error()) {
            report.error("home of " + std::string(name) + ": " + made.error().message());
            continue;
        }
        if (::geteuid() == 0 && ::chown(home.c_str(), user->uid, user->gid) < 0)
            report.error("chown " + home + ": " + std::strerror(errno));
    }
}

void make_run_files(const config::Paths& paths, const cloudinit::Accounts& accounts, cloudinit::Report& report)
{
    std::string utmp = paths.under_root("/run/utmp");
    if (!exists(utmp)) {
        auto made = mkdir_p(path_dirname(utmp), 0755);
        auto fd = made.is_error() ? ErrorOr<Fd>(made.release_error()) : sys::open(utmp, O_WRONLY | O_CREAT, 0664);
        if (fd.is_error()) {
            report.error("/run/utmp: " + fd.error().message());
        } else {
            (void)sys::fchmod(fd->get(), 0664); // the umask may have narrowed it; login copes either way
            if (auto const* group = accounts.group("utmp"); group && ::geteuid() == 0)
                (void)sys::fchown(fd->get(), 0, group->gid); // as above
        }
    }
    std::string lock = paths.under_root("/run/lock");
    if (auto made = mkdir_p(lock, 01777); made.is_error())
        report.error("/run/lock: " + made.error().message());
    else
        (void)::chmod(lock.c_str(), 01777); // mkdir applied the umask; a failure leaves a working 0755
}

// The kernel command line console-init reads: /proc/cmdline, then the elided
// arguments init saved (EXTRA_CMDLINE), which is where a password belongs.
std::string kernel_cmdline(const config::Paths& paths, const config::CloudConfig& config)
{
    auto text = read_file(paths.cmdline(), 1024 * 1024);
    std::string out = text.is_error() ? std::string() : std::string(trim(*text));
    if (!config.extra_cmdline.empty())
        out += " " + config.extra_cmdline;
    return out;
}

void set_password(const config::Paths& paths, const config::CloudConfig& config,
    const cloudinit::ConsoleCmdline& cmdline, cloudinit::Report& report)
{
    if (!cmdline.password || cmdline.password->empty())
        return;
    auto const& disable = config.rancher.disable;
    if (std::find(disable.begin(), disable.end(), "password") != disable.end()) {
        report.info("rancher.password: ignored, rancher.disable has password");
        return;
    }
    if (!is_real_root(paths)) {
        report.info("rancher.password: not set (ROS_ROOT is not /)");
        return;
    }
    if (cmdline.password->find('\n') != std::string::npos) {
        report.error("rancher.password: a password cannot hold a newline");
        return;
    }
    SpawnOptions options;
    options.argv = { "/usr/sbin/chpasswd" };
    auto ran = run(options, "rancher:" + *cmdline.password + "\n");
    if (ran.is_error())
        report.error("rancher.password: " + ran.error().message());
    else if (ran->status.code() != 0)
        report.error(
            "rancher.password: chpasswd failed (" + ran->status.describe() + "): " + std::string(trim(ran->err)));
    else
        report.info("rancher.password: set the password of rancher");
}

void setup_ssh(const config::Paths& paths, const config::CloudConfig& config, cloudinit::Report& report)
{
    auto generated = cloudinit::ensure_host_keys(paths, config.rancher.ssh.keys, report);
    if (!generated.empty()) {
        auto persisted = persist_host_keys(paths, generated);
        if (persisted.is_error())
            report.error("saving the new ssh host keys in rancher.ssh.keys: " + persisted.error().message());
        else
            report.info("saved the new ssh host keys in rancher.ssh.keys");
    }
    // sshd's privilege separation directory: Debian's sshd wants /run/sshd, the
    // RancherOS consoles had /var/run/sshd; they are one directory when /var/run
    // links to /run.
    for (const char* dir : { "/run/sshd", "/var/run/sshd" }) {
        std::string path = paths.under_root(dir);
        if (auto made = mkdir_p(path, 0755); made.is_error())
            report.error(std::string(dir) + ": " + made.error().message());
    }
}

std::vector<std::string> present_ttys(const config::Paths& paths)
{
    std::vector<std::string> out;
    for (int i = 1; i <= 6; ++i) {
        std::string tty = "tty" + std::to_string(i);
        if (exists(paths.under_root("/dev/" + tty)))
            out.push_back(tty);
    }
    for (const char* serial : cloudinit::SERIAL_TTYS) {
        if (exists(paths.under_root("/dev/" + std::string(serial))))
            out.push_back(serial);
    }
    return out;
}

std::string respawn_conf_d(const config::Paths& paths, cloudinit::Report& report)
{
    std::string dir = paths.under_root("/etc/respawn.conf.d");
    DIR* handle = ::opendir(dir.c_str());
    if (!handle) {
        if (errno != ENOENT)
            report.error("opendir " + dir + ": " + std::strerror(errno));
        return {};
    }
    std::vector<std::string> names;
    while (auto* entry = ::readdir(handle)) {
        if (entry->d_name[0] != '.')
            names.emplace_back(entry->d_name);
    }
    ::closedir(handle);
    std::sort(names.begin(), names.end());
    std::string out;
    for (auto const& name : names) {
        auto text = read_file(dir + "/" + name, 1024 * 1024);
        if (text.is_error()) {
            report.error(text.error().message());
            continue;
        }
        out += *text;
        if (!out.empty() && out.back() != '\n')
            out += '\n';
    }
    return out;
}

void write_text(const config::Paths& paths, const std::string& file, const std::string& text, mode_t mode,
    cloudinit::Report& report)
{
    std::string path = paths.under_root(file);
    auto made = mkdir_p(path_dirname(path), 0755);
    auto written = made.is_error() ? ErrorOr<void>(made.release_error()) : cloudinit::install_file(path, text, mode);
    if (written.is_error())
        report.error(file + ": " + written.error().message());
}

void write_console_files(const config::Paths& paths, const config::CloudConfig& config, const std::string& cmdline,
    cloudinit::Report& report)
{
    std::string respawn = cloudinit::respawn_conf(cmdline, config, present_ttys(paths));
    respawn += respawn_conf_d(paths, report);
    write_text(paths, RESPAWN_CONF, respawn, 0644, report);

    write_text(
        paths, "/etc/issue", cloudinit::issue_text(CORRAL_VERSION, cloudinit::interface_addresses()), 0644, report);
    if (auto profile = cloudinit::path_profile(config.rancher.environment))
        write_text(paths, "/etc/profile.d/path.sh", *profile, 0755, report);
    if (auto profile = cloudinit::proxy_profile(config.rancher.environment))
        write_text(paths, "/etc/profile.d/proxy.sh", *profile, 0755, report);

    std::string os_release = "/usr/share/ros/os-release";
    if (exists(paths.under_root(os_release))) {
        for (const char* link : { "/usr/lib/os-release", "/etc/os-release" }) {
            std::string path = paths.under_root(link);
            (void)::unlink(path.c_str()); // a missing file is the same as a removed one
            (void)mkdir_p(path_dirname(path), 0755); // symlink() below reports a missing directory
            if (::symlink(os_release.c_str(), path.c_str()) < 0)
                report.error(std::string("symlink ") + link + ": " + std::strerror(errno));
        }
    }
}

// Runs a script when any execute bit is set: directly when it starts with "#!",
// else through /bin/sh (RancherOS's util.RunScript).
void run_script(const config::Paths& paths, const std::string& file, cloudinit::Report& report)
{
    std::string path = paths.under_root(file);
    struct stat st { };
    if (::stat(path.c_str(), &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
        return;
    auto head = read_file(path, 1024 * 1024);
    bool shebang = !head.is_error() && head->starts_with("#!");
    SpawnOptions options;
    options.argv = shebang ? std::vector<std::string> { path } : std::vector<std::string> { "/bin/sh", path };
    options.in = Stdio::Null;
    report.info("running " + file);
    auto child = Child::spawn(options);
    if (child.is_error()) {
        report.error(file + ": " + child.error().message());
        return;
    }
    auto status = child->wait();
    if (status.is_error())
        report.error(file + ": " + status.error().message());
    else if (status->code() != 0)
        report.error(file + ": " + status->describe());
    else
        report.info(file + ": " + status->describe());
}

} // namespace

ErrorOr<void> persist_host_keys(const config::Paths& paths, const std::map<std::string, std::string>& keys)
{
    config::Node tree = TRY(read_user_config(paths));
    for (auto const& [name, value] : keys)
        TRY(config::set_path(tree, { "rancher", "ssh", "keys", name }, config::Node::string(value)));
    return write_user_config(paths, tree);
}

void prepare_console(const config::Paths& paths, const config::LoadedConfig& loaded, cloudinit::Report& report)
{
    auto const& config = loaded.typed;
    console_off(paths, report);

    auto accounts = cloudinit::Accounts::load(paths);
    if (accounts.is_error())
        report.error("reading the users and groups: " + accounts.error().message());
    cloudinit::Accounts users = accounts.is_error() ? cloudinit::Accounts() : accounts.release_value();
    make_homes(paths, users, report);
    make_run_files(paths, users, report);

    std::string cmdline = kernel_cmdline(paths, config);
    set_password(paths, config, cloudinit::parse_console_cmdline(cmdline), report);
    setup_ssh(paths, config, report);
    write_console_files(paths, config, cmdline, report);

    cloudinit::apply_console(paths, config, report);
    run_script(paths, "/var/lib/rancher/conf/cloud-config-script", report);
    run_script(paths, START_SCRIPT, report);

    std::string console = config.rancher.console.empty() ? std::string("default") : config.rancher.console;
    write_text(paths, CONSOLE_DONE, console + "\n", 0644, report);
    run_script(paths, RC_LOCAL, report);
}

int console_init(const config::Paths& paths)
{
    log::set_program("console-init");
    if (mkdir_p(paths.under_root("/var/log/boot"), 0755).is_error()
        || log::open_file(paths.under_root("/var/log/boot/console-init.log")).is_error())
        log::warn("cannot open /var/log/boot/console-init.log; logging to stderr only");
    auto loaded = config::load_config(paths);
    report_load_problems(loaded);
    cloudinit::Report report([](LogLevel level, const std::string& message) { log::write(level, message); });
    prepare_console(paths, loaded, report);

    std::string conf = paths.under_root(RESPAWN_CONF);
    ::setenv("TERM", "linux", 1);
    log::info("starting respawn -f " + conf);
    log::close_sinks();
    // /proc/self/exe is this very binary, which runs respawn when started under
    // that name; /usr/bin/respawn is the same program through its applet link.
    const char* argv[] = { "respawn", "-f", conf.c_str(), nullptr };
    ::execv("/proc/self/exe", const_cast<char* const*>(argv));
    ::execv("/usr/bin/respawn", const_cast<char* const*>(argv));
    log::error(std::string("exec respawn: ") + std::strerror(errno));
    return 1;
}

} // namespace corral::cli
