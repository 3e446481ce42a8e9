#include "telemetry/history.hpp"

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "core/time_format.hpp"
#include "support/telemetry_fakes.hpp"

namespace beacon::telemetry {
namespace {

using namespace std::chrono_literals;
using test::FakeSnapshotStore;

TimePoint T(std::string_view s) {
    return *parse_iso8601(s);
}

TEST(HistoryInterval, ParsesTheThreeWidths) {
    EXPECT_EQ(parse_history_interval("1m"), Millis(60'000));
    EXPECT_EQ(parse_history_interval("5m"), Millis(300'000));
    EXPECT_EQ(parse_history_interval("1h"), Millis(3'600'000));
}

TEST(HistoryInterval, RefusesOtherWidths) {
    for (const char* text : {"", "1", "10m", "15m", "1d", "1H", "5M", "60s", " 5m"}) {
        EXPECT_FALSE(parse_history_interval(text)) << '"' << text << '"';
    }
}

TEST(BucketsTouched, CountsAlignedBucketsTheRangeTouches) {
    // [00:04, 00:06) at 5m touches [00:00, 00:05) and [00:05, 00:10).
    EXPECT_EQ(buckets_touched(5min, T("2026-11-25T00:04:00Z"), T("2026-11-25T00:06:00Z")), 2);
    EXPECT_EQ(buckets_touched(5min, T("2026-11-25T00:00:00Z"), T("2026-11-25T00:05:00Z")), 1);
    EXPECT_EQ(buckets_touched(5min, T("2026-11-25T00:00:00Z"), T("2026-11-25T00:05:00.001Z")), 2);
    EXPECT_EQ(buckets_touched(5min, T("2026-11-25T00:04:59.999Z"), T("2026-11-25T00:05:00Z")), 1);
    EXPECT_EQ(buckets_touched(1h, T("2026-11-25T00:30:00Z"), T("2026-11-25T02:30:00Z")), 3);
    EXPECT_EQ(buckets_touched(1min, T("2026-11-25T00:00:00Z"), T("2026-11-26T00:00:00Z")), 1440);
}

TEST(BucketsTouched, EmptyOrReversedRangeTouchesNothing) {
    EXPECT_EQ(buckets_touched(5min, T("2026-11-25T00:04:00Z"), T("2026-11-25T00:04:00Z")), 0);
    EXPECT_EQ(buckets_touched(5min, T("2026-11-25T00:06:00Z"), T("2026-11-25T00:04:00Z")), 0);
}

TEST(OnlineHistory, ReadsBucketsOfTheRange) {
    FakeSnapshotStore store;
    TimePoint from = T("2026-11-24T08:00:00Z");
    TimePoint to = T("2026-11-25T08:00:00Z");
    auto r = online_history(store, 5min, from, to);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->size(), 1u);
    ASSERT_EQ(store.calls.size(), 1u);
    EXPECT_EQ(store.calls[0].interval, 5min);
    EXPECT_EQ(store.calls[0].from, from);
    EXPECT_EQ(store.calls[0].to, to);
}

TEST(OnlineHistory, RejectsFromAfterTo) {
    FakeSnapshotStore store;
    auto r = online_history(store, 5min, T("2026-11-25T08:00:00.001Z"), T("2026-11-25T08:00:00Z"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    ASSERT_EQ(r.error().fields.size(), 1u);
    EXPECT_EQ(r.error().fields[0].field, "from");
    EXPECT_TRUE(store.calls.empty());
}

TEST(OnlineHistory, EmptyRangeHasNoPoints) {
    FakeSnapshotStore store;
    auto r = online_history(store, 1min, T("2026-11-25T08:00:00Z"), T("2026-11-25T08:00:00Z"));
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->empty());
}

TEST(OnlineHistory, AcceptsTenThousandBuckets) {
    FakeSnapshotStore store;
    TimePoint from = T("2026-11-01T00:00:00Z");
    auto r = online_history(store, 1min, from, from + 10000min);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(store.calls.size(), 1u);
}

TEST(OnlineHistory, RejectsMoreThanTenThousandBuckets) {
    FakeSnapshotStore store;
    TimePoint from = T("2026-11-01T00:00:00Z");
    auto r = online_history(store, 1min, from, from + 10000min + 1ms);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(r.error().fields.size(), 1u);
    EXPECT_TRUE(store.calls.empty());
}

TEST(OnlineHistory, CountsTouchedBucketsNotTheRangeLength) {
    // 10,000 minutes long but misaligned: it touches 10,001 one-minute buckets.
    FakeSnapshotStore store;
    TimePoint from = T("2026-11-01T00:00:30Z");
    auto r = online_history(store, 1min, from, from + 10000min);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
}

TEST(OnlineHistory, LongRangesFitWithWiderIntervals) {
    FakeSnapshotStore store;
    TimePoint from = T("2026-01-01T00:00:00Z");
    EXPECT_TRUE(online_history(store, 1h, from, from + 10000h).ok());
    EXPECT_FALSE(online_history(store, 1h, from, from + 10001h).ok());
}

TEST(Cursor, RoundTripsIds) {
    for (std::int64_t id : {std::int64_t{1}, std::int64_t{991}, std::numeric_limits<std::int64_t>::max()}) {
        auto decoded = decode_cursor(encode_cursor(id));
        ASSERT_TRUE(decoded) << id;
        EXPECT_EQ(*decoded, id);
    }
}

TEST(Cursor, RejectsGarbage) {
    for (const char* text : {"",
                             "c",
                             "x12",
                             "12",
                             "c-1",
                             "c0",
                             "c12a",
                             "c 1",
                             " c1",
                             "c1 ",
                             "c+1",
                             "C12",
                             "c99999999999999999999",
                             "c9223372036854775808",
                             "c0x10"}) {
        EXPECT_FALSE(decode_cursor(text)) << '"' << text << '"';
    }
}

}  // namespace
}  // namespace beacon::telemetry
