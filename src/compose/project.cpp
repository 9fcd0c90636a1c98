#include "compose/project.h"

#include "compose/service_file.h"

#include <sys/utsname.h>

namespace corral::compose {

namespace {

void add_decoded(LoadedProject& project, const ServiceFile& file, const std::string& origin)
{
    auto decoded = decode_services(file, project.environment);
    for (auto const& d : file.diagnostics)
        (d.severity == config::Diagnostic::Severity::Error ? project.errors : project.warnings).push_back(d.describe());
    for (auto const& d : decoded.diagnostics)
        project.warnings.push_back(d.describe());
    for (auto const& error : decoded.errors)
        project.errors.push_back(error.message());
    for (auto const& warning : decoded.warnings)
        project.warnings.push_back(warning);
    auto directory = file.source.starts_with("/") ? file.source.substr(0, file.source.rfind('/')) : std::string("/");
    if (directory.empty())
        directory = "/";
    for (auto& [name, config] : decoded.services) {
        Service service { name, std::move(config), {}, directory };
        bool replaced = false;
        for (auto& existing : project.services) {
            if (existing.name == name) {
                existing = std::move(service);
                replaced = true;
                project.warnings.push_back("service " + name + " from " + origin + " replaces an earlier definition");
                break;
            }
        }
        if (!replaced)
            project.services.push_back(std::move(service));
    }
}

} // namespace

LoadedProject load_project(const config::LoadedConfig& config, const ServiceSources& sources, const ProjectOptions& options)
{
    LoadedProject project;
    std::string kernel = options.kernel_version;
    if (kernel.empty()) {
        struct utsname name {};
        if (::uname(&name) == 0)
            kernel = name.release;
    }
    project.environment = rancher_environment(config.typed.rancher, kernel);

    // The built-ins, from the merged tree, so that they are interpolated
    // before they are typed.
    ServiceFile builtin;
    builtin.source = "rancher.services";
    if (auto const* rancher = config.merged.find("rancher")) {
        if (auto const* services = rancher->find("services"); services && services->is_map()) {
            for (auto const& entry : services->entries())
                builtin.definitions.emplace(entry.key, entry.value);
        }
    }
    add_decoded(project, builtin, "rancher.services");
    if (!options.include_services)
        return project;

    // A console other than the default replaces the `console` service, an
    // engine other than the default the `docker` service (RancherOS's
    // reload step), each from its own definition file.
    auto replace_with = [&](const std::string& name, Kind kind, const char* service) {
        auto loaded = sources.load(name, options.update, kind);
        if (loaded.is_error()) {
            project.errors.push_back(std::string(kind_name(kind)) + " " + name + ": " + loaded.error().message());
            return;
        }
        if (!loaded->file.definitions.contains(service)) {
            project.errors.push_back(std::string(kind_name(kind)) + " " + name + ": " + loaded->source.location
                + " defines no " + service + " service");
            return;
        }
        ServiceFile only = loaded->file;
        std::erase_if(only.definitions, [&](auto const& entry) { return entry.first != service; });
        auto before = project.warnings.size();
        add_decoded(project, only, std::string(kind_name(kind)) + " " + name);
        // Replacing the built-in is the point here, not worth a warning.
        if (project.warnings.size() > before && project.warnings.back().find("replaces an earlier definition") != std::string::npos)
            project.warnings.pop_back();
    };
    auto const& rancher = config.typed.rancher;
    if (!rancher.console.empty() && rancher.console != "default")
        replace_with(rancher.console, Kind::Console, "console");
    if (!rancher.docker.engine.empty() && rancher.docker.engine != rancher.defaults.docker.engine)
        replace_with(rancher.docker.engine, Kind::Engine, "docker");

    for (auto const& [name, enabled] : config.typed.rancher.services_include) {
        if (!enabled)
            continue;
        auto loaded = sources.load(name, options.update);
        if (loaded.is_error()) {
            project.errors.push_back("services_include " + name + ": " + loaded.error().message());
            continue;
        }
        for (auto const& warning : loaded->source.warnings)
            project.warnings.push_back(warning);
        add_decoded(project, loaded->file, name);
    }
    return project;
}

} // namespace corral::compose
