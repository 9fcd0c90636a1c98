// Process-level merge rules: command, environment, user, working directory,
// hostname, stop signal.

#include "runtime/signals.h"
#include "runtime/user_lookup.h"
#include "spec_test_input.h"

using namespace corral::runtime;
using namespace corral::runtime::test;

namespace {

using Args = std::vector<std::string>;
using OptArgs = std::optional<Args>;

Args command(OptArgs image_ep, OptArgs image_cmd, OptArgs ep, OptArgs cmd)
{
    auto in = sample_input();
    in.image.entrypoint = std::move(image_ep);
    in.image.cmd = std::move(image_cmd);
    in.config.entrypoint = std::move(ep);
    in.config.cmd = std::move(cmd);
    return build(in).process.args;
}

std::string command_error(OptArgs image_ep, OptArgs image_cmd, OptArgs ep, OptArgs cmd)
{
    auto in = sample_input();
    in.image.entrypoint = std::move(image_ep);
    in.image.cmd = std::move(image_cmd);
    in.config.entrypoint = std::move(ep);
    in.config.cmd = std::move(cmd);
    return build_error(in);
}

Spec with_user(std::string user, std::vector<std::string> group_add = {})
{
    auto in = sample_input();
    in.config.user = std::move(user);
    in.host.group_add = std::move(group_add);
    return build(in);
}

std::string user_error(std::string user, std::vector<std::string> group_add = {})
{
    auto in = sample_input();
    in.config.user = std::move(user);
    in.host.group_add = std::move(group_add);
    return build_error(in);
}

} // namespace

TEST(SpecBuilder, DefaultContainer)
{
    Spec spec = build(sample_input());
    EXPECT_EQ(spec.id, ID);
    EXPECT_EQ(spec.process.args, strings({ "sh" }));
    EXPECT_EQ(spec.process.env,
        strings({ "PATH=/usr/local/bin:/usr/bin:/bin", "HOSTNAME=0123456789ab", "LANG=C.UTF-8", "HOME=/root" }));
    EXPECT_EQ(spec.process.cwd, "/");
    EXPECT_EQ(spec.process.user.uid, 0u);
    EXPECT_EQ(spec.process.user.gid, 0u);
    EXPECT_EQ(spec.process.user.additional_gids, (std::vector<gid_t> { 0, 10 })); // root is in wheel
    EXPECT_EQ(spec.process.user.home, "/root");
    EXPECT_FALSE(spec.process.terminal);
    EXPECT_FALSE(spec.process.open_stdin);
    EXPECT_EQ(spec.hostname, "0123456789ab");
    EXPECT_EQ(spec.domainname, "");
    EXPECT_EQ(spec.stop_signal, "SIGTERM");
    EXPECT_EQ(spec.stop_timeout, 10);
    EXPECT_FALSE(spec.init);
    EXPECT_FALSE(spec.privileged);
    EXPECT_EQ(spec.lower_dirs, strings({ "/var/lib/system-docker/layers/2", "/var/lib/system-docker/layers/1" }));
    EXPECT_EQ(spec.upper_dir, DIR + "/upper");
    EXPECT_EQ(spec.work_dir, DIR + "/work");
    EXPECT_EQ(spec.rootfs, DIR + "/rootfs");
    EXPECT_FALSE(spec.readonly_rootfs);
    EXPECT_EQ(spec.rootfs_propagation, "");
}

