// Bearer tokens: HS256 JWS in compact form (RFC 7515/7519), checked as API.md says.
//
// Who does what
// -------------
// libjwt (Debian 1.10.2) computes and compares the HMAC; everything it is lax
// about is decided here, before and after it runs:
//   * length bound (kMaxTokenBytes) and strict structure: three segments of
//     base64url characters, optional trailing '=' padding (JWS has none, but we
//     tolerate it). libjwt's decoder (libb64) skips characters it does not know,
//     so it must never see anything else.
//   * `alg` must be exactly "HS256". libjwt matches alg names case-insensitively
//     and verifies with whatever the header names (HS384, HS512, RS256, ...), so
//     the header is checked here first, and libjwt's own view of `alg` again
//     after it verified (two JSON parsers must agree).
//   * claims (`exp` required, `exp`/`nbf` with kClockLeeway, `sub`, roles):
//     libjwt 1.10 checks none of them.
//
// Constant-time comparison
// ------------------------
// libjwt 1.10.2 compares the signature in jwt_verify_sha_hmac() (libjwt/jwt-openssl.c)
// with jwt_strcmp() (libjwt/jwt.c): it base64url-encodes the HMAC it computed and
// XOR/ORs every character of the longer of the two strings, without an early
// exit, so the time depends on the lengths only, not on where the strings differ.
// We checked the Debian binary too: jwt_verify_sha_hmac calls jwt_strcmp, whose
// compiled loop has no data-dependent exit. That is why we do not recompute the
// HMAC ourselves. Because libjwt compares base64url *text*, we strip '=' padding
// from the signature before handing the token over (its own encoding has none).
#include "auth/jwt.hpp"

#include <array>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>

#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <boost/json.hpp>

#include "core/text.hpp"

namespace beacon::auth {
namespace {

constexpr std::string_view kAlgorithm = "HS256";

struct JwtDeleter {
    void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

struct MallocDeleter {
    void operator()(char* p) const { std::free(p); }  // NOLINT(cppcoreguidelines-no-malloc)
};

Error refuse(std::string_view reason) {
    return make_error(ErrorCode::InvalidArgument, "invalid token: " + std::string(reason));
}

int base64url_value(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}

// A segment without its optional padding: base64url characters, then at most
// two '=' that make the length a multiple of four. nullopt for anything else.
std::optional<std::string_view> unpadded_segment(std::string_view seg) {
    std::size_t pad = 0;
    while (pad < seg.size() && seg[seg.size() - 1 - pad] == '=') {
        ++pad;
    }
    if (pad > 2 || (pad > 0 && seg.size() % 4 != 0)) {
        return std::nullopt;
    }
    seg.remove_suffix(pad);
    if (seg.size() % 4 == 1) {
        return std::nullopt;
    }
    for (char c : seg) {
        if (base64url_value(c) < 0) {
            return std::nullopt;
        }
    }
    return seg;
}

// Decodes a segment already checked by unpadded_segment().
std::string base64url_decode(std::string_view seg) {
    std::string out;
    out.reserve(seg.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : seg) {
        acc = (acc << 6) | static_cast<std::uint32_t>(base64url_value(c));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    return out;
}

std::optional<boost::json::object> parse_object(std::string_view text) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) {
        return std::nullopt;
    }
    return std::move(v.as_object());
}

// RFC 7519 NumericDate: seconds since the epoch, integer or not.
std::optional<double> numeric_date(const boost::json::value& v) {
    if (v.is_int64()) {
        return static_cast<double>(v.get_int64());
    }
    if (v.is_uint64()) {
        return static_cast<double>(v.get_uint64());
    }
    if (v.is_double() && std::isfinite(v.get_double())) {
        return v.get_double();
    }
    return std::nullopt;
}

bool is_admin(const boost::json::object& claims) {
    if (const auto* role = claims.if_contains("role");
        role != nullptr && role->is_string() && role->get_string() == "admin") {
        return true;
    }
    if (const auto* roles = claims.if_contains("roles"); roles != nullptr && roles->is_array()) {
        for (const auto& r : roles->get_array()) {
            if (r.is_string() && r.get_string() == "admin") {
                return true;
            }
        }
    }
    return false;
}

}  // namespace

TokenVerifier::TokenVerifier(std::string secret, const Clock& clock, std::string previous_secret)
    : secret_(std::move(secret)), previous_secret_(std::move(previous_secret)), clock_(clock) {}

Result<Principal> TokenVerifier::verify(std::string_view token) const {
    if (token.size() > kMaxTokenBytes) {
        return refuse("too long");
    }
    auto dot1 = token.find('.');
    auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
        return refuse("not a compact JWS");
    }
    std::string_view header_text = token.substr(0, dot1);
    std::string_view payload_text = token.substr(dot1 + 1, dot2 - dot1 - 1);
    auto header_seg = unpadded_segment(header_text);
    auto payload_seg = unpadded_segment(payload_text);
    auto signature_seg = unpadded_segment(token.substr(dot2 + 1));
    if (!header_seg || !payload_seg || !signature_seg || header_seg->empty() || payload_seg->empty()) {
        return refuse("malformed");
    }

