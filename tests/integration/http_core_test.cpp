// The HTTP layer over real sockets: request ids, keep-alive, malformed and
// oversized requests, slow clients, HEAD, Expect: 100-continue, and the
// operations endpoints (API.md "Conventions", "Operations").
#include <regex>
#include <thread>

#include "integration/e2e.hpp"

namespace beacon::e2e {
namespace {

using namespace std::chrono_literals;

const std::regex kGeneratedId(R"([A-Za-z0-9._:-]{1,128})");

class HttpCoreTest : public E2eTest {};

TEST_F(HttpCoreTest, RequestIdIsEchoedWhenValidAndReplacedOtherwise) {
    for (std::string id : {std::string("abc-123"), std::string("A.b_c:d-e"), std::string(128, 'x'), std::string("1")}) {
        auto r = client().get("/healthz", {{"X-Request-Id", id}});
        EXPECT_EQ(r.header("X-Request-Id").value_or(""), id);
        EXPECT_EQ(r.header_count("X-Request-Id"), 1u);
    }
    for (std::string id : {std::string(129, 'x'),
                           std::string("has space"),
                           std::string("semi;colon"),
                           std::string("slash/"),
                           std::string("ünï"),
                           std::string("a\"b")}) {
        auto r = client().get("/healthz", {{"X-Request-Id", id}});
        auto got = r.header("X-Request-Id");
        ASSERT_TRUE(got) << id;
        EXPECT_NE(*got, id);
        EXPECT_TRUE(std::regex_match(*got, kGeneratedId)) << *got;
    }
    // Without one: a fresh id each time.
    auto a = client().get("/healthz").header("X-Request-Id");
    auto b = client().get("/healthz").header("X-Request-Id");
    ASSERT_TRUE(a && b);
    EXPECT_NE(*a, *b);
    EXPECT_TRUE(std::regex_match(*a, kGeneratedId));
}

TEST_F(HttpCoreTest, EveryResponseCarriesARequestId) {
    std::vector<HttpResponse> responses{
        client().get("/healthz"),
        client().get("/nope"),
        client().post("/telemetry/online", ""),
        client().get("/admin/jobs"),
        client().get("/admin/jobs", test::bearer(user_token("u"))),
        client().post_json("/telemetry/heartbeat", "{"),
        client().post_json("/telemetry/heartbeat", "{}"),
        client().post("/telemetry/heartbeat", "{}", {{"Content-Type", "text/plain"}}),
        client().post_json("/telemetry/heartbeat", std::string(5000, ' ')),
        client().head("/healthz"),
    };
    for (const auto& r : responses) {
        EXPECT_EQ(r.header_count("X-Request-Id"), 1u) << r.describe();
    }
    RawConnection bad(shared().port());
    ASSERT_TRUE(bad.send("NOT A REQUEST\r\n\r\n"));
    auto r = bad.read_response(5s);
    ASSERT_TRUE(r) << bad.error();
    EXPECT_TRUE(r->header("X-Request-Id"));
}

TEST_F(HttpCoreTest, KeepAliveServesManyRequestsOnOneConnection) {
    HttpClient c(shared().port());
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(c.get("/healthz").status, 200);
        EXPECT_EQ(heartbeat(c, {{"installId", uid()}}).status, 200);
        EXPECT_EQ(c.get("/telemetry/online").status, 200);
        EXPECT_EQ(c.get("/nope").status, 404);  // errors without a body keep the connection
        EXPECT_TRUE(IsProblem(c.post_json("/telemetry/heartbeat", "{\"installId\":1}"), 400, "validation"));
    }
    EXPECT_EQ(c.connections_opened(), 1);

    // Two requests in one write (pipelined): two responses, in order.
    RawConnection raw(shared().port());
    ASSERT_TRUE(
        raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: first\r\n\r\n"
                 "GET /nope HTTP/1.1\r\nHost: x\r\nX-Request-Id: second\r\n\r\n"));
    auto r1 = raw.read_response(5s);
    auto r2 = raw.read_response(5s);
    ASSERT_TRUE(r1 && r2) << raw.error();
    EXPECT_EQ(r1->status, 200);
    EXPECT_EQ(r1->header("X-Request-Id").value_or(""), "first");
    EXPECT_EQ(r2->status, 404);
    EXPECT_EQ(r2->header("X-Request-Id").value_or(""), "second");

