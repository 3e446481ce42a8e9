// Versions in telemetry over HTTP, in both modes (API.md 1.1 "Versions in
// telemetry"): versionCode on heartbeats and events, who runs which build
// now and today, who is left behind, a version's adoption, daily online
// peaks, and every 400 of their parameters. Each test has its own server:
// the figures are per platform, so a shared server's other tests would
// show in them.
#include <cmath>
#include <string>

#include "integration/e2e.hpp"

namespace beacon::e2e {
namespace {

using namespace std::chrono_literals;

class VersionsTelemetryTest : public E2eTest {
protected:
    static json::object session_start(const std::string& install,
                                      std::optional<std::int64_t> code,
                                      std::int64_t at_ms,
                                      const std::string& platform = "android") {
        json::object e{{"installId", install},
                       {"platform", platform},
                       {"eventName", "app_session_start"},
                       {"timestamp", iso(at_ms)}};
        if (code) {
            e["versionCode"] = *code;
        }
        return e;
    }

    static void send(HttpClient& c, const json::array& events) {
        auto r = post_events(c, {}, events);
        ASSERT_EQ(r.status, 200) << r.describe();
        ASSERT_EQ(r.json().at("accepted").as_int64(), static_cast<std::int64_t>(events.size())) << r.describe();
    }

    static void beat(HttpClient& c, const std::string& install, const std::string& platform, std::optional<int> code) {
        json::object body{{"installId", install}, {"platform", platform}};
        if (code) {
            body["versionCode"] = *code;
        }
        auto r = heartbeat(c, body);
        ASSERT_EQ(r.status, 200) << r.describe();
    }
};

// (versionCode or -1, versionName or "", online, dauApprox) per row.
using Row = std::tuple<std::int64_t, std::string, std::int64_t, std::int64_t>;
std::vector<Row> rows_of(const json::object& report) {
    std::vector<Row> out;
    for (const auto& v : report.at("versions").as_array()) {
        const auto& o = v.as_object();
        out.emplace_back(o.at("versionCode").is_null() ? -1 : o.at("versionCode").as_int64(),
                         o.at("versionName").is_null() ? "" : std::string(o.at("versionName").as_string()),
                         o.at("online").as_int64(),
                         o.at("dauApprox").as_int64());
    }
    return out;
}

TEST_F(VersionsTelemetryTest, OnlineAndTodayPerBuildWithCatalogNames) {
    avoid_day_boundary();
    auto& server = dedicated();
    auto c = server.client();
    const std::string a = uid(), b = uid(), n = uid(), i = uid();
    beat(c, a, "android", 200);
    beat(c, b, "android", 210);
    beat(c, n, "Android", std::nullopt);
    beat(c, a, "android", 210);  // upgraded: moves at once, counted once
    beat(c, i, "ios", 5000);
    const std::int64_t now = now_ms();
    send(c,
         {session_start(a, 200, now - 2 * kMinuteMs),
          session_start(a, 210, now - kMinuteMs),
          session_start(b, 210, now - kMinuteMs)});
    ASSERT_EQ(
        c.post_json(
             "/admin/versions",
             json::object{
                 {"platform", "android"}, {"versionCode", 210}, {"versionName", "2.1.0-beta"}, {"channel", "beta"}},
             admin())
            .status,
        201);
    ASSERT_EQ(c.post_json("/admin/versions",
                          json::object{{"platform", "android"}, {"versionCode", 210}, {"versionName", "2.1.0"}},
                          admin())
                  .status,
              201);

    auto report = ok_object(c.get("/admin/telemetry/versions?platform=ANDROID", admin()));
    EXPECT_EQ(report.at("platform"), "android");
    EXPECT_EQ(report.at("day"), json::value(day_of(now)));
    EXPECT_EQ(report.at("online").as_int64(), 3) << "the platform's actors online now";
    EXPECT_EQ(report.at("dauApprox").as_int64(), 2) << "the platform's estimate of today counts a once";
    EXPECT_EQ(rows_of(report), (std::vector<Row>{{210, "2.1.0", 2, 2}, {200, "", 0, 1}, {-1, "", 1, 0}}))
        << "highest first, the stable channel's name, no code last; a counts under both builds today";
    auto ios = ok_object(c.get("/admin/telemetry/versions?platform=ios", admin()));
    EXPECT_EQ(rows_of(ios), (std::vector<Row>{{5000, "", 1, 0}}));
    auto web = ok_object(c.get("/admin/telemetry/versions?platform=web", admin()));
    EXPECT_EQ(web.at("online").as_int64(), 0);
    EXPECT_TRUE(web.at("versions").as_array().empty());

    // The events listing returns the code.
    auto listed = list_all_events(c, "installId=" + a);
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0].at("versionCode").as_int64(), 210);

