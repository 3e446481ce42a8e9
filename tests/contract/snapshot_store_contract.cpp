#include <chrono>
#include <cstdint>
#include <vector>

#include "store_contract.hpp"

namespace beacon::contract {
namespace {

using namespace std::chrono_literals;
using telemetry::OnlineSnapshot;
using telemetry::SnapshotBucket;

// 2026-11-25T10:00:00Z: aligned to the hour.
const TimePoint kT0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 10h;

void insert(telemetry::SnapshotStore& s, TimePoint ts, std::int64_t online) {
    auto r = s.insert(OnlineSnapshot{ts, online, 180});
    ASSERT_TRUE(r.ok()) << r.error().message;
}

std::vector<SnapshotBucket> buckets(telemetry::SnapshotStore& s, Millis interval, TimePoint from, TimePoint to) {
    auto r = s.buckets(interval, from, to);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::vector<SnapshotBucket>{};
}

std::vector<TimePoint> starts(const std::vector<SnapshotBucket>& bs) {
    std::vector<TimePoint> out;
    for (const SnapshotBucket& b : bs) {
        out.push_back(b.at);
    }
    return out;
}

TEST_P(SnapshotStoreContract, NoSnapshotsNoBuckets) {
    EXPECT_TRUE(buckets(store(), 5min, kT0, kT0 + 1h).empty());
}

TEST_P(SnapshotStoreContract, OneMinuteBucketsHoldOneSnapshotEach) {
    for (int m = 0; m < 3; ++m) {
        insert(store(), kT0 + std::chrono::minutes{m}, 10 + m);
    }
    std::vector<SnapshotBucket> bs = buckets(store(), 1min, kT0, kT0 + 1h);
    ASSERT_EQ(bs.size(), 3u);
    for (int m = 0; m < 3; ++m) {
        EXPECT_EQ(bs[m].at, kT0 + std::chrono::minutes{m});
        EXPECT_EQ(bs[m].samples, 1);
        EXPECT_EQ(bs[m].min, 10 + m);
        EXPECT_EQ(bs[m].max, 10 + m);
        EXPECT_DOUBLE_EQ(bs[m].avg, 10 + m);
    }
}

TEST_P(SnapshotStoreContract, BucketsAlignToTheIntervalNotToFrom) {
    // Snapshots a few seconds late, as a real scheduler writes them.
    for (int m = 0; m < 15; ++m) {
        insert(store(), kT0 + std::chrono::minutes{m} + 2s, m);
    }
    // `from` in the middle of a bucket: the bucket still starts on the interval.
    std::vector<SnapshotBucket> bs = buckets(store(), 5min, kT0 + 3min, kT0 + 15min);
    EXPECT_EQ(starts(bs), (std::vector<TimePoint>{kT0, kT0 + 5min, kT0 + 10min}));
    ASSERT_EQ(bs.size(), 3u);
    EXPECT_EQ(bs[0].samples, 2);  // minutes 3 and 4 only
    EXPECT_EQ(bs[0].min, 3);
    EXPECT_EQ(bs[0].max, 4);
    EXPECT_EQ(bs[1].samples, 5);
    EXPECT_EQ(bs[2].samples, 5);

    std::vector<SnapshotBucket> hours = buckets(store(), 1h, kT0 - 2h, kT0 + 2h);
    ASSERT_EQ(hours.size(), 1u);
    EXPECT_EQ(hours[0].at, kT0);
    EXPECT_EQ(hours[0].samples, 15);
    EXPECT_EQ(hours[0].min, 0);
    EXPECT_EQ(hours[0].max, 14);
    EXPECT_DOUBLE_EQ(hours[0].avg, 7.0);
}

TEST_P(SnapshotStoreContract, EmptyBucketsAreOmitted) {
    insert(store(), kT0 + 1min, 5);
    insert(store(), kT0 + 22min, 7);
    insert(store(), kT0 + 24min, 9);
    std::vector<SnapshotBucket> bs = buckets(store(), 5min, kT0, kT0 + 1h);
    EXPECT_EQ(starts(bs), (std::vector<TimePoint>{kT0, kT0 + 20min}));
    ASSERT_EQ(bs.size(), 2u);
    EXPECT_EQ(bs[1].samples, 2);
    EXPECT_DOUBLE_EQ(bs[1].avg, 8.0);
}

TEST_P(SnapshotStoreContract, AverageIsRoundedToTwoDecimals) {
    // 1, 2, 2 -> 1.666.. -> 1.67
    insert(store(), kT0, 1);
    insert(store(), kT0 + 1min, 2);
    insert(store(), kT0 + 2min, 2);
    // 1, 1, 2 -> 1.333.. -> 1.33
    insert(store(), kT0 + 5min, 1);
    insert(store(), kT0 + 6min, 1);
    insert(store(), kT0 + 7min, 2);
    // 0 x7 and 1 -> 0.125 -> 0.13 (half away from zero)
    for (int m = 0; m < 8; ++m) {
        insert(store(), kT0 + 10min + std::chrono::seconds{30 * m}, m == 0 ? 1 : 0);
    }
    std::vector<SnapshotBucket> bs = buckets(store(), 5min, kT0, kT0 + 1h);
    ASSERT_EQ(bs.size(), 3u);
    EXPECT_DOUBLE_EQ(bs[0].avg, 1.67);
    EXPECT_DOUBLE_EQ(bs[1].avg, 1.33);
    EXPECT_EQ(bs[2].samples, 8);
    EXPECT_DOUBLE_EQ(bs[2].avg, 0.13);
}

TEST_P(SnapshotStoreContract, RangeIsFromInclusiveToExclusive) {
    insert(store(), kT0 - 1ms, 100);
    insert(store(), kT0, 1);
    insert(store(), kT0 + 1h - 1ms, 2);
    insert(store(), kT0 + 1h, 200);
    std::vector<SnapshotBucket> bs = buckets(store(), 1h, kT0, kT0 + 1h);
    ASSERT_EQ(bs.size(), 1u);
    EXPECT_EQ(bs[0].samples, 2);
    EXPECT_EQ(bs[0].min, 1);
    EXPECT_EQ(bs[0].max, 2);
}

TEST_P(SnapshotStoreContract, PeaksAreTheHighestSnapshotFirstReachedPerRange) {
    insert(store(), kT0, 5);
    insert(store(), kT0 + 1min, 9);
    insert(store(), kT0 + 2min, 9);  // as high, later: the first one counts
    insert(store(), kT0 + 3min, 2);
    insert(store(), kT0 + 1h, 4);  // = the first range's end: the second range's
    insert(store(), kT0 + 3h, 7);
    const std::vector<telemetry::TimeRange> ranges{
        {kT0, kT0 + 1h}, {kT0 + 1h, kT0 + 2h}, {kT0 + 2h, kT0 + 3h}, {kT0 - 1h, kT0}};
    auto r = store().peaks(ranges);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->size(), 4u);
    ASSERT_TRUE((*r)[0]);
    EXPECT_EQ((*r)[0]->online, 9);
    EXPECT_EQ((*r)[0]->at, kT0 + 1min);
    ASSERT_TRUE((*r)[1]);
    EXPECT_EQ((*r)[1]->online, 4);
    EXPECT_EQ((*r)[1]->at, kT0 + 1h);
    EXPECT_FALSE((*r)[2]) << "a range without snapshots has no peak";
    EXPECT_FALSE((*r)[3]) << "ranges need not be in order";
    auto none = store().peaks({});
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
}

TEST_P(SnapshotStoreContract, DeleteBeforeRemovesOnlyOlderSnapshots) {
    insert(store(), kT0 - 2h, 1);
    insert(store(), kT0 - 1ms, 2);
    insert(store(), kT0, 3);
    insert(store(), kT0 + 1min, 4);
    auto deleted = store().delete_snapshots_before(kT0);
    ASSERT_TRUE(deleted.ok()) << deleted.error().message;
    EXPECT_EQ(*deleted, 2);
    std::vector<SnapshotBucket> bs = buckets(store(), 1h, kT0 - 1h * 24, kT0 + 1h * 24);
    ASSERT_EQ(bs.size(), 1u);
    EXPECT_EQ(bs[0].samples, 2);
    EXPECT_EQ(bs[0].min, 3);
}

}  // namespace
}  // namespace beacon::contract
