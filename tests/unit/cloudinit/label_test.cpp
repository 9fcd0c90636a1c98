// File system labels read from crafted ISO 9660, FAT and ext4 headers, and the
// search for LABEL=config-2 over a fake /sys/class/block.

#include "cloudinit/configdrive.h"
#include "cloudinit/label.h"
#include "test_root.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace corral;
using namespace corral::cloudinit;
using corral::test::TestRoot;

namespace {

void put(std::string& image, size_t offset, std::string_view bytes)
{
    if (image.size() < offset + bytes.size())
        image.resize(offset + bytes.size(), '\0');
    std::memcpy(image.data() + offset, bytes.data(), bytes.size());
}

std::string padded(std::string_view text, size_t size, char pad)
{
    std::string out(text);
    out.resize(size, pad);
    return out;
}

std::string iso9660(std::string_view volume_id)
{
    std::string image(LABEL_HEADER_SIZE, '\0');
    put(image, 32768, std::string("\x01") + "CD001\x01");
    put(image, 32768 + 8, padded("LINUX", 32, ' ')); // system identifier
    put(image, 32768 + 40, padded(volume_id, 32, ' '));
    return image;
}

std::string fat(bool fat32, std::string_view label)
{
    std::string image(4096, '\0');
    put(image, 0, std::string("\xEB\x3C\x90") + "mkfs.fat");
    if (fat32) {
        image[66] = 0x29;
        put(image, 71, padded(label, 11, ' '));
        put(image, 82, "FAT32   ");
    } else {
        image[38] = 0x29;
        put(image, 43, padded(label, 11, ' '));
        put(image, 54, "FAT16   ");
    }
    put(image, 510, "\x55\xAA");
    return image;
}

std::string ext4(std::string_view label)
{
    std::string image(4096, '\0');
    put(image, 1024 + 56, "\x53\xEF");
    put(image, 1024 + 120, padded(label, 16, '\0'));
    return image;
}

} // namespace

TEST(Label, Iso9660VolumeIdIsTrimmed)
{
    auto found = label_from_header(iso9660("config-2"));
    ASSERT_TRUE(found);
    EXPECT_EQ(found->fstype, "iso9660");
    EXPECT_EQ(found->label, "config-2");
}

TEST(Label, Iso9660WinsOverTheMbrOfAHybridImage)
{
    std::string image = iso9660("CIDATA");
    put(image, 0, "\xEB\x63\x90");
    put(image, 510, "\x55\xAA");
    auto found = label_from_header(image);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->fstype, "iso9660");
    EXPECT_EQ(found->label, "CIDATA");
}

TEST(Label, Fat16AndFat32)
{
    auto fat16 = label_from_header(fat(false, "CONFIG-2"));
    ASSERT_TRUE(fat16);
    EXPECT_EQ(fat16->fstype, "vfat");
    EXPECT_EQ(fat16->label, "CONFIG-2");
    auto fat32 = label_from_header(fat(true, "config-2"));
    ASSERT_TRUE(fat32);
    EXPECT_EQ(fat32->fstype, "vfat");
    EXPECT_EQ(fat32->label, "config-2");
    auto unnamed = label_from_header(fat(false, "NO NAME"));
    ASSERT_TRUE(unnamed);
    EXPECT_EQ(unnamed->label, "");
}

TEST(Label, Ext4LabelIsNulPadded)
{
    auto found = label_from_header(ext4("config-2"));
    ASSERT_TRUE(found);
    EXPECT_EQ(found->fstype, "ext4");
    EXPECT_EQ(found->label, "config-2");
    auto full = label_from_header(ext4("sixteen-chars-xx"));
    ASSERT_TRUE(full);
    EXPECT_EQ(full->label, "sixteen-chars-xx");
}

TEST(Label, NothingRecognizableOrTooShort)
{
    EXPECT_FALSE(label_from_header(std::string(LABEL_HEADER_SIZE, '\0')));
    EXPECT_FALSE(label_from_header(""));
    EXPECT_FALSE(label_from_header(iso9660("config-2").substr(0, 32768 + 20)));
    // An MBR without a FAT boot sector's jump is not a file system.
    std::string mbr(512, '\0');
    put(mbr, 510, "\x55\xAA");
    EXPECT_FALSE(label_from_header(mbr));
}

TEST(Label, MatchIsExactExceptForFatCase)
{
    EXPECT_TRUE(label_matches({ "iso9660", "config-2" }, "config-2"));
    EXPECT_FALSE(label_matches({ "iso9660", "CONFIG-2" }, "config-2"));
    EXPECT_TRUE(label_matches({ "vfat", "CONFIG-2" }, "config-2"));
    EXPECT_FALSE(label_matches({ "ext4", "config-3" }, "config-2"));
}

