#include "releases/offer_signature.hpp"

#include <string>

#include <gtest/gtest.h>

#include "core/base64url.hpp"
#include "releases/ed25519_signer.hpp"

namespace beacon::releases {
namespace {

// RFC 8032 section 7.1, TEST 1, as PKCS#8 PEM.
constexpr std::string_view kRfcKeyPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";
// Its public key and the signature of the empty message, from the RFC.
constexpr std::string_view kRfcPublicHex = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr std::string_view kRfcEmptySignatureHex =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24"
    "655141438e7a100b";

std::string from_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

OfferFields sample_fields() {
    static const std::string sha(64, 'a');
    OfferFields f;
    f.platform = Platform::Android;
    f.channel = "stable";
    f.version_code = 210;
    f.sha256 = sha;
    f.file_size = 48'211'331;
    f.download_url = "https://cdn.example.com/a.apk?sig=1";
    return f;
}

const TimePoint kSignedAt = from_epoch_ms(1'795'593'600'000);  // 2026-11-25T08:00:00.000Z

Ed25519Signer rfc_signer() {
    auto s = Ed25519Signer::from_pem(kRfcKeyPem);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return std::move(s).value();
}

TEST(OfferText, IsTheEightLinesOfTheContractWithoutATrailingNewline) {
    EXPECT_EQ(offer_text(sample_fields(), kSignedAt),
              "beacon-offer-v1\nandroid\nstable\n210\n" + std::string(64, 'a') +
                  "\n48211331\nhttps://cdn.example.com/a.apk?sig=1\n2026-11-25T08:00:00.000Z");
}

TEST(OfferText, LeavesNullHashAndSizeEmptyAndLowersPlatformAndChannel) {
    OfferFields f = sample_fields();
    f.platform = Platform::Ios;
    f.channel = "Beta-2";
    f.sha256.reset();
    f.file_size.reset();
    f.download_url = "https://apps.apple.com/app/id1";
    EXPECT_EQ(offer_text(f, kSignedAt + Millis{7}),
              "beacon-offer-v1\nios\nbeta-2\n210\n\n\nhttps://apps.apple.com/app/id1\n2026-11-25T08:00:00.007Z");
}

TEST(Ed25519Signer, MatchesRfc8032TestVector1) {
    const Ed25519Signer signer = rfc_signer();
    const auto& raw = signer.raw_public_key();
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(raw.data()), raw.size()), from_hex(kRfcPublicHex));
    EXPECT_EQ(base64url_decode(signer.sign("")), from_hex(kRfcEmptySignatureHex));
    EXPECT_EQ(signer.public_key().algorithm, "Ed25519");
    EXPECT_EQ(base64url_decode(signer.public_key().public_key), from_hex(kRfcPublicHex));
}

TEST(Ed25519Signer, KeyIdIsTheStartOfTheSha256OfThePublicKey) {
    // printf d75a...511a | xxd -r -p | sha256sum -> 21fe31dfa154a261...
    EXPECT_EQ(rfc_signer().public_key().key_id, "21fe31dfa154a261");
}

TEST(Ed25519Signer, SignsTheOfferTextAsOpensslPkeyutlDoes) {
    // openssl pkeyutl -sign -inkey rfc.pem -rawin -in <the text> | basenc --base64url
    EXPECT_EQ(rfc_signer().sign(offer_text(sample_fields(), kSignedAt)),
              "Kmwa3TCkT_OyPSZM3th_Aq9YYts5u9xyej2AztprKOAZ4G5QZYqojx5iIpEA6F32N7sglr1F8TIDhLNtmzPYDg");
}

TEST(Ed25519Signer, GeneratedKeysSignAndVerifyAndTamperingFails) {
    auto pem = Ed25519Signer::generate_pem();
    ASSERT_TRUE(pem.ok());
    EXPECT_TRUE(pem->starts_with("-----BEGIN PRIVATE KEY-----\n")) << "PKCS#8";
    auto signer = Ed25519Signer::from_pem(*pem);
    ASSERT_TRUE(signer.ok()) << signer.error().message;
    const std::string text = offer_text(sample_fields(), kSignedAt);
    const std::string sig = signer->sign(text);
    EXPECT_EQ(sig.size(), 86u) << "64 bytes, base64url without padding";
    EXPECT_TRUE(ed25519_verify(signer->raw_public_key(), text, sig));

    std::string other_text = text;
    other_text[other_text.size() - 2] = '1';  // another signedAt
    EXPECT_FALSE(ed25519_verify(signer->raw_public_key(), other_text, sig));
    std::string other_sig = sig;
    other_sig[10] = other_sig[10] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(ed25519_verify(signer->raw_public_key(), text, other_sig));
    EXPECT_FALSE(ed25519_verify(signer->raw_public_key(), text, "not base64url!"));
    EXPECT_FALSE(ed25519_verify(rfc_signer().raw_public_key(), text, sig)) << "another key";

    auto second = Ed25519Signer::generate_pem();
    ASSERT_TRUE(second.ok());
    EXPECT_NE(*second, *pem);
}

TEST(Ed25519Signer, RefusesWhatIsNotAnUnencryptedEd25519Pkcs8Key) {
    auto not_pem = Ed25519Signer::from_pem("just some text");
    ASSERT_FALSE(not_pem.ok());
    EXPECT_EQ(not_pem.error().code, ErrorCode::InvalidArgument);
    EXPECT_NE(not_pem.error().message.find("not a PEM"), std::string::npos) << not_pem.error().message;

    auto garbled = Ed25519Signer::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    ASSERT_FALSE(garbled.ok());
    EXPECT_EQ(garbled.error().code, ErrorCode::InvalidArgument);

    auto cert = Ed25519Signer::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    EXPECT_FALSE(cert.ok());
}

// `openssl pkey -pubout` of the RFC key, and of an X25519 key (not for signing).
TEST(Ed25519PublicKeyFromPem, ReadsPublicKeysAndThePublicHalfOfPrivateOnes) {
    constexpr std::string_view kRfcPublicPem =
        "-----BEGIN PUBLIC KEY-----\n"
        "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
        "-----END PUBLIC KEY-----\n";
    auto from_public = ed25519_public_key_from_pem(kRfcPublicPem);
    ASSERT_TRUE(from_public.ok()) << from_public.error().message;
    auto from_private = ed25519_public_key_from_pem(kRfcKeyPem);
    ASSERT_TRUE(from_private.ok()) << from_private.error().message;
    const PublicSigningKey expected = rfc_signer().public_key();
    for (const PublicSigningKey* k : {&*from_public, &*from_private}) {
        EXPECT_EQ(k->key_id, expected.key_id);
        EXPECT_EQ(k->algorithm, "Ed25519");
        EXPECT_EQ(k->public_key, expected.public_key);
    }

    auto x25519 = ed25519_public_key_from_pem(
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VuAyEAnLkZAB8Top4tmEQFmg96OiYsM5LgfgyYrnCmTeupOkE=\n"
        "-----END PUBLIC KEY-----\n");
    ASSERT_FALSE(x25519.ok());
    EXPECT_NE(x25519.error().message.find("not an Ed25519"), std::string::npos) << x25519.error().message;
    EXPECT_FALSE(ed25519_public_key_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").ok());
    EXPECT_FALSE(ed25519_public_key_from_pem("no PEM here").ok());
}

}  // namespace
}  // namespace beacon::releases
