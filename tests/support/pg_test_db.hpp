#pragma once

// The PostgreSQL test peer for the PostgreSQL adapter's suites (tests/contract
// and tests/integration/backends/postgres): BEACON_TEST_PG_URL
// (tools/run-pg-tests.sh and tools/run-tests.sh start a server with
// tools/test-services/postgres.sh and set it), and a fresh schema per test,
// reached through the URL's search_path and dropped afterwards. Header-only:
// its includers link beacon_backend_postgres and libpq.

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "backends/postgres/pg_database.hpp"

namespace beacon::test {

// BEACON_TEST_PG_URL, or null when it is unset or empty.
inline const char* pg_test_url() {
    const char* url = std::getenv("BEACON_TEST_PG_URL");
    return url != nullptr && *url != '\0' ? url : nullptr;
}

// Runs `sql` on a connection of its own to pg_test_url(); returns the first
// column of each row, or nullopt (and fails the test) on error.
inline std::optional<std::vector<std::string>> pg_admin_query(const std::string& sql) {
    PGconn* conn = PQconnectdb(pg_test_url());
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);  // "drop cascades to ..."
    std::optional<std::vector<std::string>> out;
    if (PQstatus(conn) != CONNECTION_OK) {
        ADD_FAILURE() << "admin connection: " << PQerrorMessage(conn);
    } else {
        PGresult* r = PQexec(conn, sql.c_str());
        ExecStatusType s = PQresultStatus(r);
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
            ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
        } else {
            out.emplace();
            for (int i = 0; i < PQntuples(r); ++i) {
                out->emplace_back(PQgetvalue(r, i, 0));
            }
        }
        PQclear(r);
    }
    PQfinish(conn);
    return out;
}

inline std::string url_param_separator(const std::string& url) {
    return url.find('?') == std::string::npos ? "?" : "&";
}

// A schema of its own (<prefix>_<pid>_<n>), dropped on destruction after the
// database closes. Precondition: pg_test_url() is set.
struct PgFixture {
    std::string schema;
    std::string url;  // the server's URL with search_path (and application_name) = schema
    std::unique_ptr<backends::postgres::PgDatabase> db;

    explicit PgFixture(const std::string& prefix = "beacon_t") {
        static std::atomic<int> counter{0};
        schema = prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(counter.fetch_add(1));
        url = std::string(pg_test_url());
        url += url_param_separator(url) + "options=-csearch_path%3D" + schema + "&application_name=" + schema;
    }
    virtual ~PgFixture() {
        db.reset();
        pg_admin_query("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
    PgFixture(const PgFixture&) = delete;
    PgFixture& operator=(const PgFixture&) = delete;

    bool create_schema() { return pg_admin_query("CREATE SCHEMA " + schema).has_value(); }

    // Creates the schema and opens `db` on it.
    bool open(const backends::postgres::PgOptions& options = {}) {
        if (!create_schema()) {
            return false;
        }
        auto opened = backends::postgres::PgDatabase::open(url, options);
        if (!opened.ok()) {
            ADD_FAILURE() << "opening PostgreSQL: " << opened.error().message;
            return false;
        }
        db = std::move(opened).value();
        return true;
    }
};

}  // namespace beacon::test

#define REQUIRE_PG_SERVER()                                  \
    do {                                                     \
        if (::beacon::test::pg_test_url() == nullptr) {      \
            GTEST_SKIP() << "BEACON_TEST_PG_URL is not set"; \
        }                                                    \
    } while (0)
