// cloud-init-save's results on disk: boot.yml, the script and the metadata, and
// that the config loader reads them back (reference §3.1, §5).

#include "cloudinit/metadata.h"
#include "cloudinit/save.h"
#include "config/loader.h"
#include "gzip_support.h"
#include "test_root.h"

#include <gtest/gtest.h>

using namespace corral;
using namespace corral::cloudinit;
using corral::test::TestRoot;

namespace {

const std::string BOOT = "/var/lib/rancher/conf/cloud-config.d/boot.yml";
const std::string SCRIPT = "/var/lib/rancher/conf/cloud-config-script";
const std::string METADATA = "/var/lib/rancher/conf/metadata";

// A directory that looks like a mounted config drive.
void write_drive(const TestRoot& root, const std::string& user_data, const std::string& meta_data)
{
    root.write("/media/config-2/openstack/latest/user_data", user_data);
    if (!meta_data.empty())
        root.write("/media/config-2/openstack/latest/meta_data.json", meta_data);
}

// No block devices: only a drive already at the mount point can be found.
SaveOptions no_devices(const TestRoot& root)
{
    SaveOptions options;
    options.scan.sys_block = root.path("/sys/class/block");
    options.scan.dev_dir = root.path("/dev");
    options.device_wait = std::chrono::milliseconds(0);
    EXPECT_FALSE(mkdir_p(options.scan.sys_block, 0755).is_error());
    return options;
}

} // namespace

TEST(Datasource, ParsesNameAndArgument)
{
    auto spec = parse_datasource("configdrive:/media/config-2");
    EXPECT_EQ(spec.name, "configdrive");
    EXPECT_EQ(spec.argument, "/media/config-2");
    spec = parse_datasource("url:http://x/y:8080");
    EXPECT_EQ(spec.name, "url");
    EXPECT_EQ(spec.argument, "http://x/y:8080");
    spec = parse_datasource("ec2");
    EXPECT_EQ(spec.name, "ec2");
    EXPECT_EQ(spec.argument, "");
}

TEST(Metadata, ReadsHostnameAndPublicKeys)
{
    auto metadata = parse_openstack_metadata(
        R"({"uuid":"u","hostname":"node-1.novalocal","public_keys":{"mykey":"ssh-rsa AAA me","b":"ssh-ed25519 BBB"},"launch_index":0})",
        "meta_data.json");
    ASSERT_FALSE(metadata.is_error()) << metadata.error().message();
    EXPECT_EQ(metadata->hostname, "node-1.novalocal");
    EXPECT_EQ(metadata->ssh_public_keys.size(), 2u);
    EXPECT_EQ(metadata->ssh_public_keys.at("mykey"), "ssh-rsa AAA me");
}

TEST(Metadata, BadJsonAndWrongTypesNameTheProblem)
{
    auto bad = parse_openstack_metadata("{\"hostname\": ", "drive:meta_data.json");
    ASSERT_TRUE(bad.is_error());
    EXPECT_NE(bad.error().message().find("drive:meta_data.json: not valid JSON"), std::string::npos);
    auto wrong = parse_openstack_metadata(R"({"public_keys": {"k": 3}})", "m.json");
    ASSERT_TRUE(wrong.is_error());
    EXPECT_NE(wrong.error().message().find("public_keys.k: expected a string"), std::string::npos)
        << wrong.error().message();
    EXPECT_TRUE(parse_openstack_metadata("[1]", "m.json").is_error());
}

TEST(Metadata, YamlHasTheKeysTheLoaderReads)
{
    Metadata metadata;
    EXPECT_EQ(metadata_yaml(metadata), "{}\n");
    metadata.hostname = "box";
    metadata.ssh_public_keys["a"] = "ssh-rsa AAA";
    EXPECT_EQ(metadata_yaml(metadata), "hostname: box\nsshpublickeys:\n  a: ssh-rsa AAA\n");
}

