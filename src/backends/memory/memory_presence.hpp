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

#include "backends/memory/hyperloglog.hpp"
#include "core/health.hpp"
#include "core/result.hpp"
#include "telemetry/presence_store.hpp"

namespace beacon::backends::memory {

// The in-process PresenceStore: the embedded default and the unit-test fake.
//
// Online set: actor -> expiry, split into kShards shards by actor hash, each
// with its own mutex, so concurrent heartbeats rarely contend. count_online()
// and remove_expired() are exact for any `now` (they need not be monotonic)
// and have no side effect on what the store reports; with a non-decreasing
// `now` (the normal case) they cost O(shards + actors that expired since the
// previous call), not O(online actors).
//
// DAU: one HyperLogLog (P=14, as Redis) per day overall and one per (day,
// platform), behind one mutex; add_to_dau() hashes outside it.
//
// Persistence (optional): flush() writes the online set and every day's
// sketches to `snapshot_path` atomically (temp file, fsync, rename, fsync of
// the directory); open() loads it, so a restart keeps today's estimate and who
// is online. The snapshot is per shard, not a global point in time: a
// heartbeat racing a flush may or may not be in it.
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

    // An empty store that flushes to `snapshot_path` (never reads it).
    explicit MemoryPresence(std::optional<std::filesystem::path> snapshot_path = std::nullopt);
    ~MemoryPresence() override;
    MemoryPresence(const MemoryPresence&) = delete;
    MemoryPresence& operator=(const MemoryPresence&) = delete;

    // telemetry::PresenceStore (never fails)
    Result<void> record_heartbeat(std::string_view actor, TimePoint expires_at) override;
    Result<std::int64_t> count_online(TimePoint now) override;
    Result<std::int64_t> remove_expired(TimePoint now) override;
    Result<void> add_to_dau(std::span<const telemetry::DauMark> marks) override;
    Result<telemetry::DauEstimate> estimate_dau(Day day) override;
    Result<void> drop_dau_before(Day day) override;

    // HealthProbe
    Result<void> ping() override;

    // Flushable. Unavailable (naming the path) when the snapshot cannot be
    // written; the previous snapshot is then left intact. Concurrent calls are
    // serialized.
    Result<void> flush() override;

    const std::optional<std::filesystem::path>& snapshot_path() const { return snapshot_path_; }

private:
    struct Shard;
    struct DaySketches;

    Shard& shard_for(std::uint64_t hash);
    Result<void> load(const std::filesystem::path& path);
    Result<void> parse_snapshot(std::span<const std::uint8_t> bytes);
    std::string serialize();

    std::optional<std::filesystem::path> snapshot_path_;
    std::unique_ptr<Shard[]> shards_;

    std::mutex dau_mu_;
    std::map<Day, std::unique_ptr<DaySketches>> days_;  // guarded by dau_mu_

    std::mutex flush_mu_;  // one flush at a time (they share the temp file)
};

}  // namespace beacon::backends::memory
