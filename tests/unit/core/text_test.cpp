#include "core/text.hpp"

#include <gtest/gtest.h>

namespace beacon {
namespace {

TEST(Text, LowersAsciiOnly) {
    EXPECT_EQ(to_lower("Content-TYPE"), "content-type");
    EXPECT_EQ(to_lower("\xc3\x89t\xc3\xa9"), "\xc3\x89t\xc3\xa9");  // UTF-8 bytes are left alone
    EXPECT_EQ(lower_ascii('Z'), 'z');
    EXPECT_EQ(lower_ascii('['), '[');
}

TEST(Text, TrimsSpacesAndTabsOnly) {
    EXPECT_EQ(trim(" \tbytes=0-1\t "), "bytes=0-1");
    EXPECT_EQ(trim("  "), "");
    EXPECT_EQ(trim("a\r\n"), "a\r\n");
}

TEST(Text, ComparesIgnoringAsciiCase) {
    EXPECT_TRUE(iequals("JWT", "jwt"));
    EXPECT_TRUE(iequals("", ""));
    EXPECT_FALSE(iequals("jwt", "jwts"));
    EXPECT_FALSE(iequals("a@", "a`"));  // '@' + 32 is '`': only letters fold
}

TEST(Text, EscapesXmlMarkup) {
    EXPECT_EQ(xml_escape(R"(<a href="x">&</a>)"), "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
    EXPECT_EQ(xml_escape("eu-west-1"), "eu-west-1");
}

}  // namespace
}  // namespace beacon
