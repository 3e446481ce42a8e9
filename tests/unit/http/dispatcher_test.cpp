// Handlers without a socket: the dispatcher (route, authenticate, check the
// body, handle) over the telemetry routes, with in-memory ports behind them
// (the memory presence store, which is the embedded adapter and the fake at
// once, and the fakes of tests/support). Requests are headers and bodies;
// answers are Responses.
#include "http/dispatcher.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "backends/memory/memory_presence.hpp"
#include "http/telemetry_routes.hpp"
#include "support/jwt_mint.hpp"
#include "support/telemetry_fakes.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace bh = boost::beast::http;
namespace json = boost::json;

constexpr char kSecret[] = "dispatcher-test-secret-0123456789abcdef0123";

class DispatcherTest : public ::testing::Test {
protected:
    DispatcherTest()
        : clock_(from_epoch_ms(1'795'600'000'000)),  // 2026-11-25T09:46:40Z
          presence_service_(presence_, clock_, settings_),
          ingestor_(events_, presence_, settings_.tz),
          dau_(events_, stats_, presence_, clock_, settings_),
          router_(metrics_),
          verifier_(kSecret, clock_),
          dispatcher_(router_, verifier_, blocking_, ops_),
          api_{presence_service_, ingestor_, dau_, events_, snapshots_, metrics_, clock_, settings_} {
        add_telemetry_routes(router_, api_);
    }
    ~DispatcherTest() override {
        ingestor_.stop();
        blocking_.join();
        ops_.join();
    }

    // One request through the dispatcher, run to its answer.
    Response call(bh::verb method,
                  std::string target,
                  std::string body = {},
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
        RequestHeader h;
        h.method(method);
        h.target(target);
        h.version(11);
        if (!body.empty()) {
            h.set(bh::field::content_type, "application/json");
        }
        for (auto& [k, v] : headers) {
            h.set(k, v);
        }
        Request req{.header = h, .request_id = "test"};
        io_.restart();
        auto done = asio::co_spawn(io_, dispatcher_.dispatch_for_test(req, std::move(body)), asio::use_future);
        io_.run();
        return done.get();
    }

    static json::value body_of(const Response& r) { return json::parse(r.body()); }

    std::string admin() { return "Bearer " + test::make_token(kSecret, "admin", true); }

    // Outlives the ingestor (members go in reverse order): its thread posts an
    // answer here and may still be inside post() when run() has returned
    // (ThreadSanitizer saw a context destroyed under it).
    asio::io_context io_;
    telemetry::TelemetrySettings settings_;
    ManualClock clock_;
    backends::memory::MemoryPresence presence_;
    telemetry::test::FakeEventStore events_;
    telemetry::test::FakeDailyStatsStore stats_;
    telemetry::test::FakeSnapshotStore snapshots_;
    telemetry::PresenceService presence_service_;
    telemetry::EventIngestor ingestor_;
    telemetry::DauService dau_;
    Metrics metrics_;
    Router router_;
    auth::TokenVerifier verifier_;
    asio::thread_pool blocking_{1};
    asio::thread_pool ops_{1};
    Dispatcher dispatcher_;
    TelemetryApi api_;
};

TEST_F(DispatcherTest, AHeartbeatIsRecordedAndCounted) {
    auto r = call(bh::verb::post, "/telemetry/heartbeat", R"({"installId":"i-12345678","platform":"ios"})");
    ASSERT_EQ(r.result(), bh::status::ok) << r.body();
    EXPECT_EQ(body_of(r).at("nextHeartbeatSeconds"), 60);
    EXPECT_EQ(body_of(r).at("serverTime"), "2026-11-25T09:46:40.000Z");
    auto online = call(bh::verb::get, "/telemetry/online");
    EXPECT_EQ(body_of(online).at("online"), 1);
}

