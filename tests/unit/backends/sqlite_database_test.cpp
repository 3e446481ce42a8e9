#include "backends/sqlite/sqlite_database.hpp"

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "backends/sqlite/migrations.hpp"
#include "support/temp_dir.hpp"
#include "telemetry/actor_hash.hpp"

namespace beacon::backends::sqlite {
namespace {

using namespace std::chrono_literals;
using telemetry::Event;
using telemetry::EventQuery;

const TimePoint kT0 = from_epoch_ms(1'795'600'000'000);

// A plain SQLite connection to inspect or lock the file from "outside".
class RawDb {
public:
    explicit RawDb(const std::filesystem::path& file) {
        if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK) {
            ADD_FAILURE() << "raw open: " << sqlite3_errmsg(db_);
        }
    }
    ~RawDb() { sqlite3_close(db_); }
    RawDb(const RawDb&) = delete;
    RawDb& operator=(const RawDb&) = delete;

    void exec(const std::string& sql) {
        char* err = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
            ADD_FAILURE() << sql << ": " << (err ? err : "?");
        }
        sqlite3_free(err);
    }
    // Rows of `sql`, each column as text ("NULL" for null).
    std::vector<std::vector<std::string>> rows(const std::string& sql) {
        std::vector<std::vector<std::string>> out;
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
            ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
            return out;
        }
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            std::vector<std::string> row;
            for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
                const auto* text = sqlite3_column_text(stmt, i);
                row.emplace_back(text ? reinterpret_cast<const char*>(text) : "NULL");
            }
            out.push_back(std::move(row));
        }
        sqlite3_finalize(stmt);
        return out;
    }
    std::string scalar(const std::string& sql) {
        auto r = rows(sql);
        return r.empty() || r[0].empty() ? "" : r[0][0];
    }

private:
    sqlite3* db_ = nullptr;
};

Event event(std::string install_id, std::optional<std::string> event_id, TimePoint at = kT0) {
    Event e;
    e.install_id = std::move(install_id);
    e.event_id = std::move(event_id);
    e.event_name = "page_view";
    e.event_time = at;
    e.received_at = kT0;
    return e;
}

std::unique_ptr<SqliteDatabase> open_ok(const std::filesystem::path& file, const SqliteOptions& options = {}) {
    auto db = SqliteDatabase::open(file, options);
    EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().message);
    return db.ok() ? std::move(db).value() : nullptr;
}

std::vector<Event> all_events(telemetry::EventStore& s) {
    EventQuery q;
    q.limit = 500;
    auto r = s.list(q);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->events : std::vector<Event>{};
}

// ---- migrations ----

TEST(SqliteMigrations, EmbeddedInAscendingVersionOrderStartingWithInit) {
    auto migrations = embedded_migrations();
    ASSERT_FALSE(migrations.empty());
    EXPECT_EQ(migrations[0].version, 1);
    EXPECT_EQ(migrations[0].name, "init");
    EXPECT_NE(migrations[0].sql.find("CREATE TABLE telemetry_events"), std::string_view::npos);
    for (std::size_t i = 1; i < migrations.size(); ++i) {
        EXPECT_LT(migrations[i - 1].version, migrations[i].version);
    }
}

TEST(SqliteMigrations, OpenAppliesEachMigrationOnceAndRecordsIt) {
    test::TempDir dir;
    const auto file = dir.path() / "beacon.db";
    const auto migrations = embedded_migrations();
    open_ok(file);
    {
        RawDb raw(file);
        auto recorded = raw.rows("SELECT version, name, applied_at > 0 FROM schema_migrations ORDER BY version");
        ASSERT_EQ(recorded.size(), migrations.size());
        for (std::size_t i = 0; i < migrations.size(); ++i) {
            EXPECT_EQ(recorded[i][0], std::to_string(migrations[i].version));
            EXPECT_EQ(recorded[i][1], migrations[i].name);
            EXPECT_EQ(recorded[i][2], "1");
        }
    }
    open_ok(file);  // reopening applies nothing again (it would fail on CREATE TABLE)
    RawDb raw(file);
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM schema_migrations"), std::to_string(migrations.size()));
}

