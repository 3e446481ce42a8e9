#include "backends/postgres/connection.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <charconv>

#include "core/redact.hpp"
#include "core/time_format.hpp"

namespace beacon::backends::postgres {

namespace {

using SteadyClock = std::chrono::steady_clock;

// The first line of a libpq message, without the trailing newline. libpq's
// messages name host, port, user and database at most, never a password.
std::string first_line(const char* message) {
    std::string_view text = message != nullptr ? message : "";
    text = text.substr(0, text.find('\n'));
    while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    return std::string(text.empty() ? "no detail" : text);
}

// SQLSTATEs that mean "the database cannot do this now; retrying later can
// succeed": connection exceptions (08), transaction rollbacks such as
// serialization failures and deadlocks (40), insufficient resources (53),
// operator intervention: statement timeout, cancel, shutdown (57), system
// errors (58), lock_timeout (55P03) and a read-only server, as after a
// failover to a standby (25006). Anything else is a bug on our side.
bool transient(std::string_view state) {
    if (state.size() != 5) {
        return true;  // no SQLSTATE: a libpq-level failure
    }
    std::string_view cls = state.substr(0, 2);
    return cls == "08" || cls == "40" || cls == "53" || cls == "57" || cls == "58" || state == "55P03" ||
           state == "25006";
}

std::string millis_setting(Millis d) {
    return std::to_string(std::max<std::int64_t>(0, d.count()));
}

}  // namespace

// --- PgResult ---------------------------------------------------------------

PgResult& PgResult::operator=(PgResult&& other) noexcept {
    if (this != &other) {
        PQclear(r_);
        r_ = std::exchange(other.r_, nullptr);
    }
    return *this;
}

PgResult::~PgResult() {
    PQclear(r_);
}

int PgResult::rows() const {
    return r_ != nullptr ? PQntuples(r_) : 0;
}

bool PgResult::is_null(int row, int column) const {
    return PQgetisnull(r_, row, column) != 0;
}

std::string_view PgResult::text(int row, int column) const {
    return {PQgetvalue(r_, row, column), static_cast<std::size_t>(PQgetlength(r_, row, column))};
}

std::optional<std::string> PgResult::optional_text(int row, int column) const {
    if (is_null(row, column)) {
        return std::nullopt;
    }
    return std::string(text(row, column));
}

std::int64_t PgResult::int64(int row, int column) const {
    std::string_view t = text(row, column);
    std::int64_t n = 0;
    [[maybe_unused]] auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
    assert(ec == std::errc{} && end == t.data() + t.size());
    return n;
}

std::int64_t PgResult::affected() const {
    std::string_view t = r_ != nullptr ? PQcmdTuples(r_) : "";
    std::int64_t n = 0;
    std::from_chars(t.data(), t.data() + t.size(), n);
    return n;
}

// --- Params -----------------------------------------------------------------

Params& Params::add(std::string_view text) {
    values_.emplace_back(text);
    null_.push_back(false);
    return *this;
}

Params& Params::add(const std::optional<std::string>& text) {
    return text ? add(*text) : add_null();
}

Params& Params::add(std::int64_t n) {
    return add(std::string_view(std::to_string(n)));
}

Params& Params::add(bool b) {
    return add(std::string_view(b ? "true" : "false"));
}

Params& Params::add(TimePoint t) {
    return add(std::string_view(format_iso8601(t)));
}

Params& Params::add_null() {
    values_.emplace_back();
    null_.push_back(true);
    return *this;
}

std::vector<const char*> Params::pointers() const {
    std::vector<const char*> out;
    out.reserve(values_.size());
    for (std::size_t i = 0; i < values_.size(); ++i) {
        out.push_back(null_[i] ? nullptr : values_[i].c_str());
    }
    return out;
}

// --- PgConnection -----------------------------------------------------------

Result<std::unique_ptr<PgConnection>> PgConnection::connect(const ConnectSettings& settings) {
    // Keywords before dbname are defaults the URL may override; client_encoding
    // comes after it because every string we send and read is UTF-8.
    const std::string connect_timeout =
        std::to_string(std::max<std::int64_t>(2, (settings.connect_timeout.count() + 999) / 1000));
    const std::string user_timeout = millis_setting(settings.statement_timeout + kClientGrace);
    const char* keys[] = {"connect_timeout",
                          "keepalives",
                          "keepalives_idle",
                          "keepalives_interval",
                          "keepalives_count",
                          "tcp_user_timeout",
                          "application_name",
                          "dbname",
                          "client_encoding",
                          nullptr};
    const char* values[] = {connect_timeout.c_str(),
                            "1",
                            "10",
                            "3",
                            "3",
                            user_timeout.c_str(),
                            "beacon",
                            settings.url.c_str(),
                            "UTF8",
                            nullptr};
    PGconn* raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (raw == nullptr) {
        return unavailable("database", "postgres: cannot connect: out of memory");
    }
    if (PQstatus(raw) != CONNECTION_OK) {
        // libpq's parse errors quote the URI or a piece of it (password included).
        Error e = unavailable(
            "database",
            "postgres: cannot connect: " + redact_secrets(first_line(PQerrorMessage(raw)), secrets_in(settings.url)));
        PQfinish(raw);
        return e;
    }
    // libpq prints notices ("relation ... already exists, skipping") to stderr
    // by default; none of them needs attention.
    PQsetNoticeProcessor(
        raw, [](void*, const char*) {}, nullptr);
    std::unique_ptr<PgConnection> conn(new PgConnection(raw, settings.statement_timeout + kClientGrace));
    // Statement and lock waits end server-side before the client gives up;
    // an abandoned transaction cannot hold locks for long.
    std::string setup = "SET statement_timeout = " + millis_setting(settings.statement_timeout) +
                        "; SET lock_timeout = " + millis_setting(settings.statement_timeout) +
                        "; SET idle_in_transaction_session_timeout = 60000; SET TIME ZONE 'UTC'";
    if (auto r = conn->exec_script(setup, "configuring the session"); !r) {
        return std::move(r).error();
    }
    return conn;
}

PgConnection::~PgConnection() {
    // PQfinish sends a Terminate message; never wait for a server that is gone.
    if (broken_) {
        PQsetnonblocking(conn_, 1);
    }
    PQfinish(conn_);
}

bool PgConnection::usable() const {
    return !broken_ && PQstatus(conn_) == CONNECTION_OK;
}

bool PgConnection::check_alive() {
    if (!usable()) {
        return false;
    }
    // Whatever arrived while idle is read without blocking. A server that
    // hung up sent a FATAL message (which libpq takes as a notice) and then
    // EOF; one read may stop after the message, so read until nothing is
    // pending: EOF then shows as a broken connection.
    for (int reads = 0; reads < 8; ++reads) {
        pollfd p{};
        p.fd = PQsocket(conn_);
        p.events = POLLIN;
        if (poll(&p, 1, 0) <= 0) {
            break;
        }
        if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
            broken_ = true;
            return false;
        }
    }
    // Nothing may be in flight on an idle connection.
    return PQtransactionStatus(conn_) == PQTRANS_IDLE && PQisBusy(conn_) == 0;
}

