#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "backends/sqlite/space_watch.hpp"
#include "core/clock.hpp"
#include "core/health.hpp"
#include "core/result.hpp"
#include "jobs/job_ledger.hpp"
#include "jobs/local_run_claims.hpp"
#include "telemetry/event_store.hpp"
#include "telemetry/stats_store.hpp"

struct sqlite3_stmt;

namespace beacon::backends::sqlite {

class Connection;

struct SqliteOptions {
    // How long a statement waits for a lock held by another connection or
    // process (say `beacon migrate`) before failing with Unavailable.
    Millis busy_timeout{5000};
    // Read-only connections for queries, opened on demand (at least 1).
    int read_connections = 4;
    // The event that ends a session in a crash (BEACON_CRASH_EVENT): the
    // append marks its session crashed in release_sessions.
    std::string crash_event = "app_crash";
};

// The connections of the stores beside SqliteDatabase on the same file
// (versions, webhooks): a writer (kPragmaWriter: synchronous=FULL, foreign
// keys) and a reader, opened after the schema is brought up to date (a no-op
// read when SqliteDatabase did it already).
struct ConnectionPair {
    std::unique_ptr<Connection> writer;
    std::unique_ptr<Connection> reader;
};
Result<ConnectionPair> open_migrated_pair(const std::filesystem::path& file, const SqliteOptions& options);

// The embedded database: one SQLite file in WAL mode implementing the
// telemetry, stats, snapshot and job-ledger ports.
//
// Writes go through one connection guarded by a mutex, each call its own
// transaction (synchronous=FULL: durable when it returns). Group commit, many
// requests per append() and so per fsync, is telemetry::EventIngestor's job
// (docs/decisions/0002). Reads use a small pool of read-only connections,
// which WAL lets run beside the writer.
// Thread-safe; never throws. Errors: Unavailable when the file cannot be
// opened, is locked past busy_timeout, full, corrupt or failing I/O.
class SqliteDatabase final : public telemetry::EventStore,
                             public telemetry::DailyStatsStore,
                             public telemetry::SnapshotStore,
                             public jobs::JobLedger,
                             public HealthProbe {
public:
    // Opens (creating if needed) `file`, whose directory must exist, enables
    // WAL, synchronous=FULL, foreign keys and busy_timeout, and applies the
    // pending migrations. Fails if the file holds a schema newer than this binary.
    static Result<std::unique_ptr<SqliteDatabase>> open(const std::filesystem::path& file,
                                                        const SqliteOptions& options = {});

    // `beacon migrate`: applies pending migrations to `file` (creating it) and
    // returns how many were applied; 0 when the schema is current.
    static Result<int> migrate(const std::filesystem::path& file, const SqliteOptions& options = {});

    // Precondition: no call is in flight.
    ~SqliteDatabase() override;
    SqliteDatabase(const SqliteDatabase&) = delete;
    SqliteDatabase& operator=(const SqliteDatabase&) = delete;

    // telemetry::EventStore
    Result<std::vector<bool>> append(std::span<const telemetry::Event> events) override;
    Result<telemetry::EventPage> list(const telemetry::EventQuery& q) override;
    Result<telemetry::DailyCounts> count_session_actors(TimePoint from, TimePoint to) override;
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

    // jobs::JobLedger
    Result<bool> try_claim(std::string_view job, TimePoint tick) override;
    Result<void> record_run(const jobs::JobRunRecord& run) override;
    Result<std::vector<jobs::JobRunRecord>> last_runs() override;
    Result<void> prune_claims_before(TimePoint t) override;
    // In process (jobs::LocalRunClaims): the embedded database belongs to
    // one process, so "running" needs no row; a crash frees every claim.
    Result<std::unique_ptr<jobs::RunClaim>> try_claim_run(std::string_view job) override {
        return run_claims_.try_claim(job);
    }

    // HealthProbe: Unavailable when the database's file system is out of
    // space (SpaceWatch: a write failed for lack of it, or almost none is
    // free), else runs a query on a read connection.
    Result<void> ping() override;

    // Caps the database at `pages` pages (PRAGMA max_page_count), so writes
    // fail with SQLITE_FULL as on a full disk; 0 lifts the cap.
    Result<void> set_max_page_count_for_test(std::int64_t pages);

    // Makes the next append() fail with Unavailable after it has inserted
    // min(n, size) of its events inside its transaction (all-or-nothing tests).
    void fail_next_append_after_for_test(std::size_t n) { fail_append_after_.store(static_cast<std::int64_t>(n)); }

private:
    class ReaderLease;

    SqliteDatabase(std::filesystem::path file, SqliteOptions options, std::unique_ptr<Connection> writer);

    Result<void> insert_events(std::span<const telemetry::Event> events, std::vector<bool>& stored);
    // The actor_last_sessions row of a stored app_session_start (in the append's transaction).
    Result<void> note_last_session(const telemetry::Event& e);
    // The release_sessions row of a stored session start or crash (idem).
    Result<void> note_release_session(const telemetry::Event& e);

    Result<ReaderLease> acquire_reader();
    void release_reader(std::unique_ptr<Connection> conn);

    const std::filesystem::path file_;
    const SqliteOptions options_;
    SpaceWatch space_;  // the writer reports to it; ping() asks it

    std::mutex writer_mutex_;
    std::unique_ptr<Connection> writer_;
    sqlite3_stmt* insert_event_ = nullptr;  // owned by writer_'s statement cache

    std::atomic<std::int64_t> fail_append_after_{-1};

    std::mutex readers_mutex_;
    std::condition_variable reader_free_;
    std::vector<std::unique_ptr<Connection>> idle_readers_;
    int open_readers_ = 0;

    jobs::LocalRunClaims run_claims_;
};

}  // namespace beacon::backends::sqlite
