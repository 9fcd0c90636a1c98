// cloud-init-save with a real config drive: an image labelled config-2 on a loop
// device, found by its label among the machine's block devices, mounted
// read-only, read and unmounted, its user data saved as boot.yml and its
// metadata for the loader. The drive is an ISO 9660 image made by xorriso, as
// OpenStack makes them, and again an ext4 image (mkfs.ext4 -d), so that the path
// is covered on kernels without iso9660 too.

#include "base/file.h"
#include "base/process.h"
#include "base/scope_guard.h"
#include "base/strings.h"
#include "test_image.h"

#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace corral;
using namespace corral::test;

namespace {

constexpr const char* XORRISO = "/usr/bin/xorriso";
constexpr const char* LOSETUP = "/usr/sbin/losetup";
constexpr const char* MKFS_EXT4 = "/usr/sbin/mkfs.ext4";

RunResult must_run(std::vector<std::string> argv, std::vector<std::string> env = {})
{
    SpawnOptions options;
    options.argv = std::move(argv);
    if (!env.empty())
        options.env = std::move(env);
    auto result = run(options);
    EXPECT_FALSE(result.is_error()) << (result.is_error() ? result.error().message() : "");
    return result.is_error() ? RunResult {} : result.release_value();
}

bool mounted(const std::string& path)
{
    auto info = read_file("/proc/self/mountinfo");
    return !info.is_error() && info->find(" " + path + " ") != std::string::npos;
}

// Whether the kernel can mount `fstype` now (modules cannot be assumed here).
bool kernel_has(const std::string& fstype)
{
    auto list = read_file("/proc/filesystems");
    return !list.is_error() && list->find("\t" + fstype + "\n") != std::string::npos;
}

// The config drive's files, with user data and a hostname unique to this run.
std::string write_drive_tree(const std::string& tree)
{
    std::string user_data = "#cloud-config\nhostname: drive-" + std::to_string(::getpid())
        + "\nssh_authorized_keys:\n  - ssh-ed25519 AAAAFROMUSERDATA user\n";
    EXPECT_FALSE(mkdir_p(tree + "/openstack/latest", 0755).is_error());
    EXPECT_FALSE(write_file_atomic(tree + "/openstack/latest/user_data", user_data, 0644, KeepMode::No).is_error());
    EXPECT_FALSE(write_file_atomic(tree + "/openstack/latest/meta_data.json",
        R"({"uuid": "x", "hostname": "meta.novalocal", "public_keys": {"mine": "ssh-rsa AAAAFROMMETA me"}})", 0644,
        KeepMode::No)
                     .is_error());
    return user_data;
}

// Attaches `image` to a loop device, runs cloud-init-save on a fresh root, and
// checks what it saved. The loop device is detached and any mount undone on
// every path out.
void save_from_image(const TempDir& dir, const std::string& image, const std::string& user_data)
{
    auto attached = must_run({ LOSETUP, "--find", "--show", "--read-only", image });
    if (attached.status.code() != 0)
        GTEST_SKIP() << "losetup cannot attach a loop device here: " << attached.err;
    std::string loop(trim(attached.out));
    std::string root = dir.path() + "/root";
    std::string mount_point = root + "/media/config-2";
    ScopeGuard cleanup([&] {
        if (mounted(mount_point))
            (void)::umount2(mount_point.c_str(), MNT_DETACH); // best effort in cleanup
        (void)must_run({ LOSETUP, "-d", loop });
    });
    ASSERT_TRUE(loop.starts_with("/dev/loop")) << loop;

    ASSERT_FALSE(mkdir_p(root + "/var/lib/rancher/conf", 0700).is_error());
    ASSERT_FALSE(write_file_atomic(root + "/var/lib/rancher/conf/cloud-config.yml",
        "rancher:\n  cloud_init:\n    datasources:\n      - ec2\n      - configdrive:/media/config-2\n", 0600,
        KeepMode::No)
                     .is_error());
    std::string applet = dir.path() + "/cloud-init-save";
    ASSERT_EQ(::symlink(ROS_BINARY, applet.c_str()), 0);
    auto saved = must_run({ applet }, { "ROS_ROOT=" + root, "PATH=/usr/sbin:/usr/bin:/sbin:/bin" });
    EXPECT_EQ(saved.status.code(), 0) << saved.err;
    EXPECT_NE(saved.err.find("datasource ec2: not supported yet, skipped"), std::string::npos) << saved.err;
    EXPECT_NE(saved.err.find("configdrive: reading " + loop), std::string::npos) << saved.err;

    auto boot = read_file(root + "/var/lib/rancher/conf/cloud-config.d/boot.yml");
    ASSERT_FALSE(boot.is_error()) << boot.error().message() << "\n" << saved.err;
    EXPECT_EQ(*boot, user_data);
    struct stat st { };
    ASSERT_EQ(::stat((root + "/var/lib/rancher/conf/cloud-config.d/boot.yml").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    auto metadata = read_file(root + "/var/lib/rancher/conf/metadata");
    ASSERT_FALSE(metadata.is_error());
    EXPECT_EQ(*metadata, "hostname: meta.novalocal\nsshpublickeys:\n  mine: ssh-rsa AAAAFROMMETA me\n");
    auto log = read_file(root + "/var/log/boot/cloud-init-save.log");
    ASSERT_FALSE(log.is_error());
    EXPECT_NE(log->find("configdrive: reading " + loop), std::string::npos);

    // The drive was unmounted after reading.
    EXPECT_FALSE(mounted(mount_point));

    // The merged configuration, as `ros config get` reads it.
    auto hostname = must_run({ ROS_BINARY, "config", "get", "hostname" }, { "ROS_ROOT=" + root });
    EXPECT_EQ(hostname.out, "drive-" + std::to_string(::getpid()) + "\n") << hostname.err;
    auto keys = must_run({ ROS_BINARY, "config", "get", "ssh_authorized_keys" }, { "ROS_ROOT=" + root });
    EXPECT_NE(keys.out.find("AAAAFROMUSERDATA"), std::string::npos) << keys.out;
    EXPECT_NE(keys.out.find("AAAAFROMMETA"), std::string::npos) << keys.out;
}

class ConfigDrive : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (loop devices and mount)";
        if (::access(LOSETUP, X_OK) != 0)
            GTEST_SKIP() << "needs " << LOSETUP;
        if (::access("/dev/loop-control", F_OK) != 0)
            GTEST_SKIP() << "no /dev/loop-control: loop devices are not available here";
    }

    TempDir m_dir;
};

} // namespace

