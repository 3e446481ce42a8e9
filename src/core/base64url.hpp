#pragma once

// Base64url (RFC 4648 section 5: '-' and '_' for '+' and '/') without
// padding, the form signatures and raw keys take in JSON (as in JWTs).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace beacon {

std::string base64url_encode(std::span<const std::uint8_t> bytes);
std::string base64url_encode(std::string_view bytes);

// The bytes of `text`, which must be unpadded base64url: nullopt for any other
// character, '=' padding, a length of 1 mod 4, or unused low bits that are not
// zero (so each byte string has exactly one encoding).
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace beacon
