#include "backends/sqlite/sqlite_database.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "backends/sqlite/connection.hpp"
#include "backends/sqlite/migrations.hpp"
#include "backends/sqlite/queries.hpp"
#include "core/time_format.hpp"
#include "telemetry/actor_hash.hpp"
#include "telemetry/adoption_tally.hpp"
#include "telemetry/counts_json.hpp"
#include "telemetry/day_actor_tally.hpp"

namespace beacon::backends::sqlite {

using telemetry::DailyCounts;
using telemetry::DailyStats;
using telemetry::Event;
using telemetry::EventPage;
using telemetry::EventQuery;
using telemetry::OnlineSnapshot;
using telemetry::SnapshotBucket;

namespace {

// Rows removed per retention transaction.
constexpr std::int64_t kRetentionSlice = 5000;

Result<std::unique_ptr<Connection>> open_writer(const std::filesystem::path& file, const SqliteOptions& options) {
    auto conn = Connection::open(file, Connection::Mode::ReadWrite, options.busy_timeout);
    if (!conn) {
        return std::move(conn).error();
    }
    auto mode = (*conn)->query_text(sql::kPragmaWal);
    if (!mode) {
        return std::move(mode).error().with_context("enabling WAL on " + file.string());
    }
    if (*mode != "wal") {
        return unavailable("database",
                           "sqlite: " + file.string() + " cannot use WAL (journal mode is '" + *mode + "')");
    }
    if (auto r = (*conn)->exec(sql::kPragmaWriter); !r) {
        return std::move(r).error().with_context("configuring " + file.string());
    }
    return conn;
}

// Applies the embedded migrations that `c`'s database lacks, each in its own
// transaction together with its schema_migrations row; returns how many.
Result<int> apply_migrations(Connection& c) {
    const std::span<const Migration> migrations = embedded_migrations();
    if (auto r = c.exec(sql::kCreateSchemaMigrations); !r) {
        return std::move(r).error().with_context("creating schema_migrations");
    }
    std::vector<std::int64_t> applied;
    auto listed = query(
        c,
        sql::kSelectAppliedVersions,
        "reading schema_migrations",
        [](Statement&) {},
        [&](Statement& row) { applied.push_back(row.int64(0)); });
    if (!listed) {
        return std::move(listed).error();
    }
    if (!applied.empty() && applied.back() > migrations.back().version) {
        return unavailable("database",
                           "sqlite: the database has schema version " + std::to_string(applied.back()) +
                               ", newer than this binary knows (" + std::to_string(migrations.back().version) + ")");
    }
    int count = 0;
    for (const Migration& m : migrations) {
        if (std::binary_search(applied.begin(), applied.end(), m.version)) {
            continue;
        }
        std::string what = "applying migration " + std::to_string(m.version) + "_" + std::string(m.name);
        if (auto r = c.exec(sql::kBegin); !r) {
            return std::move(r).error().with_context(what);
        }
        auto step = [&]() -> Result<bool> {
            // Another process may have applied it since we looked.
            bool present = false;
            auto checked = query(
                c,
                sql::kSelectMigrationApplied,
                what,
                [&](Statement& s) { s.bind(1, std::int64_t{m.version}); },
                [&](Statement&) { present = true; });
            if (!checked) {
                return std::move(checked).error();
            }
            if (present) {
                return false;
            }
            if (auto r = c.exec(m.sql); !r) {
                return std::move(r).error();
            }
            auto recorded = execute(c, sql::kInsertMigration, what, [&](Statement& s) {
                s.bind(1, std::int64_t{m.version});
                s.bind(2, m.name);
            });
            if (!recorded) {
                return std::move(recorded).error();
            }
            return true;
        }();
        if (step) {
            if (auto r = c.exec(sql::kCommit); !r) {
                step = std::move(r).error();
            }
        }
        if (!step) {
            (void)c.exec(sql::kRollback);
            return std::move(step).error().with_context(what);
        }
        count += *step ? 1 : 0;
    }
    return count;
}

// All 64 shapes of the listing query, indexed by the mask of present filters
// (bit order as in kListFilter*), built once.
const std::string& list_sql(unsigned mask) {
    static const std::array<std::string, 64> all = [] {
        constexpr std::array<std::string_view, 6> filters = {sql::kListFilterEventName,
                                                             sql::kListFilterUserId,
                                                             sql::kListFilterInstallId,
                                                             sql::kListFilterFrom,
                                                             sql::kListFilterTo,
                                                             sql::kListFilterBeforeId};
        constexpr unsigned kTimeFilters = (1u << 3) | (1u << 4);  // from, to
        std::array<std::string, 64> out;
        for (unsigned m = 0; m < out.size(); ++m) {
            const bool ids_first = (m & kTimeFilters) != 0;
            std::string s(sql::kListEventsHead);
            if (ids_first) {
                s.append(sql::kListEventIdsHead);
            }
            const char* joiner = " WHERE ";
            for (unsigned bit = 0; bit < filters.size(); ++bit) {
                if ((m & (1u << bit)) != 0) {
                    s.append(joiner).append(filters[bit]);
                    joiner = " AND ";
                }
            }
            s.append(ids_first ? sql::kListEventIdsTail : sql::kListEventsTail);
            out[m] = std::move(s);
        }
        return out;
    }();
    return all[mask];
}

Event read_event(const Statement& row) {
    Event e;
    e.id = row.int64(0);
    e.event_id = row.optional_text(1);
    e.install_id = std::string(row.text(2));
    e.user_id = row.optional_text(3);
    e.event_name = std::string(row.text(4));
    e.event_time = from_epoch_ms(row.int64(5));
    e.received_at = from_epoch_ms(row.int64(6));
    if (!row.is_null(7)) {
        e.platform = telemetry::parse_platform(row.text(7));
    }
    e.app_version = row.optional_text(8);
    e.os_version = row.optional_text(9);
    e.device_model = row.optional_text(10);
    e.region = row.optional_text(11);
    e.session_id = row.optional_text(12);
    if (!row.is_null(13)) {
        e.properties_json = std::string(row.text(13));
    }
    if (!row.is_null(14)) {
        e.version_code = static_cast<telemetry::VersionCode>(row.int64(14));
    }
    return e;
}

Error injected_failure() {
    return unavailable("database", "sqlite: injected append failure (test)");
}

void bind_code(Statement& s, int index, std::optional<telemetry::VersionCode> code) {
    if (code) {
        s.bind(index, std::int64_t{*code});
    } else {
        s.bind_null(index);
    }
}

}  // namespace

// --- Construction -----------------------------------------------------------

// A read connection borrowed from the pool; returned on destruction.
class SqliteDatabase::ReaderLease {
public:
    ReaderLease(SqliteDatabase* db, std::unique_ptr<Connection> conn) : db_(db), conn_(std::move(conn)) {}
    ReaderLease(ReaderLease&& other) noexcept : db_(other.db_), conn_(std::move(other.conn_)) {}
    ReaderLease& operator=(ReaderLease&&) = delete;
    ~ReaderLease() {
        if (conn_) {
            db_->release_reader(std::move(conn_));
        }
    }
    Connection& conn() { return *conn_; }

private:
    SqliteDatabase* db_;
    std::unique_ptr<Connection> conn_;
};

namespace {

std::filesystem::path directory_of(const std::filesystem::path& file) {
    return file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
}

}  // namespace

SqliteDatabase::SqliteDatabase(std::filesystem::path file, SqliteOptions options, std::unique_ptr<Connection> writer)
    : file_(std::move(file)), options_(options), space_(directory_of(file_)), writer_(std::move(writer)) {
    writer_->watch_space(&space_);
}

SqliteDatabase::~SqliteDatabase() {
    idle_readers_.clear();
    (void)writer_->exec(sql::kPragmaOptimize);
    writer_->watch_space(nullptr);
}

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::open(const std::filesystem::path& file,
                                                             const SqliteOptions& options) {
    auto writer = open_writer(file, options);
    if (!writer) {
        return std::move(writer).error();
    }
    auto applied = apply_migrations(**writer);
    if (!applied) {
        return std::move(applied).error();
    }
    auto insert = (*writer)->prepare(sql::kInsertEvent);
    if (!insert) {
        return std::move(insert).error();
    }
    std::unique_ptr<SqliteDatabase> db(new SqliteDatabase(file, options, std::move(*writer)));
    db->insert_event_ = *insert;
    // Open one reader now, so a database that cannot be read fails the start.
    if (auto lease = db->acquire_reader(); !lease) {
        return std::move(lease).error();
    }
    return db;
}

Result<int> SqliteDatabase::migrate(const std::filesystem::path& file, const SqliteOptions& options) {
    auto writer = open_writer(file, options);
    if (!writer) {
        return std::move(writer).error();
    }
    return apply_migrations(**writer);
}

// --- Reader pool ------------------------------------------------------------

Result<SqliteDatabase::ReaderLease> SqliteDatabase::acquire_reader() {
    std::unique_lock lock(readers_mutex_);
    for (;;) {
        if (!idle_readers_.empty()) {
            std::unique_ptr<Connection> conn = std::move(idle_readers_.back());
            idle_readers_.pop_back();
            return ReaderLease(this, std::move(conn));
        }
        if (open_readers_ < std::max(1, options_.read_connections)) {
            ++open_readers_;
            lock.unlock();
            auto conn = Connection::open(file_, Connection::Mode::ReadOnly, options_.busy_timeout);
            if (!conn) {
                lock.lock();
                --open_readers_;
                reader_free_.notify_one();
                return std::move(conn).error();
            }
            return ReaderLease(this, std::move(*conn));
        }
        reader_free_.wait(lock);
    }
}

void SqliteDatabase::release_reader(std::unique_ptr<Connection> conn) {
    {
        std::lock_guard lock(readers_mutex_);
        idle_readers_.push_back(std::move(conn));
    }
    reader_free_.notify_one();
}

// --- EventStore -------------------------------------------------------------

Result<std::vector<bool>> SqliteDatabase::append(std::span<const Event> events) {
    if (events.empty()) {
        return std::vector<bool>{};
    }
    std::vector<bool> stored;
    stored.reserve(events.size());
    std::lock_guard lock(writer_mutex_);
    Connection& c = *writer_;
    auto run = [&](std::string_view statement) -> Result<void> {
        auto r = execute(c, statement, "appending events");
        if (!r) {
            return std::move(r).error();
        }
        return ok();
    };
    if (auto r = run(sql::kBegin); !r) {
        return std::move(r).error();
    }
    Result<void> r = insert_events(events, stored);
    if (r) {
        r = run(sql::kCommit);
    }
    if (!r) {
        // SQLite has already rolled back by itself after some errors (I/O,
        // full disk); otherwise undo what this call inserted.
        if (sqlite3_get_autocommit(c.handle()) == 0) {
            (void)run(sql::kRollback);
        }
        return std::move(r).error();
    }
    space_.wrote();
    return stored;
}

Result<void> SqliteDatabase::insert_events(std::span<const Event> events, std::vector<bool>& stored) {
    const std::int64_t fail_at = fail_append_after_.exchange(-1);
    sqlite3* db = writer_->handle();
    Statement stmt(insert_event_);
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (fail_at >= 0 && static_cast<std::size_t>(fail_at) == i) {
            return injected_failure();
        }
        const Event& e = events[i];
        stmt.bind(1, e.event_id);
        stmt.bind(2, e.install_id);
        stmt.bind(3, e.user_id);
        stmt.bind(4, e.event_name);
        stmt.bind(5, to_epoch_ms(e.event_time));
        stmt.bind(6, to_epoch_ms(e.received_at));
        if (e.platform && *e.platform != telemetry::Platform::Unknown) {
            stmt.bind(7, telemetry::to_string(*e.platform));
        } else {
            stmt.bind_null(7);
        }
        stmt.bind(8, e.app_version);
        stmt.bind(9, e.os_version);
        stmt.bind(10, e.device_model);
        stmt.bind(11, e.region);
        stmt.bind(12, e.session_id);
        if (e.properties_json.empty()) {
            stmt.bind_null(13);
        } else {
            stmt.bind(13, e.properties_json);
        }
        bind_code(stmt, 14, e.version_code);
        int rc = stmt.step();
        if (rc != SQLITE_DONE) {
            return writer_->error(rc, "inserting event");
        }
        const bool is_new = sqlite3_changes(db) > 0;
        stored.push_back(is_new);
        stmt.reset();
        if (is_new && e.event_name == telemetry::kSessionStart) {
            if (auto r = note_last_session(e); !r) {
                return r;
            }
        }
        if (is_new &&
            (e.event_name == telemetry::kSessionStart || (e.session_id && e.event_name == options_.crash_event))) {
            if (auto r = note_release_session(e); !r) {
                return r;
            }
        }
    }
    if (fail_at >= 0 && static_cast<std::size_t>(fail_at) >= events.size()) {
        return injected_failure();
    }
    return ok();
}

