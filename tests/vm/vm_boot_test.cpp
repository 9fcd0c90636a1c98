// The booted system, checked from outside as a user would: the ISO boots
// through isolinux, every default service runs (and the one-shots exited 0),
// a container runs on the user engine as rancher, cloud-config from a
// config-2 drive is applied, and poweroff ends the machine; a blank disk is
// formatted and keeps what was written across a reboot; a broken cloud-config
// still boots to a login.

#include "base/file.h"
#include "base/process.h"
#include "qemu_vm.h"

#include <gtest/gtest.h>
#include <map>
#include <sstream>

using namespace corral;
using namespace corral::test;
using namespace std::chrono_literals;

namespace {

const std::string STARTED = std::string("CorralOS ") + CORRAL_VERSION + " started";
const std::string DOCKER_READY = "CorralOS: user Docker ready";

class VmBoot : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::string why;
        auto dist = find_dist(why);
        if (!dist)
            GTEST_SKIP() << why;
        m_dist = *dist;
        m_public_key = make_ssh_key(m_dir.path());
        ASSERT_FALSE(m_public_key.empty());
    }

    std::string key() const { return m_dir.path() + "/id_ed25519"; }

    std::string cloud_config(const std::string& extra = {}) const
    {
        return "#cloud-config\nhostname: corral-vm\nssh_authorized_keys:\n  - " + m_public_key + "\n" + extra;
    }

    // Waits for the boot to finish and prints how long it took.
    void wait_until_ready(QemuVm& vm, size_t from = 0)
    {
        auto started = vm.wait_for_serial(STARTED, 420s, from);
        ASSERT_TRUE(started) << "no \"" << STARTED << "\" on the console";
        double started_at = vm.elapsed();
        auto ready = vm.wait_for_serial(DOCKER_READY, 240s, from);
        ASSERT_TRUE(ready) << "no \"" << DOCKER_READY << "\" on the console";
        std::printf("boot: \"started\" after %.1f s, user Docker ready after %.1f s (from QEMU start)\n", started_at,
            vm.elapsed());
        ASSERT_TRUE(vm.wait_for_ssh(120s)) << "ssh rancher@127.0.0.1:" << vm.ssh_port() << " never worked";
    }

    DistFiles m_dist;
    TempDir m_dir;
    std::string m_public_key;
};

// "name status" lines of `system-docker ps -a` → name → status.
std::map<std::string, std::string> parse_ps(const std::string& text)
{
    std::map<std::string, std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto space = line.find(' ');
        if (space != std::string::npos)
            out[line.substr(0, space)] = line.substr(space + 1);
    }
    return out;
}

} // namespace

TEST_F(VmBoot, IsoBootsEveryServiceRunsDockerAndPowersOff)
{
    std::string extra = "write_files:\n"
                        "  - path: /home/rancher/from-cloud-config.txt\n"
                        "    content: written by write_files\n"
                        "    owner: rancher:rancher\n"
                        "    permissions: \"0640\"\n"
                        "runcmd:\n"
                        "  - echo runcmd ran > /home/rancher/runcmd.txt\n";
    VmOptions options;
    options.iso = m_dist.iso;
    options.boot_iso = true;
    options.config_drive = make_config_drive(m_dir.path(), cloud_config(extra));
    auto vm = QemuVm::start(options, key());
    ASSERT_TRUE(vm);
    ASSERT_TRUE(vm->wait_for_serial("ISOLINUX", 60s)) << "isolinux did not start";
    wait_until_ready(*vm);

    // preload-user-images loads the test image in the background once the
    // user engine answers.
    auto loaded = vm->ssh("for i in $(seq 90); do docker image inspect corralos/busybox >/dev/null 2>&1 && exit 0; "
                          "sleep 1; done; exit 1",
        120s);
    EXPECT_EQ(loaded.code, 0) << "the preloaded user image never arrived";
    auto ps = vm->ssh("sudo system-docker ps -a --format '{{.Names}} {{.Status}}'");
    ASSERT_EQ(ps.code, 0) << ps.err;
    auto services = parse_ps(ps.out);
    for (auto const* name : { "udev", "syslog", "acpid", "network", "ntp", "console", "docker" })
        EXPECT_TRUE(services[name].starts_with("Up")) << name << ": " << services[name] << "\n" << ps.out;
    for (auto const* name : { "udev-cold", "cloud-init-execute", "preload-user-images" })
        EXPECT_TRUE(services[name].starts_with("Exited (0)")) << name << ": " << services[name] << "\n" << ps.out;
    for (auto const* name : { "command-volumes", "system-volumes", "all-volumes" })
        EXPECT_EQ(services[name], "Created") << name << "\n" << ps.out;

    // An exec into the docker service, whose cgroup hands its controllers to
    // the user engine's containers, joins a leaf cgroup.
    auto exec = vm->ssh("sudo system-docker exec docker dockerd --version");
    EXPECT_EQ(exec.code, 0) << exec.err;
    EXPECT_TRUE(exec.out.starts_with("Docker version 20.10.24")) << exec.out;
    auto run = vm->ssh("docker run --rm corralos/busybox echo hello from the user engine");
    EXPECT_EQ(run.code, 0) << run.err;
    EXPECT_EQ(run.out, "hello from the user engine\n");
    auto whoami = vm->ssh("id -un; hostname; sudo ros config get hostname");
    EXPECT_EQ(whoami.out, "rancher\ncorral-vm\ncorral-vm\n") << whoami.err;
    auto files = vm->ssh("cat /home/rancher/from-cloud-config.txt; echo; stat -c '%U %a' /home/rancher/from-cloud-config.txt; "
                         "cat /home/rancher/runcmd.txt");
    EXPECT_EQ(files.out, "written by write_files\nrancher 640\nruncmd ran\n") << files.err;

    (void)vm->ssh("sudo poweroff", 20s); // the connection may drop as the machine goes down
    auto exit_code = vm->wait_for_exit(120s);
    ASSERT_TRUE(exit_code) << "the machine did not power off";
    EXPECT_EQ(*exit_code, 0);
    EXPECT_NE(vm->serial().find("CorralOS: power off"), std::string::npos);
}

