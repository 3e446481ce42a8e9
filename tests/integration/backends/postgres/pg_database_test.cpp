// What only the PostgreSQL adapter does, beyond the ports' contracts
// (tests/contract/postgres_contract.cpp): partitions, migrations, recovery,
// timeouts, run claims. They need a server: BEACON_TEST_PG_URL
// (tools/run-pg-tests.sh starts one); without it every test here is skipped.
// Each test gets a fresh schema (support/pg_test_db.hpp).

#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "backends/postgres/migrations.hpp"
#include "backends/postgres/partitions.hpp"
#include "backends/postgres/pg_database.hpp"
#include "core/clock.hpp"
#include "support/pg_test_db.hpp"
#include "telemetry/actor_hash.hpp"

namespace beacon {
namespace {

using namespace std::chrono_literals;
using backends::postgres::PgDatabase;
using backends::postgres::PgOptions;
using test::pg_admin_query;
using test::pg_test_url;
using test::PgFixture;
using test::url_param_separator;
namespace partitions = backends::postgres::partitions;

TimePoint at(int y, unsigned m, unsigned d, std::chrono::hours h = 0h) {
    return TimePoint{std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}} + h};
}

telemetry::Event event(std::string install_id, std::optional<std::string> event_id, TimePoint t) {
    telemetry::Event e;
    e.install_id = std::move(install_id);
    e.event_id = std::move(event_id);
    e.event_name = "page_view";
    e.event_time = t;
    e.received_at = t;
    return e;
}

std::vector<std::string> partition_tables(const PgFixture& f) {
    auto rows = pg_admin_query(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind = 'r' AND n.nspname = '" +
        f.schema + "' ORDER BY 1");
    return rows.value_or(std::vector<std::string>{});
}

TEST(PostgresPartitions, NamesAndMonths) {
    const partitions::Month nov = partitions::month_of(at(2026, 11, 25, 10h));
    EXPECT_EQ(partitions::name(nov), "telemetry_events_p202611");
    EXPECT_EQ(partitions::name(nov + 2), "telemetry_events_p202701");
    EXPECT_EQ(partitions::month_start(nov), at(2026, 11, 1));
    EXPECT_EQ(partitions::month_start(nov + 1), at(2026, 12, 1));
    EXPECT_EQ(partitions::month_of(at(2026, 12, 1) - 1ms), nov);
    EXPECT_EQ(partitions::parse_name("telemetry_events_p202611"), nov);
    EXPECT_EQ(partitions::parse_name("telemetry_events_p202613"), std::nullopt);
    EXPECT_EQ(partitions::parse_name("telemetry_events_old"), std::nullopt);
    EXPECT_EQ(partitions::create_sql(nov + 1),
              "CREATE TABLE IF NOT EXISTS telemetry_events_p202612 PARTITION OF telemetry_events FOR VALUES FROM "
              "('2026-12-01 00:00:00+00') TO ('2027-01-01 00:00:00+00')");
}

TEST(PostgresAdapter, OpenCreatesTheCurrentMonthAndTheNextTwo) {
    REQUIRE_PG_SERVER();
    ManualClock clock(at(2026, 12, 15));
    PgFixture f;
    PgOptions options;
    options.clock = &clock;
    ASSERT_TRUE(f.open(options));
    EXPECT_EQ(
        partition_tables(f),
        (std::vector<std::string>{"telemetry_events_p202612", "telemetry_events_p202701", "telemetry_events_p202702"}));
}

TEST(PostgresAdapter, AppendCreatesAMissingMonthOnDemand) {
    REQUIRE_PG_SERVER();
    ManualClock clock(at(2026, 11, 25));
    PgFixture f;
    PgOptions options;
    options.clock = &clock;
    ASSERT_TRUE(f.open(options));
    auto r = f.db->append(std::vector<telemetry::Event>{event("install-0001", "a", at(2026, 10, 31, 23h)),
                                                        event("install-0001", "b", at(2027, 6, 1))});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, (std::vector<bool>{true, true}));
    auto tables = partition_tables(f);
    EXPECT_NE(std::find(tables.begin(), tables.end(), "telemetry_events_p202610"), tables.end());
    EXPECT_NE(std::find(tables.begin(), tables.end(), "telemetry_events_p202706"), tables.end());
}

