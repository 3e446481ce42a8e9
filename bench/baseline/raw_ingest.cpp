// The floor under `POST /telemetry/events`: the same rows written straight
// into Beacon's own schema with nothing in between (no HTTP, no JSON, no
// validation, no idempotency keys), at the durability the contract asks of
// Beacon (SQLite WAL with synchronous=FULL; PostgreSQL with fsync on and
// synchronous_commit as configured). make bench reports Beacon's events/s as a
// ratio of these.
//
//   beacon_raw_ingest sqlite   DB_FILE  ROWS [BATCH]   # prepared INSERTs, BATCH rows per transaction
//   beacon_raw_ingest postgres URL      ROWS [BATCH]   # one COPY per BATCH rows, one transaction each
//
// The schema must exist (`beacon migrate`). Prints one JSON line:
//   {"backend":"sqlite","rows":N,"batch":B,"seconds":S,"rows_per_s":R}

#include <libpq-fe.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>

namespace {

// One event as make bench's events scenario sends it (bench/load/events.lua):
// ~300 bytes of JSON once properties are counted.
struct Row {
    std::string event_id, install_id, event_name, platform, region, session_id, properties;
    std::int64_t event_time_ms = 0;
};

class RowMaker {
public:
    explicit RowMaker(std::int64_t now_ms) : now_ms_(now_ms) {}

    Row next() {
        static constexpr std::string_view kNames[] = {
            "page_view", "action", "page_view", "action", "app_session_start"};
        static constexpr std::string_view kPlatforms[] = {"android", "ios"};
        static constexpr std::string_view kRegions[] = {"CN", "US", "DE", "BR", "IN"};
        Row r;
        const auto n = counter_++;
        const auto id = rng_() % 1'000'000;
        char buf[64];
        std::snprintf(buf,
                      sizeof buf,
                      "%016llx-%08llx",
                      static_cast<unsigned long long>(rng_()),
                      static_cast<unsigned long long>(n));
        r.event_id = buf;
        std::snprintf(buf, sizeof buf, "install-%07llu", static_cast<unsigned long long>(id));
        r.install_id = buf;
        r.event_name = kNames[n % 5];
        r.platform = kPlatforms[id % 2];
        r.region = kRegions[id % 5];
        std::snprintf(buf,
                      sizeof buf,
                      "s-%07llu-%llu",
                      static_cast<unsigned long long>(id),
                      static_cast<unsigned long long>(n / 50));
        r.session_id = buf;
        r.event_time_ms = now_ms_ - static_cast<std::int64_t>(n % 60'000);
        r.properties =
            R"({"page":"/catalog/shoes/running?sort=price","referrer":"/home","durationMs":)" +
            std::to_string(n % 9000) +
            R"(,"experiment":"checkout-v2","variant":"B","items":3,"cartValue":129.5,"network":"wifi","coldStart":false})";
        return r;
    }

private:
    std::int64_t now_ms_;
    std::uint64_t counter_ = 0;
    std::mt19937_64 rng_{std::random_device{}()};
};

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "beacon_raw_ingest: %s\n", what.c_str());
    std::exit(1);
}

double run_sqlite(const char* file, long rows, long batch) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        die(std::string("open ") + file + ": " + sqlite3_errmsg(db));
    }
    auto exec = [&](const char* sql) {
        if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
            die(std::string(sql) + ": " + sqlite3_errmsg(db));
        }
    };
    exec("PRAGMA journal_mode = WAL");
    exec("PRAGMA synchronous = FULL");
    sqlite3_stmt* ins = nullptr;
    const char* sql =
        "INSERT INTO telemetry_events (event_id, install_id, user_id, event_name, event_time, received_at, "
        "platform, app_version, os_version, device_model, region, session_id, properties) "
        "VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6, '2.1.0', '14', 'Pixel 8', ?7, ?8, ?9)";
    if (sqlite3_prepare_v2(db, sql, -1, &ins, nullptr) != SQLITE_OK) {
        die(std::string("prepare: ") + sqlite3_errmsg(db));
    }
    RowMaker maker(now_ms());
    auto t0 = std::chrono::steady_clock::now();
    for (long done = 0; done < rows;) {
        exec("BEGIN IMMEDIATE");
        for (long i = 0; i < batch && done < rows; ++i, ++done) {
            Row r = maker.next();
            sqlite3_bind_text(ins, 1, r.event_id.data(), static_cast<int>(r.event_id.size()), SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 2, r.install_id.data(), static_cast<int>(r.install_id.size()), SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 3, r.event_name.data(), static_cast<int>(r.event_name.size()), SQLITE_TRANSIENT);
            sqlite3_bind_int64(ins, 4, r.event_time_ms);
            sqlite3_bind_int64(ins, 5, r.event_time_ms);
            sqlite3_bind_text(ins, 6, r.platform.data(), static_cast<int>(r.platform.size()), SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 7, r.region.data(), static_cast<int>(r.region.size()), SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 8, r.session_id.data(), static_cast<int>(r.session_id.size()), SQLITE_TRANSIENT);
            sqlite3_bind_text(ins, 9, r.properties.data(), static_cast<int>(r.properties.size()), SQLITE_TRANSIENT);
            if (sqlite3_step(ins) != SQLITE_DONE) {
                die(std::string("insert: ") + sqlite3_errmsg(db));
            }
            sqlite3_reset(ins);
        }
        exec("COMMIT");
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sqlite3_finalize(ins);
    sqlite3_close(db);
    return s;
}

