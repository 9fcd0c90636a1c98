#include "image/digest.h"

#include <openssl/evp.h>

namespace corral::image {

ErrorOr<Digest> Digest::parse(std::string_view text)
{
    auto colon = text.find(':');
    if (colon == std::string_view::npos || text.substr(0, colon) != "sha256")
        return Error::from_string("invalid digest \"" + std::string(text) + "\" (expected sha256:<64 hex digits>)");
    std::string_view hex = text.substr(colon + 1);
    if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos)
        return Error::from_string("invalid digest \"" + std::string(text) + "\" (expected sha256:<64 hex digits>)");
    return Digest { "sha256", std::string(hex) };
}

struct Sha256::State {
    EVP_MD_CTX* context { EVP_MD_CTX_new() };
    ~State() { EVP_MD_CTX_free(context); }
};

Sha256::Sha256()
    : m_state(std::make_unique<State>())
{
    // EVP_sha256 cannot fail to initialise short of memory exhaustion, where the
    // first update would crash anyway; OpenSSL reports both the same way.
    (void)EVP_DigestInit_ex(m_state->context, EVP_sha256(), nullptr);
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, size_t size)
{
    (void)EVP_DigestUpdate(m_state->context, data, size);
}

Digest Sha256::digest() const
{
    // Finalise a copy so that hashing can continue (resumed downloads).
    EVP_MD_CTX* copy = EVP_MD_CTX_new();
    (void)EVP_MD_CTX_copy_ex(copy, m_state->context);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    (void)EVP_DigestFinal_ex(copy, out, &length);
    EVP_MD_CTX_free(copy);
    static constexpr char HEX[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
        hex += HEX[out[i] >> 4];
        hex += HEX[out[i] & 15];
    }
    return Digest { "sha256", hex };
}

Digest sha256_of(std::string_view data)
{
    Sha256 hasher;
    hasher.update(data);
    return hasher.digest();
}

} // namespace corral::image