TEST(PostgresAdapter, AppendRecreatesAPartitionDroppedBehindItsBack) {
    REQUIRE_PG_SERVER();
    PgFixture f;
    ASSERT_TRUE(f.open());
    const TimePoint t = at(2025, 3, 10);
    ASSERT_TRUE(f.db->append(std::vector<telemetry::Event>{event("install-0001", "a", t)}).ok());
    // Another replica's retention drops it; this instance still believes in it.
    ASSERT_TRUE(pg_admin_query("DROP TABLE " + f.schema + ".telemetry_events_p202503").has_value());
    auto r = f.db->append(std::vector<telemetry::Event>{event("install-0001", "b", t)});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, (std::vector<bool>{true}));
}

std::int64_t row_count(const PgFixture& f, const std::string& table) {
    auto rows = pg_admin_query("SELECT count(*) FROM " + f.schema + "." + table);
    return rows && rows->size() == 1 ? std::stoll(rows->front()) : -1;
}

// Events in three months, the cutoff inside the third: the first two
// partitions are dropped (gone from pg_inherits/pg_class), the third is kept
// whole, rows before the cutoff included (month-granular retention,
// docs/decisions/0008), and the dedup keys follow the partitions.
TEST(PostgresAdapter, RetentionDropsWholeMonthsAndKeepsTheCutoffsMonth) {
    REQUIRE_PG_SERVER();
    ManualClock clock(at(2026, 11, 25));
    PgFixture f;
    PgOptions options;
    options.clock = &clock;
    ASSERT_TRUE(f.open(options));
    ASSERT_TRUE(f.db->append(std::vector<telemetry::Event>{event("install-0001", "aug", at(2026, 8, 3)),
                                                           event("install-0001", "sep-1", at(2026, 9, 1)),
                                                           event("install-0001", "sep-2", at(2026, 9, 30, 23h)),
                                                           event("install-0001", "oct-old", at(2026, 10, 10)),
                                                           event("install-0001", "oct-new", at(2026, 10, 20)),
                                                           event("install-0001", "nov", at(2026, 11, 2))})
                    .ok());
    ASSERT_EQ(partition_tables(f).front(), "telemetry_events_p202608");
    auto deleted = f.db->delete_events_before(at(2026, 10, 15));
    ASSERT_TRUE(deleted.ok()) << deleted.error().message;
    EXPECT_EQ(*deleted, 3) << "aug, sep-1, sep-2: the rows of the dropped partitions";
    EXPECT_EQ(partition_tables(f),
              (std::vector<std::string>{"telemetry_events_p202610",
                                        "telemetry_events_p202611",
                                        "telemetry_events_p202612",
                                        "telemetry_events_p202701"}));
    auto gone = pg_admin_query(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = '" +
        f.schema + "' AND c.relname IN ('telemetry_events_p202608', 'telemetry_events_p202609')");
    ASSERT_TRUE(gone.has_value());
    EXPECT_EQ(*gone, (std::vector<std::string>{"0"})) << "dropped, not just detached";
    EXPECT_EQ(row_count(f, "telemetry_events_p202610"), 2) << "the cutoff's month is kept whole";
    auto keys = pg_admin_query("SELECT event_id FROM " + f.schema + ".event_keys ORDER BY 1");
    ASSERT_TRUE(keys.has_value());
    EXPECT_EQ(*keys, (std::vector<std::string>{"nov", "oct-new", "oct-old"})) << "keys of dropped months are pruned";

    // A retried event of a dropped month is new again (its partition comes
    // back on demand); a kept one still deduplicates.
    auto again = f.db->append(std::vector<telemetry::Event>{event("install-0001", "sep-1", at(2026, 9, 1)),
                                                            event("install-0001", "oct-old", at(2026, 10, 10))});
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(*again, (std::vector<bool>{true, false}));

    // Once the cutoff leaves October behind, October goes whole, and nothing
    // is ever deleted row by row: November's rows stay untouched.
    auto next = f.db->delete_events_before(at(2026, 11, 1, 5h));
    ASSERT_TRUE(next.ok()) << next.error().message;
    EXPECT_EQ(*next, 3) << "sep-1 (stored again) and oct-old, oct-new";
    EXPECT_EQ(partition_tables(f).front(), "telemetry_events_p202611");
    EXPECT_EQ(row_count(f, "telemetry_events"), 1);
    keys = pg_admin_query("SELECT event_id FROM " + f.schema + ".event_keys ORDER BY 1");
    ASSERT_TRUE(keys.has_value());
    EXPECT_EQ(*keys, (std::vector<std::string>{"nov"}));

    // The clock moved on: retention also creates the months ahead.
    clock.set(at(2027, 1, 5));
    auto none = f.db->delete_events_before(at(2026, 1, 1));
    ASSERT_TRUE(none.ok()) << none.error().message;
    EXPECT_EQ(*none, 0);
    auto tables = partition_tables(f);
    EXPECT_NE(std::find(tables.begin(), tables.end(), "telemetry_events_p202703"), tables.end());
}

