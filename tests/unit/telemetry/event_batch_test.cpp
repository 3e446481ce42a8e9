#include "telemetry/event_batch.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "core/time_format.hpp"

namespace beacon::telemetry {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// 2026-11-25T08:00:00.000Z, the instant of API.md's example.
const TimePoint kNow = from_epoch_ms(1'795'593'600'000);
const std::string kInstall = "i-12345678";

json::object event(std::string_view name = "page_view") {
    return json::object{{"eventName", name}};
}

json::object body_with(json::array events, json::object context = json::object{{"installId", kInstall}}) {
    return json::object{{"context", std::move(context)}, {"events", std::move(events)}};
}

// The body as a client sends it: boost's compact text (parse_event_batch
// measures properties on the text the value came from).
Result<ParsedBatch> parse(const json::value& body, const std::optional<std::string>& token = std::nullopt) {
    return parse_event_batch(body, json::serialize(body), kNow, token);
}

// A body given as text, exactly as received.
ParsedBatch parse_text_ok(std::string_view text) {
    auto r = parse_event_batch(json::parse(text), text, kNow, std::nullopt);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : ParsedBatch{};
}

// The rejected field of event 0 of a text body, "" when it was accepted.
std::string text_event_field(std::string_view text) {
    auto batch = parse_text_ok(text);
    if (batch.rejected.empty()) {
        return "";
    }
    return batch.rejected[0].field;
}

// Parses a batch expected to be accepted as an envelope.
ParsedBatch parse_ok(const json::value& body, const std::optional<std::string>& token = std::nullopt) {
    auto r = parse(body, token);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : ParsedBatch{};
}

// The field named by a whole-batch failure ("" when the batch was accepted).
std::string batch_error_field(const json::value& body) {
    auto r = parse(body);
    if (r.ok()) {
        return "<accepted>";
    }
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(r.error().fields.size(), 1u);
    return r.error().fields.empty() ? "" : r.error().fields[0].field;
}

// Parses a one-event batch; returns the rejection's field or "" when accepted.
std::string single_event_field(json::object ev, json::object context = json::object{{"installId", kInstall}}) {
    auto batch = parse_ok(body_with(json::array{std::move(ev)}, std::move(context)));
    if (batch.rejected.empty()) {
        EXPECT_EQ(batch.events.size(), 1u);
        return "";
    }
    EXPECT_TRUE(batch.events.empty());
    EXPECT_EQ(batch.rejected[0].index, 0u);
    EXPECT_FALSE(batch.rejected[0].message.empty());
    return batch.rejected[0].field;
}

std::optional<TimePoint> event_time_of(json::value timestamp) {
    json::object ev = event();
    ev["timestamp"] = std::move(timestamp);
    auto batch = parse_ok(body_with(json::array{ev}));
    if (batch.events.size() != 1) {
        return std::nullopt;
    }
    return batch.events[0].event_time;
}

json::object nested_properties(int depth) {
    // depth 1 is {"k": 0}; each further level wraps it in another object.
    json::object o{{"k", 0}};
    for (int i = 1; i < depth; ++i) {
        o = json::object{{"k", std::move(o)}};
    }
    return o;
}

const json::object kFullContext{{"installId", kInstall},
                                {"userId", "u-1"},
                                {"platform", "Android"},
                                {"appVersion", "2.1.0"},
                                {"osVersion", "14"},
                                {"deviceModel", "Pixel 8"},
                                {"region", "cn"},
                                {"sessionId", "s-1"}};

// --- context -----------------------------------------------------------------

TEST(EventBatch, AppliesContextToEveryEvent) {
    auto batch = parse_ok(body_with(json::array{event("a"), event("b")}, kFullContext));
    ASSERT_EQ(batch.events.size(), 2u);
    EXPECT_TRUE(batch.rejected.empty());
    for (const Event& e : batch.events) {
        EXPECT_EQ(e.install_id, kInstall);
        EXPECT_EQ(e.user_id, "u-1");
        EXPECT_EQ(e.platform, Platform::Android);
        EXPECT_EQ(e.app_version, "2.1.0");
        EXPECT_EQ(e.os_version, "14");
        EXPECT_EQ(e.device_model, "Pixel 8");
        EXPECT_EQ(e.region, "CN");
        EXPECT_EQ(e.session_id, "s-1");
        EXPECT_EQ(e.event_time, kNow);  // no timestamp: the time of receipt
        EXPECT_EQ(e.received_at, kNow);
        EXPECT_FALSE(e.event_id);
        EXPECT_TRUE(e.properties_json.empty());
    }
    EXPECT_EQ(batch.events[0].event_name, "a");
    EXPECT_EQ(batch.events[1].event_name, "b");
}

TEST(EventBatch, EventFieldsOverrideContextForThatEventOnly) {
    json::object own = event("own");
    own["installId"] = "i-87654321";
    own["userId"] = "u-2";
    own["platform"] = "IOS";
    own["appVersion"] = "3.0";
    own["osVersion"] = "17.1";
    own["deviceModel"] = "iPhone";
    own["region"] = "us";
    own["sessionId"] = "s-2";
    auto batch = parse_ok(body_with(json::array{own, event("inherits")}, kFullContext));
    ASSERT_EQ(batch.events.size(), 2u);
    const Event& a = batch.events[0];
    EXPECT_EQ(a.install_id, "i-87654321");
    EXPECT_EQ(a.user_id, "u-2");
    EXPECT_EQ(a.platform, Platform::Ios);
    EXPECT_EQ(a.app_version, "3.0");
    EXPECT_EQ(a.os_version, "17.1");
    EXPECT_EQ(a.device_model, "iPhone");
    EXPECT_EQ(a.region, "US");
    EXPECT_EQ(a.session_id, "s-2");
    const Event& b = batch.events[1];
    EXPECT_EQ(b.install_id, kInstall);
    EXPECT_EQ(b.user_id, "u-1");
    EXPECT_EQ(b.platform, Platform::Android);
    EXPECT_EQ(b.region, "CN");
}

TEST(EventBatch, ContextIsOptionalWhenEventsCarryInstallId) {
    json::object ev = event();
    ev["installId"] = kInstall;
    auto batch = parse_ok(json::object{{"events", json::array{ev}}});
    ASSERT_EQ(batch.events.size(), 1u);
    EXPECT_EQ(batch.events[0].install_id, kInstall);
    EXPECT_FALSE(batch.events[0].user_id);
    EXPECT_FALSE(batch.events[0].platform);
    EXPECT_FALSE(batch.events[0].region);
}

TEST(EventBatch, NullFieldsCountAsAbsent) {
    json::object ev = event();
    ev["platform"] = nullptr;
    ev["eventId"] = nullptr;
    ev["timestamp"] = nullptr;
    ev["properties"] = nullptr;
    json::object ctx = kFullContext;
    ctx["sessionId"] = nullptr;
    auto batch = parse_ok(json::object{{"context", ctx}, {"events", json::array{ev}}});
    ASSERT_EQ(batch.events.size(), 1u);
    EXPECT_EQ(batch.events[0].platform, Platform::Android);  // null in the event keeps the context's
    EXPECT_FALSE(batch.events[0].session_id);
    EXPECT_FALSE(batch.events[0].event_id);
    EXPECT_EQ(batch.events[0].event_time, kNow);
    EXPECT_TRUE(batch.events[0].properties_json.empty());
}

TEST(EventBatch, TokenUserOverridesUserIdInContextAndEvent) {
    json::object own = event();
    own["userId"] = "u-event";
    json::object ctx{{"installId", kInstall}, {"userId", "u-context"}};
    auto batch = parse_ok(body_with(json::array{own, event()}, ctx), std::string("u-token"));
    ASSERT_EQ(batch.events.size(), 2u);
    EXPECT_EQ(batch.events[0].user_id, "u-token");
    EXPECT_EQ(batch.events[1].user_id, "u-token");
}

TEST(EventBatch, TokenUserAppliesWhenBodyHasNoUserId) {
    auto batch = parse_ok(body_with(json::array{event()}), std::string("u-token"));
    ASSERT_EQ(batch.events.size(), 1u);
    EXPECT_EQ(batch.events[0].user_id, "u-token");
}

TEST(EventBatch, IgnoresUnknownFields) {
    json::object ev = event();
    ev["somethingNew"] = json::array{1, 2};
    json::object ctx{{"installId", kInstall}, {"carrier", 42}};
    json::object body = body_with(json::array{ev}, ctx);
    body["sdkVersion"] = "9";
    auto batch = parse_ok(body);
    EXPECT_EQ(batch.events.size(), 1u);
    EXPECT_TRUE(batch.rejected.empty());
}

struct BadContext {
    const char* field;
    json::value value;
};

class EventBatchBadContext : public ::testing::TestWithParam<BadContext> {};

TEST_P(EventBatchBadContext, RejectsWholeBatchNamingContextField) {
    json::object ctx = kFullContext;
    ctx[GetParam().field] = GetParam().value;
    auto r = parse(body_with(json::array{event(), event()}, ctx));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    ASSERT_EQ(r.error().fields.size(), 1u);
    EXPECT_EQ(r.error().fields[0].field, std::string("context.") + GetParam().field);
    EXPECT_FALSE(r.error().fields[0].message.empty());
}

INSTANTIATE_TEST_SUITE_P(Fields,
                         EventBatchBadContext,
                         ::testing::Values(BadContext{"installId", "short"},
                                           BadContext{"installId", 12345678},
                                           BadContext{"installId", "i-1234567/"},
                                           BadContext{"installId", json::string(129, 'a')},
                                           BadContext{"userId", ""},
                                           BadContext{"userId", "u\n1"},
                                           BadContext{"userId", json::string(129, 'u')},
                                           BadContext{"userId", 7},
                                           BadContext{"platform", "symbian"},
                                           BadContext{"platform", "unknown"},
                                           BadContext{"platform", true},
                                           BadContext{"region", "CHN"},
                                           BadContext{"region", "C1"},
                                           BadContext{"region", 86},
                                           BadContext{"appVersion", ""},
                                           BadContext{"appVersion", json::string(129, '1')},
                                           BadContext{"osVersion", json::array{}},
                                           BadContext{"deviceModel", "Pixel\t8"},
                                           BadContext{"sessionId", 1}));

TEST(EventBatch, RejectsContextThatIsNotAnObject) {
    json::object body{{"context", json::array{}}, {"events", json::array{event()}}};
    EXPECT_EQ(batch_error_field(body), "context");
    body["context"] = "i-12345678";
    EXPECT_EQ(batch_error_field(body), "context");
}

TEST(EventBatch, RejectsBodyThatIsNotAnObject) {
    auto r = parse(json::array{event()});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
}

// --- the events array ------------------------------------------------------------

TEST(EventBatch, RejectsMissingEvents) {
    EXPECT_EQ(batch_error_field(json::object{{"context", json::object{{"installId", kInstall}}}}), "events");
    EXPECT_EQ(batch_error_field(json::object{{"events", nullptr}}), "events");
}

TEST(EventBatch, RejectsEventsThatIsNotAnArray) {
    EXPECT_EQ(batch_error_field(json::object{{"events", event()}}), "events");
    EXPECT_EQ(batch_error_field(json::object{{"events", "[]"}}), "events");
}

TEST(EventBatch, RejectsEmptyEvents) {
    EXPECT_EQ(batch_error_field(body_with(json::array{})), "events");
}

TEST(EventBatch, AcceptsFiveHundredEventsAndRejectsFiveHundredOne) {
    json::array events;
    for (int i = 0; i < 500; ++i) {
        events.push_back(event());
    }
    auto batch = parse_ok(body_with(events));
    EXPECT_EQ(batch.events.size(), 500u);
    events.push_back(event());
    EXPECT_EQ(batch_error_field(body_with(events)), "events");
}

TEST(EventBatch, BadContextWinsOverBadEventsArray) {
    // The envelope is checked as a whole: a bad context fails the batch even
    // when its events would be fine or absent.
    EXPECT_EQ(batch_error_field(json::object{{"context", json::object{{"region", "x"}}}}), "context.region");
}

// --- one event at a time --------------------------------------------------------

TEST(EventBatch, RejectsEventWithoutInstallIdAfterMerge) {
    json::object with_id = event();
    with_id["installId"] = kInstall;
    auto batch = parse_ok(
        json::object{{"context", json::object{{"platform", "web"}}}, {"events", json::array{with_id, event()}}});
    ASSERT_EQ(batch.events.size(), 1u);
    EXPECT_EQ(batch.events[0].platform, Platform::Web);
    ASSERT_EQ(batch.rejected.size(), 1u);
    EXPECT_EQ(batch.rejected[0].index, 1u);
    EXPECT_EQ(batch.rejected[0].field, "events[1].installId");
}

TEST(EventBatch, RejectsBadContextFieldInsideOneEventOnly) {
    json::object bad = event();
    bad["region"] = "CHN";
    json::object bad_install = event();
    bad_install["installId"] = "short";
    json::object bad_platform = event();
    bad_platform["platform"] = 3;
    auto batch = parse_ok(body_with(json::array{event(), bad, bad_install, bad_platform}));
    ASSERT_EQ(batch.events.size(), 1u);
    ASSERT_EQ(batch.rejected.size(), 3u);
    EXPECT_EQ(batch.rejected[0].field, "events[1].region");
    EXPECT_EQ(batch.rejected[1].field, "events[2].installId");
    EXPECT_EQ(batch.rejected[2].field, "events[3].platform");
}

TEST(EventBatch, RejectsItemThatIsNotAnObject) {
    auto batch = parse_ok(body_with(json::array{5, "page_view", nullptr, json::array{}, event("ok")}));
    ASSERT_EQ(batch.events.size(), 1u);
    EXPECT_EQ(batch.events[0].event_name, "ok");
    ASSERT_EQ(batch.rejected.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(batch.rejected[i].index, i);
        EXPECT_EQ(batch.rejected[i].field, "events[" + std::to_string(i) + "]");
    }
}

TEST(EventBatch, KeepsValidEventsInOrderAndRejectionsSortedByIndex) {
    json::object bad = event("bad name");
    auto batch = parse_ok(body_with(json::array{event("e0"), bad, event("e2"), bad, event("e4")}));
    ASSERT_EQ(batch.events.size(), 3u);
    EXPECT_EQ(batch.events[0].event_name, "e0");
    EXPECT_EQ(batch.events[1].event_name, "e2");
    EXPECT_EQ(batch.events[2].event_name, "e4");
    ASSERT_EQ(batch.rejected.size(), 2u);
    EXPECT_EQ(batch.rejected[0].index, 1u);
    EXPECT_EQ(batch.rejected[1].index, 3u);
}

TEST(EventBatch, AllEventsRejectedIsStillAnAcceptedEnvelope) {
    auto batch = parse_ok(body_with(json::array{event("bad name"), 1}));
    EXPECT_TRUE(batch.events.empty());
    EXPECT_EQ(batch.rejected.size(), 2u);
}

TEST(EventBatch, RequiresEventName) {
    EXPECT_EQ(single_event_field(json::object{{"timestamp", 1795593600000}}), "events[0].eventName");
    EXPECT_EQ(single_event_field(json::object{{"eventName", nullptr}}), "events[0].eventName");
}

TEST(EventBatch, AcceptsEventNameOfAllowedCharactersUpToSixtyFour) {
    EXPECT_EQ(single_event_field(event("App_Session.start:v2-9")), "");
    EXPECT_EQ(single_event_field(event(std::string(64, 'e'))), "");
    EXPECT_EQ(single_event_field(event("a")), "");
}

TEST(EventBatch, RejectsEventNameWithInvalidCharacters) {
    for (const char* name : {"page view", "page/view", "p\u00e4ge", "page\nview", "page#1", ""}) {
        EXPECT_EQ(single_event_field(event(name)), "events[0].eventName") << name;
    }
}

TEST(EventBatch, RejectsEventNameLongerThanSixtyFour) {
    EXPECT_EQ(single_event_field(event(std::string(65, 'e'))), "events[0].eventName");
}

TEST(EventBatch, RejectsEventNameThatIsNotAString) {
    EXPECT_EQ(single_event_field(json::object{{"eventName", 12}}), "events[0].eventName");
}

TEST(EventBatch, KeepsEventIdUpToSixtyFourCharacters) {
    json::object ev = event();
    ev["eventId"] = std::string(64, 'x');
    auto batch = parse_ok(body_with(json::array{ev}));
    ASSERT_EQ(batch.events.size(), 1u);
    EXPECT_EQ(batch.events[0].event_id, std::string(64, 'x'));
}

TEST(EventBatch, RejectsEventIdTooLongEmptyOrNotAString) {
    for (json::value id : {json::value(std::string(65, 'x')), json::value(""), json::value(42)}) {
        json::object ev = event();
        ev["eventId"] = id;
        EXPECT_EQ(single_event_field(ev), "events[0].eventId") << json::serialize(id);
    }
}

// --- timestamps -------------------------------------------------------------------

TEST(EventBatch, ReadsIsoTimestampsWithAnyOffset) {
    EXPECT_EQ(event_time_of("2026-11-25T08:00:00.000Z"), kNow);
    EXPECT_EQ(event_time_of("2026-11-25T08:00:00Z"), kNow);
    EXPECT_EQ(event_time_of("2026-11-25T16:00:00+08:00"), kNow);
    EXPECT_EQ(event_time_of("2026-11-25T03:00:00-05:00"), kNow);
    EXPECT_EQ(event_time_of("2026-11-25T13:30:00+0530"), kNow);
    EXPECT_EQ(event_time_of("2026-11-25T07:59:59.123456Z"), kNow - 877ms);
}

TEST(EventBatch, ReadsEpochMillisecondNumbers) {
    EXPECT_EQ(event_time_of(1795593600000), kNow);                              // int64
    EXPECT_EQ(event_time_of(static_cast<std::uint64_t>(1795593600000)), kNow);  // uint64
    EXPECT_EQ(event_time_of(json::parse("1795593600000.0")), kNow);             // double, whole
    EXPECT_EQ(event_time_of(json::parse("1.7955936e12")), kNow);                // exponent form
    EXPECT_EQ(event_time_of(1795593600000 - 1234), kNow - 1234ms);
}

TEST(EventBatch, RejectsMalformedTimestamps) {
    std::vector<json::value> bad = {
        json::value("2026-11-25T08:00:00"),   // no zone
        json::value("2026-11-25 08:00:00Z"),  // no T
        json::value("2026-02-30T08:00:00Z"),  // impossible date
        json::value("1795593600000"),         // digits in a string are not a number
        json::value("yesterday"),
        json::parse("1795593600000.5"),  // fraction of a millisecond
        json::value(-1),
        json::value(true),
        json::value(json::object{}),
        json::value(json::array{1795593600000}),
        json::parse("1e300"),
    };
    for (const auto& ts : bad) {
        json::object ev = event();
        ev["timestamp"] = ts;
        EXPECT_EQ(single_event_field(ev), "events[0].timestamp") << json::serialize(ts);
    }
}

TEST(EventBatch, AcceptsTimestampExactlyTenMinutesAhead) {
    EXPECT_EQ(event_time_of(to_epoch_ms(kNow + 10min)), kNow + 10min);
}

TEST(EventBatch, RejectsTimestampMoreThanTenMinutesAhead) {
    json::object ev = event();
    ev["timestamp"] = to_epoch_ms(kNow + 10min + 1ms);
    EXPECT_EQ(single_event_field(ev), "events[0].timestamp");
    ev["timestamp"] = format_iso8601(kNow + 11min);
    EXPECT_EQ(single_event_field(ev), "events[0].timestamp");
}

TEST(EventBatch, AcceptsTimestampExactlyThirtyDaysOld) {
    EXPECT_EQ(event_time_of(to_epoch_ms(kNow - std::chrono::days(30))), kNow - std::chrono::days(30));
}

TEST(EventBatch, RejectsTimestampMoreThanThirtyDaysOld) {
    json::object ev = event();
    ev["timestamp"] = to_epoch_ms(kNow - std::chrono::days(30) - 1ms);
    EXPECT_EQ(single_event_field(ev), "events[0].timestamp");
    ev["timestamp"] = "2020-01-01T00:00:00Z";
    EXPECT_EQ(single_event_field(ev), "events[0].timestamp");
}

// --- properties ---------------------------------------------------------------------

TEST(EventBatch, StoresPropertiesObjectAsJson) {
    json::object ev = event();
    ev["properties"] = json::object{{"coldStart", true}, {"page", "/coupons"}};
    auto batch = parse_ok(body_with(json::array{ev}));
    ASSERT_EQ(batch.events.size(), 1u);
    EXPECT_EQ(json::parse(batch.events[0].properties_json), ev["properties"]);
}

TEST(EventBatch, RejectsPropertiesThatIsNotAnObject) {
    for (json::value props : {json::value(json::array{1}), json::value("x"), json::value(3), json::value(false)}) {
        json::object ev = event();
        ev["properties"] = props;
        EXPECT_EQ(single_event_field(ev), "events[0].properties") << json::serialize(props);
    }
}

TEST(EventBatch, AcceptsPropertiesNestedEightLevels) {
    json::object ev = event();
    ev["properties"] = nested_properties(8);
    ASSERT_EQ(json_depth(ev["properties"]), 8);
    EXPECT_EQ(single_event_field(ev), "");
}

TEST(EventBatch, RejectsPropertiesNestedNineLevels) {
    json::object ev = event();
    ev["properties"] = nested_properties(9);
    EXPECT_EQ(single_event_field(ev), "events[0].properties");
}

TEST(EventBatch, CountsArraysAsNestingLevels) {
    // properties (1) > a (2) > [ (3) > [ (4) ... 7 arrays reach level 8.
    json::value inner = json::array{1};
    for (int i = 0; i < 6; ++i) {
        inner = json::array{inner};
    }
    json::object ev = event();
    ev["properties"] = json::object{{"a", inner}};
    EXPECT_EQ(single_event_field(ev), "");
    ev["properties"] = json::object{{"a", json::array{inner}}};
    EXPECT_EQ(single_event_field(ev), "events[0].properties");
}

TEST(EventBatch, AcceptsPropertiesOfEightKibibytes) {
    // {"k":"xxx..."} is 8 bytes of syntax around the value.
    json::object ev = event();
    ev["properties"] = json::object{{"k", std::string(8192 - 8, 'x')}};
    EXPECT_EQ(single_event_field(ev), "");
}

TEST(EventBatch, RejectsPropertiesLargerThanEightKibibytes) {
    json::object ev = event();
    ev["properties"] = json::object{{"k", std::string(8192 - 7, 'x')}};
    EXPECT_EQ(single_event_field(ev), "events[0].properties");
}

TEST(EventBatch, JsonDepthCountsTheOutermostContainerAsOne) {
    EXPECT_EQ(json_depth(json::value(1)), 0);
    EXPECT_EQ(json_depth(json::object{}), 1);
    EXPECT_EQ(json_depth(json::array{}), 1);
    EXPECT_EQ(json_depth(json::object{{"a", json::array{json::object{}}}}), 3);
    EXPECT_EQ(json_depth(nested_properties(50)), 50);
}

// --- normalisation -------------------------------------------------------------------

TEST(EventBatch, NormalisesPlatformAndRegionInContextAndEvents) {
    json::object ev = event();
    ev["platform"] = "DeskTop";
    ev["region"] = "gB";
    auto batch = parse_ok(body_with(json::array{ev, event()},
                                    json::object{{"installId", kInstall}, {"platform", "WEB"}, {"region", "de"}}));
    ASSERT_EQ(batch.events.size(), 2u);
    EXPECT_EQ(batch.events[0].platform, Platform::Desktop);
    EXPECT_EQ(batch.events[0].region, "GB");
    EXPECT_EQ(batch.events[1].platform, Platform::Web);
    EXPECT_EQ(batch.events[1].region, "DE");
}

TEST(EventBatch, RejectsPropertiesHoldingNulCharacter) {
    json::object ev = event();
    ev["properties"] = json::object{{"note", std::string("a\0b", 3)}};
    EXPECT_EQ(single_event_field(ev), "events[0].properties");
    ev["properties"] = json::object{{std::string("k\0", 2), 1}};
    EXPECT_EQ(single_event_field(ev), "events[0].properties") << "in a key too";
    ev["properties"] = json::object{{"deep", json::array{json::object{{"x", std::string(1, '\0')}}}}};
    EXPECT_EQ(single_event_field(ev), "events[0].properties") << "at any depth";
}

TEST(EventBatch, AcceptsABackslashFollowedByU0000AsText) {
    // The six characters \u0000 (an escaped backslash, then "u0000") are no NUL.
    EXPECT_EQ(
        text_event_field(
            R"({"context":{"installId":"i-12345678"},"events":[{"eventName":"e","properties":{"path":"C:\\u0000"}}]})"),
        "");
}

TEST(EventBatch, RejectsPropertiesWithANumberBeyondTheRangeOfADouble) {
    // boost::json reads 1e400 as infinity, which has no JSON spelling to store.
    EXPECT_EQ(text_event_field(
                  R"({"context":{"installId":"i-12345678"},"events":[{"eventName":"e","properties":{"n":1e400}}]})"),
              "events[0].properties");
    EXPECT_EQ(text_event_field(
                  R"({"context":{"installId":"i-12345678"},"events":[{"eventName":"e","properties":{"n":[-1e400]}}]})"),
              "events[0].properties");
    // Tiny numbers read as 0 and are fine.
    EXPECT_EQ(text_event_field(
                  R"({"context":{"installId":"i-12345678"},"events":[{"eventName":"e","properties":{"n":1e-400}}]})"),
              "");
}

TEST(EventBatch, StoresPropertyNumbersWithoutBoostsExponentForm) {
    auto batch = parse_text_ok(
        R"({"context":{"installId":"i-12345678"},"events":[{"eventName":"e","properties":{"price":12.4,"half":0.5,"n":3,"big":1e21,"tiny":1e-7}}]})");
    ASSERT_EQ(batch.events.size(), 1u);
    EXPECT_EQ(batch.events[0].properties_json, R"({"price":12.4,"half":0.5,"n":3,"big":1e+21,"tiny":1e-07})");
}

// --- lengths in characters --------------------------------------------------------------

TEST(EventBatch, CountsEventIdInCharactersNotBytes) {
    std::string id;
    for (int i = 0; i < 64; ++i) {
        id += "\xc3\xa9";  // é, two bytes
    }
    json::object ev = event();
    ev["eventId"] = id;
    EXPECT_EQ(single_event_field(ev), "") << "64 characters (128 bytes) are allowed";
    ev["eventId"] = id + "x";
    EXPECT_EQ(single_event_field(ev), "events[0].eventId");
    ev["eventId"] = std::string(16, 'x') + "\xf0\x9f\x98\x80";  // a 4-byte character counts once
    EXPECT_EQ(single_event_field(ev), "");
}

TEST(EventBatch, CountsUserIdAndShortTextsInCharactersNotBytes) {
    std::string chars128;
    for (int i = 0; i < 128; ++i) {
        chars128 += "\xe6\xbc\xa2";  // 漢, three bytes
    }
    for (const char* key : {"userId", "appVersion", "osVersion", "deviceModel", "sessionId"}) {
        json::object ev = event();
        ev[key] = chars128;
        EXPECT_EQ(single_event_field(ev), "") << key << ": 128 characters (384 bytes) are allowed";
        ev[key] = chars128 + "x";
        EXPECT_EQ(single_event_field(ev), std::string("events[0].") + key) << key;
        EXPECT_EQ(batch_error_field(
                      body_with(json::array{event()}, json::object{{"installId", kInstall}, {key, chars128 + "x"}})),
                  std::string("context.") + key);
    }
}

TEST(EventBatch, RefusesATokenSubThatIsNoValidUserId) {
    auto body = body_with(json::array{event()});
    EXPECT_TRUE(parse(body, std::string("u-1")).ok());
    for (std::string sub : {std::string("a\0b", 3), std::string(129, 'u'), std::string("tab\there")}) {
        auto r = parse(body, sub);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
        ASSERT_EQ(r.error().fields.size(), 1u);
        EXPECT_EQ(r.error().fields[0].field, "userId");
    }
}

// --- properties measured as received (API.md 1.1) ------------------------------------------

// An events body whose one event has `props` (written as is) as its properties.
std::string body_with_raw_properties(std::string_view props) {
    return R"({"context":{"installId":"i-12345678"},"events":[{"eventName":"e","properties":)" + std::string(props) +
           "}]}";
}

TEST(EventBatch, MeasuresPropertiesWithTheirWhitespace) {
    // Compact it is 8000 bytes; as received, with the indentation, 8200.
    const std::string value(8000 - 8, 'x');
    const std::string compact = R"({"k":")" + value + R"("})";
    ASSERT_EQ(compact.size(), 8000u);
    EXPECT_EQ(text_event_field(body_with_raw_properties(compact)), "");
    const std::string spaced = "{" + std::string(200, ' ') + R"("k":")" + value + R"("})";
    EXPECT_EQ(text_event_field(body_with_raw_properties(spaced)), "events[0].properties");
}

TEST(EventBatch, MeasuresPropertiesWithTheirEscapes) {
    // 1400 escaped é (\u00e9, 6 bytes each) are 8400 bytes received, 2800 stored.
    std::string escaped;
    for (int i = 0; i < 1400; ++i) {
        escaped += "\\u00e9";
    }
    EXPECT_EQ(text_event_field(body_with_raw_properties(R"({"k":")" + escaped + R"("})")), "events[0].properties");
    // The same text unescaped is 2808 bytes.
    std::string plain;
    for (int i = 0; i < 1400; ++i) {
        plain += "\xc3\xa9";
    }
    EXPECT_EQ(text_event_field(body_with_raw_properties(R"({"k":")" + plain + R"("})")), "");
}

TEST(EventBatch, MeasuresNumbersAsWrittenNotAsReserialized) {
    // 2040 times "0.5," is 8160 bytes as received (boost would write 5E-1).
    std::string items;
    for (int i = 0; i < 2040; ++i) {
        items += i == 0 ? "0.5" : ",0.5";
    }
    const std::string props = R"({"a":[)" + items + "]}";
    ASSERT_LE(props.size(), 8192u);
    ASSERT_GT(body_with_raw_properties(props).size(), 8192u) << "the body is larger than the limit";
    EXPECT_EQ(text_event_field(body_with_raw_properties(props)), "");
}

TEST(EventBatch, MeasuresTheLastOfTwoPropertiesKeysAsTheParserKeepsIt) {
    const std::string big = R"({"k":")" + std::string(9000, 'x') + R"("})";
    // The parser keeps the last one: small, accepted.
    EXPECT_EQ(text_event_field(R"({"context":{"installId":"i-12345678"},"events":[{"eventName":"e","properties":)" +
                               big + R"(,"properties":{"k":1}}]})"),
              "");
    // An escaped key is the same key.
    EXPECT_EQ(
        text_event_field(R"({"context":{"installId":"i-12345678"},"events":[{"eventName":"e","\u0070roperties":)" +
                         big + "}]}"),
        "events[0].properties");
}

TEST(EventBatch, MinJsonTextSizeIsALowerBoundOfAnyTextOfTheValue) {
    // Texts of one value, with whitespace, escapes and other number spellings.
    const std::vector<std::pair<std::string, std::string>> same = {
        {R"({"a":1,"b":[true,false,null],"c":"x"})", R"({ "a" : 1 , "b" : [ true , false , null ] , "c" : "\u0078" })"},
        {R"({"n":-12,"u":18446744073709551615})", R"({"n":-12,"u":18446744073709551615})"},
        {R"({"d":0.5,"e":1e5})", R"({"d":5E-1,"e":100000.000})"},
        {R"({"k":"\u00e9\ud83d\ude00\n"})", "{\"k\":\"\xc3\xa9\xf0\x9f\x98\x80\\n\"}"},
        {R"({"dup":1})", R"({"dup":"a long value that the parser drops","dup":1})"},
        {R"([])", R"([ ])"},
        {R"({"z":-0})", R"({"z":-0})"},
    };
    for (const auto& [a, b] : same) {
        const json::value va = json::parse(a);
        const json::value vb = json::parse(b);
        EXPECT_LE(min_json_text_size(va), a.size()) << a;
        EXPECT_LE(min_json_text_size(vb), b.size()) << b;
        EXPECT_EQ(min_json_text_size(va), min_json_text_size(vb)) << a << " vs " << b;
    }
    // Compact, escape-free and without doubles, the bound is the text itself.
    for (const char* exact : {R"({"a":1,"b":[true,false,null],"c":"x"})",
                              R"({"n":-12,"s":"\u00e9 is two bytes"})",
                              "[]",
                              "{}",
                              R"({"k":{"k":{"k":[1,22,333]}}})"}) {
        const json::value v = json::parse(exact);
        if (std::string_view(exact).find('\\') == std::string_view::npos) {
            EXPECT_EQ(min_json_text_size(v), std::string_view(exact).size()) << exact;
        }
    }
}

TEST(EventBatch, ACompactLargeBatchIsMeasuredLikeASpacedOne) {
    // The same events, once compact and once spaced out: the spaced one is
    // scanned (its slack is large), the compact one settled by the bound.
    std::string compact_events;
    std::string spaced_events;
    for (int i = 0; i < 20; ++i) {
        const std::string props = R"({"k":")" + std::string(i == 7 ? 8180 : 500, 'v') + R"("})";
        compact_events += (i ? "," : "") + std::string(R"({"eventName":"e","properties":)") + props + "}";
        spaced_events += (i ? " ,\n " : "\n ") + std::string(R"({ "eventName" : "e" , "properties" : )") + props + " }";
    }
    auto compact = parse_text_ok(R"({"context":{"installId":"i-12345678"},"events":[)" + compact_events + "]}");
    EXPECT_EQ(compact.events.size(), 20u);
    EXPECT_TRUE(compact.rejected.empty());
    auto spaced = parse_text_ok(R"({"context":{"installId":"i-12345678"},"events":[)" + spaced_events + "]}");
    EXPECT_EQ(spaced.events.size(), 20u) << "only whitespace around the values, not inside them";
    // Event 7 spaced inside its properties: over the limit as received.
    std::string inner_spaced = compact_events;
    const std::string needle = std::string(8180, 'v') + R"("})";
    inner_spaced.replace(inner_spaced.find(needle), needle.size(), std::string(8180, 'v') + R"("       })");
    auto over = parse_text_ok(R"({"context":{"installId":"i-12345678"},"events":[)" + inner_spaced + "]}");
    ASSERT_EQ(over.rejected.size(), 1u);
    EXPECT_EQ(over.rejected[0].field, "events[7].properties");
}

