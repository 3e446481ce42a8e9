#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace beacon::auth {

// Who a verified token speaks for.
struct Principal {
    // The `sub` claim; empty when the token has none (the caller decides
    // whether that is acceptable).
    std::string subject;
    // True when the claims have "role": "admin" or a "roles" array containing "admin".
    bool admin = false;
};

// Longest token verify() will look at; longer ones are refused before parsing.
inline constexpr std::size_t kMaxTokenBytes = 8 * 1024;
// Allowed clock skew for `exp` and `nbf`.
inline constexpr std::chrono::seconds kClockLeeway{30};

// Verifies bearer tokens as API.md ("Identity and authentication") requires:
// a JWS in compact form, header `alg` exactly "HS256" (anything else, `none`
// included, is refused), a valid HMAC-SHA256 signature under the secret, an
// `exp` claim, and `exp`/`nbf` (when present) within kClockLeeway of the clock.
// Segments are base64url with or without padding.
//
// Errors are ErrorCode::InvalidArgument with a short reason that never quotes
// the token or the secret. Thread-safe: verify() is const and keeps no state.
// The clock must outlive the verifier.
class TokenVerifier {
public:
    // `secret` is the raw HMAC key (the bytes of BEACON_JWT_SECRET). An empty
    // secret makes every token fail rather than skipping the signature check.
    // `previous_secret` (BEACON_JWT_PREVIOUS_SECRET, may be empty) also
    // verifies, so that tokens issued before a rotation keep working until
    // they expire (docs/SECURITY.md); new tokens are signed with `secret` only.
    TokenVerifier(std::string secret, const Clock& clock, std::string previous_secret = {});

    Result<Principal> verify(std::string_view token) const;

private:
    std::string secret_;
    std::string previous_secret_;
    const Clock& clock_;
};

// Signs an HS256 token with claims `sub`, `iat` and `exp` (= now + ttl, both
// epoch seconds), plus "role": "admin" when `admin`. InvalidArgument when the
// secret or subject is empty or ttl is not positive.
Result<std::string> issue_token(
    std::string_view secret, std::string_view subject, bool admin, std::chrono::seconds ttl, TimePoint now);

// A new secret for BEACON_JWT_SECRET: 32 bytes from OpenSSL's CSPRNG as 64
// lower-case hex characters. Internal error if the CSPRNG fails.
Result<std::string> generate_secret();

}  // namespace beacon::auth
