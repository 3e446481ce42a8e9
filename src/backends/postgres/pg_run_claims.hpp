#pragma once

#include <memory>
#include <string_view>

#include "backends/postgres/connection.hpp"
#include "core/result.hpp"
#include "jobs/job_ledger.hpp"

namespace beacon::backends::postgres {

// jobs::JobLedger::try_claim_run on PostgreSQL: "job J is running" is a
// session-level advisory lock (pg_try_advisory_lock, keyed by schema and job
// name) taken on a connection of the claim's own, outside the pool, and held
// until the claim is destroyed, which closes the connection.
//
// Why a session lock and not a lease row: the server frees it the moment the
// holder's session ends, so nothing needs renewing while a job runs and a
// crashed replica never blocks a job for longer than it takes the server to
// see its connection gone: at once when the process dies (the kernel closes
// the socket), and within about 30 s when the whole host or network vanishes
// (the claim session sets the server-side tcp_keepalives_* and
// tcp_user_timeout for that). The flip side: a claim session the server
// drops while the job still runs (server restart, network cut, an
// idle_session_timeout an operator set) frees the claim early, so another
// replica may start the same job; in those cases the running job's own
// queries fail too. Session locks need a session-pooling path to the server:
// behind a PgBouncer in transaction mode they would not hold.
//
// Thread-safe (each claim owns its connection). Errors: Unavailable when the
// server cannot be reached.
class PgRunClaims {
public:
    explicit PgRunClaims(ConnectSettings settings) : settings_(std::move(settings)) {}

    // Null when another session (any replica, or this one) holds the claim.
    Result<std::unique_ptr<jobs::RunClaim>> try_claim(std::string_view job);

private:
    const ConnectSettings settings_;
};

}  // namespace beacon::backends::postgres