TEST_F(ConfigDrive, Iso9660MadeByXorriso)
{
    if (::access(XORRISO, X_OK) != 0)
        GTEST_SKIP() << "needs " << XORRISO;
    if (!kernel_has("iso9660"))
        GTEST_SKIP() << "this kernel cannot mount iso9660 (not in /proc/filesystems)";
    std::string user_data = write_drive_tree(m_dir.path() + "/drive");
    std::string iso = m_dir.path() + "/config-2.iso";
    auto made = must_run(
        { XORRISO, "-as", "mkisofs", "-quiet", "-V", "config-2", "-J", "-R", "-o", iso, m_dir.path() + "/drive" });
    ASSERT_EQ(made.status.code(), 0) << made.err;
    save_from_image(m_dir, iso, user_data);
}

TEST_F(ConfigDrive, Ext4)
{
    if (::access(MKFS_EXT4, X_OK) != 0)
        GTEST_SKIP() << "needs " << MKFS_EXT4;
    if (!kernel_has("ext4"))
        GTEST_SKIP() << "this kernel cannot mount ext4 (not in /proc/filesystems)";
    std::string user_data = write_drive_tree(m_dir.path() + "/drive");
    std::string image = m_dir.path() + "/config-2.img";
    auto made = must_run({ MKFS_EXT4, "-q", "-F", "-L", "config-2", "-d", m_dir.path() + "/drive", image, "4M" });
    ASSERT_EQ(made.status.code(), 0) << made.err;
    save_from_image(m_dir, image, user_data);
}

TEST_F(ConfigDrive, AnIsoTheKernelCannotMountIsAnErrorNotAHang)
{
    if (::access(XORRISO, X_OK) != 0)
        GTEST_SKIP() << "needs " << XORRISO;
    if (kernel_has("iso9660"))
        GTEST_SKIP() << "this kernel mounts iso9660; Iso9660MadeByXorriso covers it";
    write_drive_tree(m_dir.path() + "/drive");
    std::string iso = m_dir.path() + "/config-2.iso";
    auto made = must_run(
        { XORRISO, "-as", "mkisofs", "-quiet", "-V", "config-2", "-J", "-R", "-o", iso, m_dir.path() + "/drive" });
    ASSERT_EQ(made.status.code(), 0) << made.err;
    auto attached = must_run({ LOSETUP, "--find", "--show", "--read-only", iso });
    if (attached.status.code() != 0)
        GTEST_SKIP() << "losetup cannot attach a loop device here: " << attached.err;
    std::string loop(trim(attached.out));
    ScopeGuard detach([&] { (void)must_run({ LOSETUP, "-d", loop }); });
    std::string root = m_dir.path() + "/root";
    ASSERT_FALSE(mkdir_p(root + "/var/lib/rancher/conf", 0700).is_error());
    ASSERT_FALSE(write_file_atomic(root + "/var/lib/rancher/conf/cloud-config.yml",
        "rancher:\n  cloud_init:\n    datasources: [configdrive:/media/config-2]\n", 0600, KeepMode::No)
                     .is_error());
    std::string applet = m_dir.path() + "/cloud-init-save";
    ASSERT_EQ(::symlink(ROS_BINARY, applet.c_str()), 0);
    auto saved = must_run({ applet }, { "ROS_ROOT=" + root, "PATH=/usr/sbin:/usr/bin:/sbin:/bin" });
    // Found by its label, refused by the kernel: reported, and the boot goes on.
    EXPECT_EQ(saved.status.code(), 0) << saved.err;
    EXPECT_NE(saved.err.find("configdrive: cannot mount " + loop + " read-only"), std::string::npos) << saved.err;
    EXPECT_FALSE(mounted(root + "/media/config-2"));
    EXPECT_NE(::access((root + "/var/lib/rancher/conf/cloud-config.d/boot.yml").c_str(), F_OK), 0);
}
