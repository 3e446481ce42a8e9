#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

struct pg_conn;
struct pg_result;

namespace beacon::backends::postgres {

// How connections are made and how long a call may take.
struct ConnectSettings {
    std::string url;  // postgres://... as configured; never put into messages
    // libpq connect_timeout (whole seconds, at least 2). A server that does
    // not answer the connection attempt fails it after this.
    Millis connect_timeout{3000};
    // Server-side statement_timeout of every connection. The client gives up
    // on a call after statement_timeout + kClientGrace: then it closes the
    // connection (the server may be gone) and answers Unavailable.
    Millis statement_timeout{5000};
};

// The client waits this much longer than the server's own statement_timeout,
// so that an overlong statement normally fails server-side first (and the
// connection stays usable).
inline constexpr Millis kClientGrace{2000};

// A PGresult, freed on destruction. Row and column numbers start at 0.
class PgResult {
public:
    PgResult() = default;
    explicit PgResult(pg_result* r) : r_(r) {}
    PgResult(PgResult&& other) noexcept : r_(std::exchange(other.r_, nullptr)) {}
    PgResult& operator=(PgResult&& other) noexcept;
    ~PgResult();
    PgResult(const PgResult&) = delete;
    PgResult& operator=(const PgResult&) = delete;

    pg_result* get() const { return r_; }
    int rows() const;
    bool is_null(int row, int column) const;
    std::string_view text(int row, int column) const;
    std::optional<std::string> optional_text(int row, int column) const;
    // Asserts that the value is an integer (a bug otherwise: the SQL decides the type).
    std::int64_t int64(int row, int column) const;
    // Rows changed by INSERT/UPDATE/DELETE (PQcmdTuples).
    std::int64_t affected() const;

private:
    pg_result* r_ = nullptr;
};

// Query parameters, all sent in text format. Instants are sent as ISO-8601
// UTC text with milliseconds, which timestamptz parses exactly.
class Params {
public:
    Params& add(std::string_view text);
    Params& add(const std::string& text) { return add(std::string_view(text)); }
    Params& add(const char* text) { return add(std::string_view(text)); }
    Params& add(const std::optional<std::string>& text);
    Params& add(std::int64_t n);
    Params& add(bool b);
    Params& add(TimePoint t);
    Params& add_null();

    int size() const { return static_cast<int>(values_.size()); }
    // Pointers for PQsendQueryParams; valid until the next add().
    std::vector<const char*> pointers() const;

private:
    std::vector<std::string> values_;
    std::vector<bool> null_;
};

// One libpq connection. Not thread-safe: ConnectionPool hands it to one
// caller at a time. Every call waits for the server at most
// statement_timeout + kClientGrace (or the given timeout); after that, or
// after any connection-level failure, the connection is `broken()` and the
// pool throws it away.
class PgConnection {
public:
    // Connects and configures the session (UTC, statement_timeout).
    // Unavailable with a short message (never the URL or a password).
    static Result<std::unique_ptr<PgConnection>> connect(const ConnectSettings& settings);

    ~PgConnection();
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    // One statement with parameters; the result of a statement that returns
    // rows or changes them. `what` says what failed in error messages.
    // `timeout` overrides the client-side wait (maintenance work sets a longer
    // SET LOCAL statement_timeout first).
    Result<PgResult> exec(std::string_view sql,
                          const Params& params,
                          std::string_view what,
                          std::optional<Millis> timeout = std::nullopt);
    Result<PgResult> exec(std::string_view sql, std::string_view what, std::optional<Millis> timeout = std::nullopt) {
        return exec(sql, Params{}, what, timeout);
    }
    // One or more statements without parameters (simple query protocol):
    // migrations, BEGIN/COMMIT.
    Result<void> exec_script(std::string_view sql, std::string_view what, std::optional<Millis> timeout = std::nullopt);
    // COPY ... FROM STDIN with `data` in COPY's text format; returns the rows copied.
    Result<std::int64_t> copy_in(std::string_view copy_sql, std::string_view data, std::string_view what);

