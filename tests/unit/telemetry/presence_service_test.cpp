#include "telemetry/presence_service.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "backends/memory/memory_presence.hpp"
#include "core/time_format.hpp"

namespace beacon::telemetry {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using backends::memory::MemoryPresence;

const TimePoint kT0 = from_epoch_ms(1'795'593'600'000);  // 2026-11-25T08:00:00Z

std::string heartbeat_error_field(const json::value& body) {
    auto r = parse_heartbeat(body, std::nullopt);
    if (r.ok()) {
        return "<accepted>";
    }
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(r.error().fields.size(), 1u);
    return r.error().fields.empty() ? "" : r.error().fields[0].field;
}

json::object with(std::string_view key, json::value v) {
    json::object o{{"installId", "i-12345678"}};
    o[key] = std::move(v);
    return o;
}

// --- parse_heartbeat ------------------------------------------------------------------

TEST(Heartbeat, ParsesFullBodyAndNormalises) {
    json::value body = json::parse(
        R"({"installId":"i-12345678","userId":"u-1","platform":"Android","appVersion":"2.1.0","region":"cn"})");
    auto hb = parse_heartbeat(body, std::nullopt);
    ASSERT_TRUE(hb.ok()) << hb.error().message;
    EXPECT_EQ(hb->install_id, "i-12345678");
    EXPECT_EQ(hb->user_id, "u-1");
    EXPECT_EQ(hb->platform, Platform::Android);
    EXPECT_EQ(hb->app_version, "2.1.0");
    EXPECT_EQ(hb->region, "CN");
}

TEST(Heartbeat, NeedsOnlyInstallId) {
    auto hb = parse_heartbeat(json::object{{"installId", "i-12345678"}, {"extra", 1}}, std::nullopt);
    ASSERT_TRUE(hb.ok());
    EXPECT_FALSE(hb->user_id);
    EXPECT_FALSE(hb->platform);
    EXPECT_FALSE(hb->app_version);
    EXPECT_FALSE(hb->region);
}

TEST(Heartbeat, TokenUserOverridesBodyUserId) {
    auto hb = parse_heartbeat(with("userId", "u-body"), std::string("u-token"));
    ASSERT_TRUE(hb.ok());
    EXPECT_EQ(hb->user_id, "u-token");
    auto no_body_user = parse_heartbeat(json::object{{"installId", "i-12345678"}}, std::string("u-token"));
    ASSERT_TRUE(no_body_user.ok());
    EXPECT_EQ(no_body_user->user_id, "u-token");
}

TEST(Heartbeat, NullFieldsCountAsAbsent) {
    json::object body = with("userId", nullptr);
    body["platform"] = nullptr;
    body["region"] = nullptr;
    body["appVersion"] = nullptr;
    auto hb = parse_heartbeat(body, std::nullopt);
    ASSERT_TRUE(hb.ok());
    EXPECT_FALSE(hb->user_id);
    EXPECT_FALSE(hb->platform);
}

TEST(Heartbeat, RejectsBodyThatIsNotAnObject) {
    EXPECT_FALSE(parse_heartbeat(json::array{}, std::nullopt).ok());
    EXPECT_FALSE(parse_heartbeat(json::value("i-12345678"), std::nullopt).ok());
}

TEST(Heartbeat, RejectsMissingOrBadInstallId) {
    EXPECT_EQ(heartbeat_error_field(json::object{}), "installId");
    EXPECT_EQ(heartbeat_error_field(json::object{{"installId", nullptr}}), "installId");
    EXPECT_EQ(heartbeat_error_field(json::object{{"installId", 12345678}}), "installId");
    EXPECT_EQ(heartbeat_error_field(json::object{{"installId", "short"}}), "installId");
    EXPECT_EQ(heartbeat_error_field(json::object{{"installId", "i 12345678"}}), "installId");
}

TEST(Heartbeat, RejectsBadOptionalFieldsNamingThem) {
    EXPECT_EQ(heartbeat_error_field(with("userId", "")), "userId");
    EXPECT_EQ(heartbeat_error_field(with("userId", "u\r")), "userId");
    EXPECT_EQ(heartbeat_error_field(with("userId", 1)), "userId");
    EXPECT_EQ(heartbeat_error_field(with("platform", "blackberry")), "platform");
    EXPECT_EQ(heartbeat_error_field(with("platform", 1)), "platform");
    EXPECT_EQ(heartbeat_error_field(with("appVersion", "")), "appVersion");
    EXPECT_EQ(heartbeat_error_field(with("appVersion", json::string(129, '1'))), "appVersion");
    EXPECT_EQ(heartbeat_error_field(with("appVersion", 2.1)), "appVersion");
    EXPECT_EQ(heartbeat_error_field(with("appVersion", "2.1\n")), "appVersion") << "no control characters";
    EXPECT_EQ(heartbeat_error_field(with("appVersion", "2.1\u0085")), "appVersion") << "no C1 controls either";
    EXPECT_EQ(heartbeat_error_field(with("region", "CHN")), "region");
    EXPECT_EQ(heartbeat_error_field(with("region", "c1")), "region");
    EXPECT_EQ(heartbeat_error_field(with("region", json::object{})), "region");
}

TEST(Heartbeat, TheFlatFastPathAppliesTheSameRulesAsTheDocument) {
    // Bodies the fast path takes (core/flat_json.hpp): each must give what
    // the Boost.JSON document gives, accepted or refused, with or without a
    // token's user.
    const std::vector<std::string> bodies = {
        R"({"installId":"i-12345678","userId":"u-1","platform":"Android","appVersion":"2.1.0","region":"cn"})",
        R"({"installId":"i-12345678","versionCode":310,"extra":true})",
        R"({"installId":"i-12345678","userId":null,"platform":null,"appVersion":null,"region":null,"versionCode":null})",
        R"({})",
        R"({"installId":null})",
        R"({"installId":12345678})",
        R"({"installId":"short"})",
        R"({"installId":"i 12345678"})",
        R"({"installId":"i-12345678","userId":""})",
        R"({"installId":"i-12345678","userId":1})",
        R"({"installId":"i-12345678","platform":"blackberry"})",
        R"({"installId":"i-12345678","platform":false})",
        R"({"installId":"i-12345678","appVersion":""})",
        R"({"installId":"i-12345678","region":"CHN"})",
        R"({"installId":"i-12345678","region":"c1"})",
        R"({"installId":"i-12345678","versionCode":-1})",
        R"({"installId":"i-12345678","versionCode":2147483648})",
        R"({"installId":"i-12345678","versionCode":2147483647})",
        R"({"installId":"i-12345678","versionCode":"310"})",
        R"({"installId":"i-12345678","versionCode":true})",
    };
    for (const std::optional<std::string>& token :
         {std::optional<std::string>(), std::optional<std::string>("u-tok")}) {
        for (const auto& text : bodies) {
            SCOPED_TRACE(text);
            auto flat = FlatObject::parse(text);
            ASSERT_TRUE(flat.has_value());
            auto fast = parse_heartbeat(*flat, token);
            auto full = parse_heartbeat(json::parse(text), token);
            ASSERT_EQ(fast.ok(), full.ok());
            if (full.ok()) {
                EXPECT_EQ(fast->install_id, full->install_id);
                EXPECT_EQ(fast->user_id, full->user_id);
                EXPECT_EQ(fast->platform, full->platform);
                EXPECT_EQ(fast->app_version, full->app_version);
                EXPECT_EQ(fast->region, full->region);
                EXPECT_EQ(fast->version_code, full->version_code);
            } else {
                EXPECT_EQ(fast.error().code, full.error().code);
                ASSERT_EQ(fast.error().fields.size(), 1u);
                EXPECT_EQ(fast.error().fields[0].field, full.error().fields[0].field);
                EXPECT_EQ(fast.error().fields[0].message, full.error().fields[0].message);
            }
        }
    }
}

// --- PresenceService -------------------------------------------------------------------

class PresenceServiceTest : public ::testing::Test {
protected:
    PresenceServiceTest() : store_(MemoryPresence::open(std::nullopt).value()) {}

