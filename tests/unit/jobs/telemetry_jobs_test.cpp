#include "jobs/telemetry_jobs.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "backends/memory/memory_presence.hpp"
#include "backends/sqlite/sqlite_database.hpp"
#include "core/time_format.hpp"
#include "support/telemetry_fakes.hpp"
#include "support/temp_dir.hpp"

namespace beacon::jobs {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using backends::memory::MemoryPresence;
using backends::sqlite::SqliteDatabase;
using telemetry::DauMark;
using telemetry::Event;
using telemetry::Platform;

TimePoint T(std::string_view s) {
    return *parse_iso8601(s);
}
Day D(std::string_view s) {
    return *parse_day(s);
}

TimeZone zone(std::string_view name) {
    return TimeZone::load(name).value();
}

Event session(std::string install, TimePoint at, std::optional<Platform> platform = std::nullopt) {
    Event e;
    e.install_id = std::move(install);
    e.event_name = "app_session_start";
    e.event_time = at;
    e.received_at = at;
    e.platform = platform;
    return e;
}

// --- next_nightly -------------------------------------------------------------------

TEST(NextNightly, IsOneInTheMorningUtc) {
    TimeZone utc = TimeZone::utc();
    EXPECT_EQ(next_nightly(utc, T("2026-11-25T00:30:00Z")), T("2026-11-25T01:00:00Z"));
    EXPECT_EQ(next_nightly(utc, T("2026-11-25T00:59:59.999Z")), T("2026-11-25T01:00:00Z"));
    EXPECT_EQ(next_nightly(utc, T("2026-11-25T01:00:00Z")), T("2026-11-26T01:00:00Z"));  // strictly after
    EXPECT_EQ(next_nightly(utc, T("2026-11-25T23:59:00Z")), T("2026-11-26T01:00:00Z"));
    EXPECT_EQ(next_nightly(utc, T("2026-12-31T12:00:00Z")), T("2027-01-01T01:00:00Z"));
}

TEST(NextNightly, IsOneInTheMorningInShanghai) {
    TimeZone sh = zone("Asia/Shanghai");
    // 01:00 in Shanghai (UTC+8) is 17:00Z on the previous day.
    EXPECT_EQ(next_nightly(sh, T("2026-11-24T12:00:00Z")), T("2026-11-24T17:00:00Z"));
    EXPECT_EQ(next_nightly(sh, T("2026-11-24T16:30:00Z")), T("2026-11-24T17:00:00Z"));
    EXPECT_EQ(next_nightly(sh, T("2026-11-24T17:00:00Z")), T("2026-11-25T17:00:00Z"));
    EXPECT_EQ(next_nightly(sh, T("2026-11-25T01:00:00Z")), T("2026-11-25T17:00:00Z"));
}

TEST(NextNightly, FollowsDaylightSavingChanges) {
    TimeZone ny = zone("America/New_York");
    // 2026-03-08: clocks jump 02:00 EST -> 03:00 EDT; 01:00 is still EST (UTC-5).
    EXPECT_EQ(next_nightly(ny, T("2026-03-08T04:00:00Z")), T("2026-03-08T06:00:00Z"));
    // The next day 01:00 is EDT (UTC-4).
    EXPECT_EQ(next_nightly(ny, T("2026-03-08T06:00:00Z")), T("2026-03-09T05:00:00Z"));
    // 2026-11-01: 01:00 happens twice; the first one (EDT) is used.
    EXPECT_EQ(next_nightly(ny, T("2026-11-01T00:00:00Z")), T("2026-11-01T05:00:00Z"));
}

// --- the four jobs ----------------------------------------------------------------------

class TelemetryJobsTest : public ::testing::Test {
protected:
    TelemetryJobsTest()
        : db_(SqliteDatabase::open(dir_.path() / "t.db").value()),
          presence_(MemoryPresence::open(std::nullopt).value()) {}

