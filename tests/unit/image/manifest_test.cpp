#include "image/manifest.h"

#include <gtest/gtest.h>

using namespace corral::image;

namespace {

std::string hex(char c) { return std::string(64, c); }

} // namespace

TEST(Manifest, ParsesDockerAndOciManifests)
{
    std::string text = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
        "config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1469,"digest":"sha256:)"
        + hex('a') + R"("},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":772788,"digest":"sha256:)"
        + hex('b') + R"("}]})";
    Manifest m = parse_manifest(text).value();
    EXPECT_EQ(m.media_type, media_type::DOCKER_MANIFEST);
    EXPECT_EQ(m.config.digest.hex, hex('a'));
    ASSERT_EQ(m.layers.size(), 1u);
    EXPECT_EQ(m.layers[0].size, 772788);
    // Written back and read again: the same descriptors.
    Manifest again = parse_manifest(manifest_json(m)).value();
    EXPECT_EQ(again.layers[0].digest, m.layers[0].digest);
}

TEST(Manifest, RejectsHostileDocuments)
{
    EXPECT_EQ(parse_manifest("[]").error().message(), "manifest: not a JSON object");
    EXPECT_EQ(parse_manifest("{").error().message(), "manifest: not valid JSON");
    EXPECT_EQ(parse_manifest(R"({"schemaVersion":1})").error().message(), "manifest: schemaVersion must be 2");
    EXPECT_EQ(parse_manifest(R"({"schemaVersion":2,"config":{"digest":"sha256:)" + hex('a') + R"(","size":-1},"layers":[]})")
                  .error()
                  .message(),
        "manifest config: \"size\" is missing or not a non-negative integer");
    EXPECT_EQ(parse_manifest(R"({"schemaVersion":2,"config":{"digest":"md5:x","size":1},"layers":[]})").error().message(),
        "manifest config: invalid digest \"md5:x\" (expected sha256:<64 hex digits>)");
    EXPECT_EQ(parse_manifest(R"({"schemaVersion":2,"config":{"digest":"sha256:)" + hex('a')
                  + R"(","size":1},"layers":[{"mediaType":"text/html","digest":"sha256:)" + hex('b') + R"(","size":1}]})")
                  .error()
                  .message(),
        "manifest layer 0: unsupported media type \"text/html\"");
    EXPECT_EQ(parse_manifest(std::string(5 * 1024 * 1024, ' ')).error().message(), "manifest: larger than 4 MiB");
}

TEST(Manifest, IndexSelectsThePlatform)
{
    std::string text = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)"
        + hex('1') + R"(","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)"
        + hex('2') + R"(","size":1,"platform":{"os":"linux","architecture":"amd64"}},
        {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:)"
        + hex('3') + R"(","size":1,"platform":{"os":"unknown","architecture":"unknown"}}]})";
    Index index = parse_index(text).value();
    EXPECT_EQ(select_platform(index, Platform::parse("linux/amd64").value()).value().digest.hex, hex('2'));
    EXPECT_EQ(select_platform(index, Platform::parse("linux/arm64").value()).value().digest.hex, hex('1'));
    auto missing = select_platform(index, Platform::parse("linux/riscv64").value());
    ASSERT_TRUE(missing.is_error());
    EXPECT_EQ(missing.error().code(), ENOENT);
    EXPECT_EQ(missing.error().message(), "no manifest for platform linux/riscv64 (the index offers: linux/arm64/v8, linux/amd64)");
}

TEST(Manifest, ConfigGivesDiffIdsAndChainIds)
{
    std::string text = R"({"architecture":"amd64","os":"linux","created":"2024-01-01T00:00:00Z",
        "config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:)"
        + hex('a') + R"(","sha256:)" + hex('b') + R"("]},"history":[{"created_by":"ADD x","empty_layer":false}]})";
    ImageConfig config = parse_image_config(text).value();
    ASSERT_EQ(config.diff_ids.size(), 2u);
    EXPECT_EQ(config.container_config_json, R"({"Cmd":["sh"]})");
    auto chain = chain_ids(config.diff_ids);
    ASSERT_EQ(chain.size(), 2u);
    EXPECT_EQ(chain[0], config.diff_ids[0]);
    EXPECT_EQ(chain[1], sha256_of("sha256:" + hex('a') + " sha256:" + hex('b')));
    EXPECT_TRUE(parse_image_config(R"({"rootfs":{"diff_ids":[1]}})").is_error());
    EXPECT_TRUE(parse_image_config(R"({"os":"linux"})").is_error());
}
