// Compose's ${VAR} interpolation: every form, the errors with their offsets,
// and interpolation of a whole service definition in place.

#include "compose/interpolate.h"

#include "compose_test_support.h"
#include "config/yaml.h"

#include <gtest/gtest.h>

using namespace corral;
using namespace corral::compose;

namespace {

const std::map<std::string, std::string> VARIABLES = {
    { "VERSION", "v1.5.8" },
    { "EMPTY", "" },
    { "REGISTRY_DOMAIN", "docker.io" },
    { "_under", "u" },
    { "a1", "A1" },
};

Lookup table_lookup()
{
    return [](std::string_view name) -> std::optional<std::string> {
        auto it = VARIABLES.find(std::string(name));
        if (it == VARIABLES.end())
            return std::nullopt;
        return it->second;
    };
}

std::string ok(std::string_view text)
{
    auto result = interpolate(text, table_lookup());
    EXPECT_FALSE(result.is_error()) << result.error().message();
    return result.is_error() ? std::string("<error>") : result.release_value();
}

std::string error(std::string_view text)
{
    auto result = interpolate(text, table_lookup());
    EXPECT_TRUE(result.is_error()) << "no error for " << text;
    if (!result.is_error())
        return {};
    EXPECT_EQ(result.error().code(), EINVAL);
    return result.error().message();
}

} // namespace

TEST(Interpolate, TextWithoutDollarIsUnchanged)
{
    EXPECT_EQ(ok(""), "");
    EXPECT_EQ(ok("rancher/os-base:latest"), "rancher/os-base:latest");
    EXPECT_EQ(ok("caf\xc3\xa9 {braces} }"), "caf\xc3\xa9 {braces} }");
}

TEST(Interpolate, PlainAndBracedNames)
{
    EXPECT_EQ(ok("${REGISTRY_DOMAIN}/rancher/os:${VERSION}"), "docker.io/rancher/os:v1.5.8");
    EXPECT_EQ(ok("$VERSION"), "v1.5.8");
    EXPECT_EQ(ok("x$VERSION-y"), "xv1.5.8-y"); // the name stops at "-"
    EXPECT_EQ(ok("$_under.$a1"), "u.A1");
    EXPECT_EQ(ok("${a1}${_under}"), "A1u");
    EXPECT_EQ(ok("$VERSIONS"), ""); // a longer name, not set
}

TEST(Interpolate, DoubleDollarIsALiteralDollar)
{
    EXPECT_EQ(ok("$$"), "$");
    EXPECT_EQ(ok("sh -c 'echo $$1 $${HOME}'"), "sh -c 'echo $1 ${HOME}'");
    EXPECT_EQ(ok("$$$VERSION"), "$v1.5.8");
}

TEST(Interpolate, DefaultsDistinguishUnsetFromEmpty)
{
    EXPECT_EQ(ok("${VERSION:-x}"), "v1.5.8");
    EXPECT_EQ(ok("${EMPTY:-x}"), "x");
    EXPECT_EQ(ok("${MISSING:-x}"), "x");
    EXPECT_EQ(ok("${VERSION-x}"), "v1.5.8");
    EXPECT_EQ(ok("${EMPTY-x}"), "");
    EXPECT_EQ(ok("${MISSING-x}"), "x");
    EXPECT_EQ(ok("${MISSING:-}"), "");
    EXPECT_EQ(ok("${MISSING:-a b:c-d}"), "a b:c-d");
    // The word is literal and ends at the first "}".
    EXPECT_EQ(ok("${MISSING:-$VERSION}"), "$VERSION");
    EXPECT_EQ(ok("${MISSING-a}b}"), "ab}");
}

TEST(Interpolate, RequiredVariables)
{
    EXPECT_EQ(ok("${VERSION:?needed}"), "v1.5.8");
    EXPECT_EQ(ok("${EMPTY?needed}"), "");
    EXPECT_EQ(error("${EMPTY:?needed}"), R"(required variable EMPTY is not set: needed (in "${EMPTY:?needed}"))");
    EXPECT_EQ(error("x ${MISSING?}"), R"(required variable MISSING is not set (in "x ${MISSING?}"))");
}

TEST(Interpolate, ReportsUnsetVariablesWithoutDefaults)
{
    std::set<std::string> unset;
    auto result = interpolate("$A ${B} ${C:-c} ${D-d} $A $VERSION", table_lookup(), &unset);
    ASSERT_FALSE(result.is_error());
    EXPECT_EQ(result.value(), "  c d  v1.5.8");
    EXPECT_EQ(unset, (std::set<std::string> { "A", "B" }));
}

