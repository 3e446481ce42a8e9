#include "releases/rollout.hpp"

#include <array>
#include <string>

#include <gtest/gtest.h>

namespace beacon::releases {
namespace {

// Pinned: computed independently (Python hashlib) from the documented rule.
// If one of these changes, every running rollout reshuffles; don't.
TEST(Rollout, BucketIsThePinnedStableHash) {
    EXPECT_EQ(rollout_bucket("install-0001", 1), 87);
    EXPECT_EQ(rollout_bucket("install-0001", 2), 4);
    EXPECT_EQ(rollout_bucket("a1b2c3d4-e5f6", 42), 63);
    EXPECT_EQ(rollout_bucket("device:XYZ.123", 9007199254740993), 36);
    EXPECT_EQ(rollout_bucket("abcdefgh", 0), 96);
}

TEST(Rollout, BucketsAreRoughlyUniform) {
    constexpr int kIds = 100'000;
    std::array<int, 100> counts{};
    for (int i = 0; i < kIds; ++i) {
        const int b = rollout_bucket("install-" + std::to_string(i), 7);
        ASSERT_GE(b, 0);
        ASSERT_LT(b, 100);
        ++counts[static_cast<std::size_t>(b)];
    }
    double chi2 = 0;
    for (int c : counts) {
        EXPECT_GT(c, 850);
        EXPECT_LT(c, 1150);
        chi2 += (c - 1000.0) * (c - 1000.0) / 1000.0;
    }
    // 99 degrees of freedom: the 99.9th percentile is about 148.
    EXPECT_LT(chi2, 148.0);
}

TEST(Rollout, VersionsDrawIndependentSamples) {
    // The first 10% of one rollout should not be the first 10% of the next.
    int in_both = 0;
    int in_first = 0;
    for (int i = 0; i < 20'000; ++i) {
        const std::string id = "install-" + std::to_string(i);
        const bool a = rollout_covers(10, id, 1);
        in_first += a ? 1 : 0;
        in_both += (a && rollout_covers(10, id, 2)) ? 1 : 0;
    }
    EXPECT_NEAR(in_first, 2000, 200);
    EXPECT_NEAR(in_both, 200, 60);  // ~1% if independent, ~10% if correlated
}

TEST(Rollout, CoverageGrowsMonotonicallyWithPercent) {
    for (int i = 0; i < 300; ++i) {
        const std::string id = "install-" + std::to_string(i);
        bool covered = false;
        for (int p = 0; p <= 100; ++p) {
            const bool now = rollout_covers(p, id, 5);
            EXPECT_TRUE(!covered || now) << id << " dropped out at " << p;
            covered = now;
        }
        EXPECT_TRUE(covered);
        EXPECT_FALSE(rollout_covers(0, id, 5));
    }
}

}  // namespace
}  // namespace beacon::releases
