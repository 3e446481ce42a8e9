// Client telemetry over HTTP: POST /telemetry/heartbeat, GET /telemetry/online,
// POST /telemetry/events (API.md "Client telemetry").
#include <regex>
#include <set>
#include <thread>

#include "integration/e2e.hpp"

namespace beacon::e2e {
namespace {

using namespace std::chrono_literals;

const std::regex kIsoMillisZ(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");

// A JSON heartbeat body padded with a "pad" field to exactly `size` bytes.
std::string padded_heartbeat(const std::string& install_id, std::size_t size) {
    std::string head = R"({"installId":")" + install_id + R"(","pad":")";
    std::string tail = R"("})";
    return head + std::string(size - head.size() - tail.size(), 'p') + tail;
}

// {"k": {"k": ... {"leaf": 1}}} with `levels` objects in all.
json::value nested_objects(int levels) {
    json::value v = json::object{{"leaf", 1}};
    for (int i = 1; i < levels; ++i) {
        v = json::object{{"k", v}};
    }
    return v;
}

// [[...[1]...]] with `levels` arrays in all.
json::value nested_arrays(int levels) {
    json::value v = json::array{1};
    for (int i = 1; i < levels; ++i) {
        v = json::array{v};
    }
    return v;
}

// The events of one install, oldest first (the list is newest first).
std::vector<json::object> events_of(HttpClient& c, const std::string& install_id) {
    auto all = list_all_events(c, "installId=" + qenc(install_id));
    std::reverse(all.begin(), all.end());
    return all;
}

class TelemetryClientTest : public E2eTest {};

// ---------------------------------------------------------------- heartbeat

TEST_F(TelemetryClientTest, HeartbeatAnswersNextIntervalAndServerTime) {
    auto before = now_ms();
    auto r = heartbeat(
        client(),
        {{"installId", uid()}, {"userId", "u-1"}, {"platform", "android"}, {"appVersion", "2.1.0"}, {"region", "CN"}});
    auto body = ok_object(r);
    EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json");
    EXPECT_EQ(body.at("nextHeartbeatSeconds").as_int64(), 60);
    std::string server_time(body.at("serverTime").as_string());
    EXPECT_TRUE(std::regex_match(server_time, kIsoMillisZ)) << server_time;
    EXPECT_GE(server_time, iso(before - 5000));
    EXPECT_LE(server_time, iso(now_ms() + 5000));
}

TEST_F(TelemetryClientTest, HeartbeatAcceptsPlatformInAnyCaseAndLowerCaseRegion) {
    for (const char* p : {"android", "ANDROID", "iOs", "Web", "DESKTOP", "other"}) {
        auto r = heartbeat(client(), {{"installId", uid()}, {"platform", p}});
        EXPECT_EQ(r.status, 200) << p << "\n" << r.describe();
    }
    for (const char* region : {"cn", "Us", "DE"}) {
        auto r = heartbeat(client(), {{"installId", uid()}, {"region", region}});
        EXPECT_EQ(r.status, 200) << region << "\n" << r.describe();
    }
    EXPECT_TRUE(
        IsProblem(heartbeat(client(), {{"installId", uid()}, {"platform", "windows"}}), 400, "validation", "platform"));
    EXPECT_TRUE(
        IsProblem(heartbeat(client(), {{"installId", uid()}, {"platform", ""}}), 400, "validation", "platform"));
    for (const char* region : {"CHN", "C", "c1", "ü"}) {
        EXPECT_TRUE(
            IsProblem(heartbeat(client(), {{"installId", uid()}, {"region", region}}), 400, "validation", "region"))
            << region;
    }
}

TEST_F(TelemetryClientTest, HeartbeatValidatesInstallId) {
    EXPECT_EQ(heartbeat(client(), {{"installId", "abcdefgh"}}).status, 200);             // 8 characters
    EXPECT_EQ(heartbeat(client(), {{"installId", std::string(128, 'a')}}).status, 200);  // 128 characters
    EXPECT_EQ(heartbeat(client(), {{"installId", "A-z_0.9:x"}}).status, 200);            // every allowed class
    EXPECT_TRUE(IsProblem(heartbeat(client(), {{"installId", "abcdefg"}}), 400, "validation", "installId"));
    EXPECT_TRUE(IsProblem(heartbeat(client(), {{"installId", std::string(129, 'a')}}), 400, "validation", "installId"));
    for (const char* bad : {"abc defgh", "abcdefgh/", "abcdéfgh", "abcdefgh\n", "abc+defgh"}) {
        EXPECT_TRUE(IsProblem(heartbeat(client(), {{"installId", bad}}), 400, "validation", "installId")) << bad;
    }
    EXPECT_TRUE(IsProblem(heartbeat(client(), {{"userId", "u-1"}}), 400, "validation", "installId"));
}

