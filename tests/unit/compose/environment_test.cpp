// A service's environment resolved from rancher.environment (reference §9.4):
// scoped look-ups, bare names, wildcards, duplicates and env files.

#include "compose/environment.h"

#include "compose_test_support.h"

#include <gtest/gtest.h>

using namespace corral;
using namespace corral::compose;
using Strings = std::vector<std::string>;

namespace {

const Environment ENVIRONMENT = {
    { "HTTP_PROXY", "http://proxy:3128" },
    { "HTTPS_PROXY", "http://proxy:3129" },
    { "EMPTY", "" },
    { "FOO", "global" },
    { "console/FOO", "console's" },
    { "console/BAR", "only console" },
    { "ntp/SERVER", "pool.ntp.org" },
    { "XA", "1" },
    { "XB", "2" },
};

config::KeyValueList entries(std::vector<std::pair<std::string, std::optional<std::string>>> list)
{
    return config::KeyValueList { std::move(list) };
}

} // namespace

TEST(Environment, ScopedNamesComeFirst)
{
    EXPECT_EQ(lookup_variable(ENVIRONMENT, "console", "FOO"), "console's");
    EXPECT_EQ(lookup_variable(ENVIRONMENT, "ntp", "FOO"), "global");
    EXPECT_EQ(lookup_variable(ENVIRONMENT, "ntp", "BAR"), std::nullopt);
    EXPECT_EQ(lookup_variable(ENVIRONMENT, "console", "BAR"), "only console");
    EXPECT_EQ(lookup_variable(ENVIRONMENT, "ntp", "EMPTY"), "");

    Lookup lookup = variable_lookup(ENVIRONMENT, "console");
    auto text = interpolate("${FOO}/${BAR}/${SERVER:-none}", lookup);
    ASSERT_FALSE(text.is_error()) << text.error().message();
    EXPECT_EQ(text.value(), "console's/only console/none");
}

TEST(Environment, BareNames)
{
    EXPECT_EQ(expand_bare_entry(ENVIRONMENT, "docker", "HTTP_PROXY"), Strings { "HTTP_PROXY=http://proxy:3128" });
    EXPECT_EQ(expand_bare_entry(ENVIRONMENT, "console", "FOO"), Strings { "FOO=console's" });
    EXPECT_EQ(expand_bare_entry(ENVIRONMENT, "docker", "EMPTY"), Strings { "EMPTY=" });
    // Unset: dropped, not passed empty.
    EXPECT_EQ(expand_bare_entry(ENVIRONMENT, "docker", "NO_PROXY"), Strings {});
}

TEST(Environment, WildcardsExpandInNameOrder)
{
    EXPECT_EQ(expand_bare_entry(ENVIRONMENT, "docker", "HTTP*"),
        (Strings { "HTTPS_PROXY=http://proxy:3129", "HTTP_PROXY=http://proxy:3128" }));
    EXPECT_EQ(expand_bare_entry(ENVIRONMENT, "docker", "X*"), (Strings { "XA=1", "XB=2" }));
    EXPECT_EQ(expand_bare_entry(ENVIRONMENT, "docker", "NOPE*"), Strings {});
    // The service's own variables win as a group when there is any.
    EXPECT_EQ(expand_bare_entry(ENVIRONMENT, "console", "*"), (Strings { "BAR=only console", "FOO=console's" }));
    EXPECT_EQ(expand_bare_entry(ENVIRONMENT, "console", "X*"), (Strings { "XA=1", "XB=2" }));
    // Another service's variables are never picked up.
    EXPECT_EQ(expand_bare_entry(ENVIRONMENT, "docker", "*"),
        (Strings {
            "EMPTY=", "FOO=global", "HTTPS_PROXY=http://proxy:3129", "HTTP_PROXY=http://proxy:3128", "XA=1", "XB=2" }));
}

