#pragma once

// `autologin <user>:<tty>` and `recovery` (reference §7, §9.10): what agetty runs
// instead of login(1) on a tty named by rancher.autologin
// (`agetty -n -l /usr/bin/autologin -o rancher:tty1`). It makes the terminal sane,
// prints a banner and `Autologin <tty>`, then execs `login -f <user>`. Started as
// `recovery` it execs a root login shell (bash, else sh) whose prompt says
// "[Recovery console user@host:dir]".

#include <string>
#include <string_view>
#include <termios.h>
#include <vector>

namespace corral::cli {

int autologin_main(int argc, char** argv);

// What `stty sane` sets, applied to `t` (the flags only; the speed is kept).
void make_sane(struct termios& t);

struct AutologinTarget {
    std::string user; // "rancher"; "root" when not given
    std::string tty; // "tty1"; empty when not given
};

// "rancher:tty1" → {rancher, tty1}; "" → {root, ""}.
AutologinTarget parse_autologin_target(std::string_view argument);

// The banner: "CorralOS <version> <arch>, Linux <release>, <hostname> <tty>" on a
// line framed by blank lines.
std::string autologin_banner(std::string_view version, std::string_view arch, std::string_view kernel,
    std::string_view hostname, std::string_view tty);

enum class LoginMode {
    Login, // autologin: login -f <user>
    Recovery, // recovery: a root shell
};

// The program and arguments to exec, and the variables to set for it.
struct LoginCommand {
    std::vector<std::string> argv;
    std::vector<std::string> env; // "K=V" to add
};
LoginCommand login_command(LoginMode mode, const AutologinTarget& target, std::string_view hostname, bool have_bash);

} // namespace corral::cli