// The schema as a binary of the first `n` migrations left it, recorded.
void apply_first_migrations(RawDb& raw, std::size_t n) {
    const auto migrations = embedded_migrations();
    raw.exec(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at INTEGER NOT NULL) STRICT");
    for (std::size_t i = 0; i < n; ++i) {
        raw.exec(std::string(migrations[i].sql));
        raw.exec("INSERT INTO schema_migrations VALUES (" + std::to_string(migrations[i].version) + ", '" +
                 std::string(migrations[i].name) + "', 1)");
    }
}

// Migration 3 (versions in telemetry) keeps the events stored before it and
// seeds each actor's latest session start from them.
TEST(SqliteMigrations, VersionsInTelemetryKeepExistingEvents) {
    test::TempDir dir;
    const auto file = dir.path() / "beacon.db";
    const auto migrations = embedded_migrations();
    ASSERT_GE(migrations.size(), 3u);
    ASSERT_EQ(migrations[2].name, "versions_in_telemetry");
    {
        RawDb raw(file);
        apply_first_migrations(raw, 2);
        raw.exec(
            "INSERT INTO telemetry_events (install_id, user_id, event_name, event_time, received_at, platform)"
            " VALUES ('install-0001', NULL, 'app_session_start', 1000, 1000, 'android'),"
            " ('install-0001', NULL, 'app_session_start', 3000, 3000, 'android'),"
            " ('install-0002', 'user-1', 'app_session_start', 2000, 2000, NULL),"
            " ('install-0003', NULL, 'page_view', 2000, 2000, 'android')");
    }
    auto db = open_ok(file);
    ASSERT_TRUE(db);
    EXPECT_EQ(all_events(*db).size(), 4u);
    EXPECT_EQ(all_events(*db)[0].version_code, std::nullopt);
    RawDb raw(file);
    EXPECT_EQ(raw.rows("SELECT platform, actor, event_time, version_code FROM actor_last_sessions ORDER BY actor"),
              (std::vector<std::vector<std::string>>{{"android", "i:install-0001", "3000", "NULL"},
                                                     {"unknown", "u:user-1", "2000", "NULL"}}));
    auto behind = db->count_left_behind(telemetry::Platform::Android, from_epoch_ms(0), 100);
    ASSERT_TRUE(behind.ok()) << behind.error().message;
    EXPECT_EQ(behind->actors, 1);
    EXPECT_EQ(behind->unknown, 1) << "events from before the migration have no code";
}