    // Connection: close is honoured.
    RawConnection closing(shared().port());
    ASSERT_TRUE(closing.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    auto r3 = closing.read_response(5s);
    ASSERT_TRUE(r3) << closing.error();
    EXPECT_FALSE(r3->keep_alive);
    EXPECT_TRUE(closing.wait_closed(5s));

    // HTTP/1.0 without keep-alive: one request.
    RawConnection old(shared().port());
    ASSERT_TRUE(old.send("GET /healthz HTTP/1.0\r\n\r\n"));
    auto r4 = old.read_response(5s);
    ASSERT_TRUE(r4) << old.error();
    EXPECT_EQ(r4->status, 200);
    EXPECT_TRUE(old.wait_closed(5s));
}

TEST_F(HttpCoreTest, OversizedHeadersGet431AndTheConnectionIsClosed) {
    RawConnection conn(shared().port());
    ASSERT_TRUE(conn.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'b') + "\r\n\r\n"));
    auto r = conn.read_response(5s);
    ASSERT_TRUE(r) << conn.error();
    EXPECT_TRUE(IsProblem(*r, 431, "request-header-fields-too-large"));
    EXPECT_TRUE(r->header("X-Request-Id"));
    EXPECT_TRUE(conn.wait_closed(5s));

    // Many small headers arriving in pieces add up past 8 KiB too.
    auto dribble = [&](int headers) {
        RawConnection conn(shared().port());
        EXPECT_TRUE(conn.send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
        for (int i = 0; i < headers; ++i) {
            if (!conn.send("X-H" + std::to_string(1000 + i) + ": " + std::string(40, 'v') + "\r\n")) {
                break;  // the server gave up on us already
            }
            if (i % 20 == 19) {
                std::this_thread::sleep_for(5ms);
            }
        }
        (void)conn.send("\r\n");
        auto res = conn.read_response(5s);
        EXPECT_TRUE(res) << conn.error();
        return res ? res->status : 0;
    };
    EXPECT_EQ(dribble(200), 431) << "about 10 KiB of headers in small pieces";
    EXPECT_EQ(dribble(140), 200) << "about 7 KiB of headers in small pieces";

    // Just under the limit is fine.
    EXPECT_EQ(client().get("/healthz", {{"X-Big", std::string(7000, 'b')}}).status, 200);
}

TEST_F(HttpCoreTest, MalformedRequestsGet400AndTheServerCarriesOn) {
    for (std::string bad : {std::string("GARBAGE\r\n\r\n"),
                            std::string("GET /healthz HTTP/9.9\r\n\r\n"),
                            std::string("GET  HTTP/1.1\r\nHost: x\r\n\r\n"),
                            std::string("GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n"),
                            std::string("GET /healthz HTTP/1.1\r\nContent-Length: abc\r\n\r\n")}) {
        RawConnection conn(shared().port());
        ASSERT_TRUE(conn.send(bad));
        auto r = conn.read_response(5s);
        ASSERT_TRUE(r) << bad << ": " << conn.error();
        EXPECT_TRUE(IsProblem(*r, 400, "validation")) << bad;
        EXPECT_TRUE(conn.wait_closed(5s)) << bad;
    }
    // A target that is not a path: 400 (the message itself is well-formed).
    {
        RawConnection conn(shared().port());
        ASSERT_TRUE(conn.send("GET nope HTTP/1.1\r\nHost: x\r\n\r\n"));
        auto r = conn.read_response(5s);
        ASSERT_TRUE(r) << conn.error();
        EXPECT_TRUE(IsProblem(*r, 400, "validation"));
    }
    // A request line that ends the connection early: the server just closes.
    {
        RawConnection conn(shared().port());
        ASSERT_TRUE(conn.send("GET /heal"));
        conn.close();
    }
    EXPECT_EQ(client().get("/healthz").status, 200);
}

