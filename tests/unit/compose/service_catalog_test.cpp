#include "compose/service_catalog.h"

#include "sources_test_support.h"

#include <gtest/gtest.h>

using namespace corral;
using namespace corral::compose;
using corral::config::Diagnostic;
using sources_test::SourcesTest;

namespace {

struct Row {
    std::string name;
    std::vector<std::string> repositories;
    bool enabled;

    bool operator==(const Row&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Row& row)
{
    out << row.name << " [";
    for (auto const& r : row.repositories)
        out << r << " ";
    return out << "] " << (row.enabled ? "enabled" : "disabled");
}

std::vector<Row> rows(const Available& available)
{
    std::vector<Row> out;
    for (auto const& e : available.entries)
        out.push_back(Row { e.name, e.repositories, e.enabled });
    return out;
}

TEST(RepositoryIndexParse, ThreeLists)
{
    config::Diagnostics diagnostics;
    auto index = parse_repository_index("services: [kernel-headers, open-vm-tools]\n"
                                        "consoles:\n  - alpine\n  - debian\n"
                                        "engines: [docker-20.10.24]\n",
        "index.yml", diagnostics);
    ASSERT_FALSE(index.is_error()) << index.error().message();
    EXPECT_TRUE(diagnostics.empty());
    EXPECT_EQ(index->services, (std::vector<std::string> { "kernel-headers", "open-vm-tools" }));
    EXPECT_EQ(index->consoles, (std::vector<std::string> { "alpine", "debian" }));
    EXPECT_EQ(index->engines, std::vector<std::string> { "docker-20.10.24" });
    EXPECT_EQ(&index->names(Kind::Console), &index->consoles);
    EXPECT_EQ(&index->names(Kind::Engine), &index->engines);
    EXPECT_EQ(&index->names(Kind::Service), &index->services);
}

TEST(RepositoryIndexParse, ProblemsAreLeftOutWithDiagnostics)
{
    config::Diagnostics diagnostics;
    auto index = parse_repository_index("services: [good, ../evil, {a: b}]\n"
                                        "consoles: alpine\n"
                                        "engines:\n"
                                        "kernels: [x]\n",
        "index.yml", diagnostics);
    ASSERT_FALSE(index.is_error());
    EXPECT_EQ(index->services, std::vector<std::string> { "good" });
    EXPECT_TRUE(index->consoles.empty());
    EXPECT_TRUE(index->engines.empty());
    ASSERT_EQ(diagnostics.size(), 4u);
    EXPECT_EQ(diagnostics[0].describe(), "index.yml:1:18: services[1]: not a valid name: \"../evil\"");
    EXPECT_EQ(diagnostics[1].describe(), "index.yml:1:27: services[2]: not a valid name: a map");
    EXPECT_EQ(diagnostics[2].describe(), "index.yml:2:11: consoles: expected a list of names, got \"alpine\"");
    EXPECT_EQ(diagnostics[3].describe(), "index.yml:4:1: kernels: unknown key");
    EXPECT_EQ(diagnostics[3].severity, Diagnostic::Severity::Warning);
}

TEST(RepositoryIndexParse, NotAMapIsAnError)
{
    config::Diagnostics diagnostics;
    auto index = parse_repository_index("- a\n", "index.yml", diagnostics);
    ASSERT_TRUE(index.is_error());
    EXPECT_EQ(index.error().message(), "index.yml:1:1: expected a map with services, consoles and engines, got a list");
    auto empty = parse_repository_index("", "index.yml", diagnostics);
    ASSERT_FALSE(empty.is_error());
    EXPECT_TRUE(empty->services.empty());
}

TEST(SuggestNames, CloseNamesFirst)
{
    std::vector<std::string> names { "ntp", "open-vm-tools", "open-iscsi", "docker-20.10.24", "docker-19.03.15",
        "kernel-headers", "kernel-headers-system-docker", "zfs" };
    EXPECT_EQ(suggest_names("ntpp", names), std::vector<std::string> { "ntp" });
    EXPECT_EQ(suggest_names("open-vm-tool", names), std::vector<std::string> { "open-vm-tools" });
    EXPECT_EQ(suggest_names("docker", names), (std::vector<std::string> { "docker-19.03.15", "docker-20.10.24" }));
    EXPECT_EQ(suggest_names("kernel-header", names),
        (std::vector<std::string> { "kernel-headers", "kernel-headers-system-docker" }));
    EXPECT_TRUE(suggest_names("zz", names).empty());
    EXPECT_TRUE(suggest_names("ntp", names).empty()); // an exact match is no suggestion
}

class CatalogTest : public SourcesTest {
protected:
    void SetUp() override
    {
        SourcesTest::SetUp();
        add_repository("core", "file:///usr/share/ros/repositories/core");
        write("/usr/share/ros/repositories/core/index.yml",
            "services: [open-vm-tools, kernel-headers, ntp-extra]\n"
            "consoles: [alpine, debian]\n"
            "engines: [docker-20.10.24]\n");
        write("/usr/share/ros/repositories/core/n/ntp-extra.yml", "ntp-extra:\n  image: busybox\n");
        write("/usr/share/ros/repositories/core/a/alpine.yml", "console:\n  image: alpine-console\n");
        write("/usr/share/ros/repositories/core/d/debian.yml", "debian:\n  image: not-a-console\n");
        write("/usr/share/ros/repositories/core/d/docker-20.10.24.yml", "docker:\n  image: docker\n");
        add_repository("extra", "/srv/extra");
        write("/srv/extra/index.yml", "services: [ntp-extra, zfs]\nengines: [docker-24.0.0]\n");
    }
};

TEST_F(CatalogTest, ServiceList)
{
    config::RancherConfig rancher;
    rancher.services_include = { { "ntp-extra", true }, { "zfs", false }, { "/var/lib/rancher/conf/mine.yml", true },
        { "https://example.com/s.yml", false } };
    auto available = list_available(sources(), Kind::Service, rancher, Update::No);
    EXPECT_TRUE(available.warnings.empty()) << available.warnings[0];
    EXPECT_EQ(rows(available),
        (std::vector<Row> {
            { "kernel-headers", { "core" }, false },
            { "ntp-extra", { "core", "extra" }, true },
            { "open-vm-tools", { "core" }, false },
            { "zfs", { "extra" }, false },
            { "/var/lib/rancher/conf/mine.yml", {}, true },
            { "https://example.com/s.yml", {}, false },
        }));
}

TEST_F(CatalogTest, ConsoleList)
{
    config::RancherConfig rancher;
    auto available = list_available(sources(), Kind::Console, rancher, Update::No);
    EXPECT_EQ(rows(available),
        (std::vector<Row> {
            { "alpine", { "core" }, false }, { "debian", { "core" }, false }, { "default", {}, true } }));

    rancher.console = "alpine";
    available = list_available(sources(), Kind::Console, rancher, Update::No);
    EXPECT_EQ(rows(available),
        (std::vector<Row> {
            { "alpine", { "core" }, true }, { "debian", { "core" }, false }, { "default", {}, false } }));

    rancher.console = "centos"; // configured, but in no index
    available = list_available(sources(), Kind::Console, rancher, Update::No);
    EXPECT_EQ(rows(available),
        (std::vector<Row> { { "alpine", { "core" }, false }, { "centos", {}, true }, { "debian", { "core" }, false },
            { "default", {}, false } }));
}

TEST_F(CatalogTest, EngineList)
{
    config::RancherConfig rancher;
    rancher.docker.engine = "docker-20.10.24";
    auto available = list_available(sources(), Kind::Engine, rancher, Update::No);
    EXPECT_EQ(rows(available),
        (std::vector<Row> { { "docker-20.10.24", { "core" }, true }, { "docker-24.0.0", { "extra" }, false } }));
}

TEST_F(CatalogTest, UnreadableRepositoryIsAWarning)
{
    add_repository("broken", "/srv/broken");
    add_repository("down", "https://down.example/repo");
    m_offline = true;
    config::RancherConfig rancher;
    auto available = list_available(sources(), Kind::Engine, rancher, Update::No);
    EXPECT_EQ(rows(available),
        (std::vector<Row> { { "docker-20.10.24", { "core" }, false }, { "docker-24.0.0", { "extra" }, false } }));
    EXPECT_EQ(available.warnings,
        (std::vector<std::string> {
            "repository broken: open '" + m_root + "/srv/broken/index.yml': No such file or directory",
            "repository down: GET https://down.example/repo/index.yml: Connection refused",
        }));
}

TEST_F(CatalogTest, IndexProblemsAreWarnings)
{
    write("/srv/extra/index.yml", "services: [ntp-extra, ../x]\n");
    auto available = list_available(sources(), Kind::Service, {}, Update::No);
    EXPECT_EQ(available.entries.size(), 3u);
    EXPECT_EQ(available.warnings,
        std::vector<std::string> { m_root + "/srv/extra/index.yml:1:23: services[1]: not a valid name: \"../x\"" });
}

TEST_F(CatalogTest, RemoteIndexIsCachedAndUpdateRefreshesWhatWasCached)
{
    m_options.repositories.clear();
    add_repository("web", "https://web.example/repo");
    m_remote["https://web.example/repo/index.yml"] = "services: [a-svc, b-svc]\n";
    m_remote["https://web.example/repo/a/a-svc.yml"] = "a-svc:\n  image: a\n";
    m_remote["https://web.example/repo/b/b-svc.yml"] = "b-svc:\n  image: b\n";

    auto first = list_available(sources(), Kind::Service, {}, Update::No);
    EXPECT_EQ(first.entries.size(), 2u);
    ASSERT_FALSE(sources().resolve("a-svc", Update::No).is_error());
    m_remote["https://web.example/repo/index.yml"] = "services: [a-svc, b-svc, c-svc]\n";
    auto cached = list_available(sources(), Kind::Service, {}, Update::No);
    EXPECT_EQ(cached.entries.size(), 2u);
    EXPECT_EQ(m_requests,
        (std::vector<std::string> { "https://web.example/repo/index.yml", "https://web.example/repo/a/a-svc.yml" }));

    m_requests.clear();
    m_remote["https://web.example/repo/a/a-svc.yml"] = "a-svc:\n  image: a2\n";
    auto updated = list_available(sources(), Kind::Service, {}, Update::Yes);
    EXPECT_TRUE(updated.warnings.empty());
    EXPECT_EQ(updated.entries.size(), 3u);
    // The index, and of the listed files only the one that was cached.
    EXPECT_EQ(m_requests,
        (std::vector<std::string> { "https://web.example/repo/index.yml", "https://web.example/repo/a/a-svc.yml" }));
    auto a = sources().resolve("a-svc", Update::No);
    ASSERT_FALSE(a.is_error());
    EXPECT_EQ(a->text, "a-svc:\n  image: a2\n");
}

TEST_F(CatalogTest, EnableARepositoryService)
{
    auto loaded = check_enable_argument(sources(), "ntp-extra", Kind::Service, Update::No);
    ASSERT_FALSE(loaded.is_error()) << loaded.error().message();
    EXPECT_EQ(loaded->source.repository, "core");
    EXPECT_TRUE(loaded->file.definitions.contains("ntp-extra"));
    EXPECT_TRUE(loaded->source.warnings.empty());
}

TEST_F(CatalogTest, EnableATypoSuggestsNames)
{
    auto loaded = check_enable_argument(sources(), "ntp-extr", Kind::Service, Update::No);
    ASSERT_TRUE(loaded.is_error());
    EXPECT_EQ(loaded.error().code(), ENOENT);
    EXPECT_EQ(loaded.error().message(),
        "no service named \"ntp-extr\" in repositories core (file:///usr/share/ros/repositories/core), "
        "extra (/srv/extra); did you mean \"ntp-extra\"?");

    auto none = check_enable_argument(sources(), "qqqqq", Kind::Service, Update::No);
    ASSERT_TRUE(none.is_error());
    EXPECT_EQ(none.error().message(),
        "no service named \"qqqqq\" in repositories core (file:///usr/share/ros/repositories/core), extra "
        "(/srv/extra)");
}

TEST_F(CatalogTest, EnableOtherKindsNameHints)
{
    // Listed as an engine, and its file is missing: the hint says where it belongs.
    auto engine = check_enable_argument(sources(), "docker-24.0.0", Kind::Service, Update::No);
    ASSERT_TRUE(engine.is_error());
    EXPECT_EQ(engine.error().message(),
        "no service named \"docker-24.0.0\" in repositories core (file:///usr/share/ros/repositories/core), "
        "extra (/srv/extra); \"docker-24.0.0\" is an engine: use `ros engine enable docker-24.0.0`");

    // Listed as a console, and found: allowed, with a warning.
    auto console = check_enable_argument(sources(), "alpine", Kind::Service, Update::No);
    ASSERT_FALSE(console.is_error()) << console.error().message();
    EXPECT_EQ(console->source.warnings,
        std::vector<std::string> { "\"alpine\" is listed as a console, not a service; enabling it as a service adds "
                                   "its definitions as they are" });
}

TEST_F(CatalogTest, EnableConsoleAndEngineNeedTheirService)
{
    auto alpine = check_enable_argument(sources(), "alpine", Kind::Console, Update::No);
    ASSERT_FALSE(alpine.is_error()) << alpine.error().message();
    EXPECT_TRUE(alpine->source.warnings.empty());

    auto debian = check_enable_argument(sources(), "debian", Kind::Console, Update::No);
    ASSERT_TRUE(debian.is_error());
    EXPECT_EQ(debian.error().code(), EINVAL);
    EXPECT_EQ(
        debian.error().message(), m_root + "/usr/share/ros/repositories/core/d/debian.yml defines no console service");

    auto engine = check_enable_argument(sources(), "docker-20.10.24", Kind::Engine, Update::No);
    ASSERT_FALSE(engine.is_error()) << engine.error().message();
    auto not_engine = check_enable_argument(sources(), "ntp-extra", Kind::Engine, Update::No);
    ASSERT_TRUE(not_engine.is_error());
    EXPECT_EQ(not_engine.error().message(),
        m_root + "/usr/share/ros/repositories/core/n/ntp-extra.yml defines no docker service");

    auto typo = check_enable_argument(sources(), "alpin", Kind::Console, Update::No);
    ASSERT_TRUE(typo.is_error());
    EXPECT_EQ(typo.error().message(),
        "no console named \"alpin\" in repositories core (file:///usr/share/ros/repositories/core), "
        "extra (/srv/extra); did you mean \"alpine\"?");
}

TEST_F(CatalogTest, EnablePathMustBeInTheConfigDirectory)
{
    write("/tmp/x.yml", "x:\n  image: x\n");
    for (std::string path : { "/tmp/x.yml", "/var/lib/rancher/conf", "/var/lib/rancher/config-evil/x.yml",
             "/var/lib/rancher/conf/../../../tmp/x.yml" }) {
        auto loaded = check_enable_argument(sources(), path, Kind::Service, Update::No);
        ASSERT_TRUE(loaded.is_error()) << path;
        EXPECT_EQ(loaded.error().code(), EINVAL);
        EXPECT_EQ(loaded.error().message(), "service file \"" + path + "\" must be in /var/lib/rancher/conf");
    }

    write("/var/lib/rancher/conf/mine.yml", "mine:\n  image: x\n");
    auto mine = check_enable_argument(sources(), "/var/lib/rancher/conf/mine.yml", Kind::Service, Update::No);
    ASSERT_FALSE(mine.is_error()) << mine.error().message();
    EXPECT_EQ(mine->source.origin, Origin::LocalFile);
}

TEST_F(CatalogTest, EnableRefusesBrokenOrEmptyFiles)
{
    write("/var/lib/rancher/conf/empty.yml", "# nothing\n");
    auto empty = check_enable_argument(sources(), "/var/lib/rancher/conf/empty.yml", Kind::Service, Update::No);
    ASSERT_TRUE(empty.is_error());
    EXPECT_EQ(empty.error().message(), m_root + "/var/lib/rancher/conf/empty.yml defines no services");

    write("/var/lib/rancher/conf/bad.yml", "ok:\n  image: x\nbad: 3\n");
    auto bad = check_enable_argument(sources(), "/var/lib/rancher/conf/bad.yml", Kind::Service, Update::No);
    ASSERT_TRUE(bad.is_error());
    EXPECT_EQ(bad.error().message(),
        m_root + "/var/lib/rancher/conf/bad.yml:3:6: bad: expected a map of service keys, got 3");

    write("/var/lib/rancher/conf/v2.yml", "version: '2'\nservices:\n  a:\n    image: x\nnetworks: {}\n");
    auto v2 = check_enable_argument(sources(), "/var/lib/rancher/conf/v2.yml", Kind::Service, Update::No);
    ASSERT_FALSE(v2.is_error()) << v2.error().message();
    EXPECT_EQ(v2->source.warnings,
        std::vector<std::string> { m_root
            + "/var/lib/rancher/conf/v2.yml:5:1: networks: top-level networks is not supported in service files; "
              "ignored" });
}

TEST_F(CatalogTest, EnableAUrl)
{
    m_remote["https://example.com/s.yml"] = "s:\n  image: x\n";
    auto loaded = check_enable_argument(sources(), "https://example.com/s.yml", Kind::Service, Update::No);
    ASSERT_FALSE(loaded.is_error()) << loaded.error().message();
    EXPECT_EQ(loaded->source.origin, Origin::Url);

    auto missing = check_enable_argument(sources(), "https://example.com/none.yml", Kind::Service, Update::No);
    ASSERT_TRUE(missing.is_error());
    EXPECT_EQ(missing.error().message(), "GET https://example.com/none.yml: HTTP 404");
}

} // namespace
