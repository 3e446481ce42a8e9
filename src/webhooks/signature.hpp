#pragma once

// The Beacon-Signature header (API.md 1.1 "Webhooks"):
//
//   Beacon-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// as Stripe's webhooks sign: the timestamp is inside the signed text, so a
// receiver can refuse old replays (say older than 5 minutes), and `v1` names
// the scheme so another can be added beside it. Lower-case hex.

#include <cstdint>
#include <string>
#include <string_view>

namespace beacon::webhooks {

// The HMAC-SHA256 of `message` under `key`, in lower-case hex.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

// The header's value for `body` sent at `unix_seconds`.
std::string signature_header(std::string_view secret, std::int64_t unix_seconds, std::string_view body);

// What a receiver does: true when `header` is t=<digits>,v1=<64 hex digits>
// and v1 is the HMAC of "<t>.<body>" under `secret`, compared in constant
// time. Does not judge the timestamp's age.
bool verify_signature_header(std::string_view secret, std::string_view header, std::string_view body);

}  // namespace beacon::webhooks
