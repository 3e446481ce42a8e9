#include "backends/postgres/pg_database.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "backends/postgres/migrations.hpp"
#include "backends/postgres/queries.hpp"
#include "backends/postgres/transaction.hpp"
#include "core/time_format.hpp"
#include "telemetry/actor_hash.hpp"
#include "telemetry/counts_json.hpp"

namespace beacon::backends::postgres {

using telemetry::DailyCounts;
using telemetry::DailyStats;
using telemetry::Event;
using telemetry::EventPage;
using telemetry::EventQuery;
using telemetry::OnlineSnapshot;
using telemetry::SnapshotBucket;

namespace {

// Dedup keys removed per retention statement, and at most this many
// statements per run (with the maintenance timeout as a time bound).
constexpr std::int64_t kRetentionSlice = 5000;
constexpr int kRetentionMaxSlices = 2000;
// SQLSTATEs acted upon.
constexpr std::string_view kNoPartitionForRow = "23514";  // check_violation: "no partition of relation ..."
constexpr std::string_view kUndefinedTable = "42P01";

using Key = std::pair<std::string_view, std::string_view>;  // (install_id, event_id)
struct KeyHash {
    std::size_t operator()(const Key& k) const {
        std::size_t h = std::hash<std::string_view>{}(k.first);
        return h ^ (std::hash<std::string_view>{}(k.second) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
    }
};

// Raises this transaction's statement_timeout (and lock_timeout when asked)
// for maintenance work.
Result<void> set_local_timeouts(PgConnection& c, Millis timeout, bool lock_timeout, std::string_view what) {
    Params p;
    p.add(std::to_string(timeout.count()));
    std::string_view statement = lock_timeout ? "SELECT set_config('statement_timeout', $1, true),"
                                                " set_config('lock_timeout', $1, true)"
                                              : sql::kSetLocalStatementTimeout;
    auto r = c.exec(statement, p, what);
    if (!r) {
        return std::move(r).error();
    }
    return ok();
}

Result<void> advisory_lock(PgConnection& c, int key, std::string_view what, Millis timeout) {
    Params p;
    p.add(std::int64_t{key});
    auto r = c.exec(sql::kAdvisoryLock, p, what, timeout + kClientGrace);
    if (!r) {
        return std::move(r).error();
    }
    return ok();
}

// Applies the embedded migrations that the database lacks, each in its own
// transaction with its schema_migrations row, under the migration lock (so two
// replicas starting at once apply each migration once); returns how many.
Result<int> apply_migrations(PgConnection& c, Millis timeout) {
    const std::span<const Migration> migrations = embedded_migrations();
    std::vector<std::int64_t> applied;
    auto listed = in_transaction(c, sql::kBegin, "reading schema_migrations", [&]() -> Result<void> {
        constexpr std::string_view what = "reading schema_migrations";
        if (auto r = set_local_timeouts(c, timeout, true, what); !r) {
            return r;
        }
        if (auto r = advisory_lock(c, sql::kMigrationLock, what, timeout); !r) {
            return r;
        }
        if (auto r = c.exec_script(sql::kCreateSchemaMigrations, what); !r) {
            return r;
        }
        auto rows = c.exec(sql::kSelectAppliedVersions, what);
        if (!rows) {
            return std::move(rows).error();
        }
        for (int i = 0; i < rows->rows(); ++i) {
            applied.push_back(rows->int64(i, 0));
        }
        return ok();
    });
    if (!listed) {
        return std::move(listed).error();
    }
    if (!applied.empty() && applied.back() > migrations.back().version) {
        return unavailable("database",
                           "postgres: the database has schema version " + std::to_string(applied.back()) +
                               ", newer than this binary knows (" + std::to_string(migrations.back().version) + ")");
    }
    int count = 0;
    for (const Migration& m : migrations) {
        if (std::binary_search(applied.begin(), applied.end(), m.version)) {
            continue;
        }
        const std::string what = "applying migration " + std::to_string(m.version) + "_" + std::string(m.name);
        auto step = in_transaction(c, sql::kBegin, what, [&]() -> Result<bool> {
            if (auto r = set_local_timeouts(c, timeout, true, what); !r) {
                return std::move(r).error();
            }
            if (auto r = advisory_lock(c, sql::kMigrationLock, what, timeout); !r) {
                return std::move(r).error();
            }
            // Another replica may have applied it since we looked.
            Params version;
            version.add(std::int64_t{m.version});
            auto present = c.exec(sql::kSelectMigrationApplied, version, what);
            if (!present) {
                return std::move(present).error();
            }
            if (present->rows() > 0) {
                return false;
            }
            if (auto r = c.exec_script(m.sql, what, timeout + kClientGrace); !r) {
                return std::move(r).error();
            }
            Params row;
            row.add(std::int64_t{m.version}).add(m.name);
            if (auto r = c.exec(sql::kInsertMigration, row, what); !r) {
                return std::move(r).error();
            }
            return true;
        });
        if (!step) {
            return std::move(step).error();
        }
        count += *step ? 1 : 0;
    }
    return count;
}

// Text array literal for a $n::type[] parameter: {"a","b"}.
class ArrayLiteral {
public:
    void add(std::string_view v) {
        separate();
        out_ += '"';
        for (char ch : v) {
            if (ch == '"' || ch == '\\') {
                out_ += '\\';
            }
            out_ += ch;
        }
        out_ += '"';
    }
    void add_null() {
        separate();
        out_ += "NULL";
    }
    std::string finish() {
        out_ += '}';
        return std::move(out_);
    }

private:
    void separate() {
        if (count_++ > 0) {
            out_ += ',';
        }
    }
    std::string out_ = "{";
    std::size_t count_ = 0;
};

// One field of a row in COPY's text format; `last` ends the row.
void copy_field(std::string& out, const std::optional<std::string_view>& v, bool last = false) {
    if (!v) {
        out += "\\N";
    } else {
        for (char ch : *v) {
            switch (ch) {
                case '\\':
                    out += "\\\\";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                default:
                    out += ch;
                    break;
            }
        }
    }
    out += last ? '\n' : '\t';
}

std::optional<std::string_view> view(const std::optional<std::string>& s) {
    return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

// Events store no "unknown" platform: it is what an absent one counts under.
std::optional<std::string_view> platform_text(const Event& e) {
    if (e.platform && *e.platform != telemetry::Platform::Unknown) {
        return telemetry::to_string(*e.platform);
    }
    return std::nullopt;
}

std::optional<std::string_view> properties_text(const Event& e) {
    return e.properties_json.empty() ? std::nullopt : std::optional<std::string_view>(e.properties_json);
}

void append_copy_row(std::string& out, const Event& e) {
    copy_field(out, view(e.event_id));
    copy_field(out, std::string_view(e.install_id));
    copy_field(out, view(e.user_id));
    copy_field(out, std::string_view(e.event_name));
    copy_field(out, std::string_view(format_iso8601(e.event_time)));
    copy_field(out, std::string_view(format_iso8601(e.received_at)));
    copy_field(out, platform_text(e));
    copy_field(out, view(e.app_version));
    copy_field(out, view(e.os_version));
    copy_field(out, view(e.device_model));
    copy_field(out, view(e.region));
    copy_field(out, view(e.session_id));
    copy_field(out, properties_text(e));
    const std::string code = e.version_code ? std::to_string(*e.version_code) : std::string();
    copy_field(out, e.version_code ? std::optional<std::string_view>(code) : std::nullopt, true);
}

// The actor_last_sessions rows of the stored app_session_starts: per
// (platform, actor) the latest, a later one in the batch winning a tie, as
// the four arrays of kUpsertLastSessions. Empty when there is none.
std::optional<Params> last_sessions(std::span<const Event> events, const std::vector<bool>& stored) {
    std::map<std::pair<std::string_view, std::string>, const Event*> latest;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const Event& e = events[i];
        if (!stored[i] || e.event_name != telemetry::kSessionStart) {
            continue;
        }
        const std::string_view platform = telemetry::to_string(e.platform.value_or(telemetry::Platform::Unknown));
        auto [it, fresh] = latest.try_emplace({platform, telemetry::actor_key(e.install_id, e.user_id)}, &e);
        if (!fresh && e.event_time >= it->second->event_time) {
            it->second = &e;
        }
    }
    if (latest.empty()) {
        return std::nullopt;
    }
    ArrayLiteral platforms;
    ArrayLiteral actors;
    ArrayLiteral times;
    ArrayLiteral codes;
    for (const auto& [key, e] : latest) {
        platforms.add(key.first);
        actors.add(key.second);
        times.add(std::string_view(format_iso8601(e->event_time)));
        if (e->version_code) {
            codes.add(std::string_view(std::to_string(*e->version_code)));
        } else {
            codes.add_null();
        }
    }
    Params p;
    p.add(platforms.finish()).add(actors.finish()).add(times.finish()).add(codes.finish());
    return p;
}

// The release_sessions rows of the stored events (kUpsertReleaseSessions and
// kUpsertReleaseCrashes): the first app_session_start of each session (every
// one without a sessionId) and the first `crash_event` with a sessionId of
// each session. Empty when there is none.
struct ReleaseSessionRows {
    std::optional<Params> starts;
    std::optional<Params> crashes;
};
ReleaseSessionRows release_sessions(std::span<const Event> events,
                                    const std::vector<bool>& stored,
                                    std::string_view crash_event) {
    std::map<std::pair<std::string_view, std::string_view>, const Event*> starts;
    std::vector<const Event*> unkeyed;  // session starts without a sessionId
    std::map<std::pair<std::string_view, std::string_view>, const Event*> crashes;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const Event& e = events[i];
        if (!stored[i]) {
            continue;
        }
        if (e.event_name == telemetry::kSessionStart) {
            if (e.session_id) {
                starts.try_emplace({e.install_id, *e.session_id}, &e);
            } else {
                unkeyed.push_back(&e);
            }
        } else if (e.session_id && e.event_name == crash_event) {
            auto [it, fresh] = crashes.try_emplace({e.install_id, *e.session_id}, &e);
            if (!fresh && e.event_time < it->second->event_time) {
                it->second = &e;
            }
        }
    }
    ReleaseSessionRows out;
    if (!starts.empty() || !unkeyed.empty()) {
        ArrayLiteral installs;
        ArrayLiteral sessions;
        ArrayLiteral platforms;
        ArrayLiteral codes;
        ArrayLiteral times;
        ArrayLiteral actors;
        auto add = [&](const Event& e) {
            installs.add(e.install_id);
            if (e.session_id) {
                sessions.add(*e.session_id);
            } else {
                sessions.add_null();
            }
            platforms.add(telemetry::to_string(e.platform.value_or(telemetry::Platform::Unknown)));
            if (e.version_code) {
                codes.add(std::string_view(std::to_string(*e.version_code)));
            } else {
                codes.add_null();
            }
            times.add(std::string_view(format_iso8601(e.event_time)));
            actors.add(std::string_view(std::to_string(telemetry::actor_hash(e.install_id, e.user_id))));
        };
        for (const auto& [key, e] : starts) {
            add(*e);
        }
        for (const Event* e : unkeyed) {
            add(*e);
        }
        Params p;
        p.add(installs.finish())
            .add(sessions.finish())
            .add(platforms.finish())
            .add(codes.finish())
            .add(times.finish())
            .add(actors.finish());
        out.starts = std::move(p);
    }
    if (!crashes.empty()) {
        ArrayLiteral installs;
        ArrayLiteral sessions;
        ArrayLiteral times;
        for (const auto& [key, e] : crashes) {
            installs.add(key.first);
            sessions.add(key.second);
            times.add(std::string_view(format_iso8601(e->event_time)));
        }
        Params p;
        p.add(installs.finish()).add(sessions.finish()).add(times.finish());
        out.crashes = std::move(p);
    }
    return out;
}

// Two parallel timestamptz arrays of the starts and ends of `ranges`.
Params range_arrays(std::span<const telemetry::TimeRange> ranges) {
    ArrayLiteral starts;
    ArrayLiteral ends;
    for (const telemetry::TimeRange& r : ranges) {
        starts.add(std::string_view(format_iso8601(r.from)));
        ends.add(std::string_view(format_iso8601(r.to)));
    }
    Params p;
    p.add(starts.finish()).add(ends.finish());
    return p;
}

// All 64 shapes of the listing query, indexed by the mask of present filters
// (bit order as in kListFilter*), parameters numbered in that order, built once.
const std::string& list_sql(unsigned mask) {
    static const std::array<std::string, 64> all = [] {
        constexpr std::array<std::string_view, 6> filters = {sql::kListFilterEventName,
                                                             sql::kListFilterUserId,
                                                             sql::kListFilterInstallId,
                                                             sql::kListFilterFrom,
                                                             sql::kListFilterTo,
                                                             sql::kListFilterBeforeId};
        std::array<std::string, 64> out;
        for (unsigned m = 0; m < out.size(); ++m) {
            std::string s(sql::kListEventsHead);
            const char* joiner = " WHERE ";
            int n = 0;
            for (unsigned bit = 0; bit < filters.size(); ++bit) {
                if ((m & (1u << bit)) != 0) {
                    s.append(joiner).append(filters[bit]).append(std::to_string(++n));
                    joiner = " AND ";
                }
            }
            s.append(sql::kListEventsTail).append(std::to_string(++n));
            out[m] = std::move(s);
        }
        return out;
    }();
    return all[mask];
}

Event read_event(const PgResult& r, int row) {
    Event e;
    e.id = r.int64(row, 0);
    e.event_id = r.optional_text(row, 1);
    e.install_id = std::string(r.text(row, 2));
    e.user_id = r.optional_text(row, 3);
    e.event_name = std::string(r.text(row, 4));
    e.event_time = from_epoch_ms(r.int64(row, 5));
    e.received_at = from_epoch_ms(r.int64(row, 6));
    if (!r.is_null(row, 7)) {
        e.platform = telemetry::parse_platform(r.text(row, 7));
    }
    e.app_version = r.optional_text(row, 8);
    e.os_version = r.optional_text(row, 9);
    e.device_model = r.optional_text(row, 10);
    e.region = r.optional_text(row, 11);
    e.session_id = r.optional_text(row, 12);
    if (!r.is_null(row, 13)) {
        e.properties_json = std::string(r.text(row, 13));
    }
    if (!r.is_null(row, 14)) {
        e.version_code = static_cast<telemetry::VersionCode>(r.int64(row, 14));
    }
    return e;
}

Error injected_failure() {
    return unavailable("database", "postgres: injected append failure (test)");
}

std::set<partitions::Month> months_ahead(TimePoint now, int ahead) {
    std::set<partitions::Month> out;
    const partitions::Month current = partitions::month_of(now);
    for (int i = 0; i <= std::max(0, ahead); ++i) {
        out.insert(current + i);
    }
    return out;
}

}  // namespace

// --- Construction -----------------------------------------------------------

PgDatabase::PgDatabase(PgOptions options, std::unique_ptr<ConnectionPool> pool)
    : options_(options), pool_(std::move(pool)), run_claims_(pool_->settings().connect) {}

PoolSettings pool_settings(std::string url, const PgOptions& options) {
    PoolSettings s;
    s.connect.url = std::move(url);
    s.connect.connect_timeout = options.connect_timeout;
    s.connect.statement_timeout = options.statement_timeout;
    s.max_connections = options.pool_size;
    s.acquire_timeout = options.acquire_timeout;
    s.hold_off = options.hold_off;
    return s;
}

Result<std::unique_ptr<PgDatabase>> PgDatabase::open(std::string url, PgOptions options) {
    auto pool = std::make_unique<ConnectionPool>(pool_settings(std::move(url), options));
    std::unique_ptr<PgDatabase> db(new PgDatabase(options, std::move(pool)));
    auto lease = db->pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    PgConnection& c = **lease;
    if (auto applied = apply_migrations(c, options.maintenance_timeout); !applied) {
        return std::move(applied).error();
    }
    if (auto r = db->load_partitions(c); !r) {
        return std::move(r).error();
    }
    if (auto r = db->ensure_partitions(c, months_ahead(db->now(), options.months_ahead)); !r) {
        return std::move(r).error();
    }
    return db;
}

Result<int> PgDatabase::migrate(std::string url, PgOptions options) {
    PoolSettings settings = pool_settings(std::move(url), options);
    auto conn = PgConnection::connect(settings.connect);
    if (!conn) {
        return std::move(conn).error();
    }
    return apply_migrations(**conn, options.maintenance_timeout);
}

TimePoint PgDatabase::now() const {
    if (options_.clock != nullptr) {
        return options_.clock->now();
    }
    return SystemClock{}.now();
}

// --- Partitions -------------------------------------------------------------

Result<void> PgDatabase::load_partitions(PgConnection& c) {
    auto rows = c.exec(sql::kListPartitions, "listing event partitions");
    if (!rows) {
        return std::move(rows).error();
    }
    std::set<partitions::Month> found;
    for (int i = 0; i < rows->rows(); ++i) {
        if (auto m = partitions::parse_name(rows->text(i, 0))) {
            found.insert(*m);
        }
    }
    std::lock_guard lock(partitions_mutex_);
    partitions_ = std::move(found);
    return ok();
}

Result<void> PgDatabase::ensure_partitions(PgConnection& c, const std::set<partitions::Month>& months) {
    std::vector<partitions::Month> missing;
    {
        std::lock_guard lock(partitions_mutex_);
        for (partitions::Month m : months) {
            if (partitions_.count(m) == 0) {
                missing.push_back(m);
            }
        }
    }
    if (missing.empty()) {
        return ok();
    }
    // The lock serialises replicas creating the same partition (IF NOT EXISTS
    // alone can still collide on the catalog).
    constexpr std::string_view what = "creating event partitions";
    auto r = in_transaction(c, sql::kBegin, what, [&]() -> Result<void> {
        if (auto locked = advisory_lock(c, sql::kPartitionLock, what, options_.statement_timeout); !locked) {
            return locked;
        }
        for (partitions::Month m : missing) {
            if (auto created = c.exec_script(partitions::create_sql(m), what); !created) {
                return created;
            }
        }
        return ok();
    });
    if (!r) {
        return r;
    }
    std::lock_guard lock(partitions_mutex_);
    partitions_.insert(missing.begin(), missing.end());
    return ok();
}

std::set<partitions::Month> PgDatabase::known_partitions_for_test() {
    std::lock_guard lock(partitions_mutex_);
    return partitions_;
}

// --- EventStore -------------------------------------------------------------

Result<std::vector<bool>> PgDatabase::append(std::span<const Event> events) {
    if (events.empty()) {
        return std::vector<bool>{};
    }
    const std::int64_t fail_at = fail_append_after_.exchange(-1);
    const std::size_t count = fail_at >= 0 ? std::min(events.size(), static_cast<std::size_t>(fail_at)) : events.size();

    // Repeats inside the batch never reach the database: only the first
    // event of each (install_id, event_id) is a candidate.
    std::vector<std::size_t> candidates;
    candidates.reserve(count);
    std::unordered_set<Key, KeyHash> seen;
    std::set<partitions::Month> months;
    for (std::size_t i = 0; i < count; ++i) {
        const Event& e = events[i];
        if (!e.event_id || seen.insert(Key{e.install_id, *e.event_id}).second) {
            candidates.push_back(i);
            months.insert(partitions::month_of(e.event_time));
        }
    }

    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    PgConnection& c = **lease;
    if (auto r = ensure_partitions(c, months); !r) {
        return std::move(r).error();
    }
    std::vector<bool> stored(events.size(), false);
    c.clear_error_sqlstate();
    auto r = append_once(c, events, candidates, fail_at >= 0, stored);
    if (!r && c.usable() && c.last_error_sqlstate() == kNoPartitionForRow) {
        // A partition this instance knew of is gone (retention elsewhere):
        // look again, create what is missing, and retry once.
        if (auto loaded = load_partitions(c); !loaded) {
            return std::move(loaded).error();
        }
        if (auto ensured = ensure_partitions(c, months); !ensured) {
            return std::move(ensured).error();
        }
        std::fill(stored.begin(), stored.end(), false);
        r = append_once(c, events, candidates, fail_at >= 0, stored);
    }
    if (!r) {
        return std::move(r).error();
    }
    for (std::size_t i : candidates) {
        if (!events[i].event_id) {
            stored[i] = true;
        }
    }
    return stored;
}

Result<void> PgDatabase::append_once(PgConnection& c,
                                     std::span<const Event> events,
                                     const std::vector<std::size_t>& candidates,
                                     bool inject_failure,
                                     std::vector<bool>& stored) {
    constexpr std::string_view what = "appending events";
    // Marks the candidates whose key the database reported new.
    auto mark_new_keys = [&](const PgResult& keys) {
        std::unordered_map<Key, std::size_t, KeyHash> index;
        for (std::size_t i : candidates) {
            if (events[i].event_id) {
                index.emplace(Key{events[i].install_id, *events[i].event_id}, i);
            }
        }
        for (int row = 0; row < keys.rows(); ++row) {
            auto it = index.find(Key{keys.text(row, 0), keys.text(row, 1)});
            assert(it != index.end());
            stored[it->second] = true;
        }
    };

    return in_transaction(c, sql::kBegin, what, [&]() -> Result<void> {
        ArrayLiteral installs;
        ArrayLiteral ids;
        ArrayLiteral times;
        bool any_key = false;
        for (std::size_t i : candidates) {
            const Event& e = events[i];
            if (e.event_id) {
                installs.add(std::string_view(e.install_id));
                ids.add(std::string_view(*e.event_id));
                times.add(std::string_view(format_iso8601(e.event_time)));
                any_key = true;
            }
        }
        if (any_key) {
            Params p;
            p.add(installs.finish()).add(ids.finish()).add(times.finish());
            auto keys = c.exec(sql::kInsertEventKeys, p, what);
            if (!keys) {
                return std::move(keys).error();
            }
            mark_new_keys(*keys);
        }
        std::string data;
        data.reserve(candidates.size() * 256);
        for (std::size_t i : candidates) {
            if (!events[i].event_id || stored[i]) {
                append_copy_row(data, events[i]);
            }
        }
        if (!data.empty()) {
            if (auto copied = c.copy_in(sql::kCopyEvents, data, what); !copied) {
                return std::move(copied).error();
            }
        }
        // What stored[] will say once the events without an eventId (always
        // stored) are marked: append() does that after this transaction.
        std::vector<bool> stored_now = stored;
        for (std::size_t i : candidates) {
            stored_now[i] = stored_now[i] || !events[i].event_id;
        }
        if (auto sessions = last_sessions(events, stored_now)) {
            if (auto r = c.exec(sql::kUpsertLastSessions, *sessions, what); !r) {
                return std::move(r).error();
            }
        }
        const ReleaseSessionRows rows = release_sessions(events, stored_now, options_.crash_event);
        if (rows.starts) {
            if (auto r = c.exec(sql::kUpsertReleaseSessions, *rows.starts, what); !r) {
                return std::move(r).error();
            }
        }
        if (rows.crashes) {
            if (auto r = c.exec(sql::kUpsertReleaseCrashes, *rows.crashes, what); !r) {
                return std::move(r).error();
            }
        }
        if (inject_failure) {
            return injected_failure();
        }
        return ok();
    });
}

Result<EventPage> PgDatabase::list(const EventQuery& q) {
    assert(q.limit >= 1);
    const unsigned mask = (q.event_name ? 1u : 0u) | (q.user_id ? 2u : 0u) | (q.install_id ? 4u : 0u) |
                          (q.from ? 8u : 0u) | (q.to ? 16u : 0u) | (q.before_id ? 32u : 0u);
    Params p;
    if (q.event_name) {
        p.add(*q.event_name);
    }
    if (q.user_id) {
        p.add(*q.user_id);
    }
    if (q.install_id) {
        p.add(*q.install_id);
    }
    if (q.from) {
        p.add(*q.from);
    }
    if (q.to) {
        p.add(*q.to);
    }
    if (q.before_id) {
        p.add(*q.before_id);
    }
    // One row more than asked tells whether another page exists.
    p.add(std::int64_t{q.limit} + 1);

    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto rows = (*lease)->exec(list_sql(mask), p, "listing events");
    if (!rows) {
        return std::move(rows).error();
    }
    EventPage page;
    const int n = std::min(rows->rows(), q.limit);
    page.events.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        page.events.push_back(read_event(*rows, i));
    }
    page.has_more = rows->rows() > q.limit;
    return page;
}