    // False once the connection is known to be unusable (a connection-level
    // failure, a call that timed out). No I/O.
    bool usable() const;
    // usable(), after reading whatever the server sent while the connection
    // was idle (non-blocking): notices a server that closed the connection
    // (restart, pg_terminate_backend) before a call is made on it.
    bool check_alive();
    // True when the session is inside a transaction (a caller left it open:
    // the pool rolls back or drops such connections).
    bool in_transaction() const;
    // SQLSTATE of the last statement that failed ("" after a connection-level
    // failure); successes leave it alone, so it survives the ROLLBACK that
    // follows a failure. clear_error_sqlstate() resets it.
    const std::string& last_error_sqlstate() const { return last_sqlstate_; }
    void clear_error_sqlstate() { last_sqlstate_.clear(); }
    // True once a call gave up waiting for the server (its deadline passed):
    // the server may be hung, not merely gone.
    bool timed_out() const { return timed_out_; }
    // Marks the connection unusable without I/O, so that closing it never
    // waits for the server (idle connections to a server that hung).
    void abandon() { broken_ = true; }

private:
    PgConnection(pg_conn* conn, Millis call_timeout) : conn_(conn), call_timeout_(call_timeout) {}

    // Collects every result of the statement in flight; the first error wins.
    Result<PgResult> wait_result(std::string_view what, Millis timeout);
    // Waits until libpq has a whole result, or the deadline passes.
    Result<void> wait_readable(std::string_view what, std::chrono::steady_clock::time_point deadline);
    Error connection_error(std::string_view what);

    pg_conn* conn_;
    std::string last_sqlstate_;
    Millis call_timeout_;
    bool broken_ = false;
    bool timed_out_ = false;
};

struct PoolSettings {
    ConnectSettings connect;
    int max_connections = 8;
    // How long acquire() waits for a connection when all are in use.
    Millis acquire_timeout{5000};
    // After a call or a connection attempt timed out (the server accepts
    // connections but does not answer: hung, or the network dropped), calls
    // fail at once for this long instead of each waiting out its own timeout.
    // 0 turns it off.
    Millis hold_off{2000};
};

// A bounded pool of connections. acquire() reuses an idle connection after
// checking that the server has not closed it (a non-blocking read; a
// connection the server closed is dropped), else opens a new one while fewer
// than max_connections exist, else waits. A connection comes back through
// Lease's destructor and is kept only if it is usable and idle (outside any
// transaction); otherwise it is closed, and the next acquire() opens a fresh
// one. So after an outage the pool recovers by itself: calls fail with
// Unavailable until the server answers again.
//
// A server that hangs is worse than one that is gone: every call would wait
// its whole timeout, and callers would pile up behind one another. So when a
// call times out (or a connection attempt does), the idle connections are
// dropped too (they lead to the same server) and for `hold_off` acquire()
// fails at once with Unavailable; afterwards the next call tries again.
// Thread-safe.
class ConnectionPool {
public:
    explicit ConnectionPool(PoolSettings settings) : settings_(std::move(settings)) {}
    ~ConnectionPool();
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    class Lease {
    public:
        Lease(ConnectionPool* pool, std::unique_ptr<PgConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
        Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {}
        Lease& operator=(Lease&&) = delete;
        ~Lease();
        PgConnection& operator*() { return *conn_; }
        PgConnection* operator->() { return conn_.get(); }

    private:
        ConnectionPool* pool_;
        std::unique_ptr<PgConnection> conn_;
    };

    Result<Lease> acquire();
    const PoolSettings& settings() const { return settings_; }

private:
    void release(std::unique_ptr<PgConnection> conn);
    // Starts a hold-off and drops the idle connections. Takes the lock.
    void hold_off();

    const PoolSettings settings_;
    std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<std::unique_ptr<PgConnection>> idle_;
    int open_ = 0;  // idle + leased + being opened
    std::chrono::steady_clock::time_point quiet_until_{};
};

}  // namespace beacon::backends::postgres