TEST(PostgresAdapter, ConcurrentOpensMigrateOnceAndMigrateIsIdempotent) {
    REQUIRE_PG_SERVER();
    PgFixture f;
    ASSERT_TRUE(f.create_schema());
    constexpr int kReplicas = 4;
    std::vector<std::unique_ptr<PgDatabase>> dbs(kReplicas);
    std::vector<std::string> errors(kReplicas);
    std::vector<std::thread> threads;
    for (int i = 0; i < kReplicas; ++i) {
        threads.emplace_back([&, i] {
            auto db = PgDatabase::open(f.url);
            if (db.ok()) {
                dbs[i] = std::move(db).value();
            } else {
                errors[i] = db.error().message;
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (int i = 0; i < kReplicas; ++i) {
        EXPECT_TRUE(dbs[i] != nullptr) << errors[i];
    }
    dbs.clear();
    auto versions =
        pg_admin_query("SELECT version || '_' || name FROM " + f.schema + ".schema_migrations ORDER BY version");
    ASSERT_TRUE(versions.has_value());
    EXPECT_EQ(*versions,
              (std::vector<std::string>{"1_init",
                                        "2_release_catalog",
                                        "3_versions_in_telemetry",
                                        "4_force_after_days",
                                        "5_webhook_deliveries",
                                        "6_rollout_plans",
                                        "7_release_sessions"}));
    auto again = PgDatabase::migrate(f.url);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(*again, 0);
}

// Migration 3 (versions in telemetry) keeps the events stored before it and
// seeds each actor's latest session start from them.
// The schema as a binary of the first `n` migrations left it, recorded
// (`in_schema` sets the fixture's search_path).
bool apply_first_migrations(const std::string& in_schema, std::size_t n) {
    const auto migrations = backends::postgres::embedded_migrations();
    if (!pg_admin_query(in_schema + "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
                                    " applied_at timestamptz NOT NULL DEFAULT now())")) {
        return false;
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (!pg_admin_query(in_schema + std::string(migrations[i].sql)) ||
            !pg_admin_query(in_schema + "INSERT INTO schema_migrations (version, name) VALUES (" +
                            std::to_string(migrations[i].version) + ", '" + std::string(migrations[i].name) + "')")) {
            return false;
        }
    }
    return true;
}

TEST(PostgresAdapter, VersionsInTelemetryMigrationKeepsExistingEvents) {
    REQUIRE_PG_SERVER();
    PgFixture f;
    ASSERT_TRUE(f.create_schema());
    const auto migrations = backends::postgres::embedded_migrations();
    ASSERT_GE(migrations.size(), 3u);
    ASSERT_EQ(migrations[2].name, "versions_in_telemetry");
    const std::string in_schema = "SET search_path TO " + f.schema + "; ";
    ASSERT_TRUE(apply_first_migrations(in_schema, 2));
    ASSERT_TRUE(pg_admin_query(in_schema + partitions::create_sql(partitions::month_of(at(2026, 11, 1)))));
    ASSERT_TRUE(pg_admin_query(
        in_schema +
        "INSERT INTO telemetry_events (install_id, user_id, event_name, event_time, received_at, platform) VALUES"
        " ('install-0001', NULL, 'app_session_start', '2026-11-02Z', '2026-11-02Z', 'android'),"
        " ('install-0001', NULL, 'app_session_start', '2026-11-03Z', '2026-11-03Z', 'android'),"
        " ('install-0002', 'user-1', 'app_session_start', '2026-11-02Z', '2026-11-02Z', NULL),"
        " ('install-0003', NULL, 'page_view', '2026-11-02Z', '2026-11-02Z', 'android')"));
    auto opened = PgDatabase::open(f.url);  // applies migration 3 to the schema as it is
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    f.db = std::move(opened).value();
    telemetry::EventQuery q;
    q.limit = 10;
    auto listed = f.db->list(q);
    ASSERT_TRUE(listed.ok()) << listed.error().message;
    ASSERT_EQ(listed->events.size(), 4u);
    EXPECT_EQ(listed->events[0].version_code, std::nullopt);
    auto seeded = pg_admin_query(
        "SELECT platform || ' ' || actor || ' ' || to_char(event_time AT TIME ZONE 'UTC',"
        " 'YYYY-MM-DD') || ' ' || coalesce(version_code::text, '-') FROM " +
        f.schema + ".actor_last_sessions ORDER BY actor");
    ASSERT_TRUE(seeded.has_value());
    EXPECT_EQ(*seeded,
              (std::vector<std::string>{"android i:install-0001 2026-11-03 -", "unknown u:user-1 2026-11-02 -"}));
    auto behind = f.db->count_left_behind(telemetry::Platform::Android, at(2026, 11, 1), 100);
    ASSERT_TRUE(behind.ok()) << behind.error().message;
    EXPECT_EQ(behind->actors, 1);
    EXPECT_EQ(behind->unknown, 1);
}

// Migration 7 (release sessions) fills release_sessions from the events
// stored before it: the first start of each session, with the actor key the
// append writes (PostgreSQL's md5 expression equals telemetry::actor_hash),
// and the crashes, also those of a session whose start is missing.
TEST(PostgresAdapter, ReleaseSessionsMigrationFillsThemFromTheEventLog) {
    REQUIRE_PG_SERVER();
    PgFixture f;
    ASSERT_TRUE(f.create_schema());
    const auto migrations = backends::postgres::embedded_migrations();
    ASSERT_GE(migrations.size(), 7u);
    ASSERT_EQ(migrations[6].name, "release_sessions");
    const std::string in_schema = "SET search_path TO " + f.schema + "; ";
    ASSERT_TRUE(apply_first_migrations(in_schema, 6));
    ASSERT_TRUE(pg_admin_query(in_schema + partitions::create_sql(partitions::month_of(at(2026, 11, 1)))));
    ASSERT_TRUE(pg_admin_query(
        in_schema +
        "INSERT INTO telemetry_events"
        " (install_id, user_id, event_name, event_time, received_at, platform, session_id, version_code) VALUES"
        " ('install-0001', NULL, 'app_session_start', '2026-11-02Z', '2026-11-02Z', 'android', 's-1', 210),"
        " ('install-0001', NULL, 'app_session_start', '2026-11-03Z', '2026-11-03Z', 'android', 's-1', 210),"
        " ('install-0001', NULL, 'app_crash', '2026-11-04Z', '2026-11-04Z', 'android', 's-1', 210),"
        " ('install-0002', 'user-1', 'app_session_start', '2026-11-02Z', '2026-11-02Z', 'android', 's-1', 210),"
        " ('install-0003', NULL, 'app_session_start', '2026-11-02Z', '2026-11-02Z', 'android', NULL, 210),"
        " ('install-0003', NULL, 'app_session_start', '2026-11-03Z', '2026-11-03Z', 'android', NULL, 210),"
        " ('install-0004', NULL, 'app_crash', '2026-11-02Z', '2026-11-02Z', 'android', 's-5', 210),"
        " ('install-0005', NULL, 'page_view', '2026-11-02Z', '2026-11-02Z', 'android', 's-1', 210)"));
    auto opened = PgDatabase::open(f.url);  // applies migration 7 to the schema as it is
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    f.db = std::move(opened).value();
    auto rows = pg_admin_query(
        "SELECT install_id || ' ' || coalesce(session_id, '-') || ' ' ||"
        " coalesce(to_char(started_at AT TIME ZONE 'UTC', 'MM-DD'), '-') || ' ' || coalesce(actor::text, '-') ||"
        " ' ' || coalesce(to_char(crashed_at AT TIME ZONE 'UTC', 'MM-DD'), '-') FROM " +
        f.schema + ".release_sessions ORDER BY install_id, started_at");
    ASSERT_TRUE(rows.has_value());
    const auto key = [](std::string_view actor) { return std::to_string(telemetry::actor_hash(actor)); };
    EXPECT_EQ(*rows,
              (std::vector<std::string>{"install-0001 s-1 11-02 " + key("i:install-0001") + " 11-04",
                                        "install-0002 s-1 11-02 " + key("u:user-1") + " -",
                                        "install-0003 - 11-02 " + key("i:install-0003") + " -",
                                        "install-0003 - 11-03 " + key("i:install-0003") + " -",
                                        "install-0004 s-5 - - 11-02"}));
    auto health = f.db->count_release_health(
        telemetry::Platform::Android, 210, telemetry::TimeRange{at(2026, 11, 1), at(2026, 11, 10)});
    ASSERT_TRUE(health.ok()) << health.error().message;
    EXPECT_EQ(health->version.sessions, 4);
    EXPECT_EQ(health->version.crashed_sessions, 1);
    EXPECT_EQ(health->version.users, 3);
    EXPECT_EQ(health->version.crashed_users, 1);
}

// The pool notices connections the server closed (a restart, a failover,
// pg_terminate_backend) and opens new ones: no call fails for it.
TEST(PostgresAdapter, RecoversWhenTheServerDropsItsConnections) {
    REQUIRE_PG_SERVER();
    PgFixture f;
    PgOptions options;
    options.pool_size = 3;
    ASSERT_TRUE(f.open(options));
    // Fill the pool with a few connections.
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
        threads.emplace_back([&] { EXPECT_TRUE(f.db->ping().ok()); });
    }
    for (auto& t : threads) {
        t.join();
    }
    const std::string mine = "FROM pg_stat_activity WHERE application_name = '" + f.schema + "'";
    ASSERT_TRUE(pg_admin_query("SELECT pg_terminate_backend(pid) " + mine).has_value());
    for (int i = 0; i < 50; ++i) {
        auto left = pg_admin_query("SELECT pid " + mine);
        if (!left || left->empty()) {
            break;
        }
        std::this_thread::sleep_for(100ms);
    }
    for (int i = 0; i < 5; ++i) {
        auto r = f.db->ping();
        EXPECT_TRUE(r.ok()) << r.error().message;
        auto a = f.db->append(std::vector<telemetry::Event>{event("install-0001", std::nullopt, at(2026, 11, 25))});
        EXPECT_TRUE(a.ok()) << a.error().message;
    }
}

std::uint16_t closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    ::close(fd);  // nothing listens there now
    return ntohs(addr.sin_port);
}

TEST(PostgresAdapter, NoServerIsUnavailableAtOnceAndTheMessageHoldsNoSecret) {
    const std::string url =
        "postgres://beacon:pw-s3cret-42@127.0.0.1:" + std::to_string(closed_port()) + "/beacon?password=pw-s3cret-43";
    const auto start = std::chrono::steady_clock::now();
    auto db = PgDatabase::open(url);
    ASSERT_FALSE(db.ok());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_EQ(db.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(db.error().message.find("s3cret"), std::string::npos) << db.error().message;
    auto migrated = PgDatabase::migrate(url);
    ASSERT_FALSE(migrated.ok());
    EXPECT_EQ(migrated.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(migrated.error().message.find("s3cret"), std::string::npos) << migrated.error().message;
}

TEST(PostgresAdapter, WrongPasswordIsUnavailableAndNotEchoed) {
    REQUIRE_PG_SERVER();
    PgFixture f;
    // The password is the last URL parameter, so it wins over the URL's own.
    auto db = PgDatabase::open(f.url + "&password=wrong-s3cret");
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(db.error().message.find("s3cret"), std::string::npos) << db.error().message;
}

// A statement stuck behind a lock fails server-side (lock_timeout) after
// statement_timeout; the connection stays usable.
TEST(PostgresAdapter, ABlockedCallFailsWithinTheStatementTimeout) {
    REQUIRE_PG_SERVER();
    PgFixture f;
    PgOptions options;
    options.statement_timeout = 1s;
    ASSERT_TRUE(f.open(options));
    PGconn* locker = PQconnectdb(pg_test_url());
    ASSERT_EQ(PQstatus(locker), CONNECTION_OK);
    PQclear(PQexec(locker, ("BEGIN; LOCK TABLE " + f.schema + ".online_snapshots IN ACCESS EXCLUSIVE MODE").c_str()));
    const auto start = std::chrono::steady_clock::now();
    auto r = f.db->insert(telemetry::OnlineSnapshot{at(2026, 11, 25), 5, 180});
    const auto took = std::chrono::steady_clock::now() - start;
    PQclear(PQexec(locker, "ROLLBACK"));
    PQfinish(locker);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unavailable) << r.error().message;
    EXPECT_LT(took, 3s);
    auto after = f.db->insert(telemetry::OnlineSnapshot{at(2026, 11, 25), 5, 180});
    EXPECT_TRUE(after.ok()) << after.error().message;
}

// A server that stops answering altogether (here: its backend process is
// frozen with SIGSTOP) cannot enforce its own statement_timeout: the client
// gives up after statement_timeout + 2 s and drops the connection, then
// holds calls off briefly (PoolSettings::hold_off).
TEST(PostgresAdapter, AFrozenServerFailsTheCallOnTheClientDeadline) {
    REQUIRE_PG_SERVER();
    PgFixture f;
    PgOptions options;
    options.statement_timeout = 1s;
    options.pool_size = 1;
    ASSERT_TRUE(f.open(options));
    auto pids = pg_admin_query("SELECT pid FROM pg_stat_activity WHERE application_name = '" + f.schema + "'");
    ASSERT_TRUE(pids.has_value());
    ASSERT_EQ(pids->size(), 1u);
    const pid_t backend = std::stoi(pids->front());
    if (::kill(backend, SIGSTOP) != 0) {
        GTEST_SKIP() << "cannot signal the server's backend (not root, nor the same user)";
    }
    const auto start = std::chrono::steady_clock::now();
    auto r = f.db->ping();
    const auto took = std::chrono::steady_clock::now() - start;
    ::kill(backend, SIGCONT);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unavailable) << r.error().message;
    EXPECT_GE(took, 2500ms);
    EXPECT_LT(took, 5s);
    // For the hold-off after a timeout, calls fail at once rather than each
    // waiting out a timeout of its own.
    const auto held_start = std::chrono::steady_clock::now();
    auto held = f.db->ping();
    EXPECT_FALSE(held.ok());
    EXPECT_LT(std::chrono::steady_clock::now() - held_start, 1s);
    std::this_thread::sleep_for(options.hold_off + 100ms);
    auto again = f.db->ping();  // on a new connection
    EXPECT_TRUE(again.ok()) << again.error().message;
}

// ---- Run claims across replicas ----

std::unique_ptr<jobs::RunClaim> claim_run(PgDatabase& db, std::string_view job) {
    auto r = db.try_claim_run(job);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : nullptr;
}

// Polls until `job`'s run claim is free for `db` (bounded); the claim, or null.
std::unique_ptr<jobs::RunClaim> claim_run_within(PgDatabase& db,
                                                 std::string_view job,
                                                 std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
        if (auto c = claim_run(db, job)) {
            return c;
        }
        if (std::chrono::steady_clock::now() >= end) {
            return nullptr;
        }
        std::this_thread::sleep_for(100ms);
    }
}

TEST(PostgresAdapter, RunClaimIsExclusiveAcrossReplicas) {
    REQUIRE_PG_SERVER();
    PgFixture f;
    ASSERT_TRUE(f.open());
    auto other = PgDatabase::open(f.url);  // a second replica on the same database
    ASSERT_TRUE(other.ok()) << other.error().message;
    auto held = claim_run(*f.db, "nightly-dau");
    ASSERT_NE(held, nullptr);
    EXPECT_EQ(claim_run(**other, "nightly-dau"), nullptr) << "the other replica sees it running";
    EXPECT_NE(claim_run(**other, "cleanup"), nullptr) << "other jobs are free";
    held.reset();
    auto taken = claim_run(**other, "nightly-dau");
    EXPECT_NE(taken, nullptr) << "released when the holder lets go";
    EXPECT_EQ(claim_run(*f.db, "nightly-dau"), nullptr);
}

TEST(PostgresAdapter, RunClaimsOfTwoSchemasAreIndependent) {
    REQUIRE_PG_SERVER();
    PgFixture f, g;
    ASSERT_TRUE(f.open());
    ASSERT_TRUE(g.open());
    auto in_f = claim_run(*f.db, "cleanup");
    ASSERT_NE(in_f, nullptr);
    EXPECT_NE(claim_run(*g.db, "cleanup"), nullptr) << "another deployment sharing the server";
}

// The server frees the claim of a session it loses (here: terminated, as
// when a replica's connection is cut).
TEST(PostgresAdapter, RunClaimOfALostSessionIsFreed) {
    REQUIRE_PG_SERVER();
    PgFixture f;
    ASSERT_TRUE(f.open());
    auto other = PgDatabase::open(f.url);
    ASSERT_TRUE(other.ok()) << other.error().message;
    auto held = claim_run(*f.db, "cleanup");
    ASSERT_NE(held, nullptr);
    ASSERT_EQ(claim_run(**other, "cleanup"), nullptr);
    auto killed = pg_admin_query(
        "SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = '" +
        f.schema + "'");
    ASSERT_TRUE(killed.has_value());
    ASSERT_EQ(killed->size(), 1u) << "one session holds the claim";
    EXPECT_NE(claim_run_within(**other, "cleanup", 5s), nullptr);
    held.reset();  // closing a connection the server dropped is harmless
}

// A replica process that dies while running a job (SIGKILL: no destructor
// runs) does not block the job: the kernel closes its socket, the server
// ends the session and frees the claim.
TEST(PostgresAdapter, RunClaimOfACrashedReplicaIsFreed) {
    REQUIRE_PG_SERVER();
    PgFixture f;
    ASSERT_TRUE(f.open());
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // The crashing replica: opens its own database, claims, reports, waits to be killed.
        ::close(ready[0]);
        auto db = PgDatabase::open(f.url);
        char status = '0';
        std::unique_ptr<jobs::RunClaim> claim;
        if (db.ok()) {
            auto r = (*db)->try_claim_run("nightly-dau");
            if (r.ok() && *r != nullptr) {
                claim = std::move(r).value();
                status = '1';
            }
        }
        (void)!::write(ready[1], &status, 1);
        for (int i = 0; i < 600; ++i) {  // at most a minute
            ::sleep(1);
        }
        ::_exit(0);
    }
    ::close(ready[1]);
    char status = 0;
    const bool got = ::read(ready[0], &status, 1) == 1;
    ::close(ready[0]);
    const bool held_elsewhere = got && status == '1' && claim_run(*f.db, "nightly-dau") == nullptr;
    ::kill(child, SIGKILL);
    int wstatus = 0;
    ::waitpid(child, &wstatus, 0);
    ASSERT_TRUE(got && status == '1') << "the child replica could not claim";
    EXPECT_TRUE(held_elsewhere) << "the child's claim is visible here";
    const auto start = std::chrono::steady_clock::now();
    auto taken = claim_run_within(*f.db, "nightly-dau", 10s);
    EXPECT_NE(taken, nullptr) << "a crashed replica's claim is freed";
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace beacon
