#include "http/entity_tag.hpp"

#include <gtest/gtest.h>

namespace beacon::http {
namespace {

namespace bh = boost::beast::http;

TEST(EntityTag, IsAStrongQuotedTagOfTheBodyHash) {
    // printf '{"a":1}' | sha256sum -> 015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862
    EXPECT_EQ(body_etag("{\"a\":1}"), "\"015abd7f5cc57a2dd94b7590f04ad808\"");
    EXPECT_NE(body_etag("{\"a\":1}"), body_etag("{\"a\":2}"));
}

TEST(EntityTag, IfNoneMatchComparesWeaklyOverAList) {
    const std::string tag = "\"abc\"";
    EXPECT_TRUE(if_none_match_value("\"abc\"", tag));
    EXPECT_TRUE(if_none_match_value("W/\"abc\"", tag)) << "weak comparison ignores W/";
    EXPECT_TRUE(if_none_match_value("\"x\", \"abc\"", tag));
    EXPECT_TRUE(if_none_match_value("\"x\",W/\"abc\" ,", tag));
    EXPECT_TRUE(if_none_match_value("*", tag));
    EXPECT_TRUE(if_none_match_value(" * ", tag));
    EXPECT_TRUE(if_none_match_value("\"a,b\", \"abc\"", tag)) << "a comma inside a tag";
    EXPECT_FALSE(if_none_match_value("\"abd\"", tag));
    EXPECT_FALSE(if_none_match_value("\"ab\"", tag));
    EXPECT_FALSE(if_none_match_value("abc", tag)) << "unquoted: not an entity tag";
    EXPECT_FALSE(if_none_match_value("\"abc\" junk", tag));
    EXPECT_FALSE(if_none_match_value("", tag));
    EXPECT_FALSE(if_none_match_value("w/\"abc\"", tag)) << "W/ is case-sensitive";
}

TEST(EntityTag, IfNoneMatchReadsEveryField) {
    RequestHeader h;
    EXPECT_FALSE(if_none_match(h, "\"abc\""));
    h.insert(bh::field::if_none_match, "\"x\"");
    EXPECT_FALSE(if_none_match(h, "\"abc\""));
    h.insert(bh::field::if_none_match, "\"abc\"");
    EXPECT_TRUE(if_none_match(h, "\"abc\""));
}

}  // namespace
}  // namespace beacon::http