    // Builds the services and jobs for `settings` (rebuilt by tests that change it).
    void build(telemetry::TelemetrySettings settings = {}) {
        settings_ = settings;
        jobs_.clear();
        presence_service_ = std::make_unique<telemetry::PresenceService>(*presence_, clock_, settings_);
        dau_ = std::make_unique<telemetry::DauService>(*db_, *db_, *presence_, clock_, settings_);
        deps_.reset(
            new TelemetryJobDeps{*presence_service_, *presence_, *db_, snapshots_, *dau_, *db_, clock_, settings_});
        jobs_ = make_telemetry_jobs(*deps_);
    }

    Job& job(std::string_view name) {
        for (auto& j : jobs_) {
            if (j.name == name) {
                return j;
            }
        }
        ADD_FAILURE() << "no job " << name;
        return jobs_.front();
    }

    Result<json::object> run(std::string_view name, JobContext ctx) { return job(name).run(ctx); }
    Result<json::object> run_scheduled(std::string_view name) { return run(name, JobContext{clock_.now(), {}, false}); }

    void store(std::vector<Event> events) { ASSERT_TRUE(db_->append(events).ok()); }

    std::optional<telemetry::DailyStats> stats_row(std::string_view day) {
        auto rows = db_->range(D(day), D(day));
        EXPECT_TRUE(rows.ok());
        if (!rows.ok() || rows->empty()) {
            return std::nullopt;
        }
        return rows->front();
    }

    test::TempDir dir_;
    std::unique_ptr<SqliteDatabase> db_;
    std::unique_ptr<MemoryPresence> presence_;
    telemetry::test::FakeSnapshotStore snapshots_;
    ManualClock clock_{T("2026-11-25T12:00:00Z")};
    telemetry::TelemetrySettings settings_;
    std::unique_ptr<telemetry::PresenceService> presence_service_;
    std::unique_ptr<telemetry::DauService> dau_;
    std::unique_ptr<TelemetryJobDeps> deps_;
    std::vector<Job> jobs_;
};

TEST_F(TelemetryJobsTest, DefinesTheFourJobsWithTheirSchedules) {
    telemetry::TelemetrySettings settings;
    settings.tz = zone("Asia/Shanghai");
    build(settings);
    ASSERT_EQ(jobs_.size(), 4u);
    EXPECT_EQ(jobs_[0].name, "online-snapshot");
    EXPECT_EQ(jobs_[1].name, "cleanup");
    EXPECT_EQ(jobs_[2].name, "nightly-dau");
    EXPECT_EQ(jobs_[3].name, "rolling-dau");
    EXPECT_EQ(jobs_[2].schedule, "daily at 01:00 Asia/Shanghai");

    TimePoint t = T("2026-11-25T12:03:20Z");
    EXPECT_EQ(job("online-snapshot").next_tick(t), T("2026-11-25T12:04:00Z"));
    EXPECT_EQ(job("cleanup").next_tick(t), T("2026-11-25T13:00:00Z"));
    EXPECT_EQ(job("nightly-dau").next_tick(t), T("2026-11-25T17:00:00Z"));
    EXPECT_EQ(job("rolling-dau").next_tick(t), T("2026-11-25T12:10:00Z"));
}

TEST_F(TelemetryJobsTest, SnapshotStoresTickOnlineCountAndWindow) {
    telemetry::TelemetrySettings settings;
    settings.online_window_s = 300;
    build(settings);
    clock_.set(T("2026-11-25T12:01:00.250Z"));
    ASSERT_TRUE(presence_->record_heartbeat("i:aaaaaaaa", clock_.now() + 60s).ok());
    ASSERT_TRUE(presence_->record_heartbeat("u:1", clock_.now() + 60s).ok());
    ASSERT_TRUE(presence_->record_heartbeat("i:gone", clock_.now() - 1s).ok());

    auto r = run("online-snapshot", JobContext{T("2026-11-25T12:01:00Z"), {}, false});
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(snapshots_.inserted.size(), 1u);
    EXPECT_EQ(snapshots_.inserted[0].ts, T("2026-11-25T12:01:00Z"));
    EXPECT_EQ(snapshots_.inserted[0].online, 2);
    EXPECT_EQ(snapshots_.inserted[0].window_seconds, 300);
    EXPECT_EQ(r->at("at"), "2026-11-25T12:01:00.000Z");
    EXPECT_EQ(r->at("online"), 2);
}

TEST_F(TelemetryJobsTest, ManualSnapshotIsStampedWithTheCurrentMinute) {
    build();
    clock_.set(T("2026-11-25T12:03:42Z"));
    auto r = run("online-snapshot", JobContext{clock_.now(), {}, true});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(snapshots_.inserted.size(), 1u);
    EXPECT_EQ(snapshots_.inserted[0].ts, T("2026-11-25T12:03:00Z"));
    EXPECT_EQ(snapshots_.inserted[0].online, 0);
    EXPECT_EQ(snapshots_.inserted[0].window_seconds, 180);
}

TEST_F(TelemetryJobsTest, CleanupDropsExpiredPresenceOldEstimatesSnapshotsAndEvents) {
    build();
    TimePoint now = clock_.now();  // 2026-11-25T12:00Z
    ASSERT_TRUE(presence_->record_heartbeat("i:expired1", now - 1s).ok());
    ASSERT_TRUE(presence_->record_heartbeat("i:expired2", now).ok());
    ASSERT_TRUE(presence_->record_heartbeat("i:online", now + 1s).ok());
    ASSERT_TRUE(presence_
                    ->add_to_dau(std::vector<DauMark>{{D("2026-11-21"), Platform::Android, "i:a"},
                                                      {D("2026-11-22"), Platform::Android, "i:a"},
                                                      {D("2026-11-25"), Platform::Android, "i:a"}})
                    .ok());
    snapshots_.inserted = {
        {now - std::chrono::days(91), 1, 180}, {now - std::chrono::days(90), 2, 180}, {now - 1min, 3, 180}};
    Event old_event = session("i-11111111", now - std::chrono::days(401));
    Event recent_event = session("i-22222222", now - std::chrono::days(1));
    store({old_event, recent_event});
    // Claims older than two days are forgotten; recent ones are kept.
    ASSERT_TRUE(*db_->try_claim("online-snapshot", now - std::chrono::days(3)));
    ASSERT_TRUE(*db_->try_claim("online-snapshot", now - std::chrono::days(1)));

    auto r = run_scheduled("cleanup");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->at("expiredPresence"), 2);
    EXPECT_EQ(r->at("deletedSnapshots"), 1);
    EXPECT_EQ(r->at("deletedEvents"), 1);

