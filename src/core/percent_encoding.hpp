#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace beacon {

// Percent-encodes `text` the way AWS Signature V4 defines UriEncode: every
// byte except the unreserved A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case
// hex); '/' is kept when `encode_slash` is false (a path), encoded when true
// (a query value). Stricter than RFC 3986 libraries, which keep sub-delims.
//
// In core because two adapters need the same rule and adapters never include
// each other: the S3 signer (backends/s3/sigv4), whose canonical request must
// match the server's byte for byte, and the local file store's /files links
// (backends/localfs), whose `name` parameter is encoded with it. Pure.
std::string uri_encode(std::string_view text, bool encode_slash);

// Decodes every %XX (either case of hex digit) of a URL part; nullopt when a
// '%' is not followed by two hex digits. '+' stays '+' (not a form body).
// Used for credentials in URLs (Redis, PostgreSQL, S3 settings) and to find
// them again when redacting.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace beacon