TEST_F(VmBoot, BlankDiskIsFormattedAndKeepsDataAcrossReboot)
{
    std::string disk = m_dir.path() + "/state.qcow2";
    SpawnOptions create;
    create.argv = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "2G" };
    auto made = run(create);
    ASSERT_TRUE(!made.is_error() && made.value().status.code() == 0);

    VmOptions options;
    options.iso = m_dist.iso;
    options.kernel = m_dist.kernel;
    options.initrd = m_dist.initrd;
    options.append = default_append()
        + " rancher.state.dev=LABEL=RANCHER_STATE rancher.state.autoformat=[/dev/vda] rancher.state.wait=true";
    options.disk = disk;
    options.config_drive = make_config_drive(m_dir.path(), cloud_config());
    auto vm = QemuVm::start(options, key());
    ASSERT_TRUE(vm);
    wait_until_ready(*vm);
    auto write = vm->ssh("echo kept > /home/rancher/persist.txt && sudo ros config set rancher.environment.MARKER "
                         "persisted-value && sync");
    ASSERT_EQ(write.code, 0) << write.err;
    size_t before_reboot = vm->serial().size();
    (void)vm->ssh("sudo reboot", 20s);

    auto again = vm->wait_for_serial(STARTED, 420s, before_reboot);
    ASSERT_TRUE(again) << "no second boot";
    ASSERT_TRUE(vm->wait_for_ssh(180s));
    // The shell runs in the console container; init's mount table says what "/" is.
    auto read = vm->ssh("cat /home/rancher/persist.txt; sudo ros config get rancher.environment.MARKER; "
                        "sudo awk '$2 == \"/\" { print $1, $3 }' /proc/1/mounts");
    EXPECT_EQ(read.out, "kept\npersisted-value\n/dev/vda ext4\n") << read.err;
    std::string second_boot = vm->serial().substr(before_reboot);
    EXPECT_EQ(second_boot.find("EXT4-fs error"), std::string::npos);
    EXPECT_EQ(second_boot.find("recovery complete"), std::string::npos) << "the file system was not unmounted cleanly";
    (void)vm->ssh("sudo poweroff", 20s);
    EXPECT_TRUE(vm->wait_for_exit(120s));
}

TEST_F(VmBoot, BrokenCloudConfigStillBootsToALogin)
{
    VmOptions options;
    options.iso = m_dist.iso;
    options.kernel = m_dist.kernel;
    options.initrd = m_dist.initrd;
    options.append = default_append();
    options.config_drive = make_config_drive(m_dir.path(), "#cloud-config\nrancher: [unclosed\n  ssh_authorized_keys: {\n");
    auto vm = QemuVm::start(options, key());
    ASSERT_TRUE(vm);
    ASSERT_TRUE(vm->wait_for_serial(STARTED, 420s));
    EXPECT_TRUE(vm->wait_for_serial("login:", 180s)) << "no login prompt on the serial console";
}
