#pragma once

#include <cstdint>
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

// Port: cluster-wide bookkeeping of scheduled jobs, so that every replica can
// run the scheduler and each tick still runs once. Thread-safe.
class JobLedger {
public:
    virtual ~JobLedger() = default;
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