Result<void> SqliteDatabase::note_last_session(const Event& e) {
    const std::string actor = telemetry::actor_key(e.install_id, e.user_id);
    auto r = execute(*writer_, sql::kUpsertLastSession, "noting the latest session start", [&](Statement& s) {
        s.bind(1, telemetry::to_string(e.platform.value_or(telemetry::Platform::Unknown)));
        s.bind(2, actor);
        s.bind(3, to_epoch_ms(e.event_time));
        bind_code(s, 4, e.version_code);
    });
    if (!r) {
        return std::move(r).error();
    }
    return ok();
}

Result<void> SqliteDatabase::note_release_session(const Event& e) {
    Result<std::int64_t> r = 0;
    if (e.event_name == telemetry::kSessionStart) {
        r = execute(*writer_, sql::kUpsertReleaseSession, "noting the session", [&](Statement& s) {
            s.bind(1, e.install_id);
            s.bind(2, e.session_id);
            s.bind(3, telemetry::to_string(e.platform.value_or(telemetry::Platform::Unknown)));
            bind_code(s, 4, e.version_code);
            s.bind(5, to_epoch_ms(e.event_time));
            s.bind(6, telemetry::actor_hash(e.install_id, e.user_id));
        });
    } else {
        r = execute(*writer_, sql::kUpsertReleaseCrash, "noting the crash", [&](Statement& s) {
            s.bind(1, e.install_id);
            s.bind(2, e.session_id);
            s.bind(3, to_epoch_ms(e.event_time));
        });
    }
    if (!r) {
        return std::move(r).error();
    }
    return ok();
}

