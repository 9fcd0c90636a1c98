#include "image/registry.h"

#include "base/scope_guard.h"
#include "image/registry_auth.h"
#include "image/registry_endpoint.h"
#include "image/registry_session.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>
#include <thread>

namespace corral::image {

using registry::Document;
using registry::Endpoint;
using registry::PullContext;
using registry::Session;

namespace {

// Serialises the caller's callback, which the download threads share.
class Reporter {
public:
    explicit Reporter(const std::function<void(const PullProgress&)>& callback)
        : m_callback(callback)
    {
    }
    void operator()(std::string id, std::string status, int64_t current = 0, int64_t total = 0)
    {
        if (!m_callback)
            return;
        std::lock_guard lock(m_mutex);
        m_callback(PullProgress { std::move(id), std::move(status), current, total });
    }

private:
    const std::function<void(const PullProgress&)>& m_callback;
    std::mutex m_mutex;
};

std::string short_id(const Digest& digest)
{
    return digest.hex.substr(0, 12);
}

struct Resolved {
    Document top; // what the reference named: a manifest or an index
    Manifest manifest; // the image's manifest (top itself, or picked from the index)
    std::string manifest_body;
    size_t endpoint = 0; // index of the endpoint that served it
};

// The blobs of one pull that have to be downloaded, and how far they are.
struct Downloads {
    std::vector<Descriptor> blobs; // unique digests, in layer order
    size_t next = 0; // the next blob a worker takes
    std::set<Digest> done;
    std::optional<Error> failure;
    std::mutex mutex;
    std::condition_variable changed;
};

class Pull {
public:
    Pull(Store& store, const Reference& reference, const RegistryOptions& options,
        const std::function<void(const PullProgress&)>& progress)
        : m_store(store)
        , m_reference(reference)
        , m_options(options)
        , m_report(progress)
        , m_auth(reference.domain, "repository:" + reference.path + ":pull", options)
    {
    }

    ErrorOr<ImageRecord> run();

private:
    ErrorOr<Resolved> resolve(Session& session, size_t endpoint_index);
    ErrorOr<Resolved> resolve_any(Session& session);
    void download_worker(Downloads& downloads);