TEST_F(TelemetryClientTest, HeartbeatRejectsWrongTypesNamingTheField) {
    std::string id = uid();
    EXPECT_TRUE(IsProblem(heartbeat(client(), {{"installId", 12345678}}), 400, "validation", "installId"));
    EXPECT_TRUE(IsProblem(heartbeat(client(), {{"installId", id}, {"userId", 7}}), 400, "validation", "userId"));
    EXPECT_TRUE(IsProblem(heartbeat(client(), {{"installId", id}, {"userId", ""}}), 400, "validation", "userId"));
    EXPECT_TRUE(IsProblem(
        heartbeat(client(), {{"installId", id}, {"userId", std::string(129, 'u')}}), 400, "validation", "userId"));
    EXPECT_TRUE(IsProblem(heartbeat(client(), {{"installId", id}, {"userId", "a\x01z"}}), 400, "validation", "userId"));
    EXPECT_TRUE(IsProblem(heartbeat(client(), {{"installId", id}, {"platform", 1}}), 400, "validation", "platform"));
    EXPECT_TRUE(IsProblem(heartbeat(client(), {{"installId", id}, {"region", true}}), 400, "validation", "region"));
    EXPECT_TRUE(IsProblem(
        heartbeat(client(), {{"installId", id}, {"appVersion", json::array{"2"}}}), 400, "validation", "appVersion"));
    // Not an object at all.
    EXPECT_TRUE(IsProblem(client().post_json("/telemetry/heartbeat", "[1,2]"), 400, "validation"));
    EXPECT_TRUE(IsProblem(client().post_json("/telemetry/heartbeat", "\"abcdefgh\""), 400, "validation"));
    // Unknown fields are ignored.
    EXPECT_EQ(heartbeat(client(), {{"installId", id}, {"somethingNew", json::object{{"x", 1}}}}).status, 200);
}

TEST_F(TelemetryClientTest, HeartbeatRefusesAnInvalidTokenAndAcceptsAValidOne) {
    json::object body{{"installId", uid()}};
    auto r = heartbeat(client(), body, test::bearer("not.a.token"));
    EXPECT_TRUE(IsProblem(r, 401, "unauthorized"));
    EXPECT_TRUE(IsProblem(
        heartbeat(client(), body, test::bearer(test::make_token("wrong-secret", "u", false))), 401, "unauthorized"));
    EXPECT_TRUE(IsProblem(
        heartbeat(client(), body, test::bearer(test::make_token(kSecret, "u", false, -120s))), 401, "unauthorized"));
    EXPECT_TRUE(IsProblem(heartbeat(client(), body, {{"Authorization", "Basic dXNlcjpwYXNz"}}), 401, "unauthorized"));
    EXPECT_EQ(heartbeat(client(), body, test::bearer(user_token("someone"))).status, 200);
    // An admin token is a valid token too.
    EXPECT_EQ(heartbeat(client(), body, admin()).status, 200);
}

TEST_F(TelemetryClientTest, HeartbeatBodyLimitIsFourKiB) {
    std::string id = uid();
    auto exact = padded_heartbeat(id, 4096);
    ASSERT_EQ(exact.size(), 4096u);
    EXPECT_EQ(client().post_json("/telemetry/heartbeat", exact).status, 200);
    auto over = padded_heartbeat(id, 4097);
    EXPECT_TRUE(IsProblem(client().post_json("/telemetry/heartbeat", over), 413, "payload-too-large"));
    // The client reconnects after the server closed; the next request works.
    EXPECT_EQ(heartbeat(client(), {{"installId", id}}).status, 200);
}

TEST_F(TelemetryClientTest, OversizedContentLengthIsRefusedBeforeTheBodyIsSent) {
    for (auto [path, length] : {std::pair<std::string, std::string>{"/telemetry/heartbeat", "5000"},
                                {"/telemetry/events", "1048577"},
                                {"/telemetry/events", "104857600000"}}) {
        RawConnection conn(shared().port());
        ASSERT_TRUE(conn.connected()) << conn.error();
        ASSERT_TRUE(conn.send("POST " + path +
                              " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              "Content-Length: " +
                              length + "\r\n\r\n"));
        // No body is sent: the answer must come anyway.
        auto r = conn.read_response(5s);
        ASSERT_TRUE(r) << path << " " << length << ": " << conn.error();
        EXPECT_TRUE(IsProblem(*r, 413, "payload-too-large")) << path;
        EXPECT_TRUE(r->header("X-Request-Id"));
        EXPECT_TRUE(conn.wait_closed(5s)) << "the connection should be closed after an early 413";
    }
}

TEST_F(TelemetryClientTest, ChunkedBodyOverTheLimitIsRefused) {
    RawConnection conn(shared().port());
    ASSERT_TRUE(conn.connected());
    std::string chunk(5000, ' ');
    char size_hex[16];
    std::snprintf(size_hex, sizeof size_hex, "%zx", chunk.size());
    ASSERT_TRUE(
        conn.send("POST /telemetry/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n" +
                  std::string(size_hex) + "\r\n" + chunk + "\r\n"));
    auto r = conn.read_response(5s);
    ASSERT_TRUE(r) << conn.error();
    EXPECT_TRUE(IsProblem(*r, 413, "payload-too-large"));
}