Result<EventPage> SqliteDatabase::list(const EventQuery& q) {
    assert(q.limit >= 1);
    unsigned mask = (q.event_name ? 1u : 0u) | (q.user_id ? 2u : 0u) | (q.install_id ? 4u : 0u) | (q.from ? 8u : 0u) |
                    (q.to ? 16u : 0u) | (q.before_id ? 32u : 0u);
    auto lease = acquire_reader();
    if (!lease) {
        return std::move(lease).error();
    }
    EventPage page;
    page.events.reserve(static_cast<std::size_t>(std::min(q.limit, 500)));
    auto r = query(
        lease->conn(),
        list_sql(mask),
        "listing events",
        [&](Statement& s) {
            int i = 1;
            if (q.event_name) {
                s.bind(i++, *q.event_name);
            }
            if (q.user_id) {
                s.bind(i++, *q.user_id);
            }
            if (q.install_id) {
                s.bind(i++, *q.install_id);
            }
            if (q.from) {
                s.bind(i++, to_epoch_ms(*q.from));
            }
            if (q.to) {
                s.bind(i++, to_epoch_ms(*q.to));
            }
            if (q.before_id) {
                s.bind(i++, *q.before_id);
            }
            // One row more than asked tells whether another page exists.
            s.bind(i, std::int64_t{q.limit} + 1);
        },
        [&](Statement& row) {
            if (page.events.size() == static_cast<std::size_t>(q.limit)) {
                page.has_more = true;
                return;
            }
            page.events.push_back(read_event(row));
        });
    if (!r) {
        return std::move(r).error();
    }
    return page;
}

