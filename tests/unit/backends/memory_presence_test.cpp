#include "backends/memory/memory_presence.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <xxhash.h>

#include "support/temp_dir.hpp"

namespace beacon::backends::memory {
namespace {

using namespace std::chrono_literals;
using telemetry::DauMark;
using telemetry::Platform;

const TimePoint kT0 = from_epoch_ms(1'795'600'000'000);  // 2026-11-25T...Z
const Day kDay = std::chrono::floor<std::chrono::days>(kT0);

// The tests' "now" for flush() and loading: kT0 unless a test moves it.
ManualClock& test_clock() {
    static ManualClock clock(kT0);
    return clock;
}

MemoryPresenceOptions options_for(const std::optional<std::filesystem::path>& path) {
    test_clock().set(kT0);
    MemoryPresenceOptions o;
    o.snapshot_path = path;
    o.clock = &test_clock();
    return o;
}

std::unique_ptr<MemoryPresence> open_ok(const std::optional<std::filesystem::path>& path) {
    auto store = MemoryPresence::open(options_for(path));
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store).value() : nullptr;
}

std::int64_t online(MemoryPresence& store, TimePoint now) {
    return store.count_online(now).value();
}

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::filesystem::path& p, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<DauMark> marks(Day day, Platform platform, int from, int to) {
    std::vector<DauMark> out;
    for (int i = from; i < to; ++i) {
        out.push_back(DauMark{day, platform, "i:device-" + std::to_string(i)});
    }
    return out;
}

// A snapshot with both encodings: a small (sparse) day and a large (dense) one.
void fill(MemoryPresence& store) {
    ASSERT_TRUE(store.record_heartbeat("u:alice", kT0 + 180s).ok());
    ASSERT_TRUE(store.record_heartbeat("i:bob-device", kT0 + 60s).ok());
    ASSERT_TRUE(store.record_heartbeat("u:carol", kT0 - 10s).ok());  // already expired, not yet removed
    ASSERT_TRUE(store.add_to_dau(marks(kDay - std::chrono::days{1}, Platform::Ios, 0, 40)).ok());
    ASSERT_TRUE(store.add_to_dau(marks(kDay, Platform::Android, 0, 30'000)).ok());
    ASSERT_TRUE(store.add_to_dau(marks(kDay, Platform::Unknown, 29'000, 31'000)).ok());
}

TEST(MemoryPresence, SnapshotKeepsOnlineSetAndSketchesAcrossRestart) {
    test::TempDir dir;
    const auto path = dir.path() / "presence.snapshot";
    auto before = open_ok(path);
    ASSERT_TRUE(before);
    fill(*before);
    const auto today = before->estimate_dau(kDay).value();
    const auto yesterday = before->estimate_dau(kDay - std::chrono::days{1}).value();
    ASSERT_TRUE(before->flush().ok());
    before.reset();

    auto after = open_ok(path);
    ASSERT_TRUE(after);
    EXPECT_EQ(online(*after, kT0), 2);
    EXPECT_EQ(online(*after, kT0 + 61s), 1);
    const auto today_after = after->estimate_dau(kDay).value();
    const auto yesterday_after = after->estimate_dau(kDay - std::chrono::days{1}).value();
    EXPECT_EQ(today_after.total, today.total);
    EXPECT_EQ(today_after.by_platform, today.by_platform);
    EXPECT_EQ(yesterday_after.total, yesterday.total);
    EXPECT_EQ(yesterday_after.by_platform, yesterday.by_platform);
    EXPECT_EQ(yesterday_after.total, 40);
}

// Issue 9 #7: the snapshot carries who is online at the flush, never an
// actor whose window has passed.
TEST(MemoryPresence, SnapshotNeverCarriesExpiredActors) {
    test::TempDir dir;
    const auto path = dir.path() / "presence.snapshot";
    auto before = open_ok(path);
    ASSERT_TRUE(before);
    fill(*before);  // carol expired 10 s before the flush
    ASSERT_TRUE(before->flush().ok());
    before.reset();
    auto after = open_ok(path);
    ASSERT_TRUE(after);
    EXPECT_EQ(online(*after, kT0 - 20s), 2) << "carol is not in the snapshot";
    EXPECT_EQ(after->remove_expired(kT0).value(), 0);
    EXPECT_EQ(after->kept_actors_for_test(), 2u);
}

TEST(MemoryPresence, OneOffActorsLeaveTheSnapshotAndMemoryOnceTheirWindowPassed) {
    test::TempDir dir;
    const auto path = dir.path() / "presence.snapshot";
    auto store = open_ok(path);
    ASSERT_TRUE(store);
    constexpr int kActors = 100'000;  // one heartbeat each, then gone
    for (int i = 0; i < kActors; ++i) {
        ASSERT_TRUE(store->record_heartbeat("i:one-off-" + std::to_string(i), kT0 + 180s).ok());
    }
    ASSERT_TRUE(store->flush().ok());
    const auto full = std::filesystem::file_size(path);
    EXPECT_GT(full, kActors * 16u);

    test_clock().set(kT0 + 181s);
    EXPECT_EQ(online(*store, kT0 + 181s), 0);
    ASSERT_TRUE(store->flush().ok());
    EXPECT_LT(std::filesystem::file_size(path), 32u) << "nobody is online: the snapshot is empty";
    EXPECT_EQ(store->kept_actors_for_test(), static_cast<std::size_t>(kActors))
        << "within the recount grace they are kept, so a count a little in the past stays exact";
    EXPECT_EQ(online(*store, kT0 + 179s), kActors);

    test_clock().set(kT0 + 181s + 31s);  // the grace (30 s) has passed too
    ASSERT_TRUE(store->flush().ok());
    EXPECT_EQ(store->kept_actors_for_test(), 0u) << "forgotten without waiting for the hourly cleanup";
    EXPECT_EQ(online(*store, kT0 + 212s), 0);
    EXPECT_EQ(store->remove_expired(kT0 + 212s).value(), 0) << "nothing left for the hourly cleanup";
    // The store works on as before.
    ASSERT_TRUE(store->record_heartbeat("u:alice", kT0 + 400s).ok());
    EXPECT_EQ(online(*store, kT0 + 300s), 1);
}

TEST(MemoryPresence, HeartbeatsForgetExpiredActorsWithoutAFlush) {
    MemoryPresence store;  // in memory only: nothing flushes
    constexpr int kGone = 60'000;
    for (int i = 0; i < kGone; ++i) {
        ASSERT_TRUE(store.record_heartbeat("i:gone-" + std::to_string(i), kT0 + 180s).ok());
    }
    EXPECT_EQ(online(store, kT0 + 300s), 0);  // the watermark passes their expiry and the grace
    EXPECT_EQ(store.kept_actors_for_test(), static_cast<std::size_t>(kGone)) << "counting forgets no one";
    // New actors arrive: each heartbeat forgets up to two expired ones in its shard.
    constexpr int kNew = 40'000;
    for (int i = 0; i < kNew; ++i) {
        ASSERT_TRUE(store.record_heartbeat("i:new-" + std::to_string(i), kT0 + 480s).ok());
    }
    EXPECT_EQ(store.kept_actors_for_test(), static_cast<std::size_t>(kNew));
    EXPECT_EQ(online(store, kT0 + 300s), kNew);
}

TEST(MemoryPresence, CountsInThePastStayExactWithinTheGrace) {
    MemoryPresence store;
    ASSERT_TRUE(store.record_heartbeat("u:a", kT0 + 10s).ok());
    ASSERT_TRUE(store.record_heartbeat("u:b", kT0 + 20s).ok());
    EXPECT_EQ(online(store, kT0 + 45s), 0);
    ASSERT_TRUE(store.record_heartbeat("u:c", kT0 + 100s).ok());  // may forget a (35 s past), not b (25 s)
    EXPECT_EQ(online(store, kT0 + 15s), 2) << "b and c: 30 s back from the latest count is exact";
    const auto removed = store.remove_expired(kT0 + 45s).value();
    EXPECT_TRUE(removed == 1 || removed == 2) << removed;
    EXPECT_EQ(store.kept_actors_for_test(), 1u) << "a is either forgotten already or removed now; b is removed now";
}

TEST(MemoryPresence, FlushReplacesThePreviousSnapshotAndLeavesNoTempFile) {
    test::TempDir dir;
    const auto path = dir.path() / "presence.snapshot";
    auto store = open_ok(path);
    ASSERT_TRUE(store);
    fill(*store);
    ASSERT_TRUE(store->flush().ok());
    ASSERT_TRUE(store->drop_dau_before(kDay + std::chrono::days{1}).ok());
    ASSERT_EQ(store->remove_expired(kT0 + 1h).value(), 3);
    ASSERT_TRUE(store->flush().ok());

    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()), 1);
    auto reopened = open_ok(path);
    ASSERT_TRUE(reopened);
    EXPECT_EQ(online(*reopened, kT0 - 1h), 0);
    EXPECT_EQ(reopened->estimate_dau(kDay).value().total, 0);
    // An empty store's snapshot is small: header, counts, checksum.
    EXPECT_LT(std::filesystem::file_size(path), 32u);
}

// Snapshots of version 1 (actor names, before actors were kept by hash) are
// still read: an upgrade keeps who was online.
TEST(MemoryPresence, ReadsVersion1SnapshotsWithActorNames) {
    std::vector<std::uint8_t> b = {'B', 'C', 'N', 'P', 'R', 'S', 'N', 'C', 1, 0, 0, 0};
    auto u64 = [&b](std::uint64_t v) {
        for (int i = 0; i < 8; ++i) {
            b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
        }
    };
    u64(2);  // actors
    for (std::string name : {"u:alice", "i:device-0001"}) {
        b.push_back(static_cast<std::uint8_t>(name.size()));  // varint < 128
        b.insert(b.end(), name.begin(), name.end());
        u64(static_cast<std::uint64_t>(to_epoch_ms(kT0 + 1h)));
    }
    b.push_back(0);  // no days
    u64(XXH3_64bits(b.data(), b.size()));
    test::TempDir dir;
    const auto path = dir.path() / "presence.snapshot";
    write_bytes(path, b);
    auto store = open_ok(path);
    ASSERT_TRUE(store);
    EXPECT_EQ(online(*store, kT0), 2);
    ASSERT_TRUE(store->record_heartbeat("u:alice", kT0 + 2h).ok());
    EXPECT_EQ(online(*store, kT0), 2) << "the name read from version 1 is the same actor";
    EXPECT_EQ(online(*store, kT0 + 90min), 1);
}

// Version 3 keeps each actor's platform and code, and the per-version sketches.
TEST(MemoryPresence, SnapshotKeepsVersionsAcrossRestart) {
    test::TempDir dir;
    const auto path = dir.path() / "presence.snapshot";
    auto before = open_ok(path);
    ASSERT_TRUE(before);
    ASSERT_TRUE(before->record_heartbeat(telemetry::HeartbeatMark{"u:alice", kT0 + 180s, Platform::Android, 210}).ok());
    ASSERT_TRUE(before->record_heartbeat(telemetry::HeartbeatMark{"u:bob", kT0 + 180s, Platform::Android, {}}).ok());
    ASSERT_TRUE(before->record_heartbeat(telemetry::HeartbeatMark{"u:carol", kT0 + 180s, Platform::Ios, 0}).ok());
    ASSERT_TRUE(before
                    ->add_to_dau(std::vector<DauMark>{{kDay, Platform::Android, "u:alice", 210},
                                                      {kDay, Platform::Ios, "u:carol", 0}})
                    .ok());
    ASSERT_TRUE(before->flush().ok());
    before.reset();

    auto after = open_ok(path);
    ASSERT_TRUE(after);
    auto android = after->count_online_by_version(Platform::Android, kT0).value();
    ASSERT_EQ(android.size(), 2u);
    EXPECT_EQ(android[0].version_code, 210);
    EXPECT_EQ(android[0].count, 1);
    EXPECT_FALSE(android[1].version_code.has_value());
    auto ios = after->count_online_by_version(Platform::Ios, kT0).value();
    ASSERT_EQ(ios.size(), 1u);
    EXPECT_EQ(ios[0].version_code, 0) << "code 0 is a code, not none";
    auto dau = after->estimate_dau_by_version(kDay, Platform::Ios).value();
    ASSERT_EQ(dau.size(), 1u);
    EXPECT_EQ(dau[0].version_code, 0);
    EXPECT_EQ(dau[0].count, 1);
}

// Snapshots of version 2 (no platform or code per actor) are still read:
// the actors come back online without a group until their next heartbeat.
TEST(MemoryPresence, ReadsVersion2SnapshotsWithoutVersions) {
    std::vector<std::uint8_t> b = {'B', 'C', 'N', 'P', 'R', 'S', 'N', 'C', 2, 0, 0, 0};
    auto u64 = [&b](std::uint64_t v) {
        for (int i = 0; i < 8; ++i) {
            b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
        }
    };
    u64(1);  // actors
    u64(XXH3_64bits("u:alice", 7));
    u64(static_cast<std::uint64_t>(to_epoch_ms(kT0 + 1h)));
    b.push_back(0);  // no days
    u64(XXH3_64bits(b.data(), b.size()));
    test::TempDir dir;
    const auto path = dir.path() / "presence.snapshot";
    write_bytes(path, b);
    auto store = open_ok(path);
    ASSERT_TRUE(store);
    EXPECT_EQ(online(*store, kT0), 1);
    EXPECT_EQ(store->count_online_by_version(Platform::Unknown, kT0).value().size(), 1u);
    ASSERT_TRUE(store->record_heartbeat(telemetry::HeartbeatMark{"u:alice", kT0 + 2h, Platform::Android, 7}).ok());
    auto android = store->count_online_by_version(Platform::Android, kT0).value();
    ASSERT_EQ(android.size(), 1u);
    EXPECT_EQ(android[0].version_code, 7);
    EXPECT_TRUE(store->count_online_by_version(Platform::Unknown, kT0).value().empty());
    EXPECT_EQ(online(*store, kT0), 1);
}

TEST(MemoryPresence, MissingSnapshotOpensEmpty) {
    test::TempDir dir;
    auto store = open_ok(dir.path() / "presence.snapshot");
    ASSERT_TRUE(store);
    EXPECT_EQ(online(*store, kT0), 0);
    EXPECT_EQ(store->estimate_dau(kDay).value().total, 0);
}

TEST(MemoryPresence, WithoutPathFlushDoesNothing) {
    auto store = open_ok(std::nullopt);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->record_heartbeat("u:alice", kT0 + 1s).ok());
    EXPECT_TRUE(store->flush().ok());
    EXPECT_TRUE(store->ping().ok());
}

TEST(MemoryPresence, FlushIntoMissingDirectoryIsUnavailableAndStoreKeepsServing) {
    test::TempDir dir;
    MemoryPresence store(options_for(dir.path() / "no-such-dir" / "presence.snapshot"));
    ASSERT_TRUE(store.record_heartbeat("u:alice", kT0 + 1s).ok());
    auto flushed = store.flush();
    ASSERT_FALSE(flushed.ok());
    EXPECT_EQ(flushed.error().code, ErrorCode::Unavailable);
    EXPECT_NE(flushed.error().message.find("no-such-dir"), std::string::npos) << flushed.error().message;
    EXPECT_EQ(online(store, kT0), 1);
}

TEST(MemoryPresence, CorruptSnapshotIsAnErrorNotACrash) {
    test::TempDir dir;
    const auto path = dir.path() / "presence.snapshot";
    {
        auto store = open_ok(path);
        ASSERT_TRUE(store);
        fill(*store);
        ASSERT_TRUE(store->flush().ok());
    }
    const std::vector<std::uint8_t> good = read_bytes(path);
    ASSERT_GT(good.size(), 100u);

    auto expect_refused = [&](const std::vector<std::uint8_t>& bytes, const std::string& what) {
        write_bytes(path, bytes);
        auto store = MemoryPresence::open(path);
        ASSERT_FALSE(store.ok()) << what;
        EXPECT_EQ(store.error().code, ErrorCode::Internal) << what;
        EXPECT_NE(store.error().message.find(path.string()), std::string::npos) << store.error().message;
    };

    expect_refused({}, "empty file");
    expect_refused(std::vector<std::uint8_t>(5000, 0xab), "garbage");
    for (std::size_t keep : {std::size_t{7}, std::size_t{12}, std::size_t{20}, good.size() / 2, good.size() - 1}) {
        expect_refused(std::vector<std::uint8_t>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(keep)),
                       "truncated to " + std::to_string(keep));
    }
    for (std::size_t at : {std::size_t{0}, std::size_t{9}, std::size_t{25}, good.size() / 3, good.size() - 3}) {
        auto flipped = good;
        flipped[at] ^= 0x40;
        expect_refused(flipped, "byte flipped at " + std::to_string(at));
    }
    auto extended = good;
    extended.push_back(0);
    expect_refused(extended, "trailing byte");

