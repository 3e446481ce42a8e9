#include "releases/sha256_stream.hpp"

#include <string>

#include <gtest/gtest.h>

namespace beacon::releases {
namespace {

TEST(Sha256Stream, MatchesKnownDigests) {
    EXPECT_EQ(sha256_hex(""), kEmptySha256Hex);
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    Sha256Stream s;
    EXPECT_EQ(s.hex_digest(), kEmptySha256Hex);
}

TEST(Sha256Stream, IncrementalEqualsOneShot) {
    std::string data;
    for (int i = 0; i < 100'000; ++i) {
        data.push_back(static_cast<char>(i * 31 + 7));
    }
    Sha256Stream s;
    for (std::size_t i = 0; i < data.size(); i += 4093) {
        s.update(std::string_view(data).substr(i, 4093));
    }
    EXPECT_EQ(s.size(), data.size());
    const std::string first = s.hex_digest();
    EXPECT_EQ(first, sha256_hex(data));
    EXPECT_EQ(s.hex_digest(), first);  // finishing is idempotent
}

TEST(Sha256Stream, IsMovable) {
    Sha256Stream a;
    a.update("ab");
    Sha256Stream b = std::move(a);
    b.update("c");
    EXPECT_EQ(b.hex_digest(), sha256_hex("abc"));
}

TEST(HmacSha256, MatchesRfc4231) {
    // RFC 4231 test case 2.
    EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 1: 20 bytes of 0x0b, "Hi There".
    EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
    EXPECT_TRUE(constant_time_equal("", ""));
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "ab"));
    EXPECT_FALSE(constant_time_equal("", "a"));
}

TEST(ToHex, IsLowerCase) {
    const std::uint8_t bytes[] = {0x00, 0x0f, 0xa0, 0xff};
    EXPECT_EQ(to_hex(bytes), "000fa0ff");
}

}  // namespace
}  // namespace beacon::releases
