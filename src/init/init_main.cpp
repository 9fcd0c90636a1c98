#include "init/init_main.h"

#include "base/log.h"
#include "init/boot_chain.h"
#include "init/pid1.h"

#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#ifndef CORRAL_VERSION
#    define CORRAL_VERSION "dev"
#endif

namespace corral::init {

namespace {

// The kernel starts init with the console as its stdio only when the
// initramfs has a /dev/console node; with devtmpfs mounted it always has one.
void attach_console()
{
    ::mkdir("/dev", 0755);
    (void)::mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"); // EBUSY when mounted already
    if (::fcntl(1, F_GETFD) >= 0)
        return;
    int fd = ::open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return;
    for (int target = 0; target <= 2; ++target)
        ::dup2(fd, target);
    if (fd > 2)
        ::close(fd);
}

} // namespace

int init_main(int argc, char** argv)
{
    if (::getpid() != 1) {
        std::fprintf(stderr, "init: must run as PID 1 (the kernel starts it); use reboot, poweroff or halt to "
                             "ask init for a power change\n");
        return 1;
    }
    ::umask(022);
    attach_console();
    ::setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
    ::setenv("HOME", "/root", 1);
    ::setenv("TERM", "linux", 0);
    log::set_program("init");

    BootOptions options;
    options.version = CORRAL_VERSION;
    // Parameters after "--" reach init's argv only (RancherOS's "elided" ones).
    bool elided = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (elided)
            options.elided.push_back(arg);
        else if (arg == "--")
            elided = true;
    }
    log::info("CorralOS " + options.version + " booting");
    auto result = run_boot_chain(options);

    Pid1Options pid1;
    pid1.version = options.version;
    if (result.is_error()) {
        pid1.boot_ok = false;
        pid1.boot_error = result.error().message();
        log::error("boot failed: " + pid1.boot_error);
    } else {
        pid1.boot = result.release_value();
    }
    run_pid1(pid1);
}

} // namespace corral::init