Result<DailyCounts> SqliteDatabase::count_session_actors(TimePoint from, TimePoint to) {
    auto lease = acquire_reader();
    if (!lease) {
        return std::move(lease).error();
    }
    telemetry::DayActorTally tally;
    std::string actor;
    auto r = query(
        lease->conn(),
        sql::kSessionStartActors,
        "counting session actors",
        [&](Statement& s) {
            s.bind(1, to_epoch_ms(from));
            s.bind(2, to_epoch_ms(to));
        },
        [&](Statement& row) {
            const bool user = !row.is_null(0);
            actor.assign(user ? "u:" : "i:").append(row.text(user ? 0 : 1));
            tally.add(actor, row.is_null(2) ? "" : row.text(2), row.is_null(3) ? "" : row.text(3));
        });
    if (!r) {
        return std::move(r).error();
    }
    return tally.finish();
}

Result<telemetry::LeftBehindCounts> SqliteDatabase::count_left_behind(telemetry::Platform platform,
                                                                      TimePoint since,
                                                                      telemetry::VersionCode code) {
    auto lease = acquire_reader();
    if (!lease) {
        return std::move(lease).error();
    }
    auto counts = query_one<telemetry::LeftBehindCounts>(
        lease->conn(),
        sql::kCountLeftBehind,
        "counting actors left behind",
        [&](Statement& s) {
            s.bind(1, telemetry::to_string(platform));
            s.bind(2, to_epoch_ms(since));
            s.bind(3, std::int64_t{code});
        },
        [](Statement& row) {
            return telemetry::LeftBehindCounts{row.int64(0), row.int64(1), row.int64(2)};
        });
    if (!counts) {
        return std::move(counts).error();
    }
    return counts->value_or(telemetry::LeftBehindCounts{});
}

