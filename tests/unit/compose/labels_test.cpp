// The §4.3 labels: defaults, values, errors, the default services' labels,
// and RancherOS's recreate decision.

#include "compose/labels.h"

#include "compose_test_support.h"

#include <gtest/gtest.h>

using namespace corral;
using namespace corral::compose;
using Strings = std::vector<std::string>;

namespace {

config::KeyValueList labels(std::vector<std::pair<std::string, std::optional<std::string>>> list)
{
    return config::KeyValueList { std::move(list) };
}

ServiceLabels parsed(const config::KeyValueList& list)
{
    auto result = parse_labels(list, "svc");
    EXPECT_FALSE(result.is_error()) << result.error().message();
    return result.is_error() ? ServiceLabels {} : result.release_value();
}

std::string error(const config::KeyValueList& list)
{
    auto result = parse_labels(list, "svc");
    EXPECT_TRUE(result.is_error());
    if (!result.is_error())
        return {};
    EXPECT_EQ(result.error().code(), EINVAL);
    return result.error().message();
}

} // namespace

TEST(Labels, NamesAreRancherOSs)
{
    EXPECT_EQ(SCOPE_LABEL, "io.rancher.os.scope");
    EXPECT_EQ(AFTER_LABEL, "io.rancher.os.after");
    EXPECT_EQ(BEFORE_LABEL, "io.rancher.os.before");
    EXPECT_EQ(DETACH_LABEL, "io.rancher.os.detach");
    EXPECT_EQ(CREATE_ONLY_LABEL, "io.rancher.os.createonly");
    EXPECT_EQ(RELOAD_CONFIG_LABEL, "io.rancher.os.reloadconfig");
    EXPECT_EQ(CONSOLE_LABEL, "io.rancher.os.console");
    EXPECT_EQ(REBUILD_LABEL, "io.docker.compose.rebuild");
    EXPECT_EQ(PROJECT_LABEL, "io.docker.compose.project");
    EXPECT_EQ(SERVICE_LABEL, "io.docker.compose.service");
    EXPECT_EQ(CONFIG_HASH_LABEL, "io.docker.compose.config-hash");
}

TEST(Labels, Defaults)
{
    ServiceLabels none = parsed({});
    EXPECT_EQ(none.scope, Scope::User);
    EXPECT_EQ(none.after, Strings {});
    EXPECT_EQ(none.before, Strings {});
    EXPECT_TRUE(none.detach);
    EXPECT_FALSE(none.create_only);
    EXPECT_FALSE(none.reload_config);
    EXPECT_EQ(none.rebuild, Rebuild::OnChange);
    EXPECT_EQ(none.console, "");

    // Empty values mean the default too.
    ServiceLabels empty = parsed(labels({ { "io.rancher.os.detach", "" }, { "io.rancher.os.scope", std::nullopt },
        { "io.docker.compose.rebuild", "" } }));
    EXPECT_TRUE(empty.detach);
    EXPECT_EQ(empty.scope, Scope::User);
    EXPECT_EQ(empty.rebuild, Rebuild::OnChange);
}

TEST(Labels, EveryValue)
{
    ServiceLabels all = parsed(labels({
        { "io.rancher.os.scope", "system" },
        { "io.rancher.os.after", " udev , cloud-init,,network " },
        { "io.rancher.os.before", "system-cron" },
        { "io.rancher.os.detach", "false" },
        { "io.rancher.os.createonly", "true" },
        { "io.rancher.os.reloadconfig", "yes" },
        { "io.docker.compose.rebuild", "always" },
        { "io.rancher.os.console", "ubuntu" },
        { "other", "x" },
    }));
    EXPECT_EQ(all.scope, Scope::System);
    EXPECT_EQ(all.after, (Strings { "udev", "cloud-init-execute", "network" }));
    EXPECT_EQ(all.before, Strings { "system-cron" });
    EXPECT_FALSE(all.detach);
    EXPECT_TRUE(all.create_only);
    EXPECT_TRUE(all.reload_config);
    EXPECT_EQ(all.rebuild, Rebuild::Always);
    EXPECT_EQ(all.console, "ubuntu");

    EXPECT_EQ(parsed(labels({ { "io.docker.compose.rebuild", "false" } })).rebuild, Rebuild::Never);
    EXPECT_EQ(parsed(labels({ { "io.docker.compose.rebuild", "true" } })).rebuild, Rebuild::OnChange);
    EXPECT_EQ(parsed(labels({ { "io.rancher.os.scope", "user" } })).scope, Scope::User);
    EXPECT_FALSE(parsed(labels({ { "io.rancher.os.detach", "No" } })).detach);
    EXPECT_TRUE(parsed(labels({ { "io.rancher.os.detach", "TRUE" } })).detach);
}

TEST(Labels, TheLastOfARepeatedLabelWins)
{
    auto list = labels({ { "io.rancher.os.detach", "false" }, { "io.rancher.os.detach", "true" } });
    EXPECT_EQ(label_value(list, DETACH_LABEL), "true");
    EXPECT_TRUE(parsed(list).detach);
    EXPECT_EQ(label_value(list, SCOPE_LABEL), std::nullopt);
    EXPECT_EQ(label_value(labels({ { "bare", std::nullopt } }), "bare"), "");
}