TEST(Label, ReadLabelFromAFileAndMissingFileIsENOENT)
{
    TestRoot root;
    root.write("/images/a.iso", iso9660("config-2"));
    auto found = read_label(root.path("/images/a.iso"));
    ASSERT_FALSE(found.is_error()) << found.error().message();
    ASSERT_TRUE(found.value());
    EXPECT_EQ(found.value()->label, "config-2");
    auto missing = read_label(root.path("/images/none"));
    ASSERT_TRUE(missing.is_error());
    EXPECT_EQ(missing.error().code(), ENOENT);
}

TEST(FindDevice, ScansInNameOrderSkippingEmptyAndRamDevices)
{
    TestRoot root;
    BlockScan scan { root.path("/sys/class/block"), root.path("/dev") };
    auto device = [&](const std::string& name, const std::string& sectors, const std::string& image) {
        root.write("/sys/class/block/" + name + "/size", sectors + "\n");
        if (!image.empty())
            root.write("/dev/" + name, image);
    };
    device("ram0", "8192", iso9660("config-2")); // RAM disks are never looked at
    device("sda", "8192", ext4("RANCHER_STATE"));
    device("sda1", "4096", ext4("other"));
    device("sr0", "0", iso9660("config-2")); // size 0: an empty drive
    device("sr1", "100", ""); // no node
    device("vdb", "2048", fat(false, "CONFIG-2"));
    device("vdc", "2048", iso9660("config-2"));

    auto found = find_device_by_label("config-2", scan);
    ASSERT_FALSE(found.is_error()) << found.error().message();
    ASSERT_TRUE(found.value());
    EXPECT_EQ(found.value()->path, root.path("/dev/vdb"));
    EXPECT_EQ(found.value()->label.fstype, "vfat");

    auto state = find_device_by_label("RANCHER_STATE", scan);
    ASSERT_TRUE(state.value());
    EXPECT_EQ(state.value()->path, root.path("/dev/sda"));

    auto none = find_device_by_label("nowhere", scan);
    ASSERT_FALSE(none.is_error());
    EXPECT_FALSE(none.value());
}

TEST(FindDevice, SlashInSysfsNameIsABang)
{
    TestRoot root;
    BlockScan scan { root.path("/sys/class/block"), root.path("/dev") };
    root.write("/sys/class/block/cciss!c0d0/size", "100\n");
    root.write("/dev/cciss/c0d0", iso9660("config-2"));
    auto found = find_device_by_label("config-2", scan);
    ASSERT_TRUE(found.value());
    EXPECT_EQ(found.value()->path, root.path("/dev/cciss/c0d0"));
}

TEST(FindDevice, MissingBlockListIsAnError)
{
    TestRoot root;
    auto found = find_device_by_label("config-2", { root.path("/sys/nothing"), root.path("/dev") });
    ASSERT_TRUE(found.is_error());
    EXPECT_EQ(found.error().code(), ENOENT);
}

TEST(ConfigDrive, ADeviceThatCannotBeMountedIsAnErrorWithinTheTimeout)
{
    // A regular file is no block device: mount(2) refuses it even for root.
    TestRoot root;
    root.write("/sys/class/block/vdb/size", "100\n");
    root.write("/dev/vdb", iso9660("config-2"));
    ConfigDriveOptions options;
    options.mount_point = root.path("/media/config-2");
    options.scan = { root.path("/sys/class/block"), root.path("/dev") };
    options.device_wait = std::chrono::milliseconds(0);
    auto data = read_config_drive(options);
    ASSERT_TRUE(data.is_error());
    EXPECT_NE(data.error().message().find("cannot mount " + root.path("/dev/vdb") + " read-only"), std::string::npos)
        << data.error().message();
}

TEST(ConfigDrive, DeviceWaitIsBounded)
{
    TestRoot root;
    ASSERT_FALSE(mkdir_p(root.path("/sys/class/block"), 0755).is_error());
    ConfigDriveOptions options;
    options.mount_point = root.path("/media/config-2");
    options.scan = { root.path("/sys/class/block"), root.path("/dev") };
    options.device_wait = std::chrono::milliseconds(300);
    auto start = std::chrono::steady_clock::now();
    auto data = read_config_drive(options);
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(data.is_error()) << data.error().message();
    EXPECT_FALSE(data.value());
    EXPECT_GE(took, std::chrono::milliseconds(300));
    EXPECT_LT(took, std::chrono::milliseconds(3000));
}

TEST(ConfigDrive, TimeoutAbandonsTheReader)
{
    TestRoot root;
    ASSERT_FALSE(mkdir_p(root.path("/sys/class/block"), 0755).is_error());
    ConfigDriveOptions options;
    options.mount_point = root.path("/media/config-2");
    options.scan = { root.path("/sys/class/block"), root.path("/dev") };
    options.device_wait = std::chrono::milliseconds(5000); // longer than the timeout
    options.timeout = std::chrono::milliseconds(300);
    auto start = std::chrono::steady_clock::now();
    auto data = read_config_drive(options);
    auto took = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(data.is_error());
    EXPECT_EQ(data.error().code(), ETIMEDOUT);
    EXPECT_LT(took, std::chrono::milliseconds(2000));
}
