#include "auth/jwt.hpp"

#include <string>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace beacon::auth {
namespace {

constexpr std::string_view kSecret = "unit-test-secret-0123456789abcdef";
const TimePoint kNow = from_epoch_ms(1795593600000);  // 2026-11-25T08:00:00Z
constexpr long kNowS = 1795593600;

std::string base64url(std::string_view bytes, bool pad = false) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                     static_cast<unsigned char>(bytes[i + 2]);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (bytes.size() - i == 1) {
        unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += pad ? "==" : "";
    } else if (bytes.size() - i == 2) {
        unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += pad ? "=" : "";
    }
    return out;
}

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md,
         key.data(),
         static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()),
         data.size(),
         out,
         &len);
    return std::string(reinterpret_cast<const char*>(out), len);
}

// A compact JWS with any header and claims, signed with HMAC over `md`.
std::string make_token(std::string_view header_json,
                       std::string_view claims_json,
                       std::string_view secret = kSecret,
                       const EVP_MD* md = EVP_sha256(),
                       bool pad = false) {
    std::string signing_input = base64url(header_json, pad) + "." + base64url(claims_json, pad);
    return signing_input + "." + base64url(hmac(md, secret, signing_input), pad);
}

std::string hs256(std::string_view claims_json) {
    return make_token(R"({"alg":"HS256","typ":"JWT"})", claims_json);
}

std::string claims_expiring_at(long exp, std::string_view extra = "") {
    return R"({"sub":"alice","exp":)" + std::to_string(exp) + std::string(extra) + "}";
}

class TokenVerifierTest : public ::testing::Test {
protected:
    ManualClock clock_{kNow};
    TokenVerifier verifier_{std::string(kSecret), clock_};

    // The refusal reason, or "accepted".
    std::string outcome(std::string_view token) const {
        auto r = verifier_.verify(token);
        if (r.ok()) {
            return "accepted";
        }
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
        return r.error().message;
    }
};

TEST_F(TokenVerifierTest, AcceptsAdminRoleClaim) {
    auto r = verifier_.verify(hs256(claims_expiring_at(kNowS + 3600, R"(,"role":"admin")")));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->subject, "alice");
    EXPECT_TRUE(r->admin);
}

TEST_F(TokenVerifierTest, AcceptsAdminInRolesArray) {
    auto r = verifier_.verify(hs256(claims_expiring_at(kNowS + 3600, R"(,"roles":["user","admin"])")));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->admin);
}

TEST_F(TokenVerifierTest, UserTokenIsNotAdmin) {
    for (std::string_view extra : {R"()",
                                   R"(,"role":"user")",
                                   R"(,"roles":["user"])",
                                   R"(,"role":"Admin")",
                                   R"(,"roles":"admin")",
                                   R"(,"roles":[["admin"]])",
                                   R"(,"role":["admin"])"}) {
        auto r = verifier_.verify(hs256(claims_expiring_at(kNowS + 3600, extra)));
        ASSERT_TRUE(r.ok()) << extra << ": " << r.error().message;
        EXPECT_FALSE(r->admin) << extra;
        EXPECT_EQ(r->subject, "alice");
    }
}

