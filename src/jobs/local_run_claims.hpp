#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "jobs/job_ledger.hpp"

namespace beacon::jobs {

// Run claims that only this process can see: a set of running job names.
// Enough for a ledger whose database one process owns (the embedded SQLite
// mode); a crash frees every claim with the process. Ledgers shared by
// several processes need claims in the shared backend instead. Thread-safe;
// must outlive the claims it issues.
class LocalRunClaims {
public:
    // Null when `job` is claimed already.
    std::unique_ptr<RunClaim> try_claim(std::string_view job);

private:
    class Claim;
    void release(const std::string& job);

    std::mutex mutex_;
    std::set<std::string, std::less<>> running_;
};

}  // namespace beacon::jobs
