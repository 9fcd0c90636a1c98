#include "config/loader.h"

#include "base/file.h"
#include "base/system.h"
#include "config/cmdline.h"
#include "config/keypath.h"
#include "config/yaml.h"

#include <algorithm>
#include <dirent.h>
#include <set>

namespace corral::config {

const char* layer_kind_name(LayerKind kind)
{
    switch (kind) {
    case LayerKind::OsConfig:
        return "os-config.yml";
    case LayerKind::Oem:
        return "oem-config.yml";
    case LayerKind::CloudConfigD:
        return "cloud-config.d";
    case LayerKind::CloudConfig:
        return "cloud-config.yml";
    case LayerKind::Cmdline:
        return "the kernel command line";
    case LayerKind::ExtraCmdline:
        return "the elided kernel command line (EXTRA_CMDLINE)";
    case LayerKind::Debug:
        return "rancher.debug";
    case LayerKind::Metadata:
        return "datasource metadata";
    }
    return "?";
}

void drop_rejected(Node& tree, const std::set<const Node*>& rejected)
{
    if (rejected.empty())
        return;
    // Children are visited before anything at this level is erased, so the
    // addresses compared are still the ones validation saw.
    if (tree.is_map()) {
        std::vector<std::string> doomed;
        for (auto& entry : tree.entries()) {
            if (rejected.contains(&entry.value))
                doomed.push_back(entry.key);
            else
                drop_rejected(entry.value, rejected);
        }
        for (auto const& key : doomed)
            tree.erase(key);
    } else if (tree.is_list()) {
        std::vector<bool> doomed(tree.items().size());
        for (size_t i = 0; i < tree.items().size(); ++i) {
            if (rejected.contains(&tree.items()[i]))
                doomed[i] = true;
            else
                drop_rejected(tree.items()[i], rejected);
        }
        std::vector<Node> kept;
        for (size_t i = 0; i < tree.items().size(); ++i) {
            if (!doomed[i])
                kept.push_back(std::move(tree.items()[i]));
        }
        tree.items() = std::move(kept);
    }
}

Diagnostics validate_and_prune(Node& tree)
{
    Diagnostics diagnostics;
    CloudConfig ignored;
    DecodeContext context(diagnostics);
    if (!tree.is_null() && !tree.is_map()) {
        diagnostics.push_back(Diagnostic { Diagnostic::Severity::Error, tree.mark(), {},
            "expected a map of cloud-config keys, got " + tree.describe() });
        tree = Node::map(tree.mark());
        return diagnostics;
    }
    decode(tree, ignored, context);
    drop_rejected(tree, context.rejected());
    // Report in the order of the text, not of the schema.
    std::stable_sort(diagnostics.begin(), diagnostics.end(), [](auto const& a, auto const& b) {
        return std::pair(a.mark.line, a.mark.column) < std::pair(b.mark.line, b.mark.column);
    });
    return diagnostics;
}

ErrorOr<FileLayer> load_file_layer(const std::string& path, const std::string& display_name)
{
    std::string text = TRY(read_file(path, 16 * 1024 * 1024));
    FileLayer layer;
    layer.tree = TRY(parse_yaml(text, display_name));
    if (layer.tree.is_null())
        layer.tree = Node::map();
    layer.diagnostics = validate_and_prune(layer.tree);
    return layer;
}

namespace {

class Loader {
public:
    Loader(const Paths& paths, LoadedConfig& out)
        : m_paths(paths)
        , m_out(out)
    {
        m_out.merged = Node::map();
    }

    void file(LayerKind kind, const std::string& path)
    {
        auto layer = load_file_layer(path, path);
        if (layer.is_error()) {
            if (layer.error().code() != ENOENT)
                m_out.skipped.push_back(path + ": skipped: " + layer.error().message());
            return;
        }
        append(m_out.diagnostics, layer->diagnostics);
        add(kind, path, std::move(layer->tree));
    }

    void cloud_config_dir()
    {
        std::string dir = m_paths.cloud_config_dir();
        DIR* handle = ::opendir(dir.c_str());
        if (!handle) {
            if (errno != ENOENT)
                m_out.skipped.push_back(dir + ": skipped: " + Error::from_syscall("opendir '" + dir + "'").message());
            return;
        }
        std::vector<std::string> names;
        while (struct dirent* entry = ::readdir(handle)) {
            std::string name = entry->d_name;
            if (name.empty() || name[0] == '.')
                continue;
            names.push_back(std::move(name));
        }
        ::closedir(handle);
        std::sort(names.begin(), names.end());
        for (auto const& name : names) {
            std::string path = dir + "/" + name;
            auto st = sys::stat(path);
            if (st.is_error() || !S_ISREG(st->st_mode))
                continue; // only regular files are layers, as in RancherOS
            file(LayerKind::CloudConfigD, path);
        }
    }

    void cmdline(LayerKind kind, std::string_view text, const std::string& source)
    {
        auto parsed = parse_cmdline(text, source);
        for (auto const& warning : parsed.warnings)
            m_out.diagnostics.push_back(Diagnostic { Diagnostic::Severity::Warning, {}, {}, warning });
        Diagnostics diagnostics = validate_and_prune(parsed.tree);
        append(m_out.diagnostics, diagnostics);
        add(kind, source, std::move(parsed.tree));
    }

    void kernel_cmdline()
    {
        std::string path = m_paths.cmdline();
        auto text = read_file(path, 1024 * 1024);
        if (text.is_error()) {
            if (text.error().code() != ENOENT)
                m_out.skipped.push_back(path + ": skipped: " + text.error().message());
            return;
        }
        cmdline(LayerKind::Cmdline, text.value(), path);
    }