// COPY text format: backslash, tab, newline and carriage return escaped.
void copy_field(std::string& out, std::string_view v, bool last) {
    for (char ch : v) {
        switch (ch) {
            case '\\':
                out += "\\\\";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                out += ch;
        }
    }
    out += last ? '\n' : '\t';
}

std::string iso_ms(std::int64_t ms) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf,
                  sizeof buf,
                  "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                  tm.tm_year + 1900,
                  tm.tm_mon + 1,
                  tm.tm_mday,
                  tm.tm_hour,
                  tm.tm_min,
                  tm.tm_sec,
                  static_cast<int>(ms % 1000));
    return buf;
}

double run_postgres(const char* url, long rows, long batch) {
    PGconn* c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) {
        die(std::string("connect: ") + PQerrorMessage(c));
    }
    auto exec = [&](const char* sql, ExecStatusType want) {
        PGresult* r = PQexec(c, sql);
        if (PQresultStatus(r) != want) {
            die(std::string(sql) + ": " + PQresultErrorMessage(r));
        }
        PQclear(r);
    };
    // `beacon migrate` creates the partitioned table; Beacon's adapter creates
    // the monthly partitions at start, so do that here for last month and this one.
    const std::int64_t now = now_ms();
    for (std::int64_t back : {std::int64_t{0}, std::int64_t{1}}) {
        std::time_t t = static_cast<std::time_t>(now / 1000);
        std::tm tm{};
        gmtime_r(&t, &tm);
        int y = tm.tm_year + 1900, m = tm.tm_mon + 1 - static_cast<int>(back);
        if (m == 0) {
            m = 12, --y;
        }
        const int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
        char sql[256];
        std::snprintf(sql,
                      sizeof sql,
                      "CREATE TABLE IF NOT EXISTS telemetry_events_p%04d%02d PARTITION OF telemetry_events "
                      "FOR VALUES FROM ('%04d-%02d-01 00:00:00+00') TO ('%04d-%02d-01 00:00:00+00')",
                      y,
                      m,
                      y,
                      m,
                      ny,
                      nm);
        exec(sql, PGRES_COMMAND_OK);
    }
    RowMaker maker(now);
    std::string data;
    auto t0 = std::chrono::steady_clock::now();
    for (long done = 0; done < rows;) {
        data.clear();
        for (long i = 0; i < batch && done < rows; ++i, ++done) {
            Row r = maker.next();
            const std::string t = iso_ms(r.event_time_ms);
            copy_field(data, r.event_id, false);
            copy_field(data, r.install_id, false);
            copy_field(data, r.event_name, false);
            copy_field(data, t, false);
            copy_field(data, t, false);
            copy_field(data, r.platform, false);
            copy_field(data, "2.1.0", false);
            copy_field(data, "14", false);
            copy_field(data, "Pixel 8", false);
            copy_field(data, r.region, false);
            copy_field(data, r.session_id, false);
            copy_field(data, r.properties, true);
        }
        exec("BEGIN", PGRES_COMMAND_OK);
        exec(
            "COPY telemetry_events (event_id, install_id, event_name, event_time, received_at, platform, "
            "app_version, os_version, device_model, region, session_id, properties) FROM STDIN",
            PGRES_COPY_IN);
        if (PQputCopyData(c, data.data(), static_cast<int>(data.size())) != 1 || PQputCopyEnd(c, nullptr) != 1) {
            die(std::string("copy: ") + PQerrorMessage(c));
        }
        PGresult* r = PQgetResult(c);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            die(std::string("copy: ") + PQresultErrorMessage(r));
        }
        PQclear(r);
        while ((r = PQgetResult(c)) != nullptr) {
            PQclear(r);
        }
        exec("COMMIT", PGRES_COMMAND_OK);
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    PQfinish(c);
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s sqlite DB_FILE ROWS [BATCH] | postgres URL ROWS [BATCH]\n", argv[0]);
        return 2;
    }
    const std::string backend = argv[1];
    const long rows = std::strtol(argv[3], nullptr, 10);
    const long batch = argc > 4 ? std::strtol(argv[4], nullptr, 10) : 500;
    if (rows <= 0 || batch <= 0) {
        die("ROWS and BATCH must be positive");
    }
    double s = 0;
    if (backend == "sqlite") {
        s = run_sqlite(argv[2], rows, batch);
    } else if (backend == "postgres") {
        s = run_postgres(argv[2], rows, batch);
    } else {
        die("backend must be sqlite or postgres");
    }
    std::printf("{\"backend\":\"%s\",\"rows\":%ld,\"batch\":%ld,\"seconds\":%.3f,\"rows_per_s\":%.0f}\n",
                backend.c_str(),
                rows,
                batch,
                s,
                static_cast<double>(rows) / s);
    return 0;
}
