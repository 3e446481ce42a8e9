#include "releases/sha256_stream.hpp"

#include <cassert>
#include <cstdlib>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace beacon::releases {

void Sha256Stream::CtxFree::operator()(EVP_MD_CTX* ctx) const {
    EVP_MD_CTX_free(ctx);
}

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
    // Allocation failure or a missing SHA-256 in libcrypto is not something to
    // recover from.
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
        std::abort();
    }
}

Sha256Stream::~Sha256Stream() = default;
Sha256Stream::Sha256Stream(Sha256Stream&&) noexcept = default;
Sha256Stream& Sha256Stream::operator=(Sha256Stream&&) noexcept = default;

void Sha256Stream::update(std::span<const std::uint8_t> bytes) {
    assert(!finished_);
    if (bytes.empty()) {
        return;
    }
    if (EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) != 1) {
        std::abort();
    }
    size_ += bytes.size();
}

void Sha256Stream::update(std::string_view bytes) {
    update(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

const Sha256Digest& Sha256Stream::digest() {
    if (!finished_) {
        unsigned int len = 0;
        if (EVP_DigestFinal_ex(ctx_.get(), digest_.data(), &len) != 1 || len != digest_.size()) {
            std::abort();
        }
        finished_ = true;
    }
    return digest_;
}

std::string Sha256Stream::hex_digest() {
    return to_hex(digest());
}

Sha256Digest sha256(std::string_view bytes) {
    // The one-shot SHA256() (not deprecated in OpenSSL 3) avoids allocating a
    // context, which matters on the update-check path (rollout buckets).
    Sha256Digest out{};
    SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out.data());
    return out;
}

std::string sha256_hex(std::string_view bytes) {
    return to_hex(sha256(bytes));
}

Sha256Digest hmac_sha256(std::string_view key, std::string_view message) {
    Sha256Digest out{};
    unsigned int len = 0;
    // HMAC() is OpenSSL's one-shot form (not deprecated in 3.0, unlike HMAC_CTX).
    const unsigned char* r = HMAC(EVP_sha256(),
                                  key.data(),
                                  static_cast<int>(key.size()),
                                  reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size(),
                                  out.data(),
                                  &len);
    if (r == nullptr || len != out.size()) {
        std::abort();
    }
    return out;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
    return to_hex(hmac_sha256(key, message));
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.resize(bytes.size() * 2);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        out[2 * i] = kDigits[bytes[i] >> 4];
        out[2 * i + 1] = kDigits[bytes[i] & 0x0F];
    }
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    if (a.empty()) {
        return true;
    }
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace beacon::releases
