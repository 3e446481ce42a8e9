#include "releases/ed25519_signer.hpp"

#include <cstdlib>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/base64url.hpp"
#include "releases/sha256_stream.hpp"

namespace beacon::releases {
namespace {

constexpr std::size_t kSignatureBytes = 64;

struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// A PEM passphrase callback that refuses: an encrypted key fails to load
// instead of prompting on the terminal.
int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) {
    return 0;
}

Error invalid_key(std::string message) {
    // OpenSSL's error queue describes the failure; our message says it
    // better, and a stale queue must not leak into later, unrelated calls.
    ERR_clear_error();
    return make_error(ErrorCode::InvalidArgument, std::move(message));
}

}  // namespace

void Ed25519Signer::PkeyFree::operator()(EVP_PKEY* key) const {
    EVP_PKEY_free(key);
}

Ed25519Signer::Ed25519Signer(std::unique_ptr<EVP_PKEY, PkeyFree> key, const Ed25519PublicKey& raw)
    : key_(std::move(key)),
      raw_public_(raw),
      public_{ed25519_key_id(raw), "Ed25519", base64url_encode(std::span<const std::uint8_t>(raw))} {}

Ed25519Signer::Ed25519Signer(Ed25519Signer&&) noexcept = default;
Ed25519Signer& Ed25519Signer::operator=(Ed25519Signer&&) noexcept = default;
Ed25519Signer::~Ed25519Signer() = default;

Result<Ed25519Signer> Ed25519Signer::from_pem(std::string_view pem) {
    if (pem.find("-----BEGIN ") == std::string_view::npos) {
        return invalid_key("is not a PEM file (expected -----BEGIN PRIVATE KEY-----)");
    }
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) {
        std::abort();
    }
    std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
    if (!key) {
        return invalid_key("holds no readable PKCS#8 private key (an unencrypted -----BEGIN PRIVATE KEY----- block)");
    }
    if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
        const char* kind = EVP_PKEY_get0_type_name(key.get());
        return invalid_key(std::string("holds a ") + (kind != nullptr ? kind : "non-Ed25519") +
                           " key, not an Ed25519 one (make one with: openssl genpkey -algorithm ed25519)");
    }
    Ed25519PublicKey raw{};
    std::size_t len = raw.size();
    if (EVP_PKEY_get_raw_public_key(key.get(), raw.data(), &len) != 1 || len != raw.size()) {
        return invalid_key("holds an Ed25519 key whose public half cannot be read");
    }
    return Ed25519Signer(std::move(key), raw);
}

Result<std::string> Ed25519Signer::generate_pem() {
    std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (!key) {
        ERR_clear_error();
        return make_error(ErrorCode::Internal, "generating an Ed25519 key failed");
    }
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        ERR_clear_error();
        return make_error(ErrorCode::Internal, "writing an Ed25519 key as PEM failed");
    }
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    std::string pem(data, static_cast<std::size_t>(n));
    // The BIO's copy of the private key is wiped before it is freed.
    OPENSSL_cleanse(data, static_cast<std::size_t>(n));
    return pem;
}

std::string Ed25519Signer::sign(std::string_view message) const {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    std::array<unsigned char, kSignatureBytes> sig{};
    std::size_t len = sig.size();
    // A NULL digest: Ed25519 hashes the message itself (RFC 8032 PureEdDSA),
    // so there is no separate update step and the whole message goes in one call.
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
        EVP_DigestSign(
            ctx.get(), sig.data(), &len, reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
        len != sig.size()) {
        std::abort();  // a loaded Ed25519 key always signs
    }
    return base64url_encode(std::span<const std::uint8_t>(sig.data(), sig.size()));
}

Result<PublicSigningKey> ed25519_public_key_from_pem(std::string_view pem) {
    if (pem.find("-----BEGIN PUBLIC KEY-----") == std::string_view::npos) {
        auto signer = Ed25519Signer::from_pem(pem);  // a private key: its public half
        if (!signer) {
            return std::move(signer).error();
        }
        return signer->public_key();
    }
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) {
        std::abort();
    }
    std::unique_ptr<EVP_PKEY, Ed25519Signer::PkeyFree> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key) {
        return invalid_key("holds no readable public key (a -----BEGIN PUBLIC KEY----- block)");
    }
    Ed25519PublicKey raw{};
    std::size_t len = raw.size();
    if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519 ||
        EVP_PKEY_get_raw_public_key(key.get(), raw.data(), &len) != 1 || len != raw.size()) {
        return invalid_key("holds a public key that is not an Ed25519 one");
    }
    return PublicSigningKey{ed25519_key_id(raw), "Ed25519", base64url_encode(std::span<const std::uint8_t>(raw))};
}

std::string ed25519_key_id(const Ed25519PublicKey& public_key) {
    const Sha256Digest digest =
        sha256(std::string_view(reinterpret_cast<const char*>(public_key.data()), public_key.size()));
    return to_hex(std::span<const std::uint8_t>(digest.data(), 8));
}

bool ed25519_verify(const Ed25519PublicKey& public_key, std::string_view message, std::string_view signature) {
    const std::optional<std::string> sig = base64url_decode(signature);
    if (!sig || sig->size() != kSignatureBytes) {
        return false;
    }
    EVP_PKEY* raw = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size());
    if (raw == nullptr) {
        ERR_clear_error();
        return false;
    }
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    const bool valid = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, raw) == 1 &&
                       EVP_DigestVerify(ctx.get(),
                                        reinterpret_cast<const unsigned char*>(sig->data()),
                                        sig->size(),
                                        reinterpret_cast<const unsigned char*>(message.data()),
                                        message.size()) == 1;
    EVP_PKEY_free(raw);
    ERR_clear_error();
    return valid;
}

}  // namespace beacon::releases
