#include "core/flat_json.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace beacon {
namespace {

namespace json = boost::json;

std::optional<json::value> flat(std::string_view text) {
    auto object = FlatObject::parse(text);
    if (!object) {
        return std::nullopt;
    }
    return object->to_value();
}

TEST(FlatJson, ReadsWhatBoostJsonReadsForTheFlatObjectsItTakes) {
    const std::vector<std::string> taken = {
        R"({"installId":"install-0000042","platform":"android","appVersion":"2.1.0","region":"DE"})",
        R"({})",
        " \t\r\n{ \"a\" : \"\" , \"b\":\"x y~\x7f\" }\n ",
        R"({"versionCode":310,"n":-7,"zero":0,"big":999999999999999999,"low":-999999999999999999})",
        R"({"t":true,"f":false,"z":null})",
        R"({"":"empty key"})",
    };
    for (const auto& text : taken) {
        SCOPED_TRACE(text);
        auto fast = flat(text);
        ASSERT_TRUE(fast.has_value());
        const json::value full = json::parse(text);
        EXPECT_EQ(*fast, full);
        // The same kinds too (value equality compares an int64 and a uint64 by value).
        for (const auto& [k, v] : full.as_object()) {
            EXPECT_EQ(fast->as_object().at(k).kind(), v.kind());
        }
    }
}

TEST(FlatJson, LeavesEverythingElseToBoostJson) {
    const std::vector<std::string> declined = {
        "",
        "   ",
        "[]",
        R"("a string")",
        R"({"a":{"nested":1}})",
        R"({"a":[1]})",
        R"({"a":"esc\"aped"})",
        R"({"a":"\u00e9"})",
        "{\"a\":\"caf\xc3\xa9\"}",  // UTF-8: Boost.JSON validates it
        "{\"a\":\"\xff\"}",         // not UTF-8: Boost.JSON refuses it
        "{\"a\":\"tab\there\"}",    // a raw control character: refused by JSON
        R"({"a":1.5})",
        R"({"a":1e3})",
        R"({"a":1E3})",
        R"({"a":-0})",
        R"({"a":01})",
        R"({"a":-})",
        R"({"a":1234567890123456789})",  // 19 digits
        R"({"a":+1})",
        R"({"a":1,"a":2})",  // duplicate keys
        R"({"a":1,})",
        R"({,"a":1})",
        R"({"a" 1})",
        R"({"a":1 "b":2})",
        R"({"a":tru})",
        R"({"a":truex})",
        R"({"a":nul})",
        R"({"a":1}x)",
        R"({"a":1}{})",
        R"({"a":1)",
        R"({"a":"open)",
        R"({a:1})",
        R"({'a':1})",
        R"({"a":1} // comment)",
        "\xef\xbb\xbf{}",  // a byte order mark
        R"({"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16})",
    };
    for (const auto& text : declined) {
        SCOPED_TRACE(text);
        EXPECT_FALSE(flat(text).has_value());
    }
}

TEST(FlatJson, SixteenMembersAreStillTaken) {
    const std::string text =
        R"({"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15})";
    auto fast = flat(text);
    ASSERT_TRUE(fast.has_value());
    EXPECT_EQ(*fast, json::parse(text));
}

TEST(FlatJson, FindsMembersByKeyAsViewsOfTheText) {
    const std::string text = R"({"installId":"install-1","versionCode":42,"userId":null,"beta":true})";
    auto o = FlatObject::parse(text);
    ASSERT_TRUE(o.has_value());
    ASSERT_EQ(o->members().size(), 4u);
    const FlatMember* install = o->find("installId");
    ASSERT_NE(install, nullptr);
    EXPECT_EQ(install->kind, FlatMember::Kind::String);
    EXPECT_EQ(install->text, "install-1");
    EXPECT_GE(install->text.data(), text.data());  // a view, not a copy
    EXPECT_EQ(o->find("versionCode")->number, 42);
    EXPECT_EQ(o->find("userId")->kind, FlatMember::Kind::Null);
    EXPECT_EQ(o->find("beta")->kind, FlatMember::Kind::True);
    EXPECT_EQ(o->find("absent"), nullptr);
    EXPECT_EQ(o->find("installid"), nullptr);  // keys are case-sensitive
}

}  // namespace
}  // namespace beacon
