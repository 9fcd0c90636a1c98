#include "init/kernel_modules.h"

#include <gtest/gtest.h>

using corral::init::ModuleIndex;
using corral::init::parse_proc_modules;

namespace {

constexpr const char* MODULES_DEP
    = "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko\n"
      "kernel/lib/crc16.ko:\n"
      "kernel/fs/mbcache.ko:\n"
      "kernel/fs/jbd2/jbd2.ko:\n"
      "kernel/drivers/net/virtio_net.ko.xz: kernel/drivers/net/net_failover.ko kernel/drivers/net/failover.ko\n"
      "\n"
      "garbage line without colon\n";

} // namespace

TEST(ModuleIndex, CanonicalNames)
{
    EXPECT_EQ(ModuleIndex::canonical_name("kernel/fs/ext4/ext4.ko"), "ext4");
    EXPECT_EQ(ModuleIndex::canonical_name("virtio-net"), "virtio_net");
    EXPECT_EQ(ModuleIndex::canonical_name("kernel/drivers/net/virtio_net.ko.xz"), "virtio_net");
    EXPECT_EQ(ModuleIndex::canonical_name("a/b/snd-hda.ko.zst"), "snd_hda");
}

TEST(ModuleIndex, DependenciesComeFirstInModprobeOrder)
{
    auto index = ModuleIndex::parse(MODULES_DEP);
    EXPECT_EQ(index.size(), 5u);
    auto order = index.load_order("ext4");
    ASSERT_FALSE(order.is_error()) << order.error().message();
    std::vector<std::string> expected = { "kernel/fs/jbd2/jbd2.ko", "kernel/fs/mbcache.ko", "kernel/lib/crc16.ko",
        "kernel/fs/ext4/ext4.ko" };
    EXPECT_EQ(order.value(), expected);
    auto net = index.load_order("virtio-net");
    ASSERT_FALSE(net.is_error());
    EXPECT_EQ(net.value().back(), "kernel/drivers/net/virtio_net.ko.xz");
    EXPECT_EQ(net.value().front(), "kernel/drivers/net/failover.ko");
}

TEST(ModuleIndex, UnknownModuleIsENOENT)
{
    auto index = ModuleIndex::parse(MODULES_DEP);
    auto order = index.load_order("nope");
    ASSERT_TRUE(order.is_error());
    EXPECT_EQ(order.error().code(), ENOENT);
    EXPECT_NE(order.error().message().find("nope"), std::string::npos);
}

TEST(ModuleIndex, ProcModules)
{
    auto names = parse_proc_modules("virtio_net 61440 0 - Live 0x0\nnet_failover 20480 1 virtio_net, Live 0x0\n");
    std::vector<std::string> expected = { "virtio_net", "net_failover" };
    EXPECT_EQ(names, expected);
}