Result<DailyCounts> PgDatabase::count_session_actors(TimePoint from, TimePoint to) {
    Params p;
    p.add(from).add(to);
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto rows = (*lease)->exec(sql::kCountSessionActors, p, "counting session actors");
    if (!rows) {
        return std::move(rows).error();
    }
    DailyCounts counts;
    for (int i = 0; i < rows->rows(); ++i) {
        const std::int64_t n = rows->int64(i, 3);
        switch (rows->int64(i, 0)) {
            case 1:  // grouped by platform
                counts.by_platform.emplace(std::string(rows->text(i, 1)), n);
                break;
            case 2:  // grouped by region
                counts.by_region.emplace(std::string(rows->text(i, 2)), n);
                break;
            default:  // the grand total
                counts.total = n;
                break;
        }
    }
    return counts;
}

Result<telemetry::LeftBehindCounts> PgDatabase::count_left_behind(telemetry::Platform platform,
                                                                  TimePoint since,
                                                                  telemetry::VersionCode code) {
    Params p;
    p.add(telemetry::to_string(platform)).add(since).add(std::int64_t{code});
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto rows = (*lease)->exec(sql::kCountLeftBehind, p, "counting actors left behind");
    if (!rows) {
        return std::move(rows).error();
    }
    return telemetry::LeftBehindCounts{rows->int64(0, 0), rows->int64(0, 1), rows->int64(0, 2)};
}