    PresenceService make(TelemetrySettings settings = {}) { return PresenceService(*store_, clock_, settings); }

    static Heartbeat hb(std::string install, std::optional<std::string> user = std::nullopt) {
        Heartbeat h;
        h.install_id = std::move(install);
        h.user_id = std::move(user);
        return h;
    }

    std::int64_t online(PresenceService& s) {
        auto r = s.online();
        EXPECT_TRUE(r.ok());
        return r.ok() ? r->online : -1;
    }

    ManualClock clock_{kT0};
    std::unique_ptr<MemoryPresence> store_;
};

TEST_F(PresenceServiceTest, HeartbeatReturnsServerTime) {
    auto svc = make();
    auto t = svc.heartbeat(hb("i-12345678"));
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(*t, kT0);
}

TEST_F(PresenceServiceTest, ActorIsOnlineInsideWindowAndNotAfter) {
    auto svc = make();
    ASSERT_TRUE(svc.heartbeat(hb("i-12345678")).ok());
    EXPECT_EQ(online(svc), 1);
    clock_.set(kT0 + 180s - 1ms);
    EXPECT_EQ(online(svc), 1);
    // A service without a cached count sees the expiry to the millisecond.
    auto fresh = make();
    clock_.set(kT0 + 180s);
    EXPECT_EQ(online(fresh), 0);
    // The cached count of svc lives less than a second.
    clock_.set(kT0 + 181s - 1ms);
    EXPECT_EQ(online(svc), 0);
}

TEST_F(PresenceServiceTest, LaterHeartbeatExtendsTheWindow) {
    auto svc = make();
    ASSERT_TRUE(svc.heartbeat(hb("i-12345678")).ok());
    clock_.set(kT0 + 100s);
    ASSERT_TRUE(svc.heartbeat(hb("i-12345678")).ok());
    clock_.set(kT0 + 250s);
    EXPECT_EQ(online(svc), 1);
    clock_.set(kT0 + 280s);
    EXPECT_EQ(online(svc), 0);
}

TEST_F(PresenceServiceTest, UsesConfiguredWindow) {
    TelemetrySettings settings;
    settings.online_window_s = 30;
    auto svc = make(settings);
    ASSERT_TRUE(svc.heartbeat(hb("i-12345678")).ok());
    clock_.set(kT0 + 29s);
    auto r = svc.online();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->online, 1);
    EXPECT_EQ(r->window_seconds, 30);
    clock_.set(kT0 + 30s);
    EXPECT_EQ(online(svc), 0);
}

