#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/clock.hpp"
#include "core/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace beacon::backends::sqlite {

class SpaceWatch;
class Statement;

// Maps an SQLite result code to a domain error: a busy, locked, full, corrupt
// or unreachable database is Unavailable (503, safe to retry); anything else
// (bad SQL, a violated constraint) is Internal. `what` says what failed.
Error make_sqlite_error(sqlite3* db, int rc, std::string_view what);

// One SQLite connection (multi-thread mode: the owner serialises its use) and
// a cache of its prepared statements, kept until the connection closes.
// Not thread-safe.
class Connection {
public:
    enum class Mode { ReadWrite, ReadOnly };

    // Opens `file` (creating it in ReadWrite mode) and sets busy_timeout.
    // Unavailable when the file cannot be opened.
    static Result<std::unique_ptr<Connection>> open(const std::filesystem::path& file, Mode mode, Millis busy_timeout);

    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    sqlite3* handle() const { return db_; }

    // Runs one or more statements that return no rows we need (DDL, PRAGMAs).
    Result<void> exec(std::string_view sql);
    // A prepared statement for `sql`, prepared on first use and then reused.
    // The caller resets it after use (see Statement).
    Result<sqlite3_stmt*> prepare(std::string_view sql);
    // The first column of the first row of `sql` as text (for PRAGMAs).
    Result<std::string> query_text(std::string_view sql);

    // The error for result code `rc`; one for lack of space (SQLITE_FULL,
    // or an I/O error with ENOSPC) is also reported to the watch, if any. A
    // violated UNIQUE or PRIMARY KEY constraint is Conflict on a connection
    // told report_duplicates_as_conflict(), Internal otherwise.
    Error error(int rc, std::string_view what) const;

    // From now on error() reports a violated UNIQUE or PRIMARY KEY constraint
    // as Conflict: for stores where a duplicate is the caller's mistake (a
    // second version with the same code), not a bug.
    void report_duplicates_as_conflict() { duplicates_conflict_ = true; }

    // Steps `stmt` (prepared on this connection): true with a row to read,
    // false when it is done, or error(rc, what).
    Result<bool> next_row(Statement& stmt, std::string_view what) const;

    // Rows changed by the last INSERT, UPDATE or DELETE (sqlite3_changes64).
    std::int64_t changes() const;

    // Reports this connection's out-of-space failures to `watch` (which
    // must outlive it); nullptr stops.
    void watch_space(SpaceWatch* watch) { space_ = watch; }

private:
    explicit Connection(sqlite3* db) : db_(db) {}

    sqlite3* db_;
    SpaceWatch* space_ = nullptr;
    bool duplicates_conflict_ = false;
    std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

// Borrows a cached prepared statement for one execution: binds, steps, reads
// columns, and resets the statement on destruction (which also ends the
// implicit read transaction, so readers never pin old WAL snapshots).
// Text bound here must outlive the execution (it is bound SQLITE_STATIC).
class Statement {
public:
    explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Parameters are numbered from 1.
    void bind(int index, std::int64_t value);
    void bind(int index, std::string_view value);
    void bind(int index, const std::string& value) { bind(index, std::string_view(value)); }
    void bind(int index, const std::optional<std::string>& value);
    void bind_null(int index);

    // sqlite3_step: SQLITE_ROW, SQLITE_DONE or an error code.
    int step();
    // Resets for another execution with new bindings (keeps the statement).
    void reset();

    // Columns are numbered from 0.
    bool is_null(int column) const;
    std::int64_t int64(int column) const;
    std::string_view text(int column) const;
    std::optional<std::string> optional_text(int column) const;

private:
    sqlite3_stmt* stmt_;
};

// Prepares `sql` (cached), lets `bind(Statement&)` bind its parameters, and
// calls `row(Statement&)` for each result row. Errors carry `what`.
template <typename Bind, typename Row>
Result<void> query(Connection& c, std::string_view sql, std::string_view what, Bind&& bind, Row&& row) {
    auto prepared = c.prepare(sql);
    if (!prepared) {
        return std::move(prepared).error().with_context(what);
    }
    Statement stmt(*prepared);
    bind(stmt);
    for (;;) {
        auto more = c.next_row(stmt, what);
        if (!more) {
            return std::move(more).error();
        }
        if (!*more) {
            return ok();
        }
        row(stmt);
    }
}

// query() for at most one row: what `read` made of it, or nullopt for none.
template <typename T, typename Bind, typename Read>
Result<std::optional<T>> query_one(
    Connection& c, std::string_view sql, std::string_view what, Bind&& bind, Read&& read) {
    std::optional<T> out;
    auto r = query(c, sql, what, std::forward<Bind>(bind), [&](Statement& row) { out = read(row); });
    if (!r) {
        return std::move(r).error();
    }
    return out;
}

// Like query() for statements that change rows; returns how many changed.
template <typename Bind>
Result<std::int64_t> execute(Connection& c, std::string_view sql, std::string_view what, Bind&& bind) {
    auto r = query(c, sql, what, std::forward<Bind>(bind), [](const Statement&) {});
    if (!r) {
        return std::move(r).error();
    }
    return c.changes();
}

inline Result<std::int64_t> execute(Connection& c, std::string_view sql, std::string_view what) {
    return execute(c, sql, what, [](Statement&) {});
}

}  // namespace beacon::backends::sqlite