bool PgConnection::in_transaction() const {
    PGTransactionStatusType s = PQtransactionStatus(conn_);
    return s != PQTRANS_IDLE;
}

Error PgConnection::connection_error(std::string_view what) {
    broken_ = true;
    last_sqlstate_.clear();
    std::string message = "postgres: ";
    message.append(what).append(": ").append(first_line(PQerrorMessage(conn_)));
    return unavailable("database", std::move(message));
}

Result<void> PgConnection::wait_readable(std::string_view what, SteadyClock::time_point deadline) {
    while (PQisBusy(conn_) != 0) {
        auto left = std::chrono::duration_cast<Millis>(deadline - SteadyClock::now());
        if (left.count() <= 0) {
            // The server may be gone or stuck: this connection is done for.
            broken_ = true;
            timed_out_ = true;
            last_sqlstate_.clear();
            return unavailable("database", "postgres: " + std::string(what) + ": no answer in time");
        }
        pollfd p{};
        p.fd = PQsocket(conn_);
        p.events = POLLIN;
        int n = poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count() + 1, 60'000)));
        if (n < 0 && errno != EINTR) {
            return connection_error(what);
        }
        if (n > 0 && PQconsumeInput(conn_) == 0) {
            return connection_error(what);
        }
    }
    return ok();
}