TEST_F(TelemetryClientTest, ChunkedBodyWithinTheLimitIsAccepted) {
    RawConnection conn(shared().port());
    ASSERT_TRUE(conn.connected());
    std::string body = json::serialize(json::object{{"installId", uid()}});
    std::string first = body.substr(0, 10), second = body.substr(10);
    char a[16], b[16];
    std::snprintf(a, sizeof a, "%zx", first.size());
    std::snprintf(b, sizeof b, "%zx", second.size());
    ASSERT_TRUE(
        conn.send("POST /telemetry/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n" +
                  std::string(a) + "\r\n" + first + "\r\n" + b + "\r\n" + second + "\r\n0\r\n\r\n"));
    auto r = conn.read_response(5s);
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 200) << r->describe();
}

TEST_F(TelemetryClientTest, GzipBodiesAreAcceptedAndBombsRefused) {
    std::string id = uid();
    std::string plain = json::serialize(json::object{{"installId", id}, {"platform", "ios"}});
    auto r = client().post_json("/telemetry/heartbeat", test::gzip_compress(plain), {{"Content-Encoding", "gzip"}});
    EXPECT_EQ(r.status, 200) << r.describe();

    // Small on the wire, far past 4 KiB once inflated.
    std::string bomb = test::gzip_compress(padded_heartbeat(id, 2 * 1024 * 1024));
    ASSERT_LT(bomb.size(), 4096u);
    EXPECT_TRUE(IsProblem(
        client().post_json("/telemetry/heartbeat", bomb, {{"Content-Encoding", "gzip"}}), 413, "payload-too-large"));
    // Exactly the limit once inflated is fine.
    EXPECT_EQ(
        client()
            .post_json(
                "/telemetry/heartbeat", test::gzip_compress(padded_heartbeat(id, 4096)), {{"Content-Encoding", "gzip"}})
            .status,
        200);

    // Corrupt and truncated gzip: 400.
    std::string corrupt = test::gzip_compress(plain);
    corrupt[corrupt.size() / 2] ^= 0x5a;
    corrupt[corrupt.size() / 2 + 1] ^= 0x33;
    auto bad = client().post_json("/telemetry/heartbeat", corrupt, {{"Content-Encoding", "gzip"}});
    EXPECT_EQ(bad.status, 400) << bad.describe();
    EXPECT_TRUE(IsProblem(bad, 400, "validation") || IsProblem(bad, 400, "invalid-json")) << bad.describe();
    std::string truncated = test::gzip_compress(plain).substr(0, 12);
    EXPECT_EQ(client().post_json("/telemetry/heartbeat", truncated, {{"Content-Encoding", "gzip"}}).status, 400);
    EXPECT_EQ(client().post_json("/telemetry/heartbeat", plain, {{"Content-Encoding", "gzip"}}).status, 400);

    // Other encodings are not accepted.
    EXPECT_TRUE(IsProblem(client().post_json("/telemetry/heartbeat", plain, {{"Content-Encoding", "br"}}),
                          415,
                          "unsupported-media-type"));
    EXPECT_EQ(client().post_json("/telemetry/heartbeat", plain, {{"Content-Encoding", "identity"}}).status, 200);
}

TEST_F(TelemetryClientTest, HeartbeatNeedsJsonContentType) {
    std::string body = json::serialize(json::object{{"installId", uid()}});
    EXPECT_TRUE(IsProblem(
        client().post("/telemetry/heartbeat", body, {{"Content-Type", "text/plain"}}), 415, "unsupported-media-type"));
    EXPECT_TRUE(IsProblem(client().post("/telemetry/heartbeat", body), 415, "unsupported-media-type"));
    EXPECT_TRUE(
        IsProblem(client().post("/telemetry/heartbeat", body, {{"Content-Type", "application/x-www-form-urlencoded"}}),
                  415,
                  "unsupported-media-type"));
    EXPECT_EQ(client().post("/telemetry/heartbeat", body, {{"Content-Type", "application/json; charset=utf-8"}}).status,
              200);
    EXPECT_EQ(client().post("/telemetry/heartbeat", body, {{"Content-Type", "Application/JSON"}}).status, 200);
}

TEST_F(TelemetryClientTest, MalformedJsonAndInvalidUtf8AreInvalidJson) {
    for (std::string bad : {std::string("{"),
                            std::string("{\"installId\": }"),
                            std::string(""),
                            std::string("{\"installId\":\"abcdefgh\"} trailing"),
                            std::string("nul")}) {
        EXPECT_TRUE(IsProblem(client().post_json("/telemetry/heartbeat", bad), 400, "invalid-json")) << bad;
        EXPECT_TRUE(IsProblem(client().post_json("/telemetry/events", bad), 400, "invalid-json")) << bad;
    }
    std::string id = uid();
    std::string bad_utf8 = "{\"installId\":\"" + id + "\",\"userId\":\"u\xff\xfe\"}";
    EXPECT_TRUE(IsProblem(client().post_json("/telemetry/heartbeat", bad_utf8), 400, "invalid-json"));
    // Invalid UTF-8 in an unknown field (or in properties) still fails the body.
    std::string hidden = "{\"installId\":\"" + id + "\",\"ignored\":\"\xc3\x28\"}";
    EXPECT_TRUE(IsProblem(client().post_json("/telemetry/heartbeat", hidden), 400, "invalid-json"));
    std::string events =
        "{\"context\":{\"installId\":\"" + id +
        "\"},\"events\":[{\"eventName\":\"ok\"},{\"eventName\":\"x\",\"properties\":{\"s\":\"\xed\xa0\x80\"}}]}";
    EXPECT_TRUE(IsProblem(client().post_json("/telemetry/events", events), 400, "invalid-json"));
    EXPECT_TRUE(events_of(client(), id).empty()) << "nothing of an invalid body is stored";
}

