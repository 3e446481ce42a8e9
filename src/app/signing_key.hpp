#pragma once

#include <filesystem>
#include <vector>

#include "app/config.hpp"
#include "core/result.hpp"
#include "releases/ed25519_signer.hpp"

namespace beacon::app {

// The file name of the key embedded mode generates in the data dir.
inline constexpr std::string_view kGeneratedSigningKeyName = "signing-key.pem";

// The Ed25519 key that signs update offers (BEACON_SIGNING_KEY_FILE):
//   - set: the PKCS#8 PEM private key in that file;
//   - unset in production: InvalidArgument (replicas must share one key, and
//     clients pin it, so it is never made up on the fly);
//   - unset in embedded mode: data_dir/signing-key.pem, generated there on the
//     first start (mode 0600, data_dir created if needed, safe against another
//     process generating it at the same moment) and reused afterwards.
// Every error stops the start, its message starting with
// "BEACON_SIGNING_KEY_FILE" and naming the path: a missing or unreadable file
// (Unavailable), one that is not PEM, is encrypted or holds another kind of key
// (InvalidArgument). No message quotes the file's content.
Result<releases::Ed25519Signer> load_signing_key(const Config& config);

// The further keys of BEACON_SIGNING_PUBLIC_KEYS, in order (empty when
// unset): each file a PEM Ed25519 public key or private key (only its public
// half is kept). A missing, unreadable or non-Ed25519 file stops the start,
// the message starting with "BEACON_SIGNING_PUBLIC_KEYS" and naming the path.
Result<std::vector<releases::PublicSigningKey>> load_published_keys(const Config& config);

}  // namespace beacon::app