TEST(SpecBuilder, EntrypointAndCmdMerging)
{
    Args ep { "/entry", "-v" }, cmd { "serve" };
    // The image's alone.
    EXPECT_EQ(command(ep, cmd, {}, {}), strings({ "/entry", "-v", "serve" }));
    // A container Cmd replaces the image's; the image's Entrypoint stays.
    EXPECT_EQ(command(ep, cmd, {}, Args { "debug" }), strings({ "/entry", "-v", "debug" }));
    // A container Entrypoint replaces the image's and drops the image's Cmd.
    EXPECT_EQ(command(ep, cmd, Args { "/bin/sh" }, {}), strings({ "/bin/sh" }));
    EXPECT_EQ(command(ep, cmd, Args { "/bin/sh" }, Args { "-c", "true" }), strings({ "/bin/sh", "-c", "true" }));
    // [""] resets the image's Entrypoint and, being an entrypoint, drops its Cmd too.
    EXPECT_EQ(command(ep, cmd, Args { "" }, Args { "top" }), strings({ "top" }));
    EXPECT_EQ(command_error(ep, cmd, Args { "" }, {}), "no command specified");
    // [] resets the image's Entrypoint but keeps its Cmd (Docker's len() == 0 test).
    EXPECT_EQ(command(ep, cmd, Args {}, {}), strings({ "serve" }));
    // An empty container Cmd counts as none.
    EXPECT_EQ(command(ep, cmd, {}, Args {}), strings({ "/entry", "-v", "serve" }));
    // Nothing anywhere.
    EXPECT_EQ(command_error({}, {}, {}, {}), "no command specified");
    EXPECT_EQ(command_error({}, Args {}, {}, Args {}), "no command specified");
    // An image with only an Entrypoint.
    EXPECT_EQ(command(Args { "/init" }, {}, {}, Args { "--verbose" }), strings({ "/init", "--verbose" }));
}

TEST(SpecBuilder, EnvironmentMerging)
{
    auto in = sample_input();
    in.image.env = { "PATH=/image/bin", "LANG=C", "KEEP=image" };
    in.config.env = { "LANG=en_US.UTF-8", "EXTRA=1", "EXTRA=2" };
    // The container's entries first (duplicates kept, as Docker), then the
    // image's it does not set; PATH replaces the default in place.
    EXPECT_EQ(build(in).process.env,
        strings({ "PATH=/image/bin", "HOSTNAME=0123456789ab", "LANG=en_US.UTF-8", "EXTRA=1", "EXTRA=2", "KEEP=image",
            "HOME=/root" }));

    // No PATH anywhere: Docker's default.
    in = sample_input();
    in.image.env = {};
    EXPECT_EQ(build(in).process.env,
        strings({ "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=0123456789ab",
            "HOME=/root" }));

    // A tty adds TERM=xterm after HOSTNAME; the container may override it and HOME.
    in = sample_input();
    in.config.tty = true;
    in.config.open_stdin = true;
    in.config.env = { "HOME=/data" };
    Spec spec = build(in);
    EXPECT_EQ(spec.process.env,
        strings({ "PATH=/usr/local/bin:/usr/bin:/bin", "HOSTNAME=0123456789ab", "TERM=xterm", "HOME=/data",
            "LANG=C.UTF-8" }));
    EXPECT_TRUE(spec.process.terminal);
    EXPECT_TRUE(spec.process.open_stdin);
    in.config.env = { "TERM=vt100" };
    EXPECT_EQ(build(in).process.env[2], "TERM=vt100");

    // A name without "=" unsets: here it hides the image's PATH and the default one.
    in = sample_input();
    in.config.env = { "PATH", "LANG" };
    EXPECT_EQ(build(in).process.env, strings({ "HOSTNAME=0123456789ab", "HOME=/root" }));
}