TEST_F(PresenceServiceTest, CountsDistinctActors) {
    auto svc = make();
    ASSERT_TRUE(svc.heartbeat(hb("i-11111111")).ok());
    ASSERT_TRUE(svc.heartbeat(hb("i-11111111")).ok());
    ASSERT_TRUE(svc.heartbeat(hb("i-22222222", "u-1")).ok());
    ASSERT_TRUE(svc.heartbeat(hb("i-33333333", "u-1")).ok());  // same user, second device
    ASSERT_TRUE(svc.heartbeat(hb("i-44444444")).ok());
    EXPECT_EQ(online(svc), 3);
}

TEST_F(PresenceServiceTest, OnlineIsCachedForLessThanOneSecond) {
    auto svc = make();
    ASSERT_TRUE(svc.heartbeat(hb("i-11111111")).ok());
    auto first = svc.online();
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->online, 1);
    EXPECT_EQ(first->at, kT0);

    ASSERT_TRUE(svc.heartbeat(hb("i-22222222")).ok());
    clock_.set(kT0 + 999ms);
    auto cached = svc.online();
    ASSERT_TRUE(cached.ok());
    EXPECT_EQ(cached->online, 1);
    EXPECT_EQ(cached->at, kT0);  // `at` says when the cached value was computed

    clock_.set(kT0 + 1s);
    auto fresh = svc.online();
    ASSERT_TRUE(fresh.ok());
    EXPECT_EQ(fresh->online, 2);
    EXPECT_EQ(fresh->at, kT0 + 1s);
}

TEST_F(PresenceServiceTest, ClockGoingBackDoesNotServeCacheFromTheFuture) {
    auto svc = make();
    clock_.set(kT0 + 10s);
    ASSERT_TRUE(svc.heartbeat(hb("i-11111111")).ok());
    EXPECT_EQ(online(svc), 1);
    clock_.set(kT0);
    ASSERT_TRUE(svc.heartbeat(hb("i-22222222")).ok());
    auto r = svc.online();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->at, kT0);
    EXPECT_EQ(r->online, 2);
}

