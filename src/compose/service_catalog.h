#pragma once

// What the repositories offer (reference §4.5): each repository's index.yml
// lists the names it holds,
//     services: [kernel-headers, open-vm-tools, …]
//     consoles: [alpine, debian, …]
//     engines:  [docker-20.10.24, …]
// and `ros service list`, `ros console list` and `ros engine list` show them
// with whether each is enabled. This file also checks a `ros service|console|
// engine enable` argument before it is written to the config, so that a typo
// is an error that says what exists rather than a service that never starts.

#include "base/error.h"
#include "compose/sources.h"
#include "config/diagnostic.h"
#include "config/model.h"

#include <string>
#include <string_view>
#include <vector>

namespace corral::compose {

struct RepositoryIndex {
    std::vector<std::string> services;
    std::vector<std::string> consoles;
    std::vector<std::string> engines;

    const std::vector<std::string>& names(Kind kind) const;
};

// Parses an index.yml. Only a file that is not YAML or not a map is an error
// (EINVAL, "<source>:1:1: expected a map with services, consoles and engines,
// got a list"). Anything else wrong is left out with a diagnostic: a key other
// than the three (a Warning, "unknown key"), a value that is not a list, an
// item that is not a valid name (Errors).
ErrorOr<RepositoryIndex> parse_repository_index(
    std::string_view text, const std::string& source, config::Diagnostics& diagnostics);

// Reads and parses `repository`'s index.yml (remote ones through the cache).
// The parse diagnostics and the cache warnings are added to `warnings`.
ErrorOr<RepositoryIndex> read_repository_index(
    const ServiceSources& sources, const std::string& repository, Update update, std::vector<std::string>& warnings);

struct AvailableEntry {
    std::string name;
    // The repositories whose index lists it, in search order; empty for a name
    // that only the config mentions (a services_include key, the configured
    // console or engine) and for the built-in "default" console.
    std::vector<std::string> repositories;
    bool enabled { false };
};

struct Available {
    std::vector<AvailableEntry> entries;
    // Repositories whose index could not be read or had problems, and cached
    // files that could not be refreshed, each saying which and why.
    std::vector<std::string> warnings;
};

// Everything of one kind that can be enabled, in the order the list verbs
// print it:
//   Service  the names in any index, sorted, then the services_include keys
//            that no index lists, sorted; enabled = services_include[name] is
//            true.
//   Console  the names in any index plus "default" and rancher.console,
//            sorted; enabled = the one rancher.console names ("default" when
//            it is empty).
//   Engine   the names in any index plus rancher.docker.engine, sorted;
//            enabled = the one rancher.docker.engine names.
// A repository that cannot be read leaves its names out and adds a warning;
// the others are still listed.
//
// With Update::Yes the index files are fetched again, and so is each listed
// file of this kind that is already in the cache (RancherOS fetched every
// listed file; one not cached is fetched fresh when it is first used anyway).
Available list_available(const ServiceSources& sources, Kind kind, const config::RancherConfig& rancher, Update update);

// Checks what `ros service|console|engine enable <argument>` is about to add,
// and returns it loaded (for staging its images):
//   - a path must lie in /var/lib/rancher/conf, as RancherOS required (EINVAL:
//     `service file "/tmp/x.yml" must be in /var/lib/rancher/conf`);
//   - it must resolve (ServiceSources::resolve()); for a name no repository
//     has, the error adds the names that come close, from the indexes:
//       no service named "ntpp" in repositories core (file:///…); did you mean "ntp"?
//     and when the name is listed as another kind:
//       …; "ubuntu" is a console: use `ros console enable ubuntu`
//   - it must parse, without errors, and define at least one service; a
//     console file must define `console` and an engine file `docker` (EINVAL,
//     naming the location).
// A service name that an index lists only as a console or an engine is allowed
// (RancherOS allowed it) with a warning in the result.
ErrorOr<LoadedSource> check_enable_argument(
    const ServiceSources& sources, std::string_view argument, Kind kind, Update update);

// Up to five of `candidates` close to `name` (edit distance of at most 1 for
// names of up to four characters, 2 for longer ones, or `name` a prefix of at
// least three characters), closest first, then by name.
std::vector<std::string> suggest_names(std::string_view name, const std::vector<std::string>& candidates);

} // namespace corral::compose