    write_bytes(path, good);
    EXPECT_TRUE(MemoryPresence::open(path).ok());
}

// Issue 9 #10: the snapshot is a cache. A corrupt one is set aside (kept for
// a post-mortem) and the store starts empty, with a warning for the log.
TEST(MemoryPresence, CorruptSnapshotIsSetAsideAndTheStoreStartsEmpty) {
    test::TempDir dir;
    const auto path = dir.path() / "presence.snapshot";
    {
        auto store = open_ok(path);
        ASSERT_TRUE(store);
        fill(*store);
        ASSERT_TRUE(store->flush().ok());
    }
    auto damaged = read_bytes(path);
    damaged.resize(damaged.size() / 2);
    write_bytes(path, damaged);

    auto opened = MemoryPresence::open_recovering(options_for(path));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    ASSERT_TRUE(opened->store);
    ASSERT_TRUE(opened->warning);
    const auto aside = dir.path() / "presence.snapshot.corrupt-20261125T094640Z";  // kT0
    EXPECT_NE(opened->warning->find("corrupt snapshot"), std::string::npos) << *opened->warning;
    EXPECT_NE(opened->warning->find(aside.string()), std::string::npos) << *opened->warning;
    EXPECT_FALSE(std::filesystem::exists(path));
    ASSERT_TRUE(std::filesystem::exists(aside));
    EXPECT_EQ(read_bytes(aside), damaged) << "kept as it was";
    EXPECT_EQ(online(*opened->store, kT0), 0);
    EXPECT_EQ(opened->store->estimate_dau(kDay).value().total, 0);

    // It serves and flushes a good snapshot again.
    ASSERT_TRUE(opened->store->record_heartbeat("u:alice", kT0 + 180s).ok());
    ASSERT_TRUE(opened->store->flush().ok());
    auto again = MemoryPresence::open_recovering(options_for(path));
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->warning);
    EXPECT_EQ(online(*again->store, kT0), 1);
}