Result<std::vector<telemetry::AdoptionCounts>> SqliteDatabase::count_adoption(
    telemetry::Platform platform, telemetry::VersionCode code, std::span<const telemetry::TimeRange> buckets) {
    if (buckets.empty()) {
        return std::vector<telemetry::AdoptionCounts>{};
    }
    auto lease = acquire_reader();
    if (!lease) {
        return std::move(lease).error();
    }
    telemetry::AdoptionTally tally(buckets, code);
    auto r = query(
        lease->conn(),
        sql::kAdoptionSessionStarts,
        "counting adoption",
        [&](Statement& s) {
            s.bind(1, telemetry::to_string(platform));
            s.bind(2, to_epoch_ms(buckets.front().from));
            s.bind(3, to_epoch_ms(buckets.back().to));
        },
        [&](Statement& row) {
            std::optional<telemetry::VersionCode> at;
            if (!row.is_null(2)) {
                at = static_cast<telemetry::VersionCode>(row.int64(2));
            }
            tally.add(from_epoch_ms(row.int64(0)), row.text(1), at);
        });
    if (!r) {
        return std::move(r).error();
    }
    return tally.finish();
}

Result<telemetry::ReleaseHealthCounts> SqliteDatabase::count_release_health(telemetry::Platform platform,
                                                                            telemetry::VersionCode code,
                                                                            telemetry::TimeRange window) {
    auto lease = acquire_reader();
    if (!lease) {
        return std::move(lease).error();
    }
    const std::string platform_name(telemetry::to_string(platform));
    // The control: the codes below, highest first, until one has a session
    // start in the window (kHealthLowerCode).
    std::optional<telemetry::VersionCode> control_code;
    std::int64_t below = code;
    for (int step = 0; step < telemetry::kHealthControlSearchLimit; ++step) {
        auto lower = query_one<std::optional<std::int64_t>>(
            lease->conn(),
            sql::kHealthLowerCode,
            "finding the control version",
            [&](Statement& s) {
                s.bind(1, platform_name);
                s.bind(2, below);
            },
            [](Statement& row) -> std::optional<std::int64_t> {
                return row.is_null(0) ? std::nullopt : std::optional<std::int64_t>(row.int64(0));
            });
        if (!lower) {
            return std::move(lower).error();
        }
        const std::optional<std::int64_t> candidate = lower->value_or(std::nullopt);
        if (!candidate) {
            break;
        }
        auto has = query_one<bool>(
            lease->conn(),
            sql::kHealthCodeHasSessions,
            "finding the control version",
            [&](Statement& s) {
                s.bind(1, platform_name);
                s.bind(2, *candidate);
                s.bind(3, to_epoch_ms(window.from));
                s.bind(4, to_epoch_ms(window.to));
            },
            [](Statement& row) { return row.int64(0) != 0; });
        if (!has) {
            return std::move(has).error();
        }
        if (has->value_or(false)) {
            control_code = static_cast<telemetry::VersionCode>(*candidate);
            break;
        }
        below = *candidate;
    }
    // Per side: sessions, crashed sessions, and the actor keys of each.
    struct Side {
        std::int64_t sessions = 0;
        std::int64_t crashed = 0;
        std::vector<std::int64_t> actors;
        std::vector<std::int64_t> crashed_actors;
    };
    Side version;
    Side control;
    auto r = query(
        lease->conn(),
        sql::kHealthSessions,
        "counting crash-free sessions",
        [&](Statement& s) {
            s.bind(1, platform_name);
            s.bind(2, to_epoch_ms(window.from));
            s.bind(3, to_epoch_ms(window.to));
            s.bind(4, std::int64_t{code});
            s.bind(5, std::int64_t{control_code.value_or(code)});
        },
        [&](Statement& row) {
            Side& side = row.int64(0) == code ? version : control;
            const std::int64_t actor = row.int64(1);
            ++side.sessions;
            side.actors.push_back(actor);
            if (row.int64(2) != 0) {
                ++side.crashed;
                side.crashed_actors.push_back(actor);
            }
        });
    if (!r) {
        return std::move(r).error();
    }
    const auto distinct = [](std::vector<std::int64_t>& keys) {
        std::sort(keys.begin(), keys.end());
        return static_cast<std::int64_t>(std::unique(keys.begin(), keys.end()) - keys.begin());
    };
    const auto counts = [&](Side& side) {
        return telemetry::SessionHealthCounts{
            side.sessions, side.crashed, distinct(side.actors), distinct(side.crashed_actors)};
    };
    telemetry::ReleaseHealthCounts out;
    out.version = counts(version);
    if (control_code) {
        out.control = telemetry::VersionSessionHealth{*control_code, counts(control)};
    }
    return out;
}

