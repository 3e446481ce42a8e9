#include "webhooks/retry_schedule.hpp"

#include <gtest/gtest.h>

#include "core/time_format.hpp"

namespace beacon::webhooks {
namespace {

using namespace std::chrono_literals;

TEST(RetrySchedule, DoublesFromFiveSecondsCappedAtAnHour) {
    RetrySchedule s;
    EXPECT_EQ(s.delay_after(1), 5s);
    EXPECT_EQ(s.delay_after(2), 10s);
    EXPECT_EQ(s.delay_after(3), 20s);
    EXPECT_EQ(s.delay_after(4), 40s);
    EXPECT_EQ(s.delay_after(10), 2560s);
    EXPECT_EQ(s.delay_after(11), 1h);  // 5120 s capped
    EXPECT_EQ(s.delay_after(50), 1h);
    EXPECT_EQ(s.delay_after(100000), 1h);
}

TEST(RetrySchedule, GivesUpWhenTheNextAttemptWouldBe24HoursAfterCreation) {
    RetrySchedule s;
    const TimePoint created = *parse_iso8601("2026-12-01T08:00:00Z");
    EXPECT_EQ(s.next_attempt(created, created, 1), created + 5s);
    // Hourly retries by then: one failed 23 h after creation is the last.
    EXPECT_EQ(s.next_attempt(created, created + 23h, 20), std::nullopt);
    EXPECT_EQ(s.next_attempt(created, created + 22h + 59min, 20), created + 23h + 59min);
    // Exactly at the deadline is past it.
    EXPECT_EQ(s.next_attempt(created, created + 24h - 5s, 1), std::nullopt);
    EXPECT_EQ(s.next_attempt(created, created + 24h - 5s - 1ms, 1), created + 24h - 1ms);
}

TEST(RetrySchedule, AttemptsOverADayFollowTheSchedule) {
    RetrySchedule s;
    const TimePoint created = *parse_iso8601("2026-12-01T08:00:00Z");
    TimePoint at = created;
    int attempts = 0;
    for (;;) {
        ++attempts;  // this attempt fails at `at`
        auto next = s.next_attempt(created, at, attempts);
        if (!next) {
            break;
        }
        at = *next;
    }
    // 5+10+...+2560 s (10 attempts, 5115 s) then hourly until 24 h.
    EXPECT_EQ(attempts, 33);
    EXPECT_LT(at, created + 24h);
    EXPECT_GE(at + 1h, created + 24h);
}

}  // namespace
}  // namespace beacon::webhooks