Result<std::vector<telemetry::AdoptionCounts>> PgDatabase::count_adoption(
    telemetry::Platform platform, telemetry::VersionCode code, std::span<const telemetry::TimeRange> buckets) {
    Params p = range_arrays(buckets);
    p.add(telemetry::to_string(platform)).add(std::int64_t{code});
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto rows = (*lease)->exec(sql::kCountAdoption, p, "counting adoption");
    if (!rows) {
        return std::move(rows).error();
    }
    std::vector<telemetry::AdoptionCounts> out;
    out.reserve(static_cast<std::size_t>(rows->rows()));
    for (int i = 0; i < rows->rows(); ++i) {
        out.push_back(
            telemetry::AdoptionCounts{from_epoch_ms(rows->int64(i, 0)), rows->int64(i, 1), rows->int64(i, 2)});
    }
    return out;
}

Result<telemetry::ReleaseHealthCounts> PgDatabase::count_release_health(telemetry::Platform platform,
                                                                        telemetry::VersionCode code,
                                                                        telemetry::TimeRange window) {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    PgConnection& c = **lease;
    const std::string platform_name(telemetry::to_string(platform));
    // The control: the codes below, highest first, until one has a session
    // start in the window (kHealthLowerCode).
    telemetry::ReleaseHealthCounts out;
    std::int64_t control_code = code;
    std::int64_t below = code;
    for (int step = 0; step < telemetry::kHealthControlSearchLimit; ++step) {
        Params lower_params;
        lower_params.add(platform_name).add(below);
        auto lower = c.exec(sql::kHealthLowerCode, lower_params, "finding the control version");
        if (!lower) {
            return std::move(lower).error();
        }
        if (lower->is_null(0, 0)) {
            break;
        }
        const std::int64_t candidate = lower->int64(0, 0);
        Params has_params;
        has_params.add(platform_name).add(candidate).add(window.from).add(window.to);
        auto has = c.exec(sql::kHealthCodeHasSessions, has_params, "finding the control version");
        if (!has) {
            return std::move(has).error();
        }
        if (has->text(0, 0) == "t") {
            control_code = candidate;
            out.control = telemetry::VersionSessionHealth{static_cast<telemetry::VersionCode>(candidate), {}};
            break;
        }
        below = candidate;
    }
    Params p;
    p.add(platform_name).add(window.from).add(window.to).add(std::int64_t{code}).add(control_code);
    auto rows = c.exec(sql::kHealthCounts, p, "counting crash-free sessions");
    if (!rows) {
        return std::move(rows).error();
    }
    for (int i = 0; i < rows->rows(); ++i) {
        const telemetry::SessionHealthCounts counts{
            rows->int64(i, 1), rows->int64(i, 2), rows->int64(i, 3), rows->int64(i, 4)};
        if (rows->int64(i, 0) == code) {
            out.version = counts;
        } else if (out.control) {
            out.control->counts = counts;
        }
    }
    return out;
}