// ---------------------------------------------------------------- online

TEST_F(TelemetryClientTest, OnlineCountsDistinctActors) {
    auto& server = dedicated();
    auto c = server.client();
    auto initial = ok_object(c.get("/telemetry/online"));
    EXPECT_EQ(initial.at("online").as_int64(), 0);
    EXPECT_EQ(initial.at("windowSeconds").as_int64(), 180);
    EXPECT_TRUE(std::regex_match(std::string(initial.at("at").as_string()), kIsoMillisZ));
    EXPECT_EQ(initial.size(), 3u) << json::serialize(initial);

    // Same install twice: one actor.
    ASSERT_EQ(heartbeat(c, {{"installId", "install-a1"}}).status, 200);
    ASSERT_EQ(heartbeat(c, {{"installId", "install-a1"}, {"platform", "android"}}).status, 200);
    // One user on two installs: one actor.
    ASSERT_EQ(heartbeat(c, {{"installId", "install-b1"}, {"userId", "user-1"}}).status, 200);
    ASSERT_EQ(heartbeat(c, {{"installId", "install-b2"}, {"userId", "user-1"}}).status, 200);
    // A userId equal to someone's installId is a different actor.
    ASSERT_EQ(heartbeat(c, {{"installId", "collide-1"}}).status, 200);
    ASSERT_EQ(heartbeat(c, {{"installId", "install-c1"}, {"userId", "collide-1"}}).status, 200);
    EXPECT_EQ(wait_online(c, 4, 3s), 4);

    // A token's sub replaces the body's userId: this is user-1 again, not "body-user".
    ASSERT_EQ(
        heartbeat(c, {{"installId", "install-d1"}, {"userId", "body-user"}}, test::bearer(user_token("user-1"))).status,
        200);
    std::this_thread::sleep_for(1200ms);  // past the 1 s cache
    EXPECT_EQ(wait_online(c, 4, 0ms), 4);
    // Without the token the body's userId counts: a fifth actor.
    ASSERT_EQ(heartbeat(c, {{"installId", "install-d1"}, {"userId", "body-user"}}).status, 200);
    EXPECT_EQ(wait_online(c, 5, 3s), 5);
}

TEST_F(TelemetryClientTest, OnlineWindowExpiresActors) {
    auto& server = dedicated({"--online-window", "2s", "--heartbeat-interval", "1s"});
    auto c = server.client();
    ASSERT_EQ(heartbeat(c, {{"installId", "install-w1"}}).status, 200);
    ASSERT_EQ(heartbeat(c, {{"installId", "install-w2"}}).status, 200);
    auto first = ok_object(c.get("/telemetry/online"));
    EXPECT_EQ(first.at("windowSeconds").as_int64(), 2);
    EXPECT_EQ(wait_online(c, 2, 1500ms), 2);
    std::this_thread::sleep_for(3s);
    EXPECT_EQ(wait_online(c, 0, 2s), 0);
    // A new heartbeat brings one back.
    ASSERT_EQ(heartbeat(c, {{"installId", "install-w1"}}).status, 200);
    EXPECT_EQ(wait_online(c, 1, 1500ms), 1);
}

// ---------------------------------------------------------------- events