    void extra_cmdline()
    {
        const Node* extra = m_out.merged.find("EXTRA_CMDLINE");
        if (extra && extra->is_scalar() && !extra->text().empty())
            cmdline(LayerKind::ExtraCmdline, extra->text(), "EXTRA_CMDLINE");
    }

    void debug_flags()
    {
        const Node* debug = find_path(m_out.merged, { "rancher", "debug" });
        if (!debug || !debug->is_scalar() || parse_yaml_bool(debug->text()) != true)
            return;
        Node tree = Node::map();
        for (auto const& path : std::vector<KeyPath> { { "rancher", "docker", "debug" },
                 { "rancher", "system_docker", "debug" }, { "rancher", "bootstrap_docker", "debug" }, { "rancher", "log" } })
            (void)set_path(tree, path, Node::boolean(true, debug->mark())); // fresh maps: cannot fail
        add(LayerKind::Debug, "rancher.debug", std::move(tree));
    }

    void metadata()
    {
        std::string path = m_paths.metadata();
        auto text = read_file(path, 16 * 1024 * 1024);
        if (text.is_error()) {
            if (text.error().code() != ENOENT)
                m_out.skipped.push_back(path + ": skipped: " + text.error().message());
            return;
        }
        auto parsed = parse_yaml(text.value(), path);
        if (parsed.is_error()) {
            m_out.skipped.push_back(path + ": skipped: " + parsed.error().message());
            return;
        }
        const Node& metadata = parsed.value();
        if (!metadata.is_map())
            return;
        auto field = [&](std::initializer_list<const char*> names) -> const Node* {
            for (auto name : names) {
                if (const Node* node = metadata.find(name))
                    return node;
            }
            return nullptr;
        };
        Node tree = Node::map();

        const Node* hostname = field({ "hostname", "Hostname" });
        const Node* current_hostname = m_out.merged.find("hostname");
        bool hostname_unset = !current_hostname || current_hostname->is_null() || current_hostname->text().empty();
        if (hostname && hostname->is_scalar() && !hostname->text().empty() && hostname_unset)
            tree.set("hostname", Node::string(hostname->text(), hostname->mark()));

        const Node* keys = field({ "sshpublickeys", "ssh_public_keys", "SSHPublicKeys" });
        if (keys && keys->is_map() && !keys->entries().empty()) {
            Node list = Node::list(keys->mark());
            std::set<std::string> present;
            if (const Node* existing = m_out.merged.find("ssh_authorized_keys"); existing && existing->is_list()) {
                for (auto const& item : existing->items()) {
                    list.push_back(item);
                    present.insert(item.text());
                }
            }
            auto entries = keys->entries();
            std::sort(entries.begin(), entries.end(), [](auto const& a, auto const& b) { return a.key < b.key; });
            for (auto const& entry : entries) {
                if (entry.value.is_scalar() && !entry.value.is_null() && present.insert(entry.value.text()).second)
                    list.push_back(Node::string(entry.value.text(), entry.value.mark()));
            }
            tree.set("ssh_authorized_keys", std::move(list));
        }

        const Node* root_disk = field({ "rootdisk", "root_disk", "RootDisk" });
        const Node* resize = find_path(m_out.merged, { "rancher", "resize_device" });
        if (root_disk && root_disk->is_scalar() && !root_disk->text().empty() && (!resize || resize->text().empty()))
            (void)set_path(tree, { "rancher", "resize_device" }, Node::string(root_disk->text(), root_disk->mark()));

        if (!tree.entries().empty())
            add(LayerKind::Metadata, path, std::move(tree));
    }

    void finish()
    {
        Diagnostics diagnostics;
        DecodeContext context(diagnostics);
        decode(m_out.merged, m_out.typed, context);
        // Each layer was valid alone; a merge can still combine them badly (a
        // scalar replacing a map's parent). Report such errors and drop the values.
        for (auto const& d : diagnostics) {
            if (d.severity == Diagnostic::Severity::Error)
                m_out.diagnostics.push_back(d);
        }
        if (!context.rejected().empty()) {
            drop_rejected(m_out.merged, context.rejected());
            Diagnostics again;
            DecodeContext retry(again);
            m_out.typed = {};
            decode(m_out.merged, m_out.typed, retry);
        }
        // Every built-in service runs in a container named after its key.
        for (auto* services : { &m_out.typed.rancher.services, &m_out.typed.rancher.bootstrap,
                 &m_out.typed.rancher.cloud_init_services }) {
            for (auto& [name, service] : *services) {
                if (service.container_name.empty())
                    service.container_name = name;
            }
        }
    }

private:
    void add(LayerKind kind, std::string source, Node tree)
    {
        merge(m_out.merged, tree);
        m_out.layers.push_back(Layer { kind, std::move(source), std::move(tree) });
    }

    static void append(Diagnostics& to, const Diagnostics& from) { to.insert(to.end(), from.begin(), from.end()); }

    const Paths& m_paths;
    LoadedConfig& m_out;
};

} // namespace

LoadedConfig load_config(const Paths& paths, const LoadOptions& options)
{
    LoadedConfig out;
    Loader loader(paths, out);
    if (options.defaults) {
        loader.file(LayerKind::OsConfig, paths.os_config());
        loader.file(LayerKind::Oem, paths.oem_config());
    }
    loader.cloud_config_dir();
    loader.file(LayerKind::CloudConfig, paths.cloud_config());
    loader.kernel_cmdline();
    loader.extra_cmdline();
    loader.debug_flags();
    loader.metadata();
    loader.finish();
    return out;
}

} // namespace corral::config
