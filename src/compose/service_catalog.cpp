#include "compose/service_catalog.h"

#include "base/file.h"
#include "base/strings.h"
#include "config/yaml.h"

#include <algorithm>
#include <map>
#include <set>
#include <sys/stat.h>

namespace corral::compose {

namespace {

using config::Diagnostic;

constexpr std::string_view CONF_DIR = "/var/lib/rancher/conf";

std::vector<std::string>* list_for(RepositoryIndex& index, std::string_view key)
{
    if (key == "services")
        return &index.services;
    if (key == "consoles")
        return &index.consoles;
    if (key == "engines")
        return &index.engines;
    return nullptr;
}

std::string repository_file(std::string_view name)
{
    return std::string(name.substr(0, 1)) + "/" + std::string(name) + ".yml";
}

size_t edit_distance(std::string_view a, std::string_view b)
{
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t above = row[j];
            row[j] = std::min({ row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1) });
            diagonal = above;
        }
    }
    return row[b.size()];
}

// The name → repositories map of one kind over every readable index.
std::map<std::string, std::vector<std::string>> indexed_names(
    const ServiceSources& sources, Kind kind, Update update, std::vector<std::string>& warnings)
{
    std::map<std::string, std::vector<std::string>> names;
    for (auto const& [repository, config] : sources.options().repositories) {
        auto index = read_repository_index(sources, repository, update, warnings);
        if (index.is_error()) {
            warnings.push_back("repository " + repository + ": " + index.error().message());
            continue;
        }
        for (auto const& name : index->names(kind)) {
            auto& where = names[name];
            if (where.empty() || where.back() != repository)
                where.push_back(repository);
        }
    }
    return names;
}

// With -u: fetches again the files of this kind that an earlier use cached.
void refresh_cached_files(const ServiceSources& sources, const std::map<std::string, std::vector<std::string>>& names,
    std::vector<std::string>& warnings)
{
    for (auto const& [name, repositories] : names) {
        for (auto const& repository : repositories) {
            auto location = parse_repository_url(sources.options().repositories.at(repository).url);
            if (location.is_error() || location->type != RepositoryLocation::Type::Remote)
                continue;
            std::string url = location->base + "/" + repository_file(name);
            struct stat st;
            if (::stat(sources.cache_path(url).c_str(), &st) != 0)
                continue;
            auto refreshed = sources.fetch_cached(url, Update::Yes);
            if (refreshed.is_error()) {
                warnings.push_back("repository " + repository + ": " + refreshed.error().message());
                continue;
            }
            for (auto& warning : refreshed->warnings)
                warnings.push_back(url + ": " + std::move(warning));
        }
    }
}

std::string did_you_mean(const std::vector<std::string>& suggestions)
{
    std::vector<std::string> quoted;
    for (auto const& s : suggestions)
        quoted.push_back(go_quote(s));
    if (quoted.size() == 1)
        return "; did you mean " + quoted[0] + "?";
    return "; did you mean one of " + join(quoted, ", ") + "?";
}

} // namespace

const std::vector<std::string>& RepositoryIndex::names(Kind kind) const
{
    switch (kind) {
    case Kind::Console:
        return consoles;
    case Kind::Engine:
        return engines;
    case Kind::Service:
        break;
    }
    return services;
}

ErrorOr<RepositoryIndex> parse_repository_index(
    std::string_view text, const std::string& source, config::Diagnostics& diagnostics)
{
    config::Node root = TRY(config::parse_yaml(text, source));
    RepositoryIndex index;
    if (root.is_null())
        return index;
    if (!root.is_map()) {
        return Error::from_string(
            root.mark().describe() + ": expected a map with services, consoles and engines, got " + root.describe());
    }
    for (auto const& entry : root.entries()) {
        auto* names = list_for(index, entry.key);
        if (!names) {
            diagnostics.push_back(
                Diagnostic { Diagnostic::Severity::Warning, entry.key_mark, { entry.key }, "unknown key" });
            continue;
        }
        if (entry.value.is_null())
            continue;
        if (!entry.value.is_list()) {
            diagnostics.push_back(Diagnostic { Diagnostic::Severity::Error, entry.value.mark(), { entry.key },
                "expected a list of names, got " + entry.value.describe() });
            continue;
        }
        for (size_t i = 0; i < entry.value.items().size(); ++i) {
            auto const& item = entry.value.items()[i];
            if (!item.is_scalar() || item.is_null() || !is_valid_service_name(item.text())) {
                diagnostics.push_back(Diagnostic { Diagnostic::Severity::Error, item.mark(),
                    { entry.key + "[" + std::to_string(i) + "]" }, "not a valid name: " + item.describe() });
                continue;
            }
            names->push_back(item.text());
        }
    }
    return index;
}

ErrorOr<RepositoryIndex> read_repository_index(
    const ServiceSources& sources, const std::string& repository, Update update, std::vector<std::string>& warnings)
{
    auto file = TRY(sources.read_repository_file(repository, "index.yml", update));
    for (auto& warning : file.warnings)
        warnings.push_back("repository " + repository + ": " + std::move(warning));
    config::Diagnostics diagnostics;
    auto index = TRY(parse_repository_index(file.text, file.location, diagnostics));
    for (auto const& d : diagnostics)
        warnings.push_back(d.describe());
    return index;
}