TEST(MemoryPresence, GarbageOrEmptySnapshotIsSetAsideToo) {
    for (const std::vector<std::uint8_t>& bytes :
         {std::vector<std::uint8_t>{}, std::vector<std::uint8_t>(5000, 0xab)}) {
        test::TempDir dir;
        const auto path = dir.path() / "presence.snapshot";
        write_bytes(path, bytes);
        auto opened = MemoryPresence::open_recovering(options_for(path));
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        EXPECT_TRUE(opened->warning);
        EXPECT_FALSE(std::filesystem::exists(path));
        EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()),
                  1);
    }
}

TEST(MemoryPresence, UnreadableSnapshotStillFailsTheStart) {
    test::TempDir dir;
    const auto path = dir.path() / "presence.snapshot";
    std::filesystem::create_directory(path);  // read() fails with EISDIR: not corruption
    auto opened = MemoryPresence::open_recovering(options_for(path));
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ErrorCode::Unavailable);
    EXPECT_NE(opened.error().message.find(path.string()), std::string::npos) << opened.error().message;
    EXPECT_TRUE(std::filesystem::is_directory(path)) << "left where it is";
}

TEST(MemoryPresence, ConcurrentHeartbeatsCountEveryActorOnce) {
    MemoryPresence store;
    constexpr int kThreads = 4;
    constexpr int kActorsPerThread = 5000;
    constexpr int kShared = 1000;  // every thread also beats these
    std::atomic<bool> done{false};
    std::thread reader([&] {
        // Counting while others write must be safe and never exceed the truth.
        while (!done.load()) {
            const auto n = online(store, kT0);
            EXPECT_GE(n, 0);
            EXPECT_LE(n, kThreads * kActorsPerThread + kShared);
        }
    });
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
        writers.emplace_back([&store, t] {
            for (int round = 0; round < 3; ++round) {
                for (int i = 0; i < kActorsPerThread; ++i) {
                    const auto expiry = kT0 + std::chrono::seconds(60 + round * 60 + t);
                    ASSERT_TRUE(
                        store.record_heartbeat("i:t" + std::to_string(t) + "-" + std::to_string(i), expiry).ok());
                }
                for (int i = 0; i < kShared; ++i) {
                    ASSERT_TRUE(store.record_heartbeat("u:shared-" + std::to_string(i), kT0 + 100s).ok());
                }
            }
        });
    }
    for (auto& w : writers) {
        w.join();
    }
    done.store(true);
    reader.join();

    EXPECT_EQ(online(store, kT0), kThreads * kActorsPerThread + kShared);
    // Each thread's own actors ended at 180 s + t; the shared ones at 100 s.
    EXPECT_EQ(online(store, kT0 + 100s), kThreads * kActorsPerThread);
    EXPECT_EQ(online(store, kT0 + 181s), 2 * kActorsPerThread);  // threads 2 and 3
    EXPECT_EQ(store.remove_expired(kT0 + 183s).value(), kThreads * kActorsPerThread + kShared);
    EXPECT_EQ(online(store, kT0), 0);
}