TEST_F(TelemetryClientTest, EventsMergeContextWithPerEventOverrides) {
    std::string install = uid(), other_install = uid(), user = uid("u");
    json::object context{{"installId", install},
                         {"userId", user},
                         {"platform", "Android"},
                         {"appVersion", "2.1.0"},
                         {"osVersion", "14"},
                         {"deviceModel", "Pixel 8"},
                         {"region", "cn"},
                         {"sessionId", "s-1"},
                         {"unknownField", 1}};
    json::array events{
        json::object{{"eventName", "app_session_start"}, {"properties", {{"coldStart", true}}}},
        json::object{{"eventName", "page_view"},
                     {"platform", "IOS"},
                     {"region", "us"},
                     {"appVersion", "2.2.0"},
                     {"osVersion", "17.1"},
                     {"deviceModel", "iPhone 15"},
                     {"sessionId", "s-2"},
                     {"userId", "other-user"},
                     {"properties", {{"page", "/coupons"}, {"n", json::array{1, 2, {{"x", nullptr}}}}}}},
        json::object{{"eventName", "moved"}, {"installId", other_install}},
    };
    auto before = now_ms();
    auto res = ok_object(post_events(client(), context, events));
    EXPECT_EQ(res.at("accepted").as_int64(), 3);
    EXPECT_EQ(res.at("duplicates").as_int64(), 0);
    EXPECT_TRUE(res.at("rejected").as_array().empty());

    auto stored = events_of(client(), install);
    ASSERT_EQ(stored.size(), 2u);
    const auto& a = stored[0];
    EXPECT_EQ(a.at("eventName"), "app_session_start");
    EXPECT_EQ(a.at("installId"), json::value(install));
    EXPECT_EQ(a.at("userId"), json::value(user));
    EXPECT_EQ(a.at("platform"), "android");
    EXPECT_EQ(a.at("appVersion"), "2.1.0");
    EXPECT_EQ(a.at("osVersion"), "14");
    EXPECT_EQ(a.at("deviceModel"), "Pixel 8");
    EXPECT_EQ(a.at("region"), "CN");
    EXPECT_EQ(a.at("sessionId"), "s-1");
    EXPECT_TRUE(a.at("eventId").is_null());
    EXPECT_EQ(a.at("properties"), (json::object{{"coldStart", true}}));
    EXPECT_TRUE(a.at("id").is_int64());
    // No timestamp: the time of receipt.
    std::string ts(a.at("timestamp").as_string()), received(a.at("receivedAt").as_string());
    EXPECT_TRUE(std::regex_match(ts, kIsoMillisZ)) << ts;
    EXPECT_TRUE(std::regex_match(received, kIsoMillisZ)) << received;
    EXPECT_GE(ts, iso(before - 5000));
    EXPECT_LE(ts, iso(now_ms() + 5000));

    const auto& b = stored[1];
    EXPECT_EQ(b.at("eventName"), "page_view");
    EXPECT_EQ(b.at("platform"), "ios");
    EXPECT_EQ(b.at("region"), "US");
    EXPECT_EQ(b.at("appVersion"), "2.2.0");
    EXPECT_EQ(b.at("osVersion"), "17.1");
    EXPECT_EQ(b.at("deviceModel"), "iPhone 15");
    EXPECT_EQ(b.at("sessionId"), "s-2");
    EXPECT_EQ(b.at("userId"), "other-user");
    EXPECT_EQ(b.at("properties"),
              (json::object{{"page", "/coupons"}, {"n", json::array{1, 2, json::object{{"x", nullptr}}}}}));
    EXPECT_GT(b.at("id").as_int64(), a.at("id").as_int64());

    auto moved = events_of(client(), other_install);
    ASSERT_EQ(moved.size(), 1u);
    EXPECT_EQ(moved[0].at("eventName"), "moved");
    EXPECT_EQ(moved[0].at("userId"), json::value(user));
    EXPECT_EQ(moved[0].at("region"), "CN");
    EXPECT_TRUE(moved[0].at("properties").is_null());
}

TEST_F(TelemetryClientTest, EventsRejectOneEventWithItsFieldPath) {
    std::string install = uid();
    auto now = now_ms();
    json::array events{
        json::object{{"eventName", "ok_0"}},                                       // 0
        json::object{{"eventName", "bad name!"}},                                  // 1
        json::object{{"properties", {{"a", 1}}}},                                  // 2 no eventName
        json::object{{"eventName", "e3"}, {"timestamp", "yesterday"}},             // 3
        json::value(42),                                                           // 4 not an object
        json::object{{"eventName", "e5"}, {"platform", "windows"}},                // 5
        json::object{{"eventName", "e6"}, {"region", "USA"}},                      // 6
        json::object{{"eventName", "e7"}, {"properties", json::array{1}}},         // 7
        json::object{{"eventName", "e8"}, {"eventId", ""}},                        // 8
        json::object{{"eventName", std::string(65, 'n')}},                         // 9
        json::object{{"eventName", std::string(64, 'n')}},                         // 10 ok
        json::object{{"eventName", "e11"}, {"installId", "short"}},                // 11
        json::object{{"eventName", "e12"}, {"timestamp", "2026-01-01T00:00:00"}},  // 12 no zone
        json::object{{"eventName", "e13"}, {"userId", 5}},                         // 13
        json::object{{"eventName", "e14"}, {"eventId", std::string(65, 'x')}},     // 14
        json::object{{"eventName", 14}},                                           // 15
        json::object{{"eventName", "e16"}, {"timestamp", true}},                   // 16
        json::object{{"eventName", "e17"}, {"appVersion", ""}},                    // 17
        json::object{{"eventName", "ok:18.x-y"}, {"timestamp", now - 1000}},       // 18 ok
        json::value("string item"),                                                // 19 not an object
        json::value(nullptr),                                                      // 20 not an object
    };
    auto res = ok_object(post_events(client(), {{"installId", install}}, events));
    EXPECT_EQ(res.at("accepted").as_int64(), 3);
    EXPECT_EQ(res.at("duplicates").as_int64(), 0);
    std::vector<std::pair<std::int64_t, std::string>> want{{1, "events[1].eventName"},
                                                           {2, "events[2].eventName"},
                                                           {3, "events[3].timestamp"},
                                                           {4, "events[4]"},
                                                           {5, "events[5].platform"},
                                                           {6, "events[6].region"},
                                                           {7, "events[7].properties"},
                                                           {8, "events[8].eventId"},
                                                           {9, "events[9].eventName"},
                                                           {11, "events[11].installId"},
                                                           {12, "events[12].timestamp"},
                                                           {13, "events[13].userId"},
                                                           {14, "events[14].eventId"},
                                                           {15, "events[15].eventName"},
                                                           {16, "events[16].timestamp"},
                                                           {17, "events[17].appVersion"},
                                                           {19, "events[19]"},
                                                           {20, "events[20]"}};
    const auto& rejected = res.at("rejected").as_array();
    ASSERT_EQ(rejected.size(), want.size()) << json::serialize(rejected);
    for (std::size_t i = 0; i < want.size(); ++i) {
        const auto& r = rejected[i].as_object();
        EXPECT_EQ(r.at("index").as_int64(), want[i].first) << json::serialize(r);
        EXPECT_EQ(r.at("field"), json::value(want[i].second)) << json::serialize(r);
        EXPECT_FALSE(r.at("message").as_string().empty());
    }
    auto stored = events_of(client(), install);
    ASSERT_EQ(stored.size(), 3u);
    EXPECT_EQ(stored[0].at("eventName"), "ok_0");
    EXPECT_EQ(stored[1].at("eventName"), json::value(std::string(64, 'n')));
    EXPECT_EQ(stored[2].at("eventName"), "ok:18.x-y");
}

