// load_archive() and load_oci_directory(): see archive.h.

#include "image/archive.h"

#include "base/file.h"
#include "base/system.h"
#include "image/unpack_stream.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

namespace corral::image {

using nlohmann::json;

namespace {

constexpr size_t MAX_METADATA_FILE = 4 * 1024 * 1024;
// All metadata files of one archive together: a hostile archive of many small
// members must not make the daemon hold them all.
constexpr size_t MAX_METADATA_TOTAL = 64 * 1024 * 1024;

// "./a//b/../c" → "a/c": archive member names are keys, compared textually.
std::string normalize(std::string_view path)
{
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= path.size()) {
        size_t slash = path.find('/', start);
        std::string_view part = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (part == "..") {
            if (!parts.empty())
                parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.emplace_back(part);
        }
        if (slash == std::string_view::npos)
            break;
        start = slash + 1;
    }
    std::string out;
    for (auto const& part : parts)
        out += (out.empty() ? "" : "/") + part;
    return out;
}

// What the archive held: small metadata files in memory, everything else as
// blobs in the store.
struct Contents {
    std::map<std::string, std::string> files;
    std::map<std::string, Descriptor> blobs; // media type left empty
    std::map<std::string, std::string> links; // name → normalised target

    const std::string* find_file(std::string name) const
    {
        name = resolve(name);
        auto it = files.find(name);
        return it == files.end() ? nullptr : &it->second;
    }
    const Descriptor* find_blob(std::string name) const
    {
        name = resolve(name);
        auto it = blobs.find(name);
        return it == blobs.end() ? nullptr : &it->second;
    }
    std::string resolve(std::string name) const
    {
        name = normalize(name);
        for (int hops = 0; hops < 16; ++hops) {
            auto it = links.find(name);
            if (it == links.end())
                break;
            name = it->second;
        }
        return name;
    }
};

bool is_blob_member(std::string_view name)
{
    return name.ends_with("layer.tar") || name.starts_with("blobs/") || name.ends_with(".tar.gz") || name.ends_with(".tar.zst");
}

class ArchiveReader {
public:
    ArchiveReader()
        : m_archive(archive_read_new())
    {
    }
    ~ArchiveReader() { archive_read_free(m_archive); }
    ArchiveReader(const ArchiveReader&) = delete;
    ArchiveReader& operator=(const ArchiveReader&) = delete;
    struct archive* get() { return m_archive; }
    Error error(const std::string& what) const
    {
        const char* message = archive_error_string(m_archive);
        int code = archive_errno(m_archive);
        return Error::from_string(what + ": " + (message ? message : "unknown archive error"), code > 0 ? code : EINVAL);
    }

private:
    struct archive* m_archive;
};

ErrorOr<Contents> read_contents(Store& store, int fd)
{
    ArchiveReader reader;
    struct archive* a = reader.get();
    TRY(unpack_detail::support_docker_compressions(a));
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    if (archive_read_open_fd(a, fd, 1 << 20) != ARCHIVE_OK)
        return reader.error("reading the image archive");
    Contents contents;
    size_t members = 0;
    size_t metadata_bytes = 0;
    for (;;) {
        struct archive_entry* entry = nullptr;
        int status = archive_read_next_header(a, &entry);
        if (status == ARCHIVE_EOF)
            break;
        if (status < ARCHIVE_WARN)
            return reader.error("reading the image archive");
        if (++members > 1'000'000)
            return Error::from_string("image archive: more than a million members");
        const char* raw_name = archive_entry_pathname(entry);
        std::string name = normalize(raw_name ? raw_name : "");
        mode_t type = archive_entry_filetype(entry);
        if (type == AE_IFLNK) {
            const char* target = archive_entry_symlink(entry);
            std::string base = name.find('/') == std::string::npos ? "" : name.substr(0, name.rfind('/') + 1);
            if (target)
                contents.links[name] = normalize(target[0] == '/' ? std::string(target) : base + target);
            continue;
        }
        if (archive_entry_hardlink(entry)) {
            contents.links[name] = normalize(archive_entry_hardlink(entry));
            continue;
        }
        if (type != AE_IFREG)
            continue;
        int64_t size = archive_entry_size(entry);
        if (is_blob_member(name) || size > static_cast<int64_t>(MAX_METADATA_FILE)) {
            if (!is_blob_member(name))
                return Error::from_string("image archive member \"" + name + "\": " + std::to_string(size)
                    + " bytes is too large for a metadata file");
            BlobWriter writer = TRY(store.ingest());
            char buffer[1 << 16];
            for (;;) {
                la_ssize_t n = archive_read_data(a, buffer, sizeof buffer);
                if (n < 0)
                    return reader.error("image archive member \"" + name + "\"");
                if (n == 0)
                    break;
                TRY(writer.write(std::string_view(buffer, static_cast<size_t>(n))));
            }
            std::optional<Digest> expected;
            if (name.starts_with("blobs/sha256/")) {
                expected = TRY_CONTEXT(Digest::parse("sha256:" + name.substr(13)), "image archive member \"" + name + "\"");
            }
            Descriptor blob;
            blob.size = static_cast<int64_t>(writer.size());
            blob.digest = TRY_CONTEXT(writer.commit(expected), "image archive member \"" + name + "\"");
            contents.blobs[name] = blob;
            continue;
        }
        metadata_bytes += static_cast<size_t>(std::max<int64_t>(size, 0));
        if (metadata_bytes > MAX_METADATA_TOTAL)
            return Error::from_string("image archive: its metadata files exceed " + std::to_string(MAX_METADATA_TOTAL)
                + " bytes in all (at \"" + name + "\")");
        std::string data;
        data.resize(static_cast<size_t>(std::max<int64_t>(size, 0)));
        la_ssize_t n = archive_read_data(a, data.data(), data.size());
        if (n < 0 || static_cast<size_t>(n) != data.size())
            return reader.error("image archive member \"" + name + "\"");
        contents.files[name] = std::move(data);
    }
    return contents;
}

// The bytes of a member, wherever it is kept.
ErrorOr<std::string> member_bytes(const Store& store, const Contents& contents, const std::string& name)
{
    if (auto const* file = contents.find_file(name))
        return *file;
    if (auto const* blob = contents.find_blob(name))
        return store.read_blob(blob->digest, MAX_METADATA_FILE);
    return Error::from_string("image archive: \"" + name + "\" is missing", ENOENT);
}

// A layer blob's media type, from its first bytes.
ErrorOr<std::string> sniff_layer_type(const Store& store, const Digest& digest)
{
    Fd fd = TRY(store.open_blob(digest));
    unsigned char magic[4] = {};
    ssize_t n = ::pread(fd.get(), magic, sizeof magic, 0);
    if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        return std::string(media_type::DOCKER_LAYER_GZIP);
    if (n == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
        return std::string(media_type::OCI_LAYER_ZSTD);
    return std::string(media_type::DOCKER_LAYER);
}

ErrorOr<void> tag_all(Store& store, LoadedImage& image, const std::vector<std::string>& names, LoadResult& result)
{
    for (auto const& name : names) {
        auto reference = Reference::parse(name);
        if (reference.is_error())
            return Error::from_string("image archive: invalid image name \"" + name + "\": " + reference.error().message());
        TRY(store.tag(reference.value(), image.id));
        image.references.push_back(reference->str());
        result.messages.push_back("Loaded image: " + reference->familiar());
    }
    if (names.empty())
        result.messages.push_back("Loaded image ID: " + image.id.str());
    return {};
}

ErrorOr<LoadResult> load_docker_save(Store& store, const Contents& contents, const std::string& manifest_text)
{
    json manifest = json::parse(manifest_text, nullptr, false);
    if (manifest.is_discarded() || !manifest.is_array())
        return Error::from_string("image archive: manifest.json is not a JSON list");
    LoadResult result;
    for (size_t i = 0; i < manifest.size(); ++i) {
        const json& entry = manifest[i];
        std::string where = "image archive: manifest.json entry " + std::to_string(i);
        if (!entry.is_object() || !entry.contains("Config") || !entry["Config"].is_string() || !entry.contains("Layers")
            || !entry["Layers"].is_array())
            return Error::from_string(where + ": needs \"Config\" and \"Layers\"");
        std::string config_text = TRY_CONTEXT(member_bytes(store, contents, entry["Config"].get<std::string>()), where);
        Digest config = TRY(store.put_blob(config_text));
        std::vector<Descriptor> layers;
        for (auto const& layer_name : entry["Layers"]) {
            if (!layer_name.is_string())
                return Error::from_string(where + ": a layer name is not a string");
            auto const* blob = contents.find_blob(layer_name.get<std::string>());
            if (!blob)
                return Error::from_string(where + ": layer \"" + layer_name.get<std::string>() + "\" is missing", ENOENT);
            Descriptor layer = *blob;
            layer.media_type = TRY(sniff_layer_type(store, layer.digest));
            layers.push_back(layer);
        }
        ImageRecord record = TRY_CONTEXT(store.add_image(config, layers), where);
        LoadedImage loaded { record.id, {} };
        std::vector<std::string> names;
        if (entry.contains("RepoTags") && entry["RepoTags"].is_array()) {
            for (auto const& tag : entry["RepoTags"]) {
                if (tag.is_string())
                    names.push_back(tag.get<std::string>());
            }
        }
        TRY(tag_all(store, loaded, names, result));
        result.images.push_back(std::move(loaded));
    }
    return result;
}

// Reads OCI blobs from wherever the layout is (archive members or a directory).
using BlobSource = std::function<ErrorOr<Descriptor>(const Digest&)>;

ErrorOr<void> load_oci_manifest(Store& store, const Descriptor& descriptor, const BlobSource& fetch,
    const LoadOptions& options, std::vector<std::string> names, LoadResult& result, int depth)
{
    if (depth > 4)
        return Error::from_string("OCI layout: indexes nested too deeply");
    TRY(fetch(descriptor.digest));
    std::string text = TRY(store.read_blob(descriptor.digest, MAX_METADATA_FILE));
    std::string type = descriptor.media_type.empty() ? TRY(peek_media_type(text)) : descriptor.media_type;
    if (is_index_media_type(type)) {
        Index index = TRY(parse_index(text));
        Descriptor chosen = TRY(select_platform(index, options.platform));
        return load_oci_manifest(store, chosen, fetch, options, std::move(names), result, depth + 1);
    }
    Manifest manifest = TRY_CONTEXT(parse_manifest(text), "OCI layout manifest " + descriptor.digest.str());
    TRY(fetch(manifest.config.digest));
    for (auto const& layer : manifest.layers)
        TRY(fetch(layer.digest));
    ImageRecord record = TRY(store.add_image(manifest.config.digest, manifest.layers, {}, manifest.media_type));
    LoadedImage loaded { record.id, {} };
    TRY(tag_all(store, loaded, names, result));
    result.images.push_back(std::move(loaded));
    return {};
}

// The name an OCI index entry gives its image, when it gives a whole reference.
std::vector<std::string> oci_names(const Descriptor& descriptor)
{
    for (auto const* key : { "io.containerd.image.name", "org.opencontainers.image.ref.name" }) {
        auto it = descriptor.annotations.find(key);
        if (it == descriptor.annotations.end())
            continue;
        // A bare tag ("v1") names no repository; only a full reference can be used.
        if (it->second.find('/') != std::string::npos || it->second.find(':') != std::string::npos) {
            if (!Reference::parse(it->second).is_error())
                return { it->second };
        }
    }
    return {};
}

ErrorOr<LoadResult> load_oci_layout(Store& store, const std::string& index_text, const BlobSource& fetch,
    const LoadOptions& options)
{
    Index index = TRY_CONTEXT(parse_index(index_text), "OCI layout index.json");
    LoadResult result;
    for (auto const& entry : index.manifests) {
        if (entry.platform && !options.platform.matches(*entry.platform))
            continue;
        TRY(load_oci_manifest(store, entry, fetch, options, oci_names(entry), result, 0));
    }
    if (result.images.empty())
        return Error::from_string("OCI layout: no image for platform " + options.platform.str(), ENOENT);
    return result;
}

} // namespace

ErrorOr<LoadResult> load_archive(Store& store, int input_fd, const LoadOptions& options)
{
    Contents contents = TRY(read_contents(store, input_fd));
    if (auto const* manifest = contents.find_file("manifest.json"))
        return load_docker_save(store, contents, *manifest);
    if (auto const* index = contents.find_file("index.json")) {
        BlobSource fetch = [&](const Digest& digest) -> ErrorOr<Descriptor> {
            auto const* blob = contents.find_blob("blobs/sha256/" + digest.hex);
            if (!blob)
                return Error::from_string("OCI layout: blob " + digest.str() + " is missing", ENOENT);
            return *blob;
        };
        return load_oci_layout(store, *index, fetch, options);
    }
    return Error::from_string("not an image archive: it has neither manifest.json nor index.json");
}

ErrorOr<LoadResult> load_oci_directory(Store& store, const std::string& path, const LoadOptions& options)
{
    std::string index = TRY(read_file(path + "/index.json", MAX_METADATA_FILE));
    BlobSource fetch = [&](const Digest& digest) -> ErrorOr<Descriptor> {
        if (store.has_blob(digest))
            return Descriptor { {}, digest, 0, {}, {} };
        Fd fd = TRY(sys::open(path + "/blobs/sha256/" + digest.hex, O_RDONLY));
        BlobWriter writer = TRY(store.ingest());
        char buffer[1 << 16];
        for (;;) {
            ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return Error::from_syscall("read '" + path + "/blobs/sha256/" + digest.hex + "'");
            if (n == 0)
                break;
            TRY(writer.write(std::string_view(buffer, static_cast<size_t>(n))));
        }
        Descriptor d;
        d.size = static_cast<int64_t>(writer.size());
        d.digest = TRY_CONTEXT(writer.commit(digest), "OCI layout " + path);
        return d;
    };
    return load_oci_layout(store, index, fetch, options);
}

} // namespace corral::image
