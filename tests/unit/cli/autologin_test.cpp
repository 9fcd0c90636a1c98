// autologin and recovery: the argument, the banner, what is exec'd, and the
// terminal modes of `stty sane`.

#include "cli/autologin.h"

#include <gtest/gtest.h>

using namespace corral::cli;

TEST(Autologin, Target)
{
    auto target = parse_autologin_target("rancher:tty1");
    EXPECT_EQ(target.user, "rancher");
    EXPECT_EQ(target.tty, "tty1");
    target = parse_autologin_target("docker");
    EXPECT_EQ(target.user, "docker");
    EXPECT_EQ(target.tty, "");
    target = parse_autologin_target("");
    EXPECT_EQ(target.user, "root");
    target = parse_autologin_target(":ttyS0");
    EXPECT_EQ(target.user, "root");
    EXPECT_EQ(target.tty, "ttyS0");
}

TEST(Autologin, Banner)
{
    EXPECT_EQ(autologin_banner("v0.1.0", "x86_64", "6.1.0-18-amd64", "rancher", "tty1"),
        "\nCorralOS v0.1.0 x86_64, Linux 6.1.0-18-amd64, rancher tty1\n\n");
    EXPECT_EQ(autologin_banner("v0.1.0", "aarch64", "6.1", "box", ""), "\nCorralOS v0.1.0 aarch64, Linux 6.1, box\n\n");
}

TEST(Autologin, LoginForTheUser)
{
    auto command = login_command(LoginMode::Login, { "rancher", "tty1" }, "box", true);
    EXPECT_EQ(command.argv, (std::vector<std::string> { "login", "-f", "rancher" }));
    EXPECT_TRUE(command.env.empty());
}

TEST(Autologin, RecoveryShellWithItsPrompt)
{
    auto command = login_command(LoginMode::Recovery, { "root", "tty1" }, "box", true);
    EXPECT_EQ(command.argv, (std::vector<std::string> { "bash", "--login" }));
    ASSERT_EQ(command.env.size(), 2u);
    EXPECT_EQ(command.env[0], "PROMPT_COMMAND=echo \"[Recovery console root@box:${PWD}]\"");
    EXPECT_EQ(command.env[1], "HOME=/root");
    auto no_bash = login_command(LoginMode::Recovery, { "root", "" }, "box", false);
    EXPECT_EQ(no_bash.argv, (std::vector<std::string> { "/bin/sh", "-l" }));
}

TEST(Autologin, SaneTerminal)
{
    struct termios t { };
    // A terminal left raw and odd by whatever ran before.
    t.c_iflag = IGNBRK | INLCR | IGNCR | IXOFF;
    t.c_oflag = OCRNL | ONLRET;
    t.c_lflag = ECHONL | TOSTOP;
    t.c_cc[VMIN] = 0;
    make_sane(t);
    EXPECT_EQ(t.c_iflag & (IGNBRK | INLCR | IGNCR | IXOFF), 0u);
    EXPECT_EQ(t.c_iflag & (BRKINT | ICRNL | IMAXBEL), static_cast<tcflag_t>(BRKINT | ICRNL | IMAXBEL));
    EXPECT_EQ(t.c_oflag & (OCRNL | ONLRET), 0u);
    EXPECT_EQ(t.c_oflag & (OPOST | ONLCR), static_cast<tcflag_t>(OPOST | ONLCR));
    EXPECT_EQ(t.c_lflag & (ECHONL | TOSTOP), 0u);
    EXPECT_EQ(t.c_lflag & (ISIG | ICANON | ECHO | ECHOE | ECHOK),
        static_cast<tcflag_t>(ISIG | ICANON | ECHO | ECHOE | ECHOK));
    EXPECT_EQ(t.c_cflag & CREAD, static_cast<tcflag_t>(CREAD));
    EXPECT_EQ(t.c_cc[VINTR], 003);
    EXPECT_EQ(t.c_cc[VERASE], 0177);
    EXPECT_EQ(t.c_cc[VMIN], 1);
}
