#include "image/reference.h"

#include <gtest/gtest.h>

using namespace corral::image;

namespace {

std::string normalised(std::string_view text)
{
    auto reference = Reference::parse(text);
    return reference.is_error() ? "error: " + reference.error().message() : reference->str();
}

} // namespace

TEST(Reference, NormalisesLikeDocker)
{
    EXPECT_EQ(normalised("busybox"), "docker.io/library/busybox:latest");
    EXPECT_EQ(normalised("busybox:1.36"), "docker.io/library/busybox:1.36");
    EXPECT_EQ(normalised("library/busybox"), "docker.io/library/busybox:latest");
    EXPECT_EQ(normalised("user/app:v1"), "docker.io/user/app:v1");
    EXPECT_EQ(normalised("index.docker.io/user/app"), "docker.io/user/app:latest");
    EXPECT_EQ(normalised("localhost:5000/x"), "localhost:5000/x:latest");
    EXPECT_EQ(normalised("localhost/x:1"), "localhost/x:1");
    EXPECT_EQ(normalised("127.0.0.1:5000/a/b/c:tag"), "127.0.0.1:5000/a/b/c:tag");
    EXPECT_EQ(normalised("registry.example.com/team/app_1.2-x"), "registry.example.com/team/app_1.2-x:latest");
    std::string digest = "sha256:" + std::string(64, 'a');
    EXPECT_EQ(normalised("busybox@" + digest), "docker.io/library/busybox@" + digest);
    EXPECT_EQ(normalised("busybox:1@" + digest), "docker.io/library/busybox:1@" + digest);
}

TEST(Reference, FamiliarFormsDropTheDefaults)
{
    EXPECT_EQ(Reference::parse("busybox").value().familiar(), "busybox:latest");
    EXPECT_EQ(Reference::parse("docker.io/user/app:1").value().familiar(), "user/app:1");
    EXPECT_EQ(Reference::parse("localhost:5000/x").value().familiar(), "localhost:5000/x:latest");
    EXPECT_EQ(Reference::parse("docker.io/library/a/b").value().familiar_name(), "library/a/b");
}

TEST(Reference, RejectsMalformedNames)
{
    EXPECT_EQ(normalised("BusyBox"), "error: invalid reference \"BusyBox\": repository name must be lowercase");
    EXPECT_EQ(normalised(""), "error: invalid reference \"\": empty");
    EXPECT_EQ(normalised("a:bad tag"), "error: invalid reference \"a:bad tag\": invalid tag \"bad tag\"");
    EXPECT_EQ(normalised("a/-b"), "error: invalid reference \"a/-b\": invalid repository name component \"-b\"");
    EXPECT_EQ(normalised("a//b"), "error: invalid reference \"a//b\": invalid repository name component \"\"");
    EXPECT_EQ(normalised("a@sha256:xyz").rfind("error: invalid reference \"a@sha256:xyz\": invalid digest", 0), 0u);
    EXPECT_EQ(normalised("a:" + std::string(129, 't')).rfind("error:", 0), 0u);
    EXPECT_EQ(normalised("host:port/x").rfind("error: invalid reference \"host:port/x\": invalid registry", 0), 0u);
    EXPECT_EQ(normalised("a..b").rfind("error:", 0), 0u);
    EXPECT_EQ(normalised("a__b"), "docker.io/library/a__b:latest");
    EXPECT_EQ(normalised("a___b").rfind("error:", 0), 0u);
}

TEST(Digest, ParsesOnlySha256Hex)
{
    std::string hex(64, 'f');
    EXPECT_EQ(Digest::parse("sha256:" + hex).value().hex, hex);
    EXPECT_TRUE(Digest::parse("sha512:" + hex).is_error());
    EXPECT_TRUE(Digest::parse("sha256:" + std::string(63, 'f')).is_error());
    EXPECT_TRUE(Digest::parse("sha256:" + std::string(64, 'F')).is_error());
    EXPECT_EQ(sha256_of("abc").str(), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    Sha256 hasher;
    hasher.update("a");
    EXPECT_EQ(hasher.digest(), sha256_of("a")); // digest() does not end the stream
    hasher.update("bc");
    EXPECT_EQ(hasher.digest(), sha256_of("abc"));
}