TEST(Environment, ResolveKeepsValuesExpandsBareNamesAndMergesDuplicates)
{
    auto list = entries({
        { "A", "1" },
        { "EMPTY_VALUE", "" },
        { "HTTP_PROXY", std::nullopt },
        { "NO_PROXY", std::nullopt },
        { "X*", std::nullopt },
        { "A", "2" },
        { "XB", "override" },
    });
    EXPECT_EQ(resolve_environment(list, "docker", ENVIRONMENT),
        (Strings { "A=2", "EMPTY_VALUE=", "HTTP_PROXY=http://proxy:3128", "XA=1", "XB=override" }));
}

TEST(Environment, EnvFilesComeFirstAndEnvironmentOverrides)
{
    auto files = entries({ { "A", "from file" }, { "B", "from file" }, { "FOO", std::nullopt } });
    auto list = entries({ { "B", "from service" }, { "C", "3" } });
    EXPECT_EQ(resolve_environment(list, "console", ENVIRONMENT, files),
        (Strings { "A=from file", "B=from service", "FOO=console's", "C=3" }));
}

TEST(Environment, RancherEnvironmentAddsProxiesAndKernelVersion)
{
    config::RancherConfig rancher;
    rancher.environment = { { "VERSION", "v1" }, { "HTTP_PROXY", "old" } };
    rancher.network.http_proxy = "http://p:1";
    rancher.network.no_proxy = "localhost";
    Environment environment = rancher_environment(rancher, "6.1.0-13-amd64");
    EXPECT_EQ(environment,
        (Environment { { "HTTP_PROXY", "http://p:1" }, { "KERNEL_VERSION", "6.1.0-13-amd64" },
            { "NO_PROXY", "localhost" }, { "VERSION", "v1" }, { "http_proxy", "http://p:1" },
            { "no_proxy", "localhost" } }));
    EXPECT_EQ(rancher_environment(rancher, "").count("KERNEL_VERSION"), 0u);
}

TEST(Environment, DefaultConsoleGetsTheProxySettings)
{
    auto config = compose_test::default_os_config();
    config.rancher.network.http_proxy = "http://proxy.example:3128";
    config.rancher.network.no_proxy = "127.0.0.1,.local";
    Environment environment = rancher_environment(config.rancher, "");
    for (auto const* name : { "console", "docker" }) {
        auto const& service = config.rancher.services.at(name);
        EXPECT_EQ(resolve_environment(service.environment, name, environment),
            (Strings { "HTTP_PROXY=http://proxy.example:3128", "NO_PROXY=127.0.0.1,.local" }))
            << name;
    }
    // Without any proxy the variables are left out, not passed empty.
    Environment plain = rancher_environment(compose_test::default_os_config().rancher, "");
    EXPECT_EQ(resolve_environment(config.rancher.services.at("console").environment, "console", plain), Strings {});
}

TEST(EnvFile, ParsesLinesAsDockerDoes)
{
    auto list = parse_env_file(
        "# comment\n\n  A=1\nB=\"quoted\" value\r\nC=a=b\n\tBARE\nD=\n   # indented comment\nE= x", "app.env");
    ASSERT_FALSE(list.is_error()) << list.error().message();
    std::vector<std::pair<std::string, std::optional<std::string>>> expected = {
        { "A", "1" },
        { "B", "\"quoted\" value" },
        { "C", "a=b" },
        { "BARE", std::nullopt },
        { "D", "" },
        { "E", " x" },
    };
    EXPECT_EQ(list->entries, expected);
}

TEST(EnvFile, BadNamesNameFileAndLine)
{
    auto list = parse_env_file("A=1\n\nA B=2\n", "app.env");
    ASSERT_TRUE(list.is_error());
    EXPECT_EQ(list.error().code(), EINVAL);
    EXPECT_EQ(list.error().message(), R"(app.env:3: invalid variable name "A B")");
    list = parse_env_file("=x", "e");
    ASSERT_TRUE(list.is_error());
    EXPECT_EQ(list.error().message(), R"(e:1: invalid variable name "")");
}
