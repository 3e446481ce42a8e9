#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "store_contract.hpp"

namespace beacon::contract {
namespace {

using namespace std::chrono_literals;
using jobs::JobRunRecord;

const TimePoint kTick = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 10h;

bool claim(jobs::JobLedger& l, std::string_view job, TimePoint tick) {
    auto r = l.try_claim(job, tick);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() && *r;
}

std::map<std::string, JobRunRecord> runs(jobs::JobLedger& l) {
    auto r = l.last_runs();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    std::map<std::string, JobRunRecord> out;
    if (r.ok()) {
        for (const JobRunRecord& rec : *r) {
            EXPECT_TRUE(out.emplace(rec.job, rec).second) << "one record per job: " << rec.job;
        }
    }
    return out;
}

TEST_P(JobLedgerContract, FirstClaimOfATickWins) {
    EXPECT_TRUE(claim(store(), "online-snapshot", kTick));
    EXPECT_FALSE(claim(store(), "online-snapshot", kTick));
    EXPECT_FALSE(claim(store(), "online-snapshot", kTick));
}

TEST_P(JobLedgerContract, ClaimsAreIndependentPerJobAndTick) {
    EXPECT_TRUE(claim(store(), "online-snapshot", kTick));
    EXPECT_TRUE(claim(store(), "online-snapshot", kTick + 1min));
    EXPECT_TRUE(claim(store(), "cleanup", kTick));
    EXPECT_TRUE(claim(store(), "online-snapshot", kTick + 1ms));
    EXPECT_FALSE(claim(store(), "cleanup", kTick));
}

TEST_P(JobLedgerContract, TwoThreadsClaimEachTickExactlyOnce) {
    constexpr int kTicks = 200;
    std::vector<std::atomic<int>> wins(kTicks);
    std::atomic<int> errors{0};
    auto contend = [&] {
        for (int i = 0; i < kTicks; ++i) {
            auto r = store().try_claim("rolling-dau", kTick + std::chrono::minutes{10 * i});
            if (!r.ok()) {
                errors.fetch_add(1);
            } else if (*r) {
                wins[i].fetch_add(1);
            }
        }
    };
    std::thread a(contend);
    std::thread b(contend);
    a.join();
    b.join();
    EXPECT_EQ(errors.load(), 0);
    for (int i = 0; i < kTicks; ++i) {
        EXPECT_EQ(wins[i].load(), 1) << "tick " << i;
    }
}

TEST_P(JobLedgerContract, PrunedClaimsAreForgotten) {
    ASSERT_TRUE(claim(store(), "nightly-dau", kTick - 1h));
    ASSERT_TRUE(claim(store(), "nightly-dau", kTick));
    auto pruned = store().prune_claims_before(kTick);
    ASSERT_TRUE(pruned.ok()) << pruned.error().message;
    EXPECT_TRUE(claim(store(), "nightly-dau", kTick - 1h)) << "claim before the cut was pruned";
    EXPECT_FALSE(claim(store(), "nightly-dau", kTick)) << "claim at the cut is kept";
}

TEST_P(JobLedgerContract, NoRunsRecordedAtFirst) {
    EXPECT_TRUE(runs(store()).empty());
}

TEST_P(JobLedgerContract, RecordsTheLastRunOfEachJob) {
    ASSERT_TRUE(store().record_run(JobRunRecord{"online-snapshot", kTick, 12, std::nullopt}).ok());
    ASSERT_TRUE(store().record_run(JobRunRecord{"cleanup", kTick + 1s, 3400, "presence: connection refused"}).ok());
    std::map<std::string, JobRunRecord> r = runs(store());
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r["online-snapshot"].last_run_at, kTick);
    EXPECT_EQ(r["online-snapshot"].last_duration_ms, 12);
    EXPECT_EQ(r["online-snapshot"].last_error, std::nullopt);
    EXPECT_EQ(r["cleanup"].last_run_at, kTick + 1s);
    EXPECT_EQ(r["cleanup"].last_duration_ms, 3400);
    EXPECT_EQ(r["cleanup"].last_error, std::optional<std::string>("presence: connection refused"));
}

TEST_P(JobLedgerContract, RecordRunOverwritesThePreviousRecord) {
    ASSERT_TRUE(store().record_run(JobRunRecord{"cleanup", kTick, 10, "boom"}).ok());
    ASSERT_TRUE(store().record_run(JobRunRecord{"cleanup", kTick + 1h, 20, std::nullopt}).ok());
    std::map<std::string, JobRunRecord> r = runs(store());
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r["cleanup"].last_run_at, kTick + 1h);
    EXPECT_EQ(r["cleanup"].last_duration_ms, 20);
    EXPECT_EQ(r["cleanup"].last_error, std::nullopt) << "a successful run clears the error";
}

// ---- run claims: "this job is running" ----

std::unique_ptr<jobs::RunClaim> claim_run(jobs::JobLedger& l, std::string_view job) {
    auto r = l.try_claim_run(job);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : nullptr;
}

TEST_P(JobLedgerContract, RunClaimIsExclusiveUntilReleased) {
    auto first = claim_run(store(), "cleanup");
    ASSERT_NE(first, nullptr);
    EXPECT_EQ(claim_run(store(), "cleanup"), nullptr) << "held";
    EXPECT_EQ(claim_run(store(), "cleanup"), nullptr) << "still held";
    first.reset();
    auto again = claim_run(store(), "cleanup");
    EXPECT_NE(again, nullptr) << "free once the holder lets go";
}

TEST_P(JobLedgerContract, RunClaimsAreIndependentPerJobAndOfTickClaims) {
    auto cleanup = claim_run(store(), "cleanup");
    ASSERT_NE(cleanup, nullptr);
    auto nightly = claim_run(store(), "nightly-dau");
    EXPECT_NE(nightly, nullptr);
    EXPECT_TRUE(claim(store(), "cleanup", kTick)) << "a run claim does not claim ticks";
    EXPECT_EQ(claim_run(store(), "cleanup"), nullptr);
    EXPECT_EQ(claim_run(store(), "nightly-dau"), nullptr);
}

// Two threads keep taking the claim; whoever holds it checks that nobody
// else is inside. Bounded: 40 rounds each, and at most 20 s.
TEST_P(JobLedgerContract, TwoThreadsNeverHoldTheRunClaimAtOnce) {
    constexpr int kRounds = 40;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    std::atomic<int> inside{0};
    std::atomic<int> overlaps{0};
    std::atomic<int> wins{0};
    std::atomic<int> errors{0};
    auto contend = [&] {
        for (int i = 0; i < kRounds && std::chrono::steady_clock::now() < deadline; ++i) {
            auto r = store().try_claim_run("rolling-dau");
            if (!r.ok()) {
                errors.fetch_add(1);
                continue;
            }
            if (*r == nullptr) {
                std::this_thread::sleep_for(1ms);
                continue;
            }
            wins.fetch_add(1);
            if (inside.fetch_add(1) != 0) {
                overlaps.fetch_add(1);
            }
            std::this_thread::sleep_for(2ms);  // "the run"
            inside.fetch_sub(1);
            r->reset();
        }
    };
    std::thread a(contend);
    std::thread b(contend);
    a.join();
    b.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(overlaps.load(), 0);
    EXPECT_GT(wins.load(), 0);
}

}  // namespace
}  // namespace beacon::contract
