// What a hostile or careless client meets at the edges of the HTTP layer, on
// the real binary: bodies sent to routes that take none, framing that could
// smuggle a request, declared lengths no one could buffer, tokens on client
// routes, connection and descriptor limits (issue 9; API.md "Version 1.1
// additions", "Edges that every client meets"). The byte-level rules are also
// covered in process by tests/unit/http/server_test.cpp.
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include <regex>
#include <thread>

#include "integration/e2e.hpp"

namespace beacon::e2e {
namespace {

using namespace std::chrono_literals;

class HttpEdgesTest : public E2eTest {};

// Counts the lines of `log` that contain `needle`.
std::size_t count_lines(const std::string& log, std::string_view needle) {
    std::size_t n = 0;
    for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + needle.size())) {
        ++n;
    }
    return n;
}

// The server's log once it holds `needle` (log lines may reach the file a
// little after the port file), or as it is after `timeout`.
std::string log_with(Server& s, std::string_view needle, std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string log = s.process().log();
    while (log.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
        log = s.process().log();
    }
    return log;
}

TEST_F(HttpEdgesTest, EveryRouteWithoutABodyRefusesADeclaredOneBeforeReadingIt) {
    for (const char* target : {"/healthz",
                               "/readyz",
                               "/metrics",
                               "/telemetry/online",
                               "/app/version/check?platform=android&current_version_code=1",
                               "/files/android/0000000000000000000000000000000000000000000000000000000000000000.apk"
                               "?expires=1&sig=00",
                               "/admin/jobs"}) {
        RawConnection conn(shared().port());
        std::string auth =
            std::string(target) == "/admin/jobs" ? "Authorization: Bearer " + admin_token() + "\r\n" : "";
        // 400 MiB declared, none of it sent: the answer must not wait for it.
        ASSERT_TRUE(conn.send(std::string("GET ") + target + " HTTP/1.1\r\nHost: x\r\n" + auth +
                              "Content-Length: 419430400\r\n\r\n"));
        auto r = conn.read_response(5s);
        ASSERT_TRUE(r) << target << ": " << conn.error();
        EXPECT_TRUE(IsProblem(*r, 413, "payload-too-large")) << target << " " << r->describe();
        EXPECT_FALSE(r->keep_alive) << target;
    }
}