Result<std::int64_t> PgDatabase::delete_events_before(TimePoint t) {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    PgConnection& c = **lease;
    if (auto r = load_partitions(c); !r) {
        return std::move(r).error();
    }
    // Month-granular (docs/decisions/0008): every month that ends at or
    // before `t` goes, as a whole partition; the month holding `t` stays
    // until it ends too. So no row is ever deleted one by one.
    const partitions::Month boundary = partitions::month_of(t);
    const TimePoint keys_before = partitions::month_start(boundary);
    std::vector<partitions::Month> expired;
    {
        std::lock_guard lock(partitions_mutex_);
        for (partitions::Month m : partitions_) {
            if (m < boundary) {
                expired.push_back(m);
            }
        }
    }
    // The dedup keys first: a key removed before its event's partition is
    // dropped can at worst let a retry in again, into a partition about to
    // go; a key left behind a dropped partition would refuse a retry of an
    // event that is stored nowhere. The keys are a plain table (they need a
    // unique index without event_time), so they go in slices; a run that
    // hits its bounds leaves the rest, and its partition drops, to the next
    // hourly run.
    Params p;
    p.add(keys_before).add(kRetentionSlice);
    const auto keys_deadline = std::chrono::steady_clock::now() + options_.maintenance_timeout;
    bool keys_done = false;
    for (int slice = 0; slice < kRetentionMaxSlices && std::chrono::steady_clock::now() < keys_deadline; ++slice) {
        auto deleted = c.exec(sql::kDeleteEventKeysBefore, p, "deleting the dedup keys of expired months");
        if (!deleted) {
            return std::move(deleted).error();
        }
        if (deleted->affected() < kRetentionSlice) {
            keys_done = true;
            break;
        }
    }
    // The latest session starts and the sessions of those months: no
    // partition depends on them, so a run that hits its bounds leaves the
    // rest to the next one.
    for (std::string_view statement : {sql::kDeleteLastSessionsBefore, sql::kDeleteReleaseSessionsBefore}) {
        for (int slice = 0;
             keys_done && slice < kRetentionMaxSlices && std::chrono::steady_clock::now() < keys_deadline;
             ++slice) {
            auto deleted = c.exec(statement, p, "deleting the sessions of expired months");
            if (!deleted) {
                return std::move(deleted).error();
            }
            if (deleted->affected() < kRetentionSlice) {
                break;
            }
        }
    }
    if (!keys_done) {
        return unavailable("database",
                           "deleting the dedup keys of expired months: more than this run's bound; "
                           "the next run continues");
    }
    const Millis long_wait = options_.maintenance_timeout + kClientGrace;
    std::int64_t total = 0;
    for (partitions::Month m : expired) {
        // lock_timeout stays short: DROP waits for the parent's lock, and
        // appends would queue behind it. A busy table fails this run, and
        // the next hourly run tries again.
        const std::string what = "dropping event partition " + partitions::name(m);
        c.clear_error_sqlstate();
        auto rows = in_transaction(c, sql::kBegin, what, [&]() -> Result<std::int64_t> {
            if (auto r = set_local_timeouts(c, options_.maintenance_timeout, false, what); !r) {
                return std::move(r).error();
            }
            auto counted = c.exec(partitions::count_sql(m), what, long_wait);
            if (!counted) {
                return std::move(counted).error();
            }
            if (auto r = c.exec_script(partitions::drop_sql(m), what, long_wait); !r) {
                return std::move(r).error();
            }
            return counted->int64(0, 0);
        });
        if (!rows && c.last_error_sqlstate() != kUndefinedTable) {  // gone already: another replica dropped it
            return std::move(rows).error();
        }
        total += rows ? *rows : 0;
        std::lock_guard lock(partitions_mutex_);
        partitions_.erase(m);
    }
    if (auto r = ensure_partitions(c, months_ahead(now(), options_.months_ahead)); !r) {
        return std::move(r).error();
    }
    return total;
}

