#pragma once

// Signed offers (API.md 1.1, "Staleness and signed answers"): the update
// check's `latest` carries an Ed25519 signature over the fields a client acts
// on, so that whoever can change the bytes in the bucket, the CDN or a proxy
// cannot also swap the hash and size the client checks them against.
//
// The signed text is UTF-8, eight lines joined by '\n', no trailing newline:
//
//     beacon-offer-v1
//     <platform>        lower case ("android", "ios")
//     <channel>         lower case
//     <versionCode>     decimal
//     <sha256>          as in `latest` (64 lower-case hex), or empty when null
//     <fileSize>        decimal, or empty when null
//     <downloadUrl>     exactly as in `latest`
//     <signedAt>        exactly as in `signature.signedAt` (ISO-8601 UTC, ms)
//
// The signature is the 64 raw bytes of Ed25519 (RFC 8032, pure, no pre-hash)
// in base64url without padding. Keys are published by
// GET /app/version/signing-keys under their keyId.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "releases/release_version.hpp"

namespace beacon::releases {

// What an offer's signature covers (borrowed views; see the format above).
struct OfferFields {
    Platform platform = Platform::Android;
    std::string_view channel;
    std::int64_t version_code = 0;
    std::optional<std::string_view> sha256;
    std::optional<std::int64_t> file_size;
    std::string_view download_url;
};

// The exact text that is signed for `fields` at `signed_at`.
std::string offer_text(const OfferFields& fields, TimePoint signed_at);

struct OfferSignature {
    std::string key_id;
    TimePoint signed_at;
    std::string value;  // base64url, no padding
};

// A public key as GET /app/version/signing-keys lists it.
struct PublicSigningKey {
    std::string key_id;
    std::string algorithm;   // "Ed25519"
    std::string public_key;  // base64url of the raw key (32 bytes for Ed25519)
};

// Port: signs offers with a private key it keeps to itself. Implemented by
// Ed25519Signer (ed25519_signer.hpp); tests may fake it. Thread-safe: sign()
// may be called from many threads at once.
class OfferSigner {
public:
    virtual ~OfferSigner() = default;
    // The key that verifies this signer's signatures.
    virtual const PublicSigningKey& public_key() const = 0;
    // The signature of `message` (base64url, no padding). Never fails for a
    // valid key; an OpenSSL failure here is a broken invariant (abort).
    virtual std::string sign(std::string_view message) const = 0;
};

}  // namespace beacon::releases
