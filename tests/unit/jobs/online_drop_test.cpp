#include "jobs/online_drop.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "backends/memory/memory_presence.hpp"
#include "backends/sqlite/sqlite_database.hpp"
#include "backends/sqlite/sqlite_webhook_outbox.hpp"
#include "core/time_format.hpp"
#include "jobs/telemetry_jobs.hpp"
#include "support/temp_dir.hpp"

namespace beacon::jobs {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using telemetry::OnlineSnapshot;

const TimePoint kT0 = *parse_iso8601("2026-12-01T08:00:00Z");

// One snapshot a minute from kT0 with these counts.
std::vector<OnlineSnapshot> minutes(std::initializer_list<std::int64_t> counts) {
    std::vector<OnlineSnapshot> out;
    TimePoint t = kT0;
    for (auto c : counts) {
        out.push_back({t, c, 180});
        t += 1min;
    }
    return out;
}

// Feeds the snapshots one at a time, as the job sees them; the indexes that alerted.
std::vector<std::size_t> alerts(const std::vector<OnlineSnapshot>& all) {
    std::vector<std::size_t> out;
    for (std::size_t n = 1; n <= all.size(); ++n) {
        if (detect_online_drop(std::span(all).first(n))) {
            out.push_back(n - 1);
        }
    }
    return out;
}

TEST(OnlineDrop, FallByMoreThanHalfFromAtLeast100Alerts) {
    auto s = minutes({100, 100, 49});
    auto drop = detect_online_drop(s);
    ASSERT_TRUE(drop);
    EXPECT_EQ(drop->from, 100);
    EXPECT_EQ(drop->to, 49);
    EXPECT_EQ(drop->since, kT0) << "the first time the maximum was reached";
    EXPECT_EQ(drop->until, kT0 + 2min);
}

TEST(OnlineDrop, ExactlyHalfIsNotMoreThanHalf) {
    EXPECT_FALSE(detect_online_drop(minutes({100, 50})));
    EXPECT_TRUE(detect_online_drop(minutes({101, 50})));
}

TEST(OnlineDrop, NeedsAMaximumOfAtLeast100) {
    EXPECT_FALSE(detect_online_drop(minutes({99, 0})));
    EXPECT_TRUE(detect_online_drop(minutes({100, 0})));
}

TEST(OnlineDrop, OnlyWithinTenMinutes) {
    // The 200 is 10 minutes before the 90: inside the window (inclusive).
    EXPECT_TRUE(detect_online_drop(minutes({200, 150, 150, 150, 150, 150, 150, 150, 150, 150, 90})));
    // 11 minutes before: outside; the window's maximum is 150, and 90 is not below 75.
    EXPECT_FALSE(detect_online_drop(minutes({200, 150, 150, 150, 150, 150, 150, 150, 150, 150, 150, 90})));
}

TEST(OnlineDrop, AGradualFallWithinTheWindowCounts) {
    EXPECT_EQ(alerts(minutes({400, 350, 300, 250, 220, 190})), (std::vector<std::size_t>{5}));
}

TEST(OnlineDrop, DoesNotRealertWhileItStaysDown) {
    EXPECT_EQ(alerts(minutes({300, 300, 100, 90, 80, 100, 120, 140})), (std::vector<std::size_t>{2}));
}

TEST(OnlineDrop, RearmsOnceItRecovers) {
    // Down at 2, back to at least half of the maximum at 4, down again at 6.
    EXPECT_EQ(alerts(minutes({300, 300, 100, 120, 150, 300, 100})), (std::vector<std::size_t>{2, 6}));
}

TEST(OnlineDrop, RearmsWhenTheMaximumLeavesTheWindow) {
    // 500 then 100 for 11 minutes: the 500 leaves the window (re-armed, 100 is
    // the new level); a fall from 100 to 40 then alerts again.
    auto s = minutes({500, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 40});
    EXPECT_EQ(alerts(s), (std::vector<std::size_t>{1, 13}));
}

TEST(OnlineDrop, SeveralSnapshotsInOneMinuteKeepTheirOrder) {
    // Manual runs: the same minute, in insertion order.
    std::vector<OnlineSnapshot> s{{kT0, 120, 180}, {kT0, 10, 180}};
    auto drop = detect_online_drop(s);
    ASSERT_TRUE(drop);
    EXPECT_EQ(drop->from, 120);
    EXPECT_EQ(drop->to, 10);
    EXPECT_FALSE(detect_online_drop(std::vector<OnlineSnapshot>{{kT0, 10, 180}, {kT0, 120, 180}}));
}

TEST(OnlineDrop, NothingWithoutSnapshots) {
    EXPECT_FALSE(detect_online_drop({}));
    EXPECT_FALSE(detect_online_drop(minutes({0})));
    EXPECT_FALSE(detect_online_drop(minutes({1000})));
}

// --- the online-snapshot job enqueues it -------------------------------------------

class OnlineDropJobTest : public ::testing::Test {
protected:
    OnlineDropJobTest()
        : db_(backends::sqlite::SqliteDatabase::open(dir_.path() / "t.db").value()),
          outbox_(backends::sqlite::SqliteWebhookOutbox::open(dir_.path() / "t.db").value()),
          presence_(backends::memory::MemoryPresence::open(std::nullopt).value()) {
        presence_service_ = std::make_unique<telemetry::PresenceService>(*presence_, clock_, settings_);
        dau_ = std::make_unique<telemetry::DauService>(*db_, *db_, *presence_, clock_, settings_);
    }

