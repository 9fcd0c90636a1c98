// The repository shipped in the OS image (os/repositories/core): its index
// reads, and every definition it lists loads and validates, with the
// service the kind requires.

#include "compose/service_catalog.h"
#include "compose/sources.h"

#include <gtest/gtest.h>

using namespace corral;
using namespace corral::compose;

TEST(RepositoryExamples, TheShippedRepositoryLoads)
{
    SourceOptions options;
    options.paths.root = "/";
    options.repositories["core"].url = "file://" + std::string(CORRAL_SOURCE_DIR) + "/os/repositories/core";
    options.network = NetworkAccess::Unavailable; // it must never need one
    ServiceSources sources(options);
    std::vector<std::string> warnings;
    auto index = read_repository_index(sources, "core", Update::No, warnings);
    ASSERT_FALSE(index.is_error()) << index.error().message();
    EXPECT_TRUE(warnings.empty());
    EXPECT_EQ(index->engines, std::vector<std::string> { "docker-20.10.24" });
    for (Kind kind : { Kind::Service, Kind::Console, Kind::Engine }) {
        for (auto const& name : index->names(kind)) {
            auto loaded = check_enable_argument(sources, name, kind, Update::No);
            ASSERT_FALSE(loaded.is_error()) << name << ": " << loaded.error().message();
            EXPECT_TRUE(loaded->file.diagnostics.empty()) << name;
            auto decoded = decode_services(loaded->file, {});
            EXPECT_TRUE(decoded.diagnostics.empty()) << name << ": " << decoded.diagnostics.front().describe();
            EXPECT_TRUE(decoded.errors.empty()) << name;
        }
    }
}