Result<PgResult> PgConnection::wait_result(std::string_view what, Millis timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    PgResult last;
    PgResult failed;
    for (;;) {
        if (auto r = wait_readable(what, deadline); !r) {
            return std::move(r).error();
        }
        PGresult* raw = PQgetResult(conn_);
        if (raw == nullptr) {
            break;
        }
        PgResult res(raw);
        switch (PQresultStatus(raw)) {
            case PGRES_COPY_IN:
                return res;  // copy_in() goes on from here
            case PGRES_COMMAND_OK:
            case PGRES_TUPLES_OK:
            case PGRES_EMPTY_QUERY:
                last = std::move(res);
                break;
            default:  // errors, and COPY directions we never start
                if (failed.get() == nullptr) {
                    failed = std::move(res);
                }
                break;
        }
    }
    if (failed.get() == nullptr) {
        return last;
    }
    if (PQstatus(conn_) != CONNECTION_OK) {
        return connection_error(what);
    }
    const char* state = PQresultErrorField(failed.get(), PG_DIAG_SQLSTATE);
    const char* primary = PQresultErrorField(failed.get(), PG_DIAG_MESSAGE_PRIMARY);
    last_sqlstate_ = state != nullptr ? state : "";
    std::string message = "postgres: ";
    message.append(what).append(": ").append(primary != nullptr ? std::string(primary)
                                                                : first_line(PQresultErrorMessage(failed.get())));
    if (!last_sqlstate_.empty()) {
        message.append(" (SQLSTATE ").append(last_sqlstate_).append(")");
    }
    if (transient(last_sqlstate_)) {
        return unavailable("database", std::move(message));
    }
    return make_error(ErrorCode::Internal, std::move(message));
}

Result<PgResult> PgConnection::exec(std::string_view sql,
                                    const Params& params,
                                    std::string_view what,
                                    std::optional<Millis> timeout) {
    if (broken_) {
        return unavailable("database", "postgres: " + std::string(what) + ": connection lost");
    }
    const std::string text(sql);
    const std::vector<const char*> values = params.pointers();
    if (PQsendQueryParams(conn_, text.c_str(), params.size(), nullptr, values.data(), nullptr, nullptr, 0) == 0) {
        return connection_error(what);
    }
    return wait_result(what, timeout.value_or(call_timeout_));
}

Result<void> PgConnection::exec_script(std::string_view sql, std::string_view what, std::optional<Millis> timeout) {
    if (broken_) {
        return unavailable("database", "postgres: " + std::string(what) + ": connection lost");
    }
    const std::string text(sql);
    if (PQsendQuery(conn_, text.c_str()) == 0) {
        return connection_error(what);
    }
    auto r = wait_result(what, timeout.value_or(call_timeout_));
    if (!r) {
        return std::move(r).error();
    }
    return ok();
}

