#pragma once

// Image references, normalised the way Docker does:
//   busybox                 → docker.io/library/busybox:latest
//   user/app:1              → docker.io/user/app:1
//   localhost:5000/x        → localhost:5000/x:latest
//   x@sha256:…              → docker.io/library/x@sha256:… (no tag implied)

#include "base/error.h"
#include "image/digest.h"

#include <optional>
#include <string>
#include <string_view>

namespace corral::image {

inline constexpr std::string_view DEFAULT_DOMAIN = "docker.io";

struct Reference {
    std::string domain; // "docker.io", "localhost:5000", "registry.example:443"
    std::string path; // "library/busybox"
    std::string tag; // empty when only a digest was given
    std::optional<Digest> digest;

    // Parses and normalises. Errors (EINVAL) say what is wrong with which part.
    static ErrorOr<Reference> parse(std::string_view text);

    std::string name() const { return domain + "/" + path; } // docker.io/library/busybox
    // The full form: name:tag, name@digest or name:tag@digest.
    std::string str() const;
    // How Docker shows it: busybox:latest, user/app:1, localhost:5000/x:latest.
    std::string familiar() const;
    std::string familiar_name() const;

    bool operator==(const Reference&) const = default;
};

} // namespace corral::image