TEST(SqliteMigrations, ForceAfterDaysKeepsExistingVersionsAndChecksItsRange) {
    test::TempDir dir;
    const auto file = dir.path() / "beacon.db";
    const auto migrations = embedded_migrations();
    ASSERT_GE(migrations.size(), 4u);
    ASSERT_EQ(migrations[3].name, "force_after_days");
    {
        RawDb raw(file);
        raw.exec(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at INTEGER NOT NULL) STRICT");
        for (std::size_t i = 0; i < 3; ++i) {
            raw.exec(std::string(migrations[i].sql));
            raw.exec("INSERT INTO schema_migrations VALUES (" + std::to_string(migrations[i].version) + ", '" +
                     std::string(migrations[i].name) + "', 1)");
        }
        raw.exec(
            "INSERT INTO app_versions (platform, channel, version_code, version_name, external_url, created_at,"
            " updated_at) VALUES ('android', 'stable', 210, '2.1.0', 'https://example.com/a', 1, 1)");
    }
    auto db = open_ok(file);
    ASSERT_TRUE(db);
    RawDb raw(file);
    EXPECT_EQ(raw.rows("SELECT version_code, version_name, external_url, force_after_days FROM app_versions"),
              (std::vector<std::vector<std::string>>{{"210", "2.1.0", "https://example.com/a", "NULL"}}));
    sqlite3* handle = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &handle), SQLITE_OK);
    for (const char* bad : {"0", "3651"}) {
        EXPECT_NE(sqlite3_exec(handle,
                               (std::string("UPDATE app_versions SET force_after_days = ") + bad).c_str(),
                               nullptr,
                               nullptr,
                               nullptr),
                  SQLITE_OK)
            << bad;
    }
    EXPECT_EQ(sqlite3_exec(handle, "UPDATE app_versions SET force_after_days = 3650", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(handle);
}

TEST(SqliteMigrations, MigrateAppliesAllOnceThenNothing) {
    test::TempDir dir;
    const auto file = dir.path() / "beacon.db";
    auto first = SqliteDatabase::migrate(file);
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(*first, static_cast<int>(embedded_migrations().size()));
    auto second = SqliteDatabase::migrate(file);
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_EQ(*second, 0);
    ASSERT_NE(open_ok(file), nullptr);
    auto third = SqliteDatabase::migrate(file);
    ASSERT_TRUE(third.ok());
    EXPECT_EQ(*third, 0);
}

// Migration 7 (release sessions) fills release_sessions from the events
// stored before it: the first start of each session, with the actor key the
// append writes (telemetry::actor_hash through beacon_actor_hash()), and the
// crashes, also those of a session whose start is missing.
TEST(SqliteMigrations, ReleaseSessionsAreFilledFromTheEventLog) {
    test::TempDir dir;
    const auto file = dir.path() / "beacon.db";
    const auto migrations = embedded_migrations();
    ASSERT_GE(migrations.size(), 7u);
    ASSERT_EQ(migrations[6].name, "release_sessions");
    {
        RawDb raw(file);
        apply_first_migrations(raw, 6);
        raw.exec(
            "INSERT INTO telemetry_events"
            " (install_id, user_id, event_name, event_time, received_at, platform, session_id, version_code)"
            " VALUES ('install-0001', NULL, 'app_session_start', 1000, 1000, 'android', 's-1', 210),"
            " ('install-0001', NULL, 'app_session_start', 1500, 1500, 'android', 's-1', 210),"  // the same session
            " ('install-0001', NULL, 'app_crash', 1600, 1600, 'android', 's-1', 210),"
            " ('install-0002', 'user-1', 'app_session_start', 2000, 2000, 'android', 's-1', 210),"
            " ('install-0003', NULL, 'app_session_start', 2000, 2000, 'android', NULL, 210),"
            " ('install-0003', NULL, 'app_session_start', 2100, 2100, 'android', NULL, 210),"
            " ('install-0004', NULL, 'app_crash', 2000, 2000, 'android', 's-5', 210),"  // its start never came
            " ('install-0005', NULL, 'page_view', 2000, 2000, 'android', 's-1', 210)");
    }
    auto db = open_ok(file);
    ASSERT_TRUE(db);
    RawDb raw(file);
    EXPECT_EQ(raw.rows("SELECT install_id, coalesce(session_id, '-'), coalesce(started_at, '-'), actor,"
                       " coalesce(crashed_at, '-') FROM release_sessions ORDER BY install_id, started_at"),
              (std::vector<std::vector<std::string>>{
                  {"install-0001", "s-1", "1000", std::to_string(telemetry::actor_hash("i:install-0001")), "1600"},
                  {"install-0002", "s-1", "2000", std::to_string(telemetry::actor_hash("u:user-1")), "-"},
                  {"install-0003", "-", "2000", std::to_string(telemetry::actor_hash("i:install-0003")), "-"},
                  {"install-0003", "-", "2100", std::to_string(telemetry::actor_hash("i:install-0003")), "-"},
                  {"install-0004", "s-5", "-", "NULL", "2000"}}));
    auto health = db->count_release_health(
        telemetry::Platform::Android, 210, telemetry::TimeRange{from_epoch_ms(0), from_epoch_ms(10000)});
    ASSERT_TRUE(health.ok()) << health.error().message;
    EXPECT_EQ(health->version.sessions, 4);
    EXPECT_EQ(health->version.crashed_sessions, 1);
    EXPECT_EQ(health->version.users, 3);
    EXPECT_EQ(health->version.crashed_users, 1);
}

TEST(SqliteMigrations, CreatesEveryTableOfTheSchema) {
    test::TempDir dir;
    const auto file = dir.path() / "beacon.db";
    ASSERT_TRUE(SqliteDatabase::migrate(file).ok());
    RawDb raw(file);
    for (const char* table : {"telemetry_events",
                              "daily_active_stats",
                              "online_snapshots",
                              "job_claims",
                              "job_runs",
                              "app_versions",
                              "artifacts",
                              "release_sessions",
                              "schema_migrations"}) {
        EXPECT_EQ(raw.scalar(std::string("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '") +
                             table + "'"),
                  "1")
            << table;
    }
}

TEST(SqliteMigrations, AppVersionsAcceptOnlyAndroidAndIosOncePerChannelAndCode) {
    test::TempDir dir;
    const auto file = dir.path() / "beacon.db";
    ASSERT_TRUE(SqliteDatabase::migrate(file).ok());
    RawDb raw(file);
    raw.exec(
        "INSERT INTO app_versions (platform, channel, version_code, version_name, created_at, updated_at)"
        " VALUES ('android', 'stable', 210, '2.1.0', 1, 1)");
    EXPECT_EQ(raw.scalar("SELECT revision || rollout_percent || is_enabled || is_force_update FROM app_versions"),
              "110010");
    sqlite3* handle = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &handle), SQLITE_OK);
    EXPECT_NE(sqlite3_exec(handle,
                           "INSERT INTO app_versions (platform, version_code, version_name, created_at, updated_at)"
                           " VALUES ('web', 1, '1', 1, 1)",
                           nullptr,
                           nullptr,
                           nullptr),
              SQLITE_OK)
        << "platform CHECK";
    EXPECT_NE(sqlite3_exec(handle,
                           "INSERT INTO app_versions (platform, channel, version_code, version_name, created_at,"
                           " updated_at) VALUES ('android', 'stable', 210, 'again', 1, 1)",
                           nullptr,
                           nullptr,
                           nullptr),
              SQLITE_OK)
        << "unique (platform, channel, version_code)";
    sqlite3_close(handle);
}