TEST_F(TokenVerifierTest, MissingSubLeavesSubjectEmpty) {
    auto r = verifier_.verify(hs256(R"({"exp":)" + std::to_string(kNowS + 60) + "}"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->subject, "");
    EXPECT_EQ(outcome(hs256(R"({"sub":42,"exp":)" + std::to_string(kNowS + 60) + "}")),
              "invalid token: sub is not a string");
}

TEST_F(TokenVerifierTest, RefusesTokenExpiredBeyondLeeway) {
    EXPECT_EQ(outcome(hs256(claims_expiring_at(kNowS - 31))), "invalid token: expired");
    EXPECT_EQ(outcome(hs256(claims_expiring_at(kNowS - 30))), "invalid token: expired");
    EXPECT_EQ(outcome(hs256(claims_expiring_at(kNowS - 86400))), "invalid token: expired");
}

TEST_F(TokenVerifierTest, AcceptsTokenExpiredWithinLeeway) {
    EXPECT_EQ(outcome(hs256(claims_expiring_at(kNowS - 29))), "accepted");
    EXPECT_EQ(outcome(hs256(claims_expiring_at(kNowS))), "accepted");
    // NumericDate may have a fraction.
    EXPECT_EQ(outcome(hs256(R"({"exp":)" + std::to_string(kNowS - 29) + ".5}")), "accepted");
}

TEST_F(TokenVerifierTest, RefusesNotBeforeInTheFuture) {
    EXPECT_EQ(outcome(hs256(claims_expiring_at(kNowS + 3600, R"(,"nbf":)" + std::to_string(kNowS + 60)))),
              "invalid token: not valid yet");
    EXPECT_EQ(outcome(hs256(claims_expiring_at(kNowS + 3600, R"(,"nbf":)" + std::to_string(kNowS + 29)))), "accepted");
    EXPECT_EQ(outcome(hs256(claims_expiring_at(kNowS + 3600, R"(,"nbf":"soon")"))),
              "invalid token: nbf is not a number");
}

TEST_F(TokenVerifierTest, FollowsTheClock) {
    std::string token = hs256(claims_expiring_at(kNowS + 60));
    EXPECT_EQ(outcome(token), "accepted");
    clock_.advance(std::chrono::seconds(89));
    EXPECT_EQ(outcome(token), "accepted");
    clock_.advance(std::chrono::seconds(1));
    EXPECT_EQ(outcome(token), "invalid token: expired");
}

TEST_F(TokenVerifierTest, RefusesMissingOrNonNumericExp) {
    EXPECT_EQ(outcome(hs256(R"({"sub":"alice","role":"admin"})")), "invalid token: missing exp");
    EXPECT_EQ(outcome(hs256(R"({"sub":"alice","exp":"2099-01-01"})")), "invalid token: exp is not a number");
    EXPECT_EQ(outcome(hs256(R"({"sub":"alice","exp":null})")), "invalid token: exp is not a number");
}

TEST_F(TokenVerifierTest, RefusesAlgNone) {
    std::string claims = claims_expiring_at(kNowS + 3600, R"(,"role":"admin")");
    std::string unsigned_token = base64url(R"({"alg":"none","typ":"JWT"})") + "." + base64url(claims) + ".";
    EXPECT_EQ(outcome(unsigned_token), "invalid token: alg must be HS256");
    EXPECT_EQ(outcome(make_token(R"({"alg":"none"})", claims)), "invalid token: alg must be HS256");
    EXPECT_EQ(outcome(make_token(R"({"alg":"None"})", claims)), "invalid token: alg must be HS256");
    EXPECT_EQ(outcome(make_token(R"({"typ":"JWT"})", claims)), "invalid token: alg must be HS256");
}

TEST_F(TokenVerifierTest, RefusesOtherHmacAlgorithmsEvenWithTheRightKey) {
    std::string claims = claims_expiring_at(kNowS + 3600, R"(,"role":"admin")");
    EXPECT_EQ(outcome(make_token(R"({"alg":"HS384","typ":"JWT"})", claims, kSecret, EVP_sha384())),
              "invalid token: alg must be HS256");
    EXPECT_EQ(outcome(make_token(R"({"alg":"HS512","typ":"JWT"})", claims, kSecret, EVP_sha512())),
              "invalid token: alg must be HS256");
    // libjwt would accept "hs256"; the contract says exactly HS256.
    EXPECT_EQ(outcome(make_token(R"({"alg":"hs256","typ":"JWT"})", claims)), "invalid token: alg must be HS256");
}

TEST_F(TokenVerifierTest, RefusesRs256HeaderSignedWithTheSecret) {
    // The classic algorithm-confusion attack: an RS256 header with an HMAC signature.
    std::string claims = claims_expiring_at(kNowS + 3600, R"(,"role":"admin")");
    EXPECT_EQ(outcome(make_token(R"({"alg":"RS256","typ":"JWT"})", claims)), "invalid token: alg must be HS256");
    EXPECT_EQ(outcome(make_token(R"({"alg":"ES256"})", claims)), "invalid token: alg must be HS256");
}

TEST_F(TokenVerifierTest, RefusesTamperedPayload) {
    std::string token = hs256(claims_expiring_at(kNowS + 3600));
    std::string forged_claims = base64url(claims_expiring_at(kNowS + 3600, R"(,"role":"admin")"));
    auto dot1 = token.find('.');
    auto dot2 = token.find('.', dot1 + 1);
    std::string forged = token.substr(0, dot1 + 1) + forged_claims + token.substr(dot2);
    EXPECT_EQ(outcome(forged), "invalid token: bad signature");
}

TEST_F(TokenVerifierTest, RefusesTamperedSignature) {
    std::string token = hs256(claims_expiring_at(kNowS + 3600));
    std::string flipped_first = token;
    auto sig_at = token.rfind('.') + 1;
    flipped_first[sig_at] = flipped_first[sig_at] == 'A' ? 'B' : 'A';
    EXPECT_EQ(outcome(flipped_first), "invalid token: bad signature");
    std::string flipped_last = token;
    flipped_last.back() = flipped_last.back() == 'A' ? 'B' : 'A';
    EXPECT_EQ(outcome(flipped_last), "invalid token: bad signature");
    EXPECT_EQ(outcome(token.substr(0, token.size() - 1)), "invalid token: bad signature");
    EXPECT_EQ(outcome(token + "AAAA"), "invalid token: bad signature");
    EXPECT_EQ(outcome(token.substr(0, sig_at)), "invalid token: bad signature");
}

TEST_F(TokenVerifierTest, RefusesWrongSecret) {
    std::string token = make_token(R"({"alg":"HS256","typ":"JWT"})",
                                   claims_expiring_at(kNowS + 3600, R"(,"role":"admin")"),
                                   "some-other-secret-0123456789abcd");
    EXPECT_EQ(outcome(token), "invalid token: bad signature");
}

TEST_F(TokenVerifierTest, EmptySecretRefusesEverything) {
    TokenVerifier no_secret{"", clock_};
    std::string token = make_token(R"({"alg":"HS256","typ":"JWT"})", claims_expiring_at(kNowS + 3600), "");
    EXPECT_FALSE(no_secret.verify(token).ok());
}

TEST_F(TokenVerifierTest, RefusesGarbage) {
    std::string claims = base64url(claims_expiring_at(kNowS + 3600));
    std::string header = base64url(R"({"alg":"HS256","typ":"JWT"})");
    for (const std::string& garbage : {std::string(""),
                                       std::string("Bearer"),
                                       std::string("a.b"),
                                       std::string("..."),
                                       std::string("a.b.c.d"),
                                       std::string("!!!.###.$$$"),
                                       header + ".." + "abc",
                                       "." + claims + ".abc",
                                       header + "." + claims + " .abc",
                                       header + "." + claims + ".ab=c",
                                       header + "." + claims + ".abc===",
                                       base64url("not json") + "." + claims + ".abc",
                                       base64url("[1,2]") + "." + claims + ".abc",
                                       header + "." + base64url("not json") + ".abc",
                                       header + "." + base64url(R"(["exp"])") + ".abc",
                                       std::string("\xff\xfe.\x01\x02.\0x", 8)}) {
        auto r = verifier_.verify(garbage);
        EXPECT_FALSE(r.ok()) << garbage;
    }
}

TEST_F(TokenVerifierTest, RefusesOversizedTokenBeforeParsing) {
    std::string big_claims = claims_expiring_at(kNowS + 3600, R"(,"pad":")" + std::string(7000, 'x') + "\"");
    std::string token = hs256(big_claims);
    ASSERT_GT(token.size(), kMaxTokenBytes);
    EXPECT_EQ(outcome(token), "invalid token: too long");
}

