#include "core/base64url.hpp"

#include <string>

#include <gtest/gtest.h>

namespace beacon {
namespace {

TEST(Base64url, EncodesRfc4648VectorsWithoutPadding) {
    // RFC 4648 section 10, padding removed.
    EXPECT_EQ(base64url_encode(std::string_view("")), "");
    EXPECT_EQ(base64url_encode(std::string_view("f")), "Zg");
    EXPECT_EQ(base64url_encode(std::string_view("fo")), "Zm8");
    EXPECT_EQ(base64url_encode(std::string_view("foo")), "Zm9v");
    EXPECT_EQ(base64url_encode(std::string_view("foob")), "Zm9vYg");
    EXPECT_EQ(base64url_encode(std::string_view("fooba")), "Zm9vYmE");
    EXPECT_EQ(base64url_encode(std::string_view("foobar")), "Zm9vYmFy");
}

TEST(Base64url, UsesTheUrlSafeAlphabet) {
    EXPECT_EQ(base64url_encode(std::string_view("\xfb\xff\xbf", 3)), "-_-_");
}

TEST(Base64url, DecodesWhatItEncodes) {
    std::string all;
    for (int i = 0; i < 256; ++i) {
        all.push_back(static_cast<char>(i));
    }
    for (std::size_t n = 0; n <= all.size(); n += 37) {
        const std::string bytes = all.substr(0, n);
        EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes) << n;
    }
}

TEST(Base64url, RefusesPaddingForeignCharactersAndNonCanonicalText) {
    EXPECT_FALSE(base64url_decode("Zg=="));
    EXPECT_FALSE(base64url_decode("Zm9v+g"));
    EXPECT_FALSE(base64url_decode("Zm9v/g"));
    EXPECT_FALSE(base64url_decode("Z"));   // a length of 1 mod 4
    EXPECT_FALSE(base64url_decode("Zh"));  // unused bits set
    EXPECT_EQ(base64url_decode("Zg"), "f");
}

}  // namespace
}  // namespace beacon