TEST(SaveDatasourceData, CloudConfigGoesToBootYmlPrivately)
{
    TestRoot root;
    Report report;
    Metadata metadata;
    metadata.hostname = "from-metadata";
    metadata.ssh_public_keys["z"] = "ssh-ed25519 ZZZ z";
    metadata.ssh_public_keys["a"] = "ssh-ed25519 AAA a";
    std::string text
        = "#cloud-config\nssh_authorized_keys:\n  - ssh-ed25519 USER u\nrancher:\n  sysctl:\n    vm.swappiness: 10\n";
    auto saved = save_datasource_data(root.paths(), text, metadata, "drive:user_data", report);
    ASSERT_FALSE(saved.is_error()) << saved.error().message();
    EXPECT_EQ(report.error_count(), 0u);
    EXPECT_EQ(root.read(BOOT), text);
    EXPECT_EQ(root.mode(BOOT), 0600);
    EXPECT_EQ(root.mode("/var/lib/rancher/conf/cloud-config.d"), 0700);
    EXPECT_EQ(root.mode("/var/lib/rancher/conf"), 0700);
    EXPECT_EQ(root.mode(METADATA), 0600);
    EXPECT_FALSE(root.exists(SCRIPT));

    // The loader merges boot.yml, and the metadata layer: the hostname (unset in
    // the config) and the keys appended in name order.
    auto loaded = config::load_config(root.paths());
    EXPECT_TRUE(loaded.skipped.empty());
    EXPECT_EQ(loaded.typed.hostname, "from-metadata");
    EXPECT_EQ(loaded.typed.ssh_authorized_keys,
        (std::vector<std::string> { "ssh-ed25519 USER u", "ssh-ed25519 AAA a", "ssh-ed25519 ZZZ z" }));
    ASSERT_EQ(loaded.typed.rancher.sysctl.entries.size(), 1u);
    EXPECT_EQ(loaded.typed.rancher.sysctl.entries[0].first, "vm.swappiness");
}

TEST(SaveDatasourceData, ScriptReplacesBootYmlAndTheReverse)
{
    TestRoot root;
    Report report;
    ASSERT_FALSE(save_datasource_data(root.paths(), "#cloud-config\nhostname: a\n", {}, "d", report).is_error());
    ASSERT_TRUE(root.exists(BOOT));

    ASSERT_FALSE(save_datasource_data(root.paths(), "#!/bin/sh\ntouch /tmp/x\n", {}, "d", report).is_error());
    EXPECT_FALSE(root.exists(BOOT));
    EXPECT_EQ(root.read(SCRIPT), "#!/bin/sh\ntouch /tmp/x\n");
    EXPECT_EQ(root.mode(SCRIPT), 0500);

    ASSERT_FALSE(save_datasource_data(root.paths(), "#cloud-config\nhostname: b\n", {}, "d", report).is_error());
    EXPECT_FALSE(root.exists(SCRIPT));
    EXPECT_EQ(root.read(BOOT), "#cloud-config\nhostname: b\n");

    ASSERT_FALSE(save_datasource_data(root.paths(), "", {}, "d", report).is_error());
    EXPECT_FALSE(root.exists(BOOT));
    EXPECT_FALSE(root.exists(SCRIPT));
    EXPECT_EQ(report.error_count(), 0u);
}

TEST(SaveDatasourceData, BadUserDataKeepsTheEarlierConfigAndSaysWhy)
{
    TestRoot root;
    Report report;
    ASSERT_FALSE(save_datasource_data(root.paths(), "#cloud-config\nhostname: good\n", {}, "d", report).is_error());
    ASSERT_FALSE(
        save_datasource_data(root.paths(), "#cloud-config\nhostname: [\n", {}, "drive:user_data", report).is_error());
    EXPECT_EQ(root.read(BOOT), "#cloud-config\nhostname: good\n");
    auto errors = report.messages(LogLevel::Error);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("drive:user_data:"), std::string::npos) << errors[0];

    ASSERT_FALSE(save_datasource_data(root.paths(), "just text\n", {}, "drive:user_data", report).is_error());
    EXPECT_EQ(root.read(BOOT), "#cloud-config\nhostname: good\n");
    EXPECT_EQ(report.error_count(), 2u);
}