    EXPECT_EQ(presence_->count_online(now).value(), 1);
    EXPECT_EQ(presence_->estimate_dau(D("2026-11-21")).value().total, 0);  // today - 4
    EXPECT_EQ(presence_->estimate_dau(D("2026-11-22")).value().total, 1);  // today - 3 is kept
    EXPECT_EQ(presence_->estimate_dau(D("2026-11-25")).value().total, 1);
    ASSERT_EQ(snapshots_.inserted.size(), 2u);
    EXPECT_EQ(snapshots_.inserted[0].online, 2);
    auto page = db_->list(telemetry::EventQuery{});
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->events.size(), 1u);
    EXPECT_EQ(page->events[0].install_id, "i-22222222");
    EXPECT_TRUE(*db_->try_claim("online-snapshot", now - std::chrono::days(3)));
    EXPECT_FALSE(*db_->try_claim("online-snapshot", now - std::chrono::days(1)));
}

TEST_F(TelemetryJobsTest, CleanupKeepsEstimatesForTheReportingZonesDays) {
    telemetry::TelemetrySettings settings;
    settings.tz = zone("Asia/Shanghai");
    build(settings);
    // 2026-11-24T17:00Z is already the 25th in Shanghai (today - 3 = the 22nd).
    clock_.set(T("2026-11-24T17:00:00Z"));
    ASSERT_TRUE(presence_
                    ->add_to_dau(std::vector<DauMark>{{D("2026-11-21"), Platform::Ios, "i:a"},
                                                      {D("2026-11-22"), Platform::Ios, "i:a"}})
                    .ok());
    ASSERT_TRUE(run_scheduled("cleanup").ok());
    EXPECT_EQ(presence_->estimate_dau(D("2026-11-21")).value().total, 0);
    EXPECT_EQ(presence_->estimate_dau(D("2026-11-22")).value().total, 1);
}

