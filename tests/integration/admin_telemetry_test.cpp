// Admin telemetry over HTTP: authentication of /admin/..., realtime, dau,
// events listing, online history, and the reporting time zone
// (API.md "Identity and authentication", "Admin telemetry").
#include <regex>
#include <set>
#include <thread>

#include "integration/e2e.hpp"

namespace beacon::e2e {
namespace {

using namespace std::chrono_literals;

const std::regex kIsoMillisZ(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
const std::regex kDay(R"(\d{4}-\d\d-\d\d)");

json::object header_hs256() {
    return {{"alg", "HS256"}, {"typ", "JWT"}};
}

class AdminTelemetryTest : public E2eTest {
protected:
    // The events of `install`, newest first.
    std::vector<json::object> listed(const std::string& query) { return list_all_events(client(), query); }
};

// ---------------------------------------------------------------- authentication

TEST_F(AdminTelemetryTest, AdminRoutesNeedAValidAdminToken) {
    auto now = test::epoch_seconds_now();
    const std::string path = "/admin/telemetry/realtime";
    auto status_with = [&](const std::string& token) { return client().get(path, test::bearer(token)); };

    auto none = client().get(path);
    EXPECT_TRUE(IsProblem(none, 401, "unauthorized"));
    EXPECT_TRUE(none.header("WWW-Authenticate").has_value());
    EXPECT_TRUE(IsProblem(status_with("garbage"), 401, "unauthorized"));
    EXPECT_TRUE(IsProblem(status_with(""), 401, "unauthorized"));
    EXPECT_TRUE(IsProblem(client().get(path, {{"Authorization", "Basic YWRtaW46YWRtaW4="}}), 401, "unauthorized"));
    EXPECT_TRUE(IsProblem(client().get(path, {{"Authorization", admin_token()}}), 401, "unauthorized"))
        << "the Bearer scheme is required";

    // Expired (beyond the 30 s leeway), not yet valid, without exp.
    EXPECT_TRUE(IsProblem(status_with(test::make_token(kSecret, "admin", true, -120s)), 401, "unauthorized"));
    EXPECT_TRUE(IsProblem(
        status_with(test::make_token(kSecret, "admin", true, 1h, {{"nbf", now + 120}})), 401, "unauthorized"));
    EXPECT_TRUE(IsProblem(
        status_with(test::sign_jwt(header_hs256(), {{"sub", "admin"}, {"role", "admin"}, {"iat", now}}, kSecret)),
        401,
        "unauthorized"));
    // Inside the leeway.
    EXPECT_EQ(status_with(test::make_token(kSecret, "admin", true, -10s)).status, 200);
    EXPECT_EQ(status_with(test::make_token(kSecret, "admin", true, 1h, {{"nbf", now + 10}})).status, 200);

    // Other algorithms, forged or unsigned.
    json::object claims{{"sub", "admin"}, {"role", "admin"}, {"exp", now + 3600}};
    EXPECT_TRUE(IsProblem(
        status_with(test::sign_jwt({{"alg", "none"}, {"typ", "JWT"}}, claims, kSecret, "")), 401, "unauthorized"));
    EXPECT_TRUE(
        IsProblem(status_with(test::sign_jwt({{"alg", "none"}}, claims, kSecret, "SHA256")), 401, "unauthorized"));
    EXPECT_TRUE(IsProblem(status_with(test::sign_jwt({{"alg", "HS384"}, {"typ", "JWT"}}, claims, kSecret, "SHA384")),
                          401,
                          "unauthorized"));
    EXPECT_TRUE(
        IsProblem(status_with(test::sign_jwt({{"alg", "HS512"}}, claims, kSecret, "SHA512")), 401, "unauthorized"));
    EXPECT_TRUE(IsProblem(status_with(test::sign_jwt({{"alg", "hs256"}}, claims, kSecret)), 401, "unauthorized"));
    EXPECT_TRUE(IsProblem(status_with(test::sign_jwt({{"alg", "RS256"}}, claims, kSecret)), 401, "unauthorized"));
    EXPECT_TRUE(IsProblem(status_with(test::sign_jwt(header_hs256(), claims, "another-secret")), 401, "unauthorized"));
    // A tampered payload.
    auto good = test::sign_jwt(header_hs256(), claims, kSecret);
    auto dot1 = good.find('.'), dot2 = good.rfind('.');
    auto forged_claims = claims;
    forged_claims["sub"] = "mallory";
    auto forged = good.substr(0, dot1 + 1) + test::base64url(json::serialize(forged_claims)) + good.substr(dot2);
    EXPECT_TRUE(IsProblem(status_with(forged), 401, "unauthorized"));
    EXPECT_EQ(status_with(good).status, 200);

    // Valid but not admin: 403.
    EXPECT_TRUE(IsProblem(status_with(user_token("someone")), 403, "forbidden"));
    EXPECT_TRUE(
        IsProblem(status_with(test::make_token(kSecret, "x", false, 1h, {{"role", "viewer"}})), 403, "forbidden"));
    EXPECT_TRUE(IsProblem(
        status_with(test::make_token(kSecret, "x", false, 1h, {{"roles", json::array{"viewer"}}})), 403, "forbidden"));
    EXPECT_TRUE(
        IsProblem(status_with(test::make_token(kSecret, "x", false, 1h, {{"role", "ADMIN"}})), 403, "forbidden"));
    EXPECT_TRUE(
        IsProblem(status_with(test::make_token(kSecret, "x", false, 1h, {{"roles", "admin"}})), 403, "forbidden"))
        << "roles must be an array";
    // A roles array containing admin is enough.
    EXPECT_EQ(
        status_with(test::make_token(kSecret, "x", false, 1h, {{"roles", json::array{"viewer", "admin"}}})).status,
        200);

    // Every admin route is protected.
    for (auto [method, target] : {std::pair<std::string, std::string>{"GET", "/admin/telemetry/dau"},
                                  {"GET", "/admin/telemetry/events"},
                                  {"GET", "/admin/telemetry/online/history"},
                                  {"GET", "/admin/jobs"},
                                  {"POST", "/admin/jobs/rolling-dau/run"}}) {
        EXPECT_TRUE(IsProblem(client().request({method, target, {}, {}}), 401, "unauthorized")) << target;
        EXPECT_TRUE(IsProblem(client().request({method, target, test::bearer(user_token("u")), {}}), 403, "forbidden"))
            << target;
    }
}

TEST_F(AdminTelemetryTest, TokensFromTheCliAreAccepted) {
    // With BEACON_JWT_SECRET: the token verifies under that secret.
    auto with_env = test::run_command(beacon_binary(),
                                      {"token", "--admin", "--data-dir", (shared().dir() / "data").string()},
                                      {{"BEACON_JWT_SECRET", kSecret}});
    ASSERT_EQ(with_env.exit_code, 0) << with_env.err;
    ASSERT_FALSE(with_env.out.empty());
    EXPECT_EQ(with_env.out.back(), '\n');
    std::string token = with_env.out.substr(0, with_env.out.size() - 1);
    EXPECT_EQ(token.find('\n'), std::string::npos) << "one line only";
    EXPECT_EQ(client().get("/admin/jobs", test::bearer(token)).status, 200);

    // --sub and --ttl end up in the claims.
    auto custom = test::run_command(
        beacon_binary(),
        {"token", "--admin", "--ttl", "15m", "--sub", "ops-bot", "--data-dir", (shared().dir() / "data").string()},
        {{"BEACON_JWT_SECRET", kSecret}});
    ASSERT_EQ(custom.exit_code, 0) << custom.err;
    std::string t2 = custom.out.substr(0, custom.out.find('\n'));
    auto p1 = t2.find('.'), p2 = t2.rfind('.');
    auto claims = json::parse(test::base64url_decode(t2.substr(p1 + 1, p2 - p1 - 1))).as_object();
    EXPECT_EQ(claims.at("sub"), "ops-bot");
    EXPECT_EQ(claims.at("role"), "admin");
    EXPECT_EQ(claims.at("exp").to_number<std::int64_t>() - claims.at("iat").to_number<std::int64_t>(), 900);
    EXPECT_NEAR(static_cast<double>(claims.at("exp").to_number<std::int64_t>()),
                static_cast<double>(test::epoch_seconds_now() + 900),
                60.0);
    EXPECT_EQ(client().get("/admin/jobs", test::bearer(t2)).status, 200);
    // The default subject is "admin" and the default lifetime 12 h.
    auto d1 = token.find('.'), d2 = token.rfind('.');
    auto default_claims = json::parse(test::base64url_decode(token.substr(d1 + 1, d2 - d1 - 1))).as_object();
    EXPECT_EQ(default_claims.at("sub"), "admin");
    EXPECT_EQ(default_claims.at("exp").to_number<std::int64_t>() - default_claims.at("iat").to_number<std::int64_t>(),
              12 * 3600);

    auto bad_ttl =
        test::run_command(beacon_binary(),
                          {"token", "--admin", "--ttl", "soon", "--data-dir", (shared().dir() / "data").string()},
                          {{"BEACON_JWT_SECRET", kSecret}});
    EXPECT_NE(bad_ttl.exit_code, 0);
    EXPECT_TRUE(bad_ttl.out.empty());

    if (production_mode()) {
        // Without a secret production refuses to start, naming the setting:
        // replicas cannot share a secret generated into one data dir.
        Server refused({}, {{"BEACON_JWT_SECRET", ""}});
        EXPECT_FALSE(refused.start());
        EXPECT_NE(refused.process().log().find("BEACON_JWT_SECRET"), std::string::npos) << refused.process().log();
        return;
    }
    // Without a secret: generated into the data dir, shared by `token` and `serve`.
    auto& server = dedicated({}, {{"BEACON_JWT_SECRET", ""}});
    EXPECT_TRUE(std::filesystem::exists(server.dir() / "data" / "jwt-secret"));
    auto generated =
        test::run_command(beacon_binary(), {"token", "--admin", "--data-dir", (server.dir() / "data").string()});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
    std::string t3 = generated.out.substr(0, generated.out.find('\n'));
    auto c = server.client();
    EXPECT_EQ(c.get("/admin/jobs", test::bearer(t3)).status, 200);
    EXPECT_TRUE(IsProblem(c.get("/admin/jobs", admin()), 401, "unauthorized")) << "signed with another secret";
}

TEST_F(AdminTelemetryTest, RoutingComesBeforeAuthAndAuthBeforeSizeAndMediaType) {
    // Unknown paths: 404 even without a token.
    for (const char* p : {"/admin/nope",
                          "/admin/telemetry",
                          "/admin/jobs/rolling-dau",
                          "/nope",
                          "/telemetry/online/x",
                          "/admin/telemetry/realtime/"}) {
        EXPECT_TRUE(IsProblem(client().get(p), 404, "not-found")) << p;
    }
    // Known path, wrong method: 405 with Allow, even without a token.
    auto r = client().post("/admin/telemetry/realtime", "", {});
    EXPECT_TRUE(IsProblem(r, 405, "method-not-allowed"));
    EXPECT_EQ(r.header("Allow").value_or(""), "GET, HEAD");
    r = client().request({"DELETE", "/admin/jobs", {}, {}});
    EXPECT_TRUE(IsProblem(r, 405, "method-not-allowed"));
    EXPECT_EQ(r.header("Allow").value_or(""), "GET, HEAD");
    r = client().get("/admin/jobs/rolling-dau/run", admin());
    EXPECT_TRUE(IsProblem(r, 405, "method-not-allowed"));
    EXPECT_EQ(r.header("Allow").value_or(""), "POST");
    r = client().get("/telemetry/heartbeat");
    EXPECT_TRUE(IsProblem(r, 405, "method-not-allowed"));
    EXPECT_EQ(r.header("Allow").value_or(""), "POST");
    r = client().request({"PUT", "/telemetry/events", {{"Content-Type", "application/json"}}, "{}"});
    EXPECT_TRUE(IsProblem(r, 405, "method-not-allowed"));
    EXPECT_EQ(r.header("Allow").value_or(""), "POST");
    r = client().post("/telemetry/online", "");
    EXPECT_TRUE(IsProblem(r, 405, "method-not-allowed"));
    EXPECT_EQ(r.header("Allow").value_or(""), "GET, HEAD");

    // Authentication before size and media type on a client route.
    std::string big(8000, 'x');
    EXPECT_TRUE(
        IsProblem(client().post("/telemetry/heartbeat", big, test::bearer("bad.token.here")), 401, "unauthorized"));
    EXPECT_TRUE(IsProblem(
        client().post(
            "/telemetry/heartbeat", "{}", {{"Authorization", "Bearer x.y.z"}, {"Content-Type", "text/plain"}}),
        401,
        "unauthorized"));
    // Size before media type, media type before validation.
    EXPECT_TRUE(IsProblem(
        client().post("/telemetry/heartbeat", big, {{"Content-Type", "text/plain"}}), 413, "payload-too-large"));
    EXPECT_TRUE(IsProblem(client().post("/telemetry/heartbeat", "not json", {{"Content-Type", "text/plain"}}),
                          415,
                          "unsupported-media-type"));

    // The same order with the body never sent: a declared size is enough.
    RawConnection conn(shared().port());
    ASSERT_TRUE(
        conn.send("POST /telemetry/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n"
                  "Content-Type: text/plain\r\nContent-Length: 99999999\r\n\r\n"));
    auto raw = conn.read_response(5s);
    ASSERT_TRUE(raw) << conn.error();
    EXPECT_TRUE(IsProblem(*raw, 401, "unauthorized"));
    RawConnection conn2(shared().port());
    ASSERT_TRUE(conn2.send("POST /admin/telemetry/nothing HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n"));
    raw = conn2.read_response(5s);
    ASSERT_TRUE(raw) << conn2.error();
    EXPECT_TRUE(IsProblem(*raw, 404, "not-found"));
}

// ---------------------------------------------------------------- realtime and DAU

TEST_F(AdminTelemetryTest, RealtimeShapeAndDauEstimate) {
    avoid_day_boundary();
    auto& server = dedicated();
    auto c = server.client();
    auto empty = ok_object(c.get("/admin/telemetry/realtime", admin()));
    EXPECT_EQ(empty.at("online").as_int64(), 0);
    EXPECT_EQ(empty.at("windowSeconds").as_int64(), 180);
    EXPECT_EQ(empty.at("day"), json::value(day_of(now_ms())));
    EXPECT_EQ(empty.at("timezone"), "UTC");
    EXPECT_EQ(empty.at("dauApprox").as_int64(), 0);
    EXPECT_TRUE(empty.at("dauApproxByPlatform").as_object().empty());
    EXPECT_TRUE(std::regex_match(std::string(empty.at("at").as_string()), kIsoMillisZ));

    // Three actors start sessions today (one of them twice, one with no
    // platform); other event names do not count.
    auto t = now_ms() - 1000;
    ASSERT_EQ(post_events(
                  c,
                  {{"platform", "android"}},
                  json::array{{{"installId", "dau-inst-1"}, {"eventName", "app_session_start"}, {"timestamp", t}},
                              {{"installId", "dau-inst-1"}, {"eventName", "app_session_start"}},
                              {{"installId", "dau-inst-2"},
                               {"userId", "dau-user"},
                               {"eventName", "app_session_start"},
                               {"platform", "IOS"}},
                              {{"installId", "dau-inst-3"}, {"eventName", "app_session_start"}, {"platform", nullptr}},
                              {{"installId", "dau-inst-9"}, {"eventName", "page_view"}}})
                  .status,
              200);
    // The same user on another install is the same actor.
    ASSERT_EQ(post_events(c,
                          {{"installId", "dau-inst-4"}, {"userId", "dau-user"}, {"platform", "ios"}},
                          json::array{{{"eventName", "app_session_start"}}})
                  .status,
              200);
    // (A null platform in an event keeps the context's: dau-inst-3 is android.)
    ASSERT_EQ(heartbeat(c, {{"installId", "dau-inst-1"}}).status, 200);
    std::this_thread::sleep_for(1100ms);
    auto rt = ok_object(c.get("/admin/telemetry/realtime", admin()));
    EXPECT_EQ(rt.at("online").as_int64(), 1);
    EXPECT_EQ(rt.at("dauApprox").as_int64(), 3);
    EXPECT_EQ(rt.at("dauApproxByPlatform"), (json::object{{"android", 2}, {"ios", 1}}));

    // An actor without any platform counts under "unknown".
    ASSERT_EQ(post_events(c, {{"installId", "dau-inst-5"}}, json::array{{{"eventName", "app_session_start"}}}).status,
              200);
    rt = ok_object(c.get("/admin/telemetry/realtime", admin()));
    EXPECT_EQ(rt.at("dauApprox").as_int64(), 4);
    EXPECT_EQ(rt.at("dauApproxByPlatform"), (json::object{{"android", 2}, {"ios", 1}, {"unknown", 1}}));

    // /dau today before any job: the estimate.
    std::string today = day_of(now_ms());
    auto dau = ok_object(c.get("/admin/telemetry/dau?from=" + today + "&to=" + today, admin()));
    ASSERT_EQ(dau.at("days").as_array().size(), 1u) << json::serialize(dau);
    auto d = dau.at("days").as_array()[0].as_object();
    EXPECT_EQ(d.at("day"), json::value(today));
    EXPECT_EQ(d.at("dau").as_int64(), 4);
    EXPECT_EQ(d.at("exact"), false);
    EXPECT_TRUE(d.at("computedAt").is_null());
    EXPECT_TRUE(d.at("byRegion").as_object().empty());
    EXPECT_EQ(d.at("byPlatform"), (json::object{{"android", 2}, {"ios", 1}, {"unknown", 1}}));
}

TEST_F(AdminTelemetryTest, DauValidatesItsRange) {
    auto& c = client();
    auto body = ok_object(c.get("/admin/telemetry/dau", admin()));
    EXPECT_EQ(body.at("timezone"), "UTC");
    EXPECT_TRUE(body.at("days").is_array());
    EXPECT_EQ(body.size(), 2u);
    EXPECT_TRUE(
        IsProblem(c.get("/admin/telemetry/dau?from=2026-03-02&to=2026-03-01", admin()), 400, "validation", "from"));
    EXPECT_EQ(c.get("/admin/telemetry/dau?from=2025-03-01&to=2026-03-01", admin()).status, 200);  // 366 days
    EXPECT_TRUE(IsProblem(c.get("/admin/telemetry/dau?from=2025-02-28&to=2026-03-01", admin()), 400, "validation"));
    EXPECT_TRUE(IsProblem(c.get("/admin/telemetry/dau?from=2024-01-01&to=2026-01-01", admin()), 400, "validation"));
    for (const char* bad : {"2026-13-01", "2026-02-30", "yesterday", "2026-1-1", "20260101", "2026-01-01T00:00:00Z"}) {
        EXPECT_TRUE(IsProblem(c.get(std::string("/admin/telemetry/dau?from=") + qenc(bad) + "&to=2026-03-01", admin()),
                              400,
                              "validation",
                              "from"))
            << bad;
        EXPECT_TRUE(
            IsProblem(c.get(std::string("/admin/telemetry/dau?to=") + qenc(bad), admin()), 400, "validation", "to"))
            << bad;
    }
    // Only to: from is 29 days before it (a 30-day range that never exceeds 366 days).
    EXPECT_EQ(c.get("/admin/telemetry/dau?to=2026-03-01", admin()).status, 200);
    // Only from, after today: from > to (today).
    EXPECT_TRUE(IsProblem(
        c.get("/admin/telemetry/dau?from=" + day_of(now_ms() + 2 * kDayMs), admin()), 400, "validation", "from"));
}

TEST_F(AdminTelemetryTest, RollingAndNightlyJobsFillTheDauTable) {
    avoid_day_boundary();
    auto& server = dedicated();
    auto c = server.client();
    auto now = now_ms();
    std::string today = day_of(now), yesterday = day_of(now - kDayMs);
    std::int64_t yesterday_noon = utc_midnight(now) - kDayMs + 12 * kHourMs;
    ASSERT_EQ(day_of(yesterday_noon), yesterday);

    // Yesterday: actor A (android, CN) twice, actor B with no platform or region,
    // actor C only with a non-session event.
    auto r = ok_object(post_events(
        c,
        {},
        json::array{{{"installId", "night-a-1"},
                     {"platform", "android"},
                     {"region", "cn"},
                     {"eventName", "app_session_start"},
                     {"timestamp", iso(yesterday_noon)}},
                    {{"installId", "night-a-1"},
                     {"platform", "android"},
                     {"region", "CN"},
                     {"eventName", "app_session_start"},
                     {"timestamp", yesterday_noon + 1000}},
                    {{"installId", "night-b-1"}, {"eventName", "app_session_start"}, {"timestamp", yesterday_noon}},
                    {{"installId", "night-c-1"}, {"eventName", "purchase"}, {"timestamp", yesterday_noon}}}));
    ASSERT_EQ(r.at("accepted").as_int64(), 4);
    // Today: two actors.
    r = ok_object(post_events(c,
                              {{"platform", "ios"}, {"region", "us"}},
                              json::array{{{"installId", "roll-1-aa"}, {"eventName", "app_session_start"}},
                                          {{"installId", "roll-2-aa"}, {"eventName", "app_session_start"}}}));
    ASSERT_EQ(r.at("accepted").as_int64(), 2);

    // Rolling job: today's row, not exact.
    auto run = c.post("/admin/jobs/rolling-dau/run", "", admin());
    auto rolled = ok_object(run);
    EXPECT_EQ(rolled.at("name"), "rolling-dau");
    EXPECT_TRUE(std::regex_match(std::string(rolled.at("ranAt").as_string()), kIsoMillisZ));
    EXPECT_TRUE(rolled.at("durationMs").is_int64());
    EXPECT_EQ(rolled.at("result").at("day"), json::value(today));
    EXPECT_EQ(rolled.at("result").at("dau").as_int64(), 2);
    auto dau = ok_object(c.get("/admin/telemetry/dau?from=" + today + "&to=" + today, admin()));
    ASSERT_EQ(dau.at("days").as_array().size(), 1u);
    auto t = dau.at("days").as_array()[0].as_object();
    EXPECT_EQ(t.at("dau").as_int64(), 2);
    EXPECT_EQ(t.at("exact"), false);
    EXPECT_TRUE(t.at("computedAt").is_string()) << json::serialize(t);
    EXPECT_EQ(t.at("byPlatform"), (json::object{{"ios", 2}}));
    EXPECT_EQ(t.at("byRegion"), (json::object{{"US", 2}}));

    // Nightly job for yesterday: exact, with unknowns.
    auto night = ok_object(c.post("/admin/jobs/nightly-dau/run?day=" + yesterday, "", admin()));
    EXPECT_EQ(night.at("name"), "nightly-dau");
    EXPECT_EQ(night.at("result").at("day"), json::value(yesterday));
    EXPECT_EQ(night.at("result").at("dau").as_int64(), 2);
    dau = ok_object(c.get("/admin/telemetry/dau?from=" + day_of(now - 5 * kDayMs) + "&to=" + today, admin()));
    const auto& days = dau.at("days").as_array();
    ASSERT_EQ(days.size(), 2u) << json::serialize(dau);
    auto y = days[0].as_object();
    EXPECT_EQ(y.at("day"), json::value(yesterday));
    EXPECT_EQ(y.at("dau").as_int64(), 2);
    EXPECT_EQ(y.at("exact"), true);
    EXPECT_TRUE(y.at("computedAt").is_string());
    EXPECT_EQ(y.at("byPlatform"), (json::object{{"android", 1}, {"unknown", 1}}));
    EXPECT_EQ(y.at("byRegion"), (json::object{{"CN", 1}, {"unknown", 1}}));
    EXPECT_EQ(days[1].at("day"), json::value(today));

    // The day must be before today.
    EXPECT_TRUE(IsProblem(c.post("/admin/jobs/nightly-dau/run?day=" + today, "", admin()), 400, "validation", "day"));
    EXPECT_TRUE(IsProblem(
        c.post("/admin/jobs/nightly-dau/run?day=" + day_of(now + kDayMs), "", admin()), 400, "validation", "day"));
    EXPECT_TRUE(IsProblem(c.post("/admin/jobs/nightly-dau/run?day=2026-02-30", "", admin()), 400, "validation", "day"));
    EXPECT_TRUE(IsProblem(c.post("/admin/jobs/nightly-dau/run?day=last-week", "", admin()), 400, "validation", "day"));
    // Without ?day: yesterday.
    night = ok_object(c.post("/admin/jobs/nightly-dau/run", "", admin()));
    EXPECT_EQ(night.at("result").at("day"), json::value(yesterday));
    EXPECT_EQ(c.post("/admin/jobs/nightly-dau/run?day=" + day_of(now - 20 * kDayMs), "", admin()).status, 200);
}

TEST_F(AdminTelemetryTest, ReportingTimeZoneDecidesTheDay) {
    avoid_day_boundary(8 * 60);
    auto& server = dedicated({}, {{"BEACON_TIMEZONE", "Asia/Shanghai"}});
    auto c = server.client();
    constexpr int kShanghai = 8 * 60;
    auto rt = ok_object(c.get("/admin/telemetry/realtime", admin()));
    EXPECT_EQ(rt.at("timezone"), "Asia/Shanghai");
    auto now = now_ms();
    std::string local_today = day_of(now, kShanghai);
    // Retry once around local midnight.
    if (rt.at("day") != json::value(local_today)) {
        rt = ok_object(c.get("/admin/telemetry/realtime", admin()));
        local_today = day_of(now_ms(), kShanghai);
    }
    EXPECT_EQ(rt.at("day"), json::value(local_today));

    // Five UTC days back: 16:30Z is 00:30 of the next local day; 15:30Z is 23:30 the same day.
    std::int64_t base = utc_midnight(now) - 5 * kDayMs;
    std::string utc_day = day_of(base), next_local = day_of(base + kDayMs);
    ASSERT_EQ(post_events(c,
                          {},
                          json::array{{{"installId", "tz-late-1"},
                                       {"platform", "android"},
                                       {"eventName", "app_session_start"},
                                       {"timestamp", iso(base + 16 * kHourMs + 30 * kMinuteMs)}},
                                      {{"installId", "tz-early-1"},
                                       {"platform", "ios"},
                                       {"eventName", "app_session_start"},
                                       {"timestamp", iso_offset(base + 15 * kHourMs + 30 * kMinuteMs, kShanghai)}}})
                  .status,
              200);
    auto night = ok_object(c.post("/admin/jobs/nightly-dau/run?day=" + next_local, "", admin()));
    EXPECT_EQ(night.at("result").at("dau").as_int64(), 1);
    night = ok_object(c.post("/admin/jobs/nightly-dau/run?day=" + utc_day, "", admin()));
    EXPECT_EQ(night.at("result").at("dau").as_int64(), 1);

    auto dau = ok_object(c.get("/admin/telemetry/dau?from=" + utc_day + "&to=" + next_local, admin()));
    EXPECT_EQ(dau.at("timezone"), "Asia/Shanghai");
    const auto& days = dau.at("days").as_array();
    ASSERT_EQ(days.size(), 2u) << json::serialize(dau);
    EXPECT_EQ(days[0].at("day"), json::value(utc_day));
    EXPECT_EQ(days[0].at("byPlatform"), (json::object{{"ios", 1}}));
    EXPECT_EQ(days[0].at("exact"), true);
    EXPECT_EQ(days[1].at("day"), json::value(next_local));
    EXPECT_EQ(days[1].at("byPlatform"), (json::object{{"android", 1}}));
    EXPECT_EQ(days[1].at("exact"), true);

    // "Today" is the local today: a nightly run for it is refused.
    EXPECT_TRUE(
        IsProblem(c.post("/admin/jobs/nightly-dau/run?day=" + local_today, "", admin()), 400, "validation", "day"));
}

// ---------------------------------------------------------------- admin events

TEST_F(AdminTelemetryTest, EventsListFilters) {
    std::string install = uid(), install2 = uid(), user = uid("u");
    auto t0 = now_ms() - 2 * kHourMs;
    t0 -= t0 % 1000;
    ASSERT_EQ(post_events(client(),
                          {{"installId", install}},
                          json::array{{{"eventName", "alpha"}, {"timestamp", t0}},
                                      {{"eventName", "beta"}, {"timestamp", t0 + 1000}, {"userId", user}},
                                      {{"eventName", "alpha"}, {"timestamp", t0 + 2000}, {"userId", user}},
                                      {{"eventName", "gamma"}, {"timestamp", t0 + 3000}}})
                  .status,
              200);
    ASSERT_EQ(post_events(client(),
                          {{"installId", install2}, {"userId", user}},
                          json::array{{{"eventName", "alpha"}, {"timestamp", t0 + 1500}}})
                  .status,
              200);

    // Non-ASCII userIds and properties round-trip, and filter once percent-encoded.
    std::string unicode_user = "用户-" + uid("u") + " ✓";
    ASSERT_EQ(post_events(client(),
                          {{"installId", install2}, {"userId", unicode_user}},
                          json::array{{{"eventName", "intl"}, {"properties", {{"text", "héllo \"wörld\"\n\u00e9"}}}}})
                  .status,
              200);
    auto intl = listed("userId=" + qenc(unicode_user));
    ASSERT_EQ(intl.size(), 1u);
    EXPECT_EQ(intl[0].at("userId"), json::value(unicode_user));
    EXPECT_EQ(intl[0].at("properties").at("text"), "héllo \"wörld\"\n\u00e9");

    auto names = [](const std::vector<json::object>& events) {
        std::vector<std::string> out;
        for (const auto& e : events) {
            out.emplace_back(e.at("eventName").as_string());
        }
        return out;
    };
    auto all = listed("installId=" + qenc(install));
    EXPECT_EQ(names(all), (std::vector<std::string>{"gamma", "alpha", "beta", "alpha"})) << "newest first";
    for (std::size_t i = 1; i < all.size(); ++i) {
        EXPECT_LT(all[i].at("id").as_int64(), all[i - 1].at("id").as_int64());
    }
    EXPECT_EQ(listed("installId=" + qenc(install) + "&eventName=alpha").size(), 2u);
    EXPECT_EQ(listed("userId=" + qenc(user)).size(), 3u);
    EXPECT_EQ(listed("userId=" + qenc(user) + "&eventName=alpha").size(), 2u);
    EXPECT_EQ(listed("userId=" + qenc(user) + "&installId=" + qenc(install)).size(), 2u);
    EXPECT_TRUE(listed("installId=" + qenc(install) + "&eventName=delta").empty());
    // from inclusive, to exclusive; ISO with offsets and epoch ms both work.
    auto window =
        listed("installId=" + qenc(install) + "&from=" + qenc(iso(t0 + 1000)) + "&to=" + qenc(iso(t0 + 3000)));
    EXPECT_EQ(names(window), (std::vector<std::string>{"alpha", "beta"}));
    window = listed("installId=" + qenc(install) + "&from=" + std::to_string(t0 + 1000) +
                    "&to=" + qenc(iso_offset(t0 + 3000, -300)));
    EXPECT_EQ(names(window), (std::vector<std::string>{"alpha", "beta"}));
    window = listed("installId=" + qenc(install) + "&from=" + std::to_string(t0 + 3000));
    EXPECT_EQ(names(window), (std::vector<std::string>{"gamma"}));
    window = listed("installId=" + qenc(install) + "&to=" + std::to_string(t0 + 1000));
    EXPECT_EQ(names(window), (std::vector<std::string>{"alpha"}));

    // Bad parameters.
    for (const char* q : {"limit=0", "limit=501", "limit=-1", "limit=abc", "limit=", "limit=1.5"}) {
        EXPECT_TRUE(
            IsProblem(client().get(std::string("/admin/telemetry/events?") + q, admin()), 400, "validation", "limit"))
            << q;
    }
    EXPECT_EQ(client().get("/admin/telemetry/events?limit=500", admin()).status, 200);
    EXPECT_EQ(ok_object(client().get("/admin/telemetry/events?limit=1", admin())).at("events").as_array().size(), 1u);
    for (const char* q :
         {"cursor=abc", "cursor=c0", "cursor=c-5", "cursor=%00", "cursor=c12x", "cursor=c99999999999999999999999"}) {
        EXPECT_TRUE(
            IsProblem(client().get(std::string("/admin/telemetry/events?") + q, admin()), 400, "validation", "cursor"))
            << q;
    }
    for (const char* v : {"2026-01-01T00:00:00", "yesterday", "2026-01-01", "-5"}) {
        EXPECT_TRUE(IsProblem(
            client().get(std::string("/admin/telemetry/events?from=") + qenc(v), admin()), 400, "validation", "from"))
            << v;
    }
    EXPECT_TRUE(IsProblem(
        client().get("/admin/telemetry/events?to=" + qenc("2026-01-01 10:00"), admin()), 400, "validation", "to"));
}

TEST_F(AdminTelemetryTest, EventsCursorPaginationNeverRepeatsOrSkips) {
    std::string install = uid();
    json::array events;
    for (int i = 0; i < 120; ++i) {
        events.push_back(json::object{{"eventName", "page_test"}, {"properties", {{"n", i}}}});
    }
    auto res = ok_object(post_events(client(), {{"installId", install}}, events));
    ASSERT_EQ(res.at("accepted").as_int64(), 120);

    std::vector<std::int64_t> ids;
    std::vector<std::size_t> page_sizes;
    std::string cursor;
    for (int page = 0; page < 10; ++page) {
        std::string target = "/admin/telemetry/events?limit=50&installId=" + qenc(install);
        if (!cursor.empty()) {
            target += "&cursor=" + qenc(cursor);
        }
        auto body = ok_object(client().get(target, admin()));
        const auto& batch = body.at("events").as_array();
        page_sizes.push_back(batch.size());
        for (const auto& e : batch) {
            ids.push_back(e.at("id").as_int64());
        }
        if (page == 0) {
            // Newer events arriving meanwhile do not disturb the pages.
            ASSERT_EQ(
                post_events(
                    client(), {{"installId", install}}, json::array{{{"eventName", "late"}}, {{"eventName", "late"}}})
                    .status,
                200);
        }
        if (body.at("nextCursor").is_null()) {
            break;
        }
        cursor = std::string(body.at("nextCursor").as_string());
    }
    EXPECT_EQ(page_sizes, (std::vector<std::size_t>{50, 50, 20}));
    ASSERT_EQ(ids.size(), 120u);
    for (std::size_t i = 1; i < ids.size(); ++i) {
        EXPECT_LT(ids[i], ids[i - 1]) << "strictly newest first, no repeats";
    }
    EXPECT_EQ(std::set<std::int64_t>(ids.begin(), ids.end()).size(), 120u);
    // Every one of the 120 (and none of the late ones): compare with one big page.
    std::set<std::int64_t> truth;
    auto one_page = ok_object(
        client().get("/admin/telemetry/events?limit=500&eventName=page_test&installId=" + qenc(install), admin()));
    for (const auto& e : one_page.at("events").as_array()) {
        truth.insert(e.at("id").as_int64());
    }
    EXPECT_EQ(std::set<std::int64_t>(ids.begin(), ids.end()), truth);

    // Exactly one page: no cursor.
    auto exact = ok_object(client().get("/admin/telemetry/events?limit=122&installId=" + qenc(install), admin()));
    EXPECT_EQ(exact.at("events").as_array().size(), 122u);
    EXPECT_TRUE(exact.at("nextCursor").is_null());
}

// ---------------------------------------------------------------- online history

TEST_F(AdminTelemetryTest, OnlineHistoryFromSnapshots) {
    auto& server = dedicated();
    auto c = server.client();
    ASSERT_EQ(heartbeat(c, {{"installId", "hist-inst-1"}}).status, 200);
    ASSERT_EQ(heartbeat(c, {{"installId", "hist-inst-2"}}).status, 200);
    std::this_thread::sleep_for(1100ms);  // past the online cache
    auto snap = ok_object(c.post("/admin/jobs/online-snapshot/run", "", admin()));
    EXPECT_EQ(snap.at("name"), "online-snapshot");
    EXPECT_EQ(snap.at("result").at("online").as_int64(), 2);
    std::string at(snap.at("result").at("at").as_string());
    EXPECT_TRUE(std::regex_match(at, kIsoMillisZ));
    EXPECT_EQ(at.substr(17), "00.000Z") << "stamped with its minute";
    auto snap2 = ok_object(c.post("/admin/jobs/online-snapshot/run", "", admin()));

    auto now = now_ms();
    auto from = now - 10 * kMinuteMs, to = now + kMinuteMs;
    auto h = ok_object(
        c.get("/admin/telemetry/online/history?interval=1m&from=" + qenc(iso(from)) + "&to=" + qenc(iso(to)), admin()));
    EXPECT_EQ(h.at("interval"), "1m");
    const auto& points = h.at("points").as_array();
    ASSERT_FALSE(points.empty()) << json::serialize(h);
    std::int64_t samples = 0;
    bool found = false;
    std::string prev;
    for (const auto& p : points) {
        const auto& o = p.as_object();
        EXPECT_EQ(o.size(), 5u) << json::serialize(o);
        std::string pat(o.at("at").as_string());
        EXPECT_TRUE(std::regex_match(pat, kIsoMillisZ));
        EXPECT_EQ(pat.substr(17), "00.000Z") << "aligned to the minute";
        EXPECT_GT(pat, prev) << "sorted by time";
        prev = pat;
        double avg = o.at("avg").is_double() ? o.at("avg").as_double() : static_cast<double>(o.at("avg").as_int64());
        EXPECT_LE(static_cast<double>(o.at("min").as_int64()), avg);
        EXPECT_GE(static_cast<double>(o.at("max").as_int64()), avg);
        EXPECT_GE(o.at("samples").as_int64(), 1);
        EXPECT_NEAR(avg * 100, std::round(avg * 100), 1e-6) << "two decimals";
        samples += o.at("samples").as_int64();
        if (pat == at) {
            found = true;
            EXPECT_EQ(o.at("max").as_int64(), 2);
        }
    }
    EXPECT_TRUE(found) << "a bucket at " << at << ": " << json::serialize(h);
    EXPECT_GE(samples, 2);
    (void)snap2;

    // 1h buckets: one bucket holding all of them, aligned to the hour.
    auto hourly =
        ok_object(c.get("/admin/telemetry/online/history?interval=1h&from=" + std::to_string(now - kHourMs * 3) +
                            "&to=" + std::to_string(to),
                        admin()));
    EXPECT_EQ(hourly.at("interval"), "1h");
    std::int64_t hourly_samples = 0;
    for (const auto& p : hourly.at("points").as_array()) {
        EXPECT_EQ(std::string(p.at("at").as_string()).substr(14), "00:00.000Z");
        hourly_samples += p.at("samples").as_int64();
    }
    EXPECT_GE(hourly_samples, samples);
    // Default interval 5m over the last 24 h.
    auto def = ok_object(c.get("/admin/telemetry/online/history", admin()));
    EXPECT_EQ(def.at("interval"), "5m");
    std::int64_t def_samples = 0;
    for (const auto& p : def.at("points").as_array()) {
        auto m = std::stoi(std::string(p.at("at").as_string()).substr(14, 2));
        EXPECT_EQ(m % 5, 0);
        def_samples += p.at("samples").as_int64();
    }
    EXPECT_GE(def_samples, 2);
    // A range before any snapshot: no points.
    auto none = ok_object(c.get("/admin/telemetry/online/history?interval=1h&from=" + std::to_string(now - 5 * kDayMs) +
                                    "&to=" + std::to_string(now - 4 * kDayMs),
                                admin()));
    EXPECT_TRUE(none.at("points").as_array().empty());
}

TEST_F(AdminTelemetryTest, OnlineHistoryValidatesItsParameters) {
    auto& c = client();
    auto get = [&](const std::string& q) { return c.get("/admin/telemetry/online/history?" + q, admin()); };
    for (const char* i : {"2m", "1d", "", "5M", "60s"}) {
        EXPECT_TRUE(IsProblem(get(std::string("interval=") + i), 400, "validation", "interval")) << i;
    }
    std::int64_t base = utc_midnight(now_ms()) - 10 * kDayMs;  // aligned to every interval
    auto range = [&](const char* interval, std::int64_t from, std::int64_t to) {
        return get(std::string("interval=") + interval + "&from=" + std::to_string(from) + "&to=" + std::to_string(to));
    };
    EXPECT_TRUE(IsProblem(range("1m", base + kMinuteMs, base), 400, "validation", "from"));
    EXPECT_TRUE(IsProblem(get("from=" + qenc(iso(now_ms() + kHourMs))), 400, "validation", "from"))
        << "from after the default to (now)";
    EXPECT_EQ(range("1m", base, base).status, 200);
    // 10,000 one-minute buckets is the most.
    EXPECT_EQ(range("1m", base, base + 10000 * kMinuteMs).status, 200);
    EXPECT_TRUE(IsProblem(range("1m", base, base + 10000 * kMinuteMs + 1), 400, "validation"));
    // 10,000 minutes long but not aligned: it touches 10,001 buckets.
    EXPECT_TRUE(IsProblem(range("1m", base + 30000, base + 30000 + 10000 * kMinuteMs), 400, "validation"));
    EXPECT_EQ(range("1m", base + 30000, base + 10000 * kMinuteMs).status, 200);
    EXPECT_TRUE(IsProblem(range("1m", base, base + 7 * kDayMs), 400, "validation"));
    EXPECT_EQ(range("5m", base, base + 7 * kDayMs).status, 200);
    EXPECT_TRUE(IsProblem(range("5m", base, base + 40 * kDayMs), 400, "validation"));
    EXPECT_EQ(range("1h", base, base + 400 * kDayMs).status, 200);
    EXPECT_TRUE(IsProblem(range("1h", base, base + 417 * kDayMs), 400, "validation"));

    for (const char* bad : {"2026-01-01T00:00:00", "2026-01-01", "soon", "12:00:00Z"}) {
        EXPECT_TRUE(IsProblem(get(std::string("from=") + qenc(bad)), 400, "validation", "from")) << bad;
        EXPECT_TRUE(IsProblem(get(std::string("to=") + qenc(bad)), 400, "validation", "to")) << bad;
    }
    EXPECT_EQ(
        get("from=" + qenc(iso_offset(now_ms() - kHourMs, 480)) + "&to=" + qenc(iso_offset(now_ms(), -60))).status,
        200);
}

}  // namespace
}  // namespace beacon::e2e