Result<std::int64_t> PgConnection::copy_in(std::string_view copy_sql, std::string_view data, std::string_view what) {
    if (broken_) {
        return unavailable("database", "postgres: " + std::string(what) + ": connection lost");
    }
    const std::string text(copy_sql);
    if (PQsendQuery(conn_, text.c_str()) == 0) {
        return connection_error(what);
    }
    auto started = wait_result(what, call_timeout_);
    if (!started) {
        return std::move(started).error();
    }
    if (PQresultStatus(started->get()) != PGRES_COPY_IN) {
        return make_error(ErrorCode::Internal, "postgres: " + std::string(what) + ": COPY did not start");
    }
    // Blocking mode: each call returns once libpq has buffered or sent the
    // data; tcp_user_timeout bounds a send to a server that stopped reading.
    constexpr std::size_t kChunk = 256 * 1024;
    for (std::size_t at = 0; at < data.size(); at += kChunk) {
        std::size_t n = std::min(kChunk, data.size() - at);
        if (PQputCopyData(conn_, data.data() + at, static_cast<int>(n)) != 1) {
            return connection_error(what);
        }
    }
    if (PQputCopyEnd(conn_, nullptr) != 1) {
        return connection_error(what);
    }
    auto done = wait_result(what, call_timeout_);
    if (!done) {
        return std::move(done).error();
    }
    return done->affected();
}

// --- ConnectionPool ---------------------------------------------------------

ConnectionPool::~ConnectionPool() {
    std::lock_guard lock(mutex_);
    assert(static_cast<int>(idle_.size()) == open_ && "a lease outlives its pool");
    idle_.clear();
}

ConnectionPool::Lease::~Lease() {
    if (conn_) {
        pool_->release(std::move(conn_));
    }
}

Result<ConnectionPool::Lease> ConnectionPool::acquire() {
    const auto deadline = SteadyClock::now() + settings_.acquire_timeout;
    std::unique_lock lock(mutex_);
    for (;;) {
        if (SteadyClock::now() < quiet_until_) {
            return unavailable("database",
                               "postgres: the server did not answer in time; calls are held off for " +
                                   std::to_string(settings_.hold_off.count()) + " ms");
        }
        if (!idle_.empty()) {
            std::unique_ptr<PgConnection> conn = std::move(idle_.back());
            idle_.pop_back();
            lock.unlock();
            if (conn->check_alive()) {
                return Lease(this, std::move(conn));
            }
            conn.reset();  // closed by the server (restart, failover): open a new one
            lock.lock();
            --open_;
            continue;
        }
        if (open_ < std::max(1, settings_.max_connections)) {
            ++open_;
            lock.unlock();
            const auto connect_started = SteadyClock::now();
            auto conn = PgConnection::connect(settings_.connect);
            if (!conn) {
                // A refusal is immediate; an attempt that ran into
                // connect_timeout (at least 2 s) met a server that accepts
                // connections but does not answer.
                const bool timed_out = SteadyClock::now() - connect_started >= std::chrono::seconds(1);
                lock.lock();
                --open_;
                lock.unlock();
                freed_.notify_one();
                if (timed_out) {
                    hold_off();
                }
                return std::move(conn).error();
            }
            return Lease(this, std::move(*conn));
        }
        if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
            open_ >= std::max(1, settings_.max_connections)) {
            return unavailable(
                "database", "postgres: all " + std::to_string(settings_.max_connections) + " connections stayed busy");
        }
    }
}

void ConnectionPool::hold_off() {
    if (settings_.hold_off.count() <= 0) {
        return;
    }
    std::vector<std::unique_ptr<PgConnection>> doomed;
    {
        std::lock_guard lock(mutex_);
        quiet_until_ = SteadyClock::now() + settings_.hold_off;
        doomed.swap(idle_);
        open_ -= static_cast<int>(doomed.size());
    }
    for (auto& c : doomed) {
        c->abandon();  // closed without waiting for a server that may hang
    }
    freed_.notify_all();
}

void ConnectionPool::release(std::unique_ptr<PgConnection> conn) {
    if (conn->timed_out()) {
        hold_off();
    }
    // A connection left inside a transaction (a rollback that failed) or
    // broken is closed: the next acquire() opens a fresh one.
    if (!conn->usable() || conn->in_transaction()) {
        conn.reset();
        std::lock_guard lock(mutex_);
        --open_;
    } else {
        std::lock_guard lock(mutex_);
        idle_.push_back(std::move(conn));
    }
    freed_.notify_one();
}

}  // namespace beacon::backends::postgres