TEST_F(TelemetryClientTest, EventsNeedAnInstallIdAfterMerging) {
    std::string install = uid();
    auto res = ok_object(post_events(
        client(),
        {{"platform", "web"}},
        json::array{json::object{{"eventName", "has"}, {"installId", install}}, json::object{{"eventName", "lacks"}}}));
    EXPECT_EQ(res.at("accepted").as_int64(), 1);
    ASSERT_EQ(res.at("rejected").as_array().size(), 1u);
    EXPECT_EQ(res.at("rejected").as_array()[0].at("field"), "events[1].installId");
    auto stored = events_of(client(), install);
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].at("platform"), "web");

    // Without any context at all.
    auto r = client().post_json("/telemetry/events",
                                json::serialize(json::object{{"events", json::array{{{"eventName", "x"}}}}}));
    auto body = ok_object(r);
    EXPECT_EQ(body.at("accepted").as_int64(), 0);
    EXPECT_EQ(body.at("rejected").as_array()[0].at("field"), "events[0].installId");
}

TEST_F(TelemetryClientTest, EventsMalformedEnvelopeIsA400AndStoresNothing) {
    std::string install = uid();
    json::array one{json::object{{"eventName", "should_not_store"}, {"installId", install}}};
    struct Case {
        std::string body;
        std::string field;
    };
    std::vector<Case> cases{
        {json::serialize(json::object{{"context", "nope"}, {"events", one}}), "context"},
        {json::serialize(json::object{{"context", json::array{}}, {"events", one}}), "context"},
        {json::serialize(json::object{{"context", {{"platform", "beos"}}}, {"events", one}}), "context.platform"},
        {json::serialize(json::object{{"context", {{"installId", "x"}}}, {"events", one}}), "context.installId"},
        {json::serialize(json::object{{"context", {{"region", 1}}}, {"events", one}}), "context.region"},
        {json::serialize(json::object{{"context", {{"userId", ""}}}, {"events", one}}), "context.userId"},
        {json::serialize(json::object{{"events", json::object{{"0", one[0]}}}}), "events"},
        {json::serialize(json::object{{"events", "[]"}}), "events"},
        {json::serialize(json::object{{"events", json::array{}}}), "events"},
        {json::serialize(json::object{{"context", {{"installId", install}}}}), "events"},
        {json::serialize(json::object{{"events", nullptr}}), "events"},
    };
    for (const auto& c : cases) {
        EXPECT_TRUE(IsProblem(client().post_json("/telemetry/events", c.body), 400, "validation", c.field)) << c.body;
    }
    EXPECT_TRUE(IsProblem(client().post_json("/telemetry/events", json::serialize(one)), 400, "validation"));
    EXPECT_TRUE(events_of(client(), install).empty());
}

TEST_F(TelemetryClientTest, EventsAllRejectedIsStillA200) {
    std::string install = uid();
    auto res = ok_object(post_events(
        client(), {{"installId", install}}, json::array{json::object{{"eventName", "no spaces"}}, json::value(1)}));
    EXPECT_EQ(res.at("accepted").as_int64(), 0);
    EXPECT_EQ(res.at("duplicates").as_int64(), 0);
    EXPECT_EQ(res.at("rejected").as_array().size(), 2u);
    EXPECT_TRUE(events_of(client(), install).empty());
}