TEST(SqliteMigrations, RefusesADatabaseWithANewerSchema) {
    test::TempDir dir;
    const auto file = dir.path() / "beacon.db";
    ASSERT_TRUE(SqliteDatabase::migrate(file).ok());
    {
        RawDb raw(file);
        raw.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 1)");
    }
    auto db = SqliteDatabase::open(file);
    ASSERT_FALSE(db.ok());
    EXPECT_NE(db.error().message.find("9999"), std::string::npos) << db.error().message;
    EXPECT_FALSE(SqliteDatabase::migrate(file).ok());
}

// ---- files, durability, reopening ----

TEST(SqliteDatabase, UsesWriteAheadLogging) {
    test::TempDir dir;
    const auto file = dir.path() / "beacon.db";
    auto db = open_ok(file);
    RawDb raw(file);
    EXPECT_EQ(raw.scalar("PRAGMA journal_mode"), "wal");
}

TEST(SqliteDatabase, ReopenKeepsEveryKindOfData) {
    test::TempDir dir;
    const auto file = dir.path() / "beacon.db";
    std::int64_t last_id = 0;
    {
        auto db = open_ok(file);
        ASSERT_NE(db, nullptr);
        ASSERT_TRUE(db->append(std::vector<Event>{event("install-0001", "e1"), event("install-0001", "e2")}).ok());
        last_id = all_events(*db).front().id;
        telemetry::DailyStats stats;
        stats.day = std::chrono::floor<std::chrono::days>(kT0);
        stats.counts.total = 7;
        stats.counts.by_platform = {{"ios", 7}};
        stats.exact = true;
        stats.computed_at = kT0;
        ASSERT_TRUE(db->upsert(stats).ok());
        ASSERT_TRUE(db->insert(telemetry::OnlineSnapshot{kT0, 42, 180}).ok());
        ASSERT_TRUE(db->try_claim("cleanup", kT0).ok());
        ASSERT_TRUE(db->record_run(jobs::JobRunRecord{"cleanup", kT0, 5, std::nullopt}).ok());
    }
    auto db = open_ok(file);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(all_events(*db).size(), 2u);
    auto dup = db->append(std::vector<Event>{event("install-0001", "e1"), event("install-0001", "e3")});
    ASSERT_TRUE(dup.ok());
    EXPECT_EQ(*dup, (std::vector<bool>{false, true})) << "dedup survives a restart";
    EXPECT_GT(all_events(*db).front().id, last_id);

    auto day = std::chrono::floor<std::chrono::days>(kT0);
    auto stats = db->range(day, day);
    ASSERT_TRUE(stats.ok());
    ASSERT_EQ(stats->size(), 1u);
    EXPECT_EQ((*stats)[0].counts.by_platform.at("ios"), 7);
    auto buckets = db->buckets(1min, kT0, kT0 + 1min);
    ASSERT_TRUE(buckets.ok());
    ASSERT_EQ(buckets->size(), 1u);
    EXPECT_EQ((*buckets)[0].max, 42);
    auto claim = db->try_claim("cleanup", kT0);
    ASSERT_TRUE(claim.ok());
    EXPECT_FALSE(*claim);
    auto runs = db->last_runs();
    ASSERT_TRUE(runs.ok());
    EXPECT_EQ(runs->size(), 1u);
}

