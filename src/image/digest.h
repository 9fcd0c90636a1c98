#pragma once

// Content digests ("sha256:<64 hex>") and streaming SHA-256.

#include "base/error.h"

#include <memory>
#include <string>
#include <string_view>

namespace corral::image {

struct Digest {
    std::string algorithm; // "sha256" (the only one accepted)
    std::string hex; // lowercase

    // Accepts "sha256:<64 lowercase hex>"; anything else is EINVAL naming the text.
    static ErrorOr<Digest> parse(std::string_view text);
    std::string str() const { return algorithm + ":" + hex; }
    bool empty() const { return hex.empty(); }
    bool operator==(const Digest&) const = default;
    auto operator<=>(const Digest&) const = default;
};

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const void* data, size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }
    // The digest of everything so far. The hasher can be updated further.
    Digest digest() const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

Digest sha256_of(std::string_view data);

} // namespace corral::image
