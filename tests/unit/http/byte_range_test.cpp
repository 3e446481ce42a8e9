#include "http/byte_range.hpp"

#include <gtest/gtest.h>

namespace beacon::http {
namespace {

struct Case {
    const char* header;
    std::uint64_t size;
    RangeOutcome outcome;
    std::uint64_t first = 0;
    std::uint64_t last = 0;
};

TEST(ByteRange, FollowsRfc9110) {
    constexpr auto I = RangeOutcome::Ignore;
    constexpr auto P = RangeOutcome::Partial;
    constexpr auto U = RangeOutcome::Unsatisfiable;
    const Case cases[] = {
        {"bytes=0-99", 1000, P, 0, 99},
        {"bytes=100-199", 1000, P, 100, 199},
        {"bytes=900-", 1000, P, 900, 999},
        {"bytes=999-999", 1000, P, 999, 999},
        {"bytes=0-0", 1, P, 0, 0},
        {"bytes=-10", 1000, P, 990, 999},
        {"bytes=-5000", 1000, P, 0, 999},
        {"BYTES=1-2", 1000, P, 1, 2},
        // last-pos past the end, even past 64 bits: clamped (issue 9 #15).
        {"bytes=0-1000", 1000, P, 0, 999},
        {"bytes=0-99999999999999999999", 1000, P, 0, 999},
        {"bytes=5-184467440737095516150", 1000, P, 5, 999},
        {"bytes=-99999999999999999999", 1000, P, 0, 999},
        // Well-formed but outside the file: 416.
        {"bytes=1000-", 1000, U},
        {"bytes=1000-2000", 1000, U},
        {"bytes=99999999999999999999-", 1000, U},
        {"bytes=-0", 1000, U},
        {"bytes=0-0", 0, U},
        {"bytes=-1", 0, U},
        // Not understood: ignored, the whole file (issue 9 #15: --1 was a 416).
        {"bytes=--1", 1000, I},
        {"bytes=-", 1000, I},
        {"bytes=-1-2", 1000, I},
        {"bytes=5", 1000, I},
        {"bytes=a-b", 1000, I},
        {"bytes=1-a", 1000, I},
        {"bytes=+1-2", 1000, I},
        {"bytes= 1-2x", 1000, I},
        {"bytes=10-5", 1000, I},
        {"bytes=", 1000, I},
        {"bytes", 1000, I},
        {"items=0-5", 1000, I},
        {"bytes=0-1,5-6", 1000, I},
        {"", 1000, I},
    };
    for (const Case& c : cases) {
        const RangeDecision d = decide_range(c.header, c.size);
        EXPECT_EQ(d.outcome, c.outcome) << c.header << " of " << c.size;
        if (c.outcome == RangeOutcome::Partial && d.outcome == RangeOutcome::Partial) {
            EXPECT_EQ(d.range.first, c.first) << c.header;
            EXPECT_EQ(d.range.last, c.last) << c.header;
        }
    }
}

}  // namespace
}  // namespace beacon::http
