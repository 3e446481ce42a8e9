#include "telemetry/version_reports.hpp"

#include <chrono>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "core/time_format.hpp"
#include "support/telemetry_fakes.hpp"

namespace beacon::telemetry {
namespace {

using namespace std::chrono_literals;

TimePoint at(const char* iso) {
    return *parse_iso8601(iso);
}

Event start(const char* install, Platform platform, std::optional<VersionCode> code, TimePoint when) {
    Event e;
    e.install_id = install;
    e.event_name = std::string(kSessionStart);
    e.platform = platform;
    e.version_code = code;
    e.event_time = when;
    e.received_at = when;
    return e;
}

TimeZone shanghai() {
    auto tz = TimeZone::load("Asia/Shanghai");
    EXPECT_TRUE(tz.ok());
    return *tz;
}

// --- left_behind --------------------------------------------------------------

TEST(LeftBehind, TheWindowStartsAtTheFirstDaysMidnightInTheReportingZone) {
    test::FakeEventStore store;
    // Shanghai is UTC+8: 2026-11-25 starts at 2026-11-24T16:00Z.
    ASSERT_TRUE(store
                    .append(std::vector<Event>{
                        start("i-before", Platform::Android, 100, at("2026-11-24T15:59:59.999Z")),
                        start("i-first", Platform::Android, 100, at("2026-11-24T16:00:00.000Z")),
                        start("i-today", Platform::Android, 300, at("2026-12-01T01:00:00.000Z")),
                        start("i-nocode", Platform::Android, std::nullopt, at("2026-12-01T01:00:00.000Z"))})
                    .ok());
    const TimePoint now = at("2026-12-01T02:00:00.000Z");  // 2026-12-01 10:00 in Shanghai
    auto r = left_behind(store, Platform::Android, 200, 7, now, shanghai());
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->counts.actors, 3) << "7 days: 2026-11-25 to 2026-12-01 in Shanghai";
    EXPECT_EQ(r->counts.below, 1);
    EXPECT_EQ(r->counts.unknown, 1);
    EXPECT_DOUBLE_EQ(r->share, 0.333333);
    auto one_day = left_behind(store, Platform::Android, 200, 1, now, shanghai());
    ASSERT_TRUE(one_day.ok());
    EXPECT_EQ(one_day->counts.actors, 2);
    EXPECT_EQ(one_day->counts.below, 0);
}

TEST(LeftBehind, DaysDefaultToSevenAndStayWithin1To90) {
    test::FakeEventStore store;
    const TimePoint now = at("2026-12-01T02:00:00.000Z");
    auto r = left_behind(store, Platform::Ios, 1, std::nullopt, now, TimeZone::utc());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->days, 7);
    EXPECT_EQ(r->counts.actors, 0);
    EXPECT_EQ(r->share, 0.0) << "no actors: a share of 0";
    for (int bad : {0, 91, -3}) {
        auto e = left_behind(store, Platform::Ios, 1, bad, now, TimeZone::utc());
        ASSERT_FALSE(e.ok());
        EXPECT_EQ(e.error().fields.at(0).field, "days");
    }
    EXPECT_TRUE(left_behind(store, Platform::Ios, 1, 90, now, TimeZone::utc()).ok());
}

// --- adoption ------------------------------------------------------------------

TEST(Adoption, HourBucketsAlignInUtcAndCutToTheRange) {
    test::FakeEventStore store;
    ASSERT_TRUE(store
                    .append(std::vector<Event>{start("i-1", Platform::Android, 210, at("2026-11-25T10:20:00Z")),
                                               start("i-2", Platform::Android, 200, at("2026-11-25T10:40:00Z")),
                                               start("i-3", Platform::Android, 210, at("2026-11-25T10:10:00Z")),
                                               start("i-4", Platform::Android, 210, at("2026-11-25T12:30:00Z")),
                                               start("i-5", Platform::Android, 210, at("2026-11-25T13:00:00Z"))})
                    .ok());
    AdoptionQuery q{AdoptionInterval::Hour, at("2026-11-25T10:15:00Z"), at("2026-11-25T13:00:00Z")};
    auto r = adoption(store, Platform::Android, 210, q, at("2026-11-26T00:00:00Z"), TimeZone::utc());
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->points.size(), 2u) << "i-3 is before from, i-5 at to (exclusive); 11:00 is empty";
    EXPECT_EQ(r->points[0].at, at("2026-11-25T10:00:00Z")) << "aligned, though the range starts at 10:15";
    EXPECT_EQ(r->points[0].installs, 1);
    EXPECT_DOUBLE_EQ(r->points[0].share, 0.5);
    EXPECT_EQ(r->points[1].at, at("2026-11-25T12:00:00Z"));
    EXPECT_DOUBLE_EQ(r->points[1].share, 1.0);
}

