// The executor's decisions made before the fork, without root: mount options
// as flags, the overlay's mount data (escaping, and the relative form for
// long layer lists), capability masks, and the seccomp program.

#include "runtime/executor_internal.h"

#include "runtime/seccomp_profile.h"

#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/prctl.h>

using namespace corral::runtime;
using namespace corral::runtime::detail;

namespace {

TEST(MountOptions, SplitsFlagsPropagationAndData)
{
    auto parsed = parse_mount_options({ "nosuid", "noexec", "nodev", "ro", "rslave", "mode=755", "size=65536k" });
    EXPECT_EQ(parsed.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY));
    EXPECT_EQ(parsed.propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
    EXPECT_FALSE(parsed.bind);
    EXPECT_EQ(parsed.data, "mode=755,size=65536k");
}

TEST(MountOptions, LaterWordsWinAndBindsAreRecognised)
{
    auto parsed = parse_mount_options({ "ro", "rw", "rbind", "private", "exec", "noexec" });
    EXPECT_EQ(parsed.flags, static_cast<unsigned long>(MS_NOEXEC));
    EXPECT_TRUE(parsed.bind);
    EXPECT_TRUE(parsed.recursive);
    EXPECT_EQ(parsed.propagation, static_cast<unsigned long>(MS_PRIVATE));
    EXPECT_EQ(parsed.data, "");
    EXPECT_FALSE(parse_mount_options({ "bind" }).recursive);
    EXPECT_EQ(propagation_flags("rshared"), static_cast<unsigned long>(MS_SHARED | MS_REC));
    EXPECT_EQ(propagation_flags("nope"), 0u);
}

Spec overlay_spec(std::vector<std::string> lowers)
{
    Spec spec;
    spec.lower_dirs = std::move(lowers);
    spec.upper_dir = "/var/lib/x/upper";
    spec.work_dir = "/var/lib/x/work";
    spec.rootfs = "/var/lib/x/rootfs";
    return spec;
}

TEST(OverlayData, AbsolutePathsWhenTheyFitAndSeparatorsEscaped)
{
    auto data = overlay_data(overlay_spec({ "/layers/top", "/layers/a,b:c" }));
    ASSERT_FALSE(data.is_error()) << data.error().message();
    EXPECT_EQ(data->data, "lowerdir=/layers/top:/layers/a\\,b\\:c,upperdir=/var/lib/x/upper,workdir=/var/lib/x/work");
    EXPECT_EQ(data->relative_to, "");
}

TEST(OverlayData, RelativeToTheCommonDirectoryWhenLongerThanAPage)
{
    std::string base = "/var/lib/system-docker/overlay/" + std::string(100, 'd');
    std::vector<std::string> lowers;
    for (int i = 0; i < 60; ++i)
        lowers.push_back(base + "/layer" + std::to_string(i));
    auto spec = overlay_spec(lowers);
    spec.upper_dir = base + "/upper";
    spec.work_dir = base + "/work";
    auto data = overlay_data(spec);
    ASSERT_FALSE(data.is_error()) << data.error().message();
    EXPECT_EQ(data->relative_to, base);
    EXPECT_TRUE(data->data.starts_with("lowerdir=layer0:layer1:")) << data->data;
    EXPECT_TRUE(data->data.ends_with(",upperdir=upper,workdir=work")) << data->data;
}

TEST(OverlayData, RefusesWhatCannotFitAndUncleanPaths)
{
    std::vector<std::string> lowers;
    for (int i = 0; i < 30; ++i)
        lowers.push_back("/" + std::string(200, 'a' + i % 26) + std::to_string(i));
    auto data = overlay_data(overlay_spec(lowers));
    ASSERT_TRUE(data.is_error());
    EXPECT_EQ(data.error().code(), E2BIG);

    EXPECT_TRUE(overlay_data(overlay_spec({})).is_error());
    EXPECT_TRUE(overlay_data(overlay_spec({ "relative/layer" })).is_error());
    EXPECT_TRUE(overlay_data(overlay_spec({ "/a/../b" })).is_error());
}

TEST(CapabilitySets, MasksOfKnownCapabilities)
{
    Capabilities caps;
    caps.bounding = { "CAP_CHOWN", "CAP_KILL", "CAP_CHECKPOINT_RESTORE" };
    caps.effective = { "CAP_KILL" };
    auto sets = capability_sets(caps, 39); // a kernel without CAP_CHECKPOINT_RESTORE
    ASSERT_FALSE(sets.is_error()) << sets.error().message();
    // Limited to this process's own bounding set too (full for an ordinary
    // process; the capability above the kernel's last is left out).
    auto held = [](int cap) { return ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 ? 1ull << cap : 0; };
    EXPECT_EQ(sets->bounding, held(0) | held(5));
    EXPECT_EQ(sets->effective, held(5));
    EXPECT_EQ(sets->permitted, 0u);

    caps.ambient = { "CAP_NOPE" };
    auto bad = capability_sets(caps, 40);
    ASSERT_TRUE(bad.is_error());
    EXPECT_EQ(bad.error().message(), "unknown capability \"CAP_NOPE\"");
}

TEST(SeccompProgram, CompilesDockersProfileAndSkipsUnknownNames)
{
    auto rules = default_seccomp({ "CAP_CHOWN" });
    rules.allowed.push_back("no_such_syscall_anywhere");
    auto program = compile_seccomp(rules);
    ASSERT_FALSE(program.is_error()) << program.error().message();
    EXPECT_GT(program->size(), 100u);

    Spec unconfined;
    unconfined.seccomp = SeccompMode::Unconfined;
    auto none = seccomp_program_for(unconfined);
    ASSERT_FALSE(none.is_error());
    EXPECT_TRUE(none->empty());

    rules.architectures = { "no-such-arch" };
    EXPECT_TRUE(compile_seccomp(rules).is_error());
}

} // namespace
