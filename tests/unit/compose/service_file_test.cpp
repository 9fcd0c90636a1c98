#include "compose/service_file.h"

#include "compose_test_support.h"

#include <gtest/gtest.h>

using namespace corral;
using namespace corral::compose;
using corral::config::Diagnostic;

namespace {

ServiceFile parse_ok(std::string_view text, const std::string& source = "svc.yml")
{
    auto file = parse_service_file(text, source);
    EXPECT_FALSE(file.is_error()) << file.error().message();
    return file.is_error() ? ServiceFile {} : file.release_value();
}

std::vector<std::string> names(const ServiceFile& file)
{
    std::vector<std::string> out;
    for (auto const& [name, definition] : file.definitions)
        out.push_back(name);
    return out;
}

TEST(ServiceFile, V1MapWithSeveralServices)
{
    auto file = parse_ok("ntp-extra:\n"
                         "  image: busybox\n"
                         "  labels:\n"
                         "    io.rancher.os.scope: system\n"
                         "web:\n"
                         "  image: nginx\n"
                         "  privileged: true\n");
    EXPECT_EQ(file.source, "svc.yml");
    EXPECT_EQ(names(file), (std::vector<std::string> { "ntp-extra", "web" }));
    EXPECT_TRUE(file.diagnostics.empty()) << compose_test::describe(file.diagnostics);

    auto decoded = decode_services(file, {});
    EXPECT_TRUE(decoded.diagnostics.empty()) << compose_test::describe(decoded.diagnostics);
    EXPECT_TRUE(decoded.errors.empty());
    ASSERT_EQ(decoded.services.size(), 2u);
    EXPECT_EQ(decoded.services["ntp-extra"].image, "busybox");
    EXPECT_EQ(decoded.services["web"].image, "nginx");
    EXPECT_TRUE(decoded.services["web"].privileged);
    ASSERT_EQ(decoded.services["ntp-extra"].labels.entries.size(), 1u);
    EXPECT_EQ(decoded.services["ntp-extra"].labels.entries[0].first, "io.rancher.os.scope");
}

TEST(ServiceFile, DefinitionsKeepTheirPositions)
{
    auto file = parse_ok("a:\n  image: x\nb:\n  image: y\n", "/var/lib/rancher/conf/ab.yml");
    const config::Node* image = file.definitions.at("b").find("image");
    ASSERT_NE(image, nullptr);
    EXPECT_EQ(image->mark().describe(), "/var/lib/rancher/conf/ab.yml:4:10");
}

TEST(ServiceFile, V2FormWithVersionAndServices)
{
    auto file = parse_ok("version: '2'\n"
                         "services:\n"
                         "  web:\n"
                         "    image: nginx\n"
                         "  db:\n"
                         "    image: postgres\n");
    EXPECT_EQ(names(file), (std::vector<std::string> { "db", "web" }));
    EXPECT_TRUE(file.diagnostics.empty()) << compose_test::describe(file.diagnostics);
}

TEST(ServiceFile, V2MinorVersionsAndVersion3AreAccepted)
{
    for (std::string version : { "2", "2.1", "\"2.4\"", "3", "3.8" }) {
        auto file = parse_ok("version: " + version + "\nservices:\n  a:\n    image: x\n");
        EXPECT_EQ(names(file), std::vector<std::string> { "a" }) << version;
    }
}

TEST(ServiceFile, V2OtherTopLevelKeysAreWarnedAndIgnored)
{
    auto file = parse_ok("version: \"2\"\n"
                         "services:\n"
                         "  a:\n"
                         "    image: x\n"
                         "volumes:\n"
                         "  data: {}\n");
    EXPECT_EQ(names(file), std::vector<std::string> { "a" });
    ASSERT_EQ(file.diagnostics.size(), 1u);
    EXPECT_EQ(file.diagnostics[0].severity, Diagnostic::Severity::Warning);
    EXPECT_EQ(file.diagnostics[0].describe(),
        "svc.yml:5:1: volumes: top-level volumes is not supported in service files; ignored");
}

TEST(ServiceFile, V2WithoutServicesHasNone)
{
    auto file = parse_ok("version: '2'\n");
    EXPECT_TRUE(file.definitions.empty());
}

TEST(ServiceFile, UnsupportedVersionIsAnError)
{
    auto file = parse_service_file("version: 4\nservices: {}\n", "svc.yml");
    ASSERT_TRUE(file.is_error());
    EXPECT_EQ(file.error().code(), EINVAL);
    EXPECT_EQ(file.error().message(), "svc.yml:1:10: unsupported compose file version \"4\" (expected 2 or 3)");
}

TEST(ServiceFile, V2ServicesMustBeAMap)
{
    auto file = parse_service_file("version: '2'\nservices: [a, b]\n", "svc.yml");
    ASSERT_TRUE(file.is_error());
    EXPECT_EQ(file.error().message(), "svc.yml:2:11: services: expected a map of services, got a list");
}

TEST(ServiceFile, AV1ServiceNamedVersionIsAService)
{
    auto file = parse_ok("version:\n  image: x\n");
    EXPECT_EQ(names(file), std::vector<std::string> { "version" });
}

TEST(ServiceFile, EmptyFileHasNoServices)
{
    EXPECT_TRUE(parse_ok("").definitions.empty());
    EXPECT_TRUE(parse_ok("# nothing yet\n").definitions.empty());
}

TEST(ServiceFile, MalformedYamlNamesFileAndPosition)
{
    auto file = parse_service_file("web:\n  image: nginx\n  labels: [a, b\n", "/srv/web.yml");
    ASSERT_TRUE(file.is_error());
    EXPECT_EQ(file.error().code(), EINVAL);
    EXPECT_EQ(file.error().message(), "/srv/web.yml:4:1: end of sequence flow not found");
}

TEST(ServiceFile, TopLevelListIsAnError)
{
    auto file = parse_service_file("- image: x\n", "svc.yml");
    ASSERT_TRUE(file.is_error());
    EXPECT_EQ(file.error().message(), "svc.yml:1:1: expected a map of services, got a list");
}

TEST(ServiceFile, ServiceThatIsNotAMapIsLeftOutWithAnError)
{
    auto file = parse_ok("a: busybox\nb:\n  image: x\nc:\n");
    EXPECT_EQ(names(file), std::vector<std::string> { "b" });
    ASSERT_EQ(file.diagnostics.size(), 2u);
    EXPECT_EQ(file.diagnostics[0].severity, Diagnostic::Severity::Error);
    EXPECT_EQ(file.diagnostics[0].describe(), "svc.yml:1:4: a: expected a map of service keys, got \"busybox\"");
    EXPECT_EQ(file.diagnostics[1].describe(), "svc.yml:4:1: c: expected a map of service keys, got null");
}

TEST(ServiceFile, InvalidServiceNameIsLeftOutWithAnError)
{
    auto file = parse_ok("\"my service\":\n  image: x\n_hidden:\n  image: y\nok.1_a-b:\n  image: z\n");
    EXPECT_EQ(names(file), std::vector<std::string> { "ok.1_a-b" });
    ASSERT_EQ(file.diagnostics.size(), 2u);
    EXPECT_EQ(file.diagnostics[0].describe(),
        "svc.yml:1:1: invalid service name \"my service\" (a container name takes letters, digits, \"_\", \".\" "
        "and \"-\", and starts with a letter or digit)");
    EXPECT_EQ(file.diagnostics[1].mark.line, 3);
}

TEST(ServiceFile, ValidServiceNames)
{
    EXPECT_TRUE(is_valid_service_name("a"));
    EXPECT_TRUE(is_valid_service_name("docker-19.03.15"));
    EXPECT_TRUE(is_valid_service_name("0ab_c"));
    EXPECT_FALSE(is_valid_service_name(""));
    EXPECT_FALSE(is_valid_service_name(".hidden"));
    EXPECT_FALSE(is_valid_service_name("-x"));
    EXPECT_FALSE(is_valid_service_name("a/b"));
    EXPECT_FALSE(is_valid_service_name("a b"));
}

TEST(ServiceFile, UnknownKeyIsReportedWithFileLineServiceAndKey)
{
    auto file = parse_ok("web:\n  image: nginx\n  imagee: typo\n", "/var/lib/rancher/conf/web.yml");
    config::Diagnostics diagnostics;
    auto service = decode_service(file.definitions.at("web"), "web", diagnostics);
    EXPECT_EQ(service.image, "nginx");
    ASSERT_EQ(diagnostics.size(), 1u);
    EXPECT_EQ(diagnostics[0].severity, Diagnostic::Severity::Warning);
    EXPECT_EQ(diagnostics[0].describe(), "/var/lib/rancher/conf/web.yml:3:3: web.imagee: unknown key");
}

TEST(ServiceFile, UnknownNestedKeyAndDottedServiceName)
{
    auto file = parse_ok("docker-20.10:\n  image: x\n  healthcheck:\n    tests: [CMD, true]\n");
    config::Diagnostics diagnostics;
    (void)decode_service(file.definitions.at("docker-20.10"), "docker-20.10", diagnostics); // only the report matters
    ASSERT_EQ(diagnostics.size(), 1u);
    EXPECT_EQ(diagnostics[0].describe(), "svc.yml:4:5: \"docker-20.10\".healthcheck.tests: unknown key");
}

TEST(ServiceFile, BadValueIsAnErrorAndLeftAtItsDefault)
{
    auto file = parse_ok("web:\n  image: nginx\n  privileged: maybe\n");
    config::Diagnostics diagnostics;
    auto service = decode_service(file.definitions.at("web"), "web", diagnostics);
    EXPECT_FALSE(service.privileged);
    ASSERT_EQ(diagnostics.size(), 1u);
    EXPECT_EQ(diagnostics[0].severity, Diagnostic::Severity::Error);
    EXPECT_EQ(diagnostics[0].describe(), "svc.yml:3:15: web.privileged: expected a boolean, got \"maybe\"");
}

TEST(ServiceFile, DecodeServicesInterpolatesFirst)
{
    auto file = parse_ok("console:\n"
                         "  image: ${REGISTRY_DOMAIN}/corralos/os-console:${VERSION}\n"
                         "  privileged: ${PRIV}\n"
                         "  command: echo $$HOME ${MISSING}\n");
    Environment environment { { "REGISTRY_DOMAIN", "docker.io" }, { "VERSION", "v1" }, { "PRIV", "other" },
        { "console/PRIV", "true" } };
    auto decoded = decode_services(file, environment);
    EXPECT_TRUE(decoded.diagnostics.empty()) << compose_test::describe(decoded.diagnostics);
    EXPECT_TRUE(decoded.errors.empty());
    auto const& console = decoded.services.at("console");
    EXPECT_EQ(console.image, "docker.io/corralos/os-console:v1");
    EXPECT_TRUE(console.privileged);
    EXPECT_EQ(console.command.string, "echo $HOME ");
    EXPECT_EQ(decoded.warnings, std::vector<std::string> { "console: variable MISSING is not set; using \"\"" });
    // The raw definitions are left as written.
    EXPECT_EQ(file.definitions.at("console").find("privileged")->text(), "${PRIV}");
}

TEST(ServiceFile, InterpolationErrorLeavesOnlyThatServiceOut)
{
    auto file = parse_ok("bad:\n  image: ${X\ngood:\n  image: y\n");
    auto decoded = decode_services(file, {});
    EXPECT_EQ(decoded.services.size(), 1u);
    EXPECT_TRUE(decoded.services.contains("good"));
    ASSERT_EQ(decoded.errors.size(), 1u);
    EXPECT_EQ(decoded.errors[0].message(), "svc.yml:2:10: bad.image: unterminated \"${\" in \"${X\" at offset 0");
}

TEST(ServiceFile, DecodeServicesReportsEachServicesProblems)
{
    auto file = parse_ok("a:\n  image: x\n  colour: red\nb:\n  image: y\n  tty: sometimes\n");
    auto decoded = decode_services(file, {});
    ASSERT_EQ(decoded.diagnostics.size(), 2u);
    EXPECT_EQ(decoded.diagnostics[0].describe(), "svc.yml:3:3: a.colour: unknown key");
    EXPECT_EQ(decoded.diagnostics[1].describe(), "svc.yml:6:8: b.tty: expected a boolean, got \"sometimes\"");
    EXPECT_EQ(decoded.services.size(), 2u);
}

} // namespace