Result<std::int64_t> SqliteDatabase::delete_events_before(TimePoint t) {
    std::int64_t total = 0;
    for (std::string_view statement :
         {sql::kDeleteEventsBefore, sql::kDeleteLastSessionsBefore, sql::kDeleteReleaseSessionsBefore}) {
        const bool events = statement == sql::kDeleteEventsBefore;
        for (;;) {
            std::lock_guard lock(writer_mutex_);
            auto n = execute(*writer_, statement, "deleting old events", [&](Statement& s) {
                s.bind(1, to_epoch_ms(t));
                s.bind(2, kRetentionSlice);
            });
            if (!n) {
                return std::move(n).error();
            }
            total += events ? *n : 0;
            if (*n < kRetentionSlice) {
                break;
            }
        }
    }
    return total;
}

// --- DailyStatsStore --------------------------------------------------------

Result<void> SqliteDatabase::upsert(const DailyStats& stats) {
    const std::string day = format_day(stats.day);
    const std::string by_platform = telemetry::counts_to_json(stats.counts.by_platform);
    const std::string by_region = telemetry::counts_to_json(stats.counts.by_region);
    std::lock_guard lock(writer_mutex_);
    auto r = execute(*writer_, sql::kUpsertDailyStats, "storing daily stats", [&](Statement& s) {
        s.bind(1, day);
        s.bind(2, stats.counts.total);
        s.bind(3, by_platform);
        s.bind(4, by_region);
        s.bind(5, std::int64_t{stats.exact ? 1 : 0});
        s.bind(6, to_epoch_ms(stats.computed_at));
    });
    if (!r) {
        return std::move(r).error();
    }
    return ok();
}