// --- DailyStatsStore --------------------------------------------------------

Result<void> PgDatabase::upsert(const DailyStats& stats) {
    Params p;
    p.add(format_day(stats.day))
        .add(stats.counts.total)
        .add(telemetry::counts_to_json(stats.counts.by_platform))
        .add(telemetry::counts_to_json(stats.counts.by_region))
        .add(stats.exact)
        .add(stats.computed_at);
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    if (auto r = (*lease)->exec(sql::kUpsertDailyStats, p, "storing daily stats"); !r) {
        return std::move(r).error();
    }
    return ok();
}

Result<std::vector<DailyStats>> PgDatabase::range(Day from, Day to) {
    Params p;
    p.add(format_day(from)).add(format_day(to));
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto rows = (*lease)->exec(sql::kSelectDailyStats, p, "reading daily stats");
    if (!rows) {
        return std::move(rows).error();
    }
    std::vector<DailyStats> out;
    out.reserve(static_cast<std::size_t>(rows->rows()));
    for (int i = 0; i < rows->rows(); ++i) {
        DailyStats stats;
        std::optional<Day> day = parse_day(rows->text(i, 0));
        if (!day || !telemetry::counts_from_json(rows->text(i, 2), stats.counts.by_platform) ||
            !telemetry::counts_from_json(rows->text(i, 3), stats.counts.by_region)) {
            return make_error(ErrorCode::Internal,
                              "postgres: daily_active_stats row '" + std::string(rows->text(i, 0)) + "' is malformed");
        }
        stats.day = *day;
        stats.counts.total = rows->int64(i, 1);
        stats.exact = rows->text(i, 4) == "t";
        stats.computed_at = from_epoch_ms(rows->int64(i, 5));
        out.push_back(std::move(stats));
    }
    return out;
}