TEST(SpecBuilder, UserResolution)
{
    Spec app = with_user("app");
    EXPECT_EQ(app.process.user.uid, 1000u);
    EXPECT_EQ(app.process.user.gid, 1000u);
    EXPECT_EQ(app.process.user.additional_gids, (std::vector<gid_t> { 1000, 10, 29 }));
    EXPECT_EQ(app.process.user.home, "/home/app");
    EXPECT_EQ(app.process.env.back(), "HOME=/home/app");

    // A numeric uid is looked up too, and gets the same groups.
    EXPECT_EQ(with_user("1000").process.user.additional_gids, (std::vector<gid_t> { 1000, 10, 29 }));
    // An explicit group replaces the primary one and drops the memberships.
    Spec explicit_group = with_user("app:video");
    EXPECT_EQ(explicit_group.process.user.uid, 1000u);
    EXPECT_EQ(explicit_group.process.user.gid, 44u);
    EXPECT_EQ(explicit_group.process.user.additional_gids, (std::vector<gid_t> { 44 }));
    EXPECT_EQ(with_user("1000:44").process.user.gid, 44u);
    // Numeric ids need no entry; the group defaults to 0 and HOME to "/".
    Spec unknown = with_user("4242");
    EXPECT_EQ(unknown.process.user.uid, 4242u);
    EXPECT_EQ(unknown.process.user.gid, 0u);
    EXPECT_EQ(unknown.process.user.additional_gids, (std::vector<gid_t> { 0 }));
    EXPECT_EQ(unknown.process.user.home, "/");
    EXPECT_EQ(unknown.process.env.back(), "HOME=/");
    EXPECT_EQ(with_user("4242:4343").process.user.gid, 4343u);
    // The image's user when the container names none.
    auto in = sample_input();
    in.image.user = "daemon";
    EXPECT_EQ(build(in).process.user.uid, 1u);
    in.config.user = "0";
    EXPECT_EQ(build(in).process.user.uid, 0u);

    EXPECT_EQ(user_error("nope"), "unable to find user nope: no matching entries in passwd file");
    EXPECT_EQ(user_error("app:nope"), "unable to find group nope: no matching entries in group file");
    EXPECT_EQ(user_error("99999999999"), "uids and gids must be in range 0-2147483647");
    EXPECT_EQ(user_error("-1"), "uids and gids must be in range 0-2147483647");

    // Without /etc/passwd, only numeric users work.
    in = sample_input();
    in.passwd.clear();
    in.group.clear();
    in.config.user = "1000:1000";
    EXPECT_EQ(build(in).process.user.additional_gids, (std::vector<gid_t> { 1000 }));
    in.config.user = "app";
    EXPECT_EQ(build_error(in), "unable to find user app: no matching entries in passwd file");
}

TEST(SpecBuilder, GroupAdd)
{
    // Appended after the primary group and memberships; duplicates dropped.
    EXPECT_EQ(with_user("", { "video", "5000", "wheel" }).process.user.additional_gids,
        (std::vector<gid_t> { 0, 10, 44, 5000 }));
    EXPECT_EQ(user_error("", { "nosuch" }), "unable to find group nosuch: no matching entries in group file");
}

TEST(SpecBuilder, WorkingDirectory)
{
    auto in = sample_input();
    in.image.working_dir = "/app";
    EXPECT_EQ(build(in).process.cwd, "/app");
    in.config.working_dir = "/srv/../data/";
    EXPECT_EQ(build(in).process.cwd, "/data");
    in.config.working_dir = "data";
    EXPECT_EQ(build_error(in), "the working directory 'data' is invalid, it needs to be an absolute path");
    in.config.working_dir = "";
    in.image.working_dir = "app";
    EXPECT_EQ(build_error(in), "the working directory 'app' is invalid, it needs to be an absolute path");
}

TEST(SpecBuilder, Hostname)
{
    auto in = sample_input();
    in.config.hostname = "web";
    in.config.domainname = "example.org";
    Spec spec = build(in);
    EXPECT_EQ(spec.hostname, "web");
    EXPECT_EQ(spec.domainname, "example.org");
    EXPECT_EQ(spec.process.env[1], "HOSTNAME=web");

    // Host network: the host's name unless one is given.
    in = sample_input();
    in.host.network_mode = "host";
    in.inherited_hostname = "rancher";
    EXPECT_EQ(build(in).hostname, "rancher");
    in.config.hostname = "web";
    EXPECT_EQ(build(in).hostname, "web");

    // Host UTS namespace: the hostname is not set; HOSTNAME is still Docker's.
    in = sample_input();
    in.host.uts_mode = "host";
    spec = build(in);
    EXPECT_EQ(spec.hostname, "");
    EXPECT_EQ(spec.process.env[1], "HOSTNAME=0123456789ab");
    in.config.hostname = "web";
    EXPECT_EQ(build_error(in), "conflicting options: hostname and the UTS mode");

    // Another container's network: its names.
    in = sample_input();
    in.host.network_mode = "container:db";
    in.network_namespace_path = "/proc/42/ns/net";
    in.inherited_hostname = "db";
    in.inherited_domainname = "lan";
    spec = build(in);
    EXPECT_EQ(spec.hostname, "db");
    EXPECT_EQ(spec.domainname, "lan");
    in.config.hostname = "web";
    EXPECT_EQ(build_error(in), "conflicting options: hostname and the network mode");
}