Result<std::vector<DailyStats>> SqliteDatabase::range(Day from, Day to) {
    const std::string from_text = format_day(from);
    const std::string to_text = format_day(to);
    auto lease = acquire_reader();
    if (!lease) {
        return std::move(lease).error();
    }
    std::vector<DailyStats> out;
    std::optional<std::string> corrupt;
    auto r = query(
        lease->conn(),
        sql::kSelectDailyStats,
        "reading daily stats",
        [&](Statement& s) {
            s.bind(1, from_text);
            s.bind(2, to_text);
        },
        [&](Statement& row) {
            DailyStats stats;
            std::optional<Day> day = parse_day(row.text(0));
            if (!day || !telemetry::counts_from_json(row.text(2), stats.counts.by_platform) ||
                !telemetry::counts_from_json(row.text(3), stats.counts.by_region)) {
                corrupt = std::string(row.text(0));
                return;
            }
            stats.day = *day;
            stats.counts.total = row.int64(1);
            stats.exact = row.int64(4) != 0;
            stats.computed_at = from_epoch_ms(row.int64(5));
            out.push_back(std::move(stats));
        });
    if (!r) {
        return std::move(r).error();
    }
    if (corrupt) {
        return make_error(ErrorCode::Internal, "sqlite: daily_active_stats row '" + *corrupt + "' is malformed");
    }
    return out;
}

// --- SnapshotStore ----------------------------------------------------------

Result<void> SqliteDatabase::insert(const OnlineSnapshot& snapshot) {
    std::lock_guard lock(writer_mutex_);
    auto r = execute(*writer_, sql::kInsertSnapshot, "storing online snapshot", [&](Statement& s) {
        s.bind(1, to_epoch_ms(snapshot.ts));
        s.bind(2, snapshot.online);
        s.bind(3, snapshot.window_seconds);
    });
    if (!r) {
        return std::move(r).error();
    }
    return ok();
}

Result<std::vector<SnapshotBucket>> SqliteDatabase::buckets(Millis interval, TimePoint from, TimePoint to) {
    assert(interval.count() > 0);
    auto lease = acquire_reader();
    if (!lease) {
        return std::move(lease).error();
    }
    std::vector<SnapshotBucket> out;
    auto r = query(
        lease->conn(),
        sql::kSnapshotBuckets,
        "aggregating online snapshots",
        [&](Statement& s) {
            s.bind(1, std::int64_t{interval.count()});
            s.bind(2, to_epoch_ms(from));
            s.bind(3, to_epoch_ms(to));
        },
        [&](Statement& row) {
            SnapshotBucket b;
            b.at = from_epoch_ms(row.int64(0));
            const std::int64_t sum = row.int64(1);
            b.min = row.int64(2);
            b.max = row.int64(3);
            b.samples = row.int64(4);
            // Half away from zero, as PostgreSQL's round(numeric, 2).
            b.avg = std::round(static_cast<double>(sum) * 100.0 / static_cast<double>(b.samples)) / 100.0;
            out.push_back(b);
        });
    if (!r) {
        return std::move(r).error();
    }
    return out;
}

Result<std::vector<std::optional<telemetry::OnlinePeak>>> SqliteDatabase::peaks(
    std::span<const telemetry::TimeRange> ranges) {
    auto lease = acquire_reader();
    if (!lease) {
        return std::move(lease).error();
    }
    // One indexed range per day (1,440 snapshots), in one read transaction.
    std::vector<std::optional<telemetry::OnlinePeak>> out;
    out.reserve(ranges.size());
    for (const telemetry::TimeRange& range : ranges) {
        auto peak = query_one<telemetry::OnlinePeak>(
            lease->conn(),
            sql::kSnapshotPeak,
            "reading online peaks",
            [&](Statement& s) {
                s.bind(1, to_epoch_ms(range.from));
                s.bind(2, to_epoch_ms(range.to));
            },
            [](Statement& row) {
                return telemetry::OnlinePeak{row.int64(0), from_epoch_ms(row.int64(1))};
            });
        if (!peak) {
            return std::move(peak).error();
        }
        out.push_back(*peak);
    }
    return out;
}

Result<std::vector<OnlineSnapshot>> SqliteDatabase::snapshots_between(TimePoint from, TimePoint to) {
    auto lease = acquire_reader();
    if (!lease) {
        return std::move(lease).error();
    }
    std::vector<OnlineSnapshot> out;
    auto r = query(
        lease->conn(),
        sql::kSnapshotsBetween,
        "reading online snapshots",
        [&](Statement& s) {
            s.bind(1, to_epoch_ms(from));
            s.bind(2, to_epoch_ms(to));
        },
        [&](Statement& row) {
            out.push_back({from_epoch_ms(row.int64(0)), row.int64(1), row.int64(2)});
        });
    if (!r) {
        return std::move(r).error();
    }
    return out;
}