// --- SnapshotStore ----------------------------------------------------------

Result<void> PgDatabase::insert(const OnlineSnapshot& s) {
    Params p;
    p.add(s.ts).add(s.online).add(s.window_seconds);
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    if (auto r = (*lease)->exec(sql::kInsertSnapshot, p, "storing online snapshot"); !r) {
        return std::move(r).error();
    }
    return ok();
}

Result<std::vector<SnapshotBucket>> PgDatabase::buckets(Millis interval, TimePoint from, TimePoint to) {
    assert(interval.count() > 0);
    Params p;
    p.add(std::int64_t{interval.count()}).add(from).add(to);
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto rows = (*lease)->exec(sql::kSnapshotBuckets, p, "aggregating online snapshots");
    if (!rows) {
        return std::move(rows).error();
    }
    std::vector<SnapshotBucket> out;
    out.reserve(static_cast<std::size_t>(rows->rows()));
    for (int i = 0; i < rows->rows(); ++i) {
        SnapshotBucket b;
        b.at = from_epoch_ms(rows->int64(i, 0));
        const std::int64_t sum = rows->int64(i, 1);
        b.min = rows->int64(i, 2);
        b.max = rows->int64(i, 3);
        b.samples = rows->int64(i, 4);
        // Half away from zero, as SQLite's adapter does.
        b.avg = std::round(static_cast<double>(sum) * 100.0 / static_cast<double>(b.samples)) / 100.0;
        out.push_back(b);
    }
    return out;
}