TEST_F(HttpEdgesTest, AnImpossibleContentLengthIsA413NotA500AndNothingFollowsOnTheConnection) {
    RawConnection conn(shared().port());
    ASSERT_TRUE(
        conn.send("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000000\r\n\r\n"
                  "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = conn.read_response(5s);
    ASSERT_TRUE(r) << conn.error();
    EXPECT_TRUE(IsProblem(*r, 413, "payload-too-large")) << r->describe();
    EXPECT_TRUE(conn.wait_closed(10s));
    EXPECT_EQ(conn.pending().find("HTTP/1.1 200"), std::string::npos) << "the body was served as a request";
    EXPECT_EQ(client().get("/healthz").status, 200);
}

TEST_F(HttpEdgesTest, TransferEncodingThatIsNotChunkedLastIsRefusedAndTheBodyIsNeverARequest) {
    const std::string smuggled = "GET /admin/jobs HTTP/1.1\r\nHost: x\r\n\r\n";
    for (std::string te : {"xchunked", "gzip", "identity", "chunked, identity"}) {
        RawConnection conn(shared().port());
        ASSERT_TRUE(
            conn.send("POST /telemetry/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Transfer-Encoding: " +
                      te + "\r\n\r\n" + smuggled));
        auto r = conn.read_response(5s);
        ASSERT_TRUE(r) << te << ": " << conn.error();
        EXPECT_TRUE(IsProblem(*r, 400, "validation")) << te << " " << r->describe();
        EXPECT_TRUE(conn.wait_closed(10s)) << te;
        EXPECT_EQ(conn.pending().find("HTTP/1.1 401"), std::string::npos) << te << ": the body ran as a request";
    }
    for (std::string framing :
         {"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n", "Content-Length: 2\r\nContent-Length: 3\r\n"}) {
        RawConnection conn(shared().port());
        ASSERT_TRUE(conn.send("POST /telemetry/heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
                              framing + "\r\n{}"));
        auto r = conn.read_response(5s);
        ASSERT_TRUE(r) << framing << ": " << conn.error();
        EXPECT_TRUE(IsProblem(*r, 400, "validation")) << framing << " " << r->describe();
        EXPECT_TRUE(conn.wait_closed(10s)) << framing;
    }
}

TEST_F(HttpEdgesTest, AClientThatSendsItsWholeOversizedBatchBeforeReadingSeesThe413) {
    // What a mobile SDK does: write the whole batch, then read the answer.
    std::string body = "{\"context\":{\"installId\":\"" + uid() + "\"},\"events\":[";
    while (body.size() < 2 * 1024 * 1024) {
        body += "{\"eventName\":\"page_view\",\"properties\":{\"p\":\"" + std::string(200, 'x') + "\"}},";
    }
    body.back() = ']';
    body += "}";
    for (int attempt = 0; attempt < 3; ++attempt) {
        RawConnection conn(shared().port());
        ASSERT_TRUE(
            conn.send("POST /telemetry/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Content-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body))
            << conn.error();
        auto r = conn.read_response(10s);
        ASSERT_TRUE(r) << "attempt " << attempt << ": " << conn.error();
        EXPECT_TRUE(IsProblem(*r, 413, "payload-too-large")) << r->describe();
    }
}

TEST_F(HttpEdgesTest, TheHeaderLimitCountsTheBytesOfTheFirstReadToo) {
    // 12,000 bytes of small fields in one write: the first read used to go uncounted.
    std::string fields;
    for (int i = 0; fields.size() < 12000; ++i) {
        fields += "X-F" + std::to_string(1000 + i) + ": " + std::string(40, 'v') + "\r\n";
    }
    RawConnection conn(shared().port());
    ASSERT_TRUE(conn.send("GET /healthz HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n"));
    auto r = conn.read_response(5s);
    ASSERT_TRUE(r) << conn.error();
    EXPECT_TRUE(IsProblem(*r, 431, "request-header-fields-too-large")) << r->describe();
    EXPECT_NE(std::string(r->json().at("detail").as_string()).find("8192 bytes"), std::string::npos);
}

TEST_F(HttpEdgesTest, AnInvalidBearerTokenIsA401OnEveryClientRoute) {
    auto bad = test::bearer("not.a.token");
    auto hb = heartbeat(client(), {{"installId", uid()}}, bad);
    EXPECT_TRUE(IsProblem(hb, 401, "unauthorized")) << hb.describe();
    auto ev = post_events(client(), {{"installId", uid()}}, json::array{{{"eventName", "a"}}}, bad);
    EXPECT_TRUE(IsProblem(ev, 401, "unauthorized")) << ev.describe();
    auto check = client().get("/app/version/check?platform=android&current_version_code=1", bad);
    EXPECT_TRUE(IsProblem(check, 401, "unauthorized")) << check.describe();
    // The detail says what is wrong once.
    auto detail = std::string(check.json().at("detail").as_string());
    EXPECT_EQ(detail.find("invalid token: invalid token"), std::string::npos) << detail;
    EXPECT_TRUE(detail.starts_with("invalid token")) << detail;
    // Without a token the update check is public as before.
    EXPECT_EQ(client().get("/app/version/check?platform=android&current_version_code=1").status, 200);
}

TEST_F(HttpEdgesTest, TheConnectionCapIsASettingAndTheOpenConnectionsKeepBeingServed) {
    auto& server = dedicated({},
                             {{"BEACON_MAX_CONNECTIONS", "8"},
                              {"BEACON_MAX_CONNECTIONS_PER_IP", "8"},
                              {"BEACON_FIRST_BYTE_TIMEOUT", "60s"}});
    EXPECT_NE(log_with(server, "at most 8 connections").find("at most 8 connections"), std::string::npos);
    std::vector<std::unique_ptr<RawConnection>> open;
    for (int i = 0; i < 8; ++i) {
        open.push_back(std::make_unique<RawConnection>(server.port()));
    }
    std::this_thread::sleep_for(300ms);
    RawConnection extra(server.port());
    EXPECT_TRUE(extra.wait_closed(3s));
    ASSERT_TRUE(open[3]->send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto m = open[3]->read_response(5s);
    ASSERT_TRUE(m) << open[3]->error();
    EXPECT_NE(m->body.find("beacon_http_connections_refused_total{reason=\"limit\"} "), std::string::npos) << m->body;
    EXPECT_NE(m->body.find("beacon_http_open_connections 8"), std::string::npos);
}

TEST_F(HttpEdgesTest, ASilentNewConnectionIsClosedAfterTheFirstByteTimeout) {
    auto& server = dedicated({}, {{"BEACON_FIRST_BYTE_TIMEOUT", "2s"}});
    RawConnection silent(server.port());
    auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE(silent.wait_closed(10s));
    auto took = std::chrono::steady_clock::now() - started;
    EXPECT_GE(took, 1500ms);
    EXPECT_LT(took, 8s);
}

// Out of descriptors, the server neither spins on accept nor floods its log,
// and it serves again once descriptors are free.
TEST_F(HttpEdgesTest, RunningOutOfDescriptorsIsSurvivedQuietly) {
    auto s = launch({}, {{"BEACON_MAX_CONNECTIONS", "1000"}, {"BEACON_FIRST_BYTE_TIMEOUT", "60s"}});
    ASSERT_TRUE(s);
    // A connection cap above what the descriptors allow, so that accept
    // itself runs out once the running server's limit is lowered to 96.
    rlimit low{96, 96};
    ASSERT_EQ(prlimit(s->process().pid(), RLIMIT_NOFILE, &low, nullptr), 0) << std::strerror(errno);
    std::vector<std::unique_ptr<RawConnection>> open;
    for (int i = 0; i < 150; ++i) {
        auto c = std::make_unique<RawConnection>(s->port());
        if (!c->connected()) {
            break;
        }
        open.push_back(std::move(c));
    }
    std::string log = log_with(*s, "accept failed");
    std::this_thread::sleep_for(3s);
    log = s->process().log();
    EXPECT_GE(count_lines(log, "accept failed"), 1u) << "the test must run the server out of descriptors";
    EXPECT_LE(count_lines(log, "accept failed"), 2u) << "one warning per 10 s at most";
    open.clear();
    std::this_thread::sleep_for(500ms);
    HttpClient fresh(s->port());
    EXPECT_EQ(fresh.get("/healthz").status, 200);
    auto m = fresh.get("/metrics");
    EXPECT_NE(m.body.find("beacon_http_connections_refused_total{reason=\"descriptors\"} "), std::string::npos);
    EXPECT_EQ(s->process().stop(), 0);
    EXPECT_EQ(sanitizer_report(*s), "");
}

// A supervisor may stop the server the moment it listens: the signal is
// held until the server runs, and the exit is the clean one.
TEST_F(HttpEdgesTest, SigtermRightAfterListeningIsAStopNotADeath) {
    for (int i = 0; i < 5; ++i) {
        auto s = launch();
        ASSERT_TRUE(s);
        EXPECT_EQ(s->process().stop(), 0) << "attempt " << i;
    }
}

// Without BEACON_MAX_CONNECTIONS the cap comes from the descriptor limit,
// which the server first raises to its hard limit.
TEST_F(HttpEdgesTest, TheDefaultCapFollowsTheDescriptorLimit) {
    rlimit ours{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &ours), 0);
    ASSERT_NE(ours.rlim_max, RLIM_INFINITY);
    std::uint64_t hard = ours.rlim_max;
    std::uint64_t cap = std::clamp<std::uint64_t>(hard > 64 ? (hard - 64) / 2 : 0, 16, 1'000'000);
    std::string want =
        "at most " + std::to_string(cap) + " connections (file-descriptor limit " + std::to_string(hard) + ")";
    std::string log = log_with(shared(), want);
    EXPECT_NE(log.find(want), std::string::npos) << want << "\n" << log;
}

}  // namespace
}  // namespace beacon::e2e
