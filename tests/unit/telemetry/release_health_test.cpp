#include "telemetry/release_health.hpp"

#include <chrono>
#include <optional>

#include <gtest/gtest.h>

#include "support/telemetry_fakes.hpp"

namespace beacon::telemetry {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow{std::chrono::hours(24 * 20000)};
const TimeRange kWindow{kNow - 24h, kNow};

ReleaseHealthCounts counts(std::int64_t sessions,
                           std::int64_t crashed,
                           std::optional<std::pair<std::int64_t, std::int64_t>> control = std::nullopt) {
    ReleaseHealthCounts c;
    c.version = SessionHealthCounts{sessions, crashed, sessions, crashed};
    if (control) {
        c.control = VersionSessionHealth{200, SessionHealthCounts{control->first, control->second, control->first, 0}};
    }
    return c;
}

TEST(ReleaseHealthVerdict, ExactlyMinSessionsIsEnoughAndOneFewerIsNot) {
    EXPECT_EQ(judge(kWindow, 210, counts(100, 0), {}).verdict, HealthVerdict::Healthy);
    const ReleaseHealth h = judge(kWindow, 210, counts(99, 0), {});
    EXPECT_EQ(h.verdict, HealthVerdict::InsufficientData);
    ASSERT_EQ(h.reasons.size(), 1u);
    EXPECT_EQ(h.reasons[0], "sessions 99 < minSessions 100");
}

TEST(ReleaseHealthVerdict, BelowMinCrashFreeIsUnhealthyAndExactlyItIsNot) {
    EXPECT_EQ(judge(kWindow, 210, counts(100, 2), {}).verdict, HealthVerdict::Healthy);  // 0.98
    const ReleaseHealth h = judge(kWindow, 210, counts(100, 3), {});                     // 0.97
    EXPECT_EQ(h.verdict, HealthVerdict::Unhealthy);
    EXPECT_EQ(h.reasons[0], "crashFreeSessions 0.97 < minCrashFree 0.98");
}

TEST(ReleaseHealthVerdict, ExactlyMaxCrashFreeDropBelowTheControlIsHealthyAndMoreIsNot) {
    // Control 0.995 (1,000 sessions, 5 crashed); the version 0.99: a drop of
    // exactly 0.005, which in binary floating point is a hair above it.
    const ReleaseHealth exact = judge(kWindow, 210, counts(1000, 10, {{1000, 5}}), {});
    EXPECT_EQ(exact.verdict, HealthVerdict::Healthy);
    ASSERT_TRUE(exact.control.has_value());
    EXPECT_EQ(exact.control->crash_free_sessions, 0.995);
    EXPECT_EQ(exact.version.crash_free_sessions, 0.99);
    const ReleaseHealth worse = judge(kWindow, 210, counts(1000, 11, {{1000, 5}}), {});
    EXPECT_EQ(worse.verdict, HealthVerdict::Unhealthy);
    EXPECT_EQ(worse.reasons.back(), "crashFreeSessions 0.006 below control 200's 0.995 > maxCrashFreeDrop 0.005");
}

TEST(ReleaseHealthVerdict, AControlWithTooFewSessionsIsNotCompared) {
    const ReleaseHealth h = judge(kWindow, 210, counts(1000, 15, {{99, 0}}), {});
    EXPECT_EQ(h.verdict, HealthVerdict::Healthy);  // 0.985 >= 0.98; 1.0 - 0.985 not checked
    ASSERT_TRUE(h.control.has_value());
    EXPECT_EQ(h.control->crash_free_sessions, 1.0);
}

TEST(ReleaseHealthVerdict, NoControlJudgesOnTheAbsoluteRuleAlone) {
    const ReleaseHealth h = judge(kWindow, 210, counts(160, 1), {});
    EXPECT_EQ(h.verdict, HealthVerdict::Healthy);
    EXPECT_FALSE(h.control.has_value());
    EXPECT_EQ(h.version.crash_free_sessions, 0.99375);
}

TEST(ReleaseHealthVerdict, RatesAreNullWithoutSessionsAndRoundedToSixDecimals) {
    const ReleaseHealth none = judge(kWindow, 210, counts(0, 0), {});
    EXPECT_FALSE(none.version.crash_free_sessions.has_value());
    EXPECT_FALSE(none.version.crash_free_users.has_value());
    const ReleaseHealth third = judge(kWindow, 210, counts(3, 1), {});
    EXPECT_EQ(third.version.crash_free_sessions, 0.666667);
}

TEST(ReleaseHealthVerdict, ThresholdsComeFromThePlan) {
    HealthThresholds strict{.min_sessions = 10, .min_crash_free = 0.999, .max_crash_free_drop = 0};
    EXPECT_EQ(judge(kWindow, 210, counts(50, 0), strict).verdict, HealthVerdict::Healthy);
    EXPECT_EQ(judge(kWindow, 210, counts(1000, 2), strict).verdict, HealthVerdict::Unhealthy);
    EXPECT_EQ(judge(kWindow, 210, counts(1000, 1, {{1000, 0}}), strict).verdict, HealthVerdict::Unhealthy);
}

TEST(ReleaseHealth, TheWindowIsOneHourToThirtyDaysBeforeNow) {
    test::FakeEventStore store;
    for (std::int64_t bad : {3599LL, 30LL * 86400 + 1}) {
        auto r = release_health(store, Platform::Android, 210, bad, kNow, {});
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
        EXPECT_EQ(r.error().fields.at(0).field, "window");
    }
    auto r = release_health(store, Platform::Android, 210, 3600, kNow, {});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->window.from, kNow - 1h);
    EXPECT_EQ(r->window.to, kNow);
    EXPECT_EQ(r->verdict, HealthVerdict::InsufficientData);
}

}  // namespace
}  // namespace beacon::telemetry