TEST_F(TelemetryClientTest, EventIdsDeduplicateWithinABatchAndAcrossRequests) {
    std::string install = uid(), install2 = uid();
    json::array events{json::object{{"eventName", "a"}, {"eventId", "evt-1"}},
                       json::object{{"eventName", "a"}, {"eventId", "evt-1"}},  // same batch
                       json::object{{"eventName", "b"}, {"eventId", "evt-2"}},
                       json::object{{"eventName", "c"}},  // no id: never a duplicate
                       json::object{{"eventName", "c"}}};
    auto first = ok_object(post_events(client(), {{"installId", install}}, events));
    EXPECT_EQ(first.at("accepted").as_int64(), 4);
    EXPECT_EQ(first.at("duplicates").as_int64(), 1);

    // A retry of the whole batch: only the id-less events are new.
    auto retry = ok_object(post_events(client(), {{"installId", install}}, events));
    EXPECT_EQ(retry.at("accepted").as_int64(), 2);
    EXPECT_EQ(retry.at("duplicates").as_int64(), 3);

    // The same eventId on another install is another event.
    auto other = ok_object(post_events(
        client(), {{"installId", install2}}, json::array{json::object{{"eventName", "a"}, {"eventId", "evt-1"}}}));
    EXPECT_EQ(other.at("accepted").as_int64(), 1);
    EXPECT_EQ(other.at("duplicates").as_int64(), 0);

    // A rejected event does not claim its id.
    auto mixed = ok_object(post_events(client(),
                                       {{"installId", install2}},
                                       json::array{json::object{{"eventName", "bad name"}, {"eventId", "evt-9"}},
                                                   json::object{{"eventName", "good"}, {"eventId", "evt-9"}}}));
    EXPECT_EQ(mixed.at("accepted").as_int64(), 1);
    EXPECT_EQ(mixed.at("duplicates").as_int64(), 0);

    auto stored = events_of(client(), install);
    ASSERT_EQ(stored.size(), 6u);
    std::multiset<std::string> ids;
    for (const auto& e : stored) {
        ids.insert(e.at("eventId").is_null() ? "-" : std::string(e.at("eventId").as_string()));
    }
    EXPECT_EQ(ids.count("evt-1"), 1u);
    EXPECT_EQ(ids.count("evt-2"), 1u);
    EXPECT_EQ(ids.count("-"), 4u);
    EXPECT_EQ(events_of(client(), install2).size(), 2u);
}

TEST_F(TelemetryClientTest, EventTimestampsTakeIsoWithOffsetsAndEpochMillis) {
    std::string install = uid();
    auto t = now_ms() - 3 * kHourMs;
    json::array events{
        json::object{{"eventName", "z"}, {"timestamp", iso(t)}},
        json::object{{"eventName", "plus8"}, {"timestamp", iso_offset(t + 1000, 480)}},
        json::object{{"eventName", "minus530"}, {"timestamp", iso_offset(t + 2000, -330)}},
        json::object{{"eventName", "epoch"}, {"timestamp", t + 3000}},
        json::object{{"eventName", "no_millis"}, {"timestamp", iso(t - t % 1000 + 4000).substr(0, 19) + "Z"}},
        json::object{{"eventName", "future_9m"}, {"timestamp", now_ms() + 9 * kMinuteMs}},
        json::object{{"eventName", "past_29d"}, {"timestamp", iso(now_ms() - 29 * kDayMs)}},
        json::object{{"eventName", "future_11m"}, {"timestamp", now_ms() + 11 * kMinuteMs}},
        json::object{{"eventName", "past_31d"}, {"timestamp", iso(now_ms() - 31 * kDayMs)}},
        json::object{{"eventName", "negative"}, {"timestamp", -5}},
        json::object{{"eventName", "fraction"}, {"timestamp", 1.5}},
        json::object{{"eventName", "bad_date"}, {"timestamp", "2026-02-30T00:00:00Z"}},
    };
    auto res = ok_object(post_events(client(), {{"installId", install}}, events));
    EXPECT_EQ(res.at("accepted").as_int64(), 7);
    std::vector<std::int64_t> rejected_idx;
    for (const auto& r : res.at("rejected").as_array()) {
        rejected_idx.push_back(r.at("index").as_int64());
        EXPECT_EQ(r.at("field"), json::value("events[" + std::to_string(r.at("index").as_int64()) + "].timestamp"));
    }
    EXPECT_EQ(rejected_idx, (std::vector<std::int64_t>{7, 8, 9, 10, 11}));

    auto stored = events_of(client(), install);
    ASSERT_EQ(stored.size(), 7u);
    EXPECT_EQ(stored[0].at("timestamp"), json::value(iso(t)));
    EXPECT_EQ(stored[1].at("timestamp"), json::value(iso(t + 1000)));
    EXPECT_EQ(stored[2].at("timestamp"), json::value(iso(t + 2000)));
    EXPECT_EQ(stored[3].at("timestamp"), json::value(iso(t + 3000)));
    EXPECT_EQ(stored[4].at("timestamp"), json::value(iso(t - t % 1000 + 4000)));
}

TEST_F(TelemetryClientTest, EventPropertiesDepthAndSizeLimits) {
    std::string install = uid();
    std::string fits(8000, 'x');
    json::array events{
        json::object{{"eventName", "depth8"}, {"properties", nested_objects(8)}},
        json::object{{"eventName", "depth9"}, {"properties", nested_objects(9)}},
        // Arrays open levels too: the object, then 7 arrays = 8; one more = 9.
        json::object{{"eventName", "arrays8"}, {"properties", json::object{{"a", nested_arrays(7)}}}},
        json::object{{"eventName", "arrays9"}, {"properties", json::object{{"a", nested_arrays(8)}}}},
        json::object{{"eventName", "big_ok"}, {"properties", {{"s", fits}}}},
        json::object{{"eventName", "too_big"}, {"properties", {{"s", std::string(8 * 1024, 'x')}}}},
        json::object{{"eventName", "not_object"}, {"properties", "text"}},
        json::object{{"eventName", "null_props"}, {"properties", nullptr}},
    };
    auto res = ok_object(post_events(client(), {{"installId", install}}, events));
    EXPECT_EQ(res.at("accepted").as_int64(), 4);
    std::vector<std::string> fields;
    for (const auto& r : res.at("rejected").as_array()) {
        fields.emplace_back(r.at("field").as_string());
    }
    EXPECT_EQ(fields,
              (std::vector<std::string>{
                  "events[1].properties", "events[3].properties", "events[5].properties", "events[6].properties"}));
    auto stored = events_of(client(), install);
    ASSERT_EQ(stored.size(), 4u);
    EXPECT_EQ(stored[0].at("properties"), nested_objects(8));
    EXPECT_EQ(stored[2].at("properties").at("s"), json::value(fits));
    EXPECT_TRUE(stored[3].at("properties").is_null());
}