TEST_F(TokenVerifierTest, RefusesUnknownTypAndCrit) {
    std::string claims = claims_expiring_at(kNowS + 3600);
    EXPECT_EQ(outcome(make_token(R"({"alg":"HS256","typ":"at+jwt"})", claims)), "invalid token: unsupported typ");
    EXPECT_EQ(outcome(make_token(R"({"alg":"HS256","crit":["b64"],"b64":false})", claims)),
              "invalid token: unsupported crit header");
    EXPECT_EQ(outcome(make_token(R"({"alg":"HS256"})", claims)), "accepted");
    EXPECT_EQ(outcome(make_token(R"({"alg":"HS256","typ":"jwt"})", claims)), "accepted");
}

TEST_F(TokenVerifierTest, ToleratesBase64Padding) {
    // Lengths chosen so that every segment needs padding.
    std::string claims = claims_expiring_at(kNowS + 3600, R"(,"role":"admin")");
    std::string padded = make_token(R"({"alg":"HS256","typ":"JWT"})", claims, kSecret, EVP_sha256(), true);
    ASSERT_NE(padded.find('='), std::string::npos);
    auto r = verifier_.verify(padded);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->admin);
}

TEST_F(TokenVerifierTest, MessagesNeverQuoteTokenOrSecret) {
    std::string token = hs256(claims_expiring_at(kNowS - 3600));
    for (const std::string& t : {token, token + "x", token.substr(5)}) {
        auto r = verifier_.verify(t);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().message.find(t.substr(0, 10)), std::string::npos);
        EXPECT_EQ(r.error().message.find(kSecret), std::string::npos);
    }
}

