#include "telemetry/adoption_tally.hpp"

#include <chrono>
#include <vector>

#include <gtest/gtest.h>

namespace beacon::telemetry {
namespace {

using namespace std::chrono_literals;

const TimePoint t0{std::chrono::hours(24 * 20000)};

TEST(AdoptionTally, CountsEachInstallOncePerBucketAndAtTheCodeIfAnySessionWasAtIt) {
    const std::vector<TimeRange> buckets = {{t0, t0 + 1h}, {t0 + 1h, t0 + 2h}};
    AdoptionTally tally(buckets, 7);
    tally.add(t0, "a", 6);
    tally.add(t0 + 1min, "a", 7);  // upgraded within the bucket: counted at 7, once
    tally.add(t0 + 2min, "a", 7);
    tally.add(t0 + 3min, "b", std::nullopt);
    tally.add(t0 + 59min, "c", 6);
    tally.add(t0 + 1h, "a", 7);  // the next bucket starts at its `from`
    const auto out = tally.finish();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].at, t0);
    EXPECT_EQ(out[0].installs, 1);
    EXPECT_EQ(out[0].platform_installs, 3);
    EXPECT_EQ(out[1].at, t0 + 1h);
    EXPECT_EQ(out[1].installs, 1);
    EXPECT_EQ(out[1].platform_installs, 1);
}

TEST(AdoptionTally, LeavesOutEmptyBucketsAndRowsInGapsOrPastTheEnd) {
    // A gap [1h, 2h) between the buckets, and nothing in the second one.
    const std::vector<TimeRange> buckets = {{t0, t0 + 1h}, {t0 + 2h, t0 + 3h}, {t0 + 3h, t0 + 4h}};
    AdoptionTally tally(buckets, 7);
    tally.add(t0 - 1ms, "early", 7);
    tally.add(t0 + 30min, "a", 8);
    tally.add(t0 + 90min, "gap", 7);
    tally.add(t0 + 3h + 5min, "b", 7);
    tally.add(t0 + 4h, "late", 7);
    const auto out = tally.finish();
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].at, t0);
    EXPECT_EQ(out[0].installs, 0);
    EXPECT_EQ(out[0].platform_installs, 1);
    EXPECT_EQ(out[1].at, t0 + 3h);
    EXPECT_EQ(out[1].installs, 1);
    EXPECT_EQ(out[1].platform_installs, 1);
}

TEST(AdoptionTally, NoRowsNoBuckets) {
    const std::vector<TimeRange> buckets = {{t0, t0 + 1h}};
    AdoptionTally tally(buckets, 7);
    EXPECT_TRUE(tally.finish().empty());
}

}  // namespace
}  // namespace beacon::telemetry
