#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace beacon::test {

// base64url without padding.
std::string base64url(std::string_view bytes);
// Decodes base64url (padding optional); characters outside the alphabet are skipped.
std::string base64url_decode(std::string_view text);

// A compact JWS with exactly the given header and claims, signed with HMAC
// using `digest` ("SHA256", "SHA384", "SHA512") under `secret`. With an empty
// digest the signature segment is empty (what `alg: none` tokens look like).
std::string sign_jwt(const boost::json::object& header,
                     const boost::json::object& claims,
                     std::string_view secret,
                     std::string_view digest = "SHA256");

// Epoch seconds now, from the system clock.
std::int64_t epoch_seconds_now();

// An HS256 token with `sub`, `iat`, `exp = now + ttl` and, when `admin`,
// "role": "admin". `extra` claims are added (and override the defaults).
std::string make_token(std::string_view secret,
                       std::string_view sub,
                       bool admin,
                       std::chrono::seconds ttl = std::chrono::hours(1),
                       const boost::json::object& extra = {});

}  // namespace beacon::test
