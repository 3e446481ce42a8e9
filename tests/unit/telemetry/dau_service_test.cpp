#include "telemetry/dau_service.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/memory/memory_presence.hpp"
#include "core/time_format.hpp"
#include "support/telemetry_fakes.hpp"

namespace beacon::telemetry {
namespace {

using namespace std::chrono_literals;
using backends::memory::MemoryPresence;
using test::FakeDailyStatsStore;
using test::FakeEventStore;

Day D(std::string_view s) {
    return *parse_day(s);
}
TimePoint T(std::string_view s) {
    return *parse_iso8601(s);
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

class DauServiceTest : public ::testing::Test {
protected:
    DauServiceTest() : presence_(MemoryPresence::open(std::nullopt).value()) {}

    // Today is 2026-11-25 (12:00Z) unless a test moves the clock.
    DauService make(TelemetrySettings settings = {}) {
        return DauService(events_, stats_, *presence_, clock_, settings);
    }

    void row(std::string_view day, std::int64_t total, bool exact, TimePoint computed_at) {
        DailyStats s;
        s.day = D(day);
        s.counts.total = total;
        s.counts.by_region["CN"] = total;
        s.exact = exact;
        s.computed_at = computed_at;
        ASSERT_TRUE(stats_.upsert(s).ok());
    }

    void estimate(std::string_view day, int actors, Platform platform = Platform::Android) {
        std::vector<DauMark> marks;
        for (int i = 0; i < actors; ++i) {
            marks.push_back(DauMark{D(day), platform, "i:device-" + std::to_string(i)});
        }
        ASSERT_TRUE(presence_->add_to_dau(marks).ok());
    }

    void store(std::vector<Event> events) { ASSERT_TRUE(events_.append(events).ok()); }

    ManualClock clock_{T("2026-11-25T12:00:00Z")};
    FakeEventStore events_;
    FakeDailyStatsStore stats_;
    std::unique_ptr<MemoryPresence> presence_;
};

TEST_F(DauServiceTest, TodayFollowsTheReportingZone) {
    clock_.set(T("2026-11-24T16:30:00Z"));
    EXPECT_EQ(format_day(make().today()), "2026-11-24");
    TelemetrySettings shanghai;
    shanghai.tz = TimeZone::load("Asia/Shanghai").value();
    EXPECT_EQ(format_day(make(shanghai).today()), "2026-11-25");
}

TEST_F(DauServiceTest, RangeMergesExactRowsRollingRowsAndEstimates) {
    TimePoint nightly_run = T("2026-11-21T01:00:00Z");
    TimePoint rolling_run = T("2026-11-24T23:50:00Z");
    row("2026-11-20", 10, true, nightly_run);
    row("2026-11-24", 7, false, rolling_run);
    estimate("2026-11-24", 50);  // a row exists: the estimate is not used
    estimate("2026-11-23", 4);
    estimate("2026-11-25", 2, Platform::Ios);
    auto dau = make();

    auto days = dau.range(D("2026-11-18"), D("2026-11-25"));
    ASSERT_TRUE(days.ok()) << days.error().message;
    ASSERT_EQ(days->size(), 4u);

    const DauDay& exact = (*days)[0];
    EXPECT_EQ(format_day(exact.day), "2026-11-20");
    EXPECT_TRUE(exact.exact);
    EXPECT_EQ(exact.counts.total, 10);
    EXPECT_EQ(exact.computed_at, nightly_run);
    EXPECT_EQ(exact.counts.by_region.at("CN"), 10);

    const DauDay& est = (*days)[1];
    EXPECT_EQ(format_day(est.day), "2026-11-23");
    EXPECT_FALSE(est.exact);
    EXPECT_EQ(est.counts.total, 4);
    EXPECT_EQ(est.counts.by_platform.at("android"), 4);
    EXPECT_TRUE(est.counts.by_region.empty());
    EXPECT_FALSE(est.computed_at);

    const DauDay& rolling = (*days)[2];
    EXPECT_EQ(format_day(rolling.day), "2026-11-24");
    EXPECT_FALSE(rolling.exact);
    EXPECT_EQ(rolling.counts.total, 7);
    EXPECT_EQ(rolling.computed_at, rolling_run);

    const DauDay& today = (*days)[3];
    EXPECT_EQ(format_day(today.day), "2026-11-25");
    EXPECT_EQ(today.counts.total, 2);
    EXPECT_EQ(today.counts.by_platform.at("ios"), 2);
    EXPECT_FALSE(today.computed_at);
}

TEST_F(DauServiceTest, RangeUsesEstimatesOnlyForTheDaysTheyLive) {
    // Estimates live from today - 3 on (cleanup drops the older ones); an older
    // sketch that is still around is not listed.
    estimate("2026-11-21", 5);  // today - 4
    estimate("2026-11-22", 6);  // today - 3
    auto days = make().range(D("2026-11-01"), D("2026-11-30"));
    ASSERT_TRUE(days.ok());
    ASSERT_EQ(days->size(), 1u);
    EXPECT_EQ(format_day((*days)[0].day), "2026-11-22");
    EXPECT_EQ((*days)[0].counts.total, 6);
}

TEST_F(DauServiceTest, RangeOmitsDaysWithoutData) {
    row("2026-11-24", 3, true, T("2026-11-25T01:00:00Z"));
    auto days = make().range(D("2026-11-20"), D("2026-11-25"));
    ASSERT_TRUE(days.ok());
    ASSERT_EQ(days->size(), 1u);
    EXPECT_EQ(format_day((*days)[0].day), "2026-11-24");
}

TEST_F(DauServiceTest, RangeRespectsBothEndsInclusive) {
    row("2026-11-19", 1, true, T("2026-11-20T01:00:00Z"));
    row("2026-11-20", 2, true, T("2026-11-21T01:00:00Z"));
    row("2026-11-21", 3, true, T("2026-11-22T01:00:00Z"));
    estimate("2026-11-25", 9);
    auto days = make().range(D("2026-11-20"), D("2026-11-21"));
    ASSERT_TRUE(days.ok());
    ASSERT_EQ(days->size(), 2u);
    EXPECT_EQ((*days)[0].counts.total, 2);
    EXPECT_EQ((*days)[1].counts.total, 3);

    auto today_only = make().range(D("2026-11-25"), D("2026-11-25"));
    ASSERT_TRUE(today_only.ok());
    ASSERT_EQ(today_only->size(), 1u);
    EXPECT_EQ((*today_only)[0].counts.total, 9);
}

TEST_F(DauServiceTest, ComputeCountsTheDayInTheReportingZoneAndStoresTheRow) {
    TelemetrySettings settings;
    settings.tz = TimeZone::load("Asia/Shanghai").value();
    // The Shanghai day 2026-11-25 is [2026-11-24T16:00Z, 2026-11-25T16:00Z).
    store({session("i-before", T("2026-11-24T15:59:59.999Z")),
           session("i-first", T("2026-11-24T16:00:00Z"), Platform::Android),
           session("i-last", T("2026-11-25T15:59:59.999Z"), Platform::Ios),
           session("i-after", T("2026-11-25T16:00:00Z"))});
    auto dau = make(settings);
    auto counts = dau.compute(D("2026-11-25"), true);
    ASSERT_TRUE(counts.ok());
    EXPECT_EQ(counts->total, 2);
    ASSERT_EQ(events_.count_queries().size(), 1u);
    EXPECT_EQ(events_.count_queries()[0].first, T("2026-11-24T16:00:00Z"));
    EXPECT_EQ(events_.count_queries()[0].second, T("2026-11-25T16:00:00Z"));

    auto rows = stats_.rows();
    ASSERT_EQ(rows.size(), 1u);
    const DailyStats& r = rows.at(D("2026-11-25"));
    EXPECT_TRUE(r.exact);
    EXPECT_EQ(r.computed_at, clock_.now());
    EXPECT_EQ(r.counts.total, 2);
    EXPECT_EQ(r.counts.by_platform.at("android"), 1);
    EXPECT_EQ(r.counts.by_platform.at("ios"), 1);
}

TEST_F(DauServiceTest, ComputeStoresRollingRowsAsNotExact) {
    store({session("i-11111111", T("2026-11-25T09:00:00Z"))});
    ASSERT_TRUE(make().compute(D("2026-11-25"), false).ok());
    auto rows = stats_.rows();
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_FALSE(rows.begin()->second.exact);
}

TEST_F(DauServiceTest, ComputeStoresNothingForAnEmptyDay) {
    store({session("i-11111111", T("2026-11-23T09:00:00Z"))});
    auto counts = make().compute(D("2026-11-24"), true);
    ASSERT_TRUE(counts.ok());
    EXPECT_EQ(counts->total, 0);
    EXPECT_EQ(stats_.upserts(), 0);
    EXPECT_TRUE(stats_.rows().empty());
}

TEST_F(DauServiceTest, ComputedExactRowReplacesTheEstimateInRange) {
    estimate("2026-11-24", 40);
    store({session("i-11111111", T("2026-11-24T09:00:00Z")), session("i-22222222", T("2026-11-24T10:00:00Z"))});
    auto dau = make();
    ASSERT_TRUE(dau.compute(D("2026-11-24"), true).ok());
    auto days = dau.range(D("2026-11-24"), D("2026-11-24"));
    ASSERT_TRUE(days.ok());
    ASSERT_EQ(days->size(), 1u);
    EXPECT_TRUE((*days)[0].exact);
    EXPECT_EQ((*days)[0].counts.total, 2);
}

TEST_F(DauServiceTest, DaysMissingExactListsDaysWithoutAnExactRow) {
    // Lookback 5 from 2026-11-25: 11-20 .. 11-24.
    row("2026-11-21", 1, true, T("2026-11-22T01:00:00Z"));
    row("2026-11-22", 1, false, T("2026-11-22T23:50:00Z"));  // rolling only
    row("2026-11-24", 1, true, T("2026-11-25T01:00:00Z"));
    row("2026-11-19", 1, false, T("2026-11-19T23:50:00Z"));  // outside the lookback
    auto missing = make().days_missing_exact(5);
    ASSERT_TRUE(missing.ok());
    std::vector<std::string> days;
    for (Day d : *missing) {
        days.push_back(format_day(d));
    }
    EXPECT_EQ(days, (std::vector<std::string>{"2026-11-20", "2026-11-22", "2026-11-23"}));
}

TEST_F(DauServiceTest, DaysMissingExactNeverIncludesToday) {
    auto missing = make().days_missing_exact(1);
    ASSERT_TRUE(missing.ok());
    ASSERT_EQ(missing->size(), 1u);
    EXPECT_EQ(format_day((*missing)[0]), "2026-11-24");
}

}  // namespace
}  // namespace beacon::telemetry
