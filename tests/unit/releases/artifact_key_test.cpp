#include "releases/artifact_key.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace beacon::releases {
namespace {

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(ArtifactKey, AcceptsTheThreeContentAddressedForms) {
    EXPECT_TRUE(is_valid_artifact_key("android/" + kHex + ".apk"));
    EXPECT_TRUE(is_valid_artifact_key("ios/" + kHex + ".ipa"));
    EXPECT_TRUE(is_valid_artifact_key("other/" + kHex + ".zip"));
}

TEST(ArtifactKey, RefusesPathTricks) {
    for (const std::string& key : std::vector<std::string>{"../android/" + kHex + ".apk",
                                                           "android/../" + kHex + ".apk",
                                                           "android/" + kHex + ".apk/..",
                                                           "android/./" + kHex.substr(2) + ".apk",
                                                           "/android/" + kHex + ".apk",
                                                           "//android/" + kHex + ".apk",
                                                           "android//" + kHex + ".apk",
                                                           "android/" + kHex + ".apk/",
                                                           "android\\" + kHex + ".apk",
                                                           "android%2F" + kHex + ".apk",
                                                           "/etc/passwd",
                                                           "..",
                                                           "."}) {
        EXPECT_FALSE(is_valid_artifact_key(key)) << key;
    }
}

TEST(ArtifactKey, RefusesUpperCaseAndNonHexDigits) {
    std::string upper = kHex;
    upper[10] = 'A';
    EXPECT_FALSE(is_valid_artifact_key("android/" + upper + ".apk"));
    std::string non_hex = kHex;
    non_hex[0] = 'g';
    EXPECT_FALSE(is_valid_artifact_key("android/" + non_hex + ".apk"));
    EXPECT_FALSE(is_valid_artifact_key("ANDROID/" + kHex + ".apk"));
}

TEST(ArtifactKey, RefusesWrongLengths) {
    EXPECT_FALSE(is_valid_artifact_key("android/" + kHex.substr(1) + ".apk"));
    EXPECT_FALSE(is_valid_artifact_key("android/" + kHex + "0.apk"));
    EXPECT_FALSE(is_valid_artifact_key(""));
    EXPECT_FALSE(is_valid_artifact_key("android/.apk"));
}

TEST(ArtifactKey, RefusesWrongOrMismatchedExtensions) {
    EXPECT_FALSE(is_valid_artifact_key("android/" + kHex + ".APK"));
    EXPECT_FALSE(is_valid_artifact_key("android/" + kHex + ".exe"));
    EXPECT_FALSE(is_valid_artifact_key("android/" + kHex + ".ipa"));
    EXPECT_FALSE(is_valid_artifact_key("ios/" + kHex + ".apk"));
    EXPECT_FALSE(is_valid_artifact_key("other/" + kHex + ".apk"));
    EXPECT_FALSE(is_valid_artifact_key("android/" + kHex + ".apk.zip"));
    EXPECT_FALSE(is_valid_artifact_key("android/" + kHex));
    EXPECT_FALSE(is_valid_artifact_key("web/" + kHex + ".zip"));
}

TEST(ArtifactKey, RefusesNulAndControlBytes) {
    std::string with_nul = "android/" + kHex + ".apk";
    with_nul[20] = '\0';
    EXPECT_FALSE(is_valid_artifact_key(with_nul));
    EXPECT_FALSE(is_valid_artifact_key(std::string("android/" + kHex + ".apk") + std::string(1, '\0')));
    EXPECT_FALSE(is_valid_artifact_key("android/" + kHex + ".apk\n"));
    EXPECT_FALSE(is_valid_artifact_key(" android/" + kHex + ".apk"));
}

TEST(ArtifactKey, Sha256IsTheMiddleOfAValidKey) {
    EXPECT_EQ(artifact_key_sha256("ios/" + kHex + ".ipa"), kHex);
    EXPECT_EQ(artifact_key_sha256("ios/" + kHex + ".apk"), "");
}

TEST(ContentDisposition, PlainNamesAreQuotedAndEncoded) {
    EXPECT_EQ(attachment_content_disposition("app-release.apk"),
              "attachment; filename=\"app-release.apk\"; filename*=UTF-8''app-release.apk");
    EXPECT_EQ(attachment_content_disposition(""), "attachment");
}

TEST(ContentDisposition, UnsafeBytesNeverReachTheQuotedFallback) {
    const std::string header = attachment_content_disposition("a\"b\\c/d;e\r\nf.apk");
    EXPECT_EQ(header, "attachment; filename=\"a_b_c_d_e__f.apk\"; filename*=UTF-8''a%22b%5Cc%2Fd%3Be%0D%0Af.apk");
}

TEST(ContentDisposition, NonAsciiNamesKeepUtf8InExtendedForm) {
    const std::string header = attachment_content_disposition("应用 1.apk");
    EXPECT_EQ(header, "attachment; filename=\"__ 1.apk\"; filename*=UTF-8''%E5%BA%94%E7%94%A8%201.apk");
}

}  // namespace
}  // namespace beacon::releases
