// Abuse limits on the real binary (issue 14, "Abuse limits"; API.md "Rate
// limits"): the per-client rate limit and its 429, the probes it never
// touches, X-Forwarded-For from trusted proxies only, the per-address
// connection cap, the security headers on every kind of response, CORS, the
// framing faults that could smuggle a request, and the settings that refuse
// to start. Every request here comes from 127.0.0.1; the suite's other
// servers run with BEACON_RATE_LIMIT=0 (e2e.cpp), these set their own small
// limits. The limits use a rate of one request per 100 s, so that no test
// depends on how fast it runs: a token never comes back within one.
#include <thread>

#include "integration/e2e.hpp"

namespace beacon::e2e {
namespace {

using namespace std::chrono_literals;

class AbuseLimitsTest : public E2eTest {};

constexpr char kCheck[] = "/app/version/check?platform=android&current_version_code=1";

TEST_F(AbuseLimitsTest, BeyondTheBurstAClientGets429RateLimitedWithRetryAfter) {
    auto& s = dedicated({}, {{"BEACON_RATE_LIMIT", "0.01/3"}});
    HttpClient c = s.client();
    for (int i = 0; i < 3; ++i) {
        auto r = c.get(kCheck);
        EXPECT_EQ(r.status, 200) << i << r.describe();
    }
    auto r = c.get(kCheck);
    EXPECT_TRUE(IsProblem(r, 429, "rate-limited")) << r.describe();
    auto retry = r.header("Retry-After");
    ASSERT_TRUE(retry) << r.describe();
    int seconds = std::stoi(*retry);
    EXPECT_GE(seconds, 1);
    EXPECT_LE(seconds, 100);
    EXPECT_EQ(std::to_string(seconds), *retry) << "integer seconds";
    EXPECT_TRUE(r.header("X-Request-Id"));
    EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
    // Every public route and unknown paths share the client's bucket.
    EXPECT_TRUE(
        IsProblem(c.post_json("/telemetry/heartbeat", json::object{{"installId", uid()}}), 429, "rate-limited"));
    EXPECT_EQ(c.get("/no-such-path").status, 429);
    // The probes are never limited, and /metrics counts the 429s.
    for (int i = 0; i < 30; ++i) {
        ASSERT_EQ(c.get("/healthz").status, 200) << i;
        ASSERT_EQ(c.get("/readyz").status, 200) << i;
        ASSERT_EQ(c.get("/metrics").status, 200) << i;
    }
    auto m = c.get("/metrics");
    EXPECT_NE(m.body.find("beacon_http_rate_limited_total 3\n"), std::string::npos) << m.body;
    EXPECT_NE(m.body.find("status=\"429\""), std::string::npos);
}

TEST_F(AbuseLimitsTest, AnAdminTokenIsNotLimitedButAnonymousAdminCallsAre) {
    auto& s = dedicated({}, {{"BEACON_RATE_LIMIT", "0.01/2"}});
    HttpClient c = s.client();
    for (int i = 0; i < 10; ++i) {
        ASSERT_EQ(c.get("/admin/versions", admin()).status, 200) << i;
    }
    EXPECT_EQ(c.get(kCheck).status, 200) << "the admin's calls spent none of the address's tokens";
    EXPECT_EQ(c.get("/admin/versions").status, 401);
    EXPECT_TRUE(IsProblem(c.get("/admin/versions"), 429, "rate-limited")) << "guessing tokens is limited";
    EXPECT_EQ(c.get("/admin/versions", admin()).status, 200);
}

TEST_F(AbuseLimitsTest, ARateAloneBurstsToTwiceTheRateAndZeroIsOff) {
    // The first 2 × rate requests pass however fast they come.
    auto& limited = dedicated({}, {{"BEACON_RATE_LIMIT", "50"}});
    HttpClient c = limited.client();
    for (int i = 0; i < 100; ++i) {
        ASSERT_EQ(c.get("/no-such-path").status, 404) << i;
    }
    auto& off = dedicated({}, {{"BEACON_RATE_LIMIT", "0"}});
    HttpClient o = off.client();
    for (int i = 0; i < 1000; ++i) {
        ASSERT_EQ(o.get("/no-such-path").status, 404) << i;
    }
    EXPECT_NE(off.process().log().find("rate limit off"), std::string::npos);
}

TEST_F(AbuseLimitsTest, XForwardedForCountsOnlyFromTrustedProxies) {
    // 127.0.0.1 is not trusted: what it writes in the header changes nothing.
    auto& direct = dedicated({}, {{"BEACON_RATE_LIMIT", "0.01/2"}, {"BEACON_TRUSTED_PROXIES", "10.0.0.0/8"}});
    HttpClient d = direct.client();
    EXPECT_EQ(d.get(kCheck, {{"X-Forwarded-For", "203.0.113.1"}}).status, 200);
    EXPECT_EQ(d.get(kCheck, {{"X-Forwarded-For", "203.0.113.2"}}).status, 200);
    EXPECT_EQ(d.get(kCheck, {{"X-Forwarded-For", "203.0.113.3"}}).status, 429);

    // Behind a trusted proxy (here 127.0.0.1 itself), each forwarded client
    // has its own bucket: the rightmost address that is not a proxy.
    auto& proxied = dedicated({}, {{"BEACON_RATE_LIMIT", "0.01/2"}, {"BEACON_TRUSTED_PROXIES", "127.0.0.0/8, ::1"}});
    HttpClient p = proxied.client();
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(p.get(kCheck, {{"X-Forwarded-For", "203.0.113.1"}}).status, 200);
    }
    EXPECT_EQ(p.get(kCheck, {{"X-Forwarded-For", "6.6.6.6, 203.0.113.1"}}).status, 429)
        << "a client cannot reset its bucket by prepending addresses";
    EXPECT_EQ(p.get(kCheck, {{"X-Forwarded-For", "203.0.113.2, 127.0.0.5"}}).status, 200);
    EXPECT_EQ(p.get(kCheck, {{"X-Forwarded-For", "2001:db8::1"}}).status, 200);
    EXPECT_EQ(p.get(kCheck, {{"X-Forwarded-For", "2001:db8::2"}}).status, 200);
    EXPECT_EQ(p.get(kCheck, {{"X-Forwarded-For", "2001:db8::3"}}).status, 429) << "IPv6 counts by its /64";
}

TEST_F(AbuseLimitsTest, ConnectionsBeyondThePerAddressCapAreClosedAndTheOpenOnesServed) {
    auto& s = dedicated({}, {{"BEACON_MAX_CONNECTIONS_PER_IP", "3"}, {"BEACON_FIRST_BYTE_TIMEOUT", "60s"}});
    std::vector<std::unique_ptr<RawConnection>> open;
    for (int i = 0; i < 3; ++i) {
        open.push_back(std::make_unique<RawConnection>(s.port()));
        ASSERT_TRUE(open.back()->connected());
    }
    std::this_thread::sleep_for(300ms);
    RawConnection extra(s.port());
    EXPECT_TRUE(extra.wait_closed(3s)) << "the fourth connection from one address is closed at once";
    ASSERT_TRUE(open[2]->send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto m = open[2]->read_response(5s);
    ASSERT_TRUE(m) << open[2]->error();
    EXPECT_EQ(m->status, 200);
    EXPECT_NE(m->body.find("beacon_http_connections_refused_total{reason=\"per_ip\"} 1"), std::string::npos) << m->body;
    EXPECT_NE(m->body.find("beacon_http_open_connections 3"), std::string::npos);
    EXPECT_NE(s.process().log().find("at most 3 connections per address"), std::string::npos);
}

TEST_F(AbuseLimitsTest, EveryKindOfResponseCarriesTheSecurityHeaders) {
    HttpClient& c = client();
    auto plain = [](const HttpResponse& r) { return r.header("X-Content-Type-Options") == "nosniff"; };
    auto admin_headers = [](const HttpResponse& r) {
        return r.header("Cache-Control") == "no-store" &&
               r.header("Content-Security-Policy") == "frame-ancestors 'none'";
    };
    for (const auto& r : {c.get("/healthz"),
                          c.get("/metrics"),
                          c.get(kCheck),
                          c.get("/no-such-path"),
                          c.post_json("/telemetry/heartbeat", std::string("{")),
                          c.post_json("/telemetry/heartbeat", json::object{{"installId", "x"}}),
                          c.request({.method = "DELETE", .target = "/healthz"})}) {
        EXPECT_TRUE(plain(r)) << r.describe();
        EXPECT_FALSE(r.header("Content-Security-Policy")) << r.describe();
        EXPECT_FALSE(r.header("Access-Control-Allow-Origin")) << "CORS is off by default: " << r.describe();
    }
    for (const auto& r : {c.get("/admin/versions", admin()),
                          c.get("/admin/versions"),
                          c.get("/admin/no-such-path"),
                          c.get("/admin/versions", test::bearer(user_token("u")))}) {
        EXPECT_TRUE(plain(r)) << r.describe();
        EXPECT_TRUE(admin_headers(r)) << r.describe();
    }
    // A request that does not even parse.
    RawConnection raw(shared().port());
    ASSERT_TRUE(raw.send("NOT HTTP\r\n\r\n"));
    auto bad = raw.read_response(5s);
    ASSERT_TRUE(bad) << raw.error();
    EXPECT_EQ(bad->status, 400);
    EXPECT_TRUE(plain(*bad)) << bad->describe();
}

TEST_F(AbuseLimitsTest, CorsAnswersOnlyTheListedOrigins) {
    auto& s = dedicated({}, {{"BEACON_CORS_ORIGINS", "https://console.example.com, http://localhost:5173"}});
    HttpClient c = s.client();
    auto pre = c.request({.method = "OPTIONS",
                          .target = "/admin/versions/abc",
                          .headers = {{"Origin", "https://console.example.com"},
                                      {"Access-Control-Request-Method", "PATCH"},
                                      {"Access-Control-Request-Headers", "authorization, if-match, content-type"}}});
    EXPECT_EQ(pre.status, 204) << pre.describe();
    EXPECT_EQ(pre.header("Access-Control-Allow-Origin"), "https://console.example.com");
    auto methods = pre.header("Access-Control-Allow-Methods").value_or("");
    EXPECT_NE(methods.find("PATCH"), std::string::npos) << methods;
    auto headers = pre.header("Access-Control-Allow-Headers").value_or("");
    for (std::string_view h : {"Authorization", "Content-Type", "If-Match", "If-None-Match"}) {
        EXPECT_NE(headers.find(h), std::string::npos) << h << " in " << headers;
    }
    EXPECT_TRUE(pre.header("Access-Control-Max-Age"));
    EXPECT_EQ(pre.header("Vary"), "Origin");
    EXPECT_FALSE(pre.header("Access-Control-Allow-Credentials"));

    auto actual = c.get("/admin/versions", [&] {
        auto h = admin();
        h.emplace_back("Origin", "http://localhost:5173");
        return h;
    }());
    EXPECT_EQ(actual.status, 200);
    EXPECT_EQ(actual.header("Access-Control-Allow-Origin"), "http://localhost:5173");
    EXPECT_EQ(actual.header("Vary"), "Origin");

    auto foreign =
        c.request({.method = "OPTIONS",
                   .target = "/admin/versions",
                   .headers = {{"Origin", "https://evil.example.com"}, {"Access-Control-Request-Method", "GET"}}});
    EXPECT_EQ(foreign.status, 405);
    EXPECT_FALSE(foreign.header("Access-Control-Allow-Origin"));
    auto foreign_get = c.get(kCheck, {{"Origin", "https://evil.example.com"}});
    EXPECT_FALSE(foreign_get.header("Access-Control-Allow-Origin"));
    EXPECT_EQ(foreign_get.header("Vary"), "Origin");

    // Off (the shared server): a preflight is an OPTIONS like any other.
    auto off = client().request(
        {.method = "OPTIONS",
         .target = "/admin/versions",
         .headers = {{"Origin", "https://console.example.com"}, {"Access-Control-Request-Method", "GET"}}});
    EXPECT_EQ(off.status, 405);
    EXPECT_FALSE(off.header("Access-Control-Allow-Origin"));
}

TEST_F(AbuseLimitsTest, FramingThatCouldSmuggleARequestIsA400AndClosesTheConnection) {
    const std::string smuggled = "GET /admin/jobs HTTP/1.1\r\nHost: x\r\n\r\n";
    for (std::string framing : {"Transfer-Encoding: chunked\r\nContent-Length: 2\r\n",
                                "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
                                "Content-Length: 2\r\nContent-Length: 3\r\n",
                                "Content-Length: 2, 3\r\n"}) {
        RawConnection conn(shared().port());
        ASSERT_TRUE(conn.send("POST /telemetry/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
                              framing + "\r\n{}" + smuggled));
        auto r = conn.read_response(5s);
        ASSERT_TRUE(r) << framing << ": " << conn.error();
        EXPECT_EQ(r->status, 400) << framing << " " << r->describe();
        EXPECT_FALSE(r->keep_alive) << framing;
        EXPECT_TRUE(conn.wait_closed(10s)) << framing;
        EXPECT_EQ(conn.pending().find("HTTP/1.1 401"), std::string::npos) << framing << ": the body ran as a request";
    }
    for (std::string chunks : {"zz\r\n{}\r\n0\r\n\r\n",
                               "-2\r\n{}\r\n0\r\n\r\n",
                               "fffffffffffffffff2\r\n{}\r\n0\r\n\r\n",
                               "2 2\r\n{}\r\n0\r\n\r\n"}) {
        RawConnection conn(shared().port());
        ASSERT_TRUE(
            conn.send("POST /telemetry/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n" +
                      chunks + smuggled));
        auto r = conn.read_response(5s);
        ASSERT_TRUE(r) << chunks << ": " << conn.error();
        EXPECT_EQ(r->status, 400) << chunks << " " << r->describe();
        EXPECT_FALSE(r->keep_alive) << chunks;
        EXPECT_TRUE(conn.wait_closed(10s)) << chunks;
        EXPECT_EQ(conn.pending().find("HTTP/1.1 401"), std::string::npos) << chunks << ": the body ran as a request";
    }
}

TEST_F(AbuseLimitsTest, BadSettingsStopTheStartNamingTheSetting) {
    for (const auto& [name, value] :
         std::vector<std::pair<std::string, std::string>>{{"BEACON_RATE_LIMIT", "fast"},
                                                          {"BEACON_RATE_LIMIT", "200/0"},
                                                          {"BEACON_TRUSTED_PROXIES", "10.0.0.0/33"},
                                                          {"BEACON_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal"},
                                                          {"BEACON_MAX_CONNECTIONS_PER_IP", "-1"},
                                                          {"BEACON_CORS_ORIGINS", "*"}}) {
        test::TempDir dir;
        auto r = test::run_command(beacon_binary(),
                                   {"serve", "--listen", "127.0.0.1:0", "--data-dir", (dir.path() / "d").string()},
                                   {{"BEACON_JWT_SECRET", kSecret}, {name, value}});
        EXPECT_NE(r.exit_code, 0) << name << "=" << value;
        EXPECT_NE((r.out + r.err).find(name + ":"), std::string::npos) << name << "=" << value << "\n"
                                                                       << r.out << r.err;
    }
}

}  // namespace
}  // namespace beacon::e2e