TEST(Interpolate, BadSyntaxNamesTextAndOffset)
{
    EXPECT_EQ(error("${"), R"(unterminated "${" in "${" at offset 0)");
    EXPECT_EQ(error("abc ${FOO"), R"(unterminated "${" in "abc ${FOO" at offset 4)");
    EXPECT_EQ(error("${A:-b"), R"(unterminated "${" in "${A:-b" at offset 0)");
    EXPECT_EQ(error("a${}b"), R"(empty variable name in "a${}b" at offset 1)");
    EXPECT_EQ(error("${:-x}"), R"(empty variable name in "${:-x}" at offset 0)");
    EXPECT_EQ(error("${A B}"), R"(invalid variable name "A B" in "${A B}" at offset 0)");
    EXPECT_EQ(error("${1A}"), R"(invalid variable name "1A" in "${1A}" at offset 0)");
    EXPECT_EQ(error("${A:x}"), R"(invalid variable name "A:x" in "${A:x}" at offset 0)");
    EXPECT_EQ(error("5$"),
        R"("$" must be followed by a name, "{" or "$" (write "$$" for a literal "$") in "5$" at offset 1)");
    EXPECT_EQ(error("echo $1"),
        R"("$" must be followed by a name, "{" or "$" (write "$$" for a literal "$") in "echo $1" at offset 5)");
    EXPECT_EQ(error("tab\t$ "),
        R"("$" must be followed by a name, "{" or "$" (write "$$" for a literal "$") in "tab\t$ " at offset 4)");
}

TEST(InterpolateService, InterpolatesEveryStringInPlace)
{
    auto tree = config::parse_yaml(R"(image: ${REGISTRY_DOMAIN}/os:${VERSION}
command: ["sh", "-c", "echo $$HOME"]
labels:
  io.rancher.os.after: "${MISSING:-network}"
  ${VERSION}: key
environment:
  V: $VERSION
mem_limit: 5
privileged: true
)",
        "svc.yml");
    ASSERT_FALSE(tree.is_error()) << tree.error().message();
    config::Node service = tree.release_value();
    std::set<std::string> unset;
    auto result = interpolate_service(service, "svc", table_lookup(), &unset);
    ASSERT_FALSE(result.is_error()) << result.error().message();
    EXPECT_TRUE(unset.empty());
    EXPECT_EQ(service.find("image")->text(), "docker.io/os:v1.5.8");
    EXPECT_EQ(service.find("image")->kind(), config::ScalarKind::String);
    EXPECT_EQ(service.find("image")->mark().describe(), "svc.yml:1:8");
    EXPECT_EQ(service.find("command")->items()[2].text(), "echo $HOME");
    EXPECT_EQ(service.find("labels")->find("io.rancher.os.after")->text(), "network");
    // Keys stay as written.
    EXPECT_EQ(service.find("labels")->find("${VERSION}")->text(), "key");
    EXPECT_EQ(service.find("environment")->find("V")->text(), "v1.5.8");
    EXPECT_EQ(service.find("mem_limit")->kind(), config::ScalarKind::Int);
    EXPECT_EQ(service.find("privileged")->kind(), config::ScalarKind::Bool);
}

TEST(InterpolateService, ErrorsNameTheMarkServiceAndKey)
{
    auto tree = config::parse_yaml(R"(image: busybox
volumes:
  - /a:/a
  - "${HOST:/b"
labels:
  io.rancher.os.after: "$"
)",
        "svc.yml");
    ASSERT_FALSE(tree.is_error());
    config::Node service = tree.value();
    auto result = interpolate_service(service, "console", table_lookup());
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(
        result.error().message(), R"(svc.yml:4:5: console.volumes[1]: unterminated "${" in "${HOST:/b" at offset 0)");

    config::Node labels_only = config::parse_yaml("labels:\n  io.rancher.os.after: \"x$\"\n", "l.yml").release_value();
    result = interpolate_service(labels_only, "ntp", table_lookup());
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().message(),
        R"(l.yml:2:24: ntp.labels."io.rancher.os.after": "$" must be followed by a name, "{" or "$" (write "$$" for a literal "$") in "x$" at offset 1)");
}

TEST(InterpolateService, DefaultServicesNeedNoVariables)
{
    // The default os-config.yml has already been rendered by the template, so
    // its services hold no "$" and interpolation leaves them unchanged.
    config::Node tree = compose_test::default_os_config_tree();
    config::Node* services = tree.find("rancher")->find("services");
    ASSERT_NE(services, nullptr);
    ASSERT_GE(services->entries().size(), 14u);
    for (auto& entry : services->entries()) {
        config::Node before = entry.value;
        std::set<std::string> unset;
        auto result = interpolate_service(entry.value, entry.key, table_lookup(), &unset);
        ASSERT_FALSE(result.is_error()) << result.error().message();
        EXPECT_TRUE(entry.value == before) << entry.key;
        EXPECT_TRUE(unset.empty()) << entry.key;
    }
}
