#include "core/time_zone.hpp"

#include <gtest/gtest.h>

#include "core/time_format.hpp"

namespace beacon {
namespace {

TEST(TimeZone, ShanghaiDayStartsAtSixteenUtc) {
    auto tz = TimeZone::load("Asia/Shanghai");
    ASSERT_TRUE(tz);
    // 2026-11-24T16:30Z is 00:30 on the 25th in Shanghai, still the 24th in UTC.
    auto t = *parse_iso8601("2026-11-24T16:30:00Z");
    EXPECT_EQ(format_day(tz->day_of(t)), "2026-11-25");
    EXPECT_EQ(format_day(TimeZone::utc().day_of(t)), "2026-11-24");
    EXPECT_EQ(format_iso8601(tz->start_of(*parse_day("2026-11-25"))), "2026-11-24T16:00:00.000Z");
}

TEST(TimeZone, DstGapMidnightStartsWhenGapEnds) {
    // America/Santiago skipped 2022-09-11 00:00 -> 01:00 (UTC-4 to UTC-3).
    auto tz = TimeZone::load("America/Santiago");
    ASSERT_TRUE(tz);
    EXPECT_EQ(format_iso8601(tz->start_of(*parse_day("2022-09-11"))), "2022-09-11T04:00:00.000Z");
}

TEST(TimeZone, UnknownNameIsInvalidArgument) {
    auto tz = TimeZone::load("Mars/Olympus");
    ASSERT_FALSE(tz);
    EXPECT_EQ(tz.error().code, ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace beacon
