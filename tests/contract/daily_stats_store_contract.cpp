#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "store_contract.hpp"

namespace beacon::contract {
namespace {

using namespace std::chrono_literals;
using telemetry::DailyStats;

const Day kDay = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25};
const TimePoint kComputedAt = from_epoch_ms(1'795'600'000'123);

DailyStats stats(Day day, std::int64_t total, bool exact = true) {
    DailyStats s;
    s.day = day;
    s.counts.total = total;
    s.counts.by_platform = {{"android", total - 1}, {"unknown", 1}};
    s.counts.by_region = {{"CN", total}};
    s.exact = exact;
    s.computed_at = kComputedAt;
    return s;
}

std::vector<DailyStats> range(telemetry::DailyStatsStore& s, Day from, Day to) {
    auto r = s.range(from, to);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::vector<DailyStats>{};
}

void upsert(telemetry::DailyStatsStore& s, const DailyStats& stats) {
    auto r = s.upsert(stats);
    ASSERT_TRUE(r.ok()) << r.error().message;
}

std::vector<Day> days(const std::vector<DailyStats>& rows) {
    std::vector<Day> out;
    for (const DailyStats& r : rows) {
        out.push_back(r.day);
    }
    return out;
}

TEST_P(DailyStatsStoreContract, RangeWithoutRowsIsEmpty) {
    EXPECT_TRUE(range(store(), kDay - std::chrono::days{30}, kDay).empty());
}

TEST_P(DailyStatsStoreContract, UpsertThenRangeRoundTripsEveryField) {
    DailyStats in;
    in.day = kDay;
    in.counts.total = 341;
    in.counts.by_platform = {{"android", 300}, {"ios", 40}, {"unknown", 1}};
    in.counts.by_region = {{"CN", 200}, {"US", 100}, {"unknown", 41}};
    in.exact = true;
    in.computed_at = kComputedAt;
    upsert(store(), in);

    std::vector<DailyStats> out = range(store(), kDay, kDay);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].day, in.day);
    EXPECT_EQ(out[0].counts.total, in.counts.total);
    EXPECT_EQ(out[0].counts.by_platform, in.counts.by_platform);
    EXPECT_EQ(out[0].counts.by_region, in.counts.by_region);
    EXPECT_TRUE(out[0].exact);
    EXPECT_EQ(out[0].computed_at, in.computed_at);
}

TEST_P(DailyStatsStoreContract, EmptyBreakdownsRoundTrip) {
    DailyStats in;
    in.day = kDay;
    in.exact = false;
    in.computed_at = kComputedAt;
    upsert(store(), in);
    std::vector<DailyStats> out = range(store(), kDay, kDay);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].counts.total, 0);
    EXPECT_TRUE(out[0].counts.by_platform.empty());
    EXPECT_TRUE(out[0].counts.by_region.empty());
    EXPECT_FALSE(out[0].exact);
}

TEST_P(DailyStatsStoreContract, UpsertReplacesTheWholeRowOfThatDay) {
    upsert(store(), stats(kDay, 10, false));
    DailyStats exact;
    exact.day = kDay;
    exact.counts.total = 12;
    exact.counts.by_platform = {{"ios", 12}};
    exact.counts.by_region = {{"US", 12}};
    exact.exact = true;
    exact.computed_at = kComputedAt + 1h;
    upsert(store(), exact);

    std::vector<DailyStats> out = range(store(), kDay, kDay);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].counts.total, 12);
    EXPECT_EQ(out[0].counts.by_platform, exact.counts.by_platform) << "old keys are gone";
    EXPECT_EQ(out[0].counts.by_region, exact.counts.by_region);
    EXPECT_TRUE(out[0].exact);
    EXPECT_EQ(out[0].computed_at, exact.computed_at);
}

TEST_P(DailyStatsStoreContract, RangeIsInclusiveAndSortedByDay) {
    const std::chrono::days d{1};
    for (int offset : {3, 0, 4, 1, 2, -1, 5}) {
        upsert(store(), stats(kDay + offset * d, 10 + offset));
    }
    std::vector<DailyStats> out = range(store(), kDay + d, kDay + 4 * d);
    EXPECT_EQ(days(out), (std::vector<Day>{kDay + d, kDay + 2 * d, kDay + 3 * d, kDay + 4 * d}));
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0].counts.total, 11);
    EXPECT_EQ(out[3].counts.total, 14);

    EXPECT_EQ(days(range(store(), kDay, kDay)), (std::vector<Day>{kDay}));
    EXPECT_TRUE(range(store(), kDay + 10 * d, kDay + 20 * d).empty());
}

TEST_P(DailyStatsStoreContract, RangeCrossesMonthAndYearBoundaries) {
    const Day dec31 = std::chrono::sys_days{std::chrono::year{2026} / 12 / 31};
    const Day jan1 = std::chrono::sys_days{std::chrono::year{2027} / 1 / 1};
    const Day oct9 = std::chrono::sys_days{std::chrono::year{2026} / 10 / 9};
    const Day oct10 = std::chrono::sys_days{std::chrono::year{2026} / 10 / 10};
    for (Day d : {jan1, oct10, dec31, oct9}) {
        upsert(store(), stats(d, 5));
    }
    EXPECT_EQ(days(range(store(), oct9, jan1)), (std::vector<Day>{oct9, oct10, dec31, jan1}));
    EXPECT_EQ(days(range(store(), oct10, dec31)), (std::vector<Day>{oct10, dec31}));
}

}  // namespace
}  // namespace beacon::contract