TEST(SqliteDatabase, IdsNeverRepeatAfterRetentionDeletesTheNewestRow) {
    test::TempDir dir;
    auto db = open_ok(dir.path() / "beacon.db");
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->append(std::vector<Event>{event("install-0001", "new", kT0)}).ok());
    ASSERT_TRUE(db->append(std::vector<Event>{event("install-0001", "old", kT0 - 24h)}).ok());
    const std::int64_t newest = all_events(*db).front().id;
    telemetry::EventStore& events = *db;
    ASSERT_TRUE(events.delete_events_before(kT0).ok());
    ASSERT_TRUE(db->append(std::vector<Event>{event("install-0001", "later", kT0)}).ok());
    EXPECT_GT(all_events(*db).front().id, newest);
}

TEST(SqliteDatabase, OpenInAMissingDirectoryIsUnavailable) {
    test::TempDir dir;
    auto db = SqliteDatabase::open(dir.path() / "missing" / "beacon.db");
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, ErrorCode::Unavailable);
    EXPECT_NE(db.error().message.find("missing"), std::string::npos) << db.error().message;
}

TEST(SqliteDatabase, OpenOfAFileThatIsNotADatabaseFails) {
    test::TempDir dir;
    const auto file = dir.path() / "beacon.db";
    {
        std::FILE* f = std::fopen(file.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        std::fputs("this is not an SQLite database, just some text long enough to have a header......", f);
        std::fclose(f);
    }
    auto db = SqliteDatabase::open(file);
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, ErrorCode::Unavailable);
}

// ---- locking and concurrency ----

