#include "backends/postgres/pg_run_claims.hpp"

#include <string>

#include "backends/postgres/queries.hpp"

namespace beacon::backends::postgres {

namespace {

// Holds the lock by holding the session; closing the connection (the
// destructor of PgConnection) ends the session, and the server frees the
// lock. No explicit unlock: a failed unlock could leave a lock behind, a
// closed session cannot.
class PgRunClaim final : public jobs::RunClaim {
public:
    explicit PgRunClaim(std::unique_ptr<PgConnection> conn) : conn_(std::move(conn)) {}

private:
    std::unique_ptr<PgConnection> conn_;
};

}  // namespace

Result<std::unique_ptr<jobs::RunClaim>> PgRunClaims::try_claim(std::string_view job) {
    const std::string what = "claiming the run of job '" + std::string(job) + "'";
    auto conn = PgConnection::connect(settings_);
    if (!conn) {
        return std::move(conn).error().with_context(what);
    }
    Params p;
    p.add(job);
    auto r = (*conn)->exec(sql::kTryRunLock, p, what);
    if (!r) {
        return std::move(r).error();
    }
    if (r->rows() != 1 || r->text(0, 0) != "t") {
        return std::unique_ptr<jobs::RunClaim>();  // held elsewhere; this session ends here
    }
    return std::unique_ptr<jobs::RunClaim>(std::make_unique<PgRunClaim>(std::move(conn).value()));
}

}  // namespace beacon::backends::postgres
