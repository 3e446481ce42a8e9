#include "presence_store_contract.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backends/memory/memory_presence.hpp"

namespace beacon::contract {
namespace {

using namespace std::chrono_literals;
using telemetry::DauEstimate;
using telemetry::DauMark;
using telemetry::Platform;
using telemetry::PresenceStore;

const TimePoint kT0 = from_epoch_ms(1'795'600'000'000);  // 2026-11-25, mid-morning UTC
const Day kToday = std::chrono::floor<std::chrono::days>(kT0);
const Day kYesterday = kToday - std::chrono::days{1};
const Day kTomorrow = kToday + std::chrono::days{1};

// ---- helpers that fail the test on an error Result ----

void beat(PresenceStore& s, std::string_view actor, TimePoint expires_at) {
    auto r = s.record_heartbeat(actor, expires_at);
    ASSERT_TRUE(r.ok()) << r.error().message;
}

std::int64_t online(PresenceStore& s, TimePoint now) {
    auto r = s.count_online(now);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : -1;
}

std::int64_t remove_expired(PresenceStore& s, TimePoint now) {
    auto r = s.remove_expired(now);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : -1;
}

void add(PresenceStore& s, const std::vector<DauMark>& marks) {
    auto r = s.add_to_dau(marks);
    ASSERT_TRUE(r.ok()) << r.error().message;
}

DauEstimate estimate(PresenceStore& s, Day day) {
    auto r = s.estimate_dau(day);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : DauEstimate{};
}

std::vector<DauMark> marks(Day day, Platform platform, std::string_view prefix, int from, int to) {
    std::vector<DauMark> out;
    out.reserve(static_cast<std::size_t>(to - from));
    for (int i = from; i < to; ++i) {
        out.push_back(DauMark{day, platform, std::string(prefix) + std::to_string(i)});
    }
    return out;
}

// HyperLogLog at P=14 (0.81% standard error): sets up to a few hundred are
// nearly exact (a register collision may cost one or two), larger ones are
// within 2%. Both adapters use the same precision and estimator.
void expect_estimate(std::int64_t actual, std::int64_t truth, std::string_view what) {
    const double tolerance = std::max(2.0, 0.02 * static_cast<double>(truth));
    EXPECT_NEAR(static_cast<double>(actual), static_cast<double>(truth), tolerance) << what;
}

// ---- online set ----

TEST_P(PresenceStoreContract, EmptyStoreCountsNoOne) {
    EXPECT_EQ(online(store(), kT0), 0);
    EXPECT_EQ(remove_expired(store(), kT0), 0);
}

TEST_P(PresenceStoreContract, CountsActorOnlyInsideWindow) {
    beat(store(), "u:alice", kT0 + 180s);
    EXPECT_EQ(online(store(), kT0), 1);
    EXPECT_EQ(online(store(), kT0 + 180s - 1ms), 1);
    EXPECT_EQ(online(store(), kT0 + 180s), 0) << "an expiry equal to now is not online";
    EXPECT_EQ(online(store(), kT0 + 181s), 0);
}

TEST_P(PresenceStoreContract, CountsDistinctActors) {
    beat(store(), "u:alice", kT0 + 180s);
    beat(store(), "i:device-0001", kT0 + 180s);
    beat(store(), "u:alice", kT0 + 180s);
    beat(store(), "u:alice", kT0 + 120s);
    EXPECT_EQ(online(store(), kT0), 2);
}

TEST_P(PresenceStoreContract, LaterHeartbeatExtendsExpiry) {
    beat(store(), "u:alice", kT0 + 180s);
    beat(store(), "u:alice", kT0 + 240s);
    EXPECT_EQ(online(store(), kT0 + 200s), 1);
    EXPECT_EQ(online(store(), kT0 + 240s), 0);
}

TEST_P(PresenceStoreContract, LatestHeartbeatWinsEvenWhenShorter) {
    beat(store(), "u:alice", kT0 + 240s);
    beat(store(), "u:alice", kT0 + 100s);
    EXPECT_EQ(online(store(), kT0 + 50s), 1);
    EXPECT_EQ(online(store(), kT0 + 150s), 0);
}

TEST_P(PresenceStoreContract, ManyHeartbeatsAtOnceApplyInOrder) {
    std::vector<telemetry::HeartbeatMark> marks;
    for (int i = 0; i < 2500; ++i) {  // more than one Redis ZADD (1024 per command)
        marks.push_back(telemetry::HeartbeatMark{"i:device-" + std::to_string(i), kT0 + 180s});
    }
    marks.push_back(telemetry::HeartbeatMark{"u:alice", kT0 + 240s});
    marks.push_back(telemetry::HeartbeatMark{"u:alice", kT0 + 100s});  // the later mark wins, even shorter
    auto r = store().record_heartbeats(marks);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(online(store(), kT0), 2501);
    EXPECT_EQ(online(store(), kT0 + 150s), 2500);
    EXPECT_TRUE(store().record_heartbeats({}).ok());
}

TEST_P(PresenceStoreContract, CountingForgetsNothing) {
    beat(store(), "u:alice", kT0 + 10s);
    beat(store(), "u:bob", kT0 + 20s);
    EXPECT_EQ(online(store(), kT0 + 30s), 0);
    EXPECT_EQ(online(store(), kT0 + 15s), 1) << "a count at a later time must not drop anyone";
    EXPECT_EQ(online(store(), kT0), 2);
    EXPECT_EQ(remove_expired(store(), kT0 + 30s), 2);
}

TEST_P(PresenceStoreContract, RemoveExpiredForgetsOnlyExpired) {
    beat(store(), "u:a", kT0 + 10s);
    beat(store(), "u:b", kT0 + 20s);
    beat(store(), "u:c", kT0 + 30s);
    EXPECT_EQ(remove_expired(store(), kT0 + 20s), 2) << "expiry at or before now is expired";
    EXPECT_EQ(online(store(), kT0), 1) << "removed actors are gone even for an earlier now";
    EXPECT_EQ(online(store(), kT0 + 25s), 1);
    EXPECT_EQ(remove_expired(store(), kT0 + 20s), 0);
    EXPECT_EQ(remove_expired(store(), kT0 + 30s), 1);
    EXPECT_EQ(online(store(), kT0), 0);
}

TEST_P(PresenceStoreContract, ExtendedActorSurvivesRemoveExpired) {
    beat(store(), "u:alice", kT0 + 10s);
    EXPECT_EQ(online(store(), kT0 + 5s), 1);
    beat(store(), "u:alice", kT0 + 30s);
    EXPECT_EQ(remove_expired(store(), kT0 + 20s), 0);
    EXPECT_EQ(online(store(), kT0 + 25s), 1);
}

TEST_P(PresenceStoreContract, ExpiredActorComesBackWithNewHeartbeat) {
    beat(store(), "u:alice", kT0 + 10s);
    EXPECT_EQ(online(store(), kT0 + 20s), 0);
    beat(store(), "u:alice", kT0 + 200s);
    EXPECT_EQ(online(store(), kT0 + 20s), 1);
    EXPECT_EQ(remove_expired(store(), kT0 + 20s), 0);

    EXPECT_EQ(remove_expired(store(), kT0 + 200s), 1);
    beat(store(), "u:alice", kT0 + 400s);
    EXPECT_EQ(online(store(), kT0 + 300s), 1);
}

TEST_P(PresenceStoreContract, CountsManyActorsWithSpreadExpiries) {
    // 3000 actors expiring one per 100 ms over five minutes.
    for (int i = 0; i < 3000; ++i) {
        beat(store(), "i:device-" + std::to_string(i), kT0 + Millis{100 * (i + 1)});
    }
    EXPECT_EQ(online(store(), kT0), 3000);
    EXPECT_EQ(online(store(), kT0 + 60s), 2400);
    EXPECT_EQ(online(store(), kT0 + 150s), 1500);
    EXPECT_EQ(online(store(), kT0 + 60s), 2400);
    EXPECT_EQ(remove_expired(store(), kT0 + 150s), 1500);
    EXPECT_EQ(online(store(), kT0), 1500);
    EXPECT_EQ(online(store(), kT0 + 300s), 0);
}

// ---- DAU estimate ----

TEST_P(PresenceStoreContract, UnknownDayEstimatesZero) {
    add(store(), marks(kToday, Platform::Android, "i:device-", 0, 10));
    const DauEstimate e = estimate(store(), kTomorrow);
    EXPECT_EQ(e.total, 0);
    EXPECT_TRUE(e.by_platform.empty());
}

TEST_P(PresenceStoreContract, EmptyMarkBatchIsAccepted) {
    add(store(), {});
    EXPECT_EQ(estimate(store(), kToday).total, 0);
}

TEST_P(PresenceStoreContract, DauEstimateCountsDistinctActorsPerDayAndPlatform) {
    add(store(), marks(kToday, Platform::Android, "i:a-", 0, 120));
    add(store(), marks(kToday, Platform::Ios, "u:i-", 0, 45));
    add(store(), marks(kToday, Platform::Web, "u:w-", 0, 1));
    add(store(), marks(kYesterday, Platform::Android, "i:a-", 0, 7));

    const DauEstimate today = estimate(store(), kToday);
    expect_estimate(today.total, 166, "today total");
    ASSERT_EQ(today.by_platform.size(), 3u);
    expect_estimate(today.by_platform.at("android"), 120, "today android");
    expect_estimate(today.by_platform.at("ios"), 45, "today ios");
    EXPECT_EQ(today.by_platform.at("web"), 1);

    const DauEstimate yesterday = estimate(store(), kYesterday);
    EXPECT_EQ(yesterday.total, 7);
    ASSERT_EQ(yesterday.by_platform.size(), 1u);
    EXPECT_EQ(yesterday.by_platform.at("android"), 7);
}

TEST_P(PresenceStoreContract, DauEstimateIsWithinTwoPercentForLargeSets) {
    add(store(), marks(kToday, Platform::Android, "i:a-", 0, 30'000));
    add(store(), marks(kToday, Platform::Ios, "i:i-", 0, 15'000));
    add(store(), marks(kToday, Platform::Desktop, "u:d-", 0, 5'000));

    const DauEstimate e = estimate(store(), kToday);
    expect_estimate(e.total, 50'000, "total");
    expect_estimate(e.by_platform.at("android"), 30'000, "android");
    expect_estimate(e.by_platform.at("ios"), 15'000, "ios");
    expect_estimate(e.by_platform.at("desktop"), 5'000, "desktop");
}

TEST_P(PresenceStoreContract, RepeatedMarksDoNotGrowEstimate) {
    const auto batch = marks(kToday, Platform::Ios, "u:", 0, 500);
    add(store(), batch);
    const DauEstimate once = estimate(store(), kToday);
    add(store(), batch);
    add(store(), batch);
    const DauEstimate thrice = estimate(store(), kToday);
    EXPECT_EQ(thrice.total, once.total);
    EXPECT_EQ(thrice.by_platform, once.by_platform);
    expect_estimate(thrice.total, 500, "total");
}

TEST_P(PresenceStoreContract, ActorOnTwoPlatformsCountsOnceOverall) {
    add(store(), {DauMark{kToday, Platform::Android, "u:alice"}, DauMark{kToday, Platform::Web, "u:alice"}});
    const DauEstimate e = estimate(store(), kToday);
    EXPECT_EQ(e.total, 1);
    EXPECT_EQ(e.by_platform.at("android"), 1);
    EXPECT_EQ(e.by_platform.at("web"), 1);
}

TEST_P(PresenceStoreContract, ActorWithoutPlatformCountsUnderUnknown) {
    add(store(), {DauMark{kToday, Platform::Unknown, "i:device-0001"}});
    const DauEstimate e = estimate(store(), kToday);
    EXPECT_EQ(e.total, 1);
    ASSERT_EQ(e.by_platform.size(), 1u);
    EXPECT_EQ(e.by_platform.at("unknown"), 1);
}

TEST_P(PresenceStoreContract, OneBatchMaySpanSeveralDays) {
    std::vector<DauMark> batch;
    for (int i = 0; i < 30; ++i) {
        batch.push_back(DauMark{i % 2 == 0 ? kToday : kYesterday, Platform::Other, "u:" + std::to_string(i)});
    }
    add(store(), batch);
    EXPECT_EQ(estimate(store(), kToday).total, 15);
    EXPECT_EQ(estimate(store(), kYesterday).total, 15);
}

TEST_P(PresenceStoreContract, DropDauBeforeForgetsOldDays) {
    const Day two_days_ago = kToday - std::chrono::days{2};
    add(store(), marks(two_days_ago, Platform::Android, "u:", 0, 5));
    add(store(), marks(kYesterday, Platform::Android, "u:", 0, 6));
    add(store(), marks(kToday, Platform::Ios, "u:", 0, 7));

    auto dropped = store().drop_dau_before(kYesterday);
    ASSERT_TRUE(dropped.ok()) << dropped.error().message;

    const DauEstimate old = estimate(store(), two_days_ago);
    EXPECT_EQ(old.total, 0);
    EXPECT_TRUE(old.by_platform.empty());
    EXPECT_EQ(estimate(store(), kYesterday).total, 6) << "the boundary day is kept";
    EXPECT_EQ(estimate(store(), kYesterday).by_platform.at("android"), 6);
    EXPECT_EQ(estimate(store(), kToday).total, 7);

    // Dropping again, or with nothing before the boundary, is fine.
    ASSERT_TRUE(store().drop_dau_before(kYesterday).ok());
    ASSERT_TRUE(store().drop_dau_before(two_days_ago).ok());
    EXPECT_EQ(estimate(store(), kYesterday).total, 6);
}

// ---- versions ----

using telemetry::VersionCount;

void beat_at(PresenceStore& s,
             std::string_view actor,
             TimePoint expires_at,
             Platform platform,
             std::optional<telemetry::VersionCode> code) {
    auto r = s.record_heartbeat(telemetry::HeartbeatMark{std::string(actor), expires_at, platform, code});
    ASSERT_TRUE(r.ok()) << r.error().message;
}

// (code or -1 for none, count) pairs, in the port's order.
std::vector<std::pair<std::int64_t, std::int64_t>> flat(const Result<std::vector<VersionCount>>& r) {
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    if (r.ok()) {
        for (const VersionCount& v : *r) {
            out.emplace_back(v.version_code ? std::int64_t{*v.version_code} : -1, v.count);
        }
    }
    return out;
}

using Pairs = std::vector<std::pair<std::int64_t, std::int64_t>>;

TEST_P(PresenceStoreContract, OnlineByVersionCountsEachActorAtItsLatestHeartbeat) {
    beat_at(store(), "u:alice", kT0 + 180s, Platform::Android, 200);
    beat_at(store(), "u:bob", kT0 + 180s, Platform::Android, 210);
    beat_at(store(), "u:carol", kT0 + 180s, Platform::Android, 210);
    beat_at(store(), "u:dave", kT0 + 180s, Platform::Android, std::nullopt);
    beat_at(store(), "u:erin", kT0 + 180s, Platform::Ios, 5000);
    beat_at(store(), "u:frank", kT0 + 180s, Platform::Unknown, 210);
    EXPECT_EQ(flat(store().count_online_by_version(Platform::Android, kT0)), (Pairs{{210, 2}, {200, 1}, {-1, 1}}))
        << "highest code first, the group without a code last";
    EXPECT_EQ(flat(store().count_online_by_version(Platform::Ios, kT0)), (Pairs{{5000, 1}}));
    EXPECT_TRUE(flat(store().count_online_by_version(Platform::Web, kT0)).empty());
    EXPECT_EQ(flat(store().count_online_by_version(Platform::Unknown, kT0)), (Pairs{{210, 1}}));
}

TEST_P(PresenceStoreContract, AnUpgradeMovesTheActorAtOnce) {
    beat_at(store(), "u:alice", kT0 + 180s, Platform::Android, 200);
    beat_at(store(), "u:alice", kT0 + 200s, Platform::Android, 210);
    EXPECT_EQ(flat(store().count_online_by_version(Platform::Android, kT0)), (Pairs{{210, 1}}))
        << "counted once, at its latest build, within the window of the first heartbeat";
    beat_at(store(), "u:alice", kT0 + 220s, Platform::Android, std::nullopt);
    EXPECT_EQ(flat(store().count_online_by_version(Platform::Android, kT0)), (Pairs{{-1, 1}}))
        << "a heartbeat without a code moves the actor to the null group";
    beat_at(store(), "u:alice", kT0 + 240s, Platform::Ios, 5000);
    EXPECT_TRUE(flat(store().count_online_by_version(Platform::Android, kT0)).empty());
    EXPECT_EQ(flat(store().count_online_by_version(Platform::Ios, kT0)), (Pairs{{5000, 1}}));
    EXPECT_EQ(online(store(), kT0), 1);
}

TEST_P(PresenceStoreContract, OnlineByVersionFollowsTheWindowAndExpiry) {
    beat_at(store(), "u:alice", kT0 + 60s, Platform::Android, 200);
    beat_at(store(), "u:bob", kT0 + 180s, Platform::Android, 200);
    EXPECT_EQ(flat(store().count_online_by_version(Platform::Android, kT0 + 100s)), (Pairs{{200, 1}}));
    EXPECT_EQ(flat(store().count_online_by_version(Platform::Android, kT0)), (Pairs{{200, 2}}))
        << "a count at an earlier time still sees both";
    EXPECT_EQ(remove_expired(store(), kT0 + 100s), 1);
    EXPECT_EQ(flat(store().count_online_by_version(Platform::Android, kT0)), (Pairs{{200, 1}}));
    EXPECT_TRUE(flat(store().count_online_by_version(Platform::Android, kT0 + 180s)).empty());
    // An expired actor that comes back is counted at its new build only.
    beat_at(store(), "u:alice", kT0 + 400s, Platform::Android, 210);
    EXPECT_EQ(flat(store().count_online_by_version(Platform::Android, kT0 + 200s)), (Pairs{{210, 1}}));
}

TEST_P(PresenceStoreContract, ManyHeartbeatsAtOnceKeepTheirVersions) {
    std::vector<telemetry::HeartbeatMark> marks;
    for (int i = 0; i < 2100; ++i) {
        marks.push_back(
            telemetry::HeartbeatMark{"i:device-" + std::to_string(i), kT0 + 180s, Platform::Android, 200 + (i % 3)});
    }
    marks.push_back(telemetry::HeartbeatMark{"i:device-0", kT0 + 180s, Platform::Android, 299});
    auto r = store().record_heartbeats(marks);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(flat(store().count_online_by_version(Platform::Android, kT0)),
              (Pairs{{299, 1}, {202, 700}, {201, 700}, {200, 699}}));
}

TEST_P(PresenceStoreContract, AnActorThatMovesTwiceInOneBurstEndsAtItsLastVersion) {
    beat_at(store(), "u:alice", kT0 + 180s, Platform::Android, 200);
    const std::vector<telemetry::HeartbeatMark> marks{
        {"u:alice", kT0 + 180s, Platform::Android, 210},
        {"u:bob", kT0 + 180s, Platform::Android, 210},
        {"u:alice", kT0 + 180s, Platform::Android, 200},  // back where it was
    };
    auto r = store().record_heartbeats(marks);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(flat(store().count_online_by_version(Platform::Android, kT0)), (Pairs{{210, 1}, {200, 1}}));
    beat_at(store(), "u:alice", kT0 + 180s, Platform::Android, 220);
    EXPECT_EQ(flat(store().count_online_by_version(Platform::Android, kT0)), (Pairs{{220, 1}, {210, 1}}))
        << "the later move takes alice out of 200, where the burst left her";
    EXPECT_EQ(online(store(), kT0), 2);
}

TEST_P(PresenceStoreContract, DauEstimateByVersionCountsEachCodeOfTheDay) {
    std::vector<DauMark> batch;
    for (int i = 0; i < 40; ++i) {
        batch.push_back(DauMark{kToday, Platform::Android, "u:" + std::to_string(i), 210});
    }
    for (int i = 30; i < 50; ++i) {  // ten of them used 200 earlier today
        batch.push_back(DauMark{kToday, Platform::Android, "u:" + std::to_string(i), 200});
    }
    batch.push_back(DauMark{kToday, Platform::Android, "u:nocode", std::nullopt});
    batch.push_back(DauMark{kToday, Platform::Ios, "u:0", 5000});
    batch.push_back(DauMark{kYesterday, Platform::Android, "u:old", 190});
    add(store(), batch);
    const auto today = flat(store().estimate_dau_by_version(kToday, Platform::Android));
    ASSERT_EQ(today.size(), 3u);
    EXPECT_EQ(today[0].first, 210);
    expect_estimate(today[0].second, 40, "code 210");
    EXPECT_EQ(today[1].first, 200);
    expect_estimate(today[1].second, 20, "code 200");
    EXPECT_EQ(today[2], (std::pair<std::int64_t, std::int64_t>{-1, 1}));
    EXPECT_EQ(flat(store().estimate_dau_by_version(kToday, Platform::Ios)), (Pairs{{5000, 1}}));
    EXPECT_EQ(flat(store().estimate_dau_by_version(kYesterday, Platform::Android)), (Pairs{{190, 1}}));
    EXPECT_TRUE(flat(store().estimate_dau_by_version(kTomorrow, Platform::Android)).empty());
    expect_estimate(estimate(store(), kToday).by_platform.at("android"), 51, "the platform counts each actor once");

    ASSERT_TRUE(store().drop_dau_before(kToday).ok());
    EXPECT_TRUE(flat(store().estimate_dau_by_version(kYesterday, Platform::Android)).empty());
    EXPECT_EQ(flat(store().estimate_dau_by_version(kToday, Platform::Ios)), (Pairs{{5000, 1}}));
}

// ---- adapters ----

INSTANTIATE_TEST_SUITE_P(Memory,
                         PresenceStoreContract,
                         ::testing::Values(PresenceStoreAdapter{
                             "Memory",
                             [] {
                                 return owning_instance<telemetry::PresenceStore>(
                                     std::make_unique<backends::memory::MemoryPresence>());
                             }}),
                         store_adapter_name<telemetry::PresenceStore>);

}  // namespace
}  // namespace beacon::contract