TEST_F(PresenceServiceTest, RealtimeUsesTodayInReportingZone) {
    auto shanghai = TimeZone::load("Asia/Shanghai");
    ASSERT_TRUE(shanghai.ok());
    TelemetrySettings settings;
    settings.tz = *shanghai;
    // 16:30Z on the 24th is 00:30 on the 25th in Shanghai.
    clock_.set(*parse_iso8601("2026-11-24T16:30:00Z"));
    Day local_today = *parse_day("2026-11-25");
    Day utc_today = *parse_day("2026-11-24");
    std::vector<DauMark> marks = {{local_today, Platform::Android, "i:aaaaaaaa"},
                                  {local_today, Platform::Ios, "i:bbbbbbbb"},
                                  {local_today, Platform::Ios, "u:1"},
                                  {utc_today, Platform::Web, "i:cccccccc"}};
    ASSERT_TRUE(store_->add_to_dau(marks).ok());
    auto svc = make(settings);
    ASSERT_TRUE(svc.heartbeat(hb("i-12345678")).ok());

    auto rt = svc.realtime();
    ASSERT_TRUE(rt.ok());
    EXPECT_EQ(format_day(rt->day), "2026-11-25");
    EXPECT_EQ(rt->online.online, 1);
    EXPECT_EQ(rt->online.window_seconds, 180);
    EXPECT_EQ(rt->dau.total, 3);
    EXPECT_EQ(rt->dau.by_platform["android"], 1);
    EXPECT_EQ(rt->dau.by_platform["ios"], 2);
    EXPECT_FALSE(rt->dau.by_platform.contains("web"));
}

TEST_F(PresenceServiceTest, RealtimeInUtcUsesTheUtcDay) {
    clock_.set(*parse_iso8601("2026-11-24T16:30:00Z"));
    ASSERT_TRUE(store_->add_to_dau(std::vector<DauMark>{{*parse_day("2026-11-24"), Platform::Web, "i:cccccccc"}}).ok());
    auto svc = make();
    auto rt = svc.realtime();
    ASSERT_TRUE(rt.ok());
    EXPECT_EQ(format_day(rt->day), "2026-11-24");
    EXPECT_EQ(rt->dau.total, 1);
}

}  // namespace
}  // namespace beacon::telemetry

namespace beacon::telemetry {
namespace {

TEST(Heartbeat, VersionCodeIsAnOptionalIntegerUpTo2147483647) {
    auto hb = parse_heartbeat(with("versionCode", 210), std::nullopt);
    ASSERT_TRUE(hb.ok());
    EXPECT_EQ(hb->version_code, 210);
    EXPECT_EQ(parse_heartbeat(with("versionCode", 2147483647), std::nullopt)->version_code, 2147483647);
    EXPECT_EQ(parse_heartbeat(with("versionCode", nullptr), std::nullopt)->version_code, std::nullopt);
    for (const char* bad : {"\"210\"", "-1", "2147483648", "1.5", "210.0", "false", "{}"}) {
        EXPECT_EQ(heartbeat_error_field(with("versionCode", json::parse(bad))), "versionCode") << bad;
    }
}

TEST(PresenceServiceVersions, CountsThePlatformOnlineAndTodayPerVersion) {
    ManualClock clock(kT0);
    MemoryPresence store;
    TelemetrySettings settings;
    PresenceService service(store, clock, settings);
    auto beat = [&](std::string install, std::optional<std::string> platform, std::optional<std::int64_t> code) {
        json::object body{{"installId", install}};
        if (platform) {
            body["platform"] = *platform;
        }
        if (code) {
            body["versionCode"] = *code;
        }
        auto hb = parse_heartbeat(body, std::nullopt);
        ASSERT_TRUE(hb.ok());
        ASSERT_TRUE(service.heartbeat(*hb).ok());
    };
    beat("i-aaaaaaaa", "android", 200);
    beat("i-bbbbbbbb", "android", 210);
    beat("i-aaaaaaaa", "android", 210);  // upgraded: moves
    beat("i-cccccccc", "android", std::nullopt);
    beat("i-dddddddd", "ios", 5000);
    beat("i-eeeeeeee", std::nullopt, 210);
    ASSERT_TRUE(store
                    .add_to_dau(std::vector<DauMark>{{settings.tz.day_of(kT0), Platform::Android, "i:i-aaaaaaaa", 200},
                                                     {settings.tz.day_of(kT0), Platform::Android, "i:i-aaaaaaaa", 210}})
                    .ok());
    auto v = service.versions(Platform::Android);
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_EQ(v->online, 3);
    EXPECT_EQ(v->dau_approx, 1) << "the platform's total counts the actor once";
    ASSERT_EQ(v->online_by_version.size(), 2u);
    EXPECT_EQ(v->online_by_version[0].version_code, 210);
    EXPECT_EQ(v->online_by_version[0].count, 2);
    EXPECT_EQ(v->online_by_version[1].version_code, std::nullopt);
    ASSERT_EQ(v->dau_by_version.size(), 2u) << "an actor that upgraded today counts under each version";
    EXPECT_EQ(v->day, settings.tz.day_of(kT0));
}

}  // namespace
}  // namespace beacon::telemetry