TEST(SaveDatasourceData, ComposeIsSavedAsServices)
{
    TestRoot root;
    Report report;
    ASSERT_FALSE(save_datasource_data(root.paths(), "#compose\nweb:\n  image: nginx\n", {}, "d", report).is_error());
    auto loaded = config::load_config(root.paths());
    ASSERT_EQ(loaded.typed.rancher.services.count("web"), 1u);
    EXPECT_EQ(loaded.typed.rancher.services.at("web").image, "nginx");
    EXPECT_EQ(root.mode(BOOT), 0600);
}

TEST(CloudInitSave, ReadsADriveAlreadyAtTheMountPoint)
{
    TestRoot root;
    write_drive(root, "#cloud-config\nhostname: drive-host\n",
        R"({"hostname": "meta-host", "public_keys": {"k": "ssh-rsa KEY"}})");
    Report report;
    auto saved = cloud_init_save(root.paths(), { "configdrive:/media/config-2" }, report, no_devices(root));
    ASSERT_FALSE(saved.is_error()) << saved.error().message();
    EXPECT_TRUE(*saved);
    EXPECT_EQ(root.read(BOOT), "#cloud-config\nhostname: drive-host\n");
    EXPECT_EQ(root.read(METADATA), "hostname: meta-host\nsshpublickeys:\n  k: ssh-rsa KEY\n");
    auto loaded = config::load_config(root.paths());
    EXPECT_EQ(loaded.typed.hostname, "drive-host"); // the config's own hostname wins
    EXPECT_EQ(loaded.typed.ssh_authorized_keys, (std::vector<std::string> { "ssh-rsa KEY" }));
}

TEST(CloudInitSave, GzippedUserDataAndNoMetadata)
{
    TestRoot root;
    root.write("/media/config-2/openstack/latest/user_data", test::gzip("#!/bin/bash\necho hi\n"));
    Report report;
    auto saved = cloud_init_save(root.paths(), { "configdrive" }, report, no_devices(root));
    ASSERT_FALSE(saved.is_error()) << saved.error().message();
    EXPECT_TRUE(*saved);
    EXPECT_EQ(root.read(SCRIPT), "#!/bin/bash\necho hi\n");
    EXPECT_EQ(root.read(METADATA), "{}\n");
}

TEST(CloudInitSave, NoDriveIsNotAnErrorAndWritesNothing)
{
    TestRoot root;
    Report report;
    auto saved = cloud_init_save(root.paths(), { "configdrive:/media/config-2" }, report, no_devices(root));
    ASSERT_FALSE(saved.is_error()) << saved.error().message();
    EXPECT_FALSE(*saved);
    EXPECT_EQ(report.error_count(), 0u);
    EXPECT_FALSE(root.exists(BOOT));
    EXPECT_FALSE(root.exists(METADATA));
}

TEST(CloudInitSave, OtherDatasourcesAreSkippedAsNotSupportedYet)
{
    TestRoot root;
    write_drive(root, "#cloud-config\nhostname: x\n", "");
    Report report;
    auto saved
        = cloud_init_save(root.paths(), { "ec2", "gce", "configdrive:/media/config-2" }, report, no_devices(root));
    ASSERT_FALSE(saved.is_error()) << saved.error().message();
    EXPECT_TRUE(*saved);
    auto warnings = report.messages(LogLevel::Warning);
    ASSERT_EQ(warnings.size(), 2u);
    EXPECT_EQ(warnings[0], "datasource ec2: not supported yet, skipped");
    EXPECT_EQ(warnings[1], "datasource gce: not supported yet, skipped");
}

TEST(CloudInitSave, BadMetadataIsReportedAndTheUserDataStillSaved)
{
    TestRoot root;
    write_drive(root, "#cloud-config\nhostname: x\n", "{not json");
    Report report;
    auto saved = cloud_init_save(root.paths(), { "configdrive" }, report, no_devices(root));
    ASSERT_FALSE(saved.is_error()) << saved.error().message();
    EXPECT_TRUE(*saved);
    EXPECT_TRUE(root.exists(BOOT));
    auto errors = report.messages(LogLevel::Error);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("meta_data.json: not valid JSON"), std::string::npos) << errors[0];
}