    std::vector<Job> jobs(webhooks::WebhookOutbox* outbox) {
        deps_.reset(new TelemetryJobDeps{*presence_service_, *presence_, *db_, *db_, *dau_, *db_, clock_, settings_});
        deps_->webhooks = outbox;
        return make_telemetry_jobs(*deps_);
    }

    // `n` new actors online from now for 75 s (those of the call before
    // expire before the next tick).
    void online(int n) {
        for (int i = 0; i < n; ++i) {
            ASSERT_TRUE(presence_->record_heartbeat("i:actor-" + std::to_string(next_++), clock_.now() + 75s).ok());
        }
    }
    int next_ = 0;

    // The scheduled run of the next minute.
    json::object tick(Job& snapshot) {
        clock_.set(next_multiple(clock_.now(), 1min));
        auto r = snapshot.run(JobContext{clock_.now(), {}, false});
        EXPECT_TRUE(r.ok()) << r.error().message;
        return r.ok() ? *r : json::object{};
    }

    test::TempDir dir_;
    std::unique_ptr<backends::sqlite::SqliteDatabase> db_;
    std::unique_ptr<backends::sqlite::SqliteWebhookOutbox> outbox_;
    std::unique_ptr<backends::memory::MemoryPresence> presence_;
    ManualClock clock_{kT0 + 30s};
    telemetry::TelemetrySettings settings_;
    std::unique_ptr<telemetry::PresenceService> presence_service_;
    std::unique_ptr<telemetry::DauService> dau_;
    std::unique_ptr<TelemetryJobDeps> deps_;
};

TEST_F(OnlineDropJobTest, SnapshotJobEnqueuesOneOnlineDrop) {
    auto js = jobs(outbox_.get());
    Job& snapshot = js.front();
    ASSERT_EQ(snapshot.name, "online-snapshot");
    online(150);
    EXPECT_FALSE(tick(snapshot).contains("onlineDrop"));
    online(160);
    EXPECT_FALSE(tick(snapshot).contains("onlineDrop"));
    online(70);
    auto alerted = tick(snapshot);
    ASSERT_TRUE(alerted.contains("onlineDrop")) << json::serialize(alerted);
    online(60);
    EXPECT_FALSE(tick(snapshot).contains("onlineDrop")) << "still down: no second alert";

    auto listed = outbox_->latest(10);
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->size(), 1u);
    const webhooks::Delivery& d = listed->front();
    EXPECT_EQ(d.id, alerted.at("onlineDrop").as_string());
    EXPECT_EQ(d.type, "online.drop");
    EXPECT_EQ(d.ordering_key, "online");
    auto body = json::parse(d.body).as_object();
    EXPECT_EQ(body.at("id").as_string(), d.id);
    EXPECT_EQ(body.at("type").as_string(), "online.drop");
    EXPECT_EQ(body.at("at").as_string(), "2026-12-01T08:03:00.000Z");
    const auto& data = body.at("data").as_object();
    EXPECT_EQ(data.at("from").as_int64(), 160);
    EXPECT_EQ(data.at("to").as_int64(), 70);
    EXPECT_EQ(data.at("since").as_string(), "2026-12-01T08:02:00.000Z");
    EXPECT_EQ(data.at("until").as_string(), "2026-12-01T08:03:00.000Z");
}

TEST_F(OnlineDropJobTest, NothingIsEnqueuedWithoutWebhooks) {
    auto js = jobs(nullptr);
    Job& snapshot = js.front();
    online(200);
    tick(snapshot);
    online(0);
    EXPECT_FALSE(tick(snapshot).contains("onlineDrop"));
    EXPECT_TRUE(outbox_->latest(10)->empty());
}

}  // namespace
}  // namespace beacon::jobs
