#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "backends/postgres/connection.hpp"
#include "backends/postgres/partitions.hpp"
#include "backends/postgres/pg_run_claims.hpp"
#include "core/clock.hpp"
#include "core/health.hpp"
#include "core/result.hpp"
#include "jobs/job_ledger.hpp"
#include "telemetry/event_store.hpp"
#include "telemetry/stats_store.hpp"

namespace beacon::backends::postgres {

struct PgOptions {
    // Connections held at most (each call borrows one for its duration).
    int pool_size = 8;
    // A server that does not accept the connection fails it after this (libpq
    // connect_timeout: whole seconds, at least 2).
    Millis connect_timeout{3000};
    // Server-side statement_timeout and lock_timeout of each connection; the
    // client abandons a call (and its connection) 2 s after it. So a dead or
    // stuck server fails a call with Unavailable within ~7 s, never hangs it.
    Millis statement_timeout{5000};
    // How long a call waits for a pooled connection when all are busy.
    Millis acquire_timeout{5000};
    // After a call or connection attempt timed out (a hung server), calls
    // fail at once for this long (PoolSettings::hold_off).
    Millis hold_off{2000};
    // Statement timeout for migrations and retention (which may run long).
    Millis maintenance_timeout{120000};
    // Partitions created ahead of the current month.
    int months_ahead = 2;
    // "Now" for partition upkeep (which months are current); null means the
    // system clock. Must outlive the database.
    const Clock* clock = nullptr;
    // The event that ends a session in a crash (BEACON_CRASH_EVENT): the
    // append marks its session crashed in release_sessions.
    std::string crash_event = "app_crash";
};

// The production database: PostgreSQL 15+ through libpq, implementing the
// telemetry, stats, snapshot and job-ledger ports for any number of replicas
// sharing one database.
//
// Schema: migrations/*.sql, embedded at build time and applied by open() and
// migrate(), each in its own transaction under a per-schema advisory lock, so
// replicas starting together apply each migration once. Everything lives in
// the first schema of the URL's search_path (default: public).
//
// telemetry_events is partitioned by month of event_time (partitions.hpp):
// retention drops whole partitions and never deletes event rows.
// (install_id, event_id) idempotency is kept by the event_keys table, written
// in the same transaction, because a unique index on the partitioned table
// would have to include event_time. An append is one transaction, all or
// nothing: BEGIN; the dedup keys with INSERT ... SELECT FROM unnest($arrays)
// ... ON CONFLICT DO NOTHING RETURNING; the new events with COPY FROM STDIN;
// COMMIT (four round trips).
//
// Ids are assigned from a sequence in commit-independent order: with
// concurrent appends a smaller id can commit after a larger one, so a
// listing cursor taken in that instant can miss the late row (as with any
// sequence-based keyset pagination under concurrent writers).
//
// Connections come from a bounded pool (connection.hpp) that drops broken
// connections and reconnects on demand, so the adapter recovers by itself
// when the server returns. Thread-safe; never throws. Errors: Unavailable
// when the server cannot be reached, times out, or refuses for a transient
// reason (messages never hold the URL or a password); Internal for what can
// only be a bug (bad SQL, a violated constraint).
class PgDatabase final : public telemetry::EventStore,
                         public telemetry::DailyStatsStore,
                         public telemetry::SnapshotStore,
                         public jobs::JobLedger,
                         public HealthProbe {
public:
    // Connects to `url` (postgres://...), applies pending migrations and
    // creates the partitions of the current month and the next ones. Fails
    // (Unavailable) if the database holds a schema newer than this binary.
    static Result<std::unique_ptr<PgDatabase>> open(std::string url, PgOptions options = {});

    // `beacon migrate`: applies pending migrations and returns how many;
    // 0 when the schema is current.
    static Result<int> migrate(std::string url, PgOptions options = {});

    // Precondition: no call is in flight.
    ~PgDatabase() override = default;
    PgDatabase(const PgDatabase&) = delete;
    PgDatabase& operator=(const PgDatabase&) = delete;

    // telemetry::EventStore
    Result<std::vector<bool>> append(std::span<const telemetry::Event> events) override;
    Result<telemetry::EventPage> list(const telemetry::EventQuery& q) override;
    Result<telemetry::DailyCounts> count_session_actors(TimePoint from, TimePoint to) override;
    // Month-granular (docs/decisions/0008): drops the partitions that end at
    // or before `t` (counting their rows) after deleting their dedup keys;
    // the rows of the month holding `t` stay until that month is wholly
    // before a later cutoff. Then creates the partitions ahead. No event row
    // is deleted one by one.
    Result<telemetry::LeftBehindCounts> count_left_behind(telemetry::Platform platform,
                                                          TimePoint since,
                                                          telemetry::VersionCode code) override;
    Result<std::vector<telemetry::AdoptionCounts>> count_adoption(
        telemetry::Platform platform,
        telemetry::VersionCode code,
        std::span<const telemetry::TimeRange> buckets) override;
    Result<telemetry::ReleaseHealthCounts> count_release_health(telemetry::Platform platform,
                                                                telemetry::VersionCode code,
                                                                telemetry::TimeRange window) override;
    Result<std::int64_t> delete_events_before(TimePoint t) override;

    // telemetry::DailyStatsStore
    Result<void> upsert(const telemetry::DailyStats& stats) override;
    Result<std::vector<telemetry::DailyStats>> range(Day from, Day to) override;

    // telemetry::SnapshotStore
    Result<void> insert(const telemetry::OnlineSnapshot& s) override;
    Result<std::vector<telemetry::SnapshotBucket>> buckets(Millis interval, TimePoint from, TimePoint to) override;
    Result<std::vector<std::optional<telemetry::OnlinePeak>>> peaks(
        std::span<const telemetry::TimeRange> ranges) override;
    Result<std::vector<telemetry::OnlineSnapshot>> snapshots_between(TimePoint from, TimePoint to) override;
    Result<std::int64_t> delete_snapshots_before(TimePoint t) override;

    // jobs::JobLedger: a claim is a row of job_claims, inserted with
    // ON CONFLICT DO NOTHING: exactly one replica inserts it.
    Result<bool> try_claim(std::string_view job, TimePoint tick) override;
    Result<void> record_run(const jobs::JobRunRecord& run) override;
    Result<std::vector<jobs::JobRunRecord>> last_runs() override;
    Result<void> prune_claims_before(TimePoint t) override;
    // A session advisory lock on a connection of the claim's own
    // (pg_run_claims.hpp): exclusive across every replica on the database,
    // freed when the claim is destroyed or its holder dies.
    Result<std::unique_ptr<jobs::RunClaim>> try_claim_run(std::string_view job) override {
        return run_claims_.try_claim(job);
    }

    // HealthProbe: a query on a pooled connection.
    Result<void> ping() override;

    // Makes the next append() fail with Unavailable after it has inserted
    // min(n, size) of its events inside its transaction (all-or-nothing tests).
    void fail_next_append_after_for_test(std::size_t n) { fail_append_after_.store(static_cast<std::int64_t>(n)); }

    // The months that have a partition, as this instance last saw them.
    std::set<partitions::Month> known_partitions_for_test();

private:
    PgDatabase(PgOptions options, std::unique_ptr<ConnectionPool> pool);

    TimePoint now() const;
    // Creates the partitions of `months` that this instance has not seen.
    Result<void> ensure_partitions(PgConnection& c, const std::set<partitions::Month>& months);
    // Re-reads which partitions exist.
    Result<void> load_partitions(PgConnection& c);

    // One attempt at append(); `prefix` events are written (all of them unless
    // a failure is injected); see append().
    Result<void> append_once(PgConnection& c,
                             std::span<const telemetry::Event> events,
                             const std::vector<std::size_t>& candidates,
                             bool inject_failure,
                             std::vector<bool>& stored);

    const PgOptions options_;
    std::unique_ptr<ConnectionPool> pool_;
    PgRunClaims run_claims_;

    std::mutex partitions_mutex_;
    std::set<partitions::Month> partitions_;

    std::atomic<std::int64_t> fail_append_after_{-1};
};

// The connection-pool settings `options` stand for (PgDatabase and
// PgVersionRepository each keep a pool built from them).
PoolSettings pool_settings(std::string url, const PgOptions& options);

}  // namespace beacon::backends::postgres