Result<std::vector<std::optional<telemetry::OnlinePeak>>> PgDatabase::peaks(
    std::span<const telemetry::TimeRange> ranges) {
    Params p = range_arrays(ranges);
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto rows = (*lease)->exec(sql::kSnapshotPeaks, p, "reading online peaks");
    if (!rows) {
        return std::move(rows).error();
    }
    std::vector<std::optional<telemetry::OnlinePeak>> out(ranges.size());
    for (int i = 0; i < rows->rows(); ++i) {
        const std::int64_t index = rows->int64(i, 0) - 1;
        if (index >= 0 && static_cast<std::size_t>(index) < out.size()) {
            out[static_cast<std::size_t>(index)] =
                telemetry::OnlinePeak{rows->int64(i, 1), from_epoch_ms(rows->int64(i, 2))};
        }
    }
    return out;
}

Result<std::vector<OnlineSnapshot>> PgDatabase::snapshots_between(TimePoint from, TimePoint to) {
    Params p;
    p.add(from).add(to);
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto rows = (*lease)->exec(sql::kSnapshotsBetween, p, "reading online snapshots");
    if (!rows) {
        return std::move(rows).error();
    }
    std::vector<OnlineSnapshot> out;
    out.reserve(static_cast<std::size_t>(rows->rows()));
    for (int i = 0; i < rows->rows(); ++i) {
        out.push_back({from_epoch_ms(rows->int64(i, 0)), rows->int64(i, 1), rows->int64(i, 2)});
    }
    return out;
}

