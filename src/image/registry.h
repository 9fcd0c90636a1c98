#pragma once

// Pulling images from registries that speak the OCI distribution API (Docker
// Registry HTTP API v2): Docker Hub, registry:2, Harbor, the cloud registries.
//
//   auto image = TRY(pull(store, TRY(Reference::parse("busybox")), options, on_progress));
//
// The manifest (or the image index, which is narrowed to options.platform) comes
// from the first endpoint that serves it: the mirrors configured for the
// reference's registry in order, then the registry itself over HTTPS (and, only
// for registries listed as insecure, over plain HTTP after HTTPS failed). Blobs
// are streamed into the store, each checked against its digest and size, several
// at once; a broken transfer resumes where it stopped (Range). Layers are unpacked
// in order as soon as each one and the one below it are there, so unpacking
// overlaps the downloads. The image is recorded and tagged only when all of it is
// in the store: a failed pull leaves no image (only verified blobs and layers,
// which a later pull reuses and garbage collection removes).
//
// Authentication follows the registry's WWW-Authenticate challenge: Bearer tokens
// from the named realm (with basic credentials, or an identity token used as an
// OAuth2 refresh token, when configured for that registry) and Basic auth.
// Credentials go only to the registry they are configured for and its token
// realm; an Authorization header is never forwarded through a redirect to another
// scheme, host or port (blob storage), whatever the kind of credential.

#include "base/error.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/store.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace corral::image {

// One entry of rancher.registry_auths (the fields of a Docker config.json auth).
// username+password win over auth (base64 "user:pass"); identitytoken is an OAuth2
// refresh token for the registry's token realm.
struct RegistryCredentials {
    std::string username;
    std::string password;
    std::string auth;
    std::string identitytoken;
};

struct RegistryOptions {
    // Registry domain → mirror URLs ("https://m:5000", "http://127.0.0.1:5001",
    // optionally with a path prefix), tried in order before the origin. dockerd's
    // --registry-mirror fills mirrors["docker.io"]. A mirror's scheme is used as
    // written; a mirror whose host[:port] is in `insecure` skips TLS verification.
    std::map<std::string, std::vector<std::string>> mirrors;
    // Registries that may be reached over plain HTTP, and over TLS without
    // verification: host[:port] as in references, or a CIDR range for registries
    // named by IP address ("10.0.0.0/8").
    std::set<std::string> insecure;
    // By registry domain; keys may also be written as Docker's config.json writes
    // them ("https://index.docker.io/v1/", "registry.example:5000").
    std::map<std::string, RegistryCredentials> credentials;
    std::string ca_file; // PEM bundle to verify registries with; empty: the system bundle
    Platform platform = Platform::host();
    int parallel = 3; // layer downloads at once (1..16)
    int retries = 3; // per request, with backoff; blob downloads resume with Range
    std::chrono::seconds timeout { 30 }; // connect timeout, and stall timeout per request
};

// One progress event, as dockerd's JSON stream reports a pull:
//   id = tag or digest:  "Pulling from <path>"
//   id = short layer id (12 hex of the blob digest): "Pulling fs layer", "Waiting",
//     "Downloading" (current/total bytes), "Verifying Checksum", "Download complete",
//     "Extracting" (current/total), "Pull complete", "Already exists"
//   id empty: "Digest: sha256:…", then "Status: Downloaded newer image for <ref>" or
//     "Status: Image is up to date for <ref>".
struct PullProgress {
    std::string id;
    std::string status;
    int64_t current = 0;
    int64_t total = 0;
};

// Pulls `reference` (by tag or by digest) into `store` and tags it there: with the
// reference as given, so a digest pull records name@sha256:…. Returns the image as
// the store has it; its manifest_digest is the digest of the document the
// reference named (the index for a multi-platform image), i.e. the RepoDigest.
//
// `progress` is called from the calling thread and from the download threads,
// never by two threads at once (calls are serialised); it must return quickly and
// must not call pull(). Without it, nothing is reported.
//
// Errors read `pull 127.0.0.1:5000/test:1: manifest unknown (404)`, naming the
// registry, the repository and the HTTP status with the registry's own message;
// the code is ENOENT for unknown manifests and blobs, EACCES for refused
// credentials, EINVAL for content that does not match its digest, ECONNREFUSED,
// ETIMEDOUT, EPROTO (TLS) or ECONNABORTED for transport failures.
ErrorOr<ImageRecord> pull(Store& store, const Reference& reference, const RegistryOptions& options,
    const std::function<void(const PullProgress&)>& progress = {});

} // namespace corral::image