TEST_F(TokenVerifierTest, IssuedTokensVerify) {
    auto admin = issue_token(kSecret, "ops", true, std::chrono::hours(12), kNow);
    ASSERT_TRUE(admin.ok()) << admin.error().message;
    auto r = verifier_.verify(*admin);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->subject, "ops");
    EXPECT_TRUE(r->admin);

    auto user = issue_token(kSecret, "user-42", false, std::chrono::seconds(60), kNow);
    ASSERT_TRUE(user.ok());
    auto u = verifier_.verify(*user);
    ASSERT_TRUE(u.ok()) << u.error().message;
    EXPECT_EQ(u->subject, "user-42");
    EXPECT_FALSE(u->admin);

    // exp = now + ttl: valid up to the leeway past it, then refused.
    clock_.advance(std::chrono::seconds(60 + 29));
    EXPECT_TRUE(verifier_.verify(*user).ok());
    clock_.advance(std::chrono::seconds(1));
    EXPECT_EQ(outcome(*user), "invalid token: expired");
}

TEST_F(TokenVerifierTest, IssuedTokenIsHs256WithoutPadding) {
    auto token = issue_token(kSecret, "ops", true, std::chrono::hours(1), kNow);
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(token->find('='), std::string::npos);
    EXPECT_EQ(token->substr(0, token->find('.')), base64url(R"({"alg":"HS256","typ":"JWT"})"));
    TokenVerifier other{"a-different-secret-0123456789abcd", clock_};
    EXPECT_FALSE(other.verify(*token).ok());
}

// A rotation (docs/SECURITY.md): the new secret signs, the previous one still
// verifies, and a third one does not.
TEST_F(TokenVerifierTest, ThePreviousSecretVerifiesDuringARotation) {
    constexpr std::string_view kNew = "rotated-secret-0123456789abcdef01";
    TokenVerifier rotated{std::string(kNew), clock_, std::string(kSecret)};
    auto old_token = issue_token(kSecret, "ops", true, std::chrono::hours(1), kNow);
    auto new_token = issue_token(kNew, "ops", true, std::chrono::hours(1), kNow);
    auto stranger = issue_token("a-third-secret-0123456789abcdef012", "ops", true, std::chrono::hours(1), kNow);
    ASSERT_TRUE(old_token.ok() && new_token.ok() && stranger.ok());
    auto r = rotated.verify(*old_token);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r->admin);
    EXPECT_TRUE(rotated.verify(*new_token).ok());
    EXPECT_FALSE(rotated.verify(*stranger).ok());
    // Without the previous secret, the old token is refused; expiry still applies to it.
    EXPECT_FALSE(TokenVerifier(std::string(kNew), clock_).verify(*old_token).ok());
    clock_.advance(std::chrono::hours(2));
    EXPECT_FALSE(rotated.verify(*old_token).ok());
}

TEST(IssueToken, RefusesBadArguments) {
    EXPECT_FALSE(issue_token("", "ops", true, std::chrono::hours(1), kNow).ok());
    EXPECT_FALSE(issue_token(kSecret, "", true, std::chrono::hours(1), kNow).ok());
    EXPECT_FALSE(issue_token(kSecret, "ops", true, std::chrono::seconds(0), kNow).ok());
    EXPECT_FALSE(issue_token(kSecret, "ops", true, std::chrono::seconds(-5), kNow).ok());
}

// The example on https://jwt.io (HS256, secret "your-256-bit-secret"): a
// published vector for the signature. It has no exp, so it must still be refused,
// and for that reason, not for its signature.
TEST(JwtIoVector, SignatureVerifiesButMissingExpIsRefused) {
    constexpr std::string_view kToken =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    ManualClock clock{from_epoch_ms(1516239022000)};
    auto right = TokenVerifier{"your-256-bit-secret", clock}.verify(kToken);
    ASSERT_FALSE(right.ok());
    EXPECT_EQ(right.error().message, "invalid token: missing exp");
    auto wrong = TokenVerifier{"not-the-256-bit-secret", clock}.verify(kToken);
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().message, "invalid token: bad signature");
}

TEST(GenerateSecret, Gives64HexCharactersFreshEachTime) {
    auto a = generate_secret();
    auto b = generate_secret();
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(a->size(), 64u);
    EXPECT_EQ(a->find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(*a, *b);
}

}  // namespace
}  // namespace beacon::auth