Result<std::int64_t> PgDatabase::delete_snapshots_before(TimePoint t) {
    Params p;
    p.add(t);
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto r = (*lease)->exec(sql::kDeleteSnapshotsBefore, p, "deleting old snapshots");
    if (!r) {
        return std::move(r).error();
    }
    return r->affected();
}

// --- JobLedger --------------------------------------------------------------

Result<bool> PgDatabase::try_claim(std::string_view job, TimePoint tick) {
    Params p;
    p.add(job).add(tick);
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto r = (*lease)->exec(sql::kClaimJob, p, "claiming job run");
    if (!r) {
        return std::move(r).error();
    }
    return r->affected() == 1;
}

Result<void> PgDatabase::record_run(const jobs::JobRunRecord& run) {
    Params p;
    p.add(run.job).add(run.last_run_at).add(run.last_duration_ms).add(run.last_error);
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    if (auto r = (*lease)->exec(sql::kUpsertJobRun, p, "recording job run"); !r) {
        return std::move(r).error();
    }
    return ok();
}

Result<std::vector<jobs::JobRunRecord>> PgDatabase::last_runs() {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto rows = (*lease)->exec(sql::kSelectJobRuns, "reading job runs");
    if (!rows) {
        return std::move(rows).error();
    }
    std::vector<jobs::JobRunRecord> out;
    out.reserve(static_cast<std::size_t>(rows->rows()));
    for (int i = 0; i < rows->rows(); ++i) {
        jobs::JobRunRecord rec;
        rec.job = std::string(rows->text(i, 0));
        rec.last_run_at = from_epoch_ms(rows->int64(i, 1));
        rec.last_duration_ms = rows->int64(i, 2);
        rec.last_error = rows->optional_text(i, 3);
        out.push_back(std::move(rec));
    }
    return out;
}

Result<void> PgDatabase::prune_claims_before(TimePoint t) {
    Params p;
    p.add(t);
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    if (auto r = (*lease)->exec(sql::kPruneClaims, p, "pruning job claims"); !r) {
        return std::move(r).error();
    }
    return ok();
}

// --- HealthProbe ------------------------------------------------------------

Result<void> PgDatabase::ping() {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    if (auto r = (*lease)->exec(sql::kPing, "ping"); !r) {
        return std::move(r).error();
    }
    return ok();
}

}  // namespace beacon::backends::postgres
