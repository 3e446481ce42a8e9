#include "jobs/local_run_claims.hpp"

namespace beacon::jobs {

class LocalRunClaims::Claim final : public RunClaim {
public:
    Claim(LocalRunClaims& owner, std::string job) : owner_(owner), job_(std::move(job)) {}
    ~Claim() override { owner_.release(job_); }
    Claim(const Claim&) = delete;
    Claim& operator=(const Claim&) = delete;

private:
    LocalRunClaims& owner_;
    std::string job_;
};

std::unique_ptr<RunClaim> LocalRunClaims::try_claim(std::string_view job) {
    std::lock_guard lock(mutex_);
    if (!running_.emplace(job).second) {
        return nullptr;
    }
    return std::make_unique<Claim>(*this, std::string(job));
}

void LocalRunClaims::release(const std::string& job) {
    std::lock_guard lock(mutex_);
    running_.erase(job);
}

}  // namespace beacon::jobs
