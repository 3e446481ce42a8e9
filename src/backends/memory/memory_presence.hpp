#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backends/memory/hyperloglog.hpp"
#include "core/clock.hpp"
#include "core/health.hpp"
#include "core/result.hpp"
#include "telemetry/presence_store.hpp"

namespace beacon::backends::memory {

struct MemoryPresenceOptions {
    // Where flush() writes and open() reads; nullopt: in-memory only.
    std::optional<std::filesystem::path> snapshot_path;
    // The time flush() uses (to leave expired actors out) and the name of a
    // corrupt snapshot set aside. nullptr: the system clock.
    const Clock* clock = nullptr;
    // How far before the latest `now` seen a count stays exact; actors that
    // expired longer ago than that are forgotten without waiting for
    // remove_expired() (see below).
    Millis recount_grace = std::chrono::seconds(30);
};

// The in-process PresenceStore: the embedded default and the unit-test fake.
//
// Online set: actor -> expiry, split into kShards shards by actor hash, each
// with its own mutex, so concurrent heartbeats rarely contend. With a
// non-decreasing `now` (the normal case) count_online() and remove_expired()
// cost O(shards + actors that expired since the previous call), not O(online
// actors), and a heartbeat O(log n).
//
// Expired actors leave memory as the window passes, not only at
// remove_expired(): once an actor's expiry is more than `recount_grace` before
// the latest `now` any call has seen, heartbeats (a few per call, in their
// shard) and flush() (all of them, a bounded batch per lock hold) forget it.
// So count_online(now) is exact for any `now` at or after that latest now
// minus the grace (clock steps, slightly late job ticks), and counts never
// forget anyone by themselves; remove_expired(now) forgets the kept actors
// whose expiry is at or before `now` and returns how many it forgot.
//
// Versions: each actor keeps the platform and version code of its latest
// heartbeat, and each shard counts its live actors per (platform, code), so
// count_online_by_version() costs O(shards + groups), like count_online().
//
// DAU: one HyperLogLog (P=14, as Redis) per day overall, one per (day,
// platform) and one per (day, platform, version code), behind one mutex;
// add_to_dau() hashes outside it.
//
// Persistence (optional): flush() writes the actors online at the clock's now
// (never an expired one) and every day's sketches to `snapshot_path`
// atomically (temp file, fsync, rename, fsync of the directory); open() loads
// it, so a restart keeps today's estimate and who is online. The snapshot is
// per shard, not a global point in time: a heartbeat racing a flush may or may
// not be in it.
//
// Thread-safe. ping() always succeeds (nothing external to reach).
class MemoryPresence final : public telemetry::PresenceStore, public HealthProbe, public Flushable {
public:
    static constexpr std::size_t kShards = 64;

    // Loads `snapshot_path` if it exists (a missing file means empty) and
    // flushes there later. nullopt: in-memory only, flush() does nothing.
    // Errors: Internal when the file is corrupt or truncated, Unavailable when
    // it cannot be read; both name the path.
    static Result<std::unique_ptr<MemoryPresence>> open(std::optional<std::filesystem::path> snapshot_path);
    static Result<std::unique_ptr<MemoryPresence>> open(MemoryPresenceOptions options);

    // What open_recovering() did.
    struct Opened {
        std::unique_ptr<MemoryPresence> store;
        // Set when the snapshot was corrupt: what was wrong and where the file
        // went (for a warning in the log).
        std::optional<std::string> warning;
    };
    // Like open(), but a corrupt or truncated snapshot is a cache lost, not a
    // reason to stop: it is renamed to `<snapshot>.corrupt-<UTC time>` (kept
    // for a post-mortem) and the store starts empty, with `warning` set.
    // Errors: Unavailable when the file cannot be read, or cannot be moved
    // aside; both name the path.
    static Result<Opened> open_recovering(MemoryPresenceOptions options);

    // An empty store that flushes to `snapshot_path` (never reads it).
    explicit MemoryPresence(std::optional<std::filesystem::path> snapshot_path = std::nullopt);
    explicit MemoryPresence(MemoryPresenceOptions options);
    ~MemoryPresence() override;
    MemoryPresence(const MemoryPresence&) = delete;
    MemoryPresence& operator=(const MemoryPresence&) = delete;

    // telemetry::PresenceStore (never fails)
    using telemetry::PresenceStore::record_heartbeat;
    Result<void> record_heartbeat(const telemetry::HeartbeatMark& mark) override;
    Result<std::int64_t> count_online(TimePoint now) override;
    Result<std::vector<telemetry::VersionCount>> count_online_by_version(telemetry::Platform platform,
                                                                         TimePoint now) override;
    Result<std::int64_t> remove_expired(TimePoint now) override;
    Result<void> add_to_dau(std::span<const telemetry::DauMark> marks) override;
    Result<telemetry::DauEstimate> estimate_dau(Day day) override;
    Result<std::vector<telemetry::VersionCount>> estimate_dau_by_version(Day day,
                                                                         telemetry::Platform platform) override;
    Result<void> drop_dau_before(Day day) override;

    // HealthProbe
    Result<void> ping() override;

    // Flushable. Unavailable (naming the path) when the snapshot cannot be
    // written; the previous snapshot is then left intact. Concurrent calls are
    // serialized.
    Result<void> flush() override;

    const std::optional<std::filesystem::path>& snapshot_path() const { return snapshot_path_; }

    // Actors kept in memory, online or expired but not yet forgotten (tests).
    std::size_t kept_actors_for_test();

private:
    struct Shard;
    struct DaySketches;

    Shard& shard_for(std::uint64_t hash);
    // per_shard(shard) under each shard's lock in turn, summed.
    template <typename PerShard>
    std::int64_t sum_over_shards(PerShard&& per_shard);
    Result<void> load(const std::filesystem::path& path);
    Result<void> parse_snapshot(std::span<const std::uint8_t> bytes);
    std::string serialize(std::int64_t now_ms);

    std::optional<std::filesystem::path> snapshot_path_;
    const Clock& clock_;
    const std::int64_t grace_ms_;
    std::unique_ptr<Shard[]> shards_;

    std::mutex dau_mu_;
    std::map<Day, std::unique_ptr<DaySketches>> days_;  // guarded by dau_mu_

    std::mutex flush_mu_;  // one flush at a time (they share the temp file)
};

}  // namespace beacon::backends::memory