TEST_F(HttpCoreTest, HeadOnGetRoutesHasContentLengthAndNoBody) {
    for (const char* path : {"/healthz", "/telemetry/online", "/readyz", "/metrics"}) {
        auto get = client().get(path);
        ASSERT_EQ(get.status, 200) << path;
        RawConnection conn(shared().port());
        ASSERT_TRUE(conn.send(std::string("HEAD ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
        auto head = conn.read_response(5s, /*head_request=*/true);
        ASSERT_TRUE(head) << conn.error();
        EXPECT_EQ(head->status, 200) << path;
        EXPECT_TRUE(head->body.empty());
        auto len = head->header("Content-Length");
        ASSERT_TRUE(len) << path;
        if (std::string(path) == "/healthz" || std::string(path) == "/readyz") {
            EXPECT_EQ(std::stoul(*len), get.body.size()) << path;
        } else {
            EXPECT_GT(std::stoul(*len), 0u) << path;
        }
        EXPECT_EQ(head->header("Content-Type"), get.header("Content-Type"));
        // No body bytes follow: the next response on the connection parses cleanly.
        ASSERT_TRUE(conn.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: after-head\r\n\r\n"));
        auto next = conn.read_response(5s);
        ASSERT_TRUE(next) << conn.error();
        EXPECT_EQ(next->status, 200);
        EXPECT_EQ(next->header("X-Request-Id").value_or(""), "after-head");
        EXPECT_EQ(ok_object(*next).at("status"), "ok");
    }
    // HEAD of an admin route still needs the token.
    EXPECT_EQ(client().head("/admin/jobs").status, 401);
    EXPECT_EQ(client().head("/admin/jobs", admin()).status, 200);
}

TEST_F(HttpCoreTest, ExpectContinueIsHonoured) {
    std::string body = json::serialize(json::object{{"installId", uid()}});
    RawConnection conn(shared().port());
    ASSERT_TRUE(
        conn.send("POST /telemetry/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Expect: 100-continue\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n"));
    auto interim = conn.read_response(5s);
    ASSERT_TRUE(interim) << conn.error();
    EXPECT_EQ(interim->status, 100);
    ASSERT_TRUE(conn.send(body));
    auto final_response = conn.read_response(5s);
    ASSERT_TRUE(final_response) << conn.error();
    EXPECT_EQ(final_response->status, 200) << final_response->describe();

    // Refused up front: no 100, straight to 413.
    RawConnection big(shared().port());
    ASSERT_TRUE(
        big.send("POST /telemetry/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 "Expect: 100-continue\r\nContent-Length: 100000\r\n\r\n"));
    auto refused = big.read_response(5s);
    ASSERT_TRUE(refused) << big.error();
    EXPECT_TRUE(IsProblem(*refused, 413, "payload-too-large"));
}

// The suite is registered twice (e2e.hpp); this guards against a production
// registration that silently runs on the embedded default. The startup line
// names each backend (app/config.cpp describe()).
TEST_F(HttpCoreTest, ServesOnTheBackendsOfItsRegistration) {
    std::string log = shared().process().log();
    if (production_mode()) {
        EXPECT_NE(log.find(" database=postgres://"), std::string::npos) << log;
        EXPECT_NE(log.find(" presence=redis://"), std::string::npos) << log;
        EXPECT_NE(log.find(" prefix=beacon_e2e-"), std::string::npos) << log;
    } else {
        EXPECT_NE(log.find(" database=embedded-sqlite"), std::string::npos) << log;
        EXPECT_NE(log.find(" presence=in-process"), std::string::npos) << log;
    }
}

TEST_F(HttpCoreTest, HealthAndReadiness) {
    auto h = client().get("/healthz");
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(ok_object(h).at("status"), "ok");
    auto r = client().get("/readyz");
    auto body = ok_object(r);
    EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json") << "not a problem document";
    EXPECT_EQ(body.at("status"), "ready");
    EXPECT_EQ(body.at("checks").at("database"), "ok");
    EXPECT_EQ(body.at("checks").at("presence"), "ok");
    // Public: a token (even a bad one) is ignored.
    EXPECT_EQ(client().get("/healthz", test::bearer("garbage")).status, 200);
    EXPECT_EQ(client().get("/readyz", test::bearer("garbage")).status, 200);
    EXPECT_EQ(client().get("/telemetry/online", test::bearer("garbage")).status, 200);
}

TEST_F(HttpCoreTest, MetricsExposeTheRequiredFamilies) {
    auto& server = dedicated();
    auto c = server.client();
    ASSERT_EQ(heartbeat(c, {{"installId", "metrics-1"}}).status, 200);
    ASSERT_EQ(post_events(c,
                          {{"installId", "metrics-1"}},
                          json::array{{{"eventName", "a"}, {"eventId", "m-1"}},
                                      {{"eventName", "a"}, {"eventId", "m-1"}},
                                      {{"eventName", "bad name"}}})
                  .status,
              200);
    ASSERT_EQ(c.post("/admin/jobs/rolling-dau/run", "", admin()).status, 200);
    ASSERT_EQ(c.get("/nope").status, 404);
    auto m = c.get("/metrics");
    ASSERT_EQ(m.status, 200);
    EXPECT_TRUE(m.header("Content-Type").value_or("").starts_with("text/plain")) << m.describe();
    const std::string& text = m.body;
    for (const char* needle : {
             "beacon_http_requests_total{route=\"/telemetry/heartbeat\",method=\"POST\",status=\"200\"} 1",
             "beacon_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1",
             "# TYPE beacon_http_request_duration_seconds histogram",
             "beacon_http_request_duration_seconds_bucket{route=\"/telemetry/heartbeat\",le=\"+Inf\"} 1",
             "beacon_http_request_duration_seconds_count{route=\"/telemetry/events\"} 1",
             "beacon_http_request_duration_seconds_sum{route=\"/telemetry/events\"}",
             "beacon_events_total{result=\"accepted\"} 1",
             "beacon_events_total{result=\"duplicate\"} 1",
             "beacon_events_total{result=\"rejected\"} 1",
             "beacon_heartbeats_total 1",
             "# TYPE beacon_online gauge",
             "beacon_online 1",
             "beacon_job_runs_total{job=\"rolling-dau\",result=\"ok\"} ",
             "# TYPE beacon_backend_errors_total counter",
         }) {
        EXPECT_NE(text.find(needle), std::string::npos) << "missing: " << needle << "\n" << text;
    }
    // Every sample line is `name{labels} value` or `name value`.
    std::regex line(R"(([a-z_]+)(\{.*\})? [0-9.eE+-]+(Inf)?)");
    std::size_t start = 0;
    int checked = 0;
    while (start < text.size() && checked < 10000) {
        auto end = text.find('\n', start);
        std::string l = text.substr(start, end - start);
        start = end == std::string::npos ? text.size() : end + 1;
        ++checked;
        if (l.empty() || l[0] == '#') {
            continue;
        }
        EXPECT_TRUE(std::regex_match(l, line)) << l;
    }
}

TEST_F(HttpCoreTest, SlowHeadersAreCutOffWhileOthersAreServed) {
    auto started = std::chrono::steady_clock::now();
    RawConnection slow(shared().port());
    ASSERT_TRUE(slow.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Partial: "));
    // Meanwhile the server keeps serving other clients.
    HttpClient other(shared().port());
    bool closed = false;
    for (int i = 0; i < 60 && !closed; ++i) {
        EXPECT_EQ(other.get("/healthz").status, 200);
        closed = slow.wait_closed(500ms);
        if (std::chrono::steady_clock::now() - started > 25s) {
            break;
        }
    }
    auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_TRUE(closed) << "a client that never finishes its headers must be disconnected";
    EXPECT_GE(elapsed, 13s) << "the header timeout is 15 s";
    EXPECT_LE(elapsed, 25s);
    EXPECT_EQ(client().get("/healthz").status, 200);
}

}  // namespace
}  // namespace beacon::e2e
