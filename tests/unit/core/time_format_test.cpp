#include "core/time_format.hpp"

#include <gtest/gtest.h>

namespace beacon {
namespace {

TEST(TimeFormat, FormatsUtcWithMilliseconds) {
    EXPECT_EQ(format_iso8601(from_epoch_ms(1795593600123)), "2026-11-25T08:00:00.123Z");
    EXPECT_EQ(format_iso8601(from_epoch_ms(0)), "1970-01-01T00:00:00.000Z");
}

TEST(TimeFormat, FormatsTheBasicFormatInWholeSeconds) {
    EXPECT_EQ(format_iso8601_basic(from_epoch_ms(1795593600999)), "20261125T080000Z");
    EXPECT_EQ(format_iso8601_basic(from_epoch_ms(951868799000)), "20000229T235959Z");
}

TEST(TimeFormat, ParsesOffsetsAndFractions) {
    EXPECT_EQ(parse_iso8601("2026-11-25T08:00:00.000Z"), from_epoch_ms(1795593600000));
    EXPECT_EQ(parse_iso8601("2026-11-25T16:00:00+08:00"), from_epoch_ms(1795593600000));
    EXPECT_EQ(parse_iso8601("2026-11-25T03:00:00-0500"), from_epoch_ms(1795593600000));
    EXPECT_EQ(parse_iso8601("2026-11-25T08:00:00.1234567Z"), from_epoch_ms(1795593600123));
    EXPECT_EQ(parse_iso8601("2026-11-25T08:00:00.5Z"), from_epoch_ms(1795593600500));
}

TEST(TimeFormat, RefusesTimesWithoutZoneOrImpossibleDates) {
    EXPECT_FALSE(parse_iso8601("2026-11-25T08:00:00"));
    EXPECT_FALSE(parse_iso8601("2026-11-25T08:00:00.000"));
    EXPECT_FALSE(parse_iso8601("2026-02-30T08:00:00Z"));
    EXPECT_FALSE(parse_iso8601("2026-11-25T24:00:00Z"));
    EXPECT_FALSE(parse_iso8601("2026-11-25 08:00:00Z"));
    EXPECT_FALSE(parse_iso8601("2026-11-25T08:00:00Zjunk"));
    EXPECT_FALSE(parse_iso8601(""));
}

TEST(TimeFormat, QueryTimesAcceptEpochMillis) {
    EXPECT_EQ(parse_time_param("1795593600000"), from_epoch_ms(1795593600000));
    EXPECT_FALSE(parse_time_param("99999999999999999999"));
    EXPECT_FALSE(parse_time_param("-5"));
}

TEST(TimeFormat, DaysRoundTrip) {
    auto d = parse_day("2026-11-25");
    ASSERT_TRUE(d);
    EXPECT_EQ(format_day(*d), "2026-11-25");
    EXPECT_FALSE(parse_day("2026-13-01"));
    EXPECT_FALSE(parse_day("2026-1-01"));
}

TEST(TimeFormat, DurationsTakeUnits) {
    EXPECT_EQ(parse_duration_seconds("90"), 90);
    EXPECT_EQ(parse_duration_seconds("90s"), 90);
    EXPECT_EQ(parse_duration_seconds("15m"), 900);
    EXPECT_EQ(parse_duration_seconds("24h"), 86400);
    EXPECT_EQ(parse_duration_seconds("7d"), 604800);
    EXPECT_FALSE(parse_duration_seconds("0"));
    EXPECT_FALSE(parse_duration_seconds("5w"));
    EXPECT_FALSE(parse_duration_seconds("m"));
    EXPECT_FALSE(parse_duration_seconds("-3s"));
}

}  // namespace
}  // namespace beacon