    EXPECT_TRUE(IsProblem(c.get("/admin/telemetry/versions", admin()), 400, "validation", "platform"));
    EXPECT_TRUE(IsProblem(c.get("/admin/telemetry/versions?platform=windows", admin()), 400, "validation", "platform"));
    EXPECT_TRUE(IsProblem(c.get("/admin/telemetry/versions?platform=android"), 401, "unauthorized"));
}

TEST_F(VersionsTelemetryTest, VersionCodeIsValidatedOnHeartbeatsAndEvents) {
    auto& server = dedicated();
    auto c = server.client();
    for (const char* bad : {"\"210\"", "-1", "2147483648", "2.5", "true"}) {
        auto hb = c.post_json("/telemetry/heartbeat",
                              std::string(R"({"installId":")") + uid() + R"(","versionCode":)" + bad + "}");
        EXPECT_TRUE(IsProblem(hb, 400, "validation", "versionCode")) << bad;
        auto ctx = c.post_json("/telemetry/events",
                               std::string(R"({"context":{"installId":")") + uid() + R"(","versionCode":)" + bad +
                                   R"(},"events":[{"eventName":"x"}]})");
        EXPECT_TRUE(IsProblem(ctx, 400, "validation", "context.versionCode")) << bad;
        auto one = c.post_json("/telemetry/events",
                               std::string(R"({"context":{"installId":")") + uid() +
                                   R"("},"events":[{"eventName":"x"},{"eventName":"y","versionCode":)" + bad + "}]}");
        ASSERT_EQ(one.status, 200) << one.describe();
        EXPECT_EQ(one.json().at("accepted").as_int64(), 1);
        EXPECT_EQ(one.json().at("rejected").at(0).at("field"), "events[1].versionCode") << bad;
    }
    EXPECT_EQ(
        c.post_json("/telemetry/heartbeat", std::string(R"({"installId":")") + uid() + R"(","versionCode":2147483647})")
            .status,
        200);
}

TEST_F(VersionsTelemetryTest, BelowCountsEachActorAtItsLatestSessionStartInTheLocalWindow) {
    constexpr int kShanghai = 8 * 60;
    avoid_day_boundary(kShanghai);
    auto& server = dedicated({}, {{"BEACON_TIMEZONE", "Asia/Shanghai"}});
    auto c = server.client();
    const std::int64_t now = now_ms();
    // 00:00 of today in Shanghai, in UTC ms; a 2-day window starts a day before.
    const std::int64_t local_midnight = utc_midnight(now + 8 * kHourMs) - 8 * kHourMs;
    const std::int64_t window_start = local_midnight - kDayMs;
    const std::string before = uid(), edge = uid(), upgraded = uid(), behind = uid(), unknown = uid();
    send(c,
         {session_start(before, 100, window_start - 1),  // outside the window
          session_start(edge, 100, window_start),        // its first instant: in, below
          session_start(upgraded, 100, window_start + kHourMs),
          session_start(upgraded, 300, now - kMinuteMs),  // latest: not below
          session_start(behind, 150, now - 2 * kMinuteMs),
          session_start(unknown, std::nullopt, now - kMinuteMs),
          session_start(uid(), 100, now - kMinuteMs, "ios")});
    auto r = ok_object(c.get("/admin/telemetry/versions/below?platform=android&versionCode=200&days=2", admin()));
    EXPECT_EQ(r.at("platform"), "android");
    EXPECT_EQ(r.at("versionCode").as_int64(), 200);
    EXPECT_EQ(r.at("days").as_int64(), 2);
    EXPECT_EQ(r.at("actors").as_int64(), 4);
    EXPECT_EQ(r.at("below").as_int64(), 2);
    EXPECT_EQ(r.at("unknown").as_int64(), 1);
    EXPECT_DOUBLE_EQ(r.at("share").to_number<double>(), 0.5);
    auto week = ok_object(c.get("/admin/telemetry/versions/below?platform=android&versionCode=200", admin()));
    EXPECT_EQ(week.at("days").as_int64(), 7) << "the default";
    EXPECT_EQ(week.at("actors").as_int64(), 5);
    EXPECT_DOUBLE_EQ(week.at("share").to_number<double>(), 0.6);
    auto none = ok_object(c.get("/admin/telemetry/versions/below?platform=web&versionCode=1", admin()));
    EXPECT_EQ(none.at("actors").as_int64(), 0);
    EXPECT_DOUBLE_EQ(none.at("share").to_number<double>(), 0);

    const std::string base = "/admin/telemetry/versions/below?";
    EXPECT_TRUE(IsProblem(c.get(base + "versionCode=200", admin()), 400, "validation", "platform"));
    EXPECT_TRUE(IsProblem(c.get(base + "platform=tv&versionCode=200", admin()), 400, "validation", "platform"));
    EXPECT_TRUE(IsProblem(c.get(base + "platform=android", admin()), 400, "validation", "versionCode"));
    for (const char* bad : {"-1", "2147483648", "abc", "1.5"}) {
        EXPECT_TRUE(
            IsProblem(c.get(base + "platform=android&versionCode=" + bad, admin()), 400, "validation", "versionCode"))
            << bad;
    }
    for (const char* bad : {"0", "91", "x", "-7"}) {
        EXPECT_TRUE(
            IsProblem(c.get(base + "platform=android&versionCode=1&days=" + bad, admin()), 400, "validation", "days"))
            << bad;
    }
    EXPECT_EQ(c.get(base + "platform=android&versionCode=1&days=90", admin()).status, 200);
}

TEST_F(VersionsTelemetryTest, AdoptionCountsInstallsAtTheVersionPerBucketWithTheirShare) {
    auto& server = dedicated();
    auto c = server.client();
    auto version = c.post_json("/admin/versions",
                               json::object{{"platform", "android"}, {"versionCode", 210}, {"versionName", "2.1.0"}},
                               admin());
    ASSERT_EQ(version.status, 201) << version.describe();
    const std::string id = std::to_string(version.json().at("id").as_int64());
    const std::int64_t hour = (now_ms() / kHourMs - 3) * kHourMs;  // three hours ago, aligned
    const std::string a = uid(), b = uid(), d = uid();
    send(c,
         {session_start(a, 210, hour + kMinuteMs),
          session_start(a, 210, hour + 2 * kMinuteMs),
          session_start(b, 200, hour + 3 * kMinuteMs),
          session_start(d, 210, hour + 59 * kMinuteMs),
          session_start(b, 210, hour + kHourMs),
          session_start(uid(), 210, hour + kMinuteMs, "ios")});
    const std::string path = "/admin/versions/" + id + "/adoption";
    auto r = ok_object(
        c.get(path + "?interval=1h&from=" + qenc(iso(hour)) + "&to=" + qenc(iso(hour + 3 * kHourMs)), admin()));
    const auto& points = r.at("points").as_array();
    ASSERT_EQ(points.size(), 2u) << json::serialize(r) << ": the empty third hour is left out";
    EXPECT_EQ(points[0].at("at"), json::value(iso(hour)));
    EXPECT_EQ(points[0].at("installs").as_int64(), 2);
    EXPECT_DOUBLE_EQ(points[0].at("share").to_number<double>(), 0.666667);
    EXPECT_EQ(points[1].at("at"), json::value(iso(hour + kHourMs)));
    EXPECT_EQ(points[1].at("installs").as_int64(), 1);
    EXPECT_DOUBLE_EQ(points[1].at("share").to_number<double>(), 1);
    // The defaults (1h, the last 7 days) see the same buckets; 1d one day.
    auto defaults = ok_object(c.get(path, admin()));
    EXPECT_EQ(defaults.at("interval"), "1h");
    EXPECT_EQ(defaults.at("points").as_array().size(), 2u);
    auto daily = ok_object(c.get(path + "?interval=1d&from=" + qenc(iso(hour)), admin()));
    ASSERT_GE(daily.at("points").as_array().size(), 1u);
    std::int64_t installs = 0;
    for (const auto& p : daily.at("points").as_array()) {
        installs += p.at("installs").as_int64();
    }
    EXPECT_GE(installs, 3) << json::serialize(daily);

    EXPECT_TRUE(IsProblem(c.get(path + "?interval=5m", admin()), 400, "validation", "interval"));
    EXPECT_TRUE(IsProblem(
        c.get(path + "?from=" + qenc(iso(hour)) + "&to=" + qenc(iso(hour - 1)), admin()), 400, "validation", "from"));
    EXPECT_TRUE(IsProblem(c.get(path + "?from=" + qenc(iso(hour - 1001 * kHourMs)) + "&to=" + qenc(iso(hour)), admin()),
                          400,
                          "validation",
                          "from"))
        << "more than 1,000 buckets";
    EXPECT_TRUE(IsProblem(c.get(path + "?from=yesterday", admin()), 400, "validation", "from"));
    EXPECT_TRUE(IsProblem(c.get("/admin/versions/999999/adoption", admin()), 404, "not-found"));
    EXPECT_TRUE(IsProblem(c.get("/admin/versions/abc/adoption", admin()), 404, "not-found"));
}

TEST_F(VersionsTelemetryTest, PeaksAreTheHighestSnapshotOfEachDay) {
    avoid_day_boundary();
    auto& server = dedicated();
    auto c = server.client();
    beat(c, uid(), "android", 1);
    beat(c, uid(), "android", 1);
    ASSERT_EQ(c.post("/admin/jobs/online-snapshot/run", "", admin()).status, 200);
    beat(c, uid(), "ios", 2);
    auto second = ok_object(c.post("/admin/jobs/online-snapshot/run", "", admin()));
    auto r = ok_object(c.get("/admin/telemetry/online/peaks", admin()));
    const auto& days = r.at("days").as_array();
    ASSERT_EQ(days.size(), 1u) << json::serialize(r);
    EXPECT_EQ(days[0].at("day"), json::value(day_of(now_ms())));
    EXPECT_EQ(days[0].at("peak").as_int64(), 3);
    EXPECT_TRUE(days[0].at("at").is_string());
    EXPECT_EQ(r.at("timezone"), "UTC");
    const std::string today = day_of(now_ms());
    const std::string yesterday = day_of(now_ms() - kDayMs);
    auto earlier = ok_object(c.get("/admin/telemetry/online/peaks?from=" + yesterday + "&to=" + yesterday, admin()));
    EXPECT_TRUE(earlier.at("days").as_array().empty());
    EXPECT_TRUE(IsProblem(
        c.get("/admin/telemetry/online/peaks?from=" + today + "&to=" + yesterday, admin()), 400, "validation", "from"));
    EXPECT_TRUE(IsProblem(
        c.get("/admin/telemetry/online/peaks?from=2020-01-01&to=" + today, admin()), 400, "validation", "from"));
    EXPECT_TRUE(IsProblem(c.get("/admin/telemetry/online/peaks?to=2026-13-01", admin()), 400, "validation", "to"));
    (void)second;
}

}  // namespace
}  // namespace beacon::e2e