TEST_F(TelemetryJobsTest, NightlyComputesYesterdayExactly) {
    build();
    store({session("i-11111111", T("2026-11-24T08:00:00Z"), Platform::Android),
           session("i-22222222", T("2026-11-24T23:59:59Z")),
           session("i-33333333", T("2026-11-25T00:00:00Z"))});  // today: not counted
    auto r = run_scheduled("nightly-dau");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->at("day"), "2026-11-24");
    EXPECT_EQ(r->at("dau"), 2);
    auto row = stats_row("2026-11-24");
    ASSERT_TRUE(row);
    EXPECT_TRUE(row->exact);
    EXPECT_EQ(row->counts.total, 2);
    EXPECT_EQ(row->computed_at, clock_.now());
    EXPECT_FALSE(stats_row("2026-11-25"));
}

TEST_F(TelemetryJobsTest, NightlyComputesTheLocalYesterdayInShanghai) {
    telemetry::TelemetrySettings settings;
    settings.tz = zone("Asia/Shanghai");
    build(settings);
    clock_.set(T("2026-11-24T17:00:00Z"));  // 01:00 on the 25th in Shanghai
    // The Shanghai day 2026-11-24 is [2026-11-23T16:00Z, 2026-11-24T16:00Z).
    store({session("i-11111111", T("2026-11-23T15:59:59Z")),
           session("i-22222222", T("2026-11-23T16:00:00Z")),
           session("i-33333333", T("2026-11-24T15:59:59Z")),
           session("i-44444444", T("2026-11-24T16:00:00Z"))});
    auto r = run_scheduled("nightly-dau");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->at("day"), "2026-11-24");
    EXPECT_EQ(r->at("dau"), 2);
}

TEST_F(TelemetryJobsTest, NightlyWithADayRecomputesThatDay) {
    build();
    store({session("i-11111111", T("2026-11-20T08:00:00Z"))});
    auto r = run("nightly-dau", JobContext{clock_.now(), D("2026-11-20"), true});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->at("day"), "2026-11-20");
    EXPECT_EQ(r->at("dau"), 1);
    auto row = stats_row("2026-11-20");
    ASSERT_TRUE(row);
    EXPECT_TRUE(row->exact);
}

TEST_F(TelemetryJobsTest, NightlyWithTodayOrLaterIsInvalidArgumentOnDay) {
    build();
    for (std::string_view day : {"2026-11-25", "2026-11-26", "2030-01-01"}) {
        auto r = run("nightly-dau", JobContext{clock_.now(), D(day), true});
        ASSERT_FALSE(r.ok()) << day;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
        ASSERT_EQ(r.error().fields.size(), 1u);
        EXPECT_EQ(r.error().fields[0].field, "day");
    }
}

TEST_F(TelemetryJobsTest, NightlyValidatesItsDayBeforeAnyClaim) {
    build();
    const Job& nightly = job("nightly-dau");
    ASSERT_TRUE(nightly.validate) << "so Scheduler::run_now checks ?day= before claiming";
    auto bad = nightly.validate(JobContext{clock_.now(), D("2026-11-25"), true});
    ASSERT_FALSE(bad.ok());
    ASSERT_EQ(bad.error().fields.size(), 1u);
    EXPECT_EQ(bad.error().fields[0].field, "day");
    EXPECT_TRUE(nightly.validate(JobContext{clock_.now(), D("2026-11-24"), true}).ok());
    EXPECT_TRUE(nightly.validate(JobContext{clock_.now(), std::nullopt, true}).ok());
}

TEST_F(TelemetryJobsTest, NightlyDayIsCheckedAgainstTodayInTheReportingZone) {
    telemetry::TelemetrySettings settings;
    settings.tz = zone("Asia/Shanghai");
    build(settings);
    clock_.set(T("2026-11-24T17:00:00Z"));  // the 24th in UTC, the 25th in Shanghai
    EXPECT_TRUE(run("nightly-dau", JobContext{clock_.now(), D("2026-11-24"), true}).ok());
    EXPECT_FALSE(run("nightly-dau", JobContext{clock_.now(), D("2026-11-25"), true}).ok());
}

