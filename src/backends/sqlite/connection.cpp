#include "backends/sqlite/connection.hpp"

#include <sqlite3.h>

#include <cerrno>
#include <optional>
#include <string>
#include <utility>

#include "backends/sqlite/space_watch.hpp"
#include "telemetry/actor_hash.hpp"

namespace beacon::backends::sqlite {
namespace {

// beacon_actor_hash(install_id, user_id): telemetry::actor_hash in SQL, for
// the migration that fills release_sessions from the event log.
void actor_hash_function(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
    const auto* install = sqlite3_value_text(argv[0]);
    if (install == nullptr) {
        sqlite3_result_null(ctx);
        return;
    }
    std::optional<std::string> user;
    if (const auto* u = sqlite3_value_text(argv[1]); u != nullptr) {
        user.emplace(reinterpret_cast<const char*>(u), static_cast<std::size_t>(sqlite3_value_bytes(argv[1])));
    }
    const std::string_view install_id(reinterpret_cast<const char*>(install),
                                      static_cast<std::size_t>(sqlite3_value_bytes(argv[0])));
    sqlite3_result_int64(ctx, telemetry::actor_hash(install_id, user));
}

}  // namespace

Error make_sqlite_error(sqlite3* db, int rc, std::string_view what) {
    ErrorCode code = ErrorCode::Internal;
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_NOMEM:
        case SQLITE_READONLY:
        case SQLITE_IOERR:
        case SQLITE_CORRUPT:
        case SQLITE_FULL:
        case SQLITE_CANTOPEN:
        case SQLITE_PROTOCOL:
        case SQLITE_NOTADB:
        case SQLITE_PERM:
        case SQLITE_NOLFS:
            code = ErrorCode::Unavailable;
            break;
        default:
            break;
    }
    std::string message = "sqlite: ";
    message.append(what).append(": ").append(sqlite3_errstr(rc));
    // The connection's message says more (names the table, the constraint...)
    // when it is about this failure.
    if (db != nullptr && (sqlite3_extended_errcode(db) & 0xff) == (rc & 0xff)) {
        message.append(" (").append(sqlite3_errmsg(db)).append(")");
    }
    Error e = make_error(code, std::move(message));
    e.backend = "database";  // read only when Unavailable
    return e;
}

Error Connection::error(int rc, std::string_view what) const {
    if (space_ != nullptr &&
        ((rc & 0xff) == SQLITE_FULL || ((rc & 0xff) == SQLITE_IOERR && sqlite3_system_errno(db_) == ENOSPC))) {
        space_->out_of_space();
    }
    Error e = make_sqlite_error(db_, rc, what);
    if (duplicates_conflict_ && (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)) {
        e.code = ErrorCode::Conflict;
    }
    return e;
}

Result<bool> Connection::next_row(Statement& stmt, std::string_view what) const {
    int rc = stmt.step();
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    return error(rc, what);
}

std::int64_t Connection::changes() const {
    return static_cast<std::int64_t>(sqlite3_changes64(db_));
}

Result<std::unique_ptr<Connection>> Connection::open(const std::filesystem::path& file,
                                                     Mode mode,
                                                     Millis busy_timeout) {
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    flags |= mode == Mode::ReadWrite ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) : SQLITE_OPEN_READONLY;
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(file.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        Error e = make_sqlite_error(db, rc, "opening " + file.string());
        // Whatever the reason, a database we cannot open is not there for us.
        e.code = ErrorCode::Unavailable;
        sqlite3_close_v2(db);
        return e;
    }
    std::unique_ptr<Connection> conn(new Connection(db));
    sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
    rc = sqlite3_create_function_v2(db,
                                    "beacon_actor_hash",
                                    2,
                                    SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                    nullptr,
                                    actor_hash_function,
                                    nullptr,
                                    nullptr,
                                    nullptr);
    if (rc != SQLITE_OK) {
        return conn->error(rc, "registering beacon_actor_hash");
    }
    return conn;
}

Connection::~Connection() {
    for (auto& [sql, stmt] : statements_) {
        sqlite3_finalize(stmt);
    }
    sqlite3_close_v2(db_);
}

Result<void> Connection::exec(std::string_view sql) {
    std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
    char* message = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    sqlite3_free(message);  // the same text is in sqlite3_errmsg
    if (rc != SQLITE_OK) {
        return error(rc, "executing statement");
    }
    return ok();
}

Result<sqlite3_stmt*> Connection::prepare(std::string_view sql) {
    if (auto it = statements_.find(sql); it != statements_.end()) {
        return it->second;
    }
    sqlite3_stmt* stmt = nullptr;
    int rc =
        sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        return error(rc, "preparing statement");
    }
    statements_.emplace(std::string(sql), stmt);
    return stmt;
}

Result<std::string> Connection::query_text(std::string_view sql) {
    auto prepared = prepare(sql);
    if (!prepared) {
        return std::move(prepared).error();
    }
    Statement stmt(*prepared);
    int rc = stmt.step();
    if (rc == SQLITE_DONE) {
        return std::string();
    }
    if (rc != SQLITE_ROW) {
        return error(rc, "querying");
    }
    return std::string(stmt.text(0));
}

Statement::~Statement() {
    sqlite3_reset(stmt_);
}

void Statement::bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
}

void Statement::bind(int index, std::string_view value) {
    // A null pointer would bind SQL NULL; an empty string must stay ''.
    const char* data = value.data() != nullptr ? value.data() : "";
    sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_STATIC, SQLITE_UTF8);
}

void Statement::bind(int index, const std::optional<std::string>& value) {
    if (value) {
        bind(index, std::string_view(*value));
    } else {
        bind_null(index);
    }
}

void Statement::bind_null(int index) {
    sqlite3_bind_null(stmt_, index);
}

int Statement::step() {
    return sqlite3_step(stmt_);
}

void Statement::reset() {
    sqlite3_reset(stmt_);
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

std::string_view Statement::text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (data == nullptr) {
        return {};
    }
    return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::optional<std::string> Statement::optional_text(int column) const {
    if (is_null(column)) {
        return std::nullopt;
    }
    return std::string(text(column));
}

}  // namespace beacon::backends::sqlite