TEST(Adoption, DayBucketsAlignInTheReportingZone) {
    test::FakeEventStore store;
    ASSERT_TRUE(
        store
            .append(std::vector<Event>{start("i-1", Platform::Ios, 7, at("2026-11-24T15:59:00Z")),  // 11-24 in Shanghai
                                       start("i-2", Platform::Ios, 7, at("2026-11-24T16:00:00Z")),  // 11-25 in Shanghai
                                       start("i-3", Platform::Ios, 6, at("2026-11-25T15:00:00Z"))})  // 11-25 too
            .ok());
    AdoptionQuery q{AdoptionInterval::Day, at("2026-11-23T16:00:00Z"), at("2026-11-25T16:00:00Z")};
    auto r = adoption(store, Platform::Ios, 7, q, at("2026-11-26T00:00:00Z"), shanghai());
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->points.size(), 2u);
    EXPECT_EQ(r->points[0].at, at("2026-11-23T16:00:00Z"));
    EXPECT_EQ(r->points[0].installs, 1);
    EXPECT_DOUBLE_EQ(r->points[0].share, 1.0);
    EXPECT_EQ(r->points[1].at, at("2026-11-24T16:00:00Z"));
    EXPECT_EQ(r->points[1].installs, 1);
    EXPECT_DOUBLE_EQ(r->points[1].share, 0.5);
}

TEST(Adoption, DefaultsToHoursOverTheLastSevenDaysAndCapsTheBuckets) {
    test::FakeEventStore store;
    const TimePoint now = at("2026-11-25T10:30:00Z");
    auto r = adoption(store, Platform::Android, 1, AdoptionQuery{}, now, TimeZone::utc());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->interval, AdoptionInterval::Hour);
    EXPECT_TRUE(r->points.empty());
    // 1,000 hourly buckets are fine; 1,001 are not.
    AdoptionQuery most{AdoptionInterval::Hour, now - 1000h + 30min, now + 30min};
    EXPECT_TRUE(adoption(store, Platform::Android, 1, most, now, TimeZone::utc()).ok());
    AdoptionQuery over{AdoptionInterval::Hour, now - 1000h, now + 30min};
    auto e = adoption(store, Platform::Android, 1, over, now, TimeZone::utc());
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().fields.at(0).field, "from");
    AdoptionQuery years{AdoptionInterval::Day, now - 24h * 1001, now};
    EXPECT_FALSE(adoption(store, Platform::Android, 1, years, now, TimeZone::utc()).ok());
    AdoptionQuery backwards{AdoptionInterval::Day, now, now - 1h};
    auto b = adoption(store, Platform::Android, 1, backwards, now, TimeZone::utc());
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.error().fields.at(0).field, "from");
    EXPECT_EQ(parse_adoption_interval("1d"), AdoptionInterval::Day);
    EXPECT_EQ(parse_adoption_interval("5m"), std::nullopt);
}

// --- online_peaks -----------------------------------------------------------------

TEST(OnlinePeaks, OnePeakPerDayInTheReportingZoneDaysWithoutSnapshotsLeftOut) {
    test::FakeSnapshotStore store;
    store.inserted = {{at("2026-11-24T15:59:00Z"), 50, 180},  // 11-24 in Shanghai
                      {at("2026-11-24T16:00:00Z"), 10, 180},  // 11-25
                      {at("2026-11-25T03:00:00Z"), 30, 180},
                      {at("2026-11-25T04:00:00Z"), 30, 180},  // as high, later
                      {at("2026-11-26T16:30:00Z"), 5, 180}};  // 11-27
    const TimePoint now = at("2026-11-27T02:00:00Z");
    auto r = online_peaks(store, parse_day("2026-11-24"), std::nullopt, now, shanghai());
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ(format_day((*r)[0].day), "2026-11-24");
    EXPECT_EQ((*r)[0].peak.online, 50);
    EXPECT_EQ(format_day((*r)[1].day), "2026-11-25");
    EXPECT_EQ((*r)[1].peak.online, 30);
    EXPECT_EQ((*r)[1].peak.at, at("2026-11-25T03:00:00Z")) << "when it was first reached";
    EXPECT_EQ(format_day((*r)[2].day), "2026-11-27");
    auto backwards = online_peaks(store, parse_day("2026-11-26"), parse_day("2026-11-25"), now, shanghai());
    ASSERT_FALSE(backwards.ok());
    EXPECT_EQ(backwards.error().fields.at(0).field, "from");
    auto long_range = online_peaks(store, parse_day("2025-01-01"), parse_day("2026-11-25"), now, shanghai());
    ASSERT_FALSE(long_range.ok());
}

}  // namespace
}  // namespace beacon::telemetry
