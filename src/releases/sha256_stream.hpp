#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

// SHA-256 and HMAC-SHA256 through OpenSSL's EVP interface, plus the helpers the
// release code needs around them (hex, constant-time comparison).

typedef struct evp_md_ctx_st EVP_MD_CTX;  // NOLINT(modernize-use-using): matches OpenSSL's declaration

namespace beacon::releases {

using Sha256Digest = std::array<std::uint8_t, 32>;

// SHA-256 of the empty string, the payload hash of a body-less S3 request.
inline constexpr std::string_view kEmptySha256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// Incremental SHA-256: feed bytes as they stream in (an upload), read the
// digest once at the end. Memory use is constant. Not thread-safe; movable
// (a moved-from stream may only be destroyed or assigned to).
class Sha256Stream {
public:
    Sha256Stream();
    ~Sha256Stream();
    Sha256Stream(Sha256Stream&&) noexcept;
    Sha256Stream& operator=(Sha256Stream&&) noexcept;
    Sha256Stream(const Sha256Stream&) = delete;
    Sha256Stream& operator=(const Sha256Stream&) = delete;

    // Precondition: digest()/hex_digest() not called yet.
    void update(std::span<const std::uint8_t> bytes);
    void update(std::string_view bytes);

    // Finishes the hash on the first call; later calls return the same value.
    const Sha256Digest& digest();
    // Lower-case, 64 characters.
    std::string hex_digest();
    // Bytes fed so far.
    std::uint64_t size() const { return size_; }

private:
    struct CtxFree {
        void operator()(EVP_MD_CTX* ctx) const;
    };
    std::unique_ptr<EVP_MD_CTX, CtxFree> ctx_;
    Sha256Digest digest_{};
    std::uint64_t size_ = 0;
    bool finished_ = false;
};

// One-shot helpers.
Sha256Digest sha256(std::string_view bytes);
std::string sha256_hex(std::string_view bytes);
Sha256Digest hmac_sha256(std::string_view key, std::string_view message);
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// Lower-case hex of any bytes.
std::string to_hex(std::span<const std::uint8_t> bytes);

// Compares two secrets (signatures, MACs) in time that depends only on their
// length, so an attacker cannot learn how many leading bytes matched. Strings
// of different lengths are unequal (lengths are not secret).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace beacon::releases
