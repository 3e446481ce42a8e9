#include "telemetry/properties_spans.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace beacon::telemetry {
namespace {

std::vector<std::string> spans(std::string_view text) {
    auto found = find_properties_spans(text);
    EXPECT_TRUE(found.has_value()) << text;
    std::vector<std::string> out;
    if (found) {
        for (auto s : *found) {
            out.emplace_back(s);
        }
    }
    return out;
}

TEST(PropertiesSpans, FindsEachEventsPropertiesAsWritten) {
    const std::string text = R"( { "context" : {"properties": {"not": "this"}},
        "events" : [ {"eventName":"a", "properties" : { "k" : [1, 2.5e3, "x\"}]"] } , "x": 1},
                     {"eventName":"b"},
                     42, "s", null, [ {"properties":{}} ],
                     {"properties":{"\\":"\u00e9"}} ] } )";
    EXPECT_EQ(spans(text),
              (std::vector<std::string>{R"({ "k" : [1, 2.5e3, "x\"}]"] })", "", "", "", "", "", R"({"\\":"\u00e9"})"}));
}

TEST(PropertiesSpans, TheLastOfDuplicateKeysCountsAsInTheParser) {
    EXPECT_EQ(spans(R"({"events":[{"properties":{"a":1},"properties":{"b":2}}]})"),
              (std::vector<std::string>{R"({"b":2})"}));
    EXPECT_EQ(spans(R"({"events":[{"properties":{"a":1}}],"events":[{},{"properties":null}]})"),
              (std::vector<std::string>{"", "null"}));
    EXPECT_FALSE(find_properties_spans(R"({"events":[{"properties":{}}],"events":3})").has_value());
}

TEST(PropertiesSpans, DecodesEscapedKeys) {
    EXPECT_EQ(spans(R"({"\u0065vents":[{"prop\u0065rties":{"x":1}}, {"properties\u0000":{}}]})"),
              (std::vector<std::string>{R"({"x":1})", ""}));
}

TEST(PropertiesSpans, ValuesOfEveryKindAreSkipped) {
    EXPECT_EQ(
        spans(R"({"a":true,"b":false,"c":null,"d":-1.5E-3,"e":"\"","f":[[],{}],"events":[{"properties":{"q":"]"}}]})"),
        (std::vector<std::string>{R"({"q":"]"})"}));
    EXPECT_EQ(spans(R"({"events":[]})"), std::vector<std::string>{});
}

TEST(PropertiesSpans, NoEventsArrayOrBrokenTextIsNullopt) {
    EXPECT_FALSE(find_properties_spans(R"({"context":{}})").has_value());
    EXPECT_FALSE(find_properties_spans(R"({})").has_value());
    EXPECT_FALSE(find_properties_spans(R"([])").has_value());
    EXPECT_FALSE(find_properties_spans(R"({"events":[{"properties":"unterminated)").has_value());
    EXPECT_FALSE(find_properties_spans(R"({"events":[{"properties":{"a":1})").has_value());
    EXPECT_FALSE(find_properties_spans(R"({"events":[{"properties":"\)").has_value());
    EXPECT_FALSE(find_properties_spans("").has_value());
}

}  // namespace
}  // namespace beacon::telemetry