Result<std::int64_t> SqliteDatabase::delete_snapshots_before(TimePoint t) {
    std::lock_guard lock(writer_mutex_);
    return execute(*writer_, sql::kDeleteSnapshotsBefore, "deleting old snapshots", [&](Statement& s) {
        s.bind(1, to_epoch_ms(t));
    });
}

// --- JobLedger --------------------------------------------------------------

Result<bool> SqliteDatabase::try_claim(std::string_view job, TimePoint tick) {
    std::lock_guard lock(writer_mutex_);
    auto n = execute(*writer_, sql::kClaimJob, "claiming job run", [&](Statement& s) {
        s.bind(1, job);
        s.bind(2, to_epoch_ms(tick));
    });
    if (!n) {
        return std::move(n).error();
    }
    return *n == 1;
}

Result<void> SqliteDatabase::record_run(const jobs::JobRunRecord& run) {
    std::lock_guard lock(writer_mutex_);
    auto r = execute(*writer_, sql::kUpsertJobRun, "recording job run", [&](Statement& s) {
        s.bind(1, run.job);
        s.bind(2, to_epoch_ms(run.last_run_at));
        s.bind(3, run.last_duration_ms);
        s.bind(4, run.last_error);
    });
    if (!r) {
        return std::move(r).error();
    }
    return ok();
}

Result<std::vector<jobs::JobRunRecord>> SqliteDatabase::last_runs() {
    auto lease = acquire_reader();
    if (!lease) {
        return std::move(lease).error();
    }
    std::vector<jobs::JobRunRecord> out;
    auto r = query(
        lease->conn(),
        sql::kSelectJobRuns,
        "reading job runs",
        [](Statement&) {},
        [&](Statement& row) {
            jobs::JobRunRecord rec;
            rec.job = std::string(row.text(0));
            rec.last_run_at = from_epoch_ms(row.int64(1));
            rec.last_duration_ms = row.int64(2);
            rec.last_error = row.optional_text(3);
            out.push_back(std::move(rec));
        });
    if (!r) {
        return std::move(r).error();
    }
    return out;
}

Result<void> SqliteDatabase::prune_claims_before(TimePoint t) {
    std::lock_guard lock(writer_mutex_);
    auto r =
        execute(*writer_, sql::kPruneClaims, "pruning job claims", [&](Statement& s) { s.bind(1, to_epoch_ms(t)); });
    if (!r) {
        return std::move(r).error();
    }
    return ok();
}

// --- HealthProbe ------------------------------------------------------------

Result<void> SqliteDatabase::ping() {
    if (auto space = space_.check(); !space) {
        return space;
    }
    auto lease = acquire_reader();
    if (!lease) {
        return std::move(lease).error();
    }
    return query(
        lease->conn(), sql::kPing, "ping", [](Statement&) {}, [](Statement&) {});
}

Result<void> SqliteDatabase::set_max_page_count_for_test(std::int64_t pages) {
    std::lock_guard lock(writer_mutex_);
    // max_page_count cannot go below the current size; 0 means "no cap" here.
    const std::int64_t cap = pages > 0 ? pages : 4294967294;
    auto set = writer_->query_text("PRAGMA max_page_count = " + std::to_string(cap));
    if (!set) {
        return std::move(set).error();
    }
    return ok();
}

Result<ConnectionPair> open_migrated_pair(const std::filesystem::path& file, const SqliteOptions& options) {
    if (auto migrated = SqliteDatabase::migrate(file, options); !migrated) {
        return std::move(migrated).error();
    }
    auto writer = Connection::open(file, Connection::Mode::ReadWrite, options.busy_timeout);
    if (!writer) {
        return std::move(writer).error();
    }
    if (auto r = (*writer)->exec(sql::kPragmaWriter); !r) {
        return std::move(r).error().with_context("configuring " + file.string());
    }
    auto reader = Connection::open(file, Connection::Mode::ReadOnly, options.busy_timeout);
    if (!reader) {
        return std::move(reader).error();
    }
    return ConnectionPair{std::move(*writer), std::move(*reader)};
}

}  // namespace beacon::backends::sqlite