Available list_available(const ServiceSources& sources, Kind kind, const config::RancherConfig& rancher, Update update)
{
    Available available;
    auto names = indexed_names(sources, kind, update, available.warnings);
    if (update == Update::Yes)
        refresh_cached_files(sources, names, available.warnings);

    auto add = [&](const std::string& name, std::vector<std::string> repositories, bool enabled) {
        available.entries.push_back(AvailableEntry { name, std::move(repositories), enabled });
    };
    if (kind == Kind::Service) {
        auto enabled = [&](const std::string& name) {
            auto it = rancher.services_include.find(name);
            return it != rancher.services_include.end() && it->second;
        };
        for (auto const& [name, repositories] : names)
            add(name, repositories, enabled(name));
        for (auto const& [name, on] : rancher.services_include) {
            if (!names.contains(name))
                add(name, {}, on);
        }
        return available;
    }

    std::string selected = kind == Kind::Console ? rancher.console : rancher.docker.engine;
    if (kind == Kind::Console) {
        if (selected.empty())
            selected = "default";
        names.try_emplace("default");
    }
    if (!selected.empty())
        names.try_emplace(selected);
    for (auto const& [name, repositories] : names)
        add(name, repositories, name == selected);
    return available;
}

std::vector<std::string> suggest_names(std::string_view name, const std::vector<std::string>& candidates)
{
    size_t limit = name.size() <= 4 ? 1 : 2;
    std::vector<std::pair<size_t, std::string>> close;
    for (auto const& candidate : std::set<std::string>(candidates.begin(), candidates.end())) {
        size_t distance = edit_distance(name, candidate);
        if (distance == 0)
            continue;
        if (distance <= limit || (name.size() >= 3 && candidate.starts_with(name)))
            close.emplace_back(distance, candidate);
    }
    std::sort(close.begin(), close.end());
    std::vector<std::string> out;
    for (size_t i = 0; i < close.size() && i < 5; ++i)
        out.push_back(close[i].second);
    return out;
}

ErrorOr<LoadedSource> check_enable_argument(
    const ServiceSources& sources, std::string_view argument, Kind kind, Update update)
{
    if (argument.starts_with('/')) {
        std::string path = normalize_absolute_path(argument);
        if (!path.starts_with(std::string(CONF_DIR) + "/")) {
            return Error::from_string(
                std::string(kind_name(kind)) + " file " + go_quote(argument) + " must be in " + std::string(CONF_DIR));
        }
    }
    bool is_name = !argument.starts_with('/') && argument.find("://") == std::string_view::npos;

    // What the indexes say about the name, for the hints below. They are read
    // (through the cache, like any remote file) only when a hint may be given.
    std::vector<std::string> other_kinds;
    std::vector<std::string> same_kind;
    auto read_hints = [&] {
        std::vector<std::string> ignored; // a hint is best effort
        for (Kind other : { Kind::Service, Kind::Console, Kind::Engine }) {
            auto names = indexed_names(sources, other, Update::No, ignored);
            if (other == kind) {
                for (auto const& [name, repositories] : names)
                    same_kind.push_back(name);
            } else if (names.contains(std::string(argument))) {
                other_kinds.push_back(kind_name(other));
            }
        }
    };

    auto loaded = sources.load(argument, update, kind);
    if (loaded.is_error()) {
        if (!is_name || loaded.error().code() != ENOENT)
            return loaded.release_error();
        read_hints();
        std::string message = loaded.error().message();
        if (auto suggestions = suggest_names(argument, same_kind); !suggestions.empty())
            message += did_you_mean(suggestions);
        for (auto const& other : other_kinds) {
            message += "; " + go_quote(argument) + " is a" + (other == "engine" ? "n " : " ") + other + ": use `ros "
                + other + " enable " + std::string(argument) + "`";
        }
        return Error::from_string(std::move(message), ENOENT);
    }

    auto const& file = loaded->file;
    auto const& location = loaded->source.location;
    std::vector<std::string> errors;
    for (auto const& d : file.diagnostics) {
        if (d.severity == Diagnostic::Severity::Error)
            errors.push_back(d.describe());
        else
            loaded->source.warnings.push_back(d.describe());
    }
    if (!errors.empty())
        return Error::from_string(join(errors, "; "));
    if (file.definitions.empty())
        return Error::from_string(location + " defines no services");
    if (kind == Kind::Console && !file.definitions.contains("console"))
        return Error::from_string(location + " defines no console service");
    if (kind == Kind::Engine && !file.definitions.contains("docker"))
        return Error::from_string(location + " defines no docker service");
    if (is_name && kind == Kind::Service)
        read_hints();
    if (!other_kinds.empty() && std::find(same_kind.begin(), same_kind.end(), argument) == same_kind.end()) {
        loaded->source.warnings.push_back(go_quote(argument) + " is listed as a"
            + (other_kinds[0] == "engine" ? "n " : " ") + other_kinds[0]
            + ", not a service; enabling it as a service adds its definitions as they are");
    }
    return loaded;
}

} // namespace corral::compose