TEST(Labels, BadValuesNameServiceAndLabel)
{
    EXPECT_EQ(error(labels({ { "io.rancher.os.detach", "flase" } })),
        R"(svc.labels."io.rancher.os.detach": expected true or false, got "flase")");
    EXPECT_EQ(error(labels({ { "io.rancher.os.createonly", "1" } })),
        R"(svc.labels."io.rancher.os.createonly": expected true or false, got "1")");
    EXPECT_EQ(error(labels({ { "io.rancher.os.reloadconfig", "maybe" } })),
        R"(svc.labels."io.rancher.os.reloadconfig": expected true or false, got "maybe")");
    EXPECT_EQ(error(labels({ { "io.rancher.os.scope", "System" } })),
        R"(svc.labels."io.rancher.os.scope": expected system or user, got "System")");
    EXPECT_EQ(error(labels({ { "io.docker.compose.rebuild", "never" } })),
        R"(svc.labels."io.docker.compose.rebuild": expected always, true or false, got "never")");
    // Unvalidated scope: anything but "system" is the user engine.
    EXPECT_EQ(scope_of(labels({ { "io.rancher.os.scope", "System" } })), Scope::User);
}

TEST(Labels, DefaultServices)
{
    auto config = compose_test::default_os_config();
    auto const& services = config.rancher.services;
    auto of = [&](const char* name) {
        auto result = parse_labels(services.at(name).labels, name);
        EXPECT_FALSE(result.is_error()) << result.error().message();
        return result.is_error() ? ServiceLabels {} : result.release_value();
    };
    for (auto const& [name, service] : services) {
        auto result = parse_labels(service.labels, name);
        ASSERT_FALSE(result.is_error()) << result.error().message();
        EXPECT_EQ(result->scope, Scope::System) << name;
    }

    ServiceLabels console = of("console");
    EXPECT_EQ(console.after, Strings { "cloud-init-execute" });
    EXPECT_EQ(console.rebuild, Rebuild::Always);
    EXPECT_EQ(console.console, "default");
    EXPECT_TRUE(console.detach);

    ServiceLabels network = of("network");
    EXPECT_EQ(network.after, Strings { "udev" });
    EXPECT_TRUE(network.reload_config);

    ServiceLabels udev_cold = of("udev-cold");
    EXPECT_FALSE(udev_cold.detach);
    EXPECT_EQ(udev_cold.after, Strings {});

    ServiceLabels all_volumes = of("all-volumes");
    EXPECT_TRUE(all_volumes.create_only);
    EXPECT_EQ(all_volumes.rebuild, Rebuild::Always);

    ServiceLabels syslog = of("syslog");
    EXPECT_TRUE(syslog.detach);
    EXPECT_FALSE(syslog.create_only);
    EXPECT_EQ(syslog.after, Strings {});
}

TEST(Recreate, FollowsRancherOSsRules)
{
    ServiceLabels on_change;
    ServiceLabels always;
    always.rebuild = Rebuild::Always;
    ServiceLabels never;
    never.rebuild = Rebuild::Never;
    std::map<std::string, std::string> none;
    std::map<std::string, std::string> was_never = { { "io.docker.compose.rebuild", "false" } };

    EXPECT_EQ(decide_recreate("ntp", on_change, none, false, false), RecreateDecision::Keep);
    EXPECT_EQ(decide_recreate("ntp", on_change, none, true, false), RecreateDecision::Recreate);
    EXPECT_EQ(decide_recreate("ntp", always, none, false, false), RecreateDecision::Recreate);
    EXPECT_EQ(decide_recreate("ntp", never, none, false, false), RecreateDecision::Keep);
    EXPECT_EQ(decide_recreate("ntp", never, was_never, true, false), RecreateDecision::KeepOutOfSync);
    // The label changed to "false": this once, the container is recreated.
    EXPECT_EQ(decide_recreate("ntp", never, none, true, false), RecreateDecision::Recreate);
    // The label was "false" and no longer is.
    EXPECT_EQ(decide_recreate("ntp", on_change, was_never, true, false), RecreateDecision::Recreate);
    // force_console_rebuild is for the console only.
    EXPECT_EQ(decide_recreate("ntp", on_change, none, false, true), RecreateDecision::Keep);
}

TEST(Recreate, ConsoleFollowsItsConsoleLabel)
{
    ServiceLabels console;
    console.console = "default";
    std::map<std::string, std::string> same = { { "io.rancher.os.console", "default" } };
    std::map<std::string, std::string> other = { { "io.rancher.os.console", "ubuntu" } };
    EXPECT_EQ(decide_recreate("console", console, same, true, false), RecreateDecision::Keep);
    EXPECT_EQ(decide_recreate("console", console, other, true, false), RecreateDecision::Recreate);
    EXPECT_EQ(decide_recreate("console", console, other, false, false), RecreateDecision::Keep);
    EXPECT_EQ(decide_recreate("console", console, same, false, true), RecreateDecision::Recreate);
    console.rebuild = Rebuild::Always;
    EXPECT_EQ(decide_recreate("console", console, same, false, false), RecreateDecision::Recreate);
}
