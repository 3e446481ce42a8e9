#include "backends/memory/hyperloglog.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace beacon::backends::memory {
namespace {

std::string id(std::uint64_t i) {
    return "i:device-" + std::to_string(i);
}

double relative_error(std::uint64_t estimate, std::uint64_t truth) {
    return std::abs(static_cast<double>(estimate) - static_cast<double>(truth)) / static_cast<double>(truth);
}

TEST(HyperLogLog, EmptySketchCountsZero) {
    HyperLogLog h;
    EXPECT_EQ(h.count(), 0u);
    EXPECT_TRUE(h.empty());
}

TEST(HyperLogLog, OneItemCountsOne) {
    HyperLogLog h;
    EXPECT_TRUE(h.add("u:alice"));
    EXPECT_FALSE(h.empty());
    EXPECT_EQ(h.count(), 1u);
}

TEST(HyperLogLog, SmallCardinalitiesAreNearlyExact) {
    HyperLogLog h;
    for (std::uint64_t n = 1; n <= 1000; ++n) {
        h.add(id(n));
        if (n <= 100) {
            // Ertl's estimator is within one of the truth for tiny sets.
            EXPECT_NEAR(static_cast<double>(h.count()), static_cast<double>(n), 1.0) << "n=" << n;
        } else {
            EXPECT_LT(relative_error(h.count(), n), 0.02) << "n=" << n;
        }
    }
}

TEST(HyperLogLog, MillionDistinctIdsWithinTwoPercent) {
    constexpr std::uint64_t kN = 1'000'000;
    HyperLogLog h;
    for (std::uint64_t i = 0; i < kN; ++i) {
        h.add(id(i));
    }
    const std::uint64_t estimate = h.count();
    const double error = relative_error(estimate, kN);
    std::printf("[   INFO   ] HLL estimate for %llu distinct ids: %llu (relative error %.3f%%)\n",
                static_cast<unsigned long long>(kN),
                static_cast<unsigned long long>(estimate),
                error * 100.0);
    EXPECT_LT(error, 0.02);
}

TEST(HyperLogLog, DuplicatesDoNotGrowTheCount) {
    HyperLogLog h;
    for (std::uint64_t i = 0; i < 5000; ++i) {
        h.add(id(i));
    }
    const std::uint64_t before = h.count();
    const HyperLogLog snapshot = h;
    for (int round = 0; round < 3; ++round) {
        for (std::uint64_t i = 0; i < 5000; ++i) {
            EXPECT_FALSE(h.add(id(i)));
        }
    }
    EXPECT_EQ(h.count(), before);
    EXPECT_EQ(h, snapshot);
}

TEST(HyperLogLog, AddHashMatchesAdd) {
    HyperLogLog a;
    HyperLogLog b;
    for (std::uint64_t i = 0; i < 1000; ++i) {
        a.add(id(i));
        b.add_hash(HyperLogLog::hash(id(i)));
    }
    EXPECT_EQ(a, b);
}

TEST(HyperLogLog, MergeEqualsUnion) {
    HyperLogLog left;
    HyperLogLog right;
    HyperLogLog both;
    // Overlapping ranges: [0, 60000) and [40000, 100000).
    for (std::uint64_t i = 0; i < 60'000; ++i) {
        left.add(id(i));
        both.add(id(i));
    }
    for (std::uint64_t i = 40'000; i < 100'000; ++i) {
        right.add(id(i));
        both.add(id(i));
    }
    HyperLogLog merged = left;
    merged.merge(right);
    EXPECT_EQ(merged, both);
    EXPECT_EQ(merged.count(), both.count());
    EXPECT_LT(relative_error(merged.count(), 100'000), 0.02);

    // Merging is idempotent and commutative.
    HyperLogLog other_way = right;
    other_way.merge(left);
    other_way.merge(left);
    EXPECT_EQ(other_way, both);
}

TEST(HyperLogLog, RegistersRoundTrip) {
    HyperLogLog h;
    for (std::uint64_t i = 0; i < 20'000; ++i) {
        h.add(id(i));
    }
    const auto regs = h.registers();
    ASSERT_EQ(regs.size(), HyperLogLog::kRegisters);
    const std::vector<std::uint8_t> copy(regs.begin(), regs.end());
    auto restored = HyperLogLog::from_registers(copy);
    ASSERT_TRUE(restored.has_value());
    EXPECT_EQ(*restored, h);
    EXPECT_EQ(restored->count(), h.count());
}

TEST(HyperLogLog, FromRegistersRejectsWrongSizeOrValue) {
    std::vector<std::uint8_t> regs(HyperLogLog::kRegisters, 0);
    EXPECT_TRUE(HyperLogLog::from_registers(regs).has_value());
    regs.pop_back();
    EXPECT_FALSE(HyperLogLog::from_registers(regs).has_value());
    regs.push_back(HyperLogLog::kMaxRank + 1);
    EXPECT_FALSE(HyperLogLog::from_registers(regs).has_value());
    regs.back() = HyperLogLog::kMaxRank;
    EXPECT_TRUE(HyperLogLog::from_registers(regs).has_value());
}

TEST(HyperLogLog, SaturatedRegistersGiveTheLargestEstimate) {
    std::vector<std::uint8_t> regs(HyperLogLog::kRegisters, HyperLogLog::kMaxRank);
    auto h = HyperLogLog::from_registers(regs);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->count(), std::numeric_limits<std::uint64_t>::max());
}

}  // namespace
}  // namespace beacon::backends::memory
