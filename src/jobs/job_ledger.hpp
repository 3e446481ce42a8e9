#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace beacon::jobs {

// What the cluster knows of one job's last run (for GET /admin/jobs).
struct JobRunRecord {
    std::string job;
    TimePoint last_run_at;
    std::int64_t last_duration_ms = 0;
    std::optional<std::string> last_error;
};

// A held "this job is running" claim (JobLedger::try_claim_run). Destroying
// it releases the claim; it must not outlive the ledger that issued it.
class RunClaim {
public:
    virtual ~RunClaim() = default;
};

// Port: cluster-wide bookkeeping of scheduled jobs, so that every replica can
// run the scheduler, each tick still runs once, and no job ever runs twice at
// once anywhere (scheduled or manual). Thread-safe.
class JobLedger {
public:
    virtual ~JobLedger() = default;
    // Claims "`job` is running" cluster-wide for as long as the returned
    // claim lives. Null when the claim is held already, by this process or
    // another one. A claim whose holder dies (crash, lost connection) is
    // freed by the backend without help, so no job stays blocked for good:
    // adapters document how soon. Errors: the backend's (Unavailable).
    virtual Result<std::unique_ptr<RunClaim>> try_claim_run(std::string_view job) = 0;
    // Claims run `tick` of `job` (tick = the scheduled instant, e.g. the
    // minute). True for exactly one caller per (job, tick) cluster-wide.
    virtual Result<bool> try_claim(std::string_view job, TimePoint tick) = 0;
    // Records the outcome of a run (overwrites the previous record).
    virtual Result<void> record_run(const JobRunRecord& run) = 0;
    virtual Result<std::vector<JobRunRecord>> last_runs() = 0;
    // Forgets claims of ticks before `t` (claims are only needed briefly).
    virtual Result<void> prune_claims_before(TimePoint t) = 0;
};

}  // namespace beacon::jobs