TEST_F(TelemetryClientTest, EventsBatchOf500IsAcceptedAnd501Refused) {
    std::string install = uid();
    json::array events;
    for (int i = 0; i < 501; ++i) {
        events.push_back(json::object{{"eventName", "bulk"}, {"eventId", "b-" + std::to_string(i)}});
    }
    EXPECT_TRUE(IsProblem(post_events(client(), {{"installId", install}}, events), 400, "validation", "events"));
    EXPECT_TRUE(events_of(client(), install).empty());
    events.pop_back();
    auto res = ok_object(post_events(client(), {{"installId", install}}, events));
    EXPECT_EQ(res.at("accepted").as_int64(), 500);
    EXPECT_EQ(events_of(client(), install).size(), 500u);
}

TEST_F(TelemetryClientTest, EventsBodyLimitIsOneMiBAfterDecompression) {
    std::string install = uid();
    // ~1.2 MiB of valid JSON, compressed to a few KiB.
    json::array events;
    for (int i = 0; i < 160; ++i) {
        events.push_back(json::object{{"eventName", "big"}, {"properties", {{"s", std::string(8000, 'y')}}}});
    }
    std::string body = json::serialize(json::object{{"context", {{"installId", install}}}, {"events", events}});
    ASSERT_GT(body.size(), 1024u * 1024u);
    std::string packed = test::gzip_compress(body);
    ASSERT_LT(packed.size(), 1024u * 1024u);
    EXPECT_TRUE(IsProblem(
        client().post_json("/telemetry/events", packed, {{"Content-Encoding", "gzip"}}), 413, "payload-too-large"));
    EXPECT_TRUE(events_of(client(), install).empty());

    // Just under the limit, gzip-compressed, is fine.
    events.clear();
    for (int i = 0; i < 120; ++i) {
        events.push_back(json::object{{"eventName", "big"}, {"properties", {{"s", std::string(8000, 'y')}}}});
    }
    body = json::serialize(json::object{{"context", {{"installId", install}}}, {"events", events}});
    ASSERT_LT(body.size(), 1024u * 1024u);
    auto ok =
        ok_object(client().post_json("/telemetry/events", test::gzip_compress(body), {{"Content-Encoding", "gzip"}}));
    EXPECT_EQ(ok.at("accepted").as_int64(), 120);
    // And sent as it is: well above 64 KiB, below 1 MiB.
    auto plain = ok_object(client().post_json("/telemetry/events", body));
    EXPECT_EQ(plain.at("accepted").as_int64(), 120);
    EXPECT_EQ(events_of(client(), install).size(), 240u);
}

TEST_F(TelemetryClientTest, EventsTokenSubOverridesUserId) {
    std::string install = uid(), sub = uid("sub");
    auto res = ok_object(post_events(
        client(),
        {{"installId", install}, {"userId", "body-user"}},
        json::array{json::object{{"eventName", "a"}}, json::object{{"eventName", "b"}, {"userId", "event-user"}}},
        test::bearer(user_token(sub))));
    EXPECT_EQ(res.at("accepted").as_int64(), 2);
    for (const auto& e : events_of(client(), install)) {
        EXPECT_EQ(e.at("userId"), json::value(sub));
    }
    EXPECT_TRUE(IsProblem(
        post_events(client(), {{"installId", install}}, json::array{{{"eventName", "x"}}}, test::bearer("garbage")),
        401,
        "unauthorized"));
    // A token without exp is invalid.
    auto no_exp = test::sign_jwt({{"alg", "HS256"}, {"typ", "JWT"}}, {{"sub", sub}}, kSecret);
    EXPECT_TRUE(IsProblem(
        post_events(client(), {{"installId", install}}, json::array{{{"eventName", "x"}}}, test::bearer(no_exp)),
        401,
        "unauthorized"));
    EXPECT_EQ(events_of(client(), install).size(), 2u);
}

TEST_F(TelemetryClientTest, EventsOnEventsRouteNeedJsonContentType) {
    std::string body = json::serialize(
        json::object{{"context", {{"installId", uid()}}}, {"events", json::array{{{"eventName", "x"}}}}});
    EXPECT_TRUE(IsProblem(
        client().post("/telemetry/events", body, {{"Content-Type", "text/plain"}}), 415, "unsupported-media-type"));
    EXPECT_EQ(client().post("/telemetry/events", body, {{"Content-Type", "application/vnd.beacon+json"}}).status, 200);
}

}  // namespace
}  // namespace beacon::e2e
