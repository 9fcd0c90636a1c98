#include "cli/autologin.h"

#include "base/log.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef CORRAL_VERSION
#    define CORRAL_VERSION "dev"
#endif

namespace corral::cli {

void make_sane(struct termios& t)
{
    // As stty(1) "sane": cread -ignbrk brkint -inlcr -igncr icrnl -ixoff -iuclc
    // -ixany imaxbel opost -olcuc -ocrnl onlcr -onocr -onlret -ofill -ofdel nl0 cr0
    // tab0 bs0 vt0 ff0 isig icanon iexten echo echoe echok -echonl -noflsh -xcase
    // -tostop -echoprt echoctl echoke, and the usual control characters.
    t.c_cflag |= CREAD;
    t.c_iflag &= ~(IGNBRK | INLCR | IGNCR | IXOFF | IUCLC | IXANY);
    t.c_iflag |= BRKINT | ICRNL | IMAXBEL;
    t.c_oflag &= ~(OLCUC | OCRNL | ONOCR | ONLRET | OFILL | OFDEL | NLDLY | CRDLY | TABDLY | BSDLY | VTDLY | FFDLY);
    t.c_oflag |= OPOST | ONLCR;
    t.c_lflag &= ~(ECHONL | NOFLSH | XCASE | TOSTOP | ECHOPRT);
    t.c_lflag |= ISIG | ICANON | IEXTEN | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE;
    t.c_cc[VINTR] = 003; // ^C
    t.c_cc[VQUIT] = 034; // ^backslash
    t.c_cc[VERASE] = 0177; // DEL
    t.c_cc[VKILL] = 025; // ^U
    t.c_cc[VEOF] = 004; // ^D
    t.c_cc[VSTART] = 021; // ^Q
    t.c_cc[VSTOP] = 023; // ^S
    t.c_cc[VSUSP] = 032; // ^Z
    t.c_cc[VREPRINT] = 022; // ^R
    t.c_cc[VWERASE] = 027; // ^W
    t.c_cc[VLNEXT] = 026; // ^V
    t.c_cc[VDISCARD] = 017; // ^O
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
}

AutologinTarget parse_autologin_target(std::string_view argument)
{
    AutologinTarget out;
    size_t colon = argument.find(':');
    out.user = std::string(argument.substr(0, colon));
    if (colon != std::string_view::npos)
        out.tty = std::string(argument.substr(colon + 1));
    if (out.user.empty())
        out.user = "root";
    return out;
}

std::string autologin_banner(std::string_view version, std::string_view arch, std::string_view kernel,
    std::string_view hostname, std::string_view tty)
{
    std::string line = "CorralOS " + std::string(version) + " " + std::string(arch) + ", Linux " + std::string(kernel)
        + ", " + std::string(hostname);
    if (!tty.empty())
        line += " " + std::string(tty);
    return "\n" + line + "\n\n";
}

LoginCommand login_command(LoginMode mode, const AutologinTarget& target, std::string_view hostname, bool have_bash)
{
    LoginCommand out;
    if (mode == LoginMode::Login) {
        out.argv = { "login", "-f", target.user };
        return out;
    }
    if (have_bash)
        out.argv = { "bash", "--login" };
    else
        out.argv = { "/bin/sh", "-l" };
    // ${PWD} stays as written: the shell expands it at each prompt.
    out.env.push_back(
        "PROMPT_COMMAND=echo \"[Recovery console " + target.user + "@" + std::string(hostname) + ":${PWD}]\"");
    out.env.push_back("HOME=/root");
    return out;
}

namespace {

bool executable_in_path(const char* name)
{
    const char* path = std::getenv("PATH");
    std::string dirs = path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos)
            end = dirs.size();
        std::string candidate = dirs.substr(start, end - start) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0)
            return true;
        start = end + 1;
    }
    return false;
}

} // namespace

int autologin_main(int argc, char** argv)
{
    std::string_view program = argc > 0 && argv[0] ? argv[0] : "autologin";
    if (auto slash = program.rfind('/'); slash != std::string_view::npos)
        program.remove_prefix(slash + 1);
    LoginMode mode = program == "recovery" ? LoginMode::Recovery : LoginMode::Login;
    log::set_program(program);

    struct termios t { };
    if (::tcgetattr(STDIN_FILENO, &t) == 0) {
        make_sane(t);
        if (::tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0)
            log::warn(std::string("tcsetattr: ") + std::strerror(errno));
    }

    AutologinTarget target = parse_autologin_target(argc > 1 ? argv[1] : "");
    struct utsname uts { };
    (void)::uname(&uts); // cannot fail with a valid buffer
    std::string banner = autologin_banner(CORRAL_VERSION, uts.machine, uts.release, uts.nodename, target.tty);
    std::fputs(banner.c_str(), stdout);
    if (!target.tty.empty())
        std::printf("Autologin %s\n", target.tty.c_str());
    std::fflush(stdout);

    LoginCommand command = login_command(mode, target, uts.nodename, executable_in_path("bash"));
    ::setenv("TERM", std::getenv("TERM") && *std::getenv("TERM") ? std::getenv("TERM") : "linux", 1);
    for (auto const& entry : command.env) {
        size_t equals = entry.find('=');
        ::setenv(entry.substr(0, equals).c_str(), entry.substr(equals + 1).c_str(), 1);
    }
    std::vector<char*> args;
    for (auto& word : command.argv)
        args.push_back(word.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    log::error("exec " + command.argv[0] + ": " + std::strerror(errno));
    return 1;
}

} // namespace corral::cli