TEST_F(TelemetryJobsTest, ManualNightlyThroughTheSchedulerRejectsToday) {
    build();
    Scheduler scheduler(std::move(jobs_), *db_, clock_, [](const std::string&, const Result<RunReport>&) {});
    auto r = scheduler.run_now("nightly-dau", D("2026-11-25"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    ASSERT_EQ(r.error().fields.size(), 1u);
    EXPECT_EQ(r.error().fields[0].field, "day");
    EXPECT_TRUE(scheduler.run_now("nightly-dau", D("2026-11-24")).ok());
}

TEST_F(TelemetryJobsTest, RollingComputesTodayNotExactly) {
    build();
    store({session("i-11111111", T("2026-11-25T08:00:00Z")), session("i-22222222", T("2026-11-25T09:00:00Z"))});
    auto r = run_scheduled("rolling-dau");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->at("day"), "2026-11-25");
    EXPECT_EQ(r->at("dau"), 2);
    auto row = stats_row("2026-11-25");
    ASSERT_TRUE(row);
    EXPECT_FALSE(row->exact);
}

TEST_F(TelemetryJobsTest, CatchUpNightlyComputesMissingDaysOnly) {
    build();
    // Lookback 5 from 2026-11-25: 11-20 .. 11-24.
    TimePoint earlier = T("2026-11-22T01:00:00Z");
    telemetry::DailyStats done{D("2026-11-21"), {}, true, earlier};
    done.counts.total = 99;  // not what the events say: proves it is not recomputed
    ASSERT_TRUE(db_->upsert(done).ok());
    telemetry::DailyStats rolling{D("2026-11-22"), {}, false, earlier};
    rolling.counts.total = 5;
    ASSERT_TRUE(db_->upsert(rolling).ok());
    store({session("i-11111111", T("2026-11-21T08:00:00Z")),
           session("i-22222222", T("2026-11-21T09:00:00Z")),
           session("i-11111111", T("2026-11-22T08:00:00Z")),
           session("i-11111111", T("2026-11-23T08:00:00Z")),
           session("i-22222222", T("2026-11-23T08:00:00Z")),
           session("i-11111111", T("2026-11-18T08:00:00Z"))});  // before the lookback

    auto computed = catch_up_nightly(*dau_, *db_, 5);
    ASSERT_TRUE(computed.ok()) << computed.error().message;
    EXPECT_EQ(*computed, 2);  // 11-22 and 11-23 had data; 11-20 and 11-24 had none

    auto kept = stats_row("2026-11-21");
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->counts.total, 99);
    EXPECT_EQ(kept->computed_at, earlier);
    auto fixed = stats_row("2026-11-22");
    ASSERT_TRUE(fixed);
    EXPECT_TRUE(fixed->exact);
    EXPECT_EQ(fixed->counts.total, 1);
    auto filled = stats_row("2026-11-23");
    ASSERT_TRUE(filled);
    EXPECT_TRUE(filled->exact);
    EXPECT_EQ(filled->counts.total, 2);
    EXPECT_FALSE(stats_row("2026-11-20"));
    EXPECT_FALSE(stats_row("2026-11-24"));
    EXPECT_FALSE(stats_row("2026-11-18"));

    auto again = catch_up_nightly(*dau_, *db_, 5);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, 0);  // 11-20 and 11-24 are still missing but have no data
}

TEST_F(TelemetryJobsTest, CatchUpNightlyLeavesTheWorkToTheReplicaRunningNightly) {
    build();
    store({session("i-11111111", T("2026-11-23T08:00:00Z"))});
    auto held = db_->try_claim_run("nightly-dau");  // as another replica would
    ASSERT_TRUE(held.ok());
    ASSERT_NE(*held, nullptr);
    auto skipped = catch_up_nightly(*dau_, *db_, 5);
    ASSERT_TRUE(skipped.ok()) << skipped.error().message;
    EXPECT_EQ(*skipped, 0);
    EXPECT_FALSE(stats_row("2026-11-23"));
    held->reset();
    auto computed = catch_up_nightly(*dau_, *db_, 5);
    ASSERT_TRUE(computed.ok()) << computed.error().message;
    EXPECT_EQ(*computed, 1);
}

}  // namespace
}  // namespace beacon::jobs