TEST(SqliteDatabase, LockedDatabaseIsUnavailableAndStoresNothing) {
    test::TempDir dir;
    const auto file = dir.path() / "beacon.db";
    auto db = open_ok(file, SqliteOptions{.busy_timeout = 0ms, .read_connections = 2});
    ASSERT_NE(db, nullptr);
    RawDb other(file);
    other.exec("BEGIN IMMEDIATE");  // another process holds the write lock

    auto r = db->append(std::vector<Event>{event("install-0001", "e1"), event("install-0001", "e2")});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unavailable) << r.error().message;
    auto claim = db->try_claim("cleanup", kT0);
    ASSERT_FALSE(claim.ok());
    EXPECT_EQ(claim.error().code, ErrorCode::Unavailable);
    EXPECT_TRUE(db->ping().ok()) << "readers are not blocked by a writer";

    other.exec("ROLLBACK");
    EXPECT_TRUE(all_events(*db).empty());
    auto retry = db->append(std::vector<Event>{event("install-0001", "e1"), event("install-0001", "e2")});
    ASSERT_TRUE(retry.ok()) << retry.error().message;
    EXPECT_EQ(*retry, (std::vector<bool>{true, true}));
}

TEST(SqliteDatabase, ReadersSeeOnlyCommittedRowsAndDoNotWaitForWriters) {
    test::TempDir dir;
    const auto file = dir.path() / "beacon.db";
    auto db = open_ok(file, SqliteOptions{.busy_timeout = 0ms, .read_connections = 2});
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->append(std::vector<Event>{event("install-0001", "committed")}).ok());
    RawDb other(file);
    other.exec("BEGIN IMMEDIATE");
    other.exec(
        "INSERT INTO telemetry_events (install_id, event_name, event_time, received_at)"
        " VALUES ('install-0002', 'uncommitted', 1, 1)");
    std::vector<Event> seen = all_events(*db);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].event_id, std::optional<std::string>("committed"));
    other.exec("COMMIT");
    EXPECT_EQ(all_events(*db).size(), 2u);
}

TEST(SqliteDatabase, ManyConcurrentReadersShareASmallPool) {
    test::TempDir dir;
    auto db = open_ok(dir.path() / "beacon.db", SqliteOptions{.busy_timeout = 5000ms, .read_connections = 2});
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->append(std::vector<Event>{event("install-0001", "e1")}).ok());
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                EventQuery q;
                auto r = db->list(q);
                if (!r.ok() || r->events.size() != 1) {
                    failures.fetch_add(1);
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(failures.load(), 0);
}

