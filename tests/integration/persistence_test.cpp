// Restarts and SIGTERM: what survives a restart on the same data dir, and how
// the server drains (API.md "Operations": SIGTERM).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "integration/e2e.hpp"

namespace beacon::e2e {
namespace {

using namespace std::chrono_literals;

class PersistenceTest : public E2eTest {};

// True when nothing listens on `port` any more (connect is refused).
bool refuses_connections(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool refused = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno == ECONNREFUSED;
    ::close(fd);
    return refused;
}

TEST_F(PersistenceTest, EventsEstimateAndOnlineSetSurviveARestart) {
    avoid_day_boundary();
    auto& server = dedicated();
    std::vector<json::object> before;
    {
        auto c = server.client();
        auto r = ok_object(post_events(
            c,
            {{"platform", "android"}},
            json::array{{{"installId", "keep-1-aaa"}, {"eventName", "app_session_start"}, {"eventId", "k-1"}},
                        {{"installId", "keep-2-aaa"}, {"eventName", "app_session_start"}, {"platform", "ios"}},
                        {{"installId", "keep-3-aaa"}, {"eventName", "app_session_start"}, {"region", "de"}},
                        {{"installId", "keep-3-aaa"}, {"eventName", "page_view"}, {"properties", {{"p", "/x"}}}}}));
        ASSERT_EQ(r.at("accepted").as_int64(), 4);
        ASSERT_EQ(heartbeat(c, {{"installId", "keep-1-aaa"}}).status, 200);
        ASSERT_EQ(heartbeat(c, {{"installId", "keep-9-aaa"}, {"userId", "keeper"}}).status, 200);
        EXPECT_EQ(wait_online(c, 2, 3s), 2);
        auto rt = ok_object(c.get("/admin/telemetry/realtime", admin()));
        ASSERT_EQ(rt.at("dauApprox").as_int64(), 3);
        before = list_all_events(c, "");
        ASSERT_EQ(before.size(), 4u);
    }

    auto old_port = server.port();
    EXPECT_EQ(server.process().stop(), 0) << "SIGTERM exits 0";
    EXPECT_TRUE(refuses_connections(old_port));
    ASSERT_TRUE(server.process().start()) << server.process().error();

    auto c = server.client();
    auto after = list_all_events(c, "");
    ASSERT_EQ(after.size(), before.size());
    for (std::size_t i = 0; i < after.size(); ++i) {
        EXPECT_EQ(after[i], before[i]) << "event " << i << " changed across the restart";
    }
    auto rt = ok_object(c.get("/admin/telemetry/realtime", admin()));
    EXPECT_EQ(rt.at("dauApprox").as_int64(), 3);
    EXPECT_EQ(rt.at("dauApproxByPlatform"), (json::object{{"android", 2}, {"ios", 1}}));
    EXPECT_EQ(wait_online(c, 2, 3s), 2);
    // Deduplication state survives too.
    auto again = ok_object(post_events(
        c, {{"installId", "keep-1-aaa"}}, json::array{{{"eventName", "app_session_start"}, {"eventId", "k-1"}}}));
    EXPECT_EQ(again.at("duplicates").as_int64(), 1);
    EXPECT_EQ(again.at("accepted").as_int64(), 0);
    // And the token secret (from the environment here) still verifies.
    EXPECT_EQ(c.get("/admin/jobs", admin()).status, 200);
}

TEST_F(PersistenceTest, GeneratedSecretSurvivesARestart) {
    if (production_mode()) {
        GTEST_SKIP() << "embedded only: production refuses to start without BEACON_JWT_SECRET "
                        "(AdminTelemetryTest.TokensFromTheCliAreAccepted checks that)";
    }
    auto& server = dedicated({}, {{"BEACON_JWT_SECRET", ""}});
    auto token =
        test::run_command(beacon_binary(), {"token", "--admin", "--data-dir", (server.dir() / "data").string()});
    ASSERT_EQ(token.exit_code, 0) << token.err;
    std::string t = token.out.substr(0, token.out.find('\n'));
    EXPECT_EQ(server.client().get("/admin/jobs", test::bearer(t)).status, 200);
    ASSERT_TRUE(server.process().restart()) << server.process().error();
    EXPECT_EQ(server.client().get("/admin/jobs", test::bearer(t)).status, 200);
}

TEST_F(PersistenceTest, SigtermLetsInFlightRequestsFinish) {
    auto& server = dedicated();
    std::string body = json::serialize(json::object{
        {"context", {{"installId", "drain-1-aaa"}}},
        {"events", json::array{{{"eventName", "in_flight"}, {"eventId", "d-1"}}, {{"eventName", "in_flight"}}}}});

    // An idle kept-alive connection must not hold the shutdown up.
    RawConnection idle(server.port());
    ASSERT_TRUE(idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(idle.read_response(5s));

    // A request whose body is half sent when SIGTERM arrives.
    RawConnection conn(server.port());
    ASSERT_TRUE(conn.connected());
    std::size_t half = body.size() / 2;
    ASSERT_TRUE(
        conn.send("POST /telemetry/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Content-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, half)));
    std::this_thread::sleep_for(300ms);  // the server is now reading the body
    ASSERT_TRUE(server.process().terminate());

    // It stops accepting, closes the idle connection, but keeps this one.
    bool refused = false;
    for (int i = 0; i < 100 && !refused; ++i) {
        refused = refuses_connections(server.port());
        if (!refused) {
            std::this_thread::sleep_for(20ms);
        }
    }
    EXPECT_TRUE(refused) << "new connections are refused once draining";
    EXPECT_TRUE(idle.wait_closed(5s)) << "idle connections are closed at once";
    EXPECT_EQ(::kill(server.process().pid(), 0), 0) << "still running while a request is in flight";

    ASSERT_TRUE(conn.send(body.substr(half)));
    auto r = conn.read_response(10s);
    ASSERT_TRUE(r) << conn.error();
    auto res = ok_object(*r);
    EXPECT_EQ(res.at("accepted").as_int64(), 2);
    EXPECT_FALSE(r->keep_alive) << "the last response of a draining server closes the connection";
    EXPECT_TRUE(conn.wait_closed(5s));

    auto exit_started = std::chrono::steady_clock::now();
    EXPECT_EQ(server.process().wait(), 0);
    EXPECT_LT(std::chrono::steady_clock::now() - exit_started, 10s);

    // What it acknowledged is there after a restart.
    ASSERT_TRUE(server.process().start()) << server.process().error();
    auto c = server.client();
    auto stored = list_all_events(c, "installId=drain-1-aaa");
    EXPECT_EQ(stored.size(), 2u);
}

TEST_F(PersistenceTest, SigtermWithConcurrentTrafficExitsZeroAndLosesNothingAcknowledged) {
    auto& server = dedicated();
    std::atomic<bool> stop{false};
    std::atomic<int> acknowledged{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200 && !stop.load(); ++i) {
                // Raw, so that a refused connection is not a test failure here.
                RawConnection conn(server.port());
                if (!conn.connected()) {
                    return;
                }
                std::string body = json::serialize(
                    json::object{{"context", {{"installId", "busy-" + std::to_string(t) + "-aaaa"}}},
                                 {"events", json::array{{{"eventName", "busy"}, {"eventId", std::to_string(i)}}}}});
                if (!conn.send("POST /telemetry/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               "Content-Length: " +
                               std::to_string(body.size()) + "\r\n\r\n" + body)) {
                    return;
                }
                auto r = conn.read_response(10s);
                if (!r) {
                    return;
                }
                if (r->status == 200) {
                    acknowledged += static_cast<int>(json::parse(r->body).at("accepted").as_int64());
                }
            }
        });
    }
    std::this_thread::sleep_for(700ms);
    EXPECT_EQ(server.process().stop(), 0);
    stop = true;
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_GT(acknowledged.load(), 0);
    ASSERT_TRUE(server.process().start()) << server.process().error();
    auto c = server.client();
    auto stored = list_all_events(c, "eventName=busy");
    EXPECT_EQ(static_cast<int>(stored.size()), acknowledged.load()) << "every acknowledged event is stored";
}

}  // namespace
}  // namespace beacon::e2e