TEST_F(DispatcherTest, TheOrderOfChecksIsRouteThenAuthThenBodyThenValidation) {
    EXPECT_EQ(call(bh::verb::get, "/nope").result(), bh::status::not_found);
    auto wrong_method = call(bh::verb::delete_, "/telemetry/online");
    EXPECT_EQ(wrong_method.result(), bh::status::method_not_allowed);
    EXPECT_EQ(wrong_method[bh::field::allow], "GET, HEAD");
    // Admin route: no token is 401 before anything about the request is looked at.
    EXPECT_EQ(call(bh::verb::get, "/admin/telemetry/dau?from=bad").result(), bh::status::unauthorized);
    // A body too large is 413 before its media type (415) or content (400).
    auto big = call(bh::verb::post, "/telemetry/heartbeat", std::string(5000, ' '), {{"Content-Type", "text/plain"}});
    EXPECT_EQ(big.result(), bh::status::payload_too_large);
    EXPECT_EQ(call(bh::verb::post, "/telemetry/heartbeat", "{}", {{"Content-Type", "text/plain"}}).result(),
              bh::status::unsupported_media_type);
    auto invalid = call(bh::verb::post, "/telemetry/heartbeat", "{");
    EXPECT_EQ(invalid.result(), bh::status::bad_request);
    EXPECT_EQ(body_of(invalid).at("type"), "https://beacon.dev/problems/invalid-json");
    auto missing = call(bh::verb::post, "/telemetry/heartbeat", "{}");
    EXPECT_EQ(body_of(missing).at("errors").at(0).at("field"), "installId");
}

TEST_F(DispatcherTest, EventsAreCommittedBeforeTheAnswerWithPerEventRejections) {
    auto r = call(bh::verb::post,
                  "/telemetry/events",
                  R"({"context":{"installId":"i-12345678"},"events":[{"eventName":"a"},{"eventName":"bad name"}]})");
    ASSERT_EQ(r.result(), bh::status::ok) << r.body();
    EXPECT_EQ(body_of(r).at("accepted"), 1);
    EXPECT_EQ(body_of(r).at("rejected").at(0).at("field"), "events[1].eventName");
    EXPECT_EQ(events_.stored().size(), 1u);
}

TEST_F(DispatcherTest, TheDauRangeRulesAreTheServicesAndReachTheAnswer) {
    auto too_long =
        call(bh::verb::get, "/admin/telemetry/dau?from=2025-01-01&to=2026-11-25", {}, {{"Authorization", admin()}});
    EXPECT_EQ(too_long.result(), bh::status::bad_request);
    EXPECT_EQ(body_of(too_long).at("errors").at(0).at("field"), "from");
    auto reversed =
        call(bh::verb::get, "/admin/telemetry/dau?from=2026-11-25&to=2026-11-24", {}, {{"Authorization", admin()}});
    EXPECT_EQ(body_of(reversed).at("errors").at(0).at("field"), "from");
    auto bad_day = call(bh::verb::get, "/admin/telemetry/dau?to=yesterday", {}, {{"Authorization", admin()}});
    EXPECT_EQ(body_of(bad_day).at("errors").at(0).at("field"), "to");
    auto fine = call(bh::verb::get, "/admin/telemetry/dau", {}, {{"Authorization", admin()}});
    EXPECT_EQ(fine.result(), bh::status::ok) << fine.body();
    EXPECT_EQ(body_of(fine).at("timezone"), "UTC");
}

TEST_F(DispatcherTest, TheEventListingLimitIsCheckedByTheDomain) {
    for (const char* limit : {"0", "501", "-1", "99999999999999999999", "abc"}) {
        auto r = call(
            bh::verb::get, std::string("/admin/telemetry/events?limit=") + limit, {}, {{"Authorization", admin()}});
        EXPECT_EQ(r.result(), bh::status::bad_request) << limit;
        EXPECT_EQ(body_of(r).at("errors").at(0).at("field"), "limit") << limit;
    }
    EXPECT_EQ(call(bh::verb::get, "/admin/telemetry/events?limit=500", {}, {{"Authorization", admin()}}).result(),
              bh::status::ok);
}

TEST_F(DispatcherTest, HistoryDefaultsToFiveMinutesOverTheLastDay) {
    auto r = call(bh::verb::get, "/admin/telemetry/online/history", {}, {{"Authorization", admin()}});
    ASSERT_EQ(r.result(), bh::status::ok) << r.body();
    EXPECT_EQ(body_of(r).at("interval"), "5m");
    ASSERT_FALSE(snapshots_.calls.empty());
    const auto& call_made = snapshots_.calls.back();
    EXPECT_EQ(call_made.interval, std::chrono::minutes(5));
    EXPECT_EQ(call_made.to, clock_.now());
    EXPECT_EQ(call_made.from, clock_.now() - std::chrono::hours(24));
}

}  // namespace
}  // namespace beacon::http