TEST(SpecBuilder, StopSignalAndTimeout)
{
    auto in = sample_input();
    in.image.stop_signal = "SIGINT";
    EXPECT_EQ(build(in).stop_signal, "SIGINT");
    in.config.stop_signal = "quit";
    EXPECT_EQ(build(in).stop_signal, "SIGQUIT");
    in.config.stop_signal = "9";
    EXPECT_EQ(build(in).stop_signal, "SIGKILL");
    in.config.stop_signal = "RTMIN+2";
    EXPECT_EQ(build(in).stop_signal, "SIGRTMIN+2");
    in.config.stop_signal = "SIGBOGUS";
    EXPECT_EQ(build_error(in), "invalid signal: SIGBOGUS");
    in.config.stop_signal = "";
    in.image.stop_signal = "bogus";
    EXPECT_EQ(build_error(in), "invalid signal: bogus");
    in.image.stop_signal = "";
    in.config.stop_timeout = 30;
    EXPECT_EQ(build(in).stop_timeout, 30);
}

TEST(SpecBuilder, Init)
{
    auto in = sample_input();
    in.host.init = true;
    EXPECT_TRUE(build(in).init);
    in.host.pid_mode = "host";
    EXPECT_FALSE(build(in).init);
}

TEST(SpecBuilder, MergeImageDefaults)
{
    ContainerConfig config;
    config.labels = { { "a", "mine" } };
    config.volumes = { "/data" };
    ImageDefaults image;
    image.labels = { { "a", "image" }, { "b", "image" } };
    image.volumes = { "/cache", "/data" };
    image.working_dir = "/app";
    image.user = "app";
    auto merged = merge_image_defaults(config, image);
    EXPECT_EQ(merged.labels, (std::map<std::string, std::string> { { "a", "mine" }, { "b", "image" } }));
    EXPECT_EQ(merged.volumes, strings({ "/cache", "/data" }));
    EXPECT_EQ(merged.working_dir, "/app");
    EXPECT_EQ(merged.user, "app");
}

TEST(Signals, ParsesNamesAndNumbers)
{
    EXPECT_EQ(parse_signal("SIGTERM").value(), 15);
    EXPECT_EQ(parse_signal("term").value(), 15);
    EXPECT_EQ(parse_signal("SigKill").value(), 9);
    EXPECT_EQ(parse_signal("10").value(), 10);
    EXPECT_EQ(parse_signal("RTMIN").value(), 34);
    EXPECT_EQ(parse_signal("SIGRTMIN+15").value(), 49);
    EXPECT_EQ(parse_signal("RTMAX-14").value(), 50);
    EXPECT_EQ(parse_signal("RTMAX").value(), 64);
    EXPECT_EQ(parse_signal("CLD").value(), 17);
    EXPECT_EQ(parse_signal("0").error().message(), "invalid signal: 0");
    EXPECT_EQ(parse_signal("65").error().message(), "invalid signal: 65");
    EXPECT_EQ(parse_signal("RTMIN+16").error().message(), "invalid signal: RTMIN+16");
    EXPECT_EQ(parse_signal("").error().message(), "invalid signal: ");
    EXPECT_EQ(signal_name(17), "SIGCHLD");
    EXPECT_EQ(signal_name(6), "SIGABRT");
    EXPECT_EQ(signal_name(50), "SIGRTMAX-14");
    EXPECT_EQ(signal_name(32), "");
    EXPECT_EQ(normalize_signal("32").error().message(), "invalid signal: 32");
}

TEST(UserLookup, ParsesFilesLikeMobySysUser)
{
    // Only the first two fields of the spec count; passwd numbers that do not
    // parse read as 0.
    auto user = resolve_user("app:video:extra", PASSWD, GROUP).value();
    EXPECT_EQ(user.gid, 44u);
    auto broken = resolve_user("odd", "odd:x:abc:def:::\n", "").value();
    EXPECT_EQ(broken.uid, 0u);
    EXPECT_EQ(broken.gid, 0u);
    EXPECT_EQ(resolve_additional_groups({ "44", "audio" }, GROUP).value(), (std::vector<gid_t> { 44, 29 }));
}
