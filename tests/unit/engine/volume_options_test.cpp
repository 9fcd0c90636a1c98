// The pure parts of the local volume driver: how the `o` option becomes mount(2)
// flags and data, and how prune's label filters decide.

#include "engine/volumes.h"
#include "engine/volumes_internal.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

namespace corral::engine {
namespace {

TEST(ParseMountOptions, DataWordsKeepTheirOrder)
{
    MountOptions parsed = parse_mount_options("size=100m,uid=1000,mode=0755");
    EXPECT_EQ(parsed.flags, 0u);
    EXPECT_EQ(parsed.propagation, 0u);
    EXPECT_EQ(parsed.data, "size=100m,uid=1000,mode=0755");
}

TEST(ParseMountOptions, FlagWordsBecomeFlags)
{
    MountOptions parsed = parse_mount_options("nosuid,size=1m,nodev,noexec,ro,noatime");
    EXPECT_EQ(parsed.flags, static_cast<unsigned long>(MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY | MS_NOATIME));
    EXPECT_EQ(parsed.data, "size=1m");
}

TEST(ParseMountOptions, LaterWordsUndoEarlierOnes)
{
    EXPECT_EQ(parse_mount_options("ro,rw").flags, 0u);
    EXPECT_EQ(parse_mount_options("rw,ro").flags, static_cast<unsigned long>(MS_RDONLY));
    EXPECT_EQ(parse_mount_options("nosuid,suid,defaults").flags, 0u);
}

TEST(ParseMountOptions, BindAndPropagation)
{
    MountOptions parsed = parse_mount_options("rbind,rprivate");
    EXPECT_EQ(parsed.flags, static_cast<unsigned long>(MS_BIND | MS_REC));
    EXPECT_EQ(parsed.propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
    EXPECT_EQ(parsed.data, "");
}

TEST(ParseMountOptions, NfsAddressIsData)
{
    MountOptions parsed = parse_mount_options("addr=10.0.0.1,rw,nfsvers=4,,soft");
    EXPECT_EQ(parsed.flags, 0u);
    EXPECT_EQ(parsed.data, "addr=10.0.0.1,nfsvers=4,soft");
}

TEST(MatchesLabels, EveryLabelConditionMustHold)
{
    std::map<std::string, std::string> labels { { "env", "test" }, { "team", "db" } };
    VolumePruneFilter filter;
    EXPECT_TRUE(matches_labels(filter, labels));
    filter.labels = { "env" };
    EXPECT_TRUE(matches_labels(filter, labels));
    filter.labels = { "env=test", "team" };
    EXPECT_TRUE(matches_labels(filter, labels));
    filter.labels = { "env=prod" };
    EXPECT_FALSE(matches_labels(filter, labels));
    filter.labels = { "env", "missing" };
    EXPECT_FALSE(matches_labels(filter, labels));
    EXPECT_FALSE(matches_labels(filter, {}));
}

TEST(MatchesLabels, NegatedConditionsExcludeOnlyWhenAllHold)
{
    std::map<std::string, std::string> labels { { "env", "test" }, { "keep", "" } };
    VolumePruneFilter filter;
    filter.labels_not = { "keep" };
    EXPECT_FALSE(matches_labels(filter, labels));
    filter.labels_not = { "env=prod" };
    EXPECT_TRUE(matches_labels(filter, labels));
    // Docker's matchLabels: label!= conditions exclude together, not one by one.
    filter.labels_not = { "keep", "env=prod" };
    EXPECT_TRUE(matches_labels(filter, labels));
    filter.labels_not = { "keep", "env=test" };
    EXPECT_FALSE(matches_labels(filter, labels));
    EXPECT_TRUE(matches_labels(filter, {}));
}

} // namespace
} // namespace corral::engine
