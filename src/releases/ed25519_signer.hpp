#pragma once

// The OfferSigner of Beacon: Ed25519 (RFC 8032) through OpenSSL's EVP
// interface (EVP_DigestSign with no digest: pure Ed25519 signs the message
// itself). Keys are PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----", what
// `openssl genpkey -algorithm ed25519` writes).
//
// keyId: the first 16 hex characters (8 bytes) of the SHA-256 of the 32-byte
// raw public key, so it follows from the key alone: every replica given the
// same key file names it alike, and a new key gets a new id.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "releases/offer_signature.hpp"

typedef struct evp_pkey_st EVP_PKEY;  // NOLINT(modernize-use-using): matches OpenSSL's declaration

namespace beacon::releases {

using Ed25519PublicKey = std::array<std::uint8_t, 32>;

class Ed25519Signer final : public OfferSigner {
public:
    // Reads a PKCS#8 PEM private key. InvalidArgument (without quoting any of
    // `pem`) when it is not PEM, is encrypted, or holds another kind of key
    // (RSA, EC...), the message naming the kind found.
    static Result<Ed25519Signer> from_pem(std::string_view pem);

    // A new random private key as PKCS#8 PEM (the caller stores it privately).
    static Result<std::string> generate_pem();

    Ed25519Signer(Ed25519Signer&&) noexcept;
    Ed25519Signer& operator=(Ed25519Signer&&) noexcept;
    ~Ed25519Signer() override;

    const PublicSigningKey& public_key() const override { return public_; }
    std::string sign(std::string_view message) const override;

    const Ed25519PublicKey& raw_public_key() const { return raw_public_; }

    struct PkeyFree {
        void operator()(EVP_PKEY* key) const;
    };

private:
    Ed25519Signer(std::unique_ptr<EVP_PKEY, PkeyFree> key, const Ed25519PublicKey& raw);

    std::unique_ptr<EVP_PKEY, PkeyFree> key_;
    Ed25519PublicKey raw_public_{};
    PublicSigningKey public_;
};

// The public key in a PEM file: a SubjectPublicKeyInfo ("-----BEGIN PUBLIC
// KEY-----", what `openssl pkey -pubout` writes) or a PKCS#8 private key, whose
// public half is taken. InvalidArgument as from_pem for anything else.
Result<PublicSigningKey> ed25519_public_key_from_pem(std::string_view pem);

// The key id of a raw Ed25519 public key (see above).
std::string ed25519_key_id(const Ed25519PublicKey& public_key);

// Whether `signature` (base64url) is a valid Ed25519 signature of `message`
// under `public_key`. False for a malformed signature.
bool ed25519_verify(const Ed25519PublicKey& public_key, std::string_view message, std::string_view signature);

}  // namespace beacon::releases