TEST(MemoryPresence, ConcurrentDauMarksAreAllCounted) {
    MemoryPresence store;
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
        writers.emplace_back([&store, t] {
            const auto batch = marks(kDay, t % 2 == 0 ? Platform::Android : Platform::Ios, t * 2500, (t + 1) * 2500);
            for (std::size_t i = 0; i < batch.size(); i += 100) {
                ASSERT_TRUE(store.add_to_dau(std::span(batch).subspan(i, 100)).ok());
            }
        });
    }
    for (auto& w : writers) {
        w.join();
    }
    const auto estimate = store.estimate_dau(kDay).value();
    EXPECT_NEAR(static_cast<double>(estimate.total), 10'000.0, 200.0);
    EXPECT_NEAR(static_cast<double>(estimate.by_platform.at("android")), 5'000.0, 100.0);
    EXPECT_NEAR(static_cast<double>(estimate.by_platform.at("ios")), 5'000.0, 100.0);
}

// Random heartbeats that extend and shorten expiries, with counts and removals
// at times that go forwards and backwards, checked against a plain map.
// With a grace longer than the test, nothing is forgotten before
// remove_expired: counts at any time and removals match the model exactly.
TEST(MemoryPresence, MatchesAReferenceModelUnderRandomOperations) {
    MemoryPresenceOptions o;
    o.recount_grace = std::chrono::hours(1);
    MemoryPresence store(o);
    std::map<std::string, std::int64_t> model;  // actor -> expiry ms
    std::mt19937_64 rng(20261125);
    std::int64_t clock_ms = 0;
    auto at = [](std::int64_t ms) { return kT0 + Millis{ms}; };
    for (int step = 0; step < 20'000; ++step) {
        const auto op = rng() % 100;
        if (op < 80) {
            const std::string actor = "i:actor-" + std::to_string(rng() % 300);
            const std::int64_t expiry = clock_ms + static_cast<std::int64_t>(rng() % 4000) - 500;
            ASSERT_TRUE(store.record_heartbeat(actor, at(expiry)).ok());
            model[actor] = expiry;
        } else if (op < 93) {
            // Mostly forward, sometimes back in time.
            const std::int64_t now = clock_ms + static_cast<std::int64_t>(rng() % 1000) - 700;
            std::int64_t expected = 0;
            for (const auto& [actor, expiry] : model) {
                expected += expiry > now ? 1 : 0;
            }
            ASSERT_EQ(online(store, at(now)), expected) << "step " << step;
        } else {
            const std::int64_t now = clock_ms + static_cast<std::int64_t>(rng() % 1000) - 900;
            std::int64_t expected = 0;
            for (auto it = model.begin(); it != model.end();) {
                if (it->second <= now) {
                    it = model.erase(it);
                    ++expected;
                } else {
                    ++it;
                }
            }
            ASSERT_EQ(store.remove_expired(at(now)).value(), expected) << "step " << step;
        }
        clock_ms += static_cast<std::int64_t>(rng() % 20);
    }
}

// With the default grace, heartbeats forget actors that expired more than
// the grace before the latest count; counts within the grace stay exact, and
// a removal never reports more than the model.
TEST(MemoryPresence, StaysExactWithinTheGraceWhileForgettingUnderRandomOperations) {
    MemoryPresence store;
    constexpr std::int64_t kGraceMs = 30'000;
    std::map<std::string, std::int64_t> model;  // actor -> expiry ms
    std::mt19937_64 rng(20261202);
    std::int64_t clock_ms = 0;
    std::int64_t latest_now = std::numeric_limits<std::int64_t>::min();
    auto at = [](std::int64_t ms) { return kT0 + Millis{ms}; };
    for (int step = 0; step < 20'000; ++step) {
        const auto op = rng() % 100;
        if (op < 80) {
            const std::string actor = "i:actor-" + std::to_string(rng() % 3000);
            const std::int64_t expiry = clock_ms + static_cast<std::int64_t>(rng() % 40'000) - 5'000;
            ASSERT_TRUE(store.record_heartbeat(actor, at(expiry)).ok());
            model[actor] = expiry;
        } else if (op < 95) {
            // Mostly forward, sometimes up to 20 s back: inside the grace.
            const std::int64_t now = clock_ms + static_cast<std::int64_t>(rng() % 1000) - 700 -
                                     (rng() % 10 == 0 ? static_cast<std::int64_t>(rng() % 20'000) : 0);
            if (latest_now != std::numeric_limits<std::int64_t>::min() && now < latest_now - kGraceMs) {
                continue;
            }
            latest_now = std::max(latest_now, now);
            std::int64_t expected = 0;
            for (const auto& [actor, expiry] : model) {
                expected += expiry > now ? 1 : 0;
            }
            ASSERT_EQ(online(store, at(now)), expected) << "step " << step;
        } else {
            const std::int64_t now = clock_ms + static_cast<std::int64_t>(rng() % 1000) - 900;
            latest_now = std::max(latest_now, now);
            std::int64_t expected = 0;
            for (auto it = model.begin(); it != model.end();) {
                if (it->second <= now) {
                    it = model.erase(it);
                    ++expected;
                } else {
                    ++it;
                }
            }
            ASSERT_LE(store.remove_expired(at(now)).value(), expected) << "step " << step;
        }
        ASSERT_LE(store.kept_actors_for_test(), model.size()) << "step " << step;
        clock_ms += static_cast<std::int64_t>(rng() % 200);
    }
}

}  // namespace
}  // namespace beacon::backends::memory