TEST(SqliteDatabase, AFailedAppendAmongConcurrentOnesUndoesOnlyItself) {
    // Appends from many threads share one writer; the one that fails must
    // leave nothing behind while every other batch is stored.
    test::TempDir dir;
    auto db = open_ok(dir.path() / "beacon.db");
    ASSERT_NE(db, nullptr);
    db->fail_next_append_after_for_test(2);
    constexpr int kThreads = 6;
    constexpr int kBatches = 10;
    constexpr int kPerBatch = 5;
    std::atomic<int> failures{0};
    std::atomic<int> other_errors{0};
    std::vector<std::string> failed_prefix(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int b = 0; b < kBatches; ++b) {
                std::string prefix = std::to_string(t) + "-" + std::to_string(b) + "-";
                std::vector<Event> batch;
                for (int i = 0; i < kPerBatch; ++i) {
                    batch.push_back(event("install-0001", prefix + std::to_string(i)));
                }
                auto r = db->append(batch);
                if (r.ok()) {
                    continue;
                }
                if (r.error().code == ErrorCode::Unavailable) {
                    failures.fetch_add(1);
                    failed_prefix[t] = prefix;
                } else {
                    other_errors.fetch_add(1);
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    ASSERT_EQ(failures.load(), 1);
    EXPECT_EQ(other_errors.load(), 0);
    std::int64_t stored = 0;
    EventQuery q;
    q.limit = 500;
    auto page = db->list(q);
    ASSERT_TRUE(page.ok());
    for (const Event& e : page->events) {
        ++stored;
        for (const std::string& prefix : failed_prefix) {
            if (!prefix.empty()) {
                EXPECT_NE(e.event_id->rfind(prefix, 0), 0u)
                    << "an event of the failed batch was stored: " << *e.event_id;
            }
        }
    }
    EXPECT_EQ(stored, kThreads * kBatches * kPerBatch - kPerBatch);
}

// ---- retention ----

TEST(SqliteDatabase, EventRetentionDeletesLargeBacklogsCompletely) {
    test::TempDir dir;
    auto db = open_ok(dir.path() / "beacon.db");
    ASSERT_NE(db, nullptr);
    std::vector<Event> old;
    for (int i = 0; i < 12'345; ++i) {
        old.push_back(event("install-0001", std::nullopt, kT0 - 1h));
    }
    ASSERT_TRUE(db->append(old).ok());
    ASSERT_TRUE(db->append(std::vector<Event>{event("install-0001", "keep", kT0)}).ok());
    telemetry::EventStore& events = *db;
    auto deleted = events.delete_events_before(kT0);
    ASSERT_TRUE(deleted.ok()) << deleted.error().message;
    EXPECT_EQ(*deleted, 12'345);
    EXPECT_EQ(all_events(*db).size(), 1u);
}

TEST(SqliteDatabase, EventAndSnapshotRetentionStayApart) {
    test::TempDir dir;
    auto db = open_ok(dir.path() / "beacon.db");
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->append(std::vector<Event>{event("install-0001", "old", kT0 - 1h)}).ok());
    ASSERT_TRUE(db->insert(telemetry::OnlineSnapshot{kT0 - 1h, 1, 180}).ok());

    telemetry::SnapshotStore& snapshots = *db;
    auto s = snapshots.delete_snapshots_before(kT0);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(*s, 1);
    EXPECT_EQ(all_events(*db).size(), 1u) << "deleting snapshots left events alone";

    telemetry::EventStore& events = *db;
    auto e = events.delete_events_before(kT0);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(*e, 1);
}

TEST(SqliteDatabase, PingAnswersWhenOpen) {
    test::TempDir dir;
    auto db = open_ok(dir.path() / "beacon.db");
    ASSERT_NE(db, nullptr);
    EXPECT_TRUE(db->ping().ok());
}

// Issue 9 #18: a database that cannot write is not ready. The cap on pages
// makes SQLite fail as on a full disk (SQLITE_FULL).
TEST(SqliteDatabase, PingIsDownAfterAWriteFailedForLackOfSpaceAndUpAfterOneSucceeds) {
    test::TempDir dir;
    auto db = open_ok(dir.path() / "beacon.db");
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->append(std::vector<Event>{event("i-00000001", "a")}).ok());
    auto pages = RawDb(dir.path() / "beacon.db").scalar("PRAGMA page_count");
    ASSERT_TRUE(db->set_max_page_count_for_test(std::stoll(pages) + 1).ok());

    std::vector<Event> many;
    for (int i = 0; i < 2000; ++i) {
        Event e = event("i-00000002", "e-" + std::to_string(i));
        e.properties_json = "{\"pad\":\"" + std::string(500, 'x') + "\"}";
        many.push_back(std::move(e));
    }
    auto full = db->append(many);
    ASSERT_FALSE(full.ok());
    EXPECT_EQ(full.error().code, ErrorCode::Unavailable);
    auto ping = db->ping();
    ASSERT_FALSE(ping.ok()) << "the database answers reads but cannot store";
    EXPECT_EQ(ping.error().code, ErrorCode::Unavailable);
    EXPECT_NE(ping.error().message.find("no space left"), std::string::npos) << ping.error().message;
    EXPECT_NE(ping.error().message.find(dir.path().string()), std::string::npos) << ping.error().message;
    EXPECT_FALSE(db->ping().ok()) << "stays down";

    ASSERT_TRUE(db->set_max_page_count_for_test(0).ok());
    ASSERT_TRUE(db->append(many).ok());
    EXPECT_TRUE(db->ping().ok()) << "a successful write ends it";
}

}  // namespace
}  // namespace beacon::backends::sqlite