TEST(EventBatch, MeasuresEachEventOfALargeBatchOnItsOwnSpan) {
    // Events 0 and 2 are near the limit with whitespace, 1 is over it only with it.
    const std::string near(8100, 'a');
    std::string body = R"({"context":{"installId":"i-12345678"},"events":[)";
    body += R"({"eventName":"e","properties":{"k":")" + near + R"("}},)";
    body += R"({"eventName":"e","properties":{"k":")" + near + R"(")" + std::string(100, ' ') + "}},";
    body += R"(  7, {"eventName":"e","properties":  {"k":")" + near + R"("}  }  ]})";
    auto batch = parse_text_ok(body);
    ASSERT_EQ(batch.rejected.size(), 2u);
    EXPECT_EQ(batch.rejected[0].field, "events[1].properties");
    EXPECT_EQ(batch.rejected[1].field, "events[2]") << "not an object";
    EXPECT_EQ(batch.events.size(), 2u);
}

}  // namespace
}  // namespace beacon::telemetry

namespace beacon::telemetry {
namespace {

// --- versionCode (API.md 1.1 "Versions in telemetry") ---------------------------

TEST(EventBatchVersionCode, ContextGivesTheDefaultAndAnEventMayOverrideIt) {
    json::object context{{"installId", kInstall}, {"versionCode", 210}};
    json::object own = event();
    own["versionCode"] = 0;
    json::object none = event();
    none["versionCode"] = nullptr;  // null is absent: the context's value
    auto batch = parse_ok(body_with(json::array{event(), own, none}, context));
    ASSERT_EQ(batch.events.size(), 3u);
    EXPECT_EQ(batch.events[0].version_code, 210);
    EXPECT_EQ(batch.events[1].version_code, 0);
    EXPECT_EQ(batch.events[2].version_code, 210);
    auto bare = parse_ok(body_with(json::array{event()}));
    EXPECT_EQ(bare.events[0].version_code, std::nullopt);
}

TEST(EventBatchVersionCode, ABadCodeInContextIsA400AndInAnEventRejectsThatEvent) {
    for (const char* bad : {"\"210\"", "-1", "2147483648", "1.5", "210.0", "true", "[1]", "1e3"}) {
        json::object context{{"installId", kInstall}, {"versionCode", json::parse(bad)}};
        EXPECT_EQ(batch_error_field(body_with(json::array{event()}, context)), "context.versionCode") << bad;
        json::object ev = event();
        ev["versionCode"] = json::parse(bad);
        EXPECT_EQ(single_event_field(ev), "events[0].versionCode") << bad;
    }
    json::object ev = event();
    ev["versionCode"] = 2147483647;
    EXPECT_EQ(single_event_field(ev), "");
}

}  // namespace
}  // namespace beacon::telemetry