    Store& m_store;
    const Reference& m_reference;
    const RegistryOptions& m_options;
    Reporter m_report;
    registry::Authenticator m_auth;
    std::atomic<bool> m_cancel { false };
    std::optional<PullContext> m_context;
    size_t m_endpoint = 0;
};

ErrorOr<Resolved> Pull::resolve(Session& session, size_t endpoint_index)
{
    const Endpoint& endpoint = m_context->endpoints[endpoint_index];
    Resolved resolved;
    resolved.endpoint = endpoint_index;
    std::string name = m_reference.digest ? m_reference.digest->str() : m_reference.tag;
    resolved.top = TRY(session.fetch_manifest(endpoint, name, m_reference.digest));
    std::string type = resolved.top.media_type;
    if (type.starts_with("application/vnd.docker.distribution.manifest.v1"))
        return Error::from_string("manifest " + name + " is a schema 1 manifest, which is not supported", ENOTSUP);
    if (type.empty() && resolved.top.body.find("\"manifests\"") != std::string::npos)
        type = media_type::OCI_INDEX; // an OCI index may leave out its mediaType
    if (!is_index_media_type(type)) {
        resolved.manifest = TRY_CONTEXT(parse_manifest(resolved.top.body), "manifest " + name);
        resolved.manifest_body = resolved.top.body;
        return resolved;
    }
    Index index = TRY_CONTEXT(parse_index(resolved.top.body), "index " + name);
    Descriptor chosen = TRY_CONTEXT(select_platform(index, m_options.platform), "index " + name);
    std::string what = "manifest " + chosen.digest.str() + " for " + m_options.platform.str();
    if (!chosen.media_type.empty() && !is_manifest_media_type(chosen.media_type))
        return Error::from_string(what + ": unsupported media type \"" + chosen.media_type + "\"");
    if (chosen.size > static_cast<int64_t>(registry::MAX_DOCUMENT_SIZE))
        return Error::from_string(what + ": larger than 4 MiB", EFBIG);
    Document document = TRY_CONTEXT(session.fetch_manifest(endpoint, chosen.digest.str(), chosen.digest), what);
    if (static_cast<int64_t>(document.body.size()) != chosen.size)
        return Error::from_string(what + ": " + std::to_string(document.body.size()) + " bytes, the index says "
            + std::to_string(chosen.size));
    resolved.manifest = TRY_CONTEXT(parse_manifest(document.body), what);
    resolved.manifest_body = std::move(document.body);
    return resolved;
}

ErrorOr<Resolved> Pull::resolve_any(Session& session)
{
    // The first endpoint that serves the manifest wins; a mirror that is down,
    // refuses or lacks the image hands over to the next. When all fail, the
    // origin's error (the last) is the one that explains most.
    std::optional<Error> last;
    for (size_t i = 0; i < m_context->endpoints.size(); ++i) {
        auto resolved = resolve(session, i);
        if (!resolved.is_error())
            return resolved;
        if (resolved.error().code() == ECANCELED)
            return resolved.release_error();
        last = resolved.release_error();
    }
    return std::move(*last);
}

void Pull::download_worker(Downloads& downloads)
{
    auto fail = [&](Error error) {
        std::lock_guard lock(downloads.mutex);
        if (!downloads.failure)
            downloads.failure = std::move(error);
        m_cancel = true;
        downloads.changed.notify_all();
    };
    auto session = Session::create(*m_context);
    if (session.is_error())
        return fail(session.release_error());
    for (;;) {
        Descriptor blob;
        {
            std::lock_guard lock(downloads.mutex);
            if (downloads.failure || downloads.next >= downloads.blobs.size())
                return;
            blob = downloads.blobs[downloads.next++];
        }
        std::string id = short_id(blob.digest);
        m_report(id, "Downloading", 0, blob.size);
        int64_t step = std::max<int64_t>(64 * 1024, blob.size / 100);
        int64_t reported = 0;
        auto on_bytes = [&](int64_t current) {
            // (A transfer that had to start over reports from its new beginning.)
            if (current < reported || current - reported >= step || current == blob.size) {
                reported = current;
                m_report(id, "Downloading", current, blob.size);
            }
        };
        auto result = session->fetch_blob(m_store, m_endpoint, blob, on_bytes);
        if (result.is_error())
            return fail(result.release_error());
        m_report(id, "Verifying Checksum");
        m_report(id, "Download complete");
        std::lock_guard lock(downloads.mutex);
        downloads.done.insert(blob.digest);
        downloads.changed.notify_all();
    }
}

ErrorOr<ImageRecord> Pull::run()
{
    m_context.emplace(PullContext {
        m_reference.path, TRY(registry::endpoints_for(m_reference.domain, m_options)), m_options, m_auth, m_cancel });
    Session session = TRY(Session::create(*m_context));
    Resolved resolved = TRY(resolve_any(session));
    m_endpoint = resolved.endpoint;
    const Manifest& manifest = resolved.manifest;
    m_report(m_reference.digest ? m_reference.digest->str() : m_reference.tag, "Pulling from " + m_reference.path);

    // The config first: its diffIDs name the layers, so layers already unpacked
    // are known before anything else is downloaded.
    const Descriptor& config = manifest.config;
    if (config.size > static_cast<int64_t>(registry::MAX_DOCUMENT_SIZE))
        return Error::from_string("image config " + config.digest.str() + ": larger than 4 MiB", EFBIG);
    if (!m_store.has_blob(config.digest))
        TRY(session.fetch_blob(m_store, m_endpoint, config, {}));
    std::string config_json = TRY(m_store.read_blob(config.digest, registry::MAX_DOCUMENT_SIZE));
    ImageConfig image_config = TRY(parse_image_config(config_json));
    const std::vector<Descriptor>& layers = manifest.layers;
    if (image_config.diff_ids.size() != layers.size()) {
        return Error::from_string("image config " + config.digest.str() + " lists "
            + std::to_string(image_config.diff_ids.size()) + " layers, the manifest " + std::to_string(layers.size()));
    }
    std::vector<Digest> chain = chain_ids(image_config.diff_ids);

    Downloads downloads;
    std::vector<bool> present(layers.size());
    for (size_t i = 0; i < layers.size(); ++i) {
        std::string id = short_id(layers[i].digest);
        present[i] = m_store.has_layer(chain[i]);
        if (present[i]) {
            m_report(id, "Already exists");
            continue;
        }
        bool queued = std::any_of(downloads.blobs.begin(), downloads.blobs.end(),
            [&](const Descriptor& d) { return d.digest == layers[i].digest; });
        if (queued || downloads.done.contains(layers[i].digest))
            continue;
        m_report(id, "Pulling fs layer");
        if (m_store.has_blob(layers[i].digest)) {
            downloads.done.insert(layers[i].digest);
            m_report(id, "Download complete");
        } else {
            downloads.blobs.push_back(layers[i]);
        }
    }
    int parallel = std::clamp(m_options.parallel, 1, 16);
    for (size_t i = static_cast<size_t>(parallel); i < downloads.blobs.size(); ++i)
        m_report(short_id(downloads.blobs[i].digest), "Waiting");

    // Declared after everything the workers use, and the guard after the threads:
    // on every return the guard stops the transfers, then the threads are joined.
    std::vector<std::jthread> workers;
    ScopeGuard stop([&] {
        m_cancel = true;
        std::lock_guard lock(downloads.mutex);
        downloads.changed.notify_all();
    });
    size_t count = std::min(static_cast<size_t>(parallel), downloads.blobs.size());
    try {
        for (size_t i = 0; i < count; ++i)
            workers.emplace_back([&] { download_worker(downloads); });
    } catch (const std::system_error& e) {
        return Error::from_string(std::string("starting download threads: ") + e.what(), EAGAIN);
    }

    // Unpack in order, each layer as soon as its blob is in and the layer below is
    // unpacked, while later blobs are still downloading.
    for (size_t i = 0; i < layers.size(); ++i) {
        if (present[i])
            continue;
        {
            std::unique_lock lock(downloads.mutex);
            downloads.changed.wait(
                lock, [&] { return downloads.failure || downloads.done.contains(layers[i].digest); });
            if (downloads.failure)
                return std::move(*downloads.failure);
        }
        if (m_store.has_layer(chain[i]))
            continue; // the same layer twice in one image, or a concurrent pull
        std::string id = short_id(layers[i].digest);
        m_report(id, "Extracting", 0, layers[i].size);
        std::optional<Digest> parent = i == 0 ? std::nullopt : std::optional<Digest>(chain[i - 1]);
        auto unpacked = m_store.unpack_layer(layers[i], parent, image_config.diff_ids[i]);
        if (unpacked.is_error())
            return std::move(unpacked.release_error().context("layer " + layers[i].digest.str()));
        m_report(id, "Extracting", layers[i].size, layers[i].size);
        m_report(id, "Pull complete");
    }
    workers.clear(); // all blobs are in: the threads have returned or are about to
    stop.disarm();

    // The manifest (and the index) are kept, so the image can be pushed or saved
    // with the digests the registry gave it.
    TRY(m_store.put_blob(resolved.manifest_body, sha256_of(resolved.manifest_body)));
    if (resolved.top.body.size() != resolved.manifest_body.size()
        || resolved.top.digest != sha256_of(resolved.manifest_body))
        TRY(m_store.put_blob(resolved.top.body, resolved.top.digest));

    auto previous = m_store.resolve(m_reference.str());
    std::string top_type = resolved.top.media_type.empty() ? manifest.media_type : resolved.top.media_type;
    ImageRecord image = TRY(m_store.add_image(config.digest, layers, resolved.top.digest, top_type));
    TRY(m_store.tag(m_reference, image.id));
    m_report("", "Digest: " + resolved.top.digest.str());
    bool up_to_date = !previous.is_error() && previous->id == image.id;
    m_report("",
        (up_to_date ? "Status: Image is up to date for " : "Status: Downloaded newer image for ")
            + m_reference.familiar());
    return m_store.get(image.id);
}

} // namespace

ErrorOr<ImageRecord> pull(Store& store, const Reference& reference, const RegistryOptions& options,
    const std::function<void(const PullProgress&)>& progress)
{
    Pull pull(store, reference, options, progress);
    auto result = pull.run();
    if (result.is_error())
        return std::move(result.release_error().context("pull " + reference.str()));
    return result;
}

} // namespace corral::image