    auto header = parse_object(base64url_decode(*header_seg));
    if (!header) {
        return refuse("malformed header");
    }
    const auto* alg = header->if_contains("alg");
    if (alg == nullptr || !alg->is_string() || alg->get_string() != kAlgorithm) {
        return refuse("alg must be HS256");
    }
    // libjwt refuses other types; say why here rather than "bad signature".
    if (const auto* typ = header->if_contains("typ");
        typ != nullptr && (!typ->is_string() || !iequals(typ->get_string(), "JWT"))) {
        return refuse("unsupported typ");
    }
    // RFC 7515 4.1.11: extensions we do not understand must not be ignored.
    if (header->contains("crit")) {
        return refuse("unsupported crit header");
    }
    auto claims = parse_object(base64url_decode(*payload_seg));
    if (!claims) {
        return refuse("malformed claims");
    }
    if (signature_seg->empty() || secret_.empty()) {
        return refuse("bad signature");
    }

    // The header and payload go over exactly as sent (the signature covers their
    // text, padding included); the signature without padding, as libjwt's own
    // encoding compares equal only to that.
    std::string signed_token;
    signed_token.reserve(dot2 + 1 + signature_seg->size());
    signed_token.append(token.substr(0, dot2 + 1)).append(*signature_seg);
    auto decode = [&signed_token](const std::string& secret) {
        assert(secret.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max()));
        jwt_t* raw = nullptr;
        int rc = jwt_decode(&raw,
                            signed_token.c_str(),
                            reinterpret_cast<const unsigned char*>(secret.data()),
                            static_cast<int>(secret.size()));
        JwtPtr jwt(raw);
        return rc == 0 ? std::move(jwt) : JwtPtr();
    };
    JwtPtr jwt = decode(secret_);
    if (!jwt && !previous_secret_.empty()) {
        jwt = decode(previous_secret_);  // a token issued before the rotation
    }
    if (!jwt) {
        return refuse("bad signature");
    }
    const char* verified_alg = jwt_get_header(jwt.get(), "alg");
    if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256 || verified_alg == nullptr || verified_alg != kAlgorithm) {
        return refuse("alg must be HS256");
    }

    // Claims come from our own parse of the payload text libjwt just verified.
    const double now_s = static_cast<double>(to_epoch_ms(clock_.now())) / 1000.0;
    const auto leeway_s = static_cast<double>(kClockLeeway.count());
    const auto* exp_claim = claims->if_contains("exp");
    if (exp_claim == nullptr) {
        return refuse("missing exp");
    }
    auto exp = numeric_date(*exp_claim);
    if (!exp) {
        return refuse("exp is not a number");
    }
    if (now_s >= *exp + leeway_s) {
        return refuse("expired");
    }
    if (const auto* nbf_claim = claims->if_contains("nbf"); nbf_claim != nullptr) {
        auto nbf = numeric_date(*nbf_claim);
        if (!nbf) {
            return refuse("nbf is not a number");
        }
        if (now_s < *nbf - leeway_s) {
            return refuse("not valid yet");
        }
    }

    Principal principal;
    if (const auto* sub = claims->if_contains("sub"); sub != nullptr) {
        if (!sub->is_string()) {
            return refuse("sub is not a string");
        }
        principal.subject = std::string(sub->get_string());
    }
    principal.admin = is_admin(*claims);
    return principal;
}

Result<std::string> issue_token(
    std::string_view secret, std::string_view subject, bool admin, std::chrono::seconds ttl, TimePoint now) {
    if (secret.empty()) {
        return make_error(ErrorCode::InvalidArgument, "cannot sign a token with an empty secret");
    }
    if (secret.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        return make_error(ErrorCode::InvalidArgument, "secret too long");
    }
    if (subject.empty() || subject.find('\0') != std::string_view::npos) {
        return make_error(ErrorCode::InvalidArgument, "subject must be a non-empty string");
    }
    const long iat = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
    if (ttl.count() <= 0 || ttl.count() > std::numeric_limits<long>::max() - iat) {
        return make_error(ErrorCode::InvalidArgument, "ttl must be positive and in range");
    }

    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) {
        return make_error(ErrorCode::Internal, "libjwt: out of memory");
    }
    JwtPtr jwt(raw);
    const std::string sub(subject);
    int rc = jwt_add_grant(jwt.get(), "sub", sub.c_str());
    rc = rc != 0 ? rc : jwt_add_grant_int(jwt.get(), "iat", iat);
    rc = rc != 0 ? rc : jwt_add_grant_int(jwt.get(), "exp", iat + static_cast<long>(ttl.count()));
    if (admin) {
        rc = rc != 0 ? rc : jwt_add_grant(jwt.get(), "role", "admin");
    }
    rc = rc != 0 ? rc
                 : jwt_set_alg(jwt.get(),
                               JWT_ALG_HS256,
                               reinterpret_cast<const unsigned char*>(secret.data()),
                               static_cast<int>(secret.size()));
    if (rc != 0) {
        return make_error(ErrorCode::Internal, "libjwt: cannot build token");
    }
    std::unique_ptr<char, MallocDeleter> encoded(jwt_encode_str(jwt.get()));
    if (!encoded) {
        return make_error(ErrorCode::Internal, "libjwt: cannot encode token");
    }
    return std::string(encoded.get());
}

Result<std::string> generate_secret() {
    std::array<unsigned char, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        return make_error(ErrorCode::Internal, "OpenSSL RAND_bytes failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
        hex.push_back(kHex[b >> 4]);
        hex.push_back(kHex[b & 0x0F]);
    }
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return hex;
}

}  // namespace beacon::auth
